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

/* FUTEX_WAKE_OP: *uaddr2 = *uaddr2 OP oparg, then wake up to n on uaddr, and up to n2 on
 * uaddr2 if the old value met the comparison. The read-modify-write is atomic on the word. */
static long futex_wake_op(uptr uaddr, uptr uaddr2, int n, int n2, u32 enc, bool shared)
{
    int op = (enc >> 28) & 7, cmp = (enc >> 24) & 15;
    i32 oparg = (i32)((enc >> 12) & 0xfff), cmparg = (i32)(enc & 0xfff);
    if ((enc >> 31) & 1) /* FUTEX_OP_OPARG_SHIFT */
        oparg = 1 << (oparg & 31);
    oparg = (oparg << 20) >> 20; /* sign-extend the 12-bit fields */
    cmparg = (cmparg << 20) >> 20;
    if (uaddr2 & 3)
        return -EINVAL;
    u32 old;
    if (copy_from_guest(&old, uaddr2, 4))
        return -EFAULT;
    for (;;) {
        u32 nv;
        switch (op) {
        case 0: nv = (u32)oparg; break;
        case 1: nv = old + (u32)oparg; break;
        case 2: nv = old | (u32)oparg; break;
        case 3: nv = old & ~(u32)oparg; break;
        case 4: nv = old ^ (u32)oparg; break;
        default: return -ENOSYS;
        }
        int r = cas_guest_u32(uaddr2, &old, nv); /* a read-only page: EFAULT, not a crash */
        if (r < 0)
            return r;
        if (r == 0)
            break;
    }
    bool hit;
    switch (cmp) {
    case 0: hit = (i32)old == cmparg; break;
    case 1: hit = (i32)old != cmparg; break;
    case 2: hit = (i32)old < cmparg; break;
    case 3: hit = (i32)old <= cmparg; break;
    case 4: hit = (i32)old > cmparg; break;
    case 5: hit = (i32)old >= cmparg; break;
    default: return -ENOSYS;
    }
    long r = futex_wake(uaddr, FUTEX_BITSET_ANY, n, shared);
    if (hit)
        r += futex_wake(uaddr2, FUTEX_BITSET_ANY, n2, shared);
    return r;
}

long sys_futex(uptr uaddr, int op, u32 val, uptr utime, uptr uaddr2, u32 val3)
{
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    bool shared = !(op & FUTEX_PRIVATE_FLAG);
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
        int r = futex_wait(uaddr, val, cmd == FUTEX_WAIT ? FUTEX_BITSET_ANY : val3, ns, shared);
        /* A relative wait restarts after a handler; an absolute one (BITSET) too, since its
         * deadline does not move. */
        return r == -EINTR ? -ERESTARTSYS : r;
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        if (cmd == FUTEX_WAKE_BITSET && !val3)
            return -EINVAL;
        return futex_wake(uaddr, cmd == FUTEX_WAKE ? FUTEX_BITSET_ANY : val3,
                          (int)MIN(val, (u32)0x7fffffff), shared);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        if (uaddr2 & 3)
            return -EINVAL;
        /* The timeout argument carries the number to move (val2). */
        return futex_requeue(uaddr, uaddr2, (int)MIN(val, (u32)0x7fffffff),
                             (int)MIN((u64)utime, (u64)0x7fffffff), cmd == FUTEX_CMP_REQUEUE,
                             val3, shared);
    case FUTEX_WAKE_OP:
        return futex_wake_op(uaddr, uaddr2, (int)MIN(val, (u32)0x7fffffff),
                             (int)MIN((u64)utime, (u64)0x7fffffff), val3, shared);
    }
    return -ENOSYS;
}

/* ---- robust futexes ---- */

#define FUTEX_WAITERS 0x80000000U
#define FUTEX_OWNER_DIED 0x40000000U
#define FUTEX_TID_MASK 0x3fffffffU
#define ROBUST_LIST_LIMIT 2048 /* Linux's bound on the walk */

/* One held lock of a dying thread: marked OWNER_DIED (keeping WAITERS) and one waiter woken,
 * so the next locker learns the owner died (EOWNERDEAD from pthread_mutex_lock). */
static void robust_release(uptr word, i32 tid)
{
    u32 old;
    if ((word & 3) || copy_from_guest(&old, word, 4))
        return;
    for (;;) {
        if ((old & FUTEX_TID_MASK) != (u32)tid)
            return;
        u32 nv = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        int r = cas_guest_u32(word, &old, nv);
        if (r < 0)
            return;
        if (r == 0)
            break;
    }
    if (old & FUTEX_WAITERS)
        futex_wake(word, FUTEX_BITSET_ANY, 1, true);
}

/* Walks the robust list a thread registered with set_robust_list, as the kernel does when the
 * thread ends. Every read is a checked guest copy; a bad list just ends the walk. */
void robust_list_exit(struct thread *t)
{
    struct {
        uptr list;
        long futex_offset;
        uptr pending;
    } head;
    if (!t->robust_list || copy_from_guest(&head, t->robust_list, sizeof(head)))
        return;
    uptr entry = head.list;
    for (int i = 0; entry != t->robust_list && i < ROBUST_LIST_LIMIT; i++) {
        uptr next;
        if (copy_from_guest(&next, entry, sizeof(next)))
            return;
        if (entry != head.pending)
            robust_release(entry + (uptr)head.futex_offset, t->tid);
        entry = next;
    }
    if (head.pending)
        robust_release(head.pending + (uptr)head.futex_offset, t->tid);
}
