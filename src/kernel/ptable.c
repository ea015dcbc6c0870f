/* ptable.c: the sandbox's process table, in the shared arena: pids, parents and children,
 * process groups and sessions, fork's copy of a process, exit and zombies, wait, and signals
 * sent from one process to another.
 *
 * Lock order: table.lock, then a process's lock (signal queues), then wait-queue locks. */
#include "task.h"
#include "wait.h"
#include "../platform/platform.h"

#define PID_MAX 4194304 /* Linux's pid_max on 64-bit */
#define SIGBIT(s) (1ULL << ((s)-1))
#define SIGKILL 9
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define STOP_SIGS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
#define SA_NOCLDSTOP 1
#define SA_NOCLDWAIT 2

struct ptable {
    spinlock_t lock;
    struct list all;
    i32 last_pid;
    struct proc *init;
};

static struct ptable *table; /* allocated before the first fork: the same everywhere */

static struct ptable *tbl(void)
{
    if (!table) {
        table = kzalloc(sizeof(*table));
        if (!table)
            panic("no memory for the process table");
        list_init(&table->all);
    }
    return table;
}

/* Whether p has a thread with this tid. Thread lists change under p->lock (a thread moves
 * itself to dead_threads as it ends), so they are walked under it too. */
static bool has_tid(struct proc *p, i32 tid)
{
    bool found = false;
    spin_lock(&p->lock);
    struct list *tp;
    list_for_each(tp, &p->thread_list)
    {
        if (container_of(tp, struct thread, tlink)->tid == tid)
            found = true;
    }
    spin_unlock(&p->lock);
    return found;
}

struct proc *proc_init(void)
{
    return tbl()->init;
}

/* Called with the table locked. */
static struct proc *find_locked(i32 pid)
{
    struct list *pos;
    list_for_each(pos, &tbl()->all)
    {
        struct proc *p = container_of(pos, struct proc, all);
        if (p->pid == pid)
            return p;
    }
    return NULL;
}

/* The process that has a thread with this tid (a process's first thread has tid == pid). */
struct proc *proc_find_by_tid(i32 tid)
{
    struct proc *found = NULL;
    spin_lock(&tbl()->lock);
    struct list *pos;
    list_for_each(pos, &tbl()->all)
    {
        struct proc *p = container_of(pos, struct proc, all);
        if (has_tid(p, tid))
            found = p;
    }
    spin_unlock(&tbl()->lock);
    return found;
}

i32 proc_next_pid(i32 after)
{
    i32 best = 0;
    spin_lock(&tbl()->lock);
    struct list *pos;
    list_for_each(pos, &tbl()->all)
    {
        struct proc *p = container_of(pos, struct proc, all);
        if (p->pid > after && (!best || p->pid < best) && p->state != PROC_ZOMBIE)
            best = p->pid;
    }
    spin_unlock(&tbl()->lock);
    return best;
}

struct proc *proc_find(i32 pid)
{
    spin_lock(&tbl()->lock);
    struct proc *p = find_locked(pid);
    spin_unlock(&tbl()->lock);
    return p;
}

/* Called with the table locked. Pids are not reused while a process or a group of that
 * number exists, as in Linux. */
static i32 alloc_pid_locked(void)
{
    struct ptable *t = tbl();
    for (;;) {
        t->last_pid = t->last_pid >= PID_MAX - 1 ? 2 : t->last_pid + 1;
        bool used = false;
        struct list *pos;
        list_for_each(pos, &t->all)
        {
            struct proc *p = container_of(pos, struct proc, all);
            if (p->pid == t->last_pid || p->pgid == t->last_pid || p->sid == t->last_pid) {
                used = true;
                break;
            }
            used = has_tid(p, t->last_pid);
            if (used)
                break;
        }
        if (!used)
            return t->last_pid;
    }
}

i32 ptable_alloc_tid(void)
{
    spin_lock(&tbl()->lock);
    i32 tid = alloc_pid_locked();
    spin_unlock(&tbl()->lock);
    return tid;
}

