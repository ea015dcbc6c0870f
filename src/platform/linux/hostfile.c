/* hostfile.c: host files beneath the declared trees, and the host's standard streams. Every
 * path handed to the host is resolved by openat2 strictly beneath a directory handle without
 * following any symlink, so a name from the guest can never leave its tree; Landlock
 * (landlock.c) bounds the process to the same trees even if this code were subverted. */
#include "host.h"

void stat_from_host(struct plat_stat *o, const struct h_stat *s)
{
    o->dev = s->dev;
    o->ino = s->ino;
    o->nlink = s->nlink;
    o->size = (u64)s->size;
    o->blocks = (u64)s->blocks;
    o->rdev = s->rdev;
    o->mode = s->mode;
    o->uid = s->uid;
    o->gid = s->gid;
    o->blksize = (u32)s->blksize;
    o->atime_sec = (i64)s->atime;
    o->mtime_sec = (i64)s->mtime;
    o->ctime_sec = (i64)s->ctime;
    o->atime_nsec = (u32)s->atime_nsec;
    o->mtime_nsec = (u32)s->mtime_nsec;
    o->ctime_nsec = (u32)s->ctime_nsec;
}

int plat_tree_open(const char *host_path)
{
    return (int)hsys4(HNR_openat, H_AT_FDCWD, (long)host_path, H_O_PATH | H_O_CLOEXEC, 0);
}

int plat_file_open(int dir, const char *name, int flags, int mode)
{
    struct h_open_how how = {
        .flags = (u64)(flags | H_O_CLOEXEC | H_O_NOFOLLOW),
        .mode = (flags & (0100 | 020000000)) ? (u64)mode : 0, /* O_CREAT, O_TMPFILE */
        .resolve = H_RESOLVE_BENEATH | H_RESOLVE_NO_SYMLINKS | H_RESOLVE_NO_MAGICLINKS,
    };
    return (int)hsys4(HNR_openat2, dir, (long)name, (long)&how, sizeof(how));
}

int plat_file_close(int hf)
{
    return (int)hsys1(HNR_close, hf);
}

int plat_file_stat(int hf, struct plat_stat *st)
{
    struct h_stat s;
    int r = (int)hsys2(HNR_fstat, hf, (long)&s);
    if (!r)
        stat_from_host(st, &s);
    return r;
}

long plat_file_read(int hf, void *buf, size_t n, i64 off)
{
    if (off < 0)
        return hsys3(HNR_read, hf, (long)buf, (long)n);
    return hsys4(HNR_pread64, hf, (long)buf, (long)n, off);
}

long plat_file_write(int hf, const void *buf, size_t n, i64 off)
{
    if (off < 0)
        return hsys3(HNR_write, hf, (long)buf, (long)n);
    return hsys4(HNR_pwrite64, hf, (long)buf, (long)n, off);
}

long plat_file_getdents(int hf, void *buf, size_t n)
{
    return hsys3(HNR_getdents64, hf, (long)buf, (long)n);
}

i64 plat_file_seek(int hf, i64 off, int whence)
{
    return hsys3(HNR_lseek, hf, off, whence);
}

int plat_file_truncate(int hf, u64 len)
{
    return (int)hsys2(HNR_ftruncate, hf, (long)len);
}

int plat_file_sync(int hf, bool data_only)
{
    return (int)hsys1(data_only ? HNR_fdatasync : HNR_fsync, hf);
}

long plat_file_readlink(int dir, const char *name, char *buf, size_t n)
{
    return hsys4(HNR_readlinkat, dir, (long)name, (long)buf, (long)n);
}

/* Names passed to the *at calls below are single components (the core checks), so the host
 * resolves nothing but that one name inside the directory handle. */
int plat_file_mkdir(int dir, const char *name, int mode)
{
    return (int)hsys3(HNR_mkdirat, dir, (long)name, mode);
}

int plat_file_unlink(int dir, const char *name, bool is_dir)
{
    return (int)hsys3(HNR_unlinkat, dir, (long)name, is_dir ? H_AT_REMOVEDIR : 0);
}

