// Signals within one process: rt_sigaction (install, query, flags), rt_sigprocmask and
// pending signals, kill/tgkill/sigqueue siginfo, sigsuspend, sigtimedwait, real-time signal
// queueing, sigaltstack with SA_ONSTACK, synchronous faults (SIGSEGV, SIGFPE, SIGILL, SIGTRAP)
// with their siginfo, handlers that edit the interrupted registers through ucontext,
// EINTR and SA_RESTART with an interval timer, and SIGPIPE ignored -> EPIPE.
#include "t.h"
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include <ucontext.h>

static volatile sig_atomic_t count[65];
static volatile sig_atomic_t last_signo, last_code, last_pid, last_uid, last_value;
static volatile sig_atomic_t mask_had_self, mask_had_usr2;
static char order[64];
static volatile sig_atomic_t order_len;

static void note(char c)
{
    if (order_len < (sig_atomic_t)sizeof(order) - 1)
        order[order_len++] = c;
}

/* Records what arrived and which signals were blocked while the handler ran. */
static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    sigset_t cur;
    count[sig]++;
    last_signo = si->si_signo;
    last_code = si->si_code;
    last_pid = si->si_pid;
    last_uid = si->si_uid;
    last_value = si->si_value.sival_int;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    mask_had_self = sigismember(&cur, sig);
    mask_had_usr2 = sigismember(&cur, SIGUSR2);
    note(sig == SIGUSR1 ? '1' : sig == SIGUSR2 ? '2' : 'x');
}

static void on_plain(int sig)
{
    count[sig]++;
    note(sig == SIGUSR1 ? '1' : sig == SIGUSR2 ? '2' : 'p');
}

/* A SIGUSR1 handler that raises SIGUSR2 from inside itself. */
static void on_nesting(int sig)
{
    note('<');
    count[sig]++;
    raise(SIGUSR2);
    note('>');
}

static int install(int sig, void (*info)(int, siginfo_t *, void *), void (*plain)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    if (info) {
        sa.sa_sigaction = info;
        flags |= SA_SIGINFO;
    } else {
        sa.sa_handler = plain;
    }
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

static void reset_counts(void)
{
    memset((void *)count, 0, sizeof(count));
    order_len = 0;
    memset(order, 0, sizeof(order));
}

/* --- faults --- */
static sigjmp_buf jb;
static volatile sig_atomic_t fault_sig, fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = si->si_addr;
    siglongjmp(jb, 1);
}

/* For SIGILL: skip the 2-byte ud2 and set rax to a marker, then return normally. */
static void on_ill_skip(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_RIP] += 2;
    uc->uc_mcontext.gregs[REG_RAX] = 0x1234;
}

static volatile sig_atomic_t trap_seen;
static void on_trap(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    trap_seen = si->si_code == SI_KERNEL ? 1 : 2;
}

/* --- alternate stack --- */
static char alt_stack[65536];
static volatile sig_atomic_t on_alt, ss_onstack_flag;

static void on_altcheck(int sig)
{
    char local;
    stack_t cur;
    (void)sig;
    on_alt = &local >= alt_stack && &local < alt_stack + sizeof(alt_stack);
    ss_onstack_flag = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK);
}

/* --- timers --- */
static int wake_pipe[2];
static void on_alarm_write(int sig)
{
    count[sig]++;
    char c = 'w';
    ssize_t r = write(wake_pipe[1], &c, 1);
    (void)r;
}

