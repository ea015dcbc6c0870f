/* futex.c: futex wait and wake on guest memory. Waiters hang on one of a fixed set of wait
 * queues chosen by address; the word is compared under the queue's lock, so a wake that
 * changes the word first can never slip between the compare and the sleep. */
#include "futex.h"
#include "wait.h"
#include "../platform/platform.h"

#define FUTEX_BUCKETS 64

static struct waitq buckets[FUTEX_BUCKETS];
static bool ready;

static struct waitq *bucket(uptr addr)
{
    if (!ready) {
        for (int i = 0; i < FUTEX_BUCKETS; i++)
            waitq_init(&buckets[i]);
        ready = true;
    }
    return &buckets[(addr >> 2) % FUTEX_BUCKETS];
}

void futex_init(void)
{
    bucket(0);
}

int futex_wait(uptr addr, u32 val, u32 bitset, i64 timeout_ns)
{
    struct thread *t = current();
    struct waitq *q = bucket(addr);
    struct waiter w = {.key = addr, .bitset = bitset};
    u32 seq = wait_seq(t);
    u32 cur;
    spin_lock(&q->lock);
    if (copy_from_guest(&cur, addr, 4)) {
        spin_unlock(&q->lock);
        return -EFAULT;
    }
    if (cur != val) {
        spin_unlock(&q->lock);
        return -EAGAIN;
    }
    waitq_add(q, &w, t);
    spin_unlock(&q->lock);
    for (;;) {
        int r = wait_sleep(t, seq, timeout_ns);
        if (__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
            return 0;
        if (r) {
            waitq_del(q, &w);
            /* A wake that raced the timeout or signal still counts as a wake. */
            return w.woken ? 0 : (r == -EINTR ? -EINTR : -ETIMEDOUT);
        }
        seq = wait_seq(t); /* spurious: sleep again */
        if (__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
            return 0;
    }
}

int futex_wake(uptr addr, u32 bitset, int n)
{
    return waitq_wake_key(bucket(addr), addr, bitset, n);
}
