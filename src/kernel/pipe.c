/* pipe.c: pipes: a ring buffer shared by a read end and a write end, with Linux's capacity,
 * PIPE_BUF atomicity, O_NONBLOCK and end-of-file/EPIPE rules. A blocked reader or writer sleeps
 * on the pipe's wait queue until the other side changes the pipe or a signal arrives. */
#include "console.h"
#include "wait.h"
#include "../platform/platform.h"

struct pipe {
    spinlock_t lock;
    u8 *buf;
    size_t cap, head, len; /* data is buf[head .. head+len) modulo cap */
    int readers, writers;
    struct waitq wq; /* readers and writers waiting for the other side */
};

struct pipe_end {
    struct pipe *p;
    bool writer;
};

static const struct file_ops pipe_fops;

static struct pipe *pp(struct file *f)
{
    return ((struct pipe_end *)f->priv)->p;
}

static void pipe_changed(struct pipe *p)
{
    waitq_wake_all(&p->wq);
}

/* Called with p->lock held and the condition false: queues, unlocks, sleeps. */
static int pipe_wait(struct pipe *p, u32 seq)
{
    return wait_on(&p->wq, &p->lock, seq, -1) == -EINTR ? -EINTR : 0;
}

static long pipe_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    struct pipe *p = pp(f);
    if (!n)
        return 0;
    for (;;) {
        u32 seq = wait_seq(current());
        spin_lock(&p->lock);
        if (p->len) {
            size_t done = 0;
            while (done < n && p->len) {
                size_t chunk = MIN(MIN(n - done, p->len), p->cap - p->head);
                if (copy_to_guest(buf + done, p->buf + p->head, chunk)) {
                    spin_unlock(&p->lock);
                    return done ? (long)done : -EFAULT;
                }
                p->head = (p->head + chunk) % p->cap;
                p->len -= chunk;
                done += chunk;
            }
            spin_unlock(&p->lock);
            pipe_changed(p);
            return (long)done;
        }
        if (p->writers == 0 || (f->flags & O_NONBLOCK)) {
            spin_unlock(&p->lock);
            return p->writers == 0 ? 0 : -EAGAIN;
        }
        if (pipe_wait(p, seq))
            return -ERESTARTSYS;
    }
}

static long pipe_write(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    struct pipe *p = pp(f);
    size_t done = 0;
    if (!n)
        return 0;
    for (;;) {
        u32 seq = wait_seq(current());
        spin_lock(&p->lock);
        if (!p->readers) {
            spin_unlock(&p->lock);
            return done ? (long)done : -EPIPE;
        }
        size_t room = p->cap - p->len;
        /* Writes of at most PIPE_BUF bytes go in whole or wait. */
        bool fits = n - done <= PIPE_BUF ? room >= n - done : room > 0;
        if (fits) {
            while (done < n && p->len < p->cap) {
                size_t tail = (p->head + p->len) % p->cap;
                size_t chunk = MIN(MIN(n - done, p->cap - p->len), p->cap - tail);
                if (copy_from_guest(p->buf + tail, buf + done, chunk)) {
                    spin_unlock(&p->lock);
                    return done ? (long)done : -EFAULT;
                }
                p->len += chunk;
                done += chunk;
            }
            spin_unlock(&p->lock);
            pipe_changed(p);
            if (done == n)
                return (long)done;
            continue;
        }
        if (f->flags & O_NONBLOCK) {
            spin_unlock(&p->lock);
            return done ? (long)done : -EAGAIN;
        }
        if (pipe_wait(p, seq))
            return done ? (long)done : -ERESTARTSYS;
    }
}

static int pipe_poll(struct file *f, int events)
{
    struct pipe_end *e = f->priv;
    struct pipe *p = e->p;
    int r = 0;
    spin_lock(&p->lock);
    if (!e->writer) {
        if (p->len)
            r |= POLLIN | POLLRDNORM;
        if (!p->writers)
            r |= POLLHUP;
    } else {
        if (p->cap - p->len >= PIPE_BUF)
            r |= POLLOUT | POLLWRNORM;
        if (!p->readers)
            r |= POLLERR;
    }
    spin_unlock(&p->lock);
    return r & (events | POLLHUP | POLLERR);
}

static long pipe_ioctl(struct file *f, unsigned long req, uptr arg)
{
    if (req != 0x541b) /* FIONREAD */
        return -ENOTTY;
    int n = (int)pipe_nread(f);
    return copy_to_guest(arg, &n, sizeof(n)) ? -EFAULT : 0;
}

