/* seccomp.c: the keyhole's enforcement. A BPF filter that lets a host syscall through only when
 * it comes from the gate instruction and is on the allowlist below (with argument checks where
 * a filter can see the arguments); any other syscall from the gate kills the whole process,
 * and a syscall from anywhere else (the guest) traps into SIGSYS for the library OS to serve.
 * docs/THREAT_MODEL.md lists the same calls with the reason for each; a test compares them. */
#include "host.h"

struct sock_filter {
    u16 code;
    u8 jt, jf;
    u32 k;
};
struct sock_fprog {
    unsigned short len;
    struct sock_filter *filter;
};

/* BPF opcodes and seccomp constants (linux/filter.h, linux/seccomp.h, linux/audit.h). */
#define BPF_LD_W_ABS 0x20
#define BPF_JEQ_K 0x15
#define BPF_JGE_K 0x35
#define BPF_JSET_K 0x45
#define BPF_RET_K 0x06
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SECCOMP_RET_TRAP 0x00030000U
#define SECCOMP_RET_ALLOW 0x7fff0000U
#define AUDIT_ARCH_X86_64 0xc000003eU
#define SECCOMP_SET_MODE_FILTER 1
#define OFF_NR 0
#define OFF_ARCH 4
#define OFF_IP 8
#define OFF_ARG(i) (16 + 8 * (i))
#define X32_BIT 0x40000000U

/* Argument checks a filter can make: argument `arg` (low 32 bits, high 32 bits must be zero)
 * must be one of `vals`. */
struct arg_rule {
    int arg;
    int nvals;
    u32 vals[10];
};

struct allow {
    int nr;
    const char *name;
    struct arg_rule rule; /* nvals == 0: no check */
};

/* The allowlist. Keep in step with docs/THREAT_MODEL.md (tests/security checks it). */
static const struct allow allowlist[] = {
    {HNR_read, "read", {0}},
    {HNR_write, "write", {0}},
    {HNR_pread64, "pread64", {0}},
    {HNR_pwrite64, "pwrite64", {0}},
    {HNR_close, "close", {0}},
    {HNR_fstat, "fstat", {0}},
    {HNR_lseek, "lseek", {0}},
    {HNR_getdents64, "getdents64", {0}},
    {HNR_openat2, "openat2", {0}},
    {HNR_readlinkat, "readlinkat", {0}},
    {HNR_mkdirat, "mkdirat", {0}},
    {HNR_unlinkat, "unlinkat", {0}},
    {HNR_symlinkat, "symlinkat", {0}},
    {HNR_linkat, "linkat", {4, 1, {0}}}, /* flags == 0: no AT_EMPTY_PATH/AT_SYMLINK_FOLLOW */
    {HNR_renameat2, "renameat2", {0}},
    {HNR_fchmodat2, "fchmodat2", {3, 1, {H_AT_EMPTY_PATH}}},
    {HNR_fchownat, "fchownat", {4, 1, {H_AT_EMPTY_PATH}}},
    {HNR_utimensat, "utimensat", {3, 1, {H_AT_EMPTY_PATH}}},
    {HNR_ftruncate, "ftruncate", {0}},
    {HNR_fsync, "fsync", {0}},
    {HNR_fdatasync, "fdatasync", {0}},
    {HNR_fstatfs, "fstatfs", {0}},
    {HNR_ioctl, "ioctl", {1, 8, {0x5401, 0x5402, 0x5403, 0x5404, 0x5413, 0x5414, 0x540f, 0x541b}}},
    {HNR_mmap, "mmap", {0}},
    {HNR_munmap, "munmap", {0}},
    {HNR_mprotect, "mprotect", {0}},
    {HNR_mremap, "mremap", {0}},
    {HNR_madvise, "madvise", {0}},
    {HNR_msync, "msync", {0}},
    {HNR_rt_sigaction, "rt_sigaction", {0}},
    {HNR_rt_sigprocmask, "rt_sigprocmask", {0}},
    {HNR_rt_sigreturn, "rt_sigreturn", {0}},
    {HNR_sigaltstack, "sigaltstack", {0}},
    {HNR_arch_prctl, "arch_prctl", {0, 3, {0x1001, 0x1002, 0x1003}}},
    {HNR_ppoll, "ppoll", {0}},
    {HNR_futex, "futex", {1, 2, {0, 1}}}, /* FUTEX_WAIT and FUTEX_WAKE only */
    /* A new process (CLONE_FILES|SIGCHLD) or a new thread of this one (see trap.c). */
    {HNR_waitid, "waitid", {3, 1, {5}}}, /* P_ALL, WEXITED|WNOHANG: reap host children */
    {HNR_clone, "clone", {0, 2, {0x400 | 17 | 0x100000,
                                 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x200000 |
                                     0x100000}}},
    {HNR_gettid, "gettid", {0}},
    {HNR_tgkill, "tgkill", {2, 1, {PLAT_DOORBELL}}},
    {HNR_kill, "kill", {1, 1, {9}}}, /* SIGKILL only: sandbox teardown */
    {HNR_exit, "exit", {0}},
    {HNR_setitimer, "setitimer", {0, 3, {0, 1, 2}}},
    {HNR_getitimer, "getitimer", {0, 3, {0, 1, 2}}},
    {HNR_getrusage, "getrusage", {0, 1, {0}}}, /* RUSAGE_SELF only */
    {HNR_clock_gettime, "clock_gettime", {0}},
    {HNR_clock_getres, "clock_getres", {0}},
    {HNR_getrandom, "getrandom", {0}},
    {HNR_exit_group, "exit_group", {0}},
};

