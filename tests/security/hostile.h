/* hostile.h: what the hostile-guest tests do that no libc would: a raw `syscall` instruction
 * (so no wrapper can filter or translate it), and a call straight into husk's host gate, as a
 * library OS taken over by its guest could make. */
#ifndef HUSK_TESTS_HOSTILE_H
#define HUSK_TESTS_HOSTILE_H

static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Calls the gate at `gate` as if it were a function ending in `ret` (it is: the syscall
 * instruction is followed by one), past the red zone, with syscall n and its arguments. */
static inline long gate_call(unsigned long gate, long n, long a, long b, long c, long d)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = 0;
    register long r9 __asm__("r9") = 0;
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "call *%[gate]\n\t"
                     "add $128, %%rsp\n\t"
                     : "=a"(ret)
                     : [gate] "r"(gate), "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
                       "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#endif
