// abort() kills the program with SIGABRT (status 128+6), even with SIGABRT blocked.
// expect-status: 134
#include "t.h"
#include <signal.h>

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("aborting\n");
    abort();
}
