// Readiness: poll, ppoll, select and pselect6 over pipes, regular files and /dev/null:
// readiness bits, zero and short timeouts, hang-up and error conditions, POLLNVAL for a
// closed descriptor, and the error paths.
#include "t.h"
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>

/* revents as a stable string, e.g. "IN|OUT". */
static const char *ev(short r)
{
    static char buf[64];
    buf[0] = 0;
    static const struct {
        short bit;
        const char *name;
    } bits[] = {{POLLIN, "IN"},   {POLLPRI, "PRI"}, {POLLOUT, "OUT"},
                {POLLERR, "ERR"}, {POLLHUP, "HUP"}, {POLLNVAL, "NVAL"}};
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        if (r & bits[i].bit) {
            if (buf[0])
                strcat(buf, "|");
            strcat(buf, bits[i].name);
        }
    return buf[0] ? buf : "none";
}

static void show(const char *label, int ret, struct pollfd *p, int n)
{
    printf("%s: ret=%d", label, ret);
    for (int i = 0; i < n; i++)
        printf(" [%d]=%s", i, ev(p[i].revents));
    printf("\n");
}

int main(void)
{
    int p[2], fd;
    char c;
    CHECK_EQ("pipe", pipe(p), 0);
    CHECK_EQ("create file", t_write_file("f", "data"), 0);
    CHECK_OK("open file", fd = open("f", O_RDWR));

    /* --- poll --- */
    struct pollfd pf[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {fd, POLLIN | POLLOUT, 0}};
    show("poll empty pipe", poll(pf, 3, 0), pf, 3);
    CHECK_EQ("write a byte", write(p[1], "x", 1), 1);
    show("poll with data", poll(pf, 3, 0), pf, 3);
    pf[0].events = POLLIN | POLLPRI;
    show("poll POLLPRI not reported", poll(pf, 1, 0), pf, 1);
    CHECK_EQ("drain", read(p[0], &c, 1), 1);
    long long t0 = t_now_us();
    pf[0].events = POLLIN;
    CHECK_EQ("poll timeout 30ms", poll(pf, 1, 30), 0);
    CHECK("waited >= 30ms", t_now_us() - t0 >= 30000);
    struct pollfd neg = {-1, POLLIN, 0x55};
    CHECK_EQ("negative fd ignored", poll(&neg, 1, 0), 0);
    CHECK_EQ("negative fd revents cleared", neg.revents, 0);
    struct pollfd bad = {999, POLLIN, 0};
    show("poll closed fd", poll(&bad, 1, 0), &bad, 1);
    struct pollfd nul = {open("/dev/null", O_RDWR), POLLIN | POLLOUT, 0};
    show("poll /dev/null", poll(&nul, 1, 0), &nul, 1);
    close(nul.fd);
    CHECK_EQ("poll nothing, timeout 0", poll(NULL, 0, 0), 0);
    t0 = t_now_us();
    CHECK_EQ("poll nothing, timeout 10ms", poll(NULL, 0, 10), 0);
    CHECK("slept >= 10ms", t_now_us() - t0 >= 10000);
    CHECK_ERR("poll bad pointer", poll(BADPTR, 1, 0), EFAULT);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_ERR("poll nfds over RLIMIT_NOFILE", poll(pf, rl.rlim_cur + 1, 0), EINVAL);

    /* hang-up and error */
    int q[2];
    CHECK_EQ("pipe 2", pipe(q), 0);
    CHECK_EQ("write before close", write(q[1], "y", 1), 1);
    close(q[1]);
    struct pollfd hup = {q[0], POLLIN, 0};
    show("poll data then writer closed", poll(&hup, 1, 0), &hup, 1);
    CHECK_EQ("read last byte", read(q[0], &c, 1), 1);
    show("poll writer closed, empty", poll(&hup, 1, 0), &hup, 1);
    close(q[0]);
    CHECK_EQ("pipe 3", pipe(q), 0);
    close(q[0]);
    struct pollfd err = {q[1], POLLOUT, 0};
    show("poll reader closed", poll(&err, 1, 0), &err, 1);
    close(q[1]);

    /* --- ppoll --- */
    struct timespec zero = {0, 0}, ten = {0, 10000000};
    pf[0].events = POLLIN;
    CHECK_EQ("ppoll timeout 0", ppoll(pf, 1, &zero, NULL), 0);
    write(p[1], "z", 1);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    show("ppoll with sigmask", ppoll(pf, 1, NULL, &mask), pf, 1);
    read(p[0], &c, 1);
    t0 = t_now_us();
    CHECK_EQ("ppoll timeout 10ms", ppoll(pf, 1, &ten, NULL), 0);
    CHECK("ppoll waited >= 10ms", t_now_us() - t0 >= 10000);
    struct timespec badts = {0, 1000000000};
    CHECK_ERR("ppoll bad timeout", ppoll(pf, 1, &badts, NULL), EINVAL);

    /* --- select --- */
    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ("select empty pipe", select(p[0] + 1, &r, NULL, NULL, &tv), 0);
    CHECK_EQ("select cleared set", FD_ISSET(p[0], &r), 0);
    write(p[1], "s", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(fd, &r);
    int maxfd = p[0] > p[1] ? p[0] : p[1];
    maxfd = maxfd > fd ? maxfd : fd;
    CHECK_EQ("select ready count", select(maxfd + 1, &r, &w, NULL, &tv), 3);
    CHECK("select pipe readable", FD_ISSET(p[0], &r));
    CHECK("select pipe writable", FD_ISSET(p[1], &w));
    CHECK("select file readable", FD_ISSET(fd, &r));
    read(p[0], &c, 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    t0 = t_now_us();
    CHECK_EQ("select timeout 20ms", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv), 0);
    CHECK("select waited >= 20ms", t_now_us() - t0 >= 20000);
    CHECK("raw select updated timeout", tv.tv_sec == 0 && tv.tv_usec == 0);
    FD_ZERO(&r);
    FD_SET(50, &r); /* closed, and below the initial fd table size (64) */
    tv.tv_usec = 0;
    CHECK_ERR("select closed fd", select(51, &r, NULL, NULL, &tv), EBADF);
    CHECK_ERR("select negative nfds", select(-1, NULL, NULL, NULL, &tv), EINVAL);
    tv.tv_sec = -1;
    CHECK_ERR("raw select bad timeout", syscall(SYS_select, 0, NULL, NULL, NULL, &tv), EINVAL);

    /* --- pselect6 --- */
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ("pselect timeout 0", pselect(p[0] + 1, &r, NULL, NULL, &zero, &mask), 0);
    write(p[1], "t", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ("pselect readable", pselect(p[0] + 1, &r, NULL, NULL, &zero, &mask), 1);
    CHECK("pselect set", FD_ISSET(p[0], &r));
    read(p[0], &c, 1);
    t0 = t_now_us();
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ("pselect timeout 10ms", pselect(p[0] + 1, &r, NULL, NULL, &ten, NULL), 0);
    CHECK("pselect waited >= 10ms", t_now_us() - t0 >= 10000);

    close(p[0]);
    close(p[1]);
    close(fd);
    return t_done();
}
