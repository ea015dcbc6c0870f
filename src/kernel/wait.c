/* wait.c: wait queues and the per-thread sleep (see wait.h for the protocol). */
#include "wait.h"
#include "../platform/platform.h"

void waitq_init(struct waitq *q)
{
    q->lock.v = 0;
    list_init(&q->waiters);
}

void waitq_add(struct waitq *q, struct waiter *w, struct thread *t)
{
    w->t = t;
    w->queue = q;
    w->woken = false;
    list_add_tail(&q->waiters, &w->link);
}

void waitq_del(struct waitq *q, struct waiter *w)
{
    spin_lock(&q->lock);
    if (w->link.next)
        list_del(&w->link);
    spin_unlock(&q->lock);
}

/* The host wake is needed only when the thread sleeps; both sides use sequentially consistent
 * order, so a kicker that sees `sleeping` clear bumped the word before the sleeper's host wait
 * compares it, and that wait returns at once. */
void thread_kick(struct thread *t)
{
    __atomic_add_fetch(&t->wake_seq, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&t->sleeping, __ATOMIC_SEQ_CST))
        plat_wake(&t->wake_seq);
}

int wait_sleep(struct thread *t, u32 seq, i64 timeout_ns)
{
    if (signal_any_deliverable(t) || t->must_exit)
        return -EINTR;
    __atomic_store_n(&t->sleeping, 1, __ATOMIC_SEQ_CST);
    int r = plat_wait(&t->wake_seq, seq, timeout_ns);
    __atomic_store_n(&t->sleeping, 0, __ATOMIC_SEQ_CST);
    if (signal_any_deliverable(t) || t->must_exit)
        return -EINTR;
    return r == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

int wait_on(struct waitq *q, spinlock_t *obj_lock, u32 seq, i64 timeout_ns)
{
    struct thread *t = current();
    t->waiter.key = 0;
    spin_lock(&q->lock);
    waitq_add(q, &t->waiter, t);
    spin_unlock(&q->lock);
    spin_unlock(obj_lock);
    int r = wait_sleep(t, seq, timeout_ns);
    waitq_del(q, &t->waiter);
    return r;
}

int waitq_wake_all(struct waitq *q)
{
    int woken = 0;
    spin_lock(&q->lock);
    q->gen++;
    while (!list_empty(&q->waiters)) {
        struct waiter *w = container_of(q->waiters.next, struct waiter, link);
        list_del(&w->link);
        __atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
        thread_kick(w->t);
        woken++;
    }
    spin_unlock(&q->lock);
    return woken;
}
