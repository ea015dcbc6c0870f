// futex operations on their own: WAIT with a stale value (EAGAIN) and a timeout (ETIMEDOUT),
// WAKE with no waiter, CMP_REQUEUE with a stale value (EAGAIN), WAKE_OP's arithmetic, and
// hostile arguments: a misaligned word (EINVAL), an unmapped one and a read-only one (EFAULT,
// also for WAKE_OP, which writes).
#include "t.h"
#include <sys/mman.h>

/* From linux/futex.h (musl's toolchain has no kernel headers). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_CMP_REQUEUE_PRIVATE 132
#define FUTEX_WAKE_OP_PRIVATE 133
#define FUTEX_OP_ADD 1
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                           \
    ((((op)&0xf) << 28) | (((cmp)&0xf) << 24) | (((oparg)&0xfff) << 12) | ((cmparg)&0xfff))

static long fx(void *a, int op, unsigned v, const void *ts, void *a2, unsigned v3)
{
    return syscall(SYS_futex, a, op, v, ts, a2, v3);
}

int main(void)
{
    unsigned w = 5, w2 = 10;
    struct timespec ts = {0, 20000000};
    CHECK_ERR("WAIT with a stale value: EAGAIN", fx(&w, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0),
              EAGAIN);
    long t0 = t_now_us();
    CHECK_ERR("WAIT times out: ETIMEDOUT", fx(&w, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0), ETIMEDOUT);
    CHECK("  after >= 20 ms", t_now_us() - t0 >= 19000);
    CHECK_EQ("WAKE with no waiter wakes 0", fx(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
    CHECK_ERR("CMP_REQUEUE with a stale value: EAGAIN",
              fx(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &w2, 6), EAGAIN);
    CHECK_EQ("CMP_REQUEUE with no waiters", fx(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &w2, 5),
             0);
    /* WAKE_OP: w2 += 3 (old 10), then wake on w, and on w2 if old > 5. */
    unsigned enc = FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 5);
    CHECK_EQ("WAKE_OP", fx(&w, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &w2, enc), 0);
    CHECK_EQ("  w2 became 13", (long)w2, 13);
    CHECK_ERR("misaligned word: EINVAL",
              fx((char *)&w + 1, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERR("unmapped word: EFAULT", fx((void *)8, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0),
              EFAULT);
    unsigned *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_ERR("WAKE_OP on a read-only word: EFAULT",
              fx(&w, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, ro, enc), EFAULT);
    CHECK_EQ("  the read-only word is unchanged", (long)ro[0], 0);
    CHECK_ERR("WAIT on a read-only word with a stale value: EAGAIN",
              fx(ro, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0), EAGAIN);
    return t_done();
}
