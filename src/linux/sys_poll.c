/* sys_poll.c: poll, ppoll, select and pselect6. Readiness comes from each file's poll
 * operation; waiting blocks in the host only on what can change from outside the process
 * (the console), or sleeps out the timeout, waking early for a signal. */
#include "linux.h"
#include "../kernel/console.h"
#include "../kernel/wait.h"

#define NSEC 1000000000L
#define POLL_FDS_MAX 65536

struct pollset {
    int n;
    struct linux_pollfd *fds;
};

/* One pass over the set: fills revents; returns how many are ready, and whether any console
 * stream was asked about (so the wait can block on the host). */
static int poll_once(struct pollset *ps, short console[3])
{
    struct proc *p = current()->proc;
    int ready = 0;
    for (int i = 0; i < ps->n; i++) {
        struct linux_pollfd *pf = &ps->fds[i];
        pf->revents = 0;
        if (pf->fd < 0)
            continue;
        struct file *f = fd_get(&p->fds, pf->fd);
        if (!f) {
            pf->revents = POLLNVAL;
            ready++;
            continue;
        }
        int ev = pf->events | POLLERR | POLLHUP;
        int r = f->ops && f->ops->poll ? f->ops->poll(f, ev) : (ev & (POLLIN | POLLOUT));
        int which = console_which(f);
        if (which >= 0 && !(r & ev))
            /* Console streams are the only files another party can change right now. */
            console[which] |= (short)(pf->events & (POLLIN | POLLOUT));
        file_put(f);
        pf->revents = (i16)(r & ev);
        if (pf->revents)
            ready++;
    }
    return ready;
}

/* The console's readiness is known only to the host, so a wait that includes it sleeps in the
 * host's ppoll, in slices so that changes to the other files are also seen. */
#define CONSOLE_SLICE_NS 10000000L

/* Puts one waiter per polled file that has a wait queue on that queue (in shared memory: the
 * waker may be another process). */
static struct waiter *enqueue(struct pollset *ps, struct thread *t, i64 *deadline)
{
    struct proc *p = t->proc;
    *deadline = -1;
    struct waiter *ws = kzalloc((size_t)(ps->n + 1) * sizeof(*ws));
    if (!ws)
        return NULL;
    for (int i = 0; i < ps->n; i++) {
        struct file *f = ps->fds[i].fd >= 0 ? fd_get(&p->fds, ps->fds[i].fd) : NULL;
        struct waitq *q = f && f->ops && f->ops->waitq ? f->ops->waitq(f) : NULL;
        if (q) {
            spin_lock(&q->lock);
            waitq_add(q, &ws[i], t);
            spin_unlock(&q->lock);
        }
        i64 d = f && f->ops && f->ops->deadline ? f->ops->deadline(f) : -1;
        if (d >= 0 && (*deadline < 0 || d < *deadline))
            *deadline = d;
        file_put(f); /* the queue lives as long as the file, which the fd table holds */
    }
    return ws;
}

static void dequeue(struct pollset *ps, struct waiter *ws)
{
    for (int i = 0; i < ps->n; i++)
        if (ws[i].queue)
            waitq_del(ws[i].queue, &ws[i]);
    kfree(ws);
}

/* Waits for readiness or timeout (ns; < 0 forever). Returns ready count, 0, or -EINTR. */
static int poll_wait(struct pollset *ps, i64 timeout_ns)
{
    struct thread *t = current();
    i64 s;
    long ns;
    plat_clock_get(1, &s, &ns);
    i64 start = s * NSEC + ns;
    for (;;) {
        short console[3] = {0};
        u32 seq = wait_seq(t);
        i64 deadline = -1;
        struct waiter *ws = timeout_ns ? enqueue(ps, t, &deadline) : NULL;
        int ready = poll_once(ps, console);
        if (ready || timeout_ns == 0) {
            if (ws)
                dequeue(ps, ws);
            return ready;
        }
        if (!ws)
            return -ENOMEM;
        i64 left = -1;
        if (timeout_ns > 0) {
            plat_clock_get(1, &s, &ns);
            left = timeout_ns - (s * NSEC + ns - start);
            if (left <= 0) {
                dequeue(ps, ws);
                return 0;
            }
        }
        if (deadline >= 0) {
            plat_clock_get(1, &s, &ns);
            i64 until = MAX(deadline - (s * NSEC + ns), (i64)1);
            if (left < 0 || until < left)
                left = until; /* a timer file: wake then, and look again */
        }
        int r;
        if (console[0] | console[1] | console[2]) {
            i64 slice = left < 0 || left > CONSOLE_SLICE_NS ? CONSOLE_SLICE_NS : left;
            r = signal_any_deliverable(t) ? -EINTR : plat_stdio_poll(console, slice);
        } else {
            r = wait_sleep(t, seq, left);
        }
        dequeue(ps, ws);
        if (r == -EINTR && (signal_any_deliverable(t) || t->must_exit))
            return -EINTR;
        if (r < 0 && r != -EINTR && r != -ETIMEDOUT)
            return r;
    }
}