/* Links a new process into the table as a child of parent (NULL for init). */
static void link_locked(struct proc *p, struct proc *parent)
{
    list_init(&p->children);
    list_add_tail(&tbl()->all, &p->all);
    p->parent = parent;
    if (parent)
        list_add_tail(&parent->children, &p->sibling);
    else
        list_init(&p->sibling);
}

int proc_register_init(struct proc *p)
{
    struct ptable *t = tbl();
    p->child_wq = kzalloc(sizeof(struct waitq));
    if (!p->child_wq)
        return -ENOMEM;
    waitq_init(p->child_wq);
    spin_lock(&t->lock);
    link_locked(p, NULL);
    t->last_pid = p->pid;
    t->init = p;
    spin_unlock(&t->lock);
    return 0;
}

/* ---- fork ---- */

static int dup_fds(struct fdtable *dst, struct fdtable *src)
{
    fdt_init(dst);
    dst->limit = src->limit;
    spin_lock(&src->lock);
    int err = 0;
    int cap = src->cap;
    struct file **files = cap ? kzalloc((size_t)cap * sizeof(*files)) : NULL;
    u8 *cloexec = cap ? kzalloc((size_t)cap) : NULL;
    if (cap && (!files || !cloexec)) {
        err = -ENOMEM;
    } else {
        for (int i = 0; i < cap; i++)
            if (src->files[i]) {
                files[i] = file_get(src->files[i]);
                cloexec[i] = src->cloexec[i];
            }
    }
    spin_unlock(&src->lock);
    if (err) {
        kfree(files);
        kfree(cloexec);
        return err;
    }
    dst->files = files;
    dst->cloexec = cloexec;
    dst->cap = cap;
    return 0;
}

static void drop_fds(struct fdtable *t)
{
    for (int i = 0; i < t->cap; i++)
        if (t->files[i]) {
            struct file *f = t->files[i];
            t->files[i] = NULL;
            file_put(f);
        }
    kfree(t->files);
    kfree(t->cloexec);
    t->files = NULL;
    t->cloexec = NULL;
    t->cap = 0;
}

static void drop_fsctx(struct vfs_start *s)
{
    vnode_put(s->dir);
    kfree((char *)s->path);
    s->dir = NULL;
    s->path = NULL;
}

int proc_fork(struct proc *p, struct thread *t, struct proc **cp, struct thread **ct)
{
    struct proc *c = kzalloc(sizeof(*c));
    struct thread *ctd = kzalloc(sizeof(*ctd));
    struct waitq *wq = kzalloc(sizeof(*wq)), *swq = kzalloc(sizeof(*swq));
    if (!c || !ctd || !wq || !swq)
        goto nomem;
    if (dup_fds(&c->fds, &p->fds))
        goto nomem;
    waitq_init(wq);
    waitq_init(swq);
    c->child_wq = wq;
    c->sig_wq = swq;
    c->ppid = p->pid;
    c->pgid = p->pgid;
    c->sid = p->sid;
    c->uid = p->uid, c->euid = p->euid, c->suid = p->suid;
    c->gid = p->gid, c->egid = p->egid, c->sgid = p->sgid;
    c->ngroups = p->ngroups;
    memcpy(c->groups, p->groups, sizeof(c->groups));
    c->umask = p->umask;
    fsctx_set(&c->root, p->root.dir, p->root.mnt, p->root.path);
    fsctx_set(&c->cwd, p->cwd.dir, p->cwd.mnt, p->cwd.path);
    c->mm = p->mm;
    memcpy(c->sigactions, p->sigactions, sizeof(c->sigactions));
    list_init(&c->sigpending.rtq);
    memcpy(c->comm, p->comm, sizeof(c->comm));
    c->exe_path = p->exe_path ? strdup(p->exe_path) : NULL;
    memcpy(c->rlim, p->rlim, sizeof(c->rlim));
    c->start_ns = p->start_ns;
    c->state = PROC_RUNNING;

    ctd->self = ctd;
    ctd->proc = c;
    ctd->blocked = t->blocked;
    list_init(&ctd->sigpending.rtq);
    ctd->altstack_sp = t->altstack_sp;
    ctd->altstack_size = t->altstack_size;
    ctd->altstack_flags = t->altstack_flags;
    ctd->fs_base = t->fs_base;
    ctd->in_syscall = t->in_syscall;
    ctd->trap_stack = t->trap_stack; /* the child continues on its copy of this stack */
    c->threads = ctd;
    list_init(&c->thread_list);
    list_init(&c->dead_threads);
    list_add_tail(&c->thread_list, &ctd->tlink);
    c->nthreads = 1;

    spin_lock(&tbl()->lock);
    c->pid = alloc_pid_locked();
    ctd->tid = c->pid;
    link_locked(c, p);
    spin_unlock(&tbl()->lock);
    *cp = c;
    *ct = ctd;
    return 0;
nomem:
    kfree(c);
    kfree(ctd);
    kfree(wq);
    kfree(swq);
    return -ENOMEM;
}