int plat_file_symlink(int dir, const char *name, const char *target)
{
    return (int)hsys3(HNR_symlinkat, (long)target, dir, (long)name);
}

int plat_file_link(int olddir, const char *oldname, int newdir, const char *newname)
{
    return (int)hsys5(HNR_linkat, olddir, (long)oldname, newdir, (long)newname, 0);
}

int plat_file_rename(int olddir, const char *oldname, int newdir, const char *newname,
                     unsigned flags)
{
    return (int)hsys5(HNR_renameat2, olddir, (long)oldname, newdir, (long)newname, flags);
}

int plat_file_chmod(int hf, int mode)
{
    /* fchmod refuses O_PATH handles; fchmodat2 (Linux 6.6) takes them with AT_EMPTY_PATH. */
    return (int)hsys4(HNR_fchmodat2, hf, (long)"", mode, H_AT_EMPTY_PATH);
}

int plat_file_chown(int hf, u32 uid, u32 gid)
{
    return (int)hsys5(HNR_fchownat, hf, (long)"", uid, gid, H_AT_EMPTY_PATH);
}

int plat_file_utimes(int hf, const i64 sec[2], const long nsec[2])
{
    struct h_timespec ts[2] = {{sec[0], nsec[0]}, {sec[1], nsec[1]}};
    /* AT_EMPTY_PATH (Linux 5.8) works on O_PATH handles, where a NULL path does not. */
    return (int)hsys4(HNR_utimensat, hf, (long)"", (long)ts, H_AT_EMPTY_PATH);
}

int plat_file_statfs(int hf, void *buf)
{
    return (int)hsys2(HNR_fstatfs, hf, (long)buf);
}

/* ---- standard streams ---- */

static int log_fd = 2;

void plat_log_write(const char *buf, size_t n)
{
    while (n) {
        long r = hsys3(HNR_write, log_fd, (long)buf, (long)n);
        if (r <= 0)
            return;
        buf += r;
        n -= (size_t)r;
    }
}

int plat_log_open(const char *host_path)
{
    long fd = hsys4(HNR_openat, H_AT_FDCWD, (long)host_path,
                    1 | 0100 | 01000 | H_O_CLOEXEC /* O_WRONLY|O_CREAT|O_TRUNC */, 0644);
    if (fd < 0)
        return (int)fd;
    log_fd = (int)fd;
    return 0;
}

long plat_stdio_read(int which, void *buf, size_t n)
{
    /* Wait with the guest's signals deliverable, so Ctrl-C interrupts a blocked read. */
    short ev[3] = {0};
    ev[which] = 1; /* POLLIN */
    int r = plat_stdio_poll(ev, -1);
    if (r < 0)
        return r;
    return hsys3(HNR_read, which, (long)buf, (long)n);
}

long plat_stdio_write(int which, const void *buf, size_t n)
{
    return hsys3(HNR_write, which, (long)buf, (long)n);
}

int plat_stdio_ioctl(int which, unsigned long request, void *arg)
{
    return (int)hsys3(HNR_ioctl, which, (long)request, (long)arg);
}

int plat_stdio_stat(int which, struct plat_stat *st)
{
    return plat_file_stat(which, st);
}

struct h_pollfd {
    int fd;
    short events, revents;
};

/* ppoll with the forwarded signals unblocked for the duration of the wait: the atomic unblock
 * is what makes a host signal interrupt the wait instead of slipping in just before it. */
static long wait_interruptible(struct h_pollfd *fds, int n, i64 timeout_ns)
{
    struct h_timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
    u64 mask = 0; /* nothing blocked while waiting; the handlers queue and return */
    return hsys5(HNR_ppoll, (long)fds, n, timeout_ns < 0 ? 0 : (long)&ts, (long)&mask, 8);
}

