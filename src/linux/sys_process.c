/* sys_process.c: process creation and death: fork, vfork, clone and clone3 (for new
 * processes), execve and execveat, exit and exit_group, wait4 and waitid.
 *
 * fork is a host fork (plat_fork): the child continues from the same point of the same
 * syscall, on its own copy of the trap stack. vfork (and clone with CLONE_VM|CLONE_VFORK, as
 * posix_spawn uses it) shares the parent's memory, which separate host processes cannot do;
 * instead the child runs in its parent's host process while the parent is suspended, and the
 * two split (with a host fork) only when the child execs. When the child exits or has exec'd,
 * the parent resumes with the registers it had. */
#include "linux.h"
#include "../kernel/wait.h"
#include "../loader/loader.h"
#include "../kernel/futex.h"

#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_UNTRACED 0x00800000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_NEWCGROUP 0x02000000
#define CLONE_NEWUTS 0x04000000
#define CLONE_NEWIPC 0x08000000
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWNET 0x40000000
#define CLONE_IO 0x80000000UL
#define CLONE_NEWS                                                                             \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
     CLONE_NEWPID | CLONE_NEWNET)
#define CSIGNAL 0xff

/* ---- the suspended parent of a vfork child ---- */

struct vfork_save {
    struct cpu_regs regs;
    u32 fpu_size;
    u8 fpu[];
};

static struct vfork_save *save_regs(struct cpu_trap *tr)
{
    struct vfork_save *s = kmalloc(sizeof(*s) + tr->fpu_size);
    if (!s)
        return NULL;
    s->regs = *tr->regs;
    s->fpu_size = tr->fpu ? tr->fpu_size : 0;
    if (s->fpu_size)
        memcpy(s->fpu, tr->fpu, s->fpu_size);
    return s;
}

/* Makes the trap return into the suspended parent, with the child's pid as vfork's result. */
static long resume_parent(struct cpu_trap *tr, struct thread *parent, struct vfork_save *s,
                          i32 child_pid)
{
    plat_set_thread_ptr(parent);
    *tr->regs = s->regs;
    if (s->fpu_size && tr->fpu && s->fpu_size <= tr->fpu_size)
        memcpy(tr->fpu, s->fpu, s->fpu_size);
    kfree(s);
    parent->trap = tr;
    tr->regs->rax = (u64)child_pid;
    return child_pid;
}

/* ---- exit ---- */

/* The end of one thread that is not its process's last: the tid word is cleared and its
 * futex woken (pthread_join waits on it), then the host thread ends. */
_Noreturn void thread_exit(struct thread *t)
{
    robust_list_exit(t);
    if (t->clear_child_tid) {
        i32 zero = 0;
        if (!copy_to_guest(t->clear_child_tid, &zero, sizeof(zero)))
            futex_wake(t->clear_child_tid, FUTEX_BITSET_ANY, 1, true);
    }
    thread_exit_core(t);
    plat_exit_thread(0);
}

long do_exit(struct cpu_trap *tr, int wstatus)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    thread_kill_others(t);
    struct thread *vparent = p->vfork_parent;
    struct vfork_save *vsave = p->vfork_save;
    i32 pid = p->pid;
    p->vfork_parent = NULL;
    p->vfork_save = NULL;
    robust_list_exit(t); /* process-shared robust mutexes held by the last thread */
    bool init = proc_exit_core(p, wstatus); /* p may be reaped and freed from here on */
    if (vparent)
        return resume_parent(tr, vparent, vsave, pid); /* the parent's host process lives on */
    if (init) {
        proc_kill_all_others(p);
        plat_exit((wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff);
    }
    plat_exit(0); /* this host process's status is nobody's business: the core has it */
}

long sys_exit(int status)
{
    struct thread *t = current();
    if (t->proc->nthreads > 1)
        thread_exit(t);
    return do_exit(cur_trap(), (status & 0xff) << 8);
}

long sys_exit_group(int status)
{
    return do_exit(cur_trap(), (status & 0xff) << 8);
}

/* ---- fork, vfork, clone ---- */

struct clone_req {
    u64 flags;
    uptr stack, parent_tid, child_tid, tls;
    int exit_signal;
};

/* The child's first steps, on the trap it inherited: its stack, TLS and tid word. Returns
 * the child's result of the call (0). */
