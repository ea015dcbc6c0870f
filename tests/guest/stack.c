// The main thread's stack: deep recursion grows it on demand, and running off its end
// raises SIGSEGV that a handler on an alternate stack can catch.
#include "t.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>

static sigjmp_buf jb;
static volatile sig_atomic_t caught;

static void on_segv(int sig)
{
    (void)sig;
    caught = 1;
    siglongjmp(jb, 1);
}

/* Uses about 1 KiB of stack per level; returns a value depending on every frame. */
static long recurse(long depth, long limit)
{
    volatile char pad[1000];
    pad[0] = (char)depth;
    if (depth >= limit)
        return pad[0];
    return recurse(depth + 1, limit) + pad[0];
}

int main(void)
{
    /* grow the stack by about 4 MiB (the default limit is 8 MiB) */
    CHECK("deep recursion", recurse(0, 4000) != -1);

    /* keep the overflow bounded whatever limit we inherited */
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (8u << 20)) {
        rl.rlim_cur = 8u << 20;
        setrlimit(RLIMIT_STACK, &rl);
    }
    static char alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0};
    CHECK_EQ("sigaltstack", sigaltstack(&ss, NULL), 0);
    struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    CHECK_EQ("sigaction SIGSEGV", sigaction(SIGSEGV, &sa, NULL), 0);
    if (sigsetjmp(jb, 1) == 0)
        recurse(0, 1L << 40); /* never returns normally */
    CHECK_EQ("stack overflow caught on alt stack", caught, 1);
    CHECK("recursion works again after overflow", recurse(0, 100) != -1);
    return t_done();
}
