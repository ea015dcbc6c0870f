/* abi.h: Linux x86-64 user ABI: structure layouts and constants that guests pass to syscalls.
 * Only the shim (src/linux/) includes this; the core never sees Linux's structures. */
#ifndef HUSK_LINUX_ABI_H
#define HUSK_LINUX_ABI_H

#include "../kernel/task.h"
#include "../platform/platform.h"

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000

struct linux_timespec {
    i64 tv_sec;
    long tv_nsec;
};
struct linux_timeval {
    i64 tv_sec;
    i64 tv_usec;
};

struct linux_stat {
    u64 st_dev, st_ino, st_nlink;
    u32 st_mode, st_uid, st_gid, pad0;
    u64 st_rdev;
    i64 st_size, st_blksize, st_blocks;
    struct linux_timespec st_atim, st_mtim, st_ctim;
    i64 unused[3];
};

struct linux_statx_timestamp {
    i64 tv_sec;
    u32 tv_nsec;
    i32 reserved;
};
struct linux_statx {
    u32 stx_mask, stx_blksize;
    u64 stx_attributes;
    u32 stx_nlink, stx_uid, stx_gid;
    u16 stx_mode, pad1;
    u64 stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    u32 stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    u64 stx_mnt_id;
    u32 stx_dio_mem_align, stx_dio_offset_align;
    u64 spare[12];
};
#define STATX_BASIC_STATS 0x7ffU

struct linux_statfs {
    i64 f_type, f_bsize;
    u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    i32 f_fsid[2];
    i64 f_namelen, f_frsize, f_flags, f_spare[4];
};

struct linux_iovec {
    uptr base;
    size_t len;
};

struct linux_pollfd {
    i32 fd;
    i16 events, revents;
};

struct linux_utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

struct linux_rlimit {
    u64 cur, max;
};

struct linux_rusage {
    struct linux_timeval ru_utime, ru_stime;
    i64 rest[14];
};

struct linux_tms {
    i64 utime, stime, cutime, cstime;
};

struct linux_sysinfo {
    i64 uptime;
    u64 loads[3];
    u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    u16 procs, pad;
    u64 totalhigh, freehigh;
    u32 mem_unit;
    char f[0];
};

struct linux_sigaction {
    uptr handler;
    u64 flags;
    uptr restorer;
    u64 mask;
};
#define SA_NOCLDSTOP 1
#define SA_NOCLDWAIT 2
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

struct linux_stack {
    uptr ss_sp;
    int ss_flags;
    u64 ss_size;
};
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define MINSIGSTKSZ 2048

struct linux_siginfo {
    int si_signo, si_errno, si_code, pad;
    union {
        struct {
            i32 pid;
            u32 uid;
            int status;
        } kill;
        uptr addr;
        u8 raw[112];
    };
};

/* The kernel's struct ucontext for x86-64 signal frames. */
struct linux_ucontext {
    u64 uc_flags;
    uptr uc_link;
    struct linux_stack uc_stack;
    struct cpu_regs mc; /* struct sigcontext's general registers */
    uptr fpstate;
    u64 reserved1[8];
    u64 uc_sigmask;
};
#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4

struct linux_rt_sigframe {
    uptr pretcode;
    struct linux_ucontext uc;
    struct linux_siginfo info;
};

/* Signal numbers the shim names. */
enum {
    SIGHUP = 1, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
    SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP,
    SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR,
    SIGSYS
};
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)

#endif
