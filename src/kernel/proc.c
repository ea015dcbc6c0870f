/* proc.c: creation of processes and threads, their file-system context, and the queues of
 * pending signals. */
#include "task.h"
#include "wait.h"
#include "../platform/platform.h"

void fsctx_set(struct vfs_start *dst, struct vnode *dir, struct mount *mnt, const char *path)
{
    char *p = strdup(path);
    vnode_get(dir);
    vnode_put(dst->dir);
    kfree((char *)dst->path);
    dst->dir = dir;
    dst->mnt = mnt;
    dst->path = p;
}

/* Linux's default limits for a new login process, as `ulimit -a` shows them on Debian. */
static void default_rlimits(struct proc *p)
{
    for (int i = 0; i < RLIMIT_NLIMITS; i++)
        p->rlim[i][0] = p->rlim[i][1] = RLIM_INFINITY;
    p->rlim[3][0] = 8 << 20;            /* RLIMIT_STACK */
    p->rlim[4][0] = p->rlim[4][1] = 0;  /* RLIMIT_CORE soft 0 */
    p->rlim[4][1] = RLIM_INFINITY;
    p->rlim[6][0] = p->rlim[6][1] = 63704; /* RLIMIT_NPROC */
    p->rlim[7][0] = 1024;               /* RLIMIT_NOFILE */
    p->rlim[7][1] = FD_MAX;
    p->rlim[8][0] = p->rlim[8][1] = 8 << 20; /* RLIMIT_MEMLOCK */
    p->rlim[11][0] = p->rlim[11][1] = 63704; /* RLIMIT_SIGPENDING */
    p->rlim[12][0] = p->rlim[12][1] = 819200; /* RLIMIT_MSGQUEUE */
    p->rlim[13][0] = p->rlim[13][1] = 0;  /* RLIMIT_NICE */
    p->rlim[14][0] = p->rlim[14][1] = 0;  /* RLIMIT_RTPRIO */
}

int proc_register_init(struct proc *p); /* ptable.c */

int proc_create_init(struct proc **pp, struct thread **tp)
{
    struct proc *p = kzalloc(sizeof(*p));
    struct thread *t = kzalloc(sizeof(*t));
    if (!p || !t) {
        kfree(p);
        kfree(t);
        return -ENOMEM;
    }
    p->pid = p->pgid = p->sid = 1;
    p->ppid = 0;
    p->umask = 022;
    fdt_init(&p->fds);
    default_rlimits(p);
    i64 s;
    long ns;
    plat_clock_get(1, &s, &ns);
    p->start_ns = s * 1000000000 + ns;
    list_init(&p->sigpending.rtq);
    list_init(&t->sigpending.rtq);
    p->threads = t;
    list_init(&p->thread_list);
    list_init(&p->dead_threads);
    list_add_tail(&p->thread_list, &t->tlink);
    p->nthreads = 1;
    p->state = PROC_RUNNING;
    t->self = t;
    t->tid = 1;
    t->proc = p;
    t->in_syscall = -1;
    t->host_pid = t->host_tid = plat_host_tid();
    p->sig_wq = kzalloc(sizeof(struct waitq));
    if (!p->sig_wq)
        return -ENOMEM;
    waitq_init(p->sig_wq);
    int err = proc_register_init(p);
    if (err)
        return err;
    *pp = p;
    *tp = t;
    return 0;
}

/* ---- pending signals ---- */

#define SIGBIT(s) (1ULL << ((s)-1))
#define SIGKILL 9
#define SIGSTOP 19

struct rtsig {
    struct list link;
    struct ksiginfo info;
};

/* Signals whose default action is to ignore them (SIGCHLD, SIGCONT, SIGURG, SIGWINCH). */
#define DEFAULT_IGNORED (SIGBIT(17) | SIGBIT(18) | SIGBIT(23) | SIGBIT(28))

/* Linux drops a signal at generation when it would be ignored and is not blocked: it never
 * becomes pending, so it cannot interrupt a wait (sig_ignored in the kernel). */
static bool ignored(struct proc *p, struct thread *t, int s)
{
    uptr h = p->sigactions[s - 1].handler;
    bool ign = h == SIG_IGN || (h == SIG_DFL && (DEFAULT_IGNORED & SIGBIT(s)));
    return ign && !(t->blocked & SIGBIT(s));
}

