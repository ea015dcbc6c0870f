/* sys_time.c: clocks, sleeping and randomness. */
#include "linux.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1
#define NSEC 1000000000L

/* Clocks the host serves directly; the CPU-time clocks are the sandbox's own. */
static bool clock_valid(int c)
{
    return c >= 0 && c <= CLOCK_TAI && c != 10;
}

static int clock_now(int c, struct linux_timespec *ts)
{
    if (c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID) {
        /* The time since the process started: an upper bound on its CPU time. */
        i64 s;
        long ns;
        int err = plat_clock_get(CLOCK_MONOTONIC, &s, &ns);
        i64 t = s * NSEC + ns - current()->proc->start_ns;
        ts->tv_sec = t / NSEC;
        ts->tv_nsec = t % NSEC;
        return err;
    }
    if (c == CLOCK_REALTIME_ALARM || c == CLOCK_BOOTTIME_ALARM)
        c = c == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : CLOCK_BOOTTIME;
    i64 s;
    long ns;
    int err = plat_clock_get(c, &s, &ns);
    ts->tv_sec = s;
    ts->tv_nsec = ns;
    return err;
}

long sys_clock_gettime(int c, uptr tp)
{
    if (!clock_valid(c))
        return -EINVAL;
    struct linux_timespec ts;
    int err = clock_now(c, &ts);
    if (err)
        return err;
    return copy_to_guest(tp, &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_clock_getres(int c, uptr tp)
{
    if (!clock_valid(c))
        return -EINVAL;
    if (!tp)
        return 0;
    i64 s;
    long ns;
    int err = plat_clock_res(c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID
                                 ? CLOCK_MONOTONIC
                                 : c,
                             &s, &ns);
    if (err)
        return err;
    struct linux_timespec ts = {s, ns};
    return copy_to_guest(tp, &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_gettimeofday(uptr tv, uptr tz)
{
    struct linux_timespec ts;
    int err = clock_now(CLOCK_REALTIME, &ts);
    if (err)
        return err;
    if (tv) {
        struct linux_timeval t = {ts.tv_sec, ts.tv_nsec / 1000};
        if (copy_to_guest(tv, &t, sizeof(t)))
            return -EFAULT;
    }
    if (tz) {
        int z[2] = {0, 0};
        if (copy_to_guest(tz, z, sizeof(z)))
            return -EFAULT;
    }
    return 0;
}

long sys_time(uptr tloc)
{
    struct linux_timespec ts;
    clock_now(CLOCK_REALTIME, &ts);
    if (tloc && copy_to_guest(tloc, &ts.tv_sec, 8))
        return -EFAULT;
    return ts.tv_sec;
}

/* Sleeps; on interruption writes the time left to rem (relative sleeps only). */
static long do_sleep(int c, int flags, uptr req, uptr rem)
{
    struct linux_timespec ts;
    if (copy_from_guest(&ts, req, sizeof(ts)))
        return -EFAULT;
    if (ts.tv_nsec < 0 || ts.tv_nsec >= NSEC || ts.tv_sec < 0)
        return -EINVAL;
    bool abs = flags & TIMER_ABSTIME;
    struct linux_timespec start;
    clock_now(CLOCK_MONOTONIC, &start);
    int err = plat_sleep(abs ? c : CLOCK_MONOTONIC, abs, ts.tv_sec, ts.tv_nsec);
    if (err != -EINTR)
        return err;
    if (!abs && rem) {
        struct linux_timespec now;
        clock_now(CLOCK_MONOTONIC, &now);
        i64 left = (ts.tv_sec - (now.tv_sec - start.tv_sec)) * NSEC +
                   (ts.tv_nsec - (now.tv_nsec - start.tv_nsec));
        if (left < 0)
            left = 0;
        struct linux_timespec r = {left / NSEC, left % NSEC};
        if (copy_to_guest(rem, &r, sizeof(r)))
            return -EFAULT;
    }
    return -EINTR; /* never restarted: the caller must see it and use rem */
}

long sys_nanosleep(uptr req, uptr rem)
{
    return do_sleep(CLOCK_MONOTONIC, 0, req, rem);
}

long sys_clock_nanosleep(int c, int flags, uptr req, uptr rem)
{
    if (!clock_valid(c) || c == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    if (c == CLOCK_PROCESS_CPUTIME_ID)
        return -EINVAL;
    if (flags & ~TIMER_ABSTIME)
        return -EINVAL;
    return do_sleep(c, flags, req, rem);
}

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

long sys_getrandom(uptr buf, size_t n, unsigned flags)
{
    if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
        return -EINVAL;
    u8 tmp[256];
    size_t done = 0;
    if (n > 33554431)
        n = 33554431; /* Linux caps one call at 32 MiB - 1 */
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof(tmp));
        long r = plat_random(tmp, chunk);
        if (r <= 0)
            return done ? (long)done : (r ? r : -EIO);
        if (copy_to_guest(buf + done, tmp, (size_t)r))
            return done ? (long)done : -EFAULT;
        done += (size_t)r;
    }
    return (long)done;
}
