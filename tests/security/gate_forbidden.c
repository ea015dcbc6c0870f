// Jumps straight to husk's host gate (the one syscall instruction its seccomp filter lets
// through) with a forbidden syscall number (ptrace). The filter must kill the whole process
// with SIGSYS: exit status 128+31. The runner passes the gate address (hex) as argv[1], as
// printed by `husk debug gate-address`; the test is skipped when that command fails.
// husk-gate-arg
// expect-status: 159
#include "../guest/t.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GATE-ADDRESS-IN-HEX\n", argv[0]);
        return 2;
    }
    unsigned long gate = strtoul(argv[1], NULL, 16);
    printf("calling the gate with ptrace\n");
    fflush(stdout);
    long ret;
    register long r10 __asm__("r10") = 0;
    register long r8 __asm__("r8") = 0;
    register long r9 __asm__("r9") = 0;
    /* skip the red zone, then call the gate as if it were a function ending in ret */
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "call *%[gate]\n\t"
                     "add $128, %%rsp\n\t"
                     : "=a"(ret)
                     : [gate] "r"(gate), "a"((long)SYS_ptrace), "D"(-1L), "S"(0L), "d"(0L),
                       "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    printf("gate returned %ld: the process was NOT killed\n", ret);
    return 1;
}
