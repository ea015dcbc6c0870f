/* platform.h: the whole interface between the library OS and its host (the keyhole).
 *
 * Everything husk asks of the host goes through these functions and nothing else. Each says
 * which host syscalls its Linux implementation makes; docs/THREAT_MODEL.md lists the same set,
 * and the seccomp filter (src/platform/linux/seccomp.c) allows exactly those, only from the
 * platform's single gate instruction. No Linux type crosses this header: a Windows host or a
 * bare-metal kernel implements the same functions. All functions return 0 (or a count) on
 * success and a negative Linux-numbered errno on failure, since that is the core's convention.
 */
#ifndef HUSK_PLATFORM_H
#define HUSK_PLATFORM_H

#include "../lib/lib.h"

/* ---- Guest CPU state -------------------------------------------------------------------
 * The x86-64 user register file of a guest thread stopped at a syscall, fault or signal, in
 * the order the platform keeps it. The core reads and writes it to serve syscalls and build
 * signal frames; the platform loads it back into the CPU when the guest resumes. */
struct cpu_regs {
    u64 r8, r9, r10, r11, r12, r13, r14, r15;
    u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
    u64 eflags;
    u64 cs_gs_fs; /* segment selectors; preserved, never set from guest data */
    u64 err, trapno, oldmask, cr2;
};

/* What stopped the guest, handed to the core's entry points below. */
struct cpu_trap {
    struct cpu_regs *regs; /* live: changes are what the guest resumes with */
    void *fpu;             /* the FPU/SSE/AVX state as saved by the CPU (XSAVE layout) */
    u32 fpu_size;          /* bytes at fpu */
    int signo;             /* for faults: Linux signal number (SIGSEGV...) */
    int code;              /* for faults: si_code */
    uptr addr;             /* for faults: faulting address */
};

/* Entry points of the core, called by the platform (defined in src/linux/entry.c). */
void linux_syscall_trap(struct cpu_trap *t); /* the guest executed a syscall instruction */
void linux_fault_trap(struct cpu_trap *t);   /* the guest faulted (SIGSEGV, SIGFPE, ...) */
void linux_async_trap(struct cpu_trap *t, int signo); /* a host signal arrived for the guest */
/* A host process of the sandbox has ended (and was reaped), with a wait status. */
void linux_host_child_exit(i32 host_pid, int wstatus);

/* ---- Start-up and exit ---------------------------------------------------------------- */

/* Arguments, environment and auxiliary vector the host gave husk at start. */
struct plat_startup {
    int argc;
    char **argv;
    char **envp;
    uptr vdso;      /* host vDSO base (AT_SYSINFO_EHDR) or 0 */
    u64 hwcap;      /* AT_HWCAP */
    u64 hwcap2;     /* AT_HWCAP2 */
    const char *platform_name; /* AT_PLATFORM string */
};
const struct plat_startup *plat_startup_info(void);
/* Start-up facts, read before sealing (their host calls are not on the allowlist): the host
 * working directory (Host: getcwd), and the access mode and status flags of a standard stream
 * or a negative errno if it is closed (Host: fcntl F_GETFL). */
int plat_host_cwd(char *buf, size_t n);
/* The user and group ids husk was started with (from the auxiliary vector: no host call). */
void plat_user_ids(u32 *uid, u32 *gid);
/* The names of the host syscalls the keyhole allows, for `husk debug keyhole`. */
int plat_keyhole(const char **names, int max);
int plat_stdio_flags(int which);
/* CPUs husk may run on (read once at start-up; Host: sched_getaffinity before sealing). */
int plat_cpu_count(void);

/* Ends the whole sandbox with this status. Host: exit_group. */
_Noreturn void plat_exit(int status);

/* Seals the keyhole: installs Landlock rules for the declared host trees, then the seccomp
 * filter; after this only the calls in this header reach the host. Host: prctl,
 * landlock_create_ruleset, landlock_add_rule, landlock_restrict_self, seccomp (none of them
 * allowed afterwards). Returns 0 or a negative errno (then the sandbox must not start). */
struct plat_tree {
    const char *host_path;
    bool writable;
    /* NULL, or names of entries directly beneath host_path to leave out of the grant (for the
     * host's / as the default root: proc, sys and dev expose the host's processes and
     * devices). The tree itself then may only be listed, and each other entry is granted. */
    const char *const *exclude;
};
int plat_seal(const struct plat_tree *trees, int ntrees);