static void free_threads(struct list *l)
{
    while (!list_empty(l)) {
        struct thread *t = container_of(l->next, struct thread, tlink);
        list_del(&t->tlink);
        kfree(t);
    }
}

static void free_proc(struct proc *c)
{
    drop_fds(&c->fds);
    drop_fsctx(&c->root);
    drop_fsctx(&c->cwd);
    kfree(c->exe_path);
    kfree(c->child_wq);
    kfree(c->sig_wq);
    free_threads(&c->thread_list);
    free_threads(&c->dead_threads);
    kfree(c);
}

void proc_fork_cancel(struct proc *c)
{
    spin_lock(&tbl()->lock);
    list_del(&c->all);
    list_del(&c->sibling);
    spin_unlock(&tbl()->lock);
    free_proc(c);
}

/* ---- signals between processes ---- */

void thread_interrupt(struct thread *t)
{
    thread_kick(t);
    /* Asleep, the kick was enough; running guest code in another host thread, it needs the
     * doorbell to look at its pending signals now rather than at its next syscall. */
    if (t != current() && !__atomic_load_n(&t->sleeping, __ATOMIC_SEQ_CST) && t->host_tid)
        plat_doorbell(t->host_pid, t->host_tid);
}

/* Job-control side effects of posting sig to p, as Linux applies them at send time: SIGCONT
 * resumes a stopped process and discards pending stop signals; a stop signal discards a
 * pending SIGCONT; SIGKILL resumes a stopped process so that it can die. */
static void post_effects(struct proc *p, int sig)
{
    struct thread *t = p->threads;
    if (sig == SIGCONT || sig == SIGKILL) {
        p->sigpending.pending &= ~STOP_SIGS;
        t->sigpending.pending &= ~STOP_SIGS;
        if (p->state == PROC_STOPPED) {
            p->state = PROC_RUNNING;
            if (sig == SIGCONT) {
                p->report_cont = true;
                p->report_stop = false;
            }
        }
    } else if (SIGBIT(sig) & STOP_SIGS) {
        p->sigpending.pending &= ~SIGBIT(SIGCONT);
        t->sigpending.pending &= ~SIGBIT(SIGCONT);
    }
}

static void notify_parent(struct proc *c, int code, int status);

static int send_to(struct proc *p, const struct ksiginfo *info)
{
    if (p->state == PROC_ZOMBIE)
        return 0;
    if (info->signo == 0)
        return 0;
    spin_lock(&p->lock);
    post_effects(p, info->signo);
    spin_unlock(&p->lock);
    bool continued = p->report_cont && info->signo == SIGCONT;
    int err = signal_post(p, NULL, info);
    thread_interrupt(signal_target(p, info->signo));
    if (continued)
        notify_parent(p, CLD_CONTINUED, SIGCONT);
    return err;
}

