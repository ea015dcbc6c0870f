// Time and randomness: clock_gettime (monotonic never goes back), clock_getres, nanosleep
// and clock_nanosleep (relative and absolute; sleeps at least as long as asked),
// gettimeofday vs time, getrandom, and error paths. Both the libc wrappers (which may use the
// vDSO) and raw syscalls are checked.
#include "t.h"
#include <sys/time.h>
#include <time.h>

static long long ts_ns(struct timespec t)
{
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long mono_ns_raw(void)
{
    struct timespec t;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
    return ts_ns(t);
}

int main(void)
{
    struct timespec a, b;

    /* --- clock_gettime --- */
    CHECK_EQ("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &a), 0);
    int backwards = 0;
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (ts_ns(b) < ts_ns(a))
            backwards++;
        a = b;
    }
    CHECK_EQ("monotonic never goes back (libc)", backwards, 0);
    long long prev = mono_ns_raw();
    backwards = 0;
    for (int i = 0; i < 100; i++) {
        long long now = mono_ns_raw();
        if (now < prev)
            backwards++;
        prev = now;
    }
    CHECK_EQ("monotonic never goes back (raw)", backwards, 0);
    CHECK("libc and raw monotonic agree", (clock_gettime(CLOCK_MONOTONIC, &a), 1) &&
                                              mono_ns_raw() - ts_ns(a) >= 0 &&
                                              mono_ns_raw() - ts_ns(a) < 1000000000LL);
    CHECK_EQ("clock_gettime REALTIME", clock_gettime(CLOCK_REALTIME, &a), 0);
    CHECK("realtime after 2020", a.tv_sec > 1577836800);
    CHECK("realtime nsec in range", a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
    CHECK_EQ("clock_gettime BOOTTIME", clock_gettime(CLOCK_BOOTTIME, &a), 0);
    CHECK_EQ("clock_gettime MONOTONIC_RAW", clock_gettime(CLOCK_MONOTONIC_RAW, &a), 0);
    CHECK_EQ("clock_gettime MONOTONIC_COARSE", clock_gettime(CLOCK_MONOTONIC_COARSE, &a), 0);
    CHECK_EQ("clock_gettime REALTIME_COARSE", clock_gettime(CLOCK_REALTIME_COARSE, &a), 0);
    CHECK_EQ("clock_gettime PROCESS_CPUTIME", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a), 0);
    CHECK_EQ("clock_gettime THREAD_CPUTIME", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a), 0);
    /* burn some CPU: process CPU time advances */
    volatile unsigned long spin = 0;
    for (unsigned long i = 0; i < 20000000UL; i++)
        spin += i;
    CHECK("process CPU time advances",
          clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b) == 0 && ts_ns(b) > ts_ns(a));
    CHECK_ERR("clock_gettime bad clock", syscall(SYS_clock_gettime, 12345, &a), EINVAL);
    CHECK_ERR("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BADPTR),
              EFAULT);

    /* --- clock_getres --- */
    CHECK_EQ("clock_getres MONOTONIC", clock_getres(CLOCK_MONOTONIC, &a), 0);
    CHECK("resolution in (0, 1ms]", a.tv_sec == 0 && a.tv_nsec > 0 && a.tv_nsec <= 1000000);
    CHECK_EQ("clock_getres REALTIME", clock_getres(CLOCK_REALTIME, &a), 0);
    CHECK_EQ("clock_getres NULL", clock_getres(CLOCK_MONOTONIC, NULL), 0);
    CHECK_ERR("clock_getres bad clock", syscall(SYS_clock_getres, 12345, &a), EINVAL);

    /* --- nanosleep --- */
    long long t0 = t_now_us();
    struct timespec ten_ms = {0, 10000000}, rem = {0, 0};
    CHECK_EQ("nanosleep 10ms", nanosleep(&ten_ms, &rem), 0);
    CHECK("slept >= 10ms", t_now_us() - t0 >= 10000);
    struct timespec zero = {0, 0};
    CHECK_EQ("nanosleep 0", nanosleep(&zero, NULL), 0);
    struct timespec bad_ns = {0, 1000000000};
    CHECK_ERR("nanosleep nsec too big", nanosleep(&bad_ns, NULL), EINVAL);
    struct timespec neg = {-1, 0};
    CHECK_ERR("nanosleep negative", nanosleep(&neg, NULL), EINVAL);
    CHECK_ERR("nanosleep bad pointer", syscall(SYS_nanosleep, BADPTR, NULL), EFAULT);

    /* --- clock_nanosleep (returns the error number instead of setting errno) --- */
    t0 = t_now_us();
    CHECK_EQ("clock_nanosleep relative", clock_nanosleep(CLOCK_MONOTONIC, 0, &ten_ms, NULL), 0);
    CHECK("relative slept >= 10ms", t_now_us() - t0 >= 10000);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += 10000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    CHECK_EQ("clock_nanosleep TIMER_ABSTIME",
             clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL), 0);
    CHECK("absolute deadline reached",
          clock_gettime(CLOCK_MONOTONIC, &a) == 0 && ts_ns(a) >= ts_ns(deadline));
    struct timespec past = {0, 1};
    CHECK_EQ("clock_nanosleep past deadline",
             clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
    CHECK_EQ("clock_nanosleep REALTIME", clock_nanosleep(CLOCK_REALTIME, 0, &ten_ms, NULL), 0);
    CHECK_EQ("clock_nanosleep bad nsec", clock_nanosleep(CLOCK_MONOTONIC, 0, &bad_ns, NULL),
             EINVAL);
    CHECK_ERR("clock_nanosleep bad clock (raw)",
              syscall(SYS_clock_nanosleep, 12345, 0, &ten_ms, NULL), EINVAL);

    /* --- gettimeofday / time --- */
    struct timeval tv;
    CHECK_EQ("gettimeofday", gettimeofday(&tv, NULL), 0);
    time_t now = time(NULL);
    /* time() may read the coarse clock, which lags the precise one by up to a tick */
    CHECK("time close to gettimeofday", now - tv.tv_sec >= -1 && now - tv.tv_sec <= 1);
    CHECK("usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    time_t tt = 0;
    CHECK("time stores result", time(&tt) == tt && tt >= now);
    CHECK("raw time", syscall(SYS_time, NULL) >= now - 1);
    CHECK("clock_gettime REALTIME close to time",
          clock_gettime(CLOCK_REALTIME, &a) == 0 && a.tv_sec - now >= 0 && a.tv_sec - now <= 1);
    CHECK_ERR("gettimeofday bad pointer", syscall(SYS_gettimeofday, BADPTR, NULL), EFAULT);

    /* --- getrandom --- */
    unsigned char r1[32], r2[32], zero32[32] = {0};
    memset(r1, 0, sizeof(r1));
    memset(r2, 0, sizeof(r2));
    CHECK_EQ("getrandom 32", syscall(SYS_getrandom, r1, 32, 0), 32);
    CHECK("random not all zero", memcmp(r1, zero32, 32) != 0);
    CHECK_EQ("getrandom again", syscall(SYS_getrandom, r2, 32, 0), 32);
    CHECK("two calls differ", memcmp(r1, r2, 32) != 0);
    CHECK_EQ("getrandom GRND_NONBLOCK", syscall(SYS_getrandom, r1, 32, 1), 32);
    CHECK_EQ("getrandom GRND_RANDOM", syscall(SYS_getrandom, r1, 16, 2), 16);
    CHECK_EQ("getrandom 0 bytes", syscall(SYS_getrandom, r1, 0, 0), 0);
    CHECK_ERR("getrandom bad flags", syscall(SYS_getrandom, r1, 32, 0x100), EINVAL);
    CHECK_ERR("getrandom bad pointer", syscall(SYS_getrandom, BADPTR, 32, 0), EFAULT);

    return t_done();
}