static int pipe_getattr(struct file *f, struct vattr *a)
{
    (void)f;
    a->mode = S_IFIFO | 0600;
    a->nlink = 1;
    a->blksize = 4096;
    a->dev = 0xc; /* pipefs's anonymous device, as Linux reports it */
    a->ino = (u64)(uptr)pp(f) >> 4;
    return 0;
}

static void pipe_release(struct file *f)
{
    struct pipe_end *e = f->priv;
    struct pipe *p = e->p;
    spin_lock(&p->lock);
    if (e->writer)
        p->writers--;
    else
        p->readers--;
    bool last = !p->readers && !p->writers;
    /* Wake the other side while still holding the lock: once it is dropped, the other end's
     * release (in another process) may free the pipe. */
    if (!last)
        pipe_changed(p);
    spin_unlock(&p->lock);
    if (last) {
        kfree(p->buf);
        kfree(p);
    }
    kfree(e);
}

/* /proc/PID/fd/N of a pipe opened again: a new end, for reading or writing as asked. */
static int pipe_reopen(struct file *f, struct file *nf)
{
    struct pipe *p = pp(f);
    bool writer = (nf->flags & O_ACCMODE) != O_RDONLY;
    struct pipe_end *e = kzalloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->p = p;
    e->writer = writer;
    spin_lock(&p->lock);
    if (writer)
        p->writers++;
    else
        p->readers++;
    spin_unlock(&p->lock);
    nf->ops = f->ops;
    nf->priv = e;
    return 0;
}

static struct waitq *pipe_waitq(struct file *f)
{
    return &pp(f)->wq;
}

static const struct file_ops pipe_fops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_poll,
    .waitq = pipe_waitq,
    .reopen = pipe_reopen,
    .ioctl = pipe_ioctl,
    .getattr = pipe_getattr,
    .release = pipe_release,
};

static struct file *pipe_end_file(struct pipe *p, bool writer, u32 flags)
{
    struct pipe_end *e = kzalloc(sizeof(*e));
    struct file *f = e ? file_alloc(&pipe_fops, flags, e) : NULL;
    if (!f) {
        kfree(e);
        return NULL;
    }
    e->p = p;
    e->writer = writer;
    return f;
}

int pipe_create(struct file **rd, struct file **wr, u32 flags)
{
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->cap = PIPE_DEF_SIZE;
    waitq_init(&p->wq);
    p->buf = kmalloc(p->cap);
    p->readers = p->writers = 1;
    *rd = p->buf ? pipe_end_file(p, false, O_RDONLY | (flags & O_NONBLOCK)) : NULL;
    *wr = *rd ? pipe_end_file(p, true, O_WRONLY | (flags & O_NONBLOCK)) : NULL;
    if (!*wr) {
        if (*rd) {
            kfree((*rd)->priv);
            kfree(*rd);
        }
        kfree(p->buf);
        kfree(p);
        return -ENOMEM;
    }
    return 0;
}

bool file_is_pipe(struct file *f)
{
    return f->ops == &pipe_fops;
}

long pipe_get_size(struct file *f)
{
    return (long)pp(f)->cap;
}

long pipe_nread(struct file *f)
{
    struct pipe *p = pp(f);
    spin_lock(&p->lock);
    long n = (long)p->len;
    spin_unlock(&p->lock);
    return n;
}

/* F_SETPIPE_SZ: rounds up to a power-of-two number of pages, as Linux does; refuses to shrink
 * below what the pipe holds (EBUSY). */
long pipe_set_size(struct file *f, unsigned long size, bool privileged)
{
    if (size > 0x80000000UL)
        return -EINVAL; /* beyond what Linux can round to a page count */
    if (size > PIPE_MAX_SIZE && !privileged)
        return -EPERM;
    if (size > PIPE_ROOT_MAX_SIZE)
        return -ENOMEM; /* the sandbox's own bound on one pipe's buffer */
    size_t cap = PAGE_SIZE;
    while (cap < size)
        cap <<= 1;
    struct pipe *p = pp(f);
    u8 *nb = kmalloc(cap);
    if (!nb)
        return -ENOMEM;
    spin_lock(&p->lock);
    if (p->len > cap) {
        spin_unlock(&p->lock);
        kfree(nb);
        return -EBUSY;
    }
    for (size_t i = 0; i < p->len; i++)
        nb[i] = p->buf[(p->head + i) % p->cap];
    u8 *old = p->buf;
    p->buf = nb;
    p->cap = cap;
    p->head = 0;
    spin_unlock(&p->lock);
    kfree(old);
    pipe_changed(p);
    return (long)cap;
}
