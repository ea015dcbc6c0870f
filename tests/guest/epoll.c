// epoll: epoll_create1, epoll_ctl (ADD/MOD/DEL and their errors), epoll_wait and
// epoll_pwait over pipes: level- and edge-triggered readiness, EPOLLONESHOT, hang-up,
// timeouts.
#include "t.h"
#include <signal.h>
#include <sys/epoll.h>

int main(void)
{
    int p[2], ep, fd;
    char c;
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 77}, got[4];

    CHECK_EQ("pipe", pipe(p), 0);
    CHECK_EQ("create file", t_write_file("f", "data"), 0);
    CHECK_OK("open file", fd = open("f", O_RDONLY));

    CHECK_OK("epoll_create1", ep = epoll_create1(EPOLL_CLOEXEC));
    CHECK_EQ("epoll fd is cloexec", fcntl(ep, F_GETFD), FD_CLOEXEC);
    CHECK_ERR("epoll_create1 bad flags", epoll_create1(1), EINVAL);
    CHECK_ERR("epoll_create size 0", syscall(SYS_epoll_create, 0), EINVAL);

    /* --- epoll_ctl --- */
    CHECK_EQ("ADD read end", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e), 0);
    CHECK_ERR("ADD twice", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e), EEXIST);
    CHECK_ERR("ADD regular file", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), EPERM);
    CHECK_ERR("ADD bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e), EBADF);
    CHECK_ERR("ADD itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e), EINVAL);
    CHECK_ERR("MOD missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &e), ENOENT);
    CHECK_ERR("DEL missing", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &e), ENOENT);
    CHECK_ERR("bad op", epoll_ctl(ep, 42, p[0], &e), EINVAL);
    CHECK_ERR("not an epoll fd", epoll_ctl(fd, EPOLL_CTL_ADD, p[0], &e), EINVAL);
    CHECK_ERR("bad event pointer", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], BADPTR), EFAULT);

    /* --- level-triggered --- */
    CHECK_EQ("wait, nothing ready", epoll_wait(ep, got, 4, 0), 0);
    CHECK_EQ("write a byte", write(p[1], "a", 1), 1);
    CHECK_EQ("wait, readable", epoll_wait(ep, got, 4, 0), 1);
    CHECK("data and events", got[0].data.u64 == 77 && got[0].events == EPOLLIN);
    CHECK_EQ("level-triggered reports again", epoll_wait(ep, got, 4, 0), 1);
    CHECK_EQ("drain", read(p[0], &c, 1), 1);
    long long t0 = t_now_us();
    CHECK_EQ("wait timeout 20ms", epoll_wait(ep, got, 4, 20), 0);
    CHECK("waited >= 20ms", t_now_us() - t0 >= 20000);

    /* --- write end, both ends in one set --- */
    struct epoll_event w = {.events = EPOLLOUT, .data.u64 = 88};
    CHECK_EQ("ADD write end", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &w), 0);
    CHECK_EQ("only the write end ready", epoll_wait(ep, got, 4, 0), 1);
    CHECK("write end event", got[0].data.u64 == 88 && got[0].events == EPOLLOUT);
    write(p[1], "b", 1);
    CHECK_EQ("both ready", epoll_wait(ep, got, 4, 0), 2);
    CHECK_EQ("maxevents 1 returns one", epoll_wait(ep, got, 1, 0), 1);
    CHECK_EQ("DEL write end", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0);
    read(p[0], &c, 1);

    /* --- edge-triggered and one-shot --- */
    e.events = EPOLLIN | EPOLLET;
    CHECK_EQ("MOD to EPOLLET", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e), 0);
    write(p[1], "c", 1);
    CHECK_EQ("edge reported once", epoll_wait(ep, got, 4, 0), 1);
    CHECK_EQ("no new edge", epoll_wait(ep, got, 4, 0), 0);
    write(p[1], "d", 1);
    CHECK_EQ("new data is a new edge", epoll_wait(ep, got, 4, 0), 1);
    read(p[0], &c, 1);
    read(p[0], &c, 1);
    e.events = EPOLLIN | EPOLLONESHOT;
    CHECK_EQ("MOD to EPOLLONESHOT", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e), 0);
    write(p[1], "e", 1);
    CHECK_EQ("one-shot fires", epoll_wait(ep, got, 4, 0), 1);
    CHECK_EQ("then disarmed", epoll_wait(ep, got, 4, 0), 0);
    CHECK_EQ("re-arm with MOD", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e), 0);
    CHECK_EQ("fires again", epoll_wait(ep, got, 4, 0), 1);
    read(p[0], &c, 1);

    /* --- epoll_pwait, hang-up, DEL --- */
    e.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    CHECK_EQ("epoll_pwait nothing", epoll_pwait(ep, got, 4, 0, &mask), 0);
    close(p[1]);
    CHECK_EQ("writer closed", epoll_wait(ep, got, 4, 0), 1);
    CHECK("EPOLLHUP reported", got[0].events == EPOLLHUP);
    CHECK_EQ("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
    CHECK_EQ("deleted fd not reported", epoll_wait(ep, got, 4, 0), 0);
    CHECK_ERR("maxevents 0", epoll_wait(ep, got, 0, 0), EINVAL);
    CHECK_ERR("wait on non-epoll fd", epoll_wait(fd, got, 4, 0), EINVAL);
    CHECK_ERR("wait bad fd", epoll_wait(999, got, 4, 0), EBADF);
    CHECK_EQ("close epoll fd", close(ep), 0);
    close(p[0]);
    close(fd);
    return t_done();
}
