// Acts as a library OS taken over by its guest: calls husk's host gate directly with openat2
// of the host's proc/1/environ beneath every descriptor husk could hold (0..63). openat2 is
// on the allowlist, so only Landlock stands in the way: every call must fail, and none may
// return a descriptor. The runner passes the gate address (hex) as argv[1].
// husk-gate-arg
// expect-stdout: all 64 openat2 calls from the gate were refused
#include "../guest/t.h"
#include "hostile.h"
#include <linux/openat2.h>

static long gate_openat2(unsigned long gate, int dirfd, const char *path, struct open_how *how)
{
    return gate_call(gate, SYS_openat2, dirfd, (long)path, (long)how, sizeof(*how));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GATE-ADDRESS-IN-HEX\n", argv[0]);
        return 2;
    }
    unsigned long gate = strtoul(argv[1], NULL, 16);
    int opened = 0;
    for (int fd = 0; fd < 64; fd++) {
        struct open_how how = {.flags = O_RDONLY};
        long r = gate_openat2(gate, fd, "proc/1/environ", &how);
        if (r >= 0) {
            printf("fd %d: openat2 succeeded (%ld): the host's /proc is reachable\n", fd, r);
            opened++;
        }
        how.flags = O_RDONLY;
        r = gate_openat2(gate, fd, "../../../../../../proc/1/environ", &how);
        if (r >= 0) {
            printf("fd %d: openat2 through .. succeeded (%ld)\n", fd, r);
            opened++;
        }
    }
    if (!opened)
        printf("all 64 openat2 calls from the gate were refused\n");
    return 0;
}
