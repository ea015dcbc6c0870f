/* signal.c: Linux signal semantics for the guest: dispositions, masks, the alternate stack,
 * and the x86-64 rt_sigframe that a handler runs on and rt_sigreturn unwinds, laid out as
 * the Linux kernel lays it out so that libc, debuggers and unwinders read it unchanged. */
#include "linux.h"
#include "../kernel/wait.h"

#define SIGBIT(s) (1ULL << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define REDZONE 128
#define EFLAGS_USER_MASK 0x254dd5UL /* CF PF AF ZF SF TF DF OF NT AC ID, as Linux restores */

int sig_default_action(int sig)
{
    switch (sig) {
    case SIGCHLD: case SIGURG: case SIGWINCH:
        return 0;
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return 2;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return 3;
    case SIGCONT:
        return 4;
    }
    return 1;
}

/* ---- frames ---- */

static bool on_altstack(struct thread *t, uptr sp)
{
    return t->altstack_size && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

static void fill_siginfo(struct linux_siginfo *si, const struct ksiginfo *k)
{
    memset(si, 0, sizeof(*si));
    si->si_signo = k->signo;
    si->si_code = k->code;
    si->si_errno = k->err;
    switch (k->signo) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
        if (k->code > 0) {
            si->addr = k->addr;
            return;
        }
    }
    si->kill.pid = k->pid;
    si->kill.uid = k->uid;
    if (k->signo == SIGCHLD)
        si->kill.status = k->status;
    else
        memcpy(si->raw + 8, &k->value, 8); /* si_value of sigqueue and timers */
}

/* Builds the frame for one handler on the guest stack and points the registers at it.
 * Returns false when the frame cannot be written (then the guest dies of SIGSEGV). */
static bool setup_frame(struct thread *t, struct cpu_trap *tr, const struct ksigaction *sa,
                        const struct ksiginfo *k)
{
    struct cpu_regs *r = tr->regs;
    uptr sp = r->rsp;
    bool was_on = on_altstack(t, sp);
    if ((sa->flags & SA_ONSTACK) && t->altstack_size && !was_on &&
        !(t->altstack_flags & SS_DISABLE))
        sp = t->altstack_sp + t->altstack_size;
    else
        sp -= REDZONE;
    sp = ALIGN_DOWN(sp - tr->fpu_size, 64);
    uptr fpstate = sp;
    sp -= sizeof(struct linux_rt_sigframe);
    sp = ALIGN_DOWN(sp, 16) - 8;

    struct linux_rt_sigframe f;
    memset(&f, 0, sizeof(f));
    f.pretcode = sa->restorer;
    f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f.uc.uc_stack.ss_sp = t->altstack_sp;
    f.uc.uc_stack.ss_size = t->altstack_size;
    f.uc.uc_stack.ss_flags = t->altstack_size ? (was_on ? SS_ONSTACK : t->altstack_flags)
                                              : SS_DISABLE;
    f.uc.mc = *r;
    f.uc.mc.cr2 = k->addr;
    f.uc.mc.trapno = k->signo == SIGSEGV ? 14 : 0;
    f.uc.fpstate = tr->fpu ? fpstate : 0;
    f.uc.uc_sigmask = t->restore_blocked ? t->saved_blocked : t->blocked;
    t->restore_blocked = false;
    fill_siginfo(&f.info, k);
    if (copy_to_guest(sp, &f, sizeof(f)))
        return false;
    if (tr->fpu && copy_to_guest(fpstate, tr->fpu, tr->fpu_size))
        return false;
    if (t->altstack_flags & SS_AUTODISARM)
        t->altstack_size = 0;

    r->rsp = sp;
    r->rip = sa->handler;
    r->rdi = (u64)k->signo;
    r->rsi = sp + offsetof(struct linux_rt_sigframe, info);
    r->rdx = sp + offsetof(struct linux_rt_sigframe, uc);
    r->rax = 0;
    r->eflags &= ~(0x100UL | 0x400UL); /* TF, DF: handlers start with them clear */
    return true;
}

