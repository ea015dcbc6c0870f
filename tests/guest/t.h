/* t.h: shared helpers for husk's differential guest programs (tests/guest/).
 *
 * Every guest program is run twice, natively and under husk, and the two outputs must be
 * byte-identical. So a program prints only stable facts: check names followed by "ok" or
 * "FAIL (...)", never pids, addresses, times or host paths. The CHECK macros below print
 * one line per check:
 *
 *     CHECK(name, cond)            cond is true                       -> "name: ok"
 *     CHECK_OK(name, call)         call returns something other than -1
 *     CHECK_EQ(name, call, want)   call returns exactly want
 *     CHECK_ERR(name, call, ERR)   call returns -1 with errno == ERR
 *
 * and on failure "name: FAIL (ret=R, errno=ENAME, want W)". errno is cleared before the
 * call is evaluated. A program ends with `return t_done();`, which exits 1 if any check
 * failed (the runner requires native runs to exit with the expected status, 0 by default).
 *
 * Calls that must reach the kernel directly (so that the libc wrapper does not hide the
 * kernel's answer) use syscall(SYS_xxx, ...), which returns -1 and sets errno too.
 */
#ifndef HUSK_TEST_T_H
#define HUSK_TEST_T_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A pointer that is never mapped, for EFAULT checks. It comes from a volatile so that the
 * compiler cannot see (and warn about) the deliberate bad access. */
static inline void *t_badptr(void)
{
    volatile uintptr_t p = 1;
    return (void *)p;
}
#define BADPTR t_badptr()

static int t_fails; /* number of failed checks so far */

/* Line-buffer stdout so that output reaches the pipe in the same chunks however the
 * program ends (a signal death after a check still shows the lines before it). */
__attribute__((constructor)) static void t_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* The symbolic name of an errno value ("ENOENT"), or "E<number>" for unlisted ones. */
static inline const char *t_errname(int e)
{
    static const struct {
        int value;
        const char *name;
    } names[] = {
#define T_ERR(x) {x, #x}
        T_ERR(EPERM),        T_ERR(ENOENT),      T_ERR(ESRCH),        T_ERR(EINTR),
        T_ERR(EIO),          T_ERR(ENXIO),       T_ERR(E2BIG),        T_ERR(ENOEXEC),
        T_ERR(EBADF),        T_ERR(ECHILD),      T_ERR(EAGAIN),       T_ERR(ENOMEM),
        T_ERR(EACCES),       T_ERR(EFAULT),      T_ERR(EBUSY),        T_ERR(EEXIST),
        T_ERR(EXDEV),        T_ERR(ENODEV),      T_ERR(ENOTDIR),      T_ERR(EISDIR),
        T_ERR(EINVAL),       T_ERR(ENFILE),      T_ERR(EMFILE),       T_ERR(ENOTTY),
        T_ERR(ETXTBSY),      T_ERR(EFBIG),       T_ERR(ENOSPC),       T_ERR(ESPIPE),
        T_ERR(EROFS),        T_ERR(EMLINK),      T_ERR(EPIPE),        T_ERR(EDOM),
        T_ERR(ERANGE),       T_ERR(EDEADLK),     T_ERR(ENAMETOOLONG), T_ERR(ENOLCK),
        T_ERR(ENOSYS),       T_ERR(ENOTEMPTY),   T_ERR(ELOOP),        T_ERR(ENOMSG),
        T_ERR(ENODATA),      T_ERR(ETIME),       T_ERR(EOVERFLOW),    T_ERR(EBADFD),
        T_ERR(ENOTSOCK),     T_ERR(EOPNOTSUPP),  T_ERR(ETIMEDOUT),    T_ERR(ENOTCONN),
        T_ERR(EALREADY),     T_ERR(EINPROGRESS), T_ERR(ECANCELED),    T_ERR(ENOKEY),
        T_ERR(EKEYREJECTED),
#undef T_ERR
    };
    static char buf[24];
    if (e == 0)
        return "0";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].value == e)
            return names[i].name;
    snprintf(buf, sizeof(buf), "E%d", e);
    return buf;
}

/* Prints one check's result line. want is a description of what was expected, or NULL. */
static inline void t_result(const char *name, int ok, long ret, int err, const char *want)
{
    if (ok) {
        printf("%s: ok\n", name);
        return;
    }
    t_fails++;
    printf("%s: FAIL (ret=%ld, errno=%s%s%s)\n", name, ret, t_errname(err), want ? ", want " : "",
           want ? want : "");
}

#define CHECK(name, cond)                                                                          \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int t_ok_ = !!(cond);                                                                      \
        int t_e_ = errno;                                                                          \
        t_result((name), t_ok_, t_ok_, t_e_, NULL);                                                \
    } while (0)

#define CHECK_OK(name, call)                                                                       \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long t_r_ = (long)(call);                                                                  \
        int t_e_ = errno;                                                                          \
        t_result((name), t_r_ != -1, t_r_, t_e_, "success");                                       \
    } while (0)

#define CHECK_EQ(name, call, want)                                                                 \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long t_r_ = (long)(call);                                                                  \
        int t_e_ = errno;                                                                          \
        long t_w_ = (long)(want);                                                                  \
        char t_wb_[32];                                                                            \
        snprintf(t_wb_, sizeof(t_wb_), "%ld", t_w_);                                               \
        t_result((name), t_r_ == t_w_, t_r_, t_e_, t_wb_);                                         \
    } while (0)

#define CHECK_ERR(name, call, err)                                                                 \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long t_r_ = (long)(call);                                                                  \
        int t_e_ = errno;                                                                          \
        t_result((name), t_r_ == -1 && t_e_ == (err), t_r_, t_e_, #err);                           \
    } while (0)

/* Ends a program: exit status 1 if any check failed. */
static inline int t_done(void)
{
    fflush(stdout);
    return t_fails ? 1 : 0;
}

/* Creates (or truncates) path holding the string s. Returns 0 or -1. */
static inline int t_write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(s);
    int ok = write(fd, s, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

/* Reads up to n-1 bytes of path into buf, NUL-terminated. Returns the byte count or -1. */
static inline long t_read_file(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long got = 0;
    while ((size_t)got < n - 1) {
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r <= 0)
            break;
        got += r;
    }
    buf[got] = 0;
    close(fd);
    return got;
}

/* The file size of path, or -1. */
static inline long t_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Microseconds on the monotonic clock (for "took at least N ms" checks only). */
#include <time.h>
static inline long long t_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}


/* Child processes: waitpid that retries on EINTR (the status, or -1 with errno kept), and the
 * two questions every test asks of a status. */
static inline int reap(pid_t pid)
{
    int st;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    return r == pid ? st : -1;
}

static inline int exited_with(int st, int code)
{
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

static inline int killed_by(int st, int sig)
{
    return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

#endif
