/* task.h: processes and threads of the core: identity, file descriptor tables, file-system
 * context (root, cwd, umask), the guest address-space bookkeeping, and signal state. A
 * process (struct proc) owns what Linux shares between threads; a thread (struct thread) owns
 * its registers' fate: signal mask, pending thread-directed signals, alternate stack. */
#ifndef HUSK_KERNEL_TASK_H
#define HUSK_KERNEL_TASK_H

#include "vfs.h"

struct cpu_trap;
struct thread;

/* A thread's entry on a wait queue (wait.h). */
struct waitq;
struct waiter {
    struct thread *t;
    struct list link;
    struct waitq *queue; /* the queue it was added to */
    u64 key;    /* what the waiter waits for (futex address), 0 for plain queues */
    u32 bitset; /* futex bitset */
    i32 pid;    /* futex: the waiter's process, and whether its operation was shared */
    bool shared;
    bool woken;
};

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
enum proc_state { PROC_RUNNING, PROC_STOPPED, PROC_ZOMBIE };

struct proc {
    i32 pid, ppid, pgid, sid;
    struct proc *parent;
    struct list children; /* struct proc.sibling */
    struct list sibling;
    struct list all;      /* the sandbox's process table */
    enum proc_state state;
    int wstatus;          /* wait status once a zombie (or the stop/continue to report) */
    bool report_stop, report_cont;
    int stop_sig;
    int exit_signal;      /* what the parent gets when this process ends (SIGCHLD, or none) */
    struct waitq *child_wq; /* wait4/waitid sleep here; children's changes wake it */
    struct waitq *sig_wq;   /* woken when a signal is posted (signalfd readers and pollers) */
    struct thread *vfork_parent; /* a vfork child runs in its parent's host process */
    void *vfork_save;            /* the suspended parent's registers (shim-owned layout) */
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
    struct thread *threads; /* the first thread (signals with no better target go there) */
    struct list thread_list; /* struct thread.tlink: every live thread */
    int nthreads;
    struct list dead_threads; /* ended threads whose host thread may still be running */
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
    i32 host_pid, host_tid; /* the host process and thread that run this thread; the host
                               clears host_tid when a thread made by plat_thread_create ends */
    struct list tlink;
    bool must_exit;        /* exit_group or exec in another thread: end at the next chance */
    void *trap_stack;      /* in the private arena of its process */
    u32 wake_seq;   /* bumped to wake the thread from a wait (wait.h) */
    u32 sleeping;   /* set while the thread sleeps in the host */
    struct waiter waiter; /* its entry on the wait queue it sleeps on */
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

/* Creates the first process of the sandbox and its thread (pid 1, the sandbox's init). */
int proc_create_init(struct proc **pp, struct thread **tp);
/* Creates a child of p (fork): ids, credentials, limits, dispositions, root, cwd and a copy of
 * the descriptor table (sharing the open file descriptions); its thread copies t's mask,
 * alternate stack and TLS base. It is in the process table, running, with no host process
 * yet. proc_fork_cancel undoes it if the host fork fails. */
int proc_fork(struct proc *p, struct thread *t, struct proc **cp, struct thread **ct);
void proc_fork_cancel(struct proc *c);
/* Ends process p with wait status wstatus: closes its descriptors, hands its children to init,
 * makes it a zombie (or reaps it at once if its parent does not wait), tells the parent.
 * Returns true when p is the sandbox's first process (then the sandbox ends). */
bool proc_exit_core(struct proc *p, int wstatus);
/* Kills every process of the sandbox but the caller's (teardown). */
void proc_kill_all_others(struct proc *self);
void proc_host_exit(i32 host_pid, int wstatus);
struct proc *proc_find(i32 pid);
/* The smallest live pid above `after`, or 0 (for listing /proc). */
i32 proc_next_pid(i32 after);
/* Waits for a child matching (idtype, id): P_ALL 0, P_PID 1, P_PGID 2. Fills the child's pid,
 * wait status and siginfo code; returns the pid, 0 (WNOHANG, nothing yet), or an errno. */
struct wait_result {
    i32 pid;
    u32 uid;
    int wstatus, code, status;
};
long proc_wait(struct proc *p, int idtype, i32 id, int options, struct wait_result *wr);
/* Sends a signal to the process pid (> 0), the group -pid (< -1), the caller's group (0) or
 * every process but init and the caller (-1), as kill(2) defines. */
int proc_kill(struct proc *from, i32 pid, const struct ksiginfo *info);
/* Sends to one thread by tid (tgid 0: any process). */
int thread_kill(i32 tgid, i32 tid, const struct ksiginfo *info);
/* Job control: a stop signal's default action stops p; SIGCONT resumes it. */
void proc_stop(struct proc *p, int sig);
bool proc_pgrp_orphaned(i32 pgid);
struct proc *proc_init(void);
int proc_setpgid(struct proc *self, i32 pid, i32 pgid);
int proc_getpgid(i32 pid, bool sid);
/* Interrupts t so that it notices new pending signals: wakes it if it sleeps, and rings its
 * doorbell if it runs (in another host thread). */
void thread_interrupt(struct thread *t);

/* Threads (thread.c). */
/* A new thread of p, copying parent's signal mask, with its own tid and trap stack. */
int thread_new(struct proc *p, struct thread *parent, struct thread **out);
/* Undoes thread_new when the host thread could not be made. */
void thread_cancel(struct thread *t);
/* The calling thread leaves its process (not the last one): its record is kept until its host
 * thread is gone. */
void thread_exit_core(struct thread *t);
/* Makes every other thread of the caller's process end, and waits until they have. */
void thread_kill_others(struct thread *self);
struct thread *thread_find(i32 tid);
i32 ptable_alloc_tid(void);

#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define WNOHANG 1
#define WUNTRACED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

/* Sets a signal pending on a thread (or its process when thread is NULL) and wakes the thread
 * that will take it. Returns -EAGAIN when a real-time signal cannot be queued. */
int signal_post(struct proc *p, struct thread *t, const struct ksiginfo *info);
/* The thread that should take a process-directed signal: one that does not block it. */
struct thread *signal_target(struct proc *p, int sig);
struct proc *proc_find_by_tid(i32 tid);
/* The lowest-numbered deliverable signal for thread t, removed from its queue, or 0. */
int signal_take(struct thread *t, struct ksiginfo *info);
bool signal_any_deliverable(struct thread *t);
/* Takes the lowest pending signal in set, whatever the mask (sigtimedwait, signalfd). */
int signal_take_from(struct thread *t, u64 set, struct ksiginfo *info);

/* ---- the library OS's own memory (arena.c) ---- */
/* Reserves the shared arena (kernel objects, shared by every process of the sandbox) and the
 * private arena (per-process: trap stacks). */
int arena_init(size_t shared_size, size_t private_size);
bool arena_overlaps(uptr start, size_t len);
void *arena_pages(size_t bytes); /* shared: the kmalloc heap's page provider */
void arena_free_pages(void *p, size_t bytes);
void *arena_private(size_t bytes); /* private, never freed (trap stacks) */
void arena_ranges(uptr r[4]);      /* shared start/end, private start/end */

#endif