long sys_rt_sigreturn(void)
{
    struct thread *t = current();
    struct cpu_trap *tr = cur_trap();
    struct cpu_regs *r = tr->regs;
    uptr frame = r->rsp - 8; /* the handler's `ret` popped pretcode */
    struct linux_rt_sigframe f;
    if (copy_from_guest(&f, frame, sizeof(f)))
        goto bad;
    u64 keep_seg = r->cs_gs_fs, keep_flags = r->eflags;
    *r = f.uc.mc;
    r->cs_gs_fs = keep_seg;
    r->eflags = (keep_flags & ~EFLAGS_USER_MASK) | (f.uc.mc.eflags & EFLAGS_USER_MASK);
    if (tr->fpu && f.uc.fpstate) {
        /* Restore what the guest saved, but keep the host's XSAVE header bits honest: the
         * CPU faults on a header that claims features the host did not enable. */
        u8 saved_sw[48];
        memcpy(saved_sw, (u8 *)tr->fpu + 464, sizeof(saved_sw));
        u64 host_bv = *(u64 *)((u8 *)tr->fpu + 512);
        if (copy_from_guest(tr->fpu, f.uc.fpstate, tr->fpu_size))
            goto bad;
        memcpy((u8 *)tr->fpu + 464, saved_sw, sizeof(saved_sw));
        if (tr->fpu_size > 520) {
            u64 *bv = (u64 *)((u8 *)tr->fpu + 512);
            u64 allowed = *(u64 *)((u8 *)tr->fpu + 464 + 8) | host_bv;
            *bv &= allowed;
            memset((u8 *)tr->fpu + 520, 0, 56); /* xcomp_bv and reserved must be zero */
        }
        *(u32 *)((u8 *)tr->fpu + 24) &= 0xffff; /* MXCSR: reserved bits fault */
    }
    t->blocked = f.uc.uc_sigmask & ~UNBLOCKABLE;
    /* sigaltstack state as saved (Linux restore_altstack); errors are ignored as in Linux. */
    if (!on_altstack(t, r->rsp)) {
        t->altstack_sp = f.uc.uc_stack.ss_sp;
        t->altstack_size = f.uc.uc_stack.ss_size;
        t->altstack_flags = f.uc.uc_stack.ss_flags & SS_DISABLE;
        if (t->altstack_flags & SS_DISABLE)
            t->altstack_size = 0;
    }
    return (long)r->rax;
bad:
    return do_exit(tr, SIGSEGV);
}

/* A stop signal's default action: the process stops, its parent hears of it, and this thread
 * sleeps until SIGCONT (or SIGKILL) makes the process run again. */
static void stop_until_continued(struct thread *t, int sig)
{
    struct proc *p = t->proc;
    proc_stop(p, sig);
    for (;;) {
        u32 seq = wait_seq(t);
        if (p->state != PROC_STOPPED || t->must_exit)
            return;
        plat_wait(&t->wake_seq, seq, -1);
    }
}

/* Delivers every deliverable signal: the default action, or a handler frame. Several handlers
 * stack up as Linux stacks them (the last set up runs first). */