static long do_poll(uptr ufds, unsigned nfds, i64 timeout_ns)
{
    if (nfds > POLL_FDS_MAX || nfds > (unsigned)current()->proc->rlim[7][0])
        return -EINVAL;
    struct pollset ps = {(int)nfds, kmalloc(nfds * sizeof(struct linux_pollfd) + 1)};
    if (!ps.fds)
        return -ENOMEM;
    long r;
    if (copy_from_guest(ps.fds, ufds, nfds * sizeof(struct linux_pollfd))) {
        r = -EFAULT;
        goto out;
    }
    r = poll_wait(&ps, timeout_ns);
    if (r >= 0) {
        for (unsigned i = 0; i < nfds; i++) /* only revents changes */
            if (copy_to_guest(ufds + i * sizeof(struct linux_pollfd) + 6, &ps.fds[i].revents, 2)) {
                r = -EFAULT;
                break;
            }
    }
out:
    kfree(ps.fds);
    return r;
}

long sys_poll(uptr fds, unsigned nfds, int timeout_ms)
{
    return do_poll(fds, nfds, timeout_ms < 0 ? -1 : (i64)timeout_ms * 1000000);
}

/* A temporary signal mask for the duration of the wait (ppoll, pselect6). */
static long with_sigmask(uptr umask, size_t size, u64 *saved)
{
    struct thread *t = current();
    *saved = t->blocked;
    if (!umask)
        return 0;
    if (size != 8)
        return -EINVAL;
    u64 m;
    if (copy_from_guest(&m, umask, 8))
        return -EFAULT;
    t->blocked = m & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
    return 1;
}

static void end_sigmask(long set, u64 saved, long r)
{
    struct thread *t = current();
    if (set <= 0)
        return;
    if (r == -EINTR) {
        /* The handler runs with the temporary mask; sigreturn brings back the old one. */
        t->saved_blocked = saved;
        t->restore_blocked = true;
    } else {
        t->blocked = saved;
    }
}

static long timeout_from(uptr uts, i64 *ns)
{
    if (!uts) {
        *ns = -1;
        return 0;
    }
    struct linux_timespec ts;
    if (copy_from_guest(&ts, uts, sizeof(ts)))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC)
        return -EINVAL;
    *ns = ts.tv_sec > 9000000000L ? -1 : ts.tv_sec * NSEC + ts.tv_nsec;
    return 0;
}

long sys_ppoll(uptr fds, unsigned nfds, uptr uts, uptr sigmask, size_t sigsetsize)
{
    i64 ns;
    long r = timeout_from(uts, &ns);
    if (r)
        return r;
    u64 saved;
    long set = with_sigmask(sigmask, sigsetsize, &saved);
    if (set < 0)
        return set;
    r = do_poll(fds, nfds, ns);
    end_sigmask(set, saved, r);
    return r;
}

/* ---- select ---- */

#define FD_SETSIZE_MAX 1024 * 64

