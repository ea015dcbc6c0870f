/* eventpoll.h: epoll instances and eventfd counters of the core. Event bits and control
 * operations use Linux's values (POLL* from vfs.h). */
#ifndef HUSK_KERNEL_EVENTPOLL_H
#define HUSK_KERNEL_EVENTPOLL_H

#include "task.h"

#define EPOLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1U << 28)
#define EPOLLWAKEUP (1U << 29)
#define EPOLLONESHOT (1U << 30)
#define EPOLLET (1U << 31)
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

struct ep_event {
    u32 events;
    u64 data;
};

struct file *epoll_new(u32 flags);
bool file_is_epoll(struct file *f);
/* op on the interest list of epf for (fd, target); target is a reference the caller keeps. */
int epoll_ctl(struct file *epf, int op, int fd, struct file *target, u32 events, u64 data);
/* Up to max ready events; waits up to timeout_ns (< 0: forever). -EINTR on a signal. */
int epoll_wait_events(struct file *epf, struct ep_event *out, int max, i64 timeout_ns);

struct file *eventfd_new(u64 initval, bool semaphore, u32 flags);

/* timerfd: clock 0 (realtime) or 1 (monotonic); times in ns. */
struct file *timerfd_new(int clock, u32 flags);
bool file_is_timerfd(struct file *f);
void timerfd_settime(struct file *f, bool abs, i64 value, i64 interval, i64 *old_left,
                     i64 *old_interval);
void timerfd_gettime(struct file *f, i64 *left, i64 *interval);

#endif
