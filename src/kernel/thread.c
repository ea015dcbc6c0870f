/* thread.c: the threads of a process: creation (tid, trap stack), exit, and ending the other
 * threads of a process for exit_group and exec. A thread ends itself; others only ask it to
 * (must_exit) and wake it, so no thread dies holding a lock of the shared arena. */
#include "task.h"
#include "wait.h"
#include "../platform/platform.h"

/* Stacks of ended threads are reused once the host says their thread is gone (host_tid
 * cleared); until then the record waits on dead_threads. Called with p->lock held. */
static void *reuse_stack(struct proc *p)
{
    struct list *pos = p->dead_threads.next;
    while (pos != &p->dead_threads) {
        struct thread *d = container_of(pos, struct thread, tlink);
        pos = pos->next;
        if (__atomic_load_n(&d->host_tid, __ATOMIC_ACQUIRE) == 0) {
            void *stack = d->trap_stack;
            list_del(&d->tlink);
            kfree(d);
            return stack;
        }
    }
    return NULL;
}

int thread_new(struct proc *p, struct thread *parent, struct thread **out)
{
    struct thread *t = kzalloc(sizeof(*t));
    if (!t)
        return -ENOMEM;
    spin_lock(&p->lock);
    void *stack = reuse_stack(p);
    spin_unlock(&p->lock);
    if (!stack)
        stack = arena_private(PLAT_TRAP_STACK_SIZE);
    if (!stack) {
        kfree(t);
        return -EAGAIN;
    }
    t->self = t;
    t->proc = p;
    t->trap_stack = stack;
    t->blocked = parent->blocked;
    t->in_syscall = -1;
    t->altstack_flags = 2; /* SS_DISABLE: a new thread has no alternate stack */
    list_init(&t->sigpending.rtq);
    t->tid = ptable_alloc_tid();
    t->host_pid = parent->host_pid;
    spin_lock(&p->lock);
    list_add_tail(&p->thread_list, &t->tlink);
    p->nthreads++;
    spin_unlock(&p->lock);
    *out = t;
    return 0;
}

void thread_cancel(struct thread *t)
{
    struct proc *p = t->proc;
    spin_lock(&p->lock);
    list_del(&t->tlink);
    p->nthreads--;
    t->host_tid = 0;
    list_add_tail(&p->dead_threads, &t->tlink); /* its stack is free for the next thread */
    spin_unlock(&p->lock);
}

void thread_exit_core(struct thread *t)
{
    struct proc *p = t->proc;
    spin_lock(&p->lock);
    list_del(&t->tlink);
    p->nthreads--;
    list_add_tail(&p->dead_threads, &t->tlink);
    if (p->threads == t)
        p->threads = p->nthreads ? container_of(p->thread_list.next, struct thread, tlink) : t;
    spin_unlock(&p->lock);
}

#define KILL_WAIT_NS 2000000000L

void thread_kill_others(struct thread *self)
{
    struct proc *p = self->proc;
    spin_lock(&p->lock);
    struct list *pos;
    list_for_each(pos, &p->thread_list)
    {
        struct thread *t = container_of(pos, struct thread, tlink);
        if (t != self)
            t->must_exit = true;
    }
    spin_unlock(&p->lock);
    /* Wake or ring each until all are gone; a thread inside a host call sees the flag when
     * the call returns. */
    for (i64 waited = 0; waited < KILL_WAIT_NS; waited += 1000000) {
        spin_lock(&p->lock);
        int left = p->nthreads;
        struct thread *ring[16];
        int n = 0;
        list_for_each(pos, &p->thread_list)
        {
            struct thread *t = container_of(pos, struct thread, tlink);
            if (t != self && n < 16)
                ring[n++] = t;
        }
        spin_unlock(&p->lock);
        if (left <= 1)
            return;
        for (int i = 0; i < n; i++)
            thread_interrupt(ring[i]);
        plat_sleep(1, false, 0, 1000000);
    }
}

struct thread *thread_find(i32 tid)
{
    struct proc *p = proc_find_by_tid(tid);
    if (!p)
        return NULL;
    struct thread *found = NULL;
    spin_lock(&p->lock);
    struct list *pos;
    list_for_each(pos, &p->thread_list)
    {
        struct thread *t = container_of(pos, struct thread, tlink);
        if (t->tid == tid)
            found = t;
    }
    spin_unlock(&p->lock);
    return found;
}
