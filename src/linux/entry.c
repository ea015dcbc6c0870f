/* entry.c: where the platform hands guest events to the Linux shim: the syscall dispatcher
 * (number → handler through the table made from syscalls.def), and the fault and async
 * signal entries. Every path back to the guest passes through signal delivery. */
#include "linux.h"

const struct syscall_desc syscall_table[] = {
#define SC(nr, name, args, partial) [nr] = {#name, (sys_fn)(void (*)(void))sys_##name, args, partial},
#include "syscalls.def"
#undef SC
};
const int syscall_table_size = (int)ARRAY_SIZE(syscall_table);

/* One bit per syscall number: an unimplemented call is reported once, not on every call. */
static u64 reported[1024 / 64];

static long unimplemented(int nr)
{
    if (nr >= 0 && nr < 1024) {
        u64 bit = 1ULL << (nr % 64);
        if (!(__atomic_fetch_or(&reported[nr / 64], bit, __ATOMIC_RELAXED) & bit))
            kprintf("husk: syscall %d is not implemented (ENOSYS)\n", nr);
    }
    return -ENOSYS;
}

struct cpu_trap *cur_trap(void)
{
    return current()->trap;
}

void linux_syscall_trap(struct cpu_trap *tr)
{
    struct thread *t = current();
    struct cpu_regs *r = tr->regs;
    long nr = (long)r->rax;
    long a[6] = {(long)r->rdi, (long)r->rsi, (long)r->rdx, (long)r->r10, (long)r->r8, (long)r->r9};
    const struct syscall_desc *d =
        (nr >= 0 && nr < syscall_table_size && syscall_table[nr].fn) ? &syscall_table[nr] : NULL;
    t->trap = tr;
    t->in_syscall = (int)nr;
    if (trace_enabled)
        trace_enter(d, (int)nr, a);
    long ret;
    for (;;) {
        ret = d ? d->fn(a[0], a[1], a[2], a[3], a[4], a[5]) : unimplemented((int)nr);
        /* Interrupted by a signal that has no handler to run: restart transparently. Not when
         * the thread must end (exit_group or exec in another thread): it ends below. */
        if (ret != -ERESTARTSYS || signal_any_deliverable(t) || t->must_exit)
            break;
    }
    /* fork, vfork and exec may have changed which thread this trap now belongs to. */
    t = current();
    if (trace_enabled)
        trace_exit(d, (int)nr, a, ret);
    /* rt_sigreturn restored every register itself, rax included. */
    if (nr != 15)
        r->rax = (u64)ret;
    r->rax = (u64)signal_deliver(t, tr, (long)r->rax, nr != 15);
    if (t->must_exit)
        thread_exit(t); /* another thread ran exit_group or exec */
    t->in_syscall = -1;
    t->trap = NULL;
}

void linux_fault_trap(struct cpu_trap *tr)
{
    struct thread *t = current();
    t->trap = tr;
    struct proc *p = t->proc;
    int sig = tr->signo;
    struct ksigaction *sa = &p->sigactions[sig - 1];
    /* A fault with the signal blocked or ignored cannot be survived: Linux kills. */
    if ((t->blocked & (1ULL << (sig - 1))) || sa->handler == SIG_IGN)
        sa->handler = SIG_DFL;
    t->blocked &= ~(1ULL << (sig - 1));
    struct ksiginfo info = {.signo = sig, .code = tr->code, .addr = tr->addr};
    signal_post(p, t, &info);
    tr->regs->rax = (u64)signal_deliver(t, tr, (long)tr->regs->rax, false);
    t->trap = NULL;
}

void linux_async_trap(struct cpu_trap *tr, int signo)
{
    struct thread *t = current();
    /* The doorbell brings nothing itself: another process posted a signal and rang. A host
     * signal (Ctrl-C, a timer) goes to the sandbox's first process when it hits a child's host
     * process too, since the host does not know the sandbox's process tree. */
    if (signo != PLAT_DOORBELL) {
        struct ksiginfo info = {.signo = signo, .code = signo == SIGALRM ? SI_KERNEL : SI_USER};
        signal_post(t->proc, NULL, &info);
    }
    /* In guest code the signal is delivered now; inside the library OS it waits for the
     * syscall's return (the interrupted host wait gives EINTR, so that is soon). */
    if (t->in_syscall < 0 && !plat_ip_in_libos(tr->regs->rip)) {
        if (t->must_exit)
            thread_exit(t);
        t->trap = tr;
        tr->regs->rax = (u64)signal_deliver(t, tr, (long)tr->regs->rax, false);
        t->trap = NULL;
    }
}

void linux_host_child_exit(i32 host_pid, int wstatus)
{
    proc_host_exit(host_pid, wstatus);
}