int proc_kill(struct proc *from, i32 pid, const struct ksiginfo *info)
{
    struct ptable *t = tbl();
    int found = 0, err = 0;
    /* Sending under the table lock keeps every target alive until its signal is posted. */
    spin_lock(&t->lock);
    struct list *pos;
    list_for_each(pos, &t->all)
    {
        struct proc *p = container_of(pos, struct proc, all);
        bool match;
        if (pid > 0)
            match = p->pid == pid;
        else if (pid == 0)
            match = p->pgid == from->pgid;
        else if (pid == -1)
            match = p->pid != 1 && p != from;
        else
            match = p->pgid == -pid;
        if (!match)
            continue;
        found++; /* a zombie counts: kill succeeds and does nothing to it */
        int r = send_to(p, info);
        if (r && !err)
            err = r;
    }
    spin_unlock(&t->lock);
    return found ? err : -ESRCH;
}

int thread_kill(i32 tgid, i32 tid, const struct ksiginfo *info)
{
    struct thread *t = thread_find(tid);
    struct proc *p = t ? t->proc : NULL;
    if (!p || (tgid && p->pid != tgid) || p->state == PROC_ZOMBIE)
        return -ESRCH;
    if (!info->signo)
        return 0;
    spin_lock(&tbl()->lock);
    spin_lock(&p->lock);
    post_effects(p, info->signo);
    spin_unlock(&p->lock);
    int err = signal_post(p, t, info);
    thread_interrupt(t);
    spin_unlock(&tbl()->lock);
    return err;
}

/* ---- exit and wait ---- */

/* Tells the parent about a change of c (exit, stop, continue): SIGCHLD unless the parent's
 * disposition says not to, and a wake-up of its waiters. */
static void notify_parent(struct proc *c, int code, int status)
{
    struct proc *par = c->parent;
    if (!par)
        return;
    /* An exit reports the child's exit signal (SIGCHLD unless clone said otherwise); stops
     * and continues always report SIGCHLD. */
    int sig = (code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED) ? c->exit_signal
                                                                              : SIGCHLD;
    struct ksigaction *sa = &par->sigactions[SIGCHLD - 1];
    bool send = sig && !(sig == SIGCHLD && sa->handler == SIG_IGN) &&
                !(code == CLD_STOPPED && (sa->flags & SA_NOCLDSTOP)) &&
                !(code == CLD_CONTINUED && (sa->flags & SA_NOCLDSTOP));
    if (send) {
        struct ksiginfo k = {.signo = sig, .code = code, .pid = c->pid, .uid = c->uid,
                             .status = status};
        signal_post(par, NULL, &k);
        thread_interrupt(par->threads);
    }
    waitq_wake_all(par->child_wq);
}

static int wait_code(int wstatus)
{
    if ((wstatus & 0x7f) == 0)
        return CLD_EXITED;
    return (wstatus & 0x80) ? CLD_DUMPED : CLD_KILLED;
}

static int wait_status_field(int wstatus)
{
    return (wstatus & 0x7f) ? (wstatus & 0x7f) : ((wstatus >> 8) & 0xff);
}

bool proc_exit_core(struct proc *p, int wstatus)
{
    struct ptable *t = tbl();
    drop_fds(&p->fds); /* pipes see their ends close before the parent learns of the exit */
    drop_fsctx(&p->cwd);
    drop_fsctx(&p->root);
    /* Everything from here happens under the table lock: once p is a zombie its parent may
     * reap and free it, which also needs the lock, so p is not touched after the unlock. */
    spin_lock(&t->lock);
    struct proc *init = t->init;
    bool orphan_zombie = false, is_init = p == init;
    /* Orphans go to init; a zombie among them is init's to reap. */
    while (!list_empty(&p->children)) {
        struct proc *c = container_of(p->children.next, struct proc, sibling);
        list_del(&c->sibling);
        c->parent = is_init ? NULL : init;
        c->ppid = is_init ? 0 : 1;
        if (c->parent)
            list_add_tail(&init->children, &c->sibling);
        orphan_zombie |= c->state == PROC_ZOMBIE;
    }
    p->state = PROC_ZOMBIE;
    p->wstatus = wstatus;
    struct proc *par = p->parent;
    bool reap_now = par && (par->sigactions[SIGCHLD - 1].handler == SIG_IGN ||
                            (par->sigactions[SIGCHLD - 1].flags & SA_NOCLDWAIT));
    if (reap_now) {
        /* No zombie: the parent ignores SIGCHLD or asked for SA_NOCLDWAIT. (The struct stays
         * allocated: its own host process is still running on it until it exits.) */
        list_del(&p->all);
        list_del(&p->sibling);
    }
    if (orphan_zombie && init && !is_init)
        waitq_wake_all(init->child_wq);
    /* SA_NOCLDWAIT still sends SIGCHLD to a handler; SIG_IGN sends nothing (notify_parent
     * checks). Either way the parent's waiters look again. */
    if (!is_init)
        notify_parent(p, wait_code(wstatus), wait_status_field(wstatus));
    spin_unlock(&t->lock);
    return is_init;
}

