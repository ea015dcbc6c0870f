// Jumps straight to husk's host gate (the one syscall instruction its seccomp filter lets
// through) with a forbidden syscall number (ptrace). The filter must kill the whole process
// with SIGSYS: exit status 128+31. The runner passes the gate address (hex) as argv[1], as
// printed by `husk debug gate-address`; the test is skipped when that command fails.
// husk-gate-arg
// expect-status: 159
#include "../guest/t.h"
#include "hostile.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GATE-ADDRESS-IN-HEX\n", argv[0]);
        return 2;
    }
    unsigned long gate = strtoul(argv[1], NULL, 16);
    printf("calling the gate with ptrace\n");
    fflush(stdout);
    long ret = gate_call(gate, SYS_ptrace, -1, 0, 0, 0);
    printf("gate returned %ld: the process was NOT killed\n", ret);
    return 1;
}