static long child_start(struct thread *ct, struct cpu_trap *tr, const struct clone_req *q)
{
    ct->trap = tr;
    if (q->stack)
        tr->regs->rsp = q->stack;
    if (q->flags & CLONE_SETTLS)
        plat_set_fs(q->tls);
    if (q->flags & CLONE_CHILD_SETTID)
        copy_to_guest(q->child_tid, &ct->tid, sizeof(ct->tid));
    return 0;
}

/* A new thread: a host thread of this host process, entering guest code with the caller's
 * registers but rax = 0 and the new stack, as clone's child. */
static long clone_thread(const struct clone_req *q)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    struct cpu_trap *tr = cur_trap();
    u64 fl = q->flags;
    if (!(fl & CLONE_SIGHAND) || !(fl & CLONE_VM))
        return -EINVAL; /* Linux: THREAD needs SIGHAND, which needs VM */
    if ((fl & CLONE_VFORK) || !(fl & CLONE_FILES) || !(fl & CLONE_FS))
        return -EINVAL; /* a thread sharing less than everything is not served */
    struct thread *ct;
    int err = thread_new(p, t, &ct);
    if (err)
        return err;
    ct->fs_base = (fl & CLONE_SETTLS) ? q->tls : t->fs_base;
    if (fl & CLONE_CHILD_CLEARTID)
        ct->clear_child_tid = q->child_tid;
    if (((fl & CLONE_PARENT_SETTID) &&
         copy_to_guest(q->parent_tid, &ct->tid, sizeof(ct->tid))) ||
        ((fl & CLONE_CHILD_SETTID) && copy_to_guest(q->child_tid, &ct->tid, sizeof(ct->tid)))) {
        thread_cancel(ct);
        return -EFAULT;
    }
    struct cpu_regs regs = *tr->regs;
    regs.rax = 0;
    if (q->stack)
        regs.rsp = q->stack;
    i32 tid = ct->tid;
    err = plat_thread_create(ct, ct->trap_stack, PLAT_TRAP_STACK_SIZE, &regs, ct->fs_base,
                             &ct->host_tid);
    if (err) {
        thread_cancel(ct);
        return err == -ENOMEM ? -ENOMEM : -EAGAIN;
    }
    return tid;
}

static long do_clone(const struct clone_req *q)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    struct cpu_trap *tr = cur_trap();
    u64 fl = q->flags;
    if (fl & CLONE_NEWS)
        return -EPERM; /* no namespaces inside a sandbox (an unprivileged user's answer) */
    if (fl & CLONE_THREAD)
        return clone_thread(q);
    if ((fl & CLONE_VM) && !(fl & CLONE_VFORK))
        return -EINVAL; /* a process sharing our memory is not served; threads are */
    if (fl & (CLONE_SIGHAND | CLONE_FS | CLONE_FILES | CLONE_PIDFD | CLONE_PARENT))
        return -EINVAL; /* sharing these between processes is not served */
    if (q->exit_signal < 0 || q->exit_signal > NSIG)
        return -EINVAL;

    struct proc *c;
    struct thread *ct;
    int err = proc_fork(p, t, &c, &ct);
    if (err)
        return err;
    c->exit_signal = q->exit_signal;
    if (fl & CLONE_SETTLS)
        ct->fs_base = q->tls;
    if (fl & CLONE_CHILD_CLEARTID)
        ct->clear_child_tid = q->child_tid;
    if ((fl & CLONE_PARENT_SETTID) && copy_to_guest(q->parent_tid, &c->pid, sizeof(c->pid))) {
        proc_fork_cancel(c);
        return -EFAULT;
    }

    if ((fl & CLONE_VM) && (fl & CLONE_VFORK)) {
        /* The child borrows this host process and this very trap. */
        struct vfork_save *s = save_regs(tr);
        if (!s) {
            proc_fork_cancel(c);
            return -ENOMEM;
        }
        c->vfork_parent = t;
        c->vfork_save = s;
        ct->host_pid = t->host_pid;
        ct->host_tid = t->host_tid;
        plat_set_thread_ptr(ct);
        return child_start(ct, tr, q);
    }

    long r = plat_fork(ct, &ct->host_tid);
    if (r < 0) {
        proc_fork_cancel(c);
        return r == -ENOMEM ? -ENOMEM : -EAGAIN;
    }
    if (r == 0) { /* the child, in its own host process */
        ct->host_pid = plat_host_tid();
        return child_start(ct, tr, q);
    }
    ct->host_pid = (i32)r;
    return c->pid;
}

