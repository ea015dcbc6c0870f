/* trap.c: how guest events reach the core on a Linux host. A guest syscall traps into SIGSYS
 * (seccomp RET_TRAP), a guest fault arrives as SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP, and
 * signals meant for the guest (Ctrl-C and friends) arrive as themselves. Each handler runs on
 * the thread's own signal stack, presents the interrupted registers to the core, and returns
 * through rt_sigreturn, so the kernel restores the full register state (FPU/SSE/AVX included)
 * as the core left it. */
#include "host.h"

struct h_siginfo {
    int signo, err, code, pad;
    union {
        struct {
            uptr call_addr;
            int syscall;
            u32 arch;
        } sys;
        uptr addr;
        u8 raw[112];
    };
};

/* The kernel's x86-64 ucontext: the general registers are laid out as struct cpu_regs. */
struct h_ucontext {
    u64 flags;
    void *link;
    struct h_stack stack;
    struct cpu_regs regs;
    u8 *fpstate;
    u64 reserved1[8];
    u64 sigmask;
};

/* Linux signal numbers used here. */
enum { SIGHUP = 1, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
       SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD = 17, SIGCONT, SIGTSTP = 20,
       SIGVTALRM = 26,
       SIGPROF, SIGWINCH };
#define BIT(s) (1ULL << ((s)-1))

const u64 host_async_sigs = BIT(SIGHUP) | BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGUSR1) |
                            BIT(SIGUSR2) | BIT(SIGALRM) | BIT(SIGTERM) | BIT(SIGCONT) |
                            BIT(SIGTSTP) | BIT(SIGWINCH) | BIT(SIGVTALRM) | BIT(SIGPROF) |
                            BIT(PLAT_DOORBELL) | BIT(SIGCHLD);

/* FXSAVE software-reserved bytes say how large the XSAVE area really is. */
#define FP_XSTATE_MAGIC1 0x46505853U
#define FXSAVE_SW_OFFSET 464

static void fill_trap(struct cpu_trap *t, struct h_ucontext *uc)
{
    t->regs = &uc->regs;
    t->fpu = uc->fpstate;
    t->fpu_size = 512;
    if (uc->fpstate) {
        u32 magic = *(u32 *)(uc->fpstate + FXSAVE_SW_OFFSET);
        if (magic == FP_XSTATE_MAGIC1)
            t->fpu_size = *(u32 *)(uc->fpstate + FXSAVE_SW_OFFSET + 4);
    }
}

static void on_sigsys(int sig, struct h_siginfo *si, struct h_ucontext *uc)
{
    (void)sig;
    (void)si;
    struct cpu_trap t = {0};
    fill_trap(&t, uc);
    linux_syscall_trap(&t);
}

static void on_fault(int sig, struct h_siginfo *si, struct h_ucontext *uc)
{
    if (trap_fixup_copy(&uc->regs))
        return;
    if (si->code <= 0) { /* sent by a process (kill/tgkill), not raised by the CPU */
        struct cpu_trap t = {0};
        fill_trap(&t, uc);
        linux_async_trap(&t, sig);
        return;
    }
    if (plat_ip_in_libos(uc->regs.rip)) {
        uptr base, end;
        plat_image_range(&base, &end);
        panic("library OS fault: signal %d code %d at husk+%#lx addr %#lx", sig, si->code,
              (unsigned long)(uc->regs.rip - base), (unsigned long)si->addr);
    }
    struct cpu_trap t = {0};
    fill_trap(&t, uc);
    t.signo = sig;
    t.code = si->code;
    t.addr = si->addr;
    linux_fault_trap(&t);
}

/* Host children (the sandbox's other processes, and orphans coming back to the subreaper)
 * are reaped here as they end; the core hears how each ended, which matters when the host
 * killed one (the seccomp filter) without the core knowing. */
static void reap_host_children(void)
{
    for (;;) {
        struct h_siginfo si = {0};
        long r = hsys5(HNR_waitid, 0 /* P_ALL */, 0, (long)&si, 4 | 1 /* WEXITED|WNOHANG */, 0);
        i32 pid = *(i32 *)si.raw;
        if (r < 0 || pid == 0)
            return;
        int status = *(i32 *)(si.raw + 8);
        /* CLD_EXITED 1: status is the exit code; otherwise it is the signal. */
        linux_host_child_exit(pid, si.code == 1 ? (status & 0xff) << 8 : status & 0x7f);
    }
}

static void on_async(int sig, struct h_siginfo *si, struct h_ucontext *uc)
{
    (void)si;
    if (sig == SIGCHLD) {
        reap_host_children();
        sig = PLAT_DOORBELL; /* then, like a doorbell, look at pending guest signals */
    }
    struct cpu_trap t = {0};
    fill_trap(&t, uc);
    linux_async_trap(&t, sig);
}

static int set_handler(int sig, void *fn, unsigned long flags, u64 mask)
{
    struct h_sigaction sa = {
        .handler = fn,
        .flags = flags | H_SA_RESTORER,
        .restorer = host_sigreturn,
        .mask = mask,
    };
    return (int)hsys4(HNR_rt_sigaction, sig, (long)&sa, 0, 8);
}

