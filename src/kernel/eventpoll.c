/* eventpoll.c: epoll instances and eventfd counters. An epoll instance is an interest list of
 * (fd, file, events); a wait checks each file's readiness and sleeps on the wait queues of all
 * of them, so it wakes when any changes, whichever process changed it. Edge-triggered items
 * report a readiness bit once until it has been seen to go away (what programs that read until
 * EAGAIN rely on); one-shot items are disabled after one report until re-armed. */
#include "eventpoll.h"
#include "wait.h"
#include "../platform/platform.h"

struct epitem {
    struct list link;
    int fd;
    struct file *file; /* a reference: the item lives until removed or the instance closes */
    u32 events;
    u64 data;
    u32 reported; /* edge-triggered: bits already reported and still set */
    u32 gen;      /* edge-triggered: the file's wait-queue generation when last reported */
    bool disabled; /* one-shot and already reported */
};

struct eventpoll {
    spinlock_t lock;
    struct list items;
};

static const struct file_ops epoll_fops;

static struct eventpoll *ep_of(struct file *f)
{
    return f->priv;
}

bool file_is_epoll(struct file *f)
{
    return f->ops == &epoll_fops;
}

/* Readiness of one item now, as epoll reports it (ERR and HUP always count). */
static u32 item_ready(struct epitem *it)
{
    int want = (int)(it->events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)) |
               POLLERR | POLLHUP;
    int r = it->file->ops && it->file->ops->poll ? it->file->ops->poll(it->file, want)
                                                 : (POLLIN | POLLOUT);
    return (u32)(r & want);
}

/* One pass: fills out with up to max ready items. Called with ep->lock held. */
static int scan_locked(struct eventpoll *ep, struct ep_event *out, int max)
{
    int n = 0;
    struct list *pos;
    list_for_each(pos, &ep->items)
    {
        struct epitem *it = container_of(pos, struct epitem, link);
        if (n == max)
            break;
        if (it->disabled)
            continue;
        u32 r = item_ready(it);
        if (it->events & EPOLLET) {
            /* An edge: a bit that was not set, or a wake of the file since the last report
             * (new data on a file that was already readable). */
            struct waitq *q = it->file->ops && it->file->ops->waitq ? it->file->ops->waitq(it->file)
                                                                    : NULL;
            u32 gen = q ? __atomic_load_n(&q->gen, __ATOMIC_ACQUIRE) : it->gen;
            u32 fresh = r & ~it->reported;
            it->reported &= r; /* a bit that went away may be reported again later */
            if (!r || (!fresh && gen == it->gen))
                continue;
            it->reported |= r;
            it->gen = gen;
        } else if (!r) {
            continue;
        }
        out[n].events = r;
        out[n].data = it->data;
        n++;
        if (it->events & EPOLLONESHOT)
            it->disabled = true;
    }
    return n;
}

static int epoll_poll(struct file *f, int events)
{
    struct eventpoll *ep = ep_of(f);
    bool any = false;
    spin_lock(&ep->lock);
    struct list *pos;
    list_for_each(pos, &ep->items)
    {
        struct epitem *it = container_of(pos, struct epitem, link);
        if (!it->disabled && item_ready(it))
            any = true;
    }
    spin_unlock(&ep->lock);
    return any ? (events & (POLLIN | POLLRDNORM)) : 0;
}

static void epoll_release(struct file *f)
{
    struct eventpoll *ep = ep_of(f);
    while (!list_empty(&ep->items)) {
        struct epitem *it = container_of(ep->items.next, struct epitem, link);
        list_del(&it->link);
        file_put(it->file);
        kfree(it);
    }
    kfree(ep);
}

static const struct file_ops epoll_fops = {
    .poll = epoll_poll,
    .getattr = file_anon_getattr,
    .release = epoll_release,
};

struct file *epoll_new(u32 flags)
{
    struct eventpoll *ep = kzalloc(sizeof(*ep));
    struct file *f = ep ? file_alloc(&epoll_fops, O_RDWR | flags, ep) : NULL;
    if (!f) {
        kfree(ep);
        return NULL;
    }
    list_init(&ep->items);
    return f;
}

