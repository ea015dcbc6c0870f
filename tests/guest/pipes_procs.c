// Pipes and files between processes: a request/reply over two pipes, one file offset
// shared across fork, EOF only once every writer (the child's copy included) is closed,
// SIGPIPE/EPIPE when the reading process is gone, PIPE_BUF atomicity with two writer
// processes, F_GETPIPE_SZ/F_SETPIPE_SZ, O_NONBLOCK (EAGAIN, partial writes), a child's
// blocking read interrupted by a signal (EINTR without SA_RESTART, restarted with it), and
// SIGCHLD delivered to a handler with the child's pid and status.
// setup-file: data.txt=0123456789abcdef
#include "t.h"
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return got ? (ssize_t)got : r;
        got += r;
    }
    return got;
}

static volatile sig_atomic_t usr1_count;
static int handler_pipe = -1; /* the handler reports each run here when >= 0 */

static void on_usr1(int sig)
{
    (void)sig;
    usr1_count++;
    if (handler_pipe >= 0) {
        int e = errno;
        ssize_t r = write(handler_pipe, "h", 1);
        (void)r;
        errno = e;
    }
}

static volatile sig_atomic_t chld_count, chld_pid, chld_code, chld_status, chld_signo;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_count++;
    chld_signo = si->si_signo;
    chld_pid = si->si_pid;
    chld_code = si->si_code;
    chld_status = si->si_status;
}

/* A child blocks in read() on a pipe; the parent interrupts it with SIGUSR1, whose handler
 * is installed with or without SA_RESTART. Returns what the child reported: 'I' for EINTR,
 * 'R' for a restarted read that got the data, other letters for surprises. */
static char interrupted_read(int restart)
{
    int data[2], report[2], hp[2];
    pipe(data);
    pipe(report);
    pipe(hp);
    pid_t p = fork();
    if (p == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_usr1;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        handler_pipe = hp[1];
        close(data[1]);
        write(report[1], "s", 1); /* started */
        char c;
        ssize_t r = read(data[0], &c, 1);
        char res = r == 1 && c == 'd' ? 'R' : r < 0 && errno == EINTR ? 'I' : r == 0 ? 'E' : '?';
        write(report[1], &res, 1);
        _exit(0);
    }
    close(data[0]);
    close(report[1]);
    close(hp[1]);
    char c = 0, res = 0;
    read(report[0], &c, 1);
    sleep_ms(50); /* most likely blocked in read() by now */
    if (!restart) {
        /* signal until the read reports; a signal that lands before the read only runs the
         * handler, and the next one interrupts the read */
        struct pollfd pf = {report[0], POLLIN, 0};
        for (int i = 0; i < 200; i++) {
            kill(p, SIGUSR1);
            if (poll(&pf, 1, 50) == 1)
                break;
        }
        read(report[0], &res, 1);
    } else {
        kill(p, SIGUSR1);
        read(hp[0], &c, 1); /* the handler ran */
        sleep_ms(20);
        write(data[1], "d", 1);
        read(report[0], &res, 1);
    }
    reap(p);
    close(data[1]);
    close(report[0]);
    close(hp[0]);
    return res;
}