int trap_install(void)
{
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
    unsigned long fl = H_SA_SIGINFO | H_SA_ONSTACK;
    int r = set_handler(H_SIGSYS, (void *)on_sigsys, fl | H_SA_NODEFER, host_async_sigs);
    /* Faults must stay deliverable inside other handlers (a fault while copying guest memory),
     * so they are never masked and may nest. */
    for (size_t i = 0; !r && i < ARRAY_SIZE(faults); i++)
        r = set_handler(faults[i], (void *)on_fault, fl | H_SA_NODEFER, host_async_sigs);
    for (int s = 1; !r && s <= 64; s++)
        if (host_async_sigs & BIT(s))
            r = set_handler(s, (void *)on_async, fl, host_async_sigs);
    /* A write to a closed host pipe must give EPIPE to the core, not kill husk. */
    struct h_sigaction ign = {.handler = (void *)1, .flags = H_SA_RESTORER,
                              .restorer = host_sigreturn};
    if (!r)
        r = (int)hsys4(HNR_rt_sigaction, SIGPIPE, (long)&ign, 0, 8);
    return r;
}


#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

int plat_cpu_init(void *thread_ptr, void *trap_stack, size_t trap_stack_size)
{
    if (trap_stack_size < PLAT_TRAP_STACK_SIZE)
        return -22; /* EINVAL */
    int r = (int)hsys2(HNR_arch_prctl, ARCH_SET_GS, (long)thread_ptr);
    if (r)
        return r;
    struct h_stack ss = {.sp = trap_stack, .flags = 0, .size = trap_stack_size};
    return (int)hsys2(HNR_sigaltstack, (long)&ss, 0);
}

int plat_set_thread_ptr(void *thread_ptr)
{
    return (int)hsys2(HNR_arch_prctl, ARCH_SET_GS, (long)thread_ptr);
}

int plat_set_fs(uptr base)
{
    return (int)hsys2(HNR_arch_prctl, ARCH_SET_FS, (long)base);
}

uptr plat_get_fs(void)
{
    uptr v = 0;
    hsys2(HNR_arch_prctl, ARCH_GET_FS, (long)&v);
    return v;
}

/* CLONE_FILES | SIGCHLD | CLONE_PARENT_SETTID: the host writes the child's id into
 * *child_host_tid (shared memory) before the child runs. */
#define PROCESS_CLONE_FLAGS (0x400 | 17 | 0x100000)

long plat_fork(void *child_thread_ptr, i32 *child_host_tid)
{
    long r = hsys5(HNR_clone, PROCESS_CLONE_FLAGS, 0, (long)child_host_tid, 0, 0);
    if (r == 0) /* the child: its own thread pointer before anything else reads GS */
        hsys2(HNR_arch_prctl, ARCH_SET_GS, (long)child_thread_ptr);
    return r;
}

i32 plat_host_tid(void)
{
    return (i32)hsys0(HNR_gettid);
}

int plat_doorbell(i32 host_pid, i32 host_tid)
{
    return (int)hsys3(HNR_tgkill, host_pid, host_tid, PLAT_DOORBELL);
}

int plat_kill(i32 host_pid)
{
    return (int)hsys2(HNR_kill, host_pid, 9);
}

#define THREAD_CLONE_FLAGS                                                                     \
    (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x200000 | 0x100000)
/* VM | FS | FILES | SIGHAND | THREAD | SYSVSEM | CHILD_CLEARTID | PARENT_SETTID */

/* What a new host thread needs before it can run guest code (on its own trap stack's top). */
struct thread_start {
    void *thread_ptr;
    void *trap_stack;
    size_t trap_stack_size;
    uptr fs;
    struct cpu_regs regs;
};

_Noreturn void guest_resume(const struct cpu_regs *r);
void thread_trampoline(void);
_Noreturn void plat_thread_main(struct thread_start *st);

_Noreturn void plat_thread_main(struct thread_start *st)
{
    struct cpu_regs regs = st->regs;
    hsys2(HNR_arch_prctl, ARCH_SET_GS, (long)st->thread_ptr);
    hsys2(HNR_arch_prctl, ARCH_SET_FS, (long)st->fs);
    struct h_stack ss = {.sp = st->trap_stack, .flags = 0, .size = st->trap_stack_size};
    hsys2(HNR_sigaltstack, (long)&ss, 0);
    /* Born inside its creator's trap handler, the thread inherited a mask with the forwarded
     * signals blocked; guest code runs with them open. */
    u64 none = 0;
    hsys4(HNR_rt_sigprocmask, H_SIG_SETMASK, (long)&none, 0, 8);
    guest_resume(&regs);
}

int plat_thread_create(void *thread_ptr, void *trap_stack, size_t trap_stack_size,
                       const struct cpu_regs *r, uptr fs, i32 *host_tid)
{
    /* The new thread begins on the top of its trap stack, where its start record and the
     * trampoline's address wait for it; it moves to guest code and its guest stack at once. */
    u8 *top = (u8 *)trap_stack + trap_stack_size;
    struct thread_start *st = (struct thread_start *)(top - 512);
    *st = (struct thread_start){thread_ptr, trap_stack, trap_stack_size, fs, *r};
    uptr *sp = (uptr *)((u8 *)st - 64);
    sp[0] = (uptr)thread_trampoline;
    sp[1] = (uptr)st;
    long tid = host_syscall6(HNR_clone, THREAD_CLONE_FLAGS, (long)sp, (long)host_tid,
                             (long)host_tid, 0, 0);
    return tid < 0 ? (int)tid : 0;
}

_Noreturn void plat_exit_thread(int status)
{
    for (;;)
        hsys1(HNR_exit, status);
}

_Noreturn void guest_jump(uptr rip, uptr rsp);

_Noreturn void plat_enter_guest(uptr rip, uptr rsp)
{
    guest_jump(rip, rsp);
}
