/* lock.c: default sleep and wake for contended locks (see spin_lock in lib.h). The platform
 * overrides these with host futexes; these weak versions only yield the CPU, for hosted unit
 * tests that link the library without a platform. */
#include "lib.h"

__attribute__((weak)) void lock_sleep(volatile int *word, int val)
{
    for (int i = 0; i < 100 && __atomic_load_n(word, __ATOMIC_RELAXED) == val; i++)
        __builtin_ia32_pause();
}

__attribute__((weak)) void lock_wake(volatile int *word)
{
    (void)word;
}
