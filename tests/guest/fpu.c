// FPU/SSE/AVX state: values loaded into xmm0-15 (and ymm0-15, zmm0-31 when the CPU has
// AVX / AVX-512), MXCSR and the x87 control word and stack survive a run of raw syscalls;
// a signal handler that clobbers all of them does not change the interrupted code's values
// (both for a signal raised by a syscall and for a fault); and the handler itself starts
// with the default MXCSR. Lines for absent CPU features say so (same natively and in husk).
#include "t.h"
#include <signal.h>
#include <ucontext.h>

/* The raw syscalls run between loading and storing the registers. */
// clang-format off
#define SYSCALLS                                                                                   \
    "mov $39, %%eax\n\tsyscall\n\t"                         /* getpid */                         \
    "mov $24, %%eax\n\tsyscall\n\t"                         /* sched_yield */                    \
    "mov $228, %%eax\n\tmov $1, %%edi\n\tmov %[ts], %%rsi\n\tsyscall\n\t" /* clock_gettime */    \
    "mov $3, %%eax\n\tmov $-1, %%rdi\n\tsyscall\n\t"        /* close(-1): EBADF */               \
    "mov $1, %%eax\n\tmov %[fd], %%edi\n\tmov %[ts], %%rsi\n\tmov $16, %%edx\n\tsyscall\n\t"       \
                                                            /* write(/dev/null, tsbuf, 16) */    \
    "mov $35, %%eax\n\tmov %[sl], %%rdi\n\txor %%esi, %%esi\n\tsyscall\n\t" /* nanosleep(1ms) */
// clang-format on

/* tgkill(pid, tid, SIGUSR1): the handler runs when this syscall returns. */
#define RAISE_USR1                                                                                 \
    "mov $234, %%eax\n\tmov %[pid], %%edi\n\tmov %[tid], %%esi\n\tmov $10, %%edx\n\tsyscall\n\t"

/* ud2: the SIGILL handler skips it. */
#define FAULT "ud2\n\t"

#define X16(op, stride)                                                                            \
    op(0, stride) op(1, stride) op(2, stride) op(3, stride) op(4, stride) op(5, stride)            \
        op(6, stride) op(7, stride) op(8, stride) op(9, stride) op(10, stride) op(11, stride)      \
            op(12, stride) op(13, stride) op(14, stride) op(15, stride)
#define XLD(n, s) "movdqu " #n "*" #s "(%[in]), %%xmm" #n "\n\t"
#define XST(n, s) "movdqu %%xmm" #n ", " #n "*" #s "(%[out])\n\t"
#define YLD(n, s) "vmovdqu " #n "*" #s "(%[in]), %%ymm" #n "\n\t"
#define YST(n, s) "vmovdqu %%ymm" #n ", " #n "*" #s "(%[out])\n\t"
#define ZLD(n, s) "vmovdqu64 " #n "*" #s "(%[in]), %%zmm" #n "\n\t"
#define ZST(n, s) "vmovdqu64 %%zmm" #n ", " #n "*" #s "(%[out])\n\t"

#define XCLOB                                                                                      \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",       \
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static unsigned char in[2048] __attribute__((aligned(64)));
static unsigned char out[2048] __attribute__((aligned(64)));
static struct timespec tsbuf[2];
static const struct timespec one_ms = {0, 1000000};
static int devnull;
static int pid, tid;

static int has_avx, has_avx512;

static void cpu_features(void)
{
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx)
        return;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    has_avx = (lo & 6) == 6;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    has_avx512 = has_avx && ((b >> 16) & 1) && (lo & 0xe6) == 0xe6;
}

static void fill(void)
{
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 7 + 3);
    memset(out, 0, sizeof(out));
}