static long do_select(int n, uptr rd, uptr wr, uptr ex, i64 timeout_ns)
{
    if (n < 0)
        return -EINVAL;
    if (n > current()->proc->fds.limit)
        n = current()->proc->fds.limit;
    size_t bytes = (size_t)(n + 63) / 64 * 8;
    u64 *sets = kzalloc(bytes * 3 + 8);
    struct pollset ps = {0, kmalloc((size_t)n * sizeof(struct linux_pollfd) + 1)};
    long r = 0;
    if (!sets || !ps.fds) {
        r = -ENOMEM;
        goto out;
    }
    uptr u[3] = {rd, wr, ex};
    for (int k = 0; k < 3; k++)
        if (u[k] && copy_from_guest((u8 *)sets + k * bytes, u[k], bytes)) {
            r = -EFAULT;
            goto out;
        }
    u64 *in[3] = {sets, (u64 *)((u8 *)sets + bytes), (u64 *)((u8 *)sets + 2 * bytes)};
    for (int fd = 0; fd < n; fd++) {
        short ev = 0;
        if (in[0][fd / 64] & (1ULL << (fd % 64)))
            ev |= POLLIN;
        if (in[1][fd / 64] & (1ULL << (fd % 64)))
            ev |= POLLOUT;
        if (in[2][fd / 64] & (1ULL << (fd % 64)))
            ev |= POLLPRI;
        if (ev)
            ps.fds[ps.n++] = (struct linux_pollfd){fd, ev, 0};
    }
    r = poll_wait(&ps, timeout_ns);
    if (r < 0)
        goto out;
    memset(sets, 0, bytes * 3);
    long count = 0;
    for (int i = 0; i < ps.n; i++) {
        int fd = ps.fds[i].fd;
        short re = ps.fds[i].revents;
        if (re & POLLNVAL) {
            r = -EBADF;
            goto out;
        }
        if ((ps.fds[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR)))
            in[0][fd / 64] |= 1ULL << (fd % 64), count++;
        if ((ps.fds[i].events & POLLOUT) && (re & (POLLOUT | POLLERR)))
            in[1][fd / 64] |= 1ULL << (fd % 64), count++;
        if ((ps.fds[i].events & POLLPRI) && (re & POLLPRI))
            in[2][fd / 64] |= 1ULL << (fd % 64), count++;
    }
    for (int k = 0; k < 3; k++)
        if (u[k] && copy_to_guest(u[k], (u8 *)sets + k * bytes, bytes)) {
            r = -EFAULT;
            goto out;
        }
    r = count;
out:
    kfree(sets);
    kfree(ps.fds);
    return r;
}

static i64 mono_ns(void)
{
    i64 s;
    long ns;
    plat_clock_get(1, &s, &ns);
    return s * NSEC + ns;
}

/* select and pselect6 report the time left in their timeout argument, as Linux does. */
long sys_select(int n, uptr rd, uptr wr, uptr ex, uptr utv)
{
    i64 ns = -1;
    struct linux_timeval tv;
    if (utv) {
        if (copy_from_guest(&tv, utv, sizeof(tv)))
            return -EFAULT;
        if (tv.tv_sec < 0 || tv.tv_usec < 0)
            return -EINVAL;
        ns = tv.tv_sec * NSEC + (tv.tv_usec % 1000000) * 1000 + tv.tv_usec / 1000000 * NSEC;
    }
    i64 start = mono_ns();
    long r = do_select(n, rd, wr, ex, ns);
    if (utv && r != -EFAULT && r != -EINVAL) {
        i64 left = MAX(ns - (mono_ns() - start), (i64)0);
        tv.tv_sec = left / NSEC;
        tv.tv_usec = left % NSEC / 1000;
        if (copy_to_guest(utv, &tv, sizeof(tv)))
            return -EFAULT;
    }
    return r;
}

long sys_pselect6(int n, uptr rd, uptr wr, uptr ex, uptr uts, uptr usig)
{
    i64 ns;
    long r = timeout_from(uts, &ns);
    if (r)
        return r;
    long set = 0;
    u64 saved = current()->blocked;
    if (usig) {
        struct {
            uptr ss;
            size_t len;
        } sig;
        if (copy_from_guest(&sig, usig, sizeof(sig)))
            return -EFAULT;
        set = with_sigmask(sig.ss, sig.len, &saved);
        if (set < 0)
            return set;
    }
    i64 start = mono_ns();
    r = do_select(n, rd, wr, ex, ns);
    end_sigmask(set, saved, r);
    if (uts && ns >= 0 && r != -EFAULT) {
        i64 left = MAX(ns - (mono_ns() - start), (i64)0);
        struct linux_timespec ts = {left / NSEC, left % NSEC};
        if (copy_to_guest(uts, &ts, sizeof(ts)))
            return -EFAULT;
    }
    return r;
}