static struct epitem *find_locked(struct eventpoll *ep, int fd, struct file *target)
{
    struct list *pos;
    list_for_each(pos, &ep->items)
    {
        struct epitem *it = container_of(pos, struct epitem, link);
        if (it->fd == fd && it->file == target)
            return it;
    }
    return NULL;
}

int epoll_ctl(struct file *epf, int op, int fd, struct file *target, u32 events, u64 data)
{
    struct eventpoll *ep = ep_of(epf);
    if (target == epf)
        return -EINVAL;
    if (target->vnode && (S_ISREG(target->vnode->type) || S_ISDIR(target->vnode->type)))
        return -EPERM; /* regular files and directories are always ready: Linux refuses them */
    if ((events & EPOLLEXCLUSIVE) && op == EPOLL_CTL_MOD)
        return -EINVAL;
    int err = 0;
    spin_lock(&ep->lock);
    struct epitem *it = find_locked(ep, fd, target);
    switch (op) {
    case EPOLL_CTL_ADD:
        if (it) {
            err = -EEXIST;
            break;
        }
        it = kzalloc(sizeof(*it));
        if (!it) {
            err = -ENOMEM;
            break;
        }
        *it = (struct epitem){.fd = fd, .file = file_get(target), .events = events, .data = data};
        list_add_tail(&ep->items, &it->link);
        break;
    case EPOLL_CTL_MOD:
        if (!it) {
            err = -ENOENT;
            break;
        }
        it->events = events;
        it->data = data;
        it->reported = 0;
        it->disabled = false;
        break;
    case EPOLL_CTL_DEL:
        if (!it) {
            err = -ENOENT;
            break;
        }
        list_del(&it->link);
        file_put(it->file);
        kfree(it);
        break;
    default:
        err = -EINVAL;
    }
    spin_unlock(&ep->lock);
    return err;
}

/* Puts a waiter on each item's file queue; returns the array (to dequeue) or NULL. *deadline
 * gets the earliest time (monotonic ns) at which an item's readiness changes by itself. */
static struct waiter *enqueue(struct eventpoll *ep, struct thread *t, int *count, i64 *deadline)
{
    *deadline = -1;
    spin_lock(&ep->lock);
    int n = 0;
    struct list *pos;
    list_for_each(pos, &ep->items)
    n++;
    struct waiter *ws = kzalloc((size_t)(n + 1) * sizeof(*ws));
    int i = 0;
    if (ws) {
        list_for_each(pos, &ep->items)
        {
            struct epitem *it = container_of(pos, struct epitem, link);
            struct waitq *q = it->file->ops && it->file->ops->waitq
                                  ? it->file->ops->waitq(it->file)
                                  : NULL;
            if (q) {
                spin_lock(&q->lock);
                waitq_add(q, &ws[i], t);
                spin_unlock(&q->lock);
            }
            i64 d = it->file->ops && it->file->ops->deadline ? it->file->ops->deadline(it->file)
                                                             : -1;
            if (d >= 0 && (*deadline < 0 || d < *deadline))
                *deadline = d;
            i++;
        }
    }
    spin_unlock(&ep->lock);
    *count = n;
    return ws;
}

static void dequeue(struct waiter *ws, int n)
{
    for (int i = 0; i < n; i++)
        if (ws[i].queue)
            waitq_del(ws[i].queue, &ws[i]);
    kfree(ws);
}

int epoll_wait_events(struct file *epf, struct ep_event *out, int max, i64 timeout_ns)
{
    struct eventpoll *ep = ep_of(epf);
    struct thread *t = current();
    i64 s;
    long ns;
    plat_clock_get(1, &s, &ns);
    i64 start = s * 1000000000 + ns;
    for (;;) {
        u32 seq = wait_seq(t);
        int nw = 0;
        i64 deadline = -1;
        struct waiter *ws = timeout_ns ? enqueue(ep, t, &nw, &deadline) : NULL;
        spin_lock(&ep->lock);
        int n = scan_locked(ep, out, max);
        spin_unlock(&ep->lock);
        if (n || !timeout_ns) {
            if (ws)
                dequeue(ws, nw);
            return n;
        }
        if (!ws)
            return -ENOMEM;
        i64 left = -1;
        if (timeout_ns > 0) {
            plat_clock_get(1, &s, &ns);
            left = timeout_ns - (s * 1000000000 + ns - start);
            if (left <= 0) {
                dequeue(ws, nw);
                return 0;
            }
        }
        if (deadline >= 0) {
            plat_clock_get(1, &s, &ns);
            i64 until = MAX(deadline - (s * 1000000000 + ns), (i64)1);
            if (left < 0 || until < left)
                left = until; /* a timer item: wake then, and look again */
        }
        int r = wait_sleep(t, seq, left);
        dequeue(ws, nw);
        if (r == -EINTR)
            return -EINTR;
        plat_clock_get(1, &s, &ns);
        if (r == -ETIMEDOUT && timeout_ns > 0 && s * 1000000000 + ns - start >= timeout_ns)
            return 0;
    }
}