long sys_fork(void)
{
    struct clone_req q = {.exit_signal = SIGCHLD};
    return do_clone(&q);
}

long sys_vfork(void)
{
    struct clone_req q = {.flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD};
    return do_clone(&q);
}

long sys_clone(unsigned long flags, uptr stack, uptr parent_tid, uptr child_tid, uptr tls)
{
    struct clone_req q = {flags & ~(u64)CSIGNAL, stack, parent_tid, child_tid, tls,
                          (int)(flags & CSIGNAL)};
    return do_clone(&q);
}

struct linux_clone_args {
    u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

long sys_clone3(uptr uargs, size_t size)
{
    struct linux_clone_args a;
    memset(&a, 0, sizeof(a));
    if (size < 64 || size > PAGE_SIZE)
        return -EINVAL;
    if (copy_from_guest(&a, uargs, MIN(size, sizeof(a))))
        return -EFAULT;
    if (a.exit_signal > NSIG || (a.flags & CSIGNAL) || a.set_tid || a.set_tid_size)
        return -EINVAL;
    if ((a.stack == 0) != (a.stack_size == 0))
        return -EINVAL;
    struct clone_req q = {a.flags, a.stack ? a.stack + a.stack_size : 0, a.parent_tid,
                          a.child_tid, a.tls, (int)a.exit_signal};
    return do_clone(&q);
}

/* ---- exec ---- */

#define MAX_ARG_STRLEN (32 * PAGE_SIZE) /* Linux's limit on one argument */
#define ARG_MAX_TOTAL (2 * 1024 * 1024) /* a quarter of the default 8 MiB stack limit */

struct strv {
    char **v;
    int n;
    size_t bytes;
};

static void strv_free(struct strv *s)
{
    for (int i = 0; i < s->n; i++)
        kfree(s->v[i]);
    kfree(s->v);
    s->v = NULL;
    s->n = 0;
}

/* Copies a guest NULL-terminated array of strings (argv or envp; NULL means empty). Each
 * string passes through one scratch buffer and is kept at its own size. */
static long strv_from_guest(uptr uv, struct strv *s, size_t *total, char *scratch)
{
    int cap = 16;
    s->v = kmalloc((size_t)cap * sizeof(char *));
    s->n = 0;
    if (!s->v)
        return -ENOMEM;
    for (;; s->n++) {
        uptr up = 0;
        if (uv && copy_from_guest(&up, uv + (uptr)s->n * 8, 8))
            return -EFAULT;
        if (!up)
            break;
        if (s->n + 2 > cap) {
            cap *= 2;
            char **nv = krealloc(s->v, (size_t)cap * sizeof(char *));
            if (!nv)
                return -ENOMEM;
            s->v = nv;
        }
        long len = copy_str_from_guest(scratch, up, MAX_ARG_STRLEN);
        if (len < 0)
            return len == -ENAMETOOLONG ? -E2BIG : len;
        char *str = kmalloc((size_t)len + 1);
        if (!str)
            return -ENOMEM;
        memcpy(str, scratch, (size_t)len + 1);
        s->v[s->n] = str;
        *total += (size_t)len + 1 + 8;
        if (*total > ARG_MAX_TOTAL) {
            s->n++;
            return -E2BIG;
        }
    }
    s->v[s->n] = NULL;
    return 0;
}

/* Unmaps every guest mapping: all of the address space but husk's image and arenas. */
static void unmap_guest(void)
{
    uptr r[6];
    arena_ranges(r);
    plat_image_range(&r[4], &r[5]);
    /* Sort the three reserved ranges by start. */
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (r[2 * j] < r[2 * i]) {
                uptr a = r[2 * i], b = r[2 * i + 1];
                r[2 * i] = r[2 * j], r[2 * i + 1] = r[2 * j + 1];
                r[2 * j] = a, r[2 * j + 1] = b;
            }
    uptr at = PAGE_SIZE;
    for (int i = 0; i < 3; i++) {
        if (r[2 * i] > at)
            plat_mem_unmap(at, r[2 * i] - at);
        at = MAX(at, ALIGN_UP(r[2 * i + 1], PAGE_SIZE));
    }
    uptr top = 0x7ffffffff000UL;
    if (top > at)
        plat_mem_unmap(at, top - at);
}

/* The register and FPU state a new image starts with: all zero but for the entry point, the
 * stack, and the FPU control words' defaults. */
static void fresh_cpu(struct cpu_trap *tr, uptr entry, uptr sp)
{
    struct cpu_regs *r = tr->regs;
    u64 seg = r->cs_gs_fs;
    memset(r, 0, sizeof(*r));
    r->cs_gs_fs = seg;
    r->rip = entry;
    r->rsp = sp;
    r->eflags = 0x202;
    if (tr->fpu && tr->fpu_size >= 512) {
        u8 *f = tr->fpu;
        u8 sw[48], tail[4];
        memcpy(sw, f + 464, sizeof(sw));
        memcpy(tail, f + tr->fpu_size - 4, 4); /* FP_XSTATE_MAGIC2 ends an extended frame */
        memset(f, 0, tr->fpu_size);
        memcpy(f + 464, sw, sizeof(sw));
        if (tr->fpu_size > 512)
            memcpy(f + tr->fpu_size - 4, tail, 4);
        *(u16 *)f = 0x37f;             /* x87 control word */
        *(u32 *)(f + 24) = 0x1f80;     /* MXCSR */
        *(u32 *)(f + 28) = 0xffff;     /* MXCSR mask */
    }
}

/* What exec resets in the process: close-on-exec descriptors, handled signals, the
 * alternate stack, the TLS base, robust futex and tid addresses. */
static void exec_reset(struct proc *p, struct thread *t)
{
    struct fdtable *fdt = &p->fds;
    for (int fd = 0; fd < fdt->cap; fd++)
        if (fdt->files[fd] && fdt->cloexec[fd])
            fd_close(fdt, fd);
    for (int s = 0; s < NSIG; s++)
        if (p->sigactions[s].handler != SIG_IGN)
            p->sigactions[s] = (struct ksigaction){SIG_DFL, 0, 0, 0};
        else
            p->sigactions[s].flags = 0;
    t->altstack_sp = 0;
    t->altstack_size = 0;
    t->altstack_flags = SS_DISABLE;
    t->clear_child_tid = 0;
    t->robust_list = 0;
    t->fs_base = 0;
    plat_set_fs(0);
}

static long do_execve(int dirfd, uptr upath, uptr uargv, uptr uenvp, int flags)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    struct cpu_trap *tr = cur_trap();
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    char *path;
    long err = path_from_guest(upath, &path);
    if (err < 0)
        return err;
    struct strv argv = {0}, envp = {0};
    size_t total = 0;
    struct exec_prep prep;
    struct file *df = NULL;
    char *scratch = kmalloc(MAX_ARG_STRLEN);
    err = scratch ? strv_from_guest(uargv, &argv, &total, scratch) : -ENOMEM;
    if (!err)
        err = strv_from_guest(uenvp, &envp, &total, scratch);
    kfree(scratch);
    if (err)
        goto out;
    if (!path[0] && !(flags & AT_EMPTY_PATH)) {
        err = -ENOENT;
        goto out;
    }
    /* Where a relative path starts: the cwd or dirfd's directory. */
    struct vfs_start start = p->cwd;
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        df = fd_get(&p->fds, dirfd);
        if (!df || !df->vnode) {
            err = -EBADF;
            goto out;
        }
        if (!path[0]) {
            /* execveat(fd, "", AT_EMPTY_PATH): the file itself, by its canonical path. */
            kfree(path);
            path = strdup(df->path ? df->path : "");
            if (!path) {
                err = -ENOMEM;
                goto out;
            }
        } else if (!S_ISDIR(df->vnode->type)) {
            err = -ENOTDIR;
            goto out;
        } else {
            start = (struct vfs_start){df->vnode, df->mnt, df->path};
        }
    }
    if (flags & AT_SYMLINK_NOFOLLOW) {
        struct resolved r;
        err = vfs_resolve(&p->root, &start, path, 0, &r);
        if (!err) {
            if (S_ISLNK(r.vnode->type))
                err = -ELOOP;
            resolved_put(&r);
        }
        if (err)
            goto out;
    }
    err = exec_prepare(p, &start, path, &prep);
    if (err)
        goto out;

    /* A vfork child leaves its parent's host process now; the parent resumes in it. */
    struct thread *vparent = p->vfork_parent;
    struct vfork_save *vsave = p->vfork_save;
    if (vparent) {
        p->vfork_parent = NULL;
        p->vfork_save = NULL;
        long r = plat_fork(t, &t->host_tid);
        if (r < 0) {
            t->host_tid = vparent->host_tid;
            p->vfork_parent = vparent;
            p->vfork_save = vsave;
            exec_prep_release(&prep);
            err = -EAGAIN;
            goto out;
        }
        if (r > 0) {
            /* The parent's side. Every object this call holds (the argument copies, the
             * prepared image, the dirfd reference) is in shared memory and now belongs to the
             * child, which releases it: releasing it here too would free it twice. */
            t->host_pid = (i32)r;
            return resume_parent(tr, vparent, vsave, p->pid);
        }
        t->host_pid = plat_host_tid();
    }

    /* The point of no return: from here a failure kills the process, as in Linux. The other
     * threads end first; this one takes over the process's first thread's identity. */
    thread_kill_others(t);
    if (t != p->threads) {
        t->tid = p->pid;
        p->threads = t;
    }
    unmap_guest();
    exec_reset(p, t);
    struct exec_args ea = {path, argv.n, envp.n, argv.v, envp.v};
    struct exec_result er;
    err = exec_commit(p, &prep, &ea, &er);
    exec_prep_release(&prep);
    if (err) {
        kprintf("husk: exec of %s failed after the old image was gone (%ld)\n", path, err);
        err = do_exit(tr, SIGSEGV);
        goto out;
    }
    fresh_cpu(tr, er.entry, er.sp);
    err = 0;
