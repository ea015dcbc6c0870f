/* arena.c: the library OS's private memory: one host reservation, carved into page runs for
 * the heap allocator. Keeping it in one range lets the core refuse guest mmap/munmap/mprotect
 * calls that would touch the library OS's own memory. */
#include "task.h"
#include "../platform/platform.h"

static uptr arena_start, arena_end, arena_bump;
static spinlock_t arena_lock;

/* Freed runs, first fit; each run's first words hold its size and the next run. */
struct run {
    size_t bytes;
    struct run *next;
};
static struct run *free_runs;

int arena_init(size_t size)
{
    uptr a;
    int err = plat_mem_map(0, size, PLAT_PROT_READ | PLAT_PROT_WRITE, 0, &a);
    if (err)
        return err;
    arena_start = arena_bump = a;
    arena_end = a + size;
    return 0;
}

bool arena_overlaps(uptr start, size_t len)
{
    return start < arena_end && start + len > arena_start;
}

void *arena_pages(size_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    spin_lock(&arena_lock);
    void *p = NULL;
    for (struct run **pp = &free_runs; *pp; pp = &(*pp)->next) {
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
    if (!p && arena_end - arena_bump >= bytes) {
        p = (void *)arena_bump;
        arena_bump += bytes;
    }
    spin_unlock(&arena_lock);
    return p;
}

void arena_free_pages(void *p, size_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    /* Give large runs' memory back to the host; the range stays reserved. */
    if (bytes >= 16 * PAGE_SIZE)
        plat_mem_advise((uptr)p + PAGE_SIZE, bytes - PAGE_SIZE, 4 /* MADV_DONTNEED */);
    struct run *r = p;
    spin_lock(&arena_lock);
    r->bytes = bytes;
    r->next = free_runs;
    free_runs = r;
    spin_unlock(&arena_lock);
}