int main(void)
{
    struct sigaction sa, old;
    sigset_t set, pend, cur;
    pid_t pid = getpid();

    /* --- rt_sigaction: install and query --- */
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    CHECK_EQ("sigaction install", sigaction(SIGUSR1, &sa, &old), 0);
    CHECK("old action was SIG_DFL", old.sa_handler == SIG_DFL);
    CHECK_EQ("sigaction query", sigaction(SIGUSR1, NULL, &old), 0);
    CHECK("queried handler", old.sa_sigaction == on_info);
    CHECK("queried flags", (old.sa_flags & (SA_SIGINFO | SA_RESTART)) == (SA_SIGINFO | SA_RESTART));
    CHECK("queried mask", sigismember(&old.sa_mask, SIGUSR2) == 1);
    CHECK_ERR("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERR("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    CHECK_EQ("query SIGKILL allowed", sigaction(SIGKILL, NULL, &old), 0);
    CHECK_ERR("sigaction signal 0", sigaction(0, &sa, NULL), EINVAL);
    CHECK_ERR("sigaction signal 65", sigaction(65, &sa, NULL), EINVAL);
    CHECK_ERR("rt_sigaction bad sigsetsize", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4),
              EINVAL);
    CHECK_ERR("rt_sigaction bad pointer", syscall(SYS_rt_sigaction, SIGUSR1, BADPTR, NULL, 8),
              EFAULT);

    /* --- delivery and siginfo --- */
    reset_counts();
    CHECK_EQ("raise SIGUSR1", raise(SIGUSR1), 0);
    CHECK_EQ("handler ran once", count[SIGUSR1], 1);
    CHECK_EQ("si_signo", last_signo, SIGUSR1);
    CHECK_EQ("raise gives SI_TKILL", last_code, SI_TKILL);
    CHECK_EQ("signal blocked in its own handler", mask_had_self, 1);
    CHECK_EQ("sa_mask blocked in handler", mask_had_usr2, 1);
    CHECK_EQ("kill self", kill(pid, SIGUSR1), 0);
    CHECK_EQ("kill delivered", count[SIGUSR1], 2);
    CHECK_EQ("kill gives SI_USER", last_code, SI_USER);
    CHECK_EQ("kill si_pid", last_pid, pid);
    CHECK_EQ("kill si_uid", last_uid, (sig_atomic_t)getuid());
    union sigval v = {.sival_int = 1234};
    CHECK_EQ("sigqueue", sigqueue(pid, SIGUSR1, v), 0);
    CHECK_EQ("sigqueue gives SI_QUEUE", last_code, SI_QUEUE);
    CHECK_EQ("sigqueue value", last_value, 1234);
    CHECK_EQ("tgkill", syscall(SYS_tgkill, pid, syscall(SYS_gettid), SIGUSR1), 0);
    CHECK_EQ("tgkill delivered", count[SIGUSR1], 4);
    CHECK_EQ("kill signal 0 probes", kill(pid, 0), 0);
    CHECK_ERR("kill bad signal", kill(pid, 999), EINVAL);
    CHECK_ERR("kill missing pid", kill(0x3ffffff0, SIGUSR1), ESRCH);
    CHECK_ERR("tgkill wrong tgid", syscall(SYS_tgkill, 0x3ffffff0, pid, SIGUSR1), ESRCH);

    /* default-ignored and explicitly ignored signals do nothing */
    CHECK_EQ("raise SIGCHLD (default ignore)", raise(SIGCHLD), 0);
    CHECK_EQ("raise SIGURG (default ignore)", raise(SIGURG), 0);
    CHECK_EQ("raise SIGWINCH (default ignore)", raise(SIGWINCH), 0);
    signal(SIGUSR2, SIG_IGN);
    CHECK_EQ("raise ignored SIGUSR2", raise(SIGUSR2), 0);
    CHECK("signal() returns previous", signal(SIGUSR2, SIG_DFL) == SIG_IGN);

    /* --- masks and pending signals --- */
    reset_counts();
    install(SIGUSR2, NULL, on_plain, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK_EQ("block SIGUSR2", sigprocmask(SIG_BLOCK, &set, NULL), 0);
    CHECK_EQ("raise blocked SIGUSR2", raise(SIGUSR2), 0);
    CHECK_EQ("blocked signal not delivered", count[SIGUSR2], 0);
    CHECK_EQ("sigpending", sigpending(&pend), 0);
    CHECK_EQ("SIGUSR2 pending", sigismember(&pend, SIGUSR2), 1);
    CHECK_EQ("SIGUSR1 not pending", sigismember(&pend, SIGUSR1), 0);
    raise(SIGUSR2); /* a standard signal does not queue twice */
    CHECK_EQ("unblock", sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
    CHECK_EQ("delivered on unblock, once", count[SIGUSR2], 1);
    CHECK_EQ("nothing pending now", (sigpending(&pend), sigismember(&pend, SIGUSR2)), 0);
    /* real-time signals queue */
    int rt = SIGRTMIN + 1;
    install(rt, on_info, NULL, 0);
    sigemptyset(&set);
    sigaddset(&set, rt);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; i < 3; i++)
        sigqueue(pid, rt, (union sigval){.sival_int = i});
    CHECK_EQ("rt signals wait while blocked", count[rt], 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    CHECK_EQ("rt signals all delivered", count[rt], 3);
    CHECK_EQ("rt signals in order (last value)", last_value, 2);
    /* SIGKILL and SIGSTOP cannot be blocked */
    sigfillset(&set);
    sigprocmask(SIG_SETMASK, &set, &cur);
    sigprocmask(SIG_SETMASK, &cur, &set);
    CHECK_EQ("SIGKILL never blocked", sigismember(&set, SIGKILL), 0);
    CHECK_EQ("SIGSTOP never blocked", sigismember(&set, SIGSTOP), 0);
    CHECK_EQ("SIGUSR1 was blockable", sigismember(&set, SIGUSR1), 1);
    CHECK_ERR("rt_sigprocmask bad how", syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
    CHECK_ERR("rt_sigprocmask bad size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4),
              EINVAL);
    CHECK_ERR("rt_sigprocmask bad pointer", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BADPTR, NULL, 8),
              EFAULT);

    /* --- sigsuspend --- */
    reset_counts();
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    sigemptyset(&cur);
    CHECK_ERR("sigsuspend returns EINTR", sigsuspend(&cur), EINTR);
    CHECK_EQ("sigsuspend ran handler", count[SIGUSR1], 1);
    CHECK_EQ("mask restored after sigsuspend",
             (sigprocmask(SIG_BLOCK, NULL, &cur), sigismember(&cur, SIGUSR1)), 1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* --- sigtimedwait --- */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    siginfo_t si;
    struct timespec zero = {0, 0};
    CHECK_EQ("sigtimedwait takes pending", sigtimedwait(&set, &si, &zero), SIGUSR2);
    CHECK_EQ("sigtimedwait siginfo", si.si_signo, SIGUSR2);
    CHECK_EQ("handler not run for waited signal", count[SIGUSR2], 0);
    CHECK_ERR("sigtimedwait nothing pending", sigtimedwait(&set, &si, &zero), EAGAIN);
    struct timespec ten_ms = {0, 10000000};
    long long t0 = t_now_us();
    CHECK_ERR("sigtimedwait times out", sigtimedwait(&set, &si, &ten_ms), EAGAIN);
    CHECK("waited >= 10ms", t_now_us() - t0 >= 10000);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* --- SA_RESETHAND, SA_NODEFER, nesting --- */
    reset_counts();
    install(SIGUSR1, on_info, NULL, SA_RESETHAND | SA_NODEFER);
    raise(SIGUSR1);
    CHECK_EQ("SA_RESETHAND handler ran", count[SIGUSR1], 1);
    CHECK_EQ("SA_NODEFER leaves signal unblocked", mask_had_self, 0);
    CHECK("SA_RESETHAND reset to SIG_DFL",
          sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == SIG_DFL);
    reset_counts();
    install(SIGUSR1, NULL, on_nesting, 0);
    install(SIGUSR2, NULL, on_plain, 0);
    raise(SIGUSR1);
    CHECK("nested handler order", strcmp(order, "<2>") == 0);

    /* --- sigaltstack --- */
    stack_t ss, oss;
    CHECK_EQ("sigaltstack query", sigaltstack(NULL, &oss), 0);
    CHECK("initially disabled", (oss.ss_flags & SS_DISABLE) != 0);
    ss.ss_sp = alt_stack;
    ss.ss_size = 1024;
    ss.ss_flags = 0;
    CHECK_ERR("sigaltstack too small", sigaltstack(&ss, NULL), ENOMEM);
    ss.ss_size = sizeof(alt_stack);
    ss.ss_flags = 0x1234;
    CHECK_ERR("sigaltstack bad flags", sigaltstack(&ss, NULL), EINVAL);
    ss.ss_flags = 0;
    CHECK_EQ("sigaltstack set", sigaltstack(&ss, NULL), 0);
    CHECK("sigaltstack readback", sigaltstack(NULL, &oss) == 0 && oss.ss_sp == alt_stack &&
                                      oss.ss_size == sizeof(alt_stack) && oss.ss_flags == 0);
    install(SIGUSR2, NULL, on_altcheck, SA_ONSTACK);
    raise(SIGUSR2);
    CHECK_EQ("SA_ONSTACK handler on alt stack", on_alt, 1);
    CHECK_EQ("SS_ONSTACK inside handler", ss_onstack_flag, 1);
    install(SIGUSR2, NULL, on_altcheck, 0);
    raise(SIGUSR2);
    CHECK_EQ("handler without SA_ONSTACK on normal stack", on_alt, 0);
    CHECK("not on alt stack outside handlers",
          sigaltstack(NULL, &oss) == 0 && !(oss.ss_flags & SS_ONSTACK));
    ss.ss_flags = SS_DISABLE;
    CHECK_EQ("sigaltstack disable", sigaltstack(&ss, NULL), 0);

    /* --- synchronous faults --- */
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);

    fault_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        *(volatile int *)BADPTR = 0;
    CHECK_EQ("write to low address -> SIGSEGV", fault_sig, SIGSEGV);
    CHECK_EQ("SEGV_MAPERR", fault_code, SEGV_MAPERR);
    CHECK("si_addr is the faulting address", fault_addr == BADPTR);
    volatile int *nullp = NULL;
    fault_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        *nullp = 1;
    CHECK_EQ("null write -> SIGSEGV", fault_sig, SIGSEGV);
    CHECK_EQ("null write SEGV_MAPERR", fault_code, SEGV_MAPERR);
    CHECK("null write si_addr == 0", fault_addr == NULL);
    fault_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        *(volatile char *)(uintptr_t)main = 0; /* code is read-only */
    CHECK_EQ("write to code -> SIGSEGV", fault_sig, SIGSEGV);
    CHECK_EQ("write to code SEGV_ACCERR", fault_code, SEGV_ACCERR);
    CHECK("mask restored by siglongjmp",
          sigprocmask(SIG_BLOCK, NULL, &cur) == 0 && !sigismember(&cur, SIGSEGV));

    volatile int zero_div = 0, num = 7;
    fault_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        num = num / zero_div;
    CHECK_EQ("divide by zero -> SIGFPE", fault_sig, SIGFPE);
    CHECK_EQ("FPE_INTDIV", fault_code, FPE_INTDIV);
    volatile int minint = INT_MIN, minus1 = -1;
    fault_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        num = minint / minus1;
    CHECK_EQ("INT_MIN / -1 -> SIGFPE", fault_sig, SIGFPE);

    fault_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        __asm__ volatile("ud2");
    CHECK_EQ("ud2 -> SIGILL", fault_sig, SIGILL);
    CHECK_EQ("ILL_ILLOPN", fault_code, ILL_ILLOPN);
    CHECK("SIGILL si_addr set", fault_addr != NULL);

    /* a handler that edits the interrupted registers and returns */
    install(SIGILL, on_ill_skip, NULL, 0);
    unsigned long rax = 0;
    __asm__ volatile("xor %%eax, %%eax\n\tud2\n\tmov %%rax, %0" : "=r"(rax) : : "rax");
    CHECK_EQ("handler moved RIP past ud2 and set RAX", rax, 0x1234);

    install(SIGTRAP, on_trap, NULL, 0);
    __asm__ volatile("int3");
    CHECK_EQ("int3 -> SIGTRAP with SI_KERNEL, execution continues", trap_seen, 1);

    /* --- EINTR and SA_RESTART with an interval timer --- */
    reset_counts();
    CHECK_EQ("pipe", pipe(wake_pipe), 0);
    char c;
    /* (the blocking calls below are skipped when the timer cannot be armed, so that a
     * missing timer fails these checks instead of hanging the program) */
    install(SIGALRM, NULL, on_alarm_write, 0); /* no SA_RESTART */
    struct itimerval it = {{0, 0}, {0, 30000}};
    int armed = setitimer(ITIMER_REAL, &it, NULL) == 0;
    CHECK("setitimer", armed);
    CHECK_ERR("read interrupted -> EINTR", armed ? read(wake_pipe[0], &c, 1) : 0, EINTR);
    CHECK_EQ("alarm handler ran", count[SIGALRM], 1);
    CHECK_EQ("drain", armed ? read(wake_pipe[0], &c, 1) : 0, 1);
    install(SIGALRM, NULL, on_alarm_write, SA_RESTART);
    armed = setitimer(ITIMER_REAL, &it, NULL) == 0;
    CHECK("setitimer again", armed);
    CHECK_EQ("read restarted and got the byte", armed ? read(wake_pipe[0], &c, 1) : 0, 1);
    CHECK_EQ("alarm handler ran again", count[SIGALRM], 2);
    struct itimerval big = {{0, 0}, {100, 0}}, got;
    setitimer(ITIMER_REAL, &big, NULL);
    CHECK("getitimer remaining", getitimer(ITIMER_REAL, &got) == 0 && got.it_value.tv_sec <= 100 &&
                                     got.it_value.tv_sec >= 98);
    CHECK_EQ("alarm cancels and returns remaining", syscall(SYS_alarm, 0), 100);
    install(SIGALRM, NULL, on_alarm_write, 0);
    armed = syscall(SYS_alarm, 1) == 0;
    CHECK("alarm 1", armed);
    CHECK_ERR("pause returns EINTR", armed ? pause() : 0, EINTR);
    CHECK_EQ("alarm delivered", count[SIGALRM], 3);

    /* --- SIGPIPE ignored: writing to a pipe without readers gives EPIPE --- */
    int p[2];
    signal(SIGPIPE, SIG_IGN);
    CHECK_EQ("pipe 2", pipe(p), 0);
    close(p[0]);
    CHECK_ERR("write without reader -> EPIPE", write(p[1], "x", 1), EPIPE);
    close(p[1]);

    return t_done();
}