/* ---- eventfd ---- */

struct eventfd {
    spinlock_t lock;
    u64 count;
    bool semaphore;
    struct waitq wq;
};

#define EVENTFD_MAX 0xfffffffffffffffeULL

static struct eventfd *efd(struct file *f)
{
    return f->priv;
}

static long eventfd_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    struct eventfd *e = efd(f);
    if (n < 8)
        return -EINVAL;
    struct thread *t = current();
    for (;;) {
        u32 seq = wait_seq(t);
        spin_lock(&e->lock);
        if (e->count) {
            u64 v = e->semaphore ? 1 : e->count;
            e->count -= v;
            waitq_wake_all(&e->wq);
            spin_unlock(&e->lock);
            return copy_to_guest(buf, &v, 8) ? -EFAULT : 8;
        }
        if (f->flags & O_NONBLOCK) {
            spin_unlock(&e->lock);
            return -EAGAIN;
        }
        if (wait_on(&e->wq, &e->lock, seq, -1) == -EINTR)
            return -ERESTARTSYS;
    }
}

static long eventfd_write(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    struct eventfd *e = efd(f);
    u64 v;
    if (n < 8)
        return -EINVAL;
    if (copy_from_guest(&v, buf, 8))
        return -EFAULT;
    if (v == ~0ULL)
        return -EINVAL;
    struct thread *t = current();
    for (;;) {
        u32 seq = wait_seq(t);
        spin_lock(&e->lock);
        if (EVENTFD_MAX - e->count >= v) {
            e->count += v;
            waitq_wake_all(&e->wq);
            spin_unlock(&e->lock);
            return 8;
        }
        if (f->flags & O_NONBLOCK) {
            spin_unlock(&e->lock);
            return -EAGAIN;
        }
        if (wait_on(&e->wq, &e->lock, seq, -1) == -EINTR)
            return -ERESTARTSYS;
    }
}

static int eventfd_poll(struct file *f, int events)
{
    struct eventfd *e = efd(f);
    spin_lock(&e->lock);
    int r = (e->count ? POLLIN | POLLRDNORM : 0) |
            (e->count < EVENTFD_MAX ? POLLOUT | POLLWRNORM : 0);
    spin_unlock(&e->lock);
    return r & events;
}

static struct waitq *eventfd_waitq(struct file *f)
{
    return &efd(f)->wq;
}

static void eventfd_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops eventfd_fops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
    .waitq = eventfd_waitq,
    .getattr = file_anon_getattr,
    .release = eventfd_release,
};

struct file *eventfd_new(u64 initval, bool semaphore, u32 flags)
{
    struct eventfd *e = kzalloc(sizeof(*e));
    struct file *f = e ? file_alloc(&eventfd_fops, O_RDWR | flags, e) : NULL;
    if (!f) {
        kfree(e);
        return NULL;
    }
    e->count = initval;
    e->semaphore = semaphore;
    waitq_init(&e->wq);
    return f;
}

/* ---- timerfd ---- */

#define NSEC 1000000000LL

struct timerfd {
    spinlock_t lock;
    int clock;       /* 0 realtime, 1 monotonic (and the others mapped onto them) */
    i64 next;        /* absolute expiry on that clock, 0 when disarmed */
    i64 interval;    /* ns, 0 for one-shot */
    u64 expired;     /* expirations not yet read */
    struct waitq wq; /* readers blocked in read */
};

