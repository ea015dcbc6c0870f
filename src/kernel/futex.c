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

/* A waiter and a waker meet on the same address if they are in the same process, or if
 * either used a shared operation (no FUTEX_PRIVATE_FLAG: a process-shared mutex or semaphore,
 * whose address names the same word in every process that inherited the mapping across fork,
 * the way such objects are made). As in Linux, private and shared operations of one process on
 * one word meet. */
static u64 futex_key(uptr addr, bool shared)
{
    (void)shared;
    return (u64)addr;
}

static bool meets(const struct waiter *w, u64 key, bool shared)
{
    return w->key == key && (w->shared || shared || w->pid == current()->proc->pid);
}

int futex_wait(uptr addr, u32 val, u32 bitset, i64 timeout_ns, bool shared)
{
    struct thread *t = current();
    u64 key = futex_key(addr, shared);
    struct waitq *q = bucket(key);
    struct waiter *wp = &t->waiter;
    wp->key = key;
    wp->bitset = bitset;
    wp->pid = t->proc->pid;
    wp->shared = shared;
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
            waitq_del(wp->queue, wp); /* a requeue may have moved it */
            /* A wake that raced the timeout or signal still counts as a wake. */
            return wp->woken ? 0 : (r == -EINTR ? -EINTR : -ETIMEDOUT);
        }
        seq = wait_seq(t); /* spurious: sleep again */
        if (__atomic_load_n(&wp->woken, __ATOMIC_ACQUIRE))
            return 0;
    }
}

int futex_wake(uptr addr, u32 bitset, int n, bool shared)
{
    u64 key = futex_key(addr, shared);
    struct waitq *q = bucket(key);
    int woken = 0;
    spin_lock(&q->lock);
    q->gen++;
    struct list *pos = q->waiters.next;
    while (pos != &q->waiters && woken < n) {
        struct list *next = pos->next;
        struct waiter *w = container_of(pos, struct waiter, link);
        if (meets(w, key, shared) && (w->bitset & bitset)) {
            list_del(&w->link);
            __atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
            thread_kick(w->t);
            woken++;
        }
        pos = next;
    }
    spin_unlock(&q->lock);
    return woken;
}

/* Wakes up to nwake waiters on addr and moves up to nmove others to addr2 (their key changes,
 * and their queue if the bucket differs). With check, first compares *addr with val (EAGAIN).
 * Both buckets are locked in a fixed order, so a wake or wait cannot slip between. */
int futex_requeue(uptr addr, uptr addr2, int nwake, int nmove, bool check, u32 val, bool shared)
{
    u64 k1 = futex_key(addr, shared), k2 = futex_key(addr2, shared);
    struct waitq *q1 = bucket(k1), *q2 = bucket(k2);
    struct waitq *first = q1 < q2 ? q1 : q2, *second = q1 < q2 ? q2 : q1;
    spin_lock(&first->lock);
    if (second != first)
        spin_lock(&second->lock);
    int r = 0;
    if (check) {
        u32 cur;
        if (copy_from_guest(&cur, addr, 4))
            r = -EFAULT;
        else if (cur != val)
            r = -EAGAIN;
    }
    if (!r) {
        q1->gen++;
        struct list *pos = q1->waiters.next;
        while (pos != &q1->waiters) {
            struct list *next = pos->next;
            struct waiter *w = container_of(pos, struct waiter, link);
            if (meets(w, k1, shared)) {
                if (nwake > 0) {
                    list_del(&w->link);
                    __atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
                    thread_kick(w->t);
                    nwake--;
                    r++;
                } else if (nmove > 0) {
                    w->key = k2;
                    if (q2 != q1) {
                        list_del(&w->link);
                        list_add_tail(&q2->waiters, &w->link);
                        w->queue = q2;
                    }
                    nmove--;
                    r++;
                }
            }
            pos = next;
        }
    }
    if (second != first)
        spin_unlock(&second->lock);
    spin_unlock(&first->lock);
    return r;
}
