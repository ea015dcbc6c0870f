// File descriptors: dup, dup2, dup3, fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/F_SETFD,
// F_GETFL/F_SETFL with O_APPEND and O_NONBLOCK, F_GETLK/F_SETLK), ioctl (FIONREAD, FIONBIO,
// ENOTTY), pipe and pipe2 within one process, and RLIMIT_NOFILE enforcement.
#include "t.h"
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <termios.h>

/* The status flags that F_GETFL reports portably (O_LARGEFILE is masked out). */
static int fl(int fd)
{
    int f = fcntl(fd, F_GETFL);
    return f < 0 ? f : f & (O_ACCMODE | O_APPEND | O_NONBLOCK);
}

int main(void)
{
    char buf[64];
    int fd, fd2, p[2];

    CHECK_EQ("create f", t_write_file("f", "0123456789"), 0);

    /* --- dup / dup2 / dup3 --- */
    CHECK_OK("open f", fd = open("f", O_RDONLY));
    CHECK_EQ("dup is lowest free", fd2 = dup(fd), fd + 1);
    CHECK_EQ("read via original", read(fd, buf, 3), 3);
    CHECK_EQ("offset shared with dup", lseek(fd2, 0, SEEK_CUR), 3);
    CHECK_EQ("read via dup", read(fd2, buf, 2), 2);
    CHECK("dup reads next bytes", memcmp(buf, "34", 2) == 0);
    CHECK_EQ("close dup", close(fd2), 0);
    CHECK_ERR("dup bad fd", dup(999), EBADF);
    CHECK_EQ("dup2 to 100", dup2(fd, 100), 100);
    CHECK_EQ("dup2 target readable", pread(100, buf, 2, 0), 2);
    CHECK_EQ("dup2 same fd", dup2(fd, fd), fd);
    CHECK_EQ("dup2 over open fd", dup2(fd, 100), 100);
    CHECK_ERR("dup2 bad oldfd", dup2(999, 100), EBADF);
    CHECK_EQ("dup2 bad oldfd keeps newfd", fcntl(100, F_GETFD), 0);
    CHECK_ERR("dup2 negative newfd", dup2(fd, -1), EBADF);
    CHECK_ERR("dup3 same fd", dup3(fd, fd, 0), EINVAL);
    CHECK_EQ("dup3 O_CLOEXEC", dup3(fd, 101, O_CLOEXEC), 101);
    CHECK_EQ("dup3 cloexec set", fcntl(101, F_GETFD), FD_CLOEXEC);
    CHECK_EQ("dup2 clears cloexec", (dup2(fd, 101), fcntl(101, F_GETFD)), 0);
    CHECK_ERR("dup3 bad flags", syscall(SYS_dup3, fd, 102, O_APPEND), EINVAL);
    close(100);
    close(101);

    /* --- fcntl --- */
    CHECK_EQ("F_DUPFD min 50", fcntl(fd, F_DUPFD, 50), 50);
    CHECK_EQ("F_DUPFD min 50 again", fcntl(fd, F_DUPFD, 50), 51);
    CHECK_EQ("F_DUPFD cloexec clear", fcntl(50, F_GETFD), 0);
    CHECK_EQ("F_DUPFD_CLOEXEC", fcntl(fd, F_DUPFD_CLOEXEC, 60), 60);
    CHECK_EQ("F_DUPFD_CLOEXEC flag", fcntl(60, F_GETFD), FD_CLOEXEC);
    CHECK_ERR("F_DUPFD negative min", fcntl(fd, F_DUPFD, -1), EINVAL);
    close(50);
    close(51);
    close(60);
    CHECK_EQ("F_SETFD", fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
    CHECK_EQ("F_GETFD after set", fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK_EQ("F_SETFD clear", fcntl(fd, F_SETFD, 0), 0);
    CHECK_EQ("F_GETFD after clear", fcntl(fd, F_GETFD), 0);
    CHECK_EQ("F_GETFL O_RDONLY", fl(fd), O_RDONLY);
    CHECK_ERR("fcntl bad fd", fcntl(999, F_GETFD), EBADF);
    CHECK_ERR("fcntl bad command", fcntl(fd, 12345), EINVAL);
    close(fd);

    CHECK_OK("open O_RDWR", fd = open("f", O_RDWR));
    CHECK_EQ("F_GETFL O_RDWR", fl(fd), O_RDWR);
    CHECK_EQ("F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND), 0);
    CHECK_EQ("F_GETFL has O_APPEND", fl(fd), O_RDWR | O_APPEND);
    CHECK_EQ("write appends", write(fd, "AB", 2), 2);
    CHECK_EQ("file grew", t_file_size("f"), 12);
    CHECK_EQ("F_SETFL ignores access mode", fcntl(fd, F_SETFL, O_WRONLY), 0);
    CHECK_EQ("F_GETFL still O_RDWR", fl(fd), O_RDWR);
    CHECK_EQ("write no longer appends", (lseek(fd, 0, SEEK_SET), write(fd, "x", 1)), 1);
    CHECK_EQ("size unchanged", t_file_size("f"), 12);

    /* record locks within one process: F_GETLK sees no conflicting lock */
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    CHECK_EQ("F_GETLK unlocked", fcntl(fd, F_GETLK, &lk), 0);
    CHECK_EQ("F_GETLK says F_UNLCK", lk.l_type, F_UNLCK);
    struct flock set = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4};
    CHECK_EQ("F_SETLK write lock", fcntl(fd, F_SETLK, &set), 0);
    lk = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    CHECK_EQ("F_GETLK own lock", fcntl(fd, F_GETLK, &lk), 0);
    CHECK_EQ("own lock does not conflict", lk.l_type, F_UNLCK);
    set.l_type = F_UNLCK;
    CHECK_EQ("F_SETLK unlock", fcntl(fd, F_SETLK, &set), 0);
    lk.l_type = 42;
    CHECK_ERR("F_GETLK bad type", fcntl(fd, F_GETLK, &lk), EINVAL);
    CHECK_ERR("F_GETLK bad pointer", fcntl(fd, F_GETLK, BADPTR), EFAULT);
    close(fd);
    CHECK_OK("open O_RDONLY", fd = open("f", O_RDONLY));
    set = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    CHECK_ERR("write lock on read-only fd", fcntl(fd, F_SETLK, &set), EBADF);

    /* --- ioctl --- */
    CHECK_EQ("FIONREAD on file", (ioctl(fd, FIONREAD, &fd2), fd2), 12);
    struct termios tio;
    CHECK_ERR("TCGETS on regular file", ioctl(fd, TCGETS, &tio), ENOTTY);
    CHECK_EQ("isatty regular file", isatty(fd), 0);
    CHECK_ERR("ioctl bad fd", ioctl(999, FIONREAD, &fd2), EBADF);
    close(fd);
    CHECK_OK("open /dev/null", fd = open("/dev/null", O_RDWR));
    CHECK_ERR("TCGETS on /dev/null", ioctl(fd, TCGETS, &tio), ENOTTY);
    close(fd);

    /* --- pipe / pipe2 --- */
    CHECK_EQ("pipe", pipe(p), 0);
    CHECK_EQ("pipe flags", fl(p[0]) == O_RDONLY && fl(p[1]) == O_WRONLY, 1);
    CHECK_EQ("write pipe", write(p[1], "hello", 5), 5);
    int n = -1;
    CHECK_EQ("FIONREAD on pipe", ioctl(p[0], FIONREAD, &n), 0);
    CHECK_EQ("FIONREAD count", n, 5);
    CHECK_EQ("read pipe partial", read(p[0], buf, 2), 2);
    CHECK_EQ("read pipe rest", read(p[0], buf, sizeof(buf)), 3);
    CHECK("pipe data", memcmp(buf, "llo", 3) == 0);
    CHECK_ERR("write to read end", write(p[0], "x", 1), EBADF);
    CHECK_ERR("read from write end", read(p[1], buf, 1), EBADF);
    CHECK_ERR("TCGETS on pipe", ioctl(p[0], TCGETS, &tio), ENOTTY);
    int on = 1;
    CHECK_EQ("FIONBIO on", ioctl(p[0], FIONBIO, &on), 0);
    CHECK_EQ("FIONBIO sets O_NONBLOCK", fl(p[0]), O_RDONLY | O_NONBLOCK);
    CHECK_ERR("read empty nonblocking pipe", read(p[0], buf, 1), EAGAIN);
    CHECK_EQ("F_SETFL clears O_NONBLOCK", fcntl(p[0], F_SETFL, 0), 0);
    CHECK_EQ("F_GETFL after clear", fl(p[0]), O_RDONLY);
    CHECK_EQ("F_SETFL O_NONBLOCK", fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    CHECK_ERR("read empty after F_SETFL", read(p[0], buf, 1), EAGAIN);
    CHECK_EQ("close write end", close(p[1]), 0);
    CHECK_EQ("read EOF", read(p[0], buf, 1), 0);
    close(p[0]);

    CHECK_EQ("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    CHECK_EQ("pipe2 cloexec", fcntl(p[0], F_GETFD) & fcntl(p[1], F_GETFD), FD_CLOEXEC);
    CHECK_EQ("pipe2 nonblock", fl(p[1]), O_WRONLY | O_NONBLOCK);
    CHECK_ERR("pipe2 read empty", read(p[0], buf, 1), EAGAIN);
    /* fill the pipe: a nonblocking writer stops with EAGAIN */
    static char chunk[4096];
    long total = 0;
    ssize_t w;
    while ((w = write(p[1], chunk, sizeof(chunk))) > 0)
        total += w;
    CHECK_ERR("full pipe write", write(p[1], chunk, sizeof(chunk)), EAGAIN);
    CHECK("pipe capacity at least 4096", total >= 4096);
    CHECK_EQ("FIONREAD full pipe", (ioctl(p[0], FIONREAD, &n), n), total);
    close(p[0]);
    close(p[1]);
    CHECK_ERR("pipe2 bad flags", pipe2(p, O_APPEND), EINVAL);
    CHECK_ERR("pipe bad pointer", pipe(BADPTR), EFAULT);

    /* --- RLIMIT_NOFILE is enforced --- */
    struct rlimit old, lim;
    CHECK_EQ("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &old), 0);
    lim = old;
    lim.rlim_cur = 32;
    CHECK_EQ("setrlimit NOFILE 32", setrlimit(RLIMIT_NOFILE, &lim), 0);
    int already = 0, opened = 0;
    for (int i = 0; i < 32; i++)
        already += fcntl(i, F_GETFD) >= 0;
    while (dup(0) >= 0)
        opened++;
    int dup_errno = errno;
    CHECK_EQ("dup stops at limit with EMFILE", dup_errno, EMFILE);
    CHECK_ERR("dup2 beyond limit", dup2(0, 40), EBADF);
    CHECK_ERR("F_DUPFD beyond limit", fcntl(0, F_DUPFD, 40), EINVAL);
    CHECK_ERR("open at limit", open("f", O_RDONLY), EMFILE);
    CHECK_ERR("pipe at limit", pipe(p), EMFILE);
    for (int i = 3; i < 32; i++)
        close(i);
    CHECK_EQ("setrlimit restore", setrlimit(RLIMIT_NOFILE, &old), 0);
    CHECK_EQ("dups made up to the limit", opened, 32 - already);

    return t_done();
}
