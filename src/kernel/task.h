/* task.h: processes and threads of the core: identity, file descriptor tables, file-system
 * context (root, cwd, umask), the guest address-space bookkeeping, and signal state. A
 * process (struct proc) owns what Linux shares between threads; a thread (struct thread) owns
 * its registers' fate: signal mask, pending thread-directed signals, alternate stack. */
#ifndef HUSK_KERNEL_TASK_H
#define HUSK_KERNEL_TASK_H

#include "vfs.h"

struct cpu_trap;

#define NSIG 64
#define FD_MAX 4096 /* RLIMIT_NOFILE hard ceiling of a sandbox process */

/* ---- file descriptors ---- */
struct fdtable {
    spinlock_t lock;
    int cap;
    struct file **files;
    u8 *cloexec;
    int limit; /* RLIMIT_NOFILE soft limit */
};

int fdt_init(struct fdtable *t);
/* Installs f (taking over the caller's reference) at the lowest free fd >= minfd. */
int fd_install(struct fdtable *t, struct file *f, int minfd, bool cloexec);
/* Installs f at exactly fd, closing what was there (dup2). */
int fd_install_at(struct fdtable *t, struct file *f, int fd, bool cloexec);
/* A new reference to the file at fd, or NULL. */
struct file *fd_get(struct fdtable *t, int fd);
int fd_close(struct fdtable *t, int fd);
int fd_get_cloexec(struct fdtable *t, int fd);
int fd_set_cloexec(struct fdtable *t, int fd, bool on);

/* ---- signals ---- */
struct ksigaction {
    uptr handler; /* SIG_DFL 0, SIG_IGN 1, else a guest address */
    u64 flags;
    uptr restorer;
    u64 mask;
};
#define SIG_DFL 0
#define SIG_IGN 1

/* What a pending signal carries (Linux siginfo's leading fields, enough for the frame). */
struct ksiginfo {
    int signo, code, err;
    i32 pid;
    u32 uid;
    uptr addr;
    int status;
    u64 value;
};

/* Standard signals (1-31) do not queue: one pending instance each. Real-time signals (32-64)
 * queue every instance in order of arrival. */
struct sigqueue {
    u64 pending;
    struct ksiginfo info[NSIG];
    struct list rtq; /* struct rtsig, oldest first */
};
#define SIGRTMIN_K 32 /* the kernel's first real-time signal (libc reserves a few) */
#define RTSIG_MAX 4096 /* queued real-time signals per process, as RLIMIT_SIGPENDING bounds */

/* ---- the guest address space ---- */
struct mm {
    uptr brk_start, brk_cur, brk_mapped;
    uptr stack_top;
    uptr arg_start, arg_end, env_start, env_end;
    uptr exe_base, interp_base, entry;
};

/* ---- processes and threads ---- */
struct proc {
    i32 pid, ppid, pgid, sid;
    u32 uid, euid, suid, gid, egid, sgid;
    u32 ngroups;
    u32 groups[32];
    u32 umask;
    struct fdtable fds;
    struct vfs_start root; /* owns references; path kmalloc'd */
    struct vfs_start cwd;
    struct mm mm;
    struct ksigaction sigactions[NSIG];
    struct sigqueue sigpending; /* process-directed */
    char comm[16];
    char *exe_path; /* canonical path of the running image */
    u64 rlim[16][2];
    i64 start_ns;
    struct thread *threads; /* the first thread (one per process until threads land) */
    int rt_queued;
    spinlock_t lock;
};

struct thread {
    void *self; /* must stay first: the platform reads the thread pointer from GS:0 */
    i32 tid;
    struct proc *proc;
    u64 blocked;
    u64 saved_blocked;    /* mask to restore after sigsuspend/ppoll/pselect's temporary one */
    bool restore_blocked;
    struct sigqueue sigpending; /* thread-directed */
    uptr altstack_sp;
    u64 altstack_size;
    int altstack_flags;
    uptr clear_child_tid;
    uptr robust_list;
    u64 robust_len;
    uptr fs_base;
    u32 wake_seq;   /* bumped to wake the thread from a wait (wait.h) */
    u32 sleeping;   /* set while the thread sleeps in the host */
    int in_syscall; /* syscall number being served, -1 when in guest code */
    struct cpu_trap *trap; /* the trap being served, for handlers that rewrite registers */
    long restart_nr;
};

static inline struct thread *current(void)
{
    void *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* Sets a vfs_start from a resolved directory (takes new references; frees the old). */
void fsctx_set(struct vfs_start *dst, struct vnode *dir, struct mount *mnt, const char *path);

/* Clamps a resource limit index; Linux's RLIMIT_* numbering. */
#define RLIMIT_NLIMITS 16
#define RLIM_INFINITY (~0ULL)

/* Creates the first process of the sandbox and its thread. */
int proc_create_init(struct proc **pp, struct thread **tp);

/* Sets a signal pending on a thread (or its process when thread is NULL) and wakes the thread
 * that will take it. Returns -EAGAIN when a real-time signal cannot be queued. */
int signal_post(struct proc *p, struct thread *t, const struct ksiginfo *info);
/* The lowest-numbered deliverable signal for thread t, removed from its queue, or 0. */
int signal_take(struct thread *t, struct ksiginfo *info);
bool signal_any_deliverable(struct thread *t);
/* Takes the lowest pending signal in set, whatever the mask (sigtimedwait, signalfd). */
int signal_take_from(struct thread *t, u64 set, struct ksiginfo *info);

/* ---- the library OS's private memory ---- */
/* The arena is one host reservation that holds every library-OS allocation, so the guest's
 * memory calls can be refused when they touch it. */
int arena_init(size_t size);
bool arena_overlaps(uptr start, size_t len);
void *arena_pages(size_t bytes);
void arena_free_pages(void *p, size_t bytes);

#endif