int main(void)
{
    int st;

    /* --- request and reply --- */
    {
        int req[2], rep[2];
        pipe(req);
        pipe(rep);
        pid_t p = fork();
        if (p == 0) {
            close(req[1]);
            close(rep[0]);
            char buf[64];
            ssize_t n;
            while ((n = read(req[0], buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < n; i++)
                    if (buf[i] >= 'a' && buf[i] <= 'z')
                        buf[i] -= 32;
                write(rep[1], buf, n);
            }
            _exit(n == 0 ? 0 : 1);
        }
        close(req[0]);
        close(rep[1]);
        char buf[64] = {0};
        write(req[1], "hello child", 11);
        CHECK_EQ("child's reply", read_full(rep[0], buf, 11), 11);
        CHECK("reply is upper-cased", strcmp(buf, "HELLO CHILD") == 0);
        write(req[1], "again", 5);
        memset(buf, 0, sizeof(buf));
        CHECK_EQ("second reply", read_full(rep[0], buf, 5), 5);
        CHECK("second reply content", strcmp(buf, "AGAIN") == 0);
        close(req[1]);
        CHECK_EQ("reply pipe EOF after the child saw EOF", read(rep[0], buf, 1), 0);
        CHECK("child exited 0 after EOF", exited_with(reap(p), 0));
        close(rep[0]);
    }

    /* --- one shared offset across fork --- */
    {
        int fd = open("data.txt", O_RDWR);
        char buf[8] = {0};
        read(fd, buf, 2); /* offset 2 */
        pid_t p = fork();
        if (p == 0) {
            char b[5] = {0};
            ssize_t n = read(fd, b, 4); /* 2..5 */
            _exit(n == 4 && strcmp(b, "2345") == 0 ? 0 : 1);
        }
        CHECK("child read at the inherited offset", exited_with(reap(p), 0));
        CHECK_EQ("parent's offset moved by the child's read", lseek(fd, 0, SEEK_CUR), 6);
        memset(buf, 0, sizeof(buf));
        CHECK_EQ("parent reads after the child", read(fd, buf, 4), 4);
        CHECK("parent gets the bytes after the child's", strcmp(buf, "6789") == 0);
        p = fork();
        if (p == 0) {
            lseek(fd, 0, SEEK_END);
            write(fd, "XY", 2);
            _exit(0);
        }
        reap(p);
        CHECK_EQ("child's lseek+write moved the shared offset", lseek(fd, 0, SEEK_CUR), 18);
        close(fd);
        /* separate opens have separate offsets */
        fd = open("data.txt", O_RDONLY);
        p = fork();
        if (p == 0) {
            int fd2 = open("data.txt", O_RDONLY);
            char b[4];
            read(fd2, b, 3);
            _exit(0);
        }
        reap(p);
        CHECK_EQ("a child's own open does not move ours", lseek(fd, 0, SEEK_CUR), 0);
        close(fd);
    }

    /* --- EOF needs every writer closed --- */
    {
        int pp[2], gate[2];
        pipe(pp);
        pipe(gate);
        pid_t p = fork();
        if (p == 0) {
            close(pp[0]);
            close(gate[1]);
            write(pp[1], "w", 1);
            char c;
            read(gate[0], &c, 1); /* hold the write end until released */
            _exit(0);
        }
        close(gate[0]);
        close(pp[1]);
        char c;
        CHECK_EQ("read the child's byte", read(pp[0], &c, 1), 1);
        fcntl(pp[0], F_SETFL, O_NONBLOCK);
        CHECK_ERR("no EOF while the child holds a write end", read(pp[0], &c, 1), EAGAIN);
        struct pollfd pf = {pp[0], POLLIN, 0};
        CHECK_EQ("poll: not readable yet", poll(&pf, 1, 0), 0);
        close(gate[1]); /* the child exits */
        CHECK("child exited", exited_with(reap(p), 0));
        CHECK_EQ("EOF once the child's copy is gone", read(pp[0], &c, 1), 0);
        CHECK_EQ("poll: POLLHUP", poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), 1);
        close(pp[0]);
    }

    /* --- writing when the reading process is gone --- */
    {
        int pp[2];
        pipe(pp);
        pid_t r = fork();
        if (r == 0) {
            close(pp[1]);
            char c;
            read(pp[0], &c, 1);
            _exit(0); /* the read end dies with it */
        }
        close(pp[0]);
        write(pp[1], "x", 1);
        reap(r);
        pid_t w = fork();
        if (w == 0) {
            signal(SIGPIPE, SIG_DFL);
            write(pp[1], "y", 1);
            _exit(0);
        }
        st = reap(w);
        CHECK("writer killed by SIGPIPE", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
        signal(SIGPIPE, SIG_IGN);
        CHECK_ERR("with SIGPIPE ignored: EPIPE", write(pp[1], "z", 1), EPIPE);
        signal(SIGPIPE, SIG_DFL);
        /* a blocked SIGPIPE stays pending and the write fails with EPIPE */
        sigset_t set, old, pend;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigprocmask(SIG_BLOCK, &set, &old);
        CHECK_ERR("with SIGPIPE blocked: EPIPE", write(pp[1], "z", 1), EPIPE);
        sigpending(&pend);
        CHECK("  and SIGPIPE is pending", sigismember(&pend, SIGPIPE));
        int sig;
        sigwait(&set, &sig);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(pp[1]);
    }

    /* --- PIPE_BUF atomicity: two writers, 100 records of 4096 bytes each --- */
    {
        enum { REC = 4096, N = 100 };
        CHECK("PIPE_BUF is 4096", PIPE_BUF == REC);
        int pp[2];
        pipe(pp);
        pid_t w[2];
        for (int k = 0; k < 2; k++) {
            w[k] = fork();
            if (w[k] == 0) {
                close(pp[0]);
                char rec[REC];
                for (int i = 0; i < N; i++) {
                    memset(rec, k ? 'B' : 'A', REC);
                    rec[0] = (char)i; /* record number, then fill */
                    if (write(pp[1], rec, REC) != REC)
                        _exit(1);
                }
                _exit(0);
            }
        }
        close(pp[1]);
        static char all[2 * N * REC + 1];
        ssize_t total = read_full(pp[0], all, sizeof(all));
        CHECK_EQ("read everything", total, 2 * N * REC);
        int torn = 0, next[2] = {0, 0}, order_ok = 1;
        for (int r = 0; r < 2 * N && (r + 1) * REC <= total; r++) {
            char *rec = all + r * REC;
            char fill = rec[1];
            int k = fill == 'B';
            if (fill != 'A' && fill != 'B') {
                torn++;
                continue;
            }
            for (int i = 1; i < REC; i++)
                if (rec[i] != fill) {
                    torn++;
                    break;
                }
            if ((unsigned char)rec[0] != next[k])
                order_ok = 0;
            next[k]++;
        }
        CHECK_EQ("no record torn by the other writer", torn, 0);
        CHECK("each writer's records in order, all there",
              order_ok && next[0] == N && next[1] == N);
        CHECK("writers exited 0", exited_with(reap(w[0]), 0) && exited_with(reap(w[1]), 0));
        close(pp[0]);
    }

    /* --- pipe size --- */
    {
        int pp[2];
        pipe(pp);
        CHECK_EQ("F_GETPIPE_SZ default", fcntl(pp[0], F_GETPIPE_SZ), 65536);
        CHECK_EQ("F_GETPIPE_SZ same on the write end", fcntl(pp[1], F_GETPIPE_SZ), 65536);
        CHECK_EQ("F_SETPIPE_SZ 131072", fcntl(pp[1], F_SETPIPE_SZ, 131072), 131072);
        CHECK_EQ("F_GETPIPE_SZ after", fcntl(pp[0], F_GETPIPE_SZ), 131072);
        CHECK_EQ("F_SETPIPE_SZ 100000 rounds up to a power-of-two of pages",
                 fcntl(pp[1], F_SETPIPE_SZ, 100000), 131072);
        CHECK_EQ("F_SETPIPE_SZ 1 gives a page", fcntl(pp[1], F_SETPIPE_SZ, 1), 4096);
        CHECK_ERR("F_SETPIPE_SZ over 2 GiB: EINVAL", fcntl(pp[1], F_SETPIPE_SZ, 0x80000001U),
                  EINVAL);
        CHECK_EQ("F_SETPIPE_SZ 8192", fcntl(pp[1], F_SETPIPE_SZ, 8192), 8192);
        fcntl(pp[1], F_SETFL, O_NONBLOCK);
        char buf[8192];
        memset(buf, 'q', sizeof(buf));
        CHECK_EQ("fill the two-page pipe", write(pp[1], buf, 8192), 8192);
        CHECK_ERR("full: EAGAIN", write(pp[1], buf, 1), EAGAIN);
        CHECK_ERR("shrinking below the content: EBUSY", fcntl(pp[1], F_SETPIPE_SZ, 4096), EBUSY);
        CHECK_EQ("grow while holding data", fcntl(pp[1], F_SETPIPE_SZ, 65536), 65536);
        CHECK_EQ("room again", write(pp[1], buf, 4096), 4096);
        CHECK_EQ("the data survived the resizes", read_full(pp[0], buf, 8192), 8192);
        int fd = open("data.txt", O_RDONLY);
        CHECK_ERR("F_GETPIPE_SZ on a file: EBADF", fcntl(fd, F_GETPIPE_SZ), EBADF);
        close(fd);
        close(pp[0]);
        close(pp[1]);
    }

    /* --- O_NONBLOCK --- */
    {
        int pp[2];
        CHECK_EQ("pipe2 O_NONBLOCK", pipe2(pp, O_NONBLOCK), 0);
        char c, buf[4096];
        memset(buf, 'n', sizeof(buf));
        CHECK_ERR("empty pipe read: EAGAIN", read(pp[0], &c, 1), EAGAIN);
        long total = 0;
        ssize_t n;
        while ((n = write(pp[1], buf, sizeof(buf))) > 0)
            total += n;
        int e = errno;
        CHECK("  until EAGAIN", n == -1 && e == EAGAIN);
        CHECK_EQ("a pipe holds 65536 bytes", total, 65536);
        CHECK_EQ("drain a page", read_full(pp[0], buf, 4096), 4096);
        static char big[100000];
        CHECK_EQ("a large write takes what fits", write(pp[1], big, sizeof(big)), 4096);
        CHECK_EQ("drain a page again", read_full(pp[0], buf, 4096), 4096);
        CHECK_EQ("write 100 bytes", write(pp[1], big, 100), 100);
        CHECK_ERR("an atomic write that does not fit: EAGAIN", write(pp[1], big, 4096), EAGAIN);
        /* a reader process in blocking mode sees the writer's data once it comes */
        int fl = fcntl(pp[0], F_GETFL);
        CHECK("F_GETFL has O_NONBLOCK", fl & O_NONBLOCK);
        close(pp[0]);
        close(pp[1]);
    }

    /* --- interrupted blocking reads in a child --- */
    CHECK_EQ("read interrupted without SA_RESTART: EINTR", interrupted_read(0), 'I');
    CHECK_EQ("read interrupted with SA_RESTART: restarted", interrupted_read(1), 'R');

    /* --- SIGCHLD to a handler --- */
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_chld;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGCHLD, &sa, NULL);
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGCHLD);
        sigprocmask(SIG_BLOCK, &block, &old);
        pid_t p = fork();
        if (p == 0)
            _exit(7);
        while (chld_count == 0)
            sigsuspend(&old);
        CHECK_EQ("SIGCHLD handler ran once", chld_count, 1);
        CHECK_EQ("  si_signo SIGCHLD", chld_signo, SIGCHLD);
        CHECK("  si_pid is the child", chld_pid == p);
        CHECK_EQ("  si_code CLD_EXITED", chld_code, CLD_EXITED);
        CHECK_EQ("  si_status 7", chld_status, 7);
        CHECK("child reaped after the handler", exited_with(reap(p), 7));

        chld_count = 0;
        int gate[2];
        pipe(gate);
        p = fork();
        if (p == 0) {
            char c;
            close(gate[1]);
            read(gate[0], &c, 1);
            _exit(0);
        }
        close(gate[0]);
        kill(p, SIGTERM);
        while (chld_count == 0)
            sigsuspend(&old);
        CHECK("SIGCHLD for a killed child: si_pid", chld_pid == p);
        CHECK_EQ("  si_code CLD_KILLED", chld_code, CLD_KILLED);
        CHECK_EQ("  si_status SIGTERM", chld_status, SIGTERM);
        reap(p);
        close(gate[1]);

        /* SA_NOCLDWAIT: children are not left as zombies */
        sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
        sigaction(SIGCHLD, &sa, NULL);
        chld_count = 0;
        p = fork();
        if (p == 0)
            _exit(1);
        while (chld_count == 0)
            sigsuspend(&old);
        CHECK("SA_NOCLDWAIT: SIGCHLD still sent", chld_pid == p);
        CHECK_ERR("SA_NOCLDWAIT: nothing to wait for", waitpid(p, &st, 0), ECHILD);
        sigprocmask(SIG_SETMASK, &old, NULL);

        /* SIGCHLD ignored: no zombies either */
        signal(SIGCHLD, SIG_IGN);
        p = fork();
        if (p == 0)
            _exit(1);
        CHECK_ERR("SIGCHLD SIG_IGN: wait blocks until the child is gone, then ECHILD",
                  waitpid(p, &st, 0), ECHILD);
        signal(SIGCHLD, SIG_DFL);
    }

    return t_done();
}
