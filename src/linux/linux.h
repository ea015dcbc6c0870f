/* linux.h: internals shared by the files of the Linux shim: the dispatch table's entry type,
 * guest-memory helpers, signal delivery, and the prototypes of every syscall handler. */
#ifndef HUSK_LINUX_LINUX_H
#define HUSK_LINUX_LINUX_H

#include "abi.h"

typedef long (*sys_fn)(long, long, long, long, long, long);

struct syscall_desc {
    const char *name;
    sys_fn fn;
    const char *args; /* trace format: one letter an argument (see trace.c) */
    const char *partial; /* NULL when complete; else what is missing */
};
extern const struct syscall_desc syscall_table[];
extern const int syscall_table_size;

/* The trap being served on this thread (registers the handler may rewrite). */
struct cpu_trap *cur_trap(void);

/* trace.c */
extern int trace_enabled;
void trace_enter(const struct syscall_desc *d, int nr, const long a[6]);
void trace_exit(const struct syscall_desc *d, int nr, const long a[6], long ret);
void trace_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* signal.c */
/* Runs the guest's signal disposition for every deliverable signal before returning to the
 * guest: builds handler frames, or ends the process for default-fatal signals. `ret` is the
 * syscall's result (or 0 when not returning from a syscall); returns what rax must hold. */
long signal_deliver(struct thread *t, struct cpu_trap *tr, long ret, bool in_syscall);
/* sys_process.c: ends the calling process with a wait status. Returns only in a vfork
 * child, after switching the trap to the resumed parent (the value is the parent's rax). */
long do_exit(struct cpu_trap *tr, int wstatus);
/* sys_futex.c: the robust-futex cleanup when a thread ends. */
void robust_list_exit(struct thread *t);
/* Ends the calling thread, which is not its process's last. */
_Noreturn void thread_exit(struct thread *t);
int sig_default_action(int sig); /* 0 ignore, 1 terminate, 2 core, 3 stop, 4 continue */

/* path.c: resolving guest paths against a process's root, cwd and dirfds. */
/* Copies a guest path into a kmalloc'd buffer (PATH_MAX); ENAMETOOLONG/EFAULT/ENOENT. */
long path_from_guest(uptr upath, char **out);
/* Resolves a guest path relative to dirfd (AT_FDCWD or an fd). */
int path_resolve_at(struct proc *p, int dirfd, uptr upath, int lookup_flags, bool empty_ok,
                    struct resolved *r);
int path_resolve_k(struct proc *p, int dirfd, const char *path, int lookup_flags,
                   struct resolved *r);
int vattr_to_stat(const struct vattr *a, uptr ustat);
int file_getattr(struct file *f, struct vattr *a);

/* Syscall handler prototypes. */
#define SC(nr, name, args, partial) long sys_##name();
#include "syscalls.def"
#undef SC

#endif
