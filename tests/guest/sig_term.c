// raise(SIGTERM) with the default action kills the program: status 128+15.
// expect-status: 143
#include "t.h"
#include <signal.h>

int main(void)
{
    printf("raising SIGTERM\n");
    raise(SIGTERM);
    printf("not reached\n");
    return 0;
}
