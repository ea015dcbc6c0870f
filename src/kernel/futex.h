/* futex.h: futexes on guest memory (addresses are guest addresses). */
#ifndef HUSK_KERNEL_FUTEX_H
#define HUSK_KERNEL_FUTEX_H

#include "task.h"

#define FUTEX_BITSET_ANY 0xffffffffU

void futex_init(void);
/* Sleeps while *addr == val: 0 when woken, -EAGAIN if the word differs, -ETIMEDOUT, -EINTR,
 * -EFAULT. */
int futex_wait(uptr addr, u32 val, u32 bitset, i64 timeout_ns, bool shared);
/* Wakes up to n waiters on addr whose bitset meets bitset; returns how many. */
int futex_wake(uptr addr, u32 bitset, int n, bool shared);
/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes nwake, moves up to nmove to addr2; returns the
 * number woken plus moved. */
int futex_requeue(uptr addr, uptr addr2, int nwake, int nmove, bool check, u32 val,
                  bool shared);

#endif
