/* lib.h: the freestanding C subset that every part of husk links against (no host libc). */
#ifndef HUSK_LIB_H
#define HUSK_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef int64_t i64;
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef intptr_t iptr;
/* A guest virtual address: never dereferenced by the library OS, only passed to copy_*_guest. */
typedef uintptr_t uptr;
typedef long ssize_t;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define PAGE_SIZE 4096UL

/* string.c: the usual semantics of the C library functions of the same names. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates (when size > 0); returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
size_t strlcat(char *dst, const char *src, size_t size);
char *strdup(const char *s); /* allocates with kmalloc; NULL when out of memory */
char *strndup(const char *s, size_t n);
/* Parses an optional sign and decimal digits (or 0x hex with base 0/16); sets *end. */
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);

/* fmt.c: printf-style formatting. Supports flags "-0 +#", width, precision (also '*'),
 * length modifiers hh h l ll z t j, conversions d i u x X o c s p %. Returns the length the
 * full output would have (like C99 snprintf); never writes more than size bytes. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* alloc.c: the library OS's private heap. Memory comes from a page provider set once at
 * start-up (the platform's anonymous mappings); small sizes are served from size classes.
 * kmalloc returns 16-byte aligned memory or NULL; kfree(NULL) is a no-op. */
typedef void *(*page_alloc_fn)(size_t bytes);
typedef void (*page_free_fn)(void *p, size_t bytes);
void kmem_init(page_alloc_fn alloc, page_free_fn free);
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void *krealloc(void *p, size_t n);
void kfree(void *p);
size_t kmem_in_use(void); /* bytes handed out and not freed, for tests and statistics */

/* The library OS's lock for short critical sections (nothing that sleeps inside). The word
 * may be in memory shared by several processes: 0 free, 1 held, 2 held with sleepers. A
 * contended lock spins briefly, then sleeps in the host (lock_sleep), because on a machine with
 * few cores a spinning waiter would burn the time slice its preempted holder needs. */
typedef struct {
    volatile int v;
} spinlock_t;
/* Host sleep/wake on a lock word; the platform provides them (weak spinning defaults in
 * lock.c serve hosted unit tests). */
void lock_sleep(volatile int *word, int val);
void lock_wake(volatile int *word);
#define LOCK_SPINS 64
static inline void spin_lock(spinlock_t *l)
{
    int c = 0;
    if (__atomic_compare_exchange_n(&l->v, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    for (int i = 0; i < LOCK_SPINS; i++) {
        __builtin_ia32_pause();
        c = 0;
        if (__atomic_load_n(&l->v, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&l->v, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
    }
    while (__atomic_exchange_n(&l->v, 2, __ATOMIC_ACQUIRE) != 0)
        lock_sleep(&l->v, 2);
}
static inline void spin_unlock(spinlock_t *l)
{
    if (__atomic_exchange_n(&l->v, 0, __ATOMIC_RELEASE) == 2)
        lock_wake(&l->v);
}

/* Intrusive doubly linked list. */
struct list {
    struct list *next, *prev;
};
static inline void list_init(struct list *l)
{
    l->next = l->prev = l;
}
static inline bool list_empty(const struct list *l)
{
    return l->next == l;
}
static inline void list_add_tail(struct list *l, struct list *n)
{
    n->prev = l->prev;
    n->next = l;
    l->prev->next = n;
    l->prev = n;
}
static inline void list_del(struct list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}
#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Diagnostics of the library OS itself (not the guest's output): written to the host's stderr
 * through the platform. panic() never returns. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
