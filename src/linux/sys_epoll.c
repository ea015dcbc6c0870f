/* sys_epoll.c: epoll_create/create1, epoll_ctl, epoll_wait/pwait/pwait2, eventfd/eventfd2:
 * argument decoding for the core's eventpoll.c. */
#include "linux.h"
#include "../kernel/eventpoll.h"

#define EPOLL_MAXEVENTS (0x7fffffff / 12)
#define EFD_SEMAPHORE 1

/* The packed layout of struct epoll_event on x86-64. */
struct linux_epoll_event {
    u32 events;
    u64 data;
} __attribute__((packed));

static struct fdtable *fdt(void)
{
    return &current()->proc->fds;
}

/* Installs a new file at the lowest free descriptor, dropping it if that fails. */
static long install_file(struct file *f, bool cloexec)
{
    if (!f)
        return -ENOMEM;
    int fd = fd_install(fdt(), f, 0, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

long sys_epoll_create1(int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    return install_file(epoll_new(0), flags & O_CLOEXEC);
}

long sys_epoll_create(int size)
{
    return size <= 0 ? -EINVAL : sys_epoll_create1(0);
}

long sys_epoll_ctl(int epfd, int op, int fd, uptr uevent)
{
    struct linux_epoll_event ev = {0};
    if (op != EPOLL_CTL_DEL && copy_from_guest(&ev, uevent, sizeof(ev)))
        return -EFAULT;
    struct file *ep = fd_get(fdt(), epfd), *target = fd_get(fdt(), fd);
    long r;
    if (!ep || !target)
        r = -EBADF;
    else if (!file_is_epoll(ep))
        r = -EINVAL;
    else
        r = epoll_ctl(ep, op, fd, target, ev.events, ev.data);
    file_put(ep);
    file_put(target);
    return r;
}

static long do_epoll_wait(int epfd, uptr uevents, int max, i64 timeout_ns)
{
    if (max <= 0 || max > EPOLL_MAXEVENTS)
        return -EINVAL;
    struct file *ep = fd_get(fdt(), epfd);
    if (!ep)
        return -EBADF;
    long r;
    struct ep_event *evs = NULL;
    if (!file_is_epoll(ep)) {
        r = -EINVAL;
        goto out;
    }
    max = MIN(max, 1024);
    evs = kmalloc((size_t)max * sizeof(*evs));
    if (!evs) {
        r = -ENOMEM;
        goto out;
    }
    r = epoll_wait_events(ep, evs, max, timeout_ns);
    for (long i = 0; i < r; i++) {
        struct linux_epoll_event le = {evs[i].events, evs[i].data};
        if (copy_to_guest(uevents + (uptr)i * sizeof(le), &le, sizeof(le))) {
            r = -EFAULT;
            break;
        }
    }
out:
    kfree(evs);
    file_put(ep);
    return r;
}

long sys_epoll_wait(int epfd, uptr events, int max, int timeout_ms)
{
    long r = do_epoll_wait(epfd, events, max, timeout_ms < 0 ? -1 : (i64)timeout_ms * 1000000);
    return r == -EINTR ? -EINTR : r; /* never restarted, as in Linux */
}

/* epoll_pwait and epoll_pwait2: the same with a temporary signal mask (and a timespec). */
static long with_mask(uptr umask, size_t size, int epfd, uptr events, int max, i64 ns)
{
    struct thread *t = current();
    u64 saved = t->blocked;
    if (umask) {
        u64 m;
        if (size != 8)
            return -EINVAL;
        if (copy_from_guest(&m, umask, 8))
            return -EFAULT;
        t->blocked = m & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
    }
    long r = do_epoll_wait(epfd, events, max, ns);
    if (umask) {
        if (r == -EINTR) {
            t->saved_blocked = saved;
            t->restore_blocked = true;
        } else {
            t->blocked = saved;
        }
    }
    return r;
}

long sys_epoll_pwait(int epfd, uptr events, int max, int timeout_ms, uptr umask, size_t size)
{
    return with_mask(umask, size, epfd, events, max,
                     timeout_ms < 0 ? -1 : (i64)timeout_ms * 1000000);
}

long sys_epoll_pwait2(int epfd, uptr events, int max, uptr uts, uptr umask, size_t size)
{
    i64 ns = -1;
    if (uts) {
        struct linux_timespec ts;
        if (copy_from_guest(&ts, uts, sizeof(ts)))
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
            return -EINVAL;
        ns = ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    return with_mask(umask, size, epfd, events, max, ns);
}

long sys_eventfd2(unsigned initval, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE))
        return -EINVAL;
    return install_file(eventfd_new(initval, flags & EFD_SEMAPHORE, (u32)flags & O_NONBLOCK),
                        flags & O_CLOEXEC);
}

long sys_eventfd(unsigned initval)
{
    return sys_eventfd2(initval, 0);
}

/* ---- timerfd ---- */

#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define NSEC 1000000000L

struct linux_itimerspec {
    struct linux_timespec interval, value;
};

long sys_timerfd_create(int clock, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL;
    /* CLOCK_REALTIME, MONOTONIC, BOOTTIME (as monotonic), and their _ALARM forms. */
    int c;
    switch (clock) {
    case 0: case 8: c = 0; break;
    case 1: case 7: case 9: c = 1; break;
    default: return -EINVAL;
    }
    return install_file(timerfd_new(c, (u32)flags & O_NONBLOCK), flags & O_CLOEXEC);
}

static struct file *get_timerfd(int fd, long *err)
{
    struct file *f = fd_get(fdt(), fd);
    *err = !f ? -EBADF : (!file_is_timerfd(f) ? -EINVAL : 0);
    if (*err && f) {
        file_put(f);
        f = NULL;
    }
    return f;
}

static int ts_ns(const struct linux_timespec *ts, i64 *ns)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC)
        return -EINVAL;
    *ns = ts->tv_sec * NSEC + ts->tv_nsec;
    return 0;
}

static struct linux_itimerspec to_its(i64 left, i64 interval)
{
    return (struct linux_itimerspec){{interval / NSEC, interval % NSEC}, {left / NSEC, left % NSEC}};
}

long sys_timerfd_settime(int fd, int flags, uptr unew, uptr uold)
{
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    struct linux_itimerspec its;
    if (copy_from_guest(&its, unew, sizeof(its)))
        return -EFAULT;
    i64 value, interval;
    if (ts_ns(&its.value, &value) || ts_ns(&its.interval, &interval))
        return -EINVAL;
    long err;
    struct file *f = get_timerfd(fd, &err);
    if (!f)
        return err;
    i64 ol, oi;
    timerfd_settime(f, flags & TFD_TIMER_ABSTIME, value, interval, &ol, &oi);
    file_put(f);
    if (uold) {
        struct linux_itimerspec o = to_its(ol, oi);
        if (copy_to_guest(uold, &o, sizeof(o)))
            return -EFAULT;
    }
    return 0;
}

long sys_timerfd_gettime(int fd, uptr ucur)
{
    long err;
    struct file *f = get_timerfd(fd, &err);
    if (!f)
        return err;
    i64 left, interval;
    timerfd_gettime(f, &left, &interval);
    file_put(f);
    struct linux_itimerspec o = to_its(left, interval);
    return copy_to_guest(ucur, &o, sizeof(o)) ? -EFAULT : 0;
}
