// Processes: fork (return values, ids, copied memory), wait4/waitpid (blocking, WNOHANG,
// by pid, by process group, any child), every exit code 0..255, the status macros for
// exits and signal deaths, waitid (P_PID, P_PGID, P_ALL, WEXITED, WNOWAIT, WNOHANG and its
// siginfo), ECHILD without children, zombies (kill(pid, 0) works until reaped), orphans
// (a grandchild whose parent exits gets a new parent), sessions and process groups
// (setsid, setpgid errors), and a bounded burst of 50 children.
#include "t.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

/* Forks a child that immediately exits with code; returns its pid (or -1). */
static pid_t spawn_exit(int code)
{
    pid_t p = fork();
    if (p == 0)
        _exit(code);
    return p;
}

/* Forks a child that blocks reading *gate (the read end of a pipe) and exits with code
 * once the pipe has data or EOF. The caller closes the write end to release it. */
static pid_t spawn_gated(int gate[2], int code)
{
    if (pipe(gate) != 0)
        return -1;
    pid_t p = fork();
    if (p == 0) {
        char c;
        close(gate[1]);
        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(code);
    }
    close(gate[0]);
    return p;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int global_counter = 10;

int main(void)
{
    pid_t self = getpid();
    int st, gate[2];

    /* --- no children yet --- */
    CHECK_ERR("wait without children: ECHILD", wait(&st), ECHILD);
    CHECK_ERR("waitpid(-1, WNOHANG) without children: ECHILD", waitpid(-1, &st, WNOHANG), ECHILD);
    {
        siginfo_t si;
        CHECK_ERR("waitid P_ALL without children: ECHILD", waitid(P_ALL, 0, &si, WEXITED), ECHILD);
    }
    CHECK_ERR("waitpid(self): ECHILD", waitpid(self, &st, 0), ECHILD);
    CHECK_ERR("waitpid(non-child): ECHILD", waitpid(self == 1 ? 2 : 1, &st, WNOHANG), ECHILD);
    CHECK_ERR("waitpid bad options: EINVAL", waitpid(-1, &st, 0x10000), EINVAL);
    {
        siginfo_t si;
        CHECK_ERR("waitid without WEXITED etc: EINVAL", waitid(P_ALL, 0, &si, 0), EINVAL);
        CHECK_ERR("waitid bad idtype: EINVAL", waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);
    }

    /* --- fork basics --- */
    {
        int p2c[2], c2p[2];
        pipe(p2c);
        pipe(c2p);
        pid_t p = fork();
        if (p == 0) {
            /* report facts as one byte each: 1 = true */
            char r[5];
            r[0] = getpid() != self;
            r[1] = getppid() == self;
            r[2] = global_counter == 10;
            global_counter = 99;
            r[3] = syscall(SYS_gettid) == getpid();
            r[4] = getpgrp() == getpgid(self);
            write(c2p[1], r, sizeof(r));
            char c;
            read(p2c[0], &c, 1); /* wait until the parent has checked its copy */
            _exit(global_counter == 99 ? 0 : 1);
        }
        CHECK("fork returns a pid in the parent", p > 0);
        CHECK("child pid differs from parent", p != self);
        char r[5] = {0};
        CHECK_EQ("read child's report", read(c2p[0], r, sizeof(r)), 5);
        CHECK("child: getpid differs from parent", r[0]);
        CHECK("child: getppid is the parent", r[1]);
        CHECK("child: sees the parent's memory", r[2]);
        CHECK("child: gettid == getpid", r[3]);
        CHECK("child: same process group", r[4]);
        CHECK_EQ("parent's copy unchanged by child's write", global_counter, 10);
        write(p2c[1], "x", 1);
        st = reap(p);
        CHECK("child exited 0", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(p2c[0]);
        close(p2c[1]);
        close(c2p[0]);
        close(c2p[1]);
    }

    /* --- WNOHANG on a running child, then blocking wait --- */
    {
        pid_t p = spawn_gated(gate, 5);
        CHECK_EQ("WNOHANG on a running child returns 0", waitpid(p, &st, WNOHANG), 0);
        CHECK_EQ("WNOHANG -1 on a running child returns 0", waitpid(-1, &st, WNOHANG), 0);
        siginfo_t si;
        memset(&si, 0x55, sizeof(si));
        CHECK_EQ("waitid WNOHANG on a running child returns 0",
                 waitid(P_PID, p, &si, WEXITED | WNOHANG), 0);
        CHECK_EQ("waitid WNOHANG: si_pid zeroed", si.si_pid, 0);
        CHECK_EQ("waitid WNOHANG: si_signo zeroed", si.si_signo, 0);
        close(gate[1]);
        st = 0;
        CHECK_EQ("blocking waitpid returns the pid", waitpid(p, &st, 0), p);
        CHECK("WIFEXITED", WIFEXITED(st));
        CHECK("!WIFSIGNALED", !WIFSIGNALED(st));
        CHECK("!WIFSTOPPED", !WIFSTOPPED(st));
        CHECK_EQ("WEXITSTATUS == 5", WEXITSTATUS(st), 5);
        CHECK_ERR("waitpid again: ECHILD", waitpid(p, &st, 0), ECHILD);
    }

    /* --- every exit code 0..255, 16 children at a time --- */
    {
        int bad = 0;
        for (int base = 0; base < 256; base += 16) {
            pid_t pids[16];
            for (int i = 0; i < 16; i++)
                pids[i] = spawn_exit(base + i);
            for (int i = 15; i >= 0; i--) { /* reap in reverse order */
                st = reap(pids[i]);
                if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != base + i) {
                    if (!bad)
                        printf("exit code %d: got status %#x\n", base + i, st);
                    bad++;
                }
            }
        }
        CHECK("exit codes 0..255 all seen by waitpid", bad == 0);
        st = 0;
        pid_t p = spawn_exit(256 + 7);
        waitpid(p, &st, 0);
        CHECK_EQ("exit code is taken modulo 256", WEXITSTATUS(st), 7);
        p = spawn_exit(-1);
        waitpid(p, &st, 0);
        CHECK_EQ("exit(-1) is 255", WEXITSTATUS(st), 255);
    }

    /* --- exit from main and via exit() flush stdio and run atexit --- */
    {
        int pp[2];
        pipe(pp);
        pid_t p = fork();
        if (p == 0) {
            close(pp[0]);
            dup2(pp[1], 1);
            printf("buffered in child"); /* no newline: only exit() flushes it */
            printf(" and more");
            exit(3);
        }
        close(pp[1]);
        char buf[64] = {0};
        size_t got = 0;
        ssize_t r;
        while ((r = read(pp[0], buf + got, sizeof(buf) - 1 - got)) > 0)
            got += r;
        close(pp[0]);
        CHECK("exit() flushed the child's stdio", strcmp(buf, "buffered in child and more") == 0);
        st = reap(p);
        CHECK("child exit(3) status", WIFEXITED(st) && WEXITSTATUS(st) == 3);
    }

    /* --- deaths by signal --- */
    {
        static const int sigs[] = {SIGKILL, SIGTERM, SIGUSR1, SIGSEGV, SIGABRT, SIGINT};
        static const char *names[] = {"SIGKILL", "SIGTERM", "SIGUSR1",
                                      "SIGSEGV", "SIGABRT", "SIGINT"};
        for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
            pid_t p = fork();
            if (p == 0) {
                signal(sigs[i], SIG_DFL);
                if (sigs[i] == SIGSEGV)
                    *(volatile int *)BADPTR = 1;
                else if (sigs[i] == SIGABRT)
                    abort();
                else
                    raise(sigs[i]);
                _exit(100);
            }
            st = reap(p);
            char name[64];
            snprintf(name, sizeof(name), "killed by %s: WIFSIGNALED, WTERMSIG", names[i]);
            CHECK(name, st >= 0 && WIFSIGNALED(st) && !WIFEXITED(st) && WTERMSIG(st) == sigs[i]);
        }
        /* killed by the parent while blocked */
        pid_t p = spawn_gated(gate, 0);
        CHECK_EQ("kill(child, SIGTERM)", kill(p, SIGTERM), 0);
        st = reap(p);
        CHECK("parent's SIGTERM: WTERMSIG", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
        close(gate[1]);
    }

    /* --- waitid --- */
    {
        siginfo_t si;
        pid_t p = spawn_exit(42);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid P_PID WEXITED|WNOWAIT", waitid(P_PID, p, &si, WEXITED | WNOWAIT), 0);
        CHECK_EQ("  si_pid", si.si_pid, p);
        CHECK_EQ("  si_signo SIGCHLD", si.si_signo, SIGCHLD);
        CHECK_EQ("  si_code CLD_EXITED", si.si_code, CLD_EXITED);
        CHECK_EQ("  si_status 42", si.si_status, 42);
        CHECK("  si_uid is ours", si.si_uid == getuid());
        CHECK_EQ("zombie still there after WNOWAIT: kill(pid, 0)", kill(p, 0), 0);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid WNOWAIT again sees it", waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0);
        CHECK_EQ("  same si_pid", si.si_pid, p);
        st = 0;
        CHECK_EQ("wait4 reaps it", wait4(p, &st, 0, NULL), p);
        CHECK_EQ("  status 42", WEXITSTATUS(st), 42);
        CHECK_ERR("then waitid P_PID: ECHILD", waitid(P_PID, p, &si, WEXITED), ECHILD);

        /* killed child through waitid */
        p = spawn_gated(gate, 0);
        kill(p, SIGKILL);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid on a killed child", waitid(P_PID, p, &si, WEXITED), 0);
        CHECK_EQ("  si_code CLD_KILLED", si.si_code, CLD_KILLED);
        CHECK_EQ("  si_status SIGKILL", si.si_status, SIGKILL);
        close(gate[1]);

        /* P_PGID: a child in its own group, and one in ours */
        int g1[2], g2[2];
        pid_t a = spawn_gated(g1, 11);
        pid_t b = spawn_gated(g2, 12);
        CHECK_EQ("setpgid(a, a)", setpgid(a, a), 0);
        CHECK_EQ("getpgid(a) == a", getpgid(a), a);
        close(g1[1]);
        close(g2[1]);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid P_PGID a's group", waitid(P_PGID, a, &si, WEXITED), 0);
        CHECK_EQ("  found a", si.si_pid, a);
        CHECK_EQ("  status 11", si.si_status, 11);
        CHECK_ERR("waitid P_PGID a's group again: ECHILD", waitid(P_PGID, a, &si, WEXITED), ECHILD);
        memset(&si, 0, sizeof(si));
        CHECK_EQ("waitid P_PGID 0 (our group)", waitid(P_PGID, 0, &si, WEXITED), 0);
        CHECK_EQ("  found b", si.si_pid, b);
        CHECK_EQ("  status 12", si.si_status, 12);

        /* waitpid(-pgid) and waitpid(0) */
        a = spawn_gated(g1, 21);
        b = spawn_gated(g2, 22);
        setpgid(a, a);
        close(g1[1]);
        close(g2[1]);
        st = 0;
        CHECK_EQ("waitpid(-pgid) finds the group's child", waitpid(-a, &st, 0), a);
        CHECK_EQ("  status 21", WEXITSTATUS(st), 21);
        CHECK_EQ("waitpid(0) finds the child in our group", waitpid(0, &st, 0), b);
        CHECK_EQ("  status 22", WEXITSTATUS(st), 22);

        /* P_ALL picks whichever exited; both get reaped */
        a = spawn_exit(1);
        b = spawn_exit(2);
        int seen = 0;
        for (int i = 0; i < 2; i++) {
            memset(&si, 0, sizeof(si));
            if (waitid(P_ALL, 0, &si, WEXITED) == 0)
                seen |= (si.si_pid == a && si.si_status == 1)   ? 1
                        : (si.si_pid == b && si.si_status == 2) ? 2
                                                                : 4;
        }
        CHECK_EQ("waitid P_ALL reaps both children", seen, 3);

        /* rusage from wait4 is accepted (values not checked) */
        struct rusage ru;
        p = spawn_exit(0);
        CHECK_EQ("wait4 with rusage", wait4(p, &st, 0, &ru), p);
        CHECK_ERR("wait4 rusage EFAULT", (p = spawn_exit(0), wait4(p, &st, 0, BADPTR)), EFAULT);
        reap(p);
    }

    /* --- zombies --- */
    {
        pid_t p = spawn_exit(9);
        siginfo_t si;
        /* wait until it has exited, without reaping it */
        waitid(P_PID, p, &si, WEXITED | WNOWAIT);
        CHECK_EQ("kill(zombie, 0) succeeds", kill(p, 0), 0);
        CHECK_EQ("kill(zombie, SIGKILL) succeeds", kill(p, SIGKILL), 0);
        CHECK_EQ("getpgid(zombie) works", getpgid(p), getpgrp());
        st = reap(p);
        CHECK("zombie keeps its exit status despite SIGKILL",
              WIFEXITED(st) && WEXITSTATUS(st) == 9);
        CHECK_ERR("kill(reaped, 0): ESRCH", kill(p, 0), ESRCH);
        CHECK_ERR("getpgid(reaped): ESRCH", getpgid(p), ESRCH);
    }

    /* --- orphans: the grandchild's parent changes when its parent exits. Natively the
     * orphan would go to the host's init or a subreaper; this process makes itself a
     * subreaper so that it gets the orphan, as the sandbox's pid 1 does in husk. The
     * prctl's result is not printed: in husk this process is pid 1 anyway. --- */
    {
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        int res[2], go[2], ready[2];
        pipe(res);
        pipe(go);
        pipe(ready);
        pid_t c = fork();
        if (c == 0) {
            pid_t mine = getpid();
            pid_t g = fork();
            if (g == 0) {
                char r[3] = {0};
                r[0] = getppid() == mine;
                write(ready[1], "r", 1); /* now the middle process may exit */
                char ch;
                close(go[1]);
                read(go[0], &ch, 1); /* EOF: the middle process is gone (and the parent
                                        closed its end) */
                /* the reparenting happens during the parent's exit: allow it a moment */
                for (int i = 0; i < 500 && getppid() == mine; i++)
                    sleep_ms(10);
                r[1] = getppid() != mine;
                r[2] = getppid() == self;
                write(res[1], r, 3);
                _exit(17);
            }
            char ch;
            if (g > 0)
                read(ready[0], &ch, 1);
            _exit(g > 0 ? 0 : 1);
        }
        close(ready[0]);
        close(ready[1]);
        close(go[0]);
        close(res[1]);
        st = reap(c);
        CHECK("middle process exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(go[1]);
        char r[3] = {0};
        ssize_t n = read(res[0], r, 3);
        CHECK_EQ("grandchild reported", n, 3);
        CHECK("grandchild first had the middle process as parent", r[0]);
        CHECK("ppid changed", r[1]);
        CHECK("new parent is the subreaper (pid 1 in husk)", r[2]);
        close(res[0]);
        st = 0;
        pid_t g = waitpid(-1, &st, 0);
        CHECK("the orphan is reaped by its new parent", g > 0 && g != c);
        CHECK("  with its exit status", WIFEXITED(st) && WEXITSTATUS(st) == 17);
        CHECK_ERR("no more children: ECHILD", waitpid(-1, &st, WNOHANG), ECHILD);
    }

    /* --- sessions and process groups --- */
    {
        CHECK_ERR("setsid as a group leader: EPERM", setsid(), EPERM);
        int res[2], g[2];
        pipe(res);
        pipe(g);
        pid_t p = fork();
        if (p == 0) {
            char r[6];
            close(g[1]);
            r[0] = getsid(0) == getsid(getppid());
            pid_t s = setsid();
            r[1] = s == getpid();
            r[2] = getsid(0) == getpid();
            r[3] = getpgrp() == getpid();
            r[4] = setsid() == -1 && errno == EPERM;
            r[5] = setpgid(0, getpgid(getppid())) == -1 && errno == EPERM;
            write(res[1], r, sizeof(r));
            char c;
            read(g[0], &c, 1);
            _exit(0);
        }
        close(g[0]);
        char r[6] = {0};
        CHECK_EQ("child in a new session reported", read(res[0], r, sizeof(r)), 6);
        CHECK("child started in our session", r[0]);
        CHECK("setsid returns the child's pid", r[1]);
        CHECK("getsid == pid after setsid", r[2]);
        CHECK("getpgrp == pid after setsid", r[3]);
        CHECK("setsid again: EPERM", r[4]);
        CHECK("setpgid into another session's group: EPERM", r[5]);
        CHECK_ERR("parent: setpgid on a child in another session: EPERM", setpgid(p, p), EPERM);
        CHECK_EQ("parent: getsid(child) == child", getsid(p), p);
        close(g[1]);
        reap(p);
        close(res[0]);
        close(res[1]);
        CHECK_ERR("setpgid on a non-child: ESRCH", setpgid(p, p), ESRCH);
        CHECK_ERR("setpgid negative pgid: EINVAL", setpgid(0, -1), EINVAL);
    }

    /* --- a bounded burst: 50 children that exit at once, all reaped --- */
    {
        int started = 0, reaped = 0, ok = 1;
        for (int i = 0; i < 50; i++)
            if (spawn_exit(i % 7) > 0)
                started++;
        while ((waitpid(-1, &st, 0)) > 0) {
            reaped++;
            if (!WIFEXITED(st) || WEXITSTATUS(st) > 6)
                ok = 0;
        }
        CHECK_EQ("50 children started", started, 50);
        CHECK_EQ("50 children reaped", reaped, 50);
        CHECK("all exited normally", ok);
        CHECK_ERR("then ECHILD", wait(&st), ECHILD);
    }

    return t_done();
}
