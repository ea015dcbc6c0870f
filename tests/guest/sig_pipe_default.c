// Writing to a pipe with no reader, SIGPIPE not ignored: killed by SIGPIPE (128+13).
// expect-status: 141
#include "t.h"

int main(void)
{
    int p[2];
    if (pipe(p) != 0)
        return 2;
    close(p[0]);
    printf("writing to a pipe without reader\n");
    ssize_t r = write(p[1], "x", 1);
    printf("not reached (%ld)\n", (long)r);
    return 0;
}