long signal_deliver(struct thread *t, struct cpu_trap *tr, long ret, bool in_syscall)
{
    struct proc *p = t->proc;
    struct ksiginfo k;
    int sig;
    while ((sig = signal_take(t, &k))) {
        struct ksigaction *sa = &p->sigactions[sig - 1];
        if (sa->handler == SIG_IGN && sig != SIGKILL && sig != SIGSTOP)
            continue;
        if (sa->handler == SIG_DFL || sig == SIGKILL || sig == SIGSTOP) {
            int act = sig_default_action(sig);
            if (act == 1 || act == 2) /* no core is written (RLIMIT_CORE is 0): no 0x80 */
                return do_exit(tr, sig);
            if (act == 3 && (sig == SIGSTOP || !proc_pgrp_orphaned(p->pgid)))
                stop_until_continued(t, sig);
            continue; /* ignored, or continued */
        }
        if (in_syscall) {
            /* Linux's restart rules for an interrupted call. */
            if (ret == -ERESTARTSYS)
                ret = (sa->flags & SA_RESTART) ? -ERESTARTSYS : -EINTR;
            if (ret == -ERESTARTSYS) {
                tr->regs->rip -= 2; /* back onto the syscall instruction */
                ret = (long)t->in_syscall;
            }
            in_syscall = false;
        }
        tr->regs->rax = (u64)ret;
        if (!setup_frame(t, tr, sa, &k))
            return do_exit(tr, SIGSEGV);
        t->blocked |= sa->mask & ~UNBLOCKABLE;
        if (!(sa->flags & SA_NODEFER))
            t->blocked |= SIGBIT(sig);
        if (sa->flags & SA_RESETHAND)
            sa->handler = SIG_DFL;
        ret = 0; /* rax of the handler's entry */
    }
    if (t->restore_blocked) { /* sigsuspend woke for a signal that ran no handler */
        t->blocked = t->saved_blocked;
        t->restore_blocked = false;
    }
    if (in_syscall && ret == -ERESTARTSYS) {
        /* Interrupted, but no handler ran: the call restarts, as if never interrupted. */
        tr->regs->rip -= 2;
        ret = (long)t->in_syscall;
    }
    return ret;
}

/* ---- syscalls ---- */

long sys_rt_sigaction(int sig, uptr act, uptr oact, size_t sigsetsize)
{
    struct proc *p = current()->proc;
    if (sigsetsize != 8)
        return -EINVAL;
    if (sig < 1 || sig > NSIG || ((sig == SIGKILL || sig == SIGSTOP) && act))
        return -EINVAL;
    struct linux_sigaction na;
    if (act && copy_from_guest(&na, act, sizeof(na)))
        return -EFAULT;
    struct ksigaction *cur = &p->sigactions[sig - 1];
    if (oact) {
        struct linux_sigaction o = {cur->handler, cur->flags, cur->restorer, cur->mask};
        if (copy_to_guest(oact, &o, sizeof(o)))
            return -EFAULT;
    }
    if (act) {
        *cur = (struct ksigaction){na.handler, na.flags, na.restorer, na.mask & ~UNBLOCKABLE};
        /* Setting SIG_IGN discards a pending instance (POSIX). */
        if (na.handler == SIG_IGN || (na.handler == SIG_DFL && !sig_default_action(sig))) {
            current()->sigpending.pending &= ~SIGBIT(sig);
            p->sigpending.pending &= ~SIGBIT(sig);
        }
    }
    return 0;
}

long sys_rt_sigprocmask(int how, uptr set, uptr oset, size_t sigsetsize)
{
    struct thread *t = current();
    if (sigsetsize != 8)
        return -EINVAL;
    u64 ns = 0, old = t->blocked;
    if (set && copy_from_guest(&ns, set, 8))
        return -EFAULT;
    if (set) {
        switch (how) {
        case 0: t->blocked |= ns; break;  /* SIG_BLOCK */
        case 1: t->blocked &= ~ns; break; /* SIG_UNBLOCK */
        case 2: t->blocked = ns; break;   /* SIG_SETMASK */
        default: return -EINVAL;
        }
        t->blocked &= ~UNBLOCKABLE;
    }
    if (oset && copy_to_guest(oset, &old, 8))
        return -EFAULT;
    return 0;
}

long sys_rt_sigpending(uptr set, size_t sigsetsize)
{
    struct thread *t = current();
    if (sigsetsize > 8)
        return -EINVAL;
    u64 pend = (t->sigpending.pending | t->proc->sigpending.pending) & t->blocked;
    return copy_to_guest(set, &pend, sigsetsize) ? -EFAULT : 0;
}

