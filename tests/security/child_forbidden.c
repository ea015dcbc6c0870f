// The checks of forbidden_syscalls.c and gate_forbidden.c, in other processes than the
// sandbox's first: host-level system calls issued with a raw `syscall` instruction must
// fail with ENOSYS or EPERM in a forked child and in a child that has exec'd this program
// again; and a child that jumps to husk's host gate with a forbidden syscall (ptrace) must
// be killed by SIGSYS, both right after fork and after an exec, with its parent (the first
// process) seeing that death through waitpid (WIFSIGNALED, WTERMSIG == SIGSYS) and going on.
// The runner passes the gate address (hex) as the last argument (husk-gate-arg).
// husk-gate-arg
// expect-status: 0
// expect-stdout: child: all denied
// expect-stdout: parent: child exited 0
// expect-stdout: after exec: all denied
// expect-stdout: after exec: calling the gate with ptrace
// expect-stdout: parent: exec'd child killed by SIGSYS
// expect-stdout: gate child: calling the gate with ptrace
// expect-stdout: parent: gate child killed by SIGSYS
// expect-stdout: parent: still alive
#include "../guest/t.h"
#include "hostile.h"
#include <signal.h>
#include <sys/wait.h>

static int allowed;

static void expect_denied(const char *who, const char *name, long ret)
{
    if (ret != -ENOSYS && ret != -EPERM) {
        allowed++;
        printf("%s: %s NOT DENIED (ret=%ld %s)\n", who, name, ret,
               ret < 0 ? t_errname((int)-ret) : "");
    }
}

#define L(x) ((long)(x))

/* The list of forbidden_syscalls.c; prints only what was not denied, then a summary. */
static int forbidden_checks(const char *who)
{
    int dot = open(".", O_RDONLY);
    struct timespec bad_ts = {0, -1};
    struct {
        long sec, usec;
    } bad_tv = {0, -1};

    allowed = 0;
    expect_denied(who, "ptrace", raw6(SYS_ptrace, -1, 0, 0, 0, 0, 0));
    expect_denied(
        who, "mount",
        raw6(SYS_mount, L("none"), L("/nonexistent-husk-test"), L("husk-no-such-fs"), 0, 0, 0));
    expect_denied(who, "umount2", raw6(SYS_umount2, L("/nonexistent-husk-test"), 0, 0, 0, 0, 0));
    expect_denied(who, "reboot", raw6(SYS_reboot, 0, 0, 0, 0, 0, 0));
    expect_denied(who, "kexec_load", raw6(SYS_kexec_load, 0, 0, 0, 0xdead0000L, 0, 0));
    expect_denied(who, "kexec_file_load", raw6(SYS_kexec_file_load, -1, -1, 0, 0, 0xdead0000L, 0));
    expect_denied(who, "bpf", raw6(SYS_bpf, 0x7fff, 0, 0, 0, 0, 0));
    expect_denied(who, "init_module", raw6(SYS_init_module, 0, 0, L(""), 0, 0, 0));
    expect_denied(who, "finit_module", raw6(SYS_finit_module, -1, L(""), 0, 0, 0, 0));
    expect_denied(who, "delete_module",
                  raw6(SYS_delete_module, L("husk_no_such_module"), O_NONBLOCK, 0, 0, 0, 0));
    expect_denied(who, "unshare", raw6(SYS_unshare, 0x10000000L | 0x20000, 0, 0, 0, 0, 0));
    expect_denied(who, "setns", raw6(SYS_setns, dot, 0, 0, 0, 0, 0));
    expect_denied(
        who, "pivot_root",
        raw6(SYS_pivot_root, L("/nonexistent-husk-a"), L("/nonexistent-husk-b"), 0, 0, 0, 0));
    expect_denied(who, "swapon", raw6(SYS_swapon, L("/nonexistent-husk-swap"), 0, 0, 0, 0, 0));
    expect_denied(who, "swapoff", raw6(SYS_swapoff, L("/nonexistent-husk-swap"), 0, 0, 0, 0, 0));
    expect_denied(who, "acct", raw6(SYS_acct, L("/nonexistent-husk-acct"), 0, 0, 0, 0, 0));
    expect_denied(who, "iopl", raw6(SYS_iopl, 0, 0, 0, 0, 0, 0));
    expect_denied(who, "ioperm", raw6(SYS_ioperm, 0, 0, 0, 0, 0, 0));
    expect_denied(who, "perf_event_open", raw6(SYS_perf_event_open, 0, 0, -1, -1, 0, 0));
    expect_denied(who, "open_by_handle_at", raw6(SYS_open_by_handle_at, -1, 0, 0, 0, 0, 0));
    expect_denied(who, "clock_settime", raw6(SYS_clock_settime, 0, L(&bad_ts), 0, 0, 0, 0));
    expect_denied(who, "settimeofday", raw6(SYS_settimeofday, L(&bad_tv), 0, 0, 0, 0, 0));
    if (dot >= 0)
        close(dot);
    if (allowed == 0)
        printf("%s: all denied\n", who);
    fflush(stdout);
    return allowed ? 1 : 0;
}

/* Calls husk's gate with ptrace, as gate_forbidden.c does; returns only if not killed. */
static long call_gate(unsigned long gate)
{
    return gate_call(gate, SYS_ptrace, -1, 0, 0, 0);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* Waits for pid for at most 10 seconds and describes how it ended. */
static void report_child(const char *what, pid_t pid, int want_sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART: the alarm interrupts waitpid */
    sigaction(SIGALRM, &sa, NULL);
    alarm(10);
    int st;
    pid_t r = waitpid(pid, &st, 0);
    int e = errno;
    alarm(0);
    if (r != pid)
        printf("parent: %s not seen by waitpid (ret=%d errno=%s)\n", what, r, t_errname(e));
    else if (WIFSIGNALED(st) && (want_sig == 0 || WTERMSIG(st) == want_sig))
        printf("parent: %s killed by %s\n", what, WTERMSIG(st) == SIGSYS ? "SIGSYS" : "?");
    else if (WIFSIGNALED(st))
        printf("parent: %s killed by signal %d\n", what, WTERMSIG(st));
    else if (WIFEXITED(st))
        printf("parent: %s exited %d\n", what, WEXITSTATUS(st));
    else
        printf("parent: %s status %#x\n", what, st);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--after-exec") == 0) {
        int bad = forbidden_checks("after exec");
        printf("after exec: calling the gate with ptrace\n");
        fflush(stdout);
        long ret = call_gate(strtoul(argv[2], NULL, 16));
        printf("after exec: gate returned %ld: the process was NOT killed\n", ret);
        return bad ? 1 : 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s GATE-ADDRESS-IN-HEX\n", argv[0]);
        return 2;
    }
    unsigned long gate = strtoul(argv[argc - 1], NULL, 16);
    fflush(stdout);

    pid_t p = fork();
    if (p == 0)
        _exit(forbidden_checks("child"));
    report_child("child", p, 0);

    p = fork();
    if (p == 0) {
        char *av[] = {argv[0], "--after-exec", argv[argc - 1], NULL};
        char *env[] = {NULL};
        execve(argv[0], av, env);
        printf("exec failed: %s\n", t_errname(errno));
        _exit(3);
    }
    report_child("exec'd child", p, SIGSYS);

    p = fork();
    if (p == 0) {
        printf("gate child: calling the gate with ptrace\n");
        fflush(stdout);
        long ret = call_gate(gate);
        printf("gate child: gate returned %ld: the process was NOT killed\n", ret);
        _exit(1);
    }
    report_child("gate child", p, SIGSYS);

    printf("parent: still alive\n");
    return 0;
}