/* The ioctl rule: fd must be 0, 1 or 2 (the standard streams) as well. */
static const struct arg_rule ioctl_fd_rule = {0, 3, {0, 1, 2}};

#define MAX_INSNS 512

struct prog {
    struct sock_filter insn[MAX_INSNS];
    int n;
};

static void emit(struct prog *p, u16 code, u8 jt, u8 jf, u32 k)
{
    if (p->n < MAX_INSNS)
        p->insn[p->n++] = (struct sock_filter){code, jt, jf, k};
}

/* Emits: if (arg low 32 in vals && arg high 32 == 0) fall through, else kill. */
static void emit_arg_rule(struct prog *p, const struct arg_rule *r)
{
    emit(p, BPF_LD_W_ABS, 0, 0, OFF_ARG(r->arg) + 4);
    emit(p, BPF_JEQ_K, 1, 0, 0);
    emit(p, BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    emit(p, BPF_LD_W_ABS, 0, 0, OFF_ARG(r->arg));
    for (int i = 0; i < r->nvals; i++)
        emit(p, BPF_JEQ_K, (u8)(r->nvals - i), 0, r->vals[i]);
    emit(p, BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
}

extern char husk_gate_end[];

static void build(struct prog *p)
{
    u64 gate = (u64)husk_gate_end; /* the kernel reports the address after `syscall` */
    p->n = 0;
    emit(p, BPF_LD_W_ABS, 0, 0, OFF_ARCH);
    emit(p, BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
    emit(p, BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    /* Not from the gate: the guest's syscall, to be served by the library OS. */
    emit(p, BPF_LD_W_ABS, 0, 0, OFF_IP);
    emit(p, BPF_JEQ_K, 1, 0, (u32)gate);
    emit(p, BPF_RET_K, 0, 0, SECCOMP_RET_TRAP);
    emit(p, BPF_LD_W_ABS, 0, 0, OFF_IP + 4);
    emit(p, BPF_JEQ_K, 1, 0, (u32)(gate >> 32));
    emit(p, BPF_RET_K, 0, 0, SECCOMP_RET_TRAP);
    /* From the gate: the allowlist, each entry a compare, then its argument checks. */
    for (size_t i = 0; i < ARRAY_SIZE(allowlist); i++) {
        const struct allow *a = &allowlist[i];
        emit(p, BPF_LD_W_ABS, 0, 0, OFF_NR);
        int body = 1 + (a->rule.nvals ? 4 + a->rule.nvals + 1 : 0) +
                   (a->nr == HNR_ioctl ? 4 + ioctl_fd_rule.nvals + 1 : 0);
        emit(p, BPF_JEQ_K, 0, (u8)body, (u32)a->nr);
        if (a->nr == HNR_ioctl)
            emit_arg_rule(p, &ioctl_fd_rule);
        if (a->rule.nvals)
            emit_arg_rule(p, &a->rule);
        emit(p, BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW);
    }
    emit(p, BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
}

int seccomp_install(void)
{
    static struct prog p;
    build(&p);
    if (p.n >= MAX_INSNS)
        return -7; /* E2BIG: the table outgrew the buffer */
    struct sock_fprog fp = {(unsigned short)p.n, p.insn};
    return (int)hsys3(HNR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&fp);
}

/* For `husk debug keyhole`: the allowlist's names, so docs and tests can check them. */
int plat_keyhole(const char **names, int max)
{
    int n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(allowlist) && n < max; i++)
        names[n++] = allowlist[i].name;
    return n;
}