long sys_rt_sigsuspend(uptr mask, size_t sigsetsize)
{
    struct thread *t = current();
    u64 m;
    if (sigsetsize != 8)
        return -EINVAL;
    if (copy_from_guest(&m, mask, 8))
        return -EFAULT;
    u64 old = t->blocked;
    t->blocked = m & ~UNBLOCKABLE;
    while (!signal_any_deliverable(t) && !t->must_exit) /* must_exit: ending (exit_group) */
        wait_sleep(t, wait_seq(t), -1);
    /* The handler runs with the temporary mask; its frame saves the old one for sigreturn. */
    t->saved_blocked = old;
    t->restore_blocked = true;
    return -EINTR;
}

long sys_pause(void)
{
    struct thread *t = current();
    while (!signal_any_deliverable(t) && !t->must_exit) /* must_exit: ending (exit_group) */
        wait_sleep(t, wait_seq(t), -1);
    return -EINTR;
}

long sys_rt_sigtimedwait(uptr set, uptr info, uptr timeout, size_t sigsetsize)
{
    struct thread *t = current();
    u64 want;
    if (sigsetsize != 8)
        return -EINVAL;
    if (copy_from_guest(&want, set, 8))
        return -EFAULT;
    want &= ~UNBLOCKABLE;
    i64 ns = -1;
    if (timeout) {
        struct linux_timespec ts;
        if (copy_from_guest(&ts, timeout, sizeof(ts)))
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
            return -EINVAL;
        ns = ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    i64 s0;
    long n0;
    plat_clock_get(1, &s0, &n0);
    struct ksiginfo k;
    int sig;
    for (;;) {
        u32 seq = wait_seq(t);
        sig = signal_take_from(t, want, &k);
        if (sig)
            break;
        i64 left = -1;
        if (ns >= 0) {
            i64 s;
            long n;
            plat_clock_get(1, &s, &n);
            left = ns - ((s - s0) * 1000000000 + (n - n0));
            if (left <= 0)
                return -EAGAIN;
        }
        /* Signals outside the set that are not blocked interrupt the wait. */
        int r = wait_sleep(t, seq, left);
        if (r == -EINTR && !((t->sigpending.pending | t->proc->sigpending.pending) & want))
            return -EINTR;
    }
    if (info) {
        struct linux_siginfo si;
        fill_siginfo(&si, &k);
        if (copy_to_guest(info, &si, sizeof(si)))
            return -EFAULT;
    }
    return sig;
}

long sys_sigaltstack(uptr uss, uptr uoss)
{
    struct thread *t = current();
    struct cpu_trap *tr = cur_trap();
    bool on = tr && on_altstack(t, tr->regs->rsp);
    if (uoss) {
        struct linux_stack o = {t->altstack_sp,
                                on ? SS_ONSTACK : (t->altstack_size ? 0 : SS_DISABLE),
                                t->altstack_size};
        if (!t->altstack_size && !on)
            o.ss_sp = t->altstack_sp, o.ss_size = t->altstack_size;
        if (copy_to_guest(uoss, &o, sizeof(o)))
            return -EFAULT;
    }
    if (uss) {
        struct linux_stack n;
        if (copy_from_guest(&n, uss, sizeof(n)))
            return -EFAULT;
        if (on)
            return -EPERM;
        int mode = n.ss_flags & ~(int)SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return -EINVAL;
        if (mode == SS_DISABLE) {
            t->altstack_sp = 0;
            t->altstack_size = 0;
            t->altstack_flags = SS_DISABLE;
        } else {
            if (n.ss_size < MINSIGSTKSZ)
                return -ENOMEM;
            t->altstack_sp = n.ss_sp;
            t->altstack_size = n.ss_size;
            t->altstack_flags = n.ss_flags & (int)SS_AUTODISARM;
        }
    }
    return 0;
}

static struct ksiginfo user_info(int sig, int code)
{
    struct proc *p = current()->proc;
    return (struct ksiginfo){.signo = sig, .code = code, .pid = p->pid, .uid = p->uid};
}

long sys_kill(int pid, int sig)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (pid == INT32_MIN)
        return -ESRCH;
    struct ksiginfo k = user_info(sig, SI_USER);
    return proc_kill(current()->proc, pid, &k);
}

