/* alloc.c: the library OS's heap: size-class slabs for small blocks, whole mappings for big. */
#include "lib.h"

/* Every block, small or large, is preceded by this 16-byte header, which keeps payloads
 * 16-byte aligned and lets kfree and krealloc find the size. check binds the header to its
 * address, its info and its state, so that a double free, a free of a pointer kmalloc never
 * returned, or a header overwritten by an overflow is caught instead of corrupting the heap-> */
struct blk_hdr {
    u64 check;
    u64 info; /* small: class index (< NCLASS); large: bytes of the whole region */
};
#define HDR sizeof(struct blk_hdr)
#define MAGIC_LIVE 0x6b6d616c6c6f6321ULL
#define MAGIC_FREE 0x6b667265656421a5ULL

#define NCLASS 8 /* payloads of 16, 32, ..., 2048 bytes */
#define MIN_SHIFT 4
#define MAX_SMALL ((size_t)16 << (NCLASS - 1))
#define CHUNK_SIZE (64 * 1024)

/* A free small block keeps its header (marked free) and uses its payload for the link. */
struct free_blk {
    struct free_blk *next;
};

/* Per class: a free list, then the untouched rest of the newest chunk, carved on demand so
 * that a fresh chunk's pages are only touched when used. */
struct size_class {
    struct free_blk *free;
    char *bump;
    size_t bump_left;
};

struct heap_state {
    spinlock_t lock;
    struct size_class cls[NCLASS];
    page_alloc_fn page_alloc;
    page_free_fn page_free;
    size_t in_use; /* atomic: large blocks are counted outside the lock */
};

/* The state lives in the provider's own first pages, so that when the provider hands out
 * memory shared between processes, the heap's bookkeeping is shared with it. */
static struct heap_state *heap;

static u64 hdr_check(const struct blk_hdr *h, u64 magic)
{
    return magic ^ (u64)(uptr)h ^ (h->info * 0x9e3779b97f4a7c15ULL);
}

static size_t class_size(unsigned c)
{
    return (size_t)1 << (c + MIN_SHIFT);
}

static unsigned class_of(size_t n)
{
    if (n <= class_size(0))
        return 0;
    return (unsigned)(64 - __builtin_clzl(n - 1)) - MIN_SHIFT;
}

/* The usable bytes of a live block (also what kmem_in_use counts for it). */
static size_t blk_usable(const struct blk_hdr *h)
{
    return h->info < NCLASS ? class_size((unsigned)h->info) : h->info - HDR;
}

void kmem_init(page_alloc_fn alloc, page_free_fn free)
{
    heap = alloc(ALIGN_UP(sizeof(*heap), PAGE_SIZE));
    if (!heap)
        panic("kmem_init: no memory for the heap's state");
    memset(heap, 0, sizeof(*heap));
    heap->page_alloc = alloc;
    heap->page_free = free;
}

static void *alloc_small(unsigned c)
{
    struct size_class *sc = &heap->cls[c];
    size_t slot = HDR + class_size(c);
    struct blk_hdr *h;

    spin_lock(&heap->lock);
    if (sc->free) {
        h = (struct blk_hdr *)sc->free - 1;
        if (h->check != hdr_check(h, MAGIC_FREE) || h->info != c) {
            spin_unlock(&heap->lock);
            panic("kmalloc: free list of class %u corrupted at %p", c, (void *)h);
        }
        sc->free = sc->free->next;
    } else {
        if (sc->bump_left < slot) {
            /* Not under the lock: the provider may be slow (a host call) or use locks. */
            spin_unlock(&heap->lock);
            char *chunk = heap->page_alloc ? heap->page_alloc(CHUNK_SIZE) : NULL;
            if (!chunk)
                return NULL;
            spin_lock(&heap->lock);
            if (sc->bump_left >= slot) {
                /* Another thread refilled the class meanwhile; give this chunk back. */
                spin_unlock(&heap->lock);
                heap->page_free(chunk, CHUNK_SIZE);
                return alloc_small(c);
            }
            sc->bump = chunk;
            sc->bump_left = CHUNK_SIZE;
        }
        h = (struct blk_hdr *)sc->bump;
        sc->bump += slot;
        sc->bump_left -= slot;
        h->info = c;
    }
    h->check = hdr_check(h, MAGIC_LIVE);
    __atomic_add_fetch(&heap->in_use, class_size(c), __ATOMIC_RELAXED);
    spin_unlock(&heap->lock);
    return h + 1;
}

static void *alloc_large(size_t n)
{
    if (n > (size_t)-1 - HDR - PAGE_SIZE || !heap->page_alloc)
        return NULL;
    size_t bytes = ALIGN_UP(n + HDR, PAGE_SIZE);
    /* The provider hands out whole pages, so the payload after the header is 16-aligned. */
    struct blk_hdr *h = heap->page_alloc(bytes);
    if (!h)
        return NULL;
    h->info = bytes;
    h->check = hdr_check(h, MAGIC_LIVE);
    __atomic_add_fetch(&heap->in_use, bytes - HDR, __ATOMIC_RELAXED);
    return h + 1;
}

void *kmalloc(size_t n)
{
    return n <= MAX_SMALL ? alloc_small(class_of(n)) : alloc_large(n);
}

void *kzalloc(size_t n)
{
    void *p = kmalloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

static bool is_live(const struct blk_hdr *h)
{
    return h->check == hdr_check(h, MAGIC_LIVE);
}

_Noreturn static void bad_block(const char *who, void *p)
{
    panic("%s: %p is not a live heap block (double free or corruption)", who, p);
}

void kfree(void *p)
{
    if (!p)
        return;
    if ((uptr)p & 15)
        bad_block("kfree", p);
    struct blk_hdr *h = (struct blk_hdr *)p - 1;

    if (h->info >= NCLASS) {
        if (!is_live(h))
            bad_block("kfree", p);
        size_t bytes = h->info;
        h->check = 0;
        __atomic_sub_fetch(&heap->in_use, bytes - HDR, __ATOMIC_RELAXED);
        heap->page_free(h, bytes);
        return;
    }
    /* Checked and marked free under the lock, so that of two racing frees of one block only
     * one can pass the check. */
    spin_lock(&heap->lock);
    if (!is_live(h)) {
        spin_unlock(&heap->lock);
        bad_block("kfree", p);
    }
    unsigned c = (unsigned)h->info;
    struct free_blk *f = p;
    h->check = hdr_check(h, MAGIC_FREE);
    f->next = heap->cls[c].free;
    heap->cls[c].free = f;
    __atomic_sub_fetch(&heap->in_use, class_size(c), __ATOMIC_RELAXED);
    spin_unlock(&heap->lock);
}

/* Whether a live block would have been given for a request of n bytes as well. */
static bool fits_exactly(const struct blk_hdr *h, size_t n)
{
    if (h->info < NCLASS)
        return n <= MAX_SMALL && class_of(n) == h->info;
    return n > MAX_SMALL && n <= (size_t)-1 - HDR - PAGE_SIZE &&
           ALIGN_UP(n + HDR, PAGE_SIZE) == h->info;
}

void *krealloc(void *p, size_t n)
{
    if (!p)
        return kmalloc(n);
    struct blk_hdr *h = (struct blk_hdr *)p - 1;
    if (((uptr)p & 15) || !is_live(h))
        bad_block("krealloc", p);
    if (fits_exactly(h, n))
        return p;
    void *q = kmalloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, MIN(n, blk_usable(h)));
    kfree(p);
    return q;
}

size_t kmem_in_use(void)
{
    return __atomic_load_n(&heap->in_use, __ATOMIC_RELAXED);
}