int plat_stdio_poll(short events[3], i64 timeout_ns)
{
    struct h_pollfd fds[3];
    int n = 0, idx[3];
    for (int i = 0; i < 3; i++)
        if (events[i]) {
            fds[n].fd = i;
            fds[n].events = events[i];
            fds[n].revents = 0;
            idx[n++] = i;
        }
    long r = wait_interruptible(fds, n, timeout_ns);
    if (r < 0)
        return (int)r;
    for (int i = 0; i < 3; i++)
        events[i] = 0;
    for (int i = 0; i < n; i++)
        events[idx[i]] = fds[i].revents;
    return (int)r;
}

int plat_sleep(int clock, bool absolute, i64 sec, long nsec)
{
    i64 ns = sec * 1000000000 + nsec;
    if (absolute) {
        i64 now_s;
        long now_ns;
        int r = plat_clock_get(clock, &now_s, &now_ns);
        if (r)
            return r;
        ns -= now_s * 1000000000 + now_ns;
        if (ns <= 0)
            return 0;
    }
    long r = wait_interruptible(0, 0, ns);
    return r < 0 ? (int)r : 0;
}

int plat_clock_get(int clock, i64 *sec, long *nsec)
{
    struct h_timespec ts;
    int r = (int)hsys2(HNR_clock_gettime, clock, (long)&ts);
    if (!r) {
        *sec = ts.sec;
        *nsec = ts.nsec;
    }
    return r;
}

int plat_clock_res(int clock, i64 *sec, long *nsec)
{
    struct h_timespec ts;
    int r = (int)hsys2(HNR_clock_getres, clock, (long)&ts);
    if (!r) {
        *sec = ts.sec;
        *nsec = ts.nsec;
    }
    return r;
}

long plat_random(void *buf, size_t n)
{
    return hsys3(HNR_getrandom, (long)buf, (long)n, 0);
}

/* Shared (not PRIVATE) futex operations: the word may be in the shared arena and its waiter
 * in another process. */
#define H_FUTEX_WAIT 0
#define H_FUTEX_WAKE 1

/* The forwarded signals are blocked while the library OS runs; a sleep opens them. A signal
 * that lands between the unblock and the futex call has already bumped *word (the core's
 * async entry kicks the thread), so the futex call returns at once instead of sleeping. */
int plat_wait(u32 *word, u32 expected, i64 timeout_ns)
{
    struct h_timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
    hsys4(HNR_rt_sigprocmask, H_SIG_UNBLOCK, (long)&host_async_sigs, 0, 8);
    long r = hsys4(HNR_futex, (long)word, H_FUTEX_WAIT, expected,
                   timeout_ns < 0 ? 0 : (long)&ts);
    hsys4(HNR_rt_sigprocmask, H_SIG_BLOCK, (long)&host_async_sigs, 0, 8);
    if (r == -110)
        return -110; /* ETIMEDOUT */
    return r == -4 ? -4 : 0;
}

/* Contended library-OS locks sleep here: a plain futex wait, signals staying as they are
 * (a lock is never held across a guest-visible sleep). */
void lock_sleep(volatile int *word, int val)
{
    hsys4(HNR_futex, (long)word, H_FUTEX_WAIT, val, 0);
}

void lock_wake(volatile int *word)
{
    hsys3(HNR_futex, (long)word, H_FUTEX_WAKE, 1);
}

void plat_wake(u32 *word)
{
    hsys3(HNR_futex, (long)word, H_FUTEX_WAKE, 0x7fffffff);
}

int plat_itimer_set(int which, const i64 newv[4], i64 oldv[4])
{
    i64 o[4];
    int r = (int)hsys3(HNR_setitimer, which, (long)newv, (long)o);
    if (!r && oldv)
        memcpy(oldv, o, sizeof(o));
    return r;
}

int plat_itimer_get(int which, i64 cur[4])
{
    return (int)hsys2(HNR_getitimer, which, (long)cur);
}

int plat_usage(struct plat_usage *u)
{
    i64 ru[18];
    int r = (int)hsys2(HNR_getrusage, 0 /* RUSAGE_SELF */, (long)ru);
    if (r)
        return r;
    u->user_us = ru[0] * 1000000 + ru[1];
    u->sys_us = ru[2] * 1000000 + ru[3];
    u->maxrss_kb = ru[4];
    return 0;
}
