// A null-pointer write with no SIGSEGV handler kills the program: status 128+11.
// expect-status: 139
#include "t.h"

int main(void)
{
    printf("before the fault\n");
    volatile int *p = NULL;
    *p = 1;
    printf("not reached\n");
    return 0;
}
