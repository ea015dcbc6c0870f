/* arena.c: the library OS's own memory, in two host reservations. The shared arena holds every
 * kernel object (the kmalloc heap): it is mapped MAP_SHARED before the first process starts,
 * so after a host fork it is the same memory, at the same address, in every process of the
 * sandbox. The private arena holds what each host process must own: the stacks trap handlers
 * run on. Keeping both in known ranges lets the core refuse guest memory calls that would touch
 * them. */
#include "task.h"
#include "../platform/platform.h"

/* Freed runs of the shared arena, first fit; each run's first words hold its size and the next. */
struct run {
    size_t bytes;
    struct run *next;
};

/* The shared arena's own bookkeeping sits in its first page, shared like the rest. */
struct arena {
    spinlock_t lock;
    uptr bump, end;
    struct run *free_runs;
};

static struct arena *shared;   /* set before the first fork: the same pointer everywhere */
static uptr shared_start, shared_end;
static uptr private_start, private_end, private_bump; /* per process after fork (COW) */

int arena_init(size_t shared_size, size_t private_size)
{
    uptr a, b;
    int err = plat_mem_map(0, shared_size, PLAT_PROT_READ | PLAT_PROT_WRITE, PLAT_MAP_SHARED, &a);
    if (err)
        return err;
    err = plat_mem_map(0, private_size, PLAT_PROT_READ | PLAT_PROT_WRITE, 0, &b);
    if (err)
        return err;
    shared_start = a;
    shared_end = a + shared_size;
    shared = (struct arena *)a;
    shared->bump = a + PAGE_SIZE;
    shared->end = shared_end;
    private_start = private_bump = b;
    private_end = b + private_size;
    return 0;
}

bool arena_overlaps(uptr start, size_t len)
{
    return (start < shared_end && start + len > shared_start) ||
           (start < private_end && start + len > private_start);
}

void *arena_pages(size_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    spin_lock(&shared->lock);
    void *p = NULL;
    for (struct run **pp = &shared->free_runs; *pp; pp = &(*pp)->next) {
        struct run *r = *pp;
        if (r->bytes < bytes)
            continue;
        if (r->bytes == bytes) {
            *pp = r->next;
        } else {
            struct run *rest = (struct run *)((char *)r + bytes);
            rest->bytes = r->bytes - bytes;
            rest->next = r->next;
            *pp = rest;
        }
        p = r;
        memset(p, 0, sizeof(struct run));
        break;
    }
    if (!p && shared->end - shared->bump >= bytes) {
        p = (void *)shared->bump;
        shared->bump += bytes;
    }
    spin_unlock(&shared->lock);
    return p;
}

void arena_free_pages(void *p, size_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    /* Give large runs' memory back to the host; the range stays reserved. */
    if (bytes >= 16 * PAGE_SIZE)
        plat_mem_advise((uptr)p + PAGE_SIZE, bytes - PAGE_SIZE, 4 /* MADV_DONTNEED */);
    struct run *r = p;
    spin_lock(&shared->lock);
    r->bytes = bytes;
    r->next = shared->free_runs;
    shared->free_runs = r;
    spin_unlock(&shared->lock);
}

void *arena_private(size_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    if (private_end - private_bump < bytes)
        return NULL;
    void *p = (void *)private_bump;
    private_bump += bytes;
    return p;
}

void arena_ranges(uptr r[4])
{
    r[0] = shared_start;
    r[1] = shared_end;
    r[2] = private_start;
    r[3] = private_end;
}
