// Signals between processes: dispositions and the mask inherited by a child while pending
// signals are not, kill/tgkill/sigqueue to another process with their siginfo (si_pid,
// si_code, si_value), rt_sigqueueinfo rules for other processes, queued real-time signals,
// kill to a process group (setpgid), kill(0, ...) from a child leading its own group,
// kill(-1, 0), errors (ESRCH, EINVAL), sigsuspend until a child's signal, SIGSTOP/SIGCONT
// seen by waitpid (WUNTRACED, WCONTINUED), waitid (WSTOPPED, WCONTINUED) and SIGCHLD,
// SIGTSTP/SIGTTIN stopping a child in its own group but discarded in an orphaned group
// (ours: the runner starts each test as a new session, and the sandbox's first process has
// no parent), a signal queued while stopped and delivered on SIGCONT, SIGKILL for a stopped
// child, and a SIGCONT handler.
#include "t.h"
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static volatile sig_atomic_t got_count, got_signo, got_code, got_pid, got_value;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_count++;
    got_signo = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    got_value = si->si_value.sival_int;
}

static volatile sig_atomic_t cont_count;
static void on_cont(int sig)
{
    (void)sig;
    cont_count++;
}

static void install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* Forks a child that blocks reading gate[0] and exits 0 on data or EOF. */
static pid_t spawn_gated(int gate[2])
{
    if (pipe(gate) != 0)
        return -1;
    pid_t p = fork();
    if (p == 0) {
        char c;
        close(gate[1]);
        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(gate[0]);
    return p;
}

/* waitpid(pid, st, flags | WNOHANG) retried for up to ms milliseconds: returns the pid,
 * or 0 if nothing was reported by then (so that a failing check cannot hang the test). */
static pid_t wait_for(pid_t pid, int *st, int flags, int ms)
{
    for (int i = 0; i <= ms / 10; i++) {
        pid_t r = waitpid(pid, st, flags | WNOHANG);
        if (r != 0)
            return r;
        sleep_ms(10);
    }
    return 0;
}

/* Reads until n bytes or EOF; returns the count. */
static ssize_t read_n(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += r;
    }
    return got;
}

/* What a receiving child reports about one signal. */
struct report {
    int signo, code, from_parent, value;
};

