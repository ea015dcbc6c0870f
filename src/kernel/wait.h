/* wait.h: how a thread of the core sleeps. Each thread sleeps on its own wake word; whoever
 * changes what it waits for (a pipe writer, a futex waker, a signal) bumps that word and wakes
 * it. A wait is therefore never lost: the sleeper reads the word before checking its
 * condition, and the host sleep returns at once if the word moved since. */
#ifndef HUSK_KERNEL_WAIT_H
#define HUSK_KERNEL_WAIT_H

#include "task.h"

struct waitq {
    spinlock_t lock;
    struct list waiters;
    u32 gen; /* bumped by every wake: edge-triggered epoll items compare it */
};

void waitq_init(struct waitq *q);

/* The sleeper's side, with the thread's own waiter record (t->waiter: wakers in other
 * processes must reach it, so it lives in shared memory, never on a stack). Typical use:
 *     u32 seq = wait_seq(t);
 *     lock; if (condition) { unlock; done } waitq_add(q, &t->waiter, t); unlock;
 *     err = wait_sleep(t, seq, timeout_ns); waitq_del(q, &t->waiter);
 * wait_sleep returns 0 (woken or spurious: re-check), -ETIMEDOUT, or -EINTR when a signal
 * became deliverable. */
static inline u32 wait_seq(struct thread *t)
{
    return __atomic_load_n(&t->wake_seq, __ATOMIC_ACQUIRE);
}
void waitq_add(struct waitq *q, struct waiter *w, struct thread *t);
void waitq_del(struct waitq *q, struct waiter *w);
int wait_sleep(struct thread *t, u32 seq, i64 timeout_ns);
/* The common case of the above: with obj_lock held and the condition false, queues the calling
 * thread on q, drops obj_lock, sleeps, and leaves q. Returns what wait_sleep returns. */
int wait_on(struct waitq *q, spinlock_t *obj_lock, u32 seq, i64 timeout_ns);

/* The waker's side: wakes every waiter; returns how many. (Futexes wake selectively, by
 * address and bitset: futex.c.) */
int waitq_wake_all(struct waitq *q);
/* Wakes one thread directly (used when a signal is posted to it). */
void thread_kick(struct thread *t);

#endif
