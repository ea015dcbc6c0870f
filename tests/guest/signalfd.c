// signalfd: blocked signals read as signalfd_siginfo records (kill, sigqueue value, a child's
// SIGCHLD), poll and epoll readiness, non-blocking EAGAIN, mask updates, errors.
#include "t.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

int main(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGCHLD);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int s = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK("signalfd", s >= 0);
    struct signalfd_siginfo si;
    CHECK_ERR("nothing pending: EAGAIN", read(s, &si, sizeof(si)), EAGAIN);
    struct pollfd pf = {.fd = s, .events = POLLIN};
    CHECK_EQ("poll: not readable", poll(&pf, 1, 0), 0);
    kill(getpid(), SIGUSR1);
    CHECK_EQ("poll: readable after kill", poll(&pf, 1, 0), 1);
    CHECK_EQ("read one record", read(s, &si, sizeof(si)), (long)sizeof(si));
    CHECK_EQ("  SIGUSR1", (int)si.ssi_signo, SIGUSR1);
    CHECK_EQ("  SI_USER", si.ssi_code, SI_USER);
    CHECK("  from us", si.ssi_pid == (uint32_t)getpid());
    sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 99});
    CHECK_EQ("sigqueue: read", read(s, &si, sizeof(si)), (long)sizeof(si));
    CHECK_EQ("  value 99", si.ssi_int, 99);
    CHECK_ERR("short buffer: EINVAL", read(s, &si, 8), EINVAL);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5}, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    pid_t p = fork();
    if (p == 0)
        _exit(3);
    CHECK_EQ("epoll sees the child's SIGCHLD", epoll_wait(ep, &got, 1, 5000), 1);
    CHECK_EQ("read SIGCHLD", read(s, &si, sizeof(si)), (long)sizeof(si));
    CHECK_EQ("  SIGCHLD", (int)si.ssi_signo, SIGCHLD);
    CHECK_EQ("  CLD_EXITED", si.ssi_code, CLD_EXITED);
    CHECK_EQ("  status 3", si.ssi_status, 3);
    waitpid(p, NULL, 0);

    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    CHECK_EQ("update the mask", signalfd(s, &only2, 0), s);
    kill(getpid(), SIGUSR1);
    CHECK_ERR("SIGUSR1 no longer read", read(s, &si, sizeof(si)), EAGAIN);
    CHECK_ERR("not a signalfd: EINVAL", signalfd(ep, &m, 0), EINVAL);
    CHECK_ERR("bad flags: EINVAL", signalfd(-1, &m, 0x10), EINVAL);
    return t_done();
}
