// Host-level system calls that a library OS must never perform for a guest, issued with a
// raw `syscall` instruction (no libc wrapper): each must fail with ENOSYS or EPERM.
// The arguments are deliberately invalid or harmless, so that even a husk that wrongly
// forwarded a call could not hurt the host (and the host would answer with some other
// error, which fails this test).
// expect-status: 0
// expect-stdout: ptrace: denied
// expect-stdout: mount: denied
// expect-stdout: umount2: denied
// expect-stdout: reboot: denied
// expect-stdout: kexec_load: denied
// expect-stdout: kexec_file_load: denied
// expect-stdout: bpf: denied
// expect-stdout: init_module: denied
// expect-stdout: finit_module: denied
// expect-stdout: delete_module: denied
// expect-stdout: unshare: denied
// expect-stdout: setns: denied
// expect-stdout: pivot_root: denied
// expect-stdout: swapon: denied
// expect-stdout: swapoff: denied
// expect-stdout: acct: denied
// expect-stdout: iopl: denied
// expect-stdout: ioperm: denied
// expect-stdout: perf_event_open: denied
// expect-stdout: open_by_handle_at: denied
// expect-stdout: clock_settime: denied
// expect-stdout: settimeofday: denied
// expect-stdout: all denied
#include "../guest/t.h"
#include "hostile.h"

static int allowed;

static void expect_denied(const char *name, long ret)
{
    if (ret == -ENOSYS || ret == -EPERM) {
        printf("%s: denied\n", name);
    } else {
        allowed++;
        printf("%s: NOT DENIED (ret=%ld %s)\n", name, ret, ret < 0 ? t_errname((int)-ret) : "");
    }
}

#define L(x) ((long)(x))

int main(void)
{
    int dot = open(".", O_RDONLY);
    struct timespec bad_ts = {0, -1};
    struct {
        long sec, usec;
    } bad_tv = {0, -1};

    expect_denied("ptrace", raw6(SYS_ptrace, -1, 0, 0, 0, 0, 0));
    expect_denied("mount", raw6(SYS_mount, L("none"), L("/nonexistent-husk-test"),
                                L("husk-no-such-fs"), 0, 0, 0));
    expect_denied("umount2", raw6(SYS_umount2, L("/nonexistent-husk-test"), 0, 0, 0, 0, 0));
    expect_denied("reboot", raw6(SYS_reboot, 0, 0, 0, 0, 0, 0)); /* bad magic */
    expect_denied("kexec_load", raw6(SYS_kexec_load, 0, 0, 0, 0xdead0000L, 0, 0));
    expect_denied("kexec_file_load", raw6(SYS_kexec_file_load, -1, -1, 0, 0, 0xdead0000L, 0));
    expect_denied("bpf", raw6(SYS_bpf, 0x7fff, 0, 0, 0, 0, 0));
    expect_denied("init_module", raw6(SYS_init_module, 0, 0, L(""), 0, 0, 0));
    expect_denied("finit_module", raw6(SYS_finit_module, -1, L(""), 0, 0, 0, 0));
    expect_denied("delete_module",
                  raw6(SYS_delete_module, L("husk_no_such_module"), O_NONBLOCK, 0, 0, 0, 0));
    /* a process-local change even if it went through */
    expect_denied("unshare",
                  raw6(SYS_unshare, 0x10000000L /* CLONE_NEWUSER */ | 0x20000, 0, 0, 0, 0, 0));
    expect_denied("setns", raw6(SYS_setns, dot, 0, 0, 0, 0, 0)); /* not a namespace fd */
    expect_denied("pivot_root", raw6(SYS_pivot_root, L("/nonexistent-husk-a"),
                                     L("/nonexistent-husk-b"), 0, 0, 0, 0));
    expect_denied("swapon", raw6(SYS_swapon, L("/nonexistent-husk-swap"), 0, 0, 0, 0, 0));
    expect_denied("swapoff", raw6(SYS_swapoff, L("/nonexistent-husk-swap"), 0, 0, 0, 0, 0));
    expect_denied("acct", raw6(SYS_acct, L("/nonexistent-husk-acct"), 0, 0, 0, 0, 0));
    expect_denied("iopl", raw6(SYS_iopl, 0, 0, 0, 0, 0, 0));     /* level 0: no change */
    expect_denied("ioperm", raw6(SYS_ioperm, 0, 0, 0, 0, 0, 0)); /* no ports */
    expect_denied("perf_event_open", raw6(SYS_perf_event_open, 0, 0, -1, -1, 0, 0));
    expect_denied("open_by_handle_at", raw6(SYS_open_by_handle_at, -1, 0, 0, 0, 0, 0));
    expect_denied("clock_settime", raw6(SYS_clock_settime, 0, L(&bad_ts), 0, 0, 0, 0));
    expect_denied("settimeofday", raw6(SYS_settimeofday, L(&bad_tv), 0, 0, 0, 0, 0));
    if (allowed == 0)
        printf("all denied\n");
    return allowed ? 1 : 0;
}