int main(void)
{
    pid_t self = getpid();
    int st;
    sigset_t empty;
    sigemptyset(&empty);

    /* --- inheritance across fork --- */
    {
        install(SIGUSR1);
        signal(SIGUSR2, SIG_IGN);
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, &old);
        raise(SIGHUP);
        int pp[2];
        pipe(pp);
        pid_t p = fork();
        if (p == 0) {
            char r[5];
            struct sigaction sa;
            sigset_t cur;
            sigaction(SIGUSR1, NULL, &sa);
            r[0] = sa.sa_sigaction == on_info && (sa.sa_flags & SA_SIGINFO) &&
                   (sa.sa_flags & SA_RESTART);
            sigaction(SIGUSR2, NULL, &sa);
            r[1] = sa.sa_handler == SIG_IGN;
            sigprocmask(SIG_BLOCK, NULL, &cur);
            r[2] = sigismember(&cur, SIGHUP);
            sigpending(&cur);
            r[3] = !sigismember(&cur, SIGHUP);
            r[4] = sigisemptyset(&cur);
            write(pp[1], r, sizeof(r));
            _exit(0);
        }
        char r[5] = {0};
        CHECK_EQ("child's report", read(pp[0], r, sizeof(r)), 5);
        CHECK("child inherited the SIGUSR1 handler and flags", r[0]);
        CHECK("child inherited SIG_IGN for SIGUSR2", r[1]);
        CHECK("child inherited the blocked mask", r[2]);
        CHECK("parent's pending SIGHUP not inherited", r[3]);
        CHECK("child's pending set is empty", r[4]);
        reap(p);
        sigset_t pend;
        sigpending(&pend);
        CHECK("parent's SIGHUP still pending", sigismember(&pend, SIGHUP));
        int sig;
        sigwait(&set, &sig);
        sigprocmask(SIG_SETMASK, &old, NULL);
        signal(SIGUSR2, SIG_DFL);
        close(pp[0]);
        close(pp[1]);
    }

    /* --- kill, tgkill, sigqueue to another process --- */
    {
        int sigs_rt1 = SIGRTMIN + 1, sigs_rt2 = SIGRTMIN + 2;
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigaddset(&set, SIGUSR2);
        sigaddset(&set, sigs_rt1);
        sigaddset(&set, sigs_rt2);
        sigprocmask(SIG_BLOCK, &set, &old); /* inherited: nothing is lost before it waits */
        int pp[2];
        pipe(pp);
        pid_t p = fork();
        if (p == 0) {
            close(pp[0]);
            for (;;) {
                siginfo_t si;
                /* raw: glibc's sigwaitinfo reports SI_TKILL as SI_USER */
                int s = syscall(SYS_rt_sigtimedwait, &set, &si, NULL, 8);
                if (s < 0)
                    continue;
                struct report rep = {s, si.si_code, si.si_pid == getppid(), si.si_value.sival_int};
                write(pp[1], &rep, sizeof(rep));
                if (s == SIGUSR2)
                    _exit(0);
            }
        }
        close(pp[1]);
        struct report rep;
        CHECK_EQ("kill(child, SIGUSR1)", kill(p, SIGUSR1), 0);
        read(pp[0], &rep, sizeof(rep));
        CHECK("  child got SIGUSR1", rep.signo == SIGUSR1);
        CHECK_EQ("  si_code SI_USER", rep.code, SI_USER);
        CHECK("  si_pid is the parent", rep.from_parent);

        CHECK_EQ("tgkill(child, child, SIGUSR1)", syscall(SYS_tgkill, p, p, SIGUSR1), 0);
        read(pp[0], &rep, sizeof(rep));
        CHECK_EQ("  si_code SI_TKILL", rep.code, SI_TKILL);
        CHECK("  si_pid is the parent", rep.from_parent);
        CHECK_ERR("tgkill with the wrong tgid: ESRCH", syscall(SYS_tgkill, self, p, SIGUSR1),
                  ESRCH);

        CHECK_EQ("sigqueue(child, SIGRTMIN+1, 42)",
                 sigqueue(p, sigs_rt1, (union sigval){.sival_int = 42}), 0);
        read(pp[0], &rep, sizeof(rep));
        CHECK("  child got SIGRTMIN+1", rep.signo == sigs_rt1);
        CHECK_EQ("  si_code SI_QUEUE", rep.code, SI_QUEUE);
        CHECK_EQ("  si_value 42", rep.value, 42);
        CHECK("  si_pid is the parent", rep.from_parent);

        /* raw rt_sigqueueinfo: only negative codes other than SI_TKILL for another process */
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        si.si_signo = sigs_rt1;
        si.si_code = SI_USER;
        si.si_pid = getpid();
        si.si_uid = getuid();
        CHECK_ERR("rt_sigqueueinfo SI_USER to another process: EPERM",
                  syscall(SYS_rt_sigqueueinfo, p, sigs_rt1, &si), EPERM);
        si.si_code = SI_TKILL;
        CHECK_ERR("rt_sigqueueinfo SI_TKILL to another process: EPERM",
                  syscall(SYS_rt_sigqueueinfo, p, sigs_rt1, &si), EPERM);
        si.si_code = SI_QUEUE;
        si.si_value.sival_int = 7;
        CHECK_EQ("rt_sigqueueinfo SI_QUEUE", syscall(SYS_rt_sigqueueinfo, p, sigs_rt1, &si), 0);
        read(pp[0], &rep, sizeof(rep));
        CHECK_EQ("  si_value 7", rep.value, 7);

        /* queued real-time signals: all arrive, in order */
        for (int i = 1; i <= 5; i++)
            sigqueue(p, sigs_rt2, (union sigval){.sival_int = i * 10});
        int order_ok = 1;
        for (int i = 1; i <= 5; i++) {
            read(pp[0], &rep, sizeof(rep));
            if (rep.signo != sigs_rt2 || rep.value != i * 10)
                order_ok = 0;
        }
        CHECK("five queued SIGRTMIN+2 arrive in order with their values", order_ok);

        CHECK_EQ("kill(child, 0)", kill(p, 0), 0);
        CHECK_EQ("kill(-1, 0) with a child alive", kill(-1, 0), 0);
        CHECK_ERR("kill(child, 65): EINVAL", kill(p, 65), EINVAL);
        CHECK_ERR("kill(child, -1): EINVAL", kill(p, -1), EINVAL);
        kill(p, SIGUSR2);
        read(pp[0], &rep, sizeof(rep));
        CHECK("child exited 0", exited_with(reap(p), 0));
        CHECK_ERR("kill(reaped child, 0): ESRCH", kill(p, 0), ESRCH);
        CHECK_ERR("sigqueue(reaped child): ESRCH", sigqueue(p, sigs_rt1, (union sigval){0}), ESRCH);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(pp[0]);
    }

    /* --- sigsuspend until a child signals us --- */
    {
        install(SIGUSR2);
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        sigprocmask(SIG_BLOCK, &set, &old);
        got_count = 0;
        pid_t p = fork();
        if (p == 0) {
            kill(getppid(), SIGUSR2);
            _exit(0);
        }
        while (got_count == 0) {
            errno = 0;
            int r = sigsuspend(&old);
            if (r != -1 || errno != EINTR)
                break;
        }
        CHECK_EQ("sigsuspend woke for the child's SIGUSR2", got_count, 1);
        CHECK_EQ("  signo", got_signo, SIGUSR2);
        CHECK("  si_pid is the child", got_pid == p);
        CHECK_EQ("  si_code SI_USER", got_code, SI_USER);
        reap(p);
        sigprocmask(SIG_SETMASK, &old, NULL);
        signal(SIGUSR2, SIG_DFL);
    }

    /* --- a process group --- */
    install(SIGUSR1); /* if a group signal reached us by mistake, it is counted */
    {
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, &old);
        int pp[2];
        pipe(pp);
        pid_t kids[3];
        for (int i = 0; i < 3; i++) {
            kids[i] = fork();
            if (kids[i] == 0) {
                got_count = 0;
                while (got_count == 0)
                    sigsuspend(&old);
                write(pp[1], "k", 1);
                _exit(got_pid == getppid() ? 0 : 1);
            }
        }
        /* kids 0 and 1 form a group; kid 2 stays in ours */
        CHECK_EQ("setpgid(kid0, kid0)", setpgid(kids[0], kids[0]), 0);
        CHECK_EQ("setpgid(kid1, kid0)", setpgid(kids[1], kids[0]), 0);
        CHECK_EQ("getpgid(kid1) == kid0", getpgid(kids[1]), kids[0]);
        CHECK_ERR("setpgid into a nonexistent group: EPERM", setpgid(kids[2], 0x3fff0000), EPERM);
        sigprocmask(SIG_SETMASK, &old, NULL);
        got_count = 0;
        CHECK_EQ("kill(-group, SIGUSR1)", kill(-kids[0], SIGUSR1), 0);
        CHECK_EQ("  did not reach us", got_count, 0);
        char buf[2];
        CHECK_EQ("  both group members got it", read_n(pp[0], buf, 2), 2);
        CHECK("  kid0 exited 0", exited_with(reap(kids[0]), 0));
        CHECK("  kid1 exited 0", exited_with(reap(kids[1]), 0));
        CHECK_EQ("  kid2 not signalled", waitpid(kids[2], &st, WNOHANG), 0);
        CHECK_ERR("kill(-emptied group): ESRCH", kill(-kids[0], SIGUSR1), ESRCH);
        CHECK_ERR("killpg(emptied group): ESRCH", killpg(kids[0], SIGUSR1), ESRCH);
        kill(kids[2], SIGUSR1);
        CHECK("kid2 got its own SIGUSR1", exited_with(reap(kids[2]), 0));
        close(pp[0]);
        close(pp[1]);
    }

    /* --- kill(0, sig) from a child that leads its own group --- */
    {
        int pp[2];
        pipe(pp);
        got_count = 0;
        pid_t c = fork();
        if (c == 0) {
            sigset_t set, old;
            sigemptyset(&set);
            sigaddset(&set, SIGUSR1);
            sigprocmask(SIG_BLOCK, &set, &old);
            setpgid(0, 0);
            got_count = 0;
            pid_t g[2];
            for (int i = 0; i < 2; i++) {
                g[i] = fork();
                if (g[i] == 0) {
                    got_count = 0;
                    while (got_count == 0)
                        sigsuspend(&old);
                    write(pp[1], "g", 1);
                    _exit(0);
                }
            }
            if (kill(0, SIGUSR1) != 0)
                _exit(2);
            while (got_count == 0)
                sigsuspend(&old);
            int ok = exited_with(reap(g[0]), 0) && exited_with(reap(g[1]), 0);
            _exit(ok ? 0 : 3);
        }
        close(pp[1]);
        st = reap(c);
        CHECK("kill(0, SIGUSR1) in a child's group: the child got it too", exited_with(st, 0));
        char buf[3];
        CHECK_EQ("  both grandchildren got it", read_n(pp[0], buf, 3), 2);
        CHECK_EQ("  it did not reach us", got_count, 0);
        close(pp[0]);
    }

    /* --- stop and continue: waitpid --- */
    {
        int gate[2];
        pid_t p = spawn_gated(gate);
        sigset_t chld, old;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, &old);
        siginfo_t si;

        /* SIGCHLD first: a wait that consumes the stop before the kernel has built the
         * SIGCHLD's siginfo would leave si_status 0 */
        CHECK_EQ("kill(child, SIGSTOP)", kill(p, SIGSTOP), 0);
        CHECK_EQ("SIGCHLD for the stop", sigwaitinfo(&chld, &si), SIGCHLD);
        CHECK_EQ("  si_code CLD_STOPPED", si.si_code, CLD_STOPPED);
        CHECK("  si_pid", si.si_pid == p);
        CHECK_EQ("  si_status SIGSTOP", si.si_status, SIGSTOP);
        CHECK_EQ("waitpid WUNTRACED", waitpid(p, &st, WUNTRACED), p);
        CHECK("  WIFSTOPPED", WIFSTOPPED(st) && !WIFEXITED(st) && !WIFSIGNALED(st));
        CHECK_EQ("  WSTOPSIG SIGSTOP", WSTOPSIG(st), SIGSTOP);
        CHECK_EQ("  reported once: WNOHANG|WUNTRACED gives 0", waitpid(p, &st, WNOHANG | WUNTRACED),
                 0);
        CHECK_EQ("without WUNTRACED a stopped child is not reported", waitpid(p, &st, WNOHANG), 0);

        CHECK_EQ("kill(child, SIGCONT)", kill(p, SIGCONT), 0);
        CHECK_EQ("SIGCHLD for the continue", sigwaitinfo(&chld, &si), SIGCHLD);
        CHECK_EQ("  si_code CLD_CONTINUED", si.si_code, CLD_CONTINUED);
        CHECK_EQ("  si_status SIGCONT", si.si_status, SIGCONT);
        CHECK_EQ("waitpid WCONTINUED", waitpid(p, &st, WCONTINUED), p);
        CHECK("  WIFCONTINUED", WIFCONTINUED(st) && !WIFSTOPPED(st));

        /* the same through waitid */
        kill(p, SIGSTOP);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid WSTOPPED|WNOWAIT", waitid(P_PID, p, &si, WSTOPPED | WNOWAIT), 0);
        CHECK_EQ("  si_code CLD_STOPPED", si.si_code, CLD_STOPPED);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid WSTOPPED", waitid(P_PID, p, &si, WSTOPPED), 0);
        CHECK_EQ("  si_status SIGSTOP", si.si_status, SIGSTOP);
        CHECK("  si_pid", si.si_pid == p);
        memset(&si, 0x55, sizeof(si));
        CHECK_EQ("waitid WSTOPPED|WNOHANG after it was consumed",
                 waitid(P_PID, p, &si, WSTOPPED | WNOHANG), 0);
        CHECK_EQ("  si_pid 0", si.si_pid, 0);
        kill(p, SIGCONT);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid WCONTINUED", waitid(P_PID, p, &si, WCONTINUED), 0);
        CHECK_EQ("  si_code CLD_CONTINUED", si.si_code, CLD_CONTINUED);
        CHECK_EQ("  si_status SIGCONT", si.si_status, SIGCONT);
        while (sigtimedwait(&chld, &si, &(struct timespec){0, 0}) > 0)
            ; /* drop the SIGCHLDs of the waitid round */

        close(gate[1]);
        CHECK("the continued child runs on and exits 0", exited_with(reap(p), 0));
        sigprocmask(SIG_SETMASK, &old, NULL);
    }

    /* --- SIGTSTP, SIGTTIN and SIGKILL on a child in its own process group --- */
    {
        int gate[2];
        pid_t p = spawn_gated(gate);
        setpgid(p, p);
        CHECK_EQ("kill(child in own group, SIGTSTP)", kill(p, SIGTSTP), 0);
        CHECK_EQ("  waitpid WUNTRACED", waitpid(p, &st, WUNTRACED), p);
        CHECK("  stopped by SIGTSTP", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
        kill(p, SIGCONT);
        waitpid(p, &st, WCONTINUED);
        CHECK("  continued", WIFCONTINUED(st));
        kill(p, SIGTTIN);
        CHECK_EQ("SIGTTIN stops it too", waitpid(p, &st, WUNTRACED), p);
        CHECK("  stopped by SIGTTIN", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN);
        CHECK_EQ("SIGKILL a stopped child", kill(p, SIGKILL), 0);
        st = reap(p);
        CHECK("  killed by SIGKILL", killed_by(st, SIGKILL));
        close(gate[1]);

        /* a signal that terminates waits while the child is stopped */
        p = spawn_gated(gate);
        setpgid(p, p);
        kill(p, SIGSTOP);
        waitpid(p, &st, WUNTRACED);
        CHECK_EQ("SIGTERM to a stopped child", kill(p, SIGTERM), 0);
        sleep_ms(100);
        CHECK_EQ("  it stays stopped", waitpid(p, &st, WNOHANG), 0);
        kill(p, SIGCONT);
        st = reap(p);
        CHECK("  and dies of SIGTERM once continued", killed_by(st, SIGTERM));
        close(gate[1]);

        /* a SIGCONT handler runs when a stopped child continues */
        int pp[2];
        pipe(pp);
        p = fork();
        if (p == 0) {
            signal(SIGCONT, on_cont);
            close(pp[0]);
            write(pp[1], "r", 1);
            while (cont_count == 0)
                pause();
            write(pp[1], "c", 1);
            _exit(0);
        }
        close(pp[1]);
        char c;
        read(pp[0], &c, 1);
        setpgid(p, p);
        kill(p, SIGSTOP);
        waitpid(p, &st, WUNTRACED);
        kill(p, SIGCONT);
        CHECK_EQ("SIGCONT handler ran in the continued child", read(pp[0], &c, 1) == 1 && c == 'c',
                 1);
        CHECK("  child exited 0", exited_with(reap(p), 0));
        close(pp[0]);
    }

    /* --- an orphaned process group: stop signals from the keyboard are discarded --- */
    {
        int req[2], rep[2];
        pipe(req);
        pipe(rep);
        pid_t p = fork();
        if (p == 0) {
            close(req[1]);
            close(rep[0]);
            char c;
            ssize_t r;
            while ((r = read(req[0], &c, 1)) != 0) {
                if (r == 1)
                    write(rep[1], &c, 1);
            }
            _exit(0);
        }
        close(req[0]);
        close(rep[1]);
        /* the child stays in our group, which no parent in this session outside it owns */
        struct pollfd pf = {rep[0], POLLIN, 0};
        char c;
        kill(p, SIGTSTP);
        write(req[1], "a", 1);
        CHECK("SIGTSTP in an orphaned group is discarded: child still answers",
              poll(&pf, 1, 3000) == 1 && read(rep[0], &c, 1) == 1);
        CHECK_EQ("  not reported as stopped", waitpid(p, &st, WNOHANG | WUNTRACED), 0);
        kill(p, SIGTTOU);
        write(req[1], "b", 1);
        CHECK("SIGTTOU too", poll(&pf, 1, 3000) == 1 && read(rep[0], &c, 1) == 1);
        kill(p, SIGSTOP);
        CHECK_EQ("SIGSTOP still stops it", wait_for(p, &st, WUNTRACED, 5000), p);
        CHECK("  WSTOPSIG SIGSTOP", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
        kill(p, SIGCONT);
        close(req[1]);
        st = 0;
        CHECK_EQ("  then continues and exits", wait_for(p, &st, 0, 5000), p);
        CHECK("  with status 0", exited_with(st, 0));
        kill(p, SIGKILL); /* in case the checks above failed */
        waitpid(p, &st, 0);
        close(rep[0]);
    }

    return t_done();
}
