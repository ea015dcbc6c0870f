// eventfd: counter and semaphore semantics, non-blocking errors, argument checks, and an
// epoll wait in the parent woken by a child's write (a wake between processes).
#include "t.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

int main(void)
{
    uint64_t v = 0;
    int e = eventfd(3, EFD_NONBLOCK);
    CHECK("eventfd", e >= 0);
    CHECK_EQ("read the initial count", read(e, &v, 8), 8);
    CHECK_EQ("  is 3", (long)v, 3);
    CHECK_ERR("empty: EAGAIN", read(e, &v, 8), EAGAIN);
    v = 5;
    CHECK_EQ("write 5", write(e, &v, 8), 8);
    CHECK_EQ("write 5 more", write(e, &v, 8), 8);
    CHECK_EQ("read the sum", read(e, &v, 8), 8);
    CHECK_EQ("  is 10", (long)v, 10);
    CHECK_ERR("short read: EINVAL", read(e, &v, 4), EINVAL);
    v = ~0ULL;
    CHECK_ERR("write of 2^64-1: EINVAL", write(e, &v, 8), EINVAL);
    v = 0xfffffffffffffffeULL;
    CHECK_EQ("write the maximum", write(e, &v, 8), 8);
    v = 1;
    CHECK_ERR("overflow: EAGAIN", write(e, &v, 8), EAGAIN);
    close(e);

    int s = eventfd(2, EFD_NONBLOCK | EFD_SEMAPHORE);
    CHECK_EQ("semaphore: read", read(s, &v, 8), 8);
    CHECK_EQ("  gives 1", (long)v, 1);
    CHECK_EQ("semaphore: read again", read(s, &v, 8), 8);
    CHECK_ERR("semaphore: then EAGAIN", read(s, &v, 8), EAGAIN);
    close(s);
    CHECK_ERR("bad flags: EINVAL", eventfd(0, 0x40), EINVAL);

    int b = eventfd(0, 0), ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, got;
    CHECK_EQ("epoll_ctl ADD eventfd", epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev), 0);
    CHECK_EQ("nothing yet", epoll_wait(ep, &got, 1, 0), 0);
    pid_t p = fork();
    if (p == 0) {
        usleep(20000);
        uint64_t one = 1;
        _exit(write(b, &one, 8) == 8 ? 0 : 1);
    }
    CHECK_EQ("the child's write wakes the parent's epoll_wait", epoll_wait(ep, &got, 1, 5000), 1);
    CHECK_EQ("  with the registered data", (long)got.data.u64, 42);
    CHECK_EQ("blocking read gets it", read(b, &v, 8), 8);
    CHECK_EQ("  value 1", (long)v, 1);
    int st;
    waitpid(p, &st, 0);
    CHECK("child wrote", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return t_done();
}