/* A host process ended. Normally its guest process already went through proc_exit_core; if
 * not, the host killed it (the seccomp filter, for a forbidden host call), and it becomes a
 * zombie now with the status the host reported. Called from the platform's reaping, which runs
 * only where no lock is held. */
void proc_host_exit(i32 host_pid, int wstatus)
{
    struct proc *found = NULL;
    spin_lock(&tbl()->lock);
    struct list *pos;
    list_for_each(pos, &tbl()->all)
    {
        struct proc *p = container_of(pos, struct proc, all);
        if (p->state != PROC_ZOMBIE && !p->vfork_parent && p->threads &&
            p->threads->host_pid == host_pid) {
            found = p;
            break;
        }
    }
    spin_unlock(&tbl()->lock);
    if (found && found != current()->proc)
        proc_exit_core(found, wstatus);
}

/* Teardown: SIGKILL every other host process of the sandbox, then wait until each is gone
 * (reaped by the platform: this process is their host parent or subreaper). Nobody takes a lock
 * after this, so killing holders of shared locks is safe. */
#define TEARDOWN_MAX 1024
#define TEARDOWN_WAIT_NS 5000000000L

void proc_kill_all_others(struct proc *self)
{
    static i32 pids[TEARDOWN_MAX];
    int n = 0;
    spin_lock(&tbl()->lock);
    struct list *pos;
    list_for_each(pos, &tbl()->all)
    {
        struct proc *p = container_of(pos, struct proc, all);
        i32 hp = p->threads ? p->threads->host_pid : 0;
        if (p != self && hp && hp != self->threads->host_pid && n < TEARDOWN_MAX)
            pids[n++] = hp;
    }
    spin_unlock(&tbl()->lock);
    for (int i = 0; i < n; i++)
        plat_kill(pids[i]);
    for (i64 waited = 0; waited < TEARDOWN_WAIT_NS; waited += 1000000) {
        int alive = 0;
        for (int i = 0; i < n; i++)
            if (pids[i] && plat_kill(pids[i]) == -ESRCH)
                pids[i] = 0;
            else if (pids[i])
                alive++;
        if (!alive)
            return;
        plat_sleep(1, false, 0, 1000000);
    }
}

/* POSIX: a group is orphaned when no member has a parent in another group of the same
 * session; the terminal's stop signals (not SIGSTOP) do not stop it, since no job-control
 * shell is left to continue it. */
bool proc_pgrp_orphaned(i32 pgid)
{
    bool orphaned = true;
    spin_lock(&tbl()->lock);
    struct list *pos;
    list_for_each(pos, &tbl()->all)
    {
        struct proc *p = container_of(pos, struct proc, all);
        if (p->pgid != pgid || p->state == PROC_ZOMBIE)
            continue;
        struct proc *par = p->parent;
        if (par && par->pgid != pgid && par->sid == p->sid)
            orphaned = false;
    }
    spin_unlock(&tbl()->lock);
    return orphaned;
}

void proc_stop(struct proc *p, int sig)
{
    p->state = PROC_STOPPED;
    p->stop_sig = sig;
    p->report_stop = true;
    p->report_cont = false;
    notify_parent(p, CLD_STOPPED, sig);
}

static bool matches(struct proc *c, int idtype, i32 id)
{
    return idtype == P_ALL || (idtype == P_PID && c->pid == id) ||
           (idtype == P_PGID && c->pgid == id);
}

