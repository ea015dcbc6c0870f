/* sys_futex.c: the futex syscall: decoding of operations and timeouts for the core's futexes
 * (kernel/futex.c). */
#include "linux.h"
#include "../kernel/futex.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define NSEC 1000000000L

/* A timeout in ns from now (< 0: none), from a relative or an absolute guest timespec. */
static long timeout_ns(uptr uts, bool absolute, bool realtime, i64 *ns)
{
    *ns = -1;
    if (!uts)
        return 0;
    struct linux_timespec ts;
    if (copy_from_guest(&ts, uts, sizeof(ts)))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC)
        return -EINVAL;
    i64 t = ts.tv_sec * NSEC + ts.tv_nsec;
    if (absolute) {
        i64 s;
        long n;
        plat_clock_get(realtime ? 0 : 1, &s, &n);
        t -= s * NSEC + n;
        if (t <= 0)
            return -ETIMEDOUT;
    }
    *ns = t;
    return 0;
}

long sys_futex(uptr uaddr, int op, u32 val, uptr utime, uptr uaddr2, u32 val3)
{
    (void)uaddr2;
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if (uaddr & 3)
        return -EINVAL;
    if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
        return -ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        if (cmd == FUTEX_WAIT_BITSET && !val3)
            return -EINVAL;
        i64 ns;
        long err = timeout_ns(utime, cmd == FUTEX_WAIT_BITSET, op & FUTEX_CLOCK_REALTIME, &ns);
        if (err)
            return err;
        int r = futex_wait(uaddr, val, cmd == FUTEX_WAIT ? FUTEX_BITSET_ANY : val3, ns);
        /* A relative wait restarts after a handler; an absolute one (BITSET) too, since its
         * deadline does not move. */
        return r == -EINTR ? -ERESTARTSYS : r;
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        if (cmd == FUTEX_WAKE_BITSET && !val3)
            return -EINVAL;
        return futex_wake(uaddr, cmd == FUTEX_WAKE ? FUTEX_BITSET_ANY : val3,
                          (int)MIN(val, (u32)0x7fffffff));
    }
    return -ENOSYS;
}