out:
    file_put(df);
    strv_free(&argv);
    strv_free(&envp);
    kfree(path);
    return err;
}

long sys_execve(uptr path, uptr argv, uptr envp)
{
    return do_execve(AT_FDCWD, path, argv, envp, 0);
}

long sys_execveat(int dirfd, uptr path, uptr argv, uptr envp, int flags)
{
    return do_execve(dirfd, path, argv, envp, flags);
}

/* ---- wait ---- */

#define WALL_FLAGS 0xe0000000 /* __WNOTHREAD __WALL __WCLONE */

long sys_wait4(int pid, uptr ustatus, int options, uptr rusage)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | (int)WALL_FLAGS))
        return -EINVAL;
    if (pid == INT32_MIN)
        return -ESRCH;
    int idtype = P_PID;
    i32 id = pid;
    if (pid == -1) {
        idtype = P_ALL;
    } else if (pid == 0) {
        idtype = P_PGID;
        id = current()->proc->pgid;
    } else if (pid < -1) {
        idtype = P_PGID;
        id = -pid;
    }
    struct wait_result wr;
    long r = proc_wait(current()->proc, idtype, id, options | WEXITED, &wr);
    if (r > 0 && ustatus && copy_to_guest(ustatus, &wr.wstatus, sizeof(int)))
        return -EFAULT;
    if (r > 0 && rusage) {
        struct linux_rusage ru;
        memset(&ru, 0, sizeof(ru));
        if (copy_to_guest(rusage, &ru, sizeof(ru)))
            return -EFAULT;
    }
    return r;
}

long sys_waitid(int which, int id, uptr uinfo, int options, uptr rusage)
{
    (void)rusage;
    if (which < 0 || which > 2) /* P_ALL P_PID P_PGID (no pidfds) */
        return -EINVAL;
    if (options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | (int)WALL_FLAGS))
        return -EINVAL;
    if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
        return -EINVAL;
    if (which == P_PGID && id == 0)
        id = current()->proc->pgid;
    struct wait_result wr;
    long r = proc_wait(current()->proc, which, id, options, &wr);
    if (r < 0)
        return r;
    if (uinfo) {
        struct linux_siginfo si;
        memset(&si, 0, sizeof(si));
        if (r > 0) {
            si.si_signo = SIGCHLD;
            si.si_code = wr.code;
            si.kill.pid = wr.pid;
            si.kill.uid = wr.uid;
            si.kill.status = wr.status;
        }
        if (copy_to_guest(uinfo, &si, sizeof(si)))
            return -EFAULT;
    }
    return 0;
}
