// timerfd: one-shot and periodic timers read directly, through poll and through epoll; the
// expiration count of a periodic timer; settime/gettime; non-blocking EAGAIN; errors.
#include "t.h"
#include <poll.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

int main(void)
{
    uint64_t n = 0;
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK("timerfd_create", t >= 0);
    CHECK_ERR("disarmed: EAGAIN", read(t, &n, 8), EAGAIN);
    struct itimerspec its = {.it_value = {0, 20000000}};
    CHECK_EQ("arm 20 ms one-shot", timerfd_settime(t, 0, &its, NULL), 0);
    struct itimerspec cur;
    CHECK_EQ("gettime", timerfd_gettime(t, &cur), 0);
    CHECK("  time left in (0, 20 ms]",
          cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000);
    struct pollfd pf = {.fd = t, .events = POLLIN};
    long t0 = t_now_us();
    CHECK_EQ("poll wakes at expiry", poll(&pf, 1, 5000), 1);
    CHECK("  after >= 20 ms", t_now_us() - t0 >= 19000);
    CHECK_EQ("read one expiration", read(t, &n, 8), 8);
    CHECK_EQ("  count 1", (long)n, 1);
    CHECK_ERR("then EAGAIN", read(t, &n, 8), EAGAIN);

    /* Periodic, 10 ms: after at least 55 ms, at least 5 expirations are counted in one read
     * (more if the machine is slow to wake us; no upper bound, so a loaded machine passes). */
    its = (struct itimerspec){.it_interval = {0, 10000000}, .it_value = {0, 10000000}};
    CHECK_EQ("arm 10 ms periodic", timerfd_settime(t, 0, &its, NULL), 0);
    usleep(55000);
    CHECK_EQ("read the expirations", read(t, &n, 8), 8);
    CHECK("  at least 5 of them", n >= 5);

    /* epoll over a blocking timerfd. */
    int b = timerfd_create(CLOCK_MONOTONIC, 0), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, got;
    CHECK_EQ("epoll_ctl ADD timerfd", epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev), 0);
    its = (struct itimerspec){.it_value = {0, 30000000}};
    timerfd_settime(b, 0, &its, NULL);
    t0 = t_now_us();
    CHECK_EQ("epoll_wait wakes at expiry", epoll_wait(ep, &got, 1, 5000), 1);
    CHECK("  after >= 30 ms", t_now_us() - t0 >= 29000);
    CHECK_EQ("  data", (long)got.data.u64, 7);
    CHECK_EQ("blocking read", read(b, &n, 8), 8);

    /* An absolute expiry in the past fires at once. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    its = (struct itimerspec){.it_value = {now.tv_sec - 1, 0}};
    CHECK_EQ("absolute time in the past", timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL), 0);
    CHECK_EQ("  already expired", read(t, &n, 8), 8);

    its.it_value.tv_nsec = 1000000000;
    CHECK_ERR("nsec out of range: EINVAL", timerfd_settime(t, 0, &its, NULL), EINVAL);
    CHECK_ERR("bad clock: EINVAL", timerfd_create(12345, 0), EINVAL);
    CHECK_ERR("not a timerfd: EINVAL", timerfd_gettime(ep, &cur), EINVAL);
    CHECK_ERR("short read: EINVAL", read(b, &n, 4), EINVAL);
    return t_done();
}
