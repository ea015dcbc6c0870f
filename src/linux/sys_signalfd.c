/* sys_signalfd.c: signalfd: a file from which a process reads its pending signals (those in
 * the file's mask) as struct signalfd_siginfo records, and which polls readable while one is
 * pending. The signals stay blocked; reading takes them as sigwaitinfo would. */
#include "linux.h"
#include "../kernel/wait.h"

#define SFD_CLOEXEC O_CLOEXEC
#define SFD_NONBLOCK O_NONBLOCK

struct sigfd {
    u64 mask;
};

/* struct signalfd_siginfo: 128 bytes. */
struct linux_signalfd_siginfo {
    u32 signo;
    i32 err, code;
    u32 pid, uid;
    i32 fd;
    u32 tid, band, overrun, trapno;
    i32 status, int_value;
    u64 ptr, utime, stime, addr;
    u16 addr_lsb;
    u8 pad[46];
};

static const struct file_ops sigfd_fops;

static u64 sigfd_mask(struct file *f)
{
    return ((struct sigfd *)f->priv)->mask;
}

static long sigfd_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    struct thread *t = current();
    struct proc *p = t->proc;
    size_t rec = sizeof(struct linux_signalfd_siginfo);
    if (n < rec)
        return -EINVAL;
    size_t done = 0;
    for (;;) {
        u32 seq = wait_seq(t);
        struct ksiginfo k;
        while (done + rec <= n && signal_take_from(t, sigfd_mask(f), &k)) {
            struct linux_signalfd_siginfo si;
            memset(&si, 0, sizeof(si));
            si.signo = (u32)k.signo;
            si.err = k.err;
            si.code = k.code;
            si.pid = (u32)k.pid;
            si.uid = k.uid;
            si.status = k.status;
            si.int_value = (i32)k.value;
            si.ptr = k.value;
            si.addr = k.addr;
            if (copy_to_guest(buf + done, &si, rec))
                return done ? (long)done : -EFAULT;
            done += rec;
        }
        if (done)
            return (long)done;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        spin_lock(&p->sig_wq->lock);
        waitq_add(p->sig_wq, &t->waiter, t);
        spin_unlock(&p->sig_wq->lock);
        int r = wait_sleep(t, seq, -1);
        waitq_del(p->sig_wq, &t->waiter);
        if (r == -EINTR && !((t->sigpending.pending | p->sigpending.pending) & sigfd_mask(f)))
            return -ERESTARTSYS;
    }
}

static int sigfd_poll(struct file *f, int events)
{
    struct thread *t = current();
    u64 pend = t->sigpending.pending | t->proc->sigpending.pending;
    return (pend & sigfd_mask(f)) ? (events & (POLLIN | POLLRDNORM)) : 0;
}

static struct waitq *sigfd_waitq(struct file *f)
{
    (void)f;
    return current()->proc->sig_wq;
}

static void sigfd_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops sigfd_fops = {
    .read = sigfd_read,
    .poll = sigfd_poll,
    .waitq = sigfd_waitq,
    .getattr = file_anon_getattr,
    .release = sigfd_release,
};

long sys_signalfd4(int fd, uptr umask, size_t size, int flags)
{
    if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
        return -EINVAL;
    if (size != 8)
        return -EINVAL;
    u64 mask;
    if (copy_from_guest(&mask, umask, 8))
        return -EFAULT;
    mask &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
    struct fdtable *t = &current()->proc->fds;
    if (fd != -1) {
        struct file *f = fd_get(t, fd);
        if (!f)
            return -EBADF;
        long r = -EINVAL;
        if (f->ops == &sigfd_fops) {
            ((struct sigfd *)f->priv)->mask = mask;
            r = fd;
        }
        file_put(f);
        return r;
    }
    struct sigfd *s = kzalloc(sizeof(*s));
    struct file *f = s ? file_alloc(&sigfd_fops, O_RDWR | ((u32)flags & O_NONBLOCK), s) : NULL;
    if (!f) {
        kfree(s);
        return -ENOMEM;
    }
    s->mask = mask;
    int nfd = fd_install(t, f, 0, flags & SFD_CLOEXEC);
    if (nfd < 0)
        file_put(f);
    return nfd;
}

long sys_signalfd(int fd, uptr umask, size_t size)
{
    return sys_signalfd4(fd, umask, size, 0);
}