/* One pass over p's children: a reportable child fills wr. Returns its pid, 0 when children
 * match but none is reportable, -ECHILD when none matches. Called with the table locked. */
static long scan_locked(struct proc *p, int idtype, i32 id, int options, struct wait_result *wr,
                        struct proc **reap)
{
    bool any = false;
    struct list *pos;
    list_for_each(pos, &p->children)
    {
        struct proc *c = container_of(pos, struct proc, sibling);
        if (!matches(c, idtype, id))
            continue;
        any = true;
        *wr = (struct wait_result){.pid = c->pid, .uid = c->uid};
        if (c->state == PROC_ZOMBIE && (options & WEXITED)) {
            wr->wstatus = c->wstatus;
            wr->code = wait_code(c->wstatus);
            wr->status = wait_status_field(c->wstatus);
            if (!(options & WNOWAIT))
                *reap = c;
            return c->pid;
        }
        if (c->state == PROC_STOPPED && c->report_stop && (options & WUNTRACED)) {
            wr->wstatus = (c->stop_sig << 8) | 0x7f;
            wr->code = CLD_STOPPED;
            wr->status = c->stop_sig;
            if (!(options & WNOWAIT))
                c->report_stop = false;
            return c->pid;
        }
        if (c->report_cont && (options & WCONTINUED)) {
            wr->wstatus = 0xffff;
            wr->code = CLD_CONTINUED;
            wr->status = SIGCONT;
            if (!(options & WNOWAIT))
                c->report_cont = false;
            return c->pid;
        }
    }
    return any ? 0 : -ECHILD;
}

long proc_wait(struct proc *p, int idtype, i32 id, int options, struct wait_result *wr)
{
    struct thread *t = current();
    for (;;) {
        struct waiter *w = &t->waiter;
        struct proc *reap = NULL;
        u32 seq = wait_seq(t);
        spin_lock(&tbl()->lock);
        long r = scan_locked(p, idtype, id, options, wr, &reap);
        if (reap) {
            list_del(&reap->all);
            list_del(&reap->sibling);
        }
        if (r == 0 && !(options & WNOHANG)) {
            spin_lock(&p->child_wq->lock);
            w->key = 0;
            waitq_add(p->child_wq, w, t);
            spin_unlock(&p->child_wq->lock);
        }
        spin_unlock(&tbl()->lock);
        if (reap)
            free_proc(reap);
        if (r != 0 || (options & WNOHANG))
            return r;
        int err = wait_sleep(t, seq, -1);
        waitq_del(p->child_wq, w);
        if (err == -EINTR)
            return -ERESTARTSYS;
    }
}

/* ---- process groups and sessions ---- */

int proc_setpgid(struct proc *self, i32 pid, i32 pgid)
{
    if (pgid < 0)
        return -EINVAL;
    spin_lock(&tbl()->lock);
    struct proc *p = pid ? find_locked(pid) : self;
    int err = 0;
    if (!p || (p != self && p->parent != self))
        err = -ESRCH;
    else if (p->sid == p->pid)
        err = -EPERM; /* a session leader */
    else if (p != self && p->sid != self->sid)
        err = -EPERM;
    if (!err) {
        i32 want = pgid ? pgid : p->pid;
        if (want != p->pid) {
            /* Joining a group: it must exist in the same session. */
            bool ok = false;
            struct list *pos;
            list_for_each(pos, &tbl()->all)
            {
                struct proc *q = container_of(pos, struct proc, all);
                if (q->pgid == want && q->sid == p->sid && q->state != PROC_ZOMBIE)
                    ok = true;
            }
            if (!ok)
                err = -EPERM;
        }
        if (!err)
            p->pgid = want;
    }
    spin_unlock(&tbl()->lock);
    return err;
}

int proc_getpgid(i32 pid, bool sid)
{
    struct proc *p = pid ? proc_find(pid) : current()->proc;
    if (!p)
        return -ESRCH;
    return sid ? p->sid : p->pgid;
}
