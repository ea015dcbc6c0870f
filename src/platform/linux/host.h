/* host.h: private to the Linux platform: host syscall numbers, host ABI structures, and the
 * wrappers that funnel every host syscall through the single gate instruction (gate.S). */
#ifndef HUSK_PLATFORM_LINUX_HOST_H
#define HUSK_PLATFORM_LINUX_HOST_H

#include "../platform.h"

/* Host syscall numbers (x86-64, from the kernel's syscall_64.tbl). Only those the platform
 * uses; the allowlist in seccomp.c is a subset of these. */
enum {
    HNR_read = 0,
    HNR_write = 1,
    HNR_close = 3,
    HNR_fstat = 5,
    HNR_lseek = 8,
    HNR_mmap = 9,
    HNR_mprotect = 10,
    HNR_munmap = 11,
    HNR_rt_sigaction = 13,
    HNR_rt_sigprocmask = 14,
    HNR_rt_sigreturn = 15,
    HNR_ioctl = 16,
    HNR_pread64 = 17,
    HNR_pwrite64 = 18,
    HNR_mremap = 25,
    HNR_msync = 26,
    HNR_madvise = 28,
    HNR_getitimer = 36,
    HNR_setitimer = 38,
    HNR_getpid = 39,
    HNR_clone = 56,
    HNR_kill = 62,
    HNR_getrusage = 98,
    HNR_exit = 60,
    HNR_fcntl = 72,
    HNR_fsync = 74,
    HNR_fdatasync = 75,
    HNR_ftruncate = 77,
    HNR_getcwd = 79,
    HNR_getdents64 = 217,
    HNR_sigaltstack = 131,
    HNR_fstatfs = 138,
    HNR_prctl = 157,
    HNR_arch_prctl = 158,
    HNR_gettid = 186,
    HNR_tgkill = 234,
    HNR_futex = 202,
    HNR_sched_getaffinity = 204,
    HNR_clock_gettime = 228,
    HNR_clock_getres = 229,
    HNR_exit_group = 231,
    HNR_openat = 257,
    HNR_mkdirat = 258,
    HNR_fchownat = 260,
    HNR_newfstatat = 262,
    HNR_unlinkat = 263,
    HNR_linkat = 265,
    HNR_symlinkat = 266,
    HNR_readlinkat = 267,
    HNR_ppoll = 271,
    HNR_utimensat = 280,
    HNR_renameat2 = 316,
    HNR_seccomp = 317,
    HNR_getrandom = 318,
    HNR_waitid = 247,
    HNR_openat2 = 437,
    HNR_fchmodat2 = 452,
    HNR_landlock_create_ruleset = 444,
    HNR_landlock_add_rule = 445,
    HNR_landlock_restrict_self = 446,
};

long host_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
void host_sigreturn(void); /* gate.S: rt_sigreturn through the gate */

static inline long hsys0(long nr)
{
    return host_syscall6(nr, 0, 0, 0, 0, 0, 0);
}
static inline long hsys1(long nr, long a)
{
    return host_syscall6(nr, a, 0, 0, 0, 0, 0);
}
static inline long hsys2(long nr, long a, long b)
{
    return host_syscall6(nr, a, b, 0, 0, 0, 0);
}
static inline long hsys3(long nr, long a, long b, long c)
{
    return host_syscall6(nr, a, b, c, 0, 0, 0);
}
static inline long hsys4(long nr, long a, long b, long c, long d)
{
    return host_syscall6(nr, a, b, c, d, 0, 0);
}
static inline long hsys5(long nr, long a, long b, long c, long d, long e)
{
    return host_syscall6(nr, a, b, c, d, e, 0);
}

/* Host ABI pieces the platform needs. */
#define H_AT_FDCWD (-100)
#define H_AT_EMPTY_PATH 0x1000
#define H_AT_SYMLINK_NOFOLLOW 0x100
#define H_AT_REMOVEDIR 0x200
#define H_O_PATH 010000000
#define H_O_DIRECTORY 0200000
#define H_O_NOFOLLOW 0400000
#define H_O_CLOEXEC 02000000
#define H_RESOLVE_NO_MAGICLINKS 0x02
#define H_RESOLVE_NO_SYMLINKS 0x04
#define H_RESOLVE_BENEATH 0x08
#define H_MAP_SHARED 0x01
#define H_MAP_PRIVATE 0x02
#define H_MAP_FIXED 0x10
#define H_MAP_ANONYMOUS 0x20
#define H_MAP_NORESERVE 0x4000
#define H_MAP_POPULATE 0x8000
#define H_MAP_FIXED_NOREPLACE 0x100000
#define H_SIG_BLOCK 0
#define H_SIG_UNBLOCK 1
#define H_SIG_SETMASK 2

struct h_open_how {
    u64 flags, mode, resolve;
};

struct h_sigaction {
    void *handler;
    unsigned long flags;
    void (*restorer)(void);
    u64 mask;
};
#define H_SA_SIGINFO 0x4
#define H_SA_ONSTACK 0x08000000
#define H_SA_RESTORER 0x04000000
#define H_SA_NODEFER 0x40000000

struct h_stack {
    void *sp;
    int flags;
    size_t size;
};

struct h_timespec {
    i64 sec;
    long nsec;
};

struct h_stat {
    u64 dev, ino, nlink;
    u32 mode, uid, gid, pad0;
    u64 rdev;
    i64 size, blksize, blocks;
    u64 atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
    i64 unused[3];
};

/* The signals the platform reserves or routes (Linux numbers). */
#define H_SIGSYS 31

/* Signals that the platform forwards to the guest as asynchronous events; blocked while the
 * library OS runs, unblocked atomically only inside interruptible waits (ppoll). */
extern const u64 host_async_sigs;

/* trap.c */
int trap_install(void);
/* mem.c, for the SIGSEGV handler: fix up faults inside the guest-copy routines. */
bool trap_fixup_copy(struct cpu_regs *r);
/* hostfile.c */
void stat_from_host(struct plat_stat *o, const struct h_stat *s);
/* seccomp.c / landlock.c */
int seccomp_install(void);
int landlock_install(const struct plat_tree *trees, int ntrees);

#endif
