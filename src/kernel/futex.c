/* futex.c: futex wait and wake on guest memory. Waiters hang on one of a fixed set of wait
 * queues chosen by address; the word is compared under the queue's lock, so a wake that
 * changes the word first can never slip between the compare and the sleep. */
#include "futex.h"
#include "wait.h"
#include "../platform/platform.h"

#define FUTEX_BUCKETS 64

/* In the shared arena (made before the first fork), so that every process sees one table. */
static struct waitq *buckets;

static struct waitq *bucket(u64 key)
{
    if (!buckets) {
        buckets = kzalloc(FUTEX_BUCKETS * sizeof(*buckets));
        if (!buckets)
            panic("no memory for the futex table");
        for (int i = 0; i < FUTEX_BUCKETS; i++)
            waitq_init(&buckets[i]);
    }
    return &buckets[(key >> 2) % FUTEX_BUCKETS];
}

void futex_init(void)
{
    bucket(0);
}

/* Futex words are told apart by process and address: processes have separate address spaces,
 * so one address means different words in two of them. (Futexes on memory shared between
 * processes would key on the shared object instead; no guest memory is shared so far.) */
static u64 futex_key(uptr addr)
{
    return (u64)addr ^ ((u64)(u32)current()->proc->pid << 47);
}

int futex_wait(uptr addr, u32 val, u32 bitset, i64 timeout_ns)
{
    struct thread *t = current();
    u64 key = futex_key(addr);
    struct waitq *q = bucket(key);
    struct waiter *wp = &t->waiter;
    wp->key = key;
    wp->bitset = bitset;
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
    waitq_add(q, wp, t);
    spin_unlock(&q->lock);
    for (;;) {
        int r = wait_sleep(t, seq, timeout_ns);
        if (__atomic_load_n(&wp->woken, __ATOMIC_ACQUIRE))
            return 0;
        if (r) {
            waitq_del(q, wp);
            /* A wake that raced the timeout or signal still counts as a wake. */
            return wp->woken ? 0 : (r == -EINTR ? -EINTR : -ETIMEDOUT);
        }
        seq = wait_seq(t); /* spurious: sleep again */
        if (__atomic_load_n(&wp->woken, __ATOMIC_ACQUIRE))
            return 0;
    }
}

int futex_wake(uptr addr, u32 bitset, int n)
{
    u64 key = futex_key(addr);
    return waitq_wake_key(bucket(key), key, bitset, n);
}