int signal_post(struct proc *p, struct thread *t, const struct ksiginfo *info)
{
    struct sigqueue *q = t ? &t->sigpending : &p->sigpending;
    int s = info->signo;
    if (s < 1 || s > NSIG)
        return -EINVAL;
    if (s != SIGKILL && s != SIGSTOP && ignored(p, t ? t : p->threads, s))
        return 0;
    spin_lock(&p->lock);
    if (s >= SIGRTMIN_K) {
        struct rtsig *r = p->rt_queued < RTSIG_MAX ? kmalloc(sizeof(*r)) : NULL;
        if (!r) {
            spin_unlock(&p->lock);
            return -EAGAIN;
        }
        r->info = *info;
        list_add_tail(&q->rtq, &r->link);
        p->rt_queued++;
        q->pending |= SIGBIT(s);
    } else if (!(q->pending & SIGBIT(s))) {
        /* A second standard signal while one is pending merges with it. */
        q->pending |= SIGBIT(s);
        q->info[s - 1] = *info;
    }
    spin_unlock(&p->lock);
    if (p->sig_wq)
        waitq_wake_all(p->sig_wq);
    if (t) {
        thread_kick(t);
    } else {
        /* Any thread may be the one to take it (one in sigwaitinfo or sigsuspend, say): wake
         * every sleeping thread; the kick costs nothing for one that is not asleep. */
        spin_lock(&p->lock);
        struct list *pos;
        list_for_each(pos, &p->thread_list)
        thread_kick(container_of(pos, struct thread, tlink));
        spin_unlock(&p->lock);
    }
    return 0;
}

struct thread *signal_target(struct proc *p, int sig)
{
    struct thread *best = p->threads;
    spin_lock(&p->lock);
    struct list *pos;
    list_for_each(pos, &p->thread_list)
    {
        struct thread *t = container_of(pos, struct thread, tlink);
        if (!(t->blocked & SIGBIT(sig))) {
            best = t;
            break;
        }
    }
    spin_unlock(&p->lock);
    return best;
}

/* Removes signal s from q, filling info (with p->lock held). */
static void dequeue(struct proc *p, struct sigqueue *q, int s, struct ksiginfo *info)
{
    if (s < SIGRTMIN_K) {
        q->pending &= ~SIGBIT(s);
        *info = q->info[s - 1];
        return;
    }
    struct list *pos;
    bool more = false, found = false;
    list_for_each(pos, &q->rtq) {
        struct rtsig *r = container_of(pos, struct rtsig, link);
        if (r->info.signo != s)
            continue;
        if (found) {
            more = true;
            break;
        }
        *info = r->info;
        found = true;
        struct list *prev = pos->prev;
        list_del(pos);
        kfree(r);
        p->rt_queued--;
        pos = prev;
    }
    if (!more)
        q->pending &= ~SIGBIT(s);
}

static u64 deliverable(struct thread *t)
{
    u64 unmaskable = SIGBIT(SIGKILL) | SIGBIT(SIGSTOP);
    return (t->sigpending.pending | t->proc->sigpending.pending) &
           (~t->blocked | unmaskable);
}

bool signal_any_deliverable(struct thread *t)
{
    return deliverable(t) != 0;
}

int signal_take(struct thread *t, struct ksiginfo *info)
{
    struct proc *p = t->proc;
    spin_lock(&p->lock);
    u64 d = deliverable(t);
    int s = 0;
    if (d) {
        /* Synchronous-fault signals first, as Linux does, then the lowest number. */
        static const int first[] = {11, 7, 4, 8, 5};
        for (size_t i = 0; i < ARRAY_SIZE(first) && !s; i++)
            if (d & SIGBIT(first[i]))
                s = first[i];
        if (!s)
            s = __builtin_ctzll(d) + 1;
        struct sigqueue *q = (t->sigpending.pending & SIGBIT(s)) ? &t->sigpending
                                                                 : &p->sigpending;
        dequeue(p, q, s, info);
    }
    spin_unlock(&p->lock);
    return s;
}

int signal_take_from(struct thread *t, u64 set, struct ksiginfo *info)
{
    u64 saved = t->blocked;
    t->blocked = ~set;
    int s = signal_take(t, info);
    t->blocked = saved;
    return s;
}