/* kind: 0 = syscalls, 1 = signal from a syscall, 2 = fault */
static void xmm_run(int kind)
{
    if (kind == 0)
        __asm__ volatile(
            X16(XLD, 16) SYSCALLS X16(XST, 16)
            :
            : [in] "r"(in), [out] "r"(out), [ts] "r"(tsbuf), [fd] "r"(devnull), [sl] "r"(&one_ms)
            : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", XCLOB);
    else if (kind == 1)
        __asm__ volatile(X16(XLD, 16) RAISE_USR1 X16(XST, 16)
                         :
                         : [in] "r"(in), [out] "r"(out), [pid] "r"(pid), [tid] "r"(tid)
                         : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", XCLOB);
    else
        __asm__ volatile(X16(XLD, 16) FAULT X16(XST, 16)
                         :
                         : [in] "r"(in), [out] "r"(out)
                         : "memory", XCLOB);
}

static void ymm_run(int kind)
{
    if (kind == 0)
        __asm__ volatile(
            X16(YLD, 32) SYSCALLS X16(YST, 32) "vzeroupper\n\t"
            :
            : [in] "r"(in), [out] "r"(out), [ts] "r"(tsbuf), [fd] "r"(devnull), [sl] "r"(&one_ms)
            : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", XCLOB);
    else if (kind == 1)
        __asm__ volatile(X16(YLD, 32) RAISE_USR1 X16(YST, 32) "vzeroupper\n\t"
                         :
                         : [in] "r"(in), [out] "r"(out), [pid] "r"(pid), [tid] "r"(tid)
                         : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", XCLOB);
    else
        __asm__ volatile(X16(YLD, 32) FAULT X16(YST, 32) "vzeroupper\n\t"
                         :
                         : [in] "r"(in), [out] "r"(out)
                         : "memory", XCLOB);
}

/* zmm0-15 from in[0..1023], zmm16-31 from in[1024..2047]. The compiler is built without
 * AVX-512, so it never keeps anything in zmm16-31 and they need no clobber. */
#define ZHI_LD                                                                                     \
    "vmovdqu64 1024(%[in]), %%zmm16\n\tvmovdqu64 1088(%[in]), %%zmm17\n\t"                         \
    "vmovdqu64 1152(%[in]), %%zmm18\n\tvmovdqu64 1216(%[in]), %%zmm19\n\t"                         \
    "vmovdqu64 1280(%[in]), %%zmm20\n\tvmovdqu64 1344(%[in]), %%zmm21\n\t"                         \
    "vmovdqu64 1408(%[in]), %%zmm22\n\tvmovdqu64 1472(%[in]), %%zmm23\n\t"                         \
    "vmovdqu64 1536(%[in]), %%zmm24\n\tvmovdqu64 1600(%[in]), %%zmm25\n\t"                         \
    "vmovdqu64 1664(%[in]), %%zmm26\n\tvmovdqu64 1728(%[in]), %%zmm27\n\t"                         \
    "vmovdqu64 1792(%[in]), %%zmm28\n\tvmovdqu64 1856(%[in]), %%zmm29\n\t"                         \
    "vmovdqu64 1920(%[in]), %%zmm30\n\tvmovdqu64 1984(%[in]), %%zmm31\n\t"
#define ZHI_ST                                                                                     \
    "vmovdqu64 %%zmm16, 1024(%[out])\n\tvmovdqu64 %%zmm17, 1088(%[out])\n\t"                       \
    "vmovdqu64 %%zmm18, 1152(%[out])\n\tvmovdqu64 %%zmm19, 1216(%[out])\n\t"                       \
    "vmovdqu64 %%zmm20, 1280(%[out])\n\tvmovdqu64 %%zmm21, 1344(%[out])\n\t"                       \
    "vmovdqu64 %%zmm22, 1408(%[out])\n\tvmovdqu64 %%zmm23, 1472(%[out])\n\t"                       \
    "vmovdqu64 %%zmm24, 1536(%[out])\n\tvmovdqu64 %%zmm25, 1600(%[out])\n\t"                       \
    "vmovdqu64 %%zmm26, 1664(%[out])\n\tvmovdqu64 %%zmm27, 1728(%[out])\n\t"                       \
    "vmovdqu64 %%zmm28, 1792(%[out])\n\tvmovdqu64 %%zmm29, 1856(%[out])\n\t"                       \
    "vmovdqu64 %%zmm30, 1920(%[out])\n\tvmovdqu64 %%zmm31, 1984(%[out])\n\t"

static void zmm_run(int kind)
{
    if (kind == 0)
        __asm__ volatile(
            X16(ZLD, 64) ZHI_LD SYSCALLS X16(ZST, 64) ZHI_ST "vzeroupper\n\t"
            :
            : [in] "r"(in), [out] "r"(out), [ts] "r"(tsbuf), [fd] "r"(devnull), [sl] "r"(&one_ms)
            : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", XCLOB);
    else if (kind == 1)
        __asm__ volatile(X16(ZLD, 64) ZHI_LD RAISE_USR1 X16(ZST, 64) ZHI_ST "vzeroupper\n\t"
                         :
                         : [in] "r"(in), [out] "r"(out), [pid] "r"(pid), [tid] "r"(tid)
                         : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", XCLOB);
    else
        __asm__ volatile(X16(ZLD, 64) ZHI_LD FAULT X16(ZST, 64) ZHI_ST "vzeroupper\n\t"
                         :
                         : [in] "r"(in), [out] "r"(out)
                         : "memory", XCLOB);
}

/* MXCSR, x87 control word and two x87 stack values around the same three situations. */
struct x87_result {
    unsigned mxcsr;
    unsigned short cw;
    double top, next;
};

static void ctl_run(int kind, struct x87_result *r)
{
    unsigned mx_in = 0x7f80;       /* all exceptions masked, round toward zero */
    unsigned short cw_in = 0x027f; /* double precision */
    unsigned short cw_def = 0x037f;
    unsigned mx_def = 0x1f80;
    if (kind == 0)
        __asm__ volatile(
            "ldmxcsr %[mxi]\n\tfldcw %[cwi]\n\tfldpi\n\tfld1\n\t" SYSCALLS
            "stmxcsr %[mxo]\n\tfnstcw %[cwo]\n\tfstpl %[top]\n\tfstpl %[next]\n\t"
            "ldmxcsr %[mxd]\n\tfldcw %[cwd]\n\t"
            : [mxo] "=m"(r->mxcsr), [cwo] "=m"(r->cw), [top] "=m"(r->top), [next] "=m"(r->next)
            : [mxi] "m"(mx_in), [cwi] "m"(cw_in), [mxd] "m"(mx_def), [cwd] "m"(cw_def),
              [ts] "r"(tsbuf), [fd] "r"(devnull), [sl] "r"(&one_ms)
            : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", "st", "st(1)");
    else if (kind == 1)
        __asm__ volatile(
            "ldmxcsr %[mxi]\n\tfldcw %[cwi]\n\tfldpi\n\tfld1\n\t" RAISE_USR1
            "stmxcsr %[mxo]\n\tfnstcw %[cwo]\n\tfstpl %[top]\n\tfstpl %[next]\n\t"
            "ldmxcsr %[mxd]\n\tfldcw %[cwd]\n\t"
            : [mxo] "=m"(r->mxcsr), [cwo] "=m"(r->cw), [top] "=m"(r->top), [next] "=m"(r->next)
            : [mxi] "m"(mx_in), [cwi] "m"(cw_in), [mxd] "m"(mx_def), [cwd] "m"(cw_def),
              [pid] "r"(pid), [tid] "r"(tid)
            : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "memory", "st", "st(1)");
    else
        __asm__ volatile(
            "ldmxcsr %[mxi]\n\tfldcw %[cwi]\n\tfldpi\n\tfld1\n\t" FAULT
            "stmxcsr %[mxo]\n\tfnstcw %[cwo]\n\tfstpl %[top]\n\tfstpl %[next]\n\t"
            "ldmxcsr %[mxd]\n\tfldcw %[cwd]\n\t"
            : [mxo] "=m"(r->mxcsr), [cwo] "=m"(r->cw), [top] "=m"(r->top), [next] "=m"(r->next)
            : [mxi] "m"(mx_in), [cwi] "m"(cw_in), [mxd] "m"(mx_def), [cwd] "m"(cw_def)
            : "memory", "st", "st(1)");
}

/* --- the clobbering handlers --- */
static volatile sig_atomic_t handled;
static volatile unsigned handler_mxcsr;
static volatile unsigned short handler_cw;

static void clobber_everything(void)
{
    unsigned mx = 0x3f80; /* round down */
    unsigned short cw = 0x007f;
    unsigned mx_seen = 0;
    unsigned short cw_seen = 0;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mx_seen), "=m"(cw_seen));
    handler_mxcsr = mx_seen;
    handler_cw = cw_seen;
    __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\tpcmpeqd %%xmm1, %%xmm1\n\t"
                     "pcmpeqd %%xmm2, %%xmm2\n\tpcmpeqd %%xmm3, %%xmm3\n\t"
                     "pcmpeqd %%xmm4, %%xmm4\n\tpcmpeqd %%xmm5, %%xmm5\n\t"
                     "pcmpeqd %%xmm6, %%xmm6\n\tpcmpeqd %%xmm7, %%xmm7\n\t"
                     "pcmpeqd %%xmm8, %%xmm8\n\tpcmpeqd %%xmm9, %%xmm9\n\t"
                     "pcmpeqd %%xmm10, %%xmm10\n\tpcmpeqd %%xmm11, %%xmm11\n\t"
                     "pcmpeqd %%xmm12, %%xmm12\n\tpcmpeqd %%xmm13, %%xmm13\n\t"
                     "pcmpeqd %%xmm14, %%xmm14\n\tpcmpeqd %%xmm15, %%xmm15\n\t"
                     "ldmxcsr %0\n\tfldcw %1\n\tfldz\n\tfldz\n\tfstp %%st(0)\n\tfstp %%st(0)\n\t"
                     :
                     : "m"(mx), "m"(cw)
                     : XCLOB, "st", "st(1)");
    if (has_avx)
        __asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\tvpcmpeqd %%ymm7, %%ymm7, %%ymm7\n\t"
                         "vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\t"
                         :
                         :
                         : XCLOB);
    if (has_avx512)
        __asm__ volatile("vpternlogd $0xff, %%zmm0, %%zmm0, %%zmm0\n\t"
                         "vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n\t"
                         "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n\t"
                         :
                         :
                         : XCLOB);
    /* leave the dirty state in place: returning through sigreturn must restore it. The
     * compiler-generated code after this point uses no SSE or x87 registers. */
}

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
    clobber_everything();
}

static void on_ill(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    handled++;
    clobber_everything();
    uc->uc_mcontext.gregs[REG_RIP] += 2; /* skip ud2 */
}

static const char *kind_name[] = {"across syscalls", "across a signal handler",
                                  "across a fault handler"};

int main(void)
{
    char name[96];
    cpu_features();
    devnull = open("/dev/null", O_WRONLY);
    pid = getpid();
    tid = (int)syscall(SYS_gettid);
    signal(SIGUSR1, on_usr1);
    struct sigaction sa = {.sa_sigaction = on_ill, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGILL, &sa, NULL);

    for (int kind = 0; kind < 3; kind++) {
        handled = 0;
        fill();
        xmm_run(kind);
        snprintf(name, sizeof(name), "xmm0-15 %s", kind_name[kind]);
        CHECK(name, memcmp(in, out, 16 * 16) == 0);

        struct x87_result r;
        memset(&r, 0, sizeof(r));
        ctl_run(kind, &r);
        snprintf(name, sizeof(name), "MXCSR %s", kind_name[kind]);
        CHECK_EQ(name, r.mxcsr & 0xffc0, 0x7f80);
        snprintf(name, sizeof(name), "x87 control word %s", kind_name[kind]);
        CHECK_EQ(name, r.cw & 0x1f3f, 0x027f & 0x1f3f);
        snprintf(name, sizeof(name), "x87 stack %s", kind_name[kind]);
        CHECK(name, r.top == 1.0 && r.next > 3.14159265358 && r.next < 3.14159265360);

        if (has_avx) {
            fill();
            ymm_run(kind);
            snprintf(name, sizeof(name), "ymm0-15 %s", kind_name[kind]);
            CHECK(name, memcmp(in, out, 16 * 32) == 0);
        } else {
            printf("ymm0-15 %s: no AVX on this CPU\n", kind_name[kind]);
        }
        if (has_avx512) {
            fill();
            zmm_run(kind);
            snprintf(name, sizeof(name), "zmm0-31 %s", kind_name[kind]);
            CHECK(name, memcmp(in, out, 32 * 64) == 0);
        } else {
            printf("zmm0-31 %s: no AVX-512 on this CPU\n", kind_name[kind]);
        }
        if (kind > 0) {
            snprintf(name, sizeof(name), "handler ran %s", kind_name[kind]);
            CHECK_EQ(name, handled, has_avx512 ? 4 : has_avx ? 3 : 2);
            snprintf(name, sizeof(name), "handler starts with default MXCSR (%s)", kind_name[kind]);
            CHECK_EQ(name, handler_mxcsr & 0xffc0, 0x1f80);
            snprintf(name, sizeof(name), "handler starts with default x87 CW (%s)",
                     kind_name[kind]);
            CHECK_EQ(name, handler_cw & 0x1f3f, 0x037f & 0x1f3f);
        }
    }

    /* floating point in C still works after all that */
    volatile double x = 2.0;
    CHECK("double arithmetic", x * x + 0.5 == 4.5);
    volatile float f = 1.0f / 3.0f;
    CHECK("float rounding to nearest", f > 0.3333333f && f < 0.3333334f);
    return t_done();
}
