/* unit.h: what the hosted unit tests share: the check macros and counters, the per-group and
 * final reports, and the platform stubs that are the same in several tests. */
/* Included by each tests/unit/test_*.c once, after husk_rename.h and the husk headers it tests:
 * it undoes the renames (so that plain names below are the host's and husk_ names are the code
 * under test), then defines the checks. Before including it, a test may set:
 *   UNIT_GROUP_WIDTH   the width of the group name in group_end's lines (default 9)
 *   UNIT_STUB_GUEST    copy_from_guest, copy_to_guest, clear_guest as plain memcpy/memset
 *   UNIT_STUB_CLOCK    plat_clock_get at a fixed 1000000 s
 *   UNIT_STUB_CHRDEV   chrdev_open failing with ENXIO (devfs.c not linked)
 *   UNIT_STUB_PANIC    husk_panic printing "unexpected panic: ..." and aborting
 *   UNIT_STUB_PAGES    test_page_alloc/test_page_free, a page provider on host mmap
 *   UNIT_STUB_HOST_HEAP  under -DTEST_HOST_HEAP, the heap interface on the host's malloc
 * husk_kprintf (to stderr) is always defined. */
#ifndef HUSK_UNIT_H
#define HUSK_UNIT_H

#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strlcpy
#undef strlcat
#undef strdup
#undef strndup
#undef strtol
#undef strtoul
#undef vsnprintf
#undef snprintf
#undef kprintf
#undef panic

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- Checks and reports ---- */

static int passed, failed;         /* over the whole run */
static int group_pass, group_fail; /* in the current group */

/* CHECK_AT reports the line of the test that called a checking helper. */
#define CHECK_AT(line, cond, ...)                                                                  \
    do {                                                                                           \
        if (cond) {                                                                                \
            group_pass++;                                                                          \
        } else {                                                                                   \
            group_fail++;                                                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, line);                                       \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)
#define CHECK(cond, ...) CHECK_AT(__LINE__, cond, __VA_ARGS__)

#ifndef UNIT_GROUP_WIDTH
#define UNIT_GROUP_WIDTH 9
#endif

/* Reports the current group and adds its counts to the run's. */
static void group_end(const char *name)
{
    if (group_fail)
        printf("%-*s FAILED: %d of %d checks\n", UNIT_GROUP_WIDTH, name, group_fail,
               group_pass + group_fail);
    else
        printf("%-*s ok: %d checks\n", UNIT_GROUP_WIDTH, name, group_pass);
    passed += group_pass;
    failed += group_fail;
    group_pass = group_fail = 0;
}

/* The final line of the run; returns main's exit status. */
static int unit_summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

/* ---- Stubs for what the platform and the rest of the core provide in husk ---- */

void husk_kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

#ifdef UNIT_STUB_PANIC
_Noreturn void husk_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "unexpected panic: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    abort();
}
#endif

#ifdef UNIT_STUB_GUEST
/* Guest memory is this process's memory. */
int copy_from_guest(void *dst, uptr src, size_t n)
{
    memcpy(dst, (const void *)src, n);
    return 0;
}

int copy_to_guest(uptr dst, const void *src, size_t n)
{
    memcpy((void *)dst, src, n);
    return 0;
}

int clear_guest(uptr dst, size_t n)
{
    memset((void *)dst, 0, n);
    return 0;
}
#endif

#ifdef UNIT_STUB_CLOCK
int plat_clock_get(int clock, i64 *sec, long *nsec)
{
    (void)clock;
    *sec = 1000000;
    *nsec = 0;
    return 0;
}
#endif

#ifdef UNIT_STUB_CHRDEV
/* devfs.c is not linked: no device node is opened here. */
int chrdev_open(u64 rdev, struct file *f)
{
    (void)rdev, (void)f;
    return -ENXIO;
}
#endif

#if defined(UNIT_STUB_HOST_HEAP) && defined(TEST_HOST_HEAP)
/* The heap interface on the host's malloc, for the second build of a test: husk's slab heap
 * hides each object inside its chunks, while here ASan sees the bounds and lifetime of every
 * buffer the code under test allocates. A 16-byte header keeps the size for kmem_in_use and
 * krealloc. */
static size_t host_in_use;

void *kmalloc(size_t n)
{
    size_t *h = malloc(n + 16);
    if (!h)
        return NULL;
    *h = n;
    __atomic_add_fetch(&host_in_use, n, __ATOMIC_RELAXED);
    return (char *)h + 16;
}

void *kzalloc(size_t n)
{
    void *p = kmalloc(n);
    return p ? memset(p, 0, n) : NULL;
}

void kfree(void *p)
{
    if (!p)
        return;
    size_t *h = (size_t *)((char *)p - 16);
    __atomic_sub_fetch(&host_in_use, *h, __ATOMIC_RELAXED);
    free(h);
}

void *krealloc(void *p, size_t n)
{
    if (!p)
        return kmalloc(n);
    size_t old = *(size_t *)((char *)p - 16);
    void *q = kmalloc(n);
    if (q) {
        memcpy(q, p, old < n ? old : n);
        kfree(p);
    }
    return q;
}

size_t kmem_in_use(void)
{
    return __atomic_load_n(&host_in_use, __ATOMIC_RELAXED);
}

void kmem_init(page_alloc_fn alloc, page_free_fn free)
{
    (void)alloc, (void)free;
}
#endif

#ifdef UNIT_STUB_PAGES
/* The heap's page provider, on host mmap. */
static void *test_page_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void test_page_free(void *p, size_t bytes)
{
    munmap(p, bytes);
}
#endif

#endif