static struct timerfd *tfd(struct file *f)
{
    return f->priv;
}

static i64 clock_ns(int clock)
{
    i64 s;
    long ns;
    plat_clock_get(clock, &s, &ns);
    return s * NSEC + ns;
}

/* Counts expirations up to now into t->expired. Called with t->lock held. */
static void timer_advance(struct timerfd *t)
{
    if (!t->next)
        return;
    i64 now = clock_ns(t->clock);
    if (now < t->next)
        return;
    if (t->interval) {
        u64 n = (u64)((now - t->next) / t->interval) + 1;
        t->expired += n;
        t->next += (i64)n * t->interval;
    } else {
        t->expired++;
        t->next = 0;
    }
}

static long timerfd_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    struct timerfd *t = tfd(f);
    struct thread *th = current();
    if (n < 8)
        return -EINVAL;
    for (;;) {
        u32 seq = wait_seq(th);
        spin_lock(&t->lock);
        timer_advance(t);
        if (t->expired) {
            u64 v = t->expired;
            t->expired = 0;
            spin_unlock(&t->lock);
            return copy_to_guest(buf, &v, 8) ? -EFAULT : 8;
        }
        i64 left = t->next ? t->next - clock_ns(t->clock) : -1;
        if (f->flags & O_NONBLOCK) {
            spin_unlock(&t->lock);
            return -EAGAIN;
        }
        if (wait_on(&t->wq, &t->lock, seq, left < 0 ? -1 : MAX(left, (i64)1)) == -EINTR)
            return -ERESTARTSYS;
    }
}

static int timerfd_poll(struct file *f, int events)
{
    struct timerfd *t = tfd(f);
    spin_lock(&t->lock);
    timer_advance(t);
    int r = t->expired ? POLLIN | POLLRDNORM : 0;
    spin_unlock(&t->lock);
    return r & events;
}

static struct waitq *timerfd_waitq(struct file *f)
{
    return &tfd(f)->wq;
}

/* The deadline on the monotonic clock, whichever clock the timer uses. */
static i64 timerfd_deadline(struct file *f)
{
    struct timerfd *t = tfd(f);
    spin_lock(&t->lock);
    i64 d = -1;
    if (t->next && !t->expired)
        d = clock_ns(1) + MAX(t->next - clock_ns(t->clock), (i64)0);
    spin_unlock(&t->lock);
    return d;
}

static void timerfd_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops timerfd_fops = {
    .read = timerfd_read,
    .poll = timerfd_poll,
    .waitq = timerfd_waitq,
    .deadline = timerfd_deadline,
    .getattr = file_anon_getattr,
    .release = timerfd_release,
};

struct file *timerfd_new(int clock, u32 flags)
{
    struct timerfd *t = kzalloc(sizeof(*t));
    struct file *f = t ? file_alloc(&timerfd_fops, O_RDWR | flags, t) : NULL;
    if (!f) {
        kfree(t);
        return NULL;
    }
    t->clock = clock;
    waitq_init(&t->wq);
    return f;
}

bool file_is_timerfd(struct file *f)
{
    return f->ops == &timerfd_fops;
}

/* Arms (value > 0) or disarms the timer; value is absolute on the timer's clock when abs.
 * Returns the previous setting (time left and interval). */
void timerfd_settime(struct file *f, bool abs, i64 value, i64 interval, i64 *old_left,
                     i64 *old_interval)
{
    struct timerfd *t = tfd(f);
    spin_lock(&t->lock);
    timer_advance(t);
    i64 now = clock_ns(t->clock);
    *old_left = t->next ? MAX(t->next - now, (i64)1) : 0;
    *old_interval = t->interval;
    t->expired = 0;
    t->interval = interval;
    t->next = value ? (abs ? value : now + value) : 0;
    spin_unlock(&t->lock);
    waitq_wake_all(&t->wq); /* sleepers recompute their deadline */
}

void timerfd_gettime(struct file *f, i64 *left, i64 *interval)
{
    struct timerfd *t = tfd(f);
    spin_lock(&t->lock);
    timer_advance(t);
    *left = t->next ? MAX(t->next - clock_ns(t->clock), (i64)1) : 0;
    *interval = t->interval;
    spin_unlock(&t->lock);
}