long sys_tkill(int tid, int sig)
{
    if (tid <= 0 || sig < 0 || sig > NSIG)
        return -EINVAL;
    struct ksiginfo k = user_info(sig, SI_TKILL);
    return thread_kill(0, tid, &k);
}

long sys_tgkill(int tgid, int tid, int sig)
{
    if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG)
        return -EINVAL;
    struct ksiginfo k = user_info(sig, SI_TKILL);
    return thread_kill(tgid, tid, &k);
}

/* Queues a signal with the caller's siginfo; as in Linux, a caller may not pretend to be the
 * kernel (si_code >= 0) or kill (SI_TKILL) when signalling another process. */
static long queueinfo(int tgid, int tid, int sig, uptr uinfo)
{
    struct linux_siginfo si;
    if (copy_from_guest(&si, uinfo, sizeof(si)))
        return -EFAULT;
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if ((si.si_code >= 0 || si.si_code == SI_TKILL) && tgid != current()->proc->pid)
        return -EPERM;
    struct ksiginfo k = {.signo = sig, .code = si.si_code, .err = si.si_errno,
                         .pid = si.kill.pid, .uid = si.kill.uid};
    memcpy(&k.value, si.raw + 8, 8); /* sigval follows pid and uid */
    return tid ? thread_kill(tgid, tid, &k) : proc_kill(current()->proc, tgid, &k);
}

long sys_rt_sigqueueinfo(int pid, int sig, uptr uinfo)
{
    if (pid <= 0)
        return -ESRCH;
    return queueinfo(pid, 0, sig, uinfo);
}

long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, uptr uinfo)
{
    if (tgid <= 0 || tid <= 0)
        return -EINVAL;
    return queueinfo(tgid, tid, sig, uinfo);
}

/* ---- interval timers: the host's, whose expiry the platform forwards as a signal ---- */

struct linux_itimerval {
    struct linux_timeval interval, value;
};

static int itimer_valid(struct linux_itimerval *v)
{
    if (v->interval.tv_usec < 0 || v->interval.tv_usec >= 1000000 || v->value.tv_usec < 0 ||
        v->value.tv_usec >= 1000000 || v->interval.tv_sec < 0 || v->value.tv_sec < 0)
        return -EINVAL;
    return 0;
}

long sys_setitimer(int which, uptr unew, uptr uold)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    struct linux_itimerval nv = {0}, ov;
    if (unew && copy_from_guest(&nv, unew, sizeof(nv)))
        return -EFAULT;
    int err = itimer_valid(&nv);
    if (err)
        return err;
    err = plat_itimer_set(which, (const i64 *)&nv, (i64 *)&ov);
    if (err)
        return err;
    if (uold && copy_to_guest(uold, &ov, sizeof(ov)))
        return -EFAULT;
    return 0;
}

long sys_getitimer(int which, uptr ucur)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    struct linux_itimerval cur;
    int err = plat_itimer_get(which, (i64 *)&cur);
    if (err)
        return err;
    return copy_to_guest(ucur, &cur, sizeof(cur)) ? -EFAULT : 0;
}

long sys_alarm(unsigned seconds)
{
    struct linux_itimerval nv = {{0, 0}, {seconds, 0}}, ov;
    if (plat_itimer_set(0, (const i64 *)&nv, (i64 *)&ov))
        return 0;
    /* Linux rounds the remaining time to the nearest second, and never reports 0 for a
     * pending alarm. */
    long left = (long)ov.value.tv_sec + (ov.value.tv_usec >= 500000 ? 1 : 0);
    if (!left && (ov.value.tv_sec || ov.value.tv_usec))
        left = 1;
    return left;
}