/* Sets up the calling thread to take guest traps: its thread pointer (kept in GS; the first
 * word at thread_ptr must be thread_ptr itself) and the stack the trap handlers run on (the
 * core allocates it, so that it lies in memory the guest cannot unmap). Host: arch_prctl
 * (ARCH_SET_GS), sigaltstack. */
int plat_cpu_init(void *thread_ptr, void *trap_stack, size_t trap_stack_size);
/* Smallest trap stack the platform accepts: the core's deepest syscall path plus a nested
 * fault frame with a full XSAVE area. */
#define PLAT_TRAP_STACK_SIZE (256 * 1024)
/* Changes the calling thread's pointer (a vfork child borrowing its parent's thread). Host:
 * arch_prctl(ARCH_SET_GS). */
int plat_set_thread_ptr(void *thread_ptr);
/* The per-thread pointer given to plat_cpu_init (kept in GS). */
static inline void *plat_thread_ptr(void)
{
    void *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* Transfers control to guest code for the first time with the given registers (rip, rsp, and
 * the rest zeroed) and the guest's FS base. Does not return. */
_Noreturn void plat_enter_guest(uptr rip, uptr rsp);

/* Sets/gets the guest's FS base (its TLS) for the calling thread. Host: arch_prctl. */
int plat_set_fs(uptr base);
uptr plat_get_fs(void);

/* ---- Memory ----------------------------------------------------------------------------
 * prot bits and flags are the platform's own, equal in value to Linux's for cheapness. */
#define PLAT_PROT_READ 1
#define PLAT_PROT_WRITE 2
#define PLAT_PROT_EXEC 4
#define PLAT_MAP_FIXED 1   /* exactly at addr, replacing what is there */
#define PLAT_MAP_NOREPLACE 2 /* exactly at addr, failing with -EEXIST if anything is there */
#define PLAT_MAP_SHARED 4  /* shared anonymous memory (survives the future fork as shared) */
#define PLAT_MAP_POPULATE 8

/* Maps anonymous zeroed memory. Without FIXED/NOREPLACE, addr is a hint. Returns the address
 * through *out. Host: mmap. */
int plat_mem_map(uptr addr, size_t len, int prot, int flags, uptr *out);
/* Maps len bytes of host file hf (see below) at offset off, private copy-on-write or shared.
 * Host: mmap with a file descriptor. */
int plat_mem_map_file(uptr addr, size_t len, int prot, int flags, int hf, u64 off, uptr *out);
int plat_mem_unmap(uptr addr, size_t len);              /* Host: munmap */
int plat_mem_protect(uptr addr, size_t len, int prot); /* Host: mprotect */
/* Moves/grows a mapping (Linux mremap semantics, flags MAYMOVE=1 FIXED=2). Host: mremap. */
int plat_mem_remap(uptr old, size_t old_len, size_t new_len, int flags, uptr new_addr, uptr *out);
int plat_mem_advise(uptr addr, size_t len, int advice); /* Host: madvise (DONTNEED etc.) */
int plat_mem_sync(uptr addr, size_t len, int flags);    /* Host: msync */

/* Copies between library-OS memory and guest memory, surviving faults: a bad guest address
 * gives -EFAULT instead of a crash. */
int copy_from_guest(void *dst, uptr src, size_t n);
int copy_to_guest(uptr dst, const void *src, size_t n);
/* Copies a NUL-terminated guest string of at most max bytes (including the NUL). Returns its
 * length, -EFAULT, or -ENAMETOOLONG when no NUL is found within max. */
long copy_str_from_guest(char *dst, uptr src, size_t max);
/* Zeroes guest memory, surviving faults. */
int clear_guest(uptr dst, size_t n);
/* Atomic compare-and-swap of an aligned guest word, surviving faults (a read-only or unmapped
 * page gives -EFAULT). Returns 0 when swapped, 1 when the word was not *expected (which then
 * holds its value). */
int cas_guest_u32(uptr addr, u32 *expected, u32 desired);

/* ---- Host files ------------------------------------------------------------------------
 * A host file handle ("hf") is an opaque small integer naming a host object opened through
 * this interface. Only trees declared to plat_seal are reachable (Landlock enforces it);
 * every name is one path component or a relative path resolved strictly beneath its
 * directory, never following a symlink (the core resolves symlinks itself). */

/* Opens the root of a declared host tree for later relative opens (O_PATH). Host: openat. */
int plat_tree_open(const char *host_path);
/* Opens name beneath directory handle dir. flags are Linux open flags (O_RDONLY..O_TMPFILE
 * values); PLAT_OPEN_PATH asks for a handle usable only for lookups and metadata.
 * Host: openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS. */
#define PLAT_OPEN_PATH 010000000 /* equal to Linux O_PATH */
int plat_file_open(int dir, const char *name, int flags, int mode);
int plat_file_close(int hf); /* Host: close */

/* Host file attributes, in a platform-neutral layout. */
struct plat_stat {
    u64 dev, ino, nlink, size, blocks, rdev;
    u32 mode, uid, gid, blksize;
    i64 atime_sec, mtime_sec, ctime_sec;
    u32 atime_nsec, mtime_nsec, ctime_nsec;
};
int plat_file_stat(int hf, struct plat_stat *st); /* Host: fstat */
long plat_file_read(int hf, void *buf, size_t n, i64 off);        /* off<0: current position. Host: read/pread64 */
long plat_file_write(int hf, const void *buf, size_t n, i64 off); /* Host: write/pwrite64 */
/* Reads directory entries in Linux's linux_dirent64 layout. Host: getdents64. */
long plat_file_getdents(int hf, void *buf, size_t n);
i64 plat_file_seek(int hf, i64 off, int whence); /* Host: lseek */
int plat_file_truncate(int hf, u64 len);         /* Host: ftruncate */
int plat_file_sync(int hf, bool data_only);      /* Host: fsync/fdatasync */
long plat_file_readlink(int dir, const char *name, char *buf, size_t n); /* Host: readlinkat */

/* Changes beneath directory handle dir; name is one component. Host: mkdirat, unlinkat,
 * symlinkat, linkat, renameat2, fchmodat, fchownat, utimensat. */
int plat_file_mkdir(int dir, const char *name, int mode);
int plat_file_unlink(int dir, const char *name, bool is_dir);
int plat_file_symlink(int dir, const char *name, const char *target);
int plat_file_link(int olddir, const char *oldname, int newdir, const char *newname);
int plat_file_rename(int olddir, const char *oldname, int newdir, const char *newname,
                     unsigned flags);
int plat_file_chmod(int hf, int mode); /* Host: fchmodat2(AT_EMPTY_PATH) */
int plat_file_chown(int hf, u32 uid, u32 gid); /* Host: fchownat(AT_EMPTY_PATH) */
/* Sets times (nsec may be UTIME_NOW/UTIME_OMIT as in Linux). Host: utimensat(AT_EMPTY_PATH). */
int plat_file_utimes(int hf, const i64 sec[2], const long nsec[2]);
/* File system statistics in Linux's struct statfs layout (120 bytes). Host: fstatfs. */
int plat_file_statfs(int hf, void *buf);

/* ---- The host's standard streams -------------------------------------------------------
 * The sandbox's console: the three descriptors husk was started with. */
long plat_stdio_read(int which, void *buf, size_t n);        /* Host: read on fd 0 */
long plat_stdio_write(int which, const void *buf, size_t n); /* Host: write on fd 1/2 */
/* Terminal control on a standard stream: request is a Linux tty ioctl number among TCGETS,
 * TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, FIONREAD; arg points to
 * library-OS memory of the request's size. Host: ioctl (filter checks fd and request). */
int plat_stdio_ioctl(int which, unsigned long request, void *arg);
/* Waits until stdio streams are ready: events[i] are POLLIN/POLLOUT bits for stream i, set to
 * the ready bits on return. timeout_ns < 0 waits forever. Host: ppoll. */
int plat_stdio_poll(short events[3], i64 timeout_ns);
int plat_stdio_stat(int which, struct plat_stat *st); /* Host: fstat */

/* Diagnostics of the library OS (trace lines, warnings): to the host's standard error, or to
 * the file given to plat_log_open before sealing. Host: write. */
void plat_log_write(const char *buf, size_t n);
/* Opens (creating or truncating) the host file for diagnostics. Call before plat_seal.
 * Host: openat (not on the allowlist: start-up only). */
int plat_log_open(const char *host_path);

/* ---- Time, randomness, sleeping ------------------------------------------------------- */
/* clock: 0 realtime, 1 monotonic, others as Linux clock ids. Host: clock_gettime. */
int plat_clock_get(int clock, i64 *sec, long *nsec);
int plat_clock_res(int clock, i64 *sec, long *nsec); /* Host: clock_getres */
/* Sleeps until the absolute time on clock (or for the relative time). Returns 0, or -EINTR if
 * a host signal for the guest interrupted it. Host: clock_nanosleep. */
int plat_sleep(int clock, bool absolute, i64 sec, long nsec);
long plat_random(void *buf, size_t n); /* Host: getrandom */

/* Resources used by husk's host process (the guest and the library OS together): CPU time in
 * microseconds and peak resident memory in KiB. Host: getrusage(RUSAGE_SELF). */
struct plat_usage {
    i64 user_us, sys_us, maxrss_kb;
};
int plat_usage(struct plat_usage *u);

/* ---- Processes ---------------------------------------------------------------------------
 * Each guest process is one host process. They share the host descriptor table (so host file
 * handles are valid in all of them) but not their address spaces (copy-on-write), except the
 * memory mapped with PLAT_MAP_SHARED before the split. */

/* Splits the calling host process in two. In the child the calling thread's pointer (GS) is
 * set to child_thread_ptr before this returns 0; the parent gets the child's host id (> 0),
 * also written to *child_host_tid (shared memory) before the child runs. When a host process
 * of the sandbox ends, its host parent (or the first process, for orphans) reaps it and calls
 * linux_host_child_exit. Host: clone(CLONE_FILES | SIGCHLD | CLONE_PARENT_SETTID) (filter:
 * exactly those flags), arch_prctl; waitid(P_ALL, WEXITED | WNOHANG) on host SIGCHLD. */
long plat_fork(void *child_thread_ptr, i32 *child_host_tid);
/* The host id of the calling thread. Host: gettid. */
i32 plat_host_tid(void);
/* Interrupts a thread of the sandbox that may be running guest code, so that it looks at its
 * pending signals: a host signal only the platform uses arrives as linux_async_trap with
 * signo PLAT_DOORBELL. Host: tgkill (filter: that signal only; Landlock scopes the target to
 * the sandbox). */
#define PLAT_DOORBELL 64
int plat_doorbell(i32 host_pid, i32 host_tid);
/* Ends a host process of the sandbox at once (teardown). Host: kill (filter: SIGKILL only).
 * Returns -ESRCH once the process is gone and reaped. */
int plat_kill(i32 host_pid);
/* Starts a new thread of the calling process that enters guest code with registers r: its
 * thread pointer is thread_ptr, its trap handlers run on the given stack, its FS base is fs.
 * *host_tid receives the new thread's host id, and is cleared (and futex-woken) by the host
 * when that thread has ended, so its stack can be reused. Host: clone(CLONE_VM|CLONE_FS|
 * CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_CHILD_CLEARTID|
 * CLONE_PARENT_SETTID), then in the thread arch_prctl, sigaltstack, rt_sigprocmask. */
int plat_thread_create(void *thread_ptr, void *trap_stack, size_t trap_stack_size,
                       const struct cpu_regs *r, uptr fs, i32 *host_tid);
/* Ends the calling thread only. Host: exit. */
_Noreturn void plat_exit_thread(int status);

/* ---- Waiting ---------------------------------------------------------------------------- */
/* Sleeps while *word == expected, for at most timeout_ns (< 0: no limit), with host signals
 * for the guest deliverable during the sleep (so one interrupts it). word may be in memory
 * shared between processes. Returns 0 (woken, or the word had changed), -ETIMEDOUT, or
 * -EINTR. Host: rt_sigprocmask, futex(FUTEX_WAIT). */
int plat_wait(u32 *word, u32 expected, i64 timeout_ns);
/* Wakes the threads (of any process) sleeping on word. Host: futex(FUTEX_WAKE). */
void plat_wake(u32 *word);

/* Interval timers of the process (Linux's ITIMER_REAL/VIRTUAL/PROF): their expiry arrives as
 * a host SIGALRM/SIGVTALRM/SIGPROF, which the platform forwards to the guest. Values in
 * microseconds: {interval_sec, interval_usec, value_sec, value_usec}. Host: setitimer,
 * getitimer (filter: which is 0, 1 or 2). */
int plat_itimer_set(int which, const i64 newv[4], i64 oldv[4]);
int plat_itimer_get(int which, i64 cur[4]);

/* Whether an instruction address lies in husk's own code, and whether a range touches husk's
 * own image: guest memory calls must never unmap or remap it. */
bool plat_ip_in_libos(uptr ip);
bool plat_image_overlaps(uptr start, size_t len);
void plat_image_range(uptr *start, uptr *end);

#endif
