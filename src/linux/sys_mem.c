/* sys_mem.c: the guest's memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise,
 * msync. Guest memory lives in the same host address space as the library OS, so every
 * request that names an address is first checked against the library OS's own ranges. */
#include "linux.h"

#define PROT_MASK 7
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP 0x02000000
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_32BIT 0x40
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_SYNC 0x80000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_KNOWN                                                                              \
    (MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN | MAP_DENYWRITE |       \
     MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK |   \
     MAP_FIXED_NOREPLACE)
#define TASK_SIZE 0x7ffffffff000UL /* Linux's user address limit with 4-level paging */

/* Whether a guest range would touch the library OS's own memory. */
static bool libos_range(uptr a, size_t len)
{
    return arena_overlaps(a, len) || plat_image_overlaps(a, len);
}

static bool range_ok(uptr a, size_t len)
{
    return a < TASK_SIZE && len <= TASK_SIZE - a;
}

/* Copies a file's bytes into fresh anonymous memory: the mapping of files that no host
 * descriptor backs (tmpfs, devices). */
static long map_by_copy(struct file *f, uptr addr, size_t len, int prot, int pflags, i64 off)
{
    uptr at;
    int err = plat_mem_map(addr, len, PLAT_PROT_READ | PLAT_PROT_WRITE,
                           pflags & ~PLAT_MAP_SHARED, &at);
    if (err)
        return err;
    size_t done = 0;
    while (done < len && f->ops->read) {
        long n = f->ops->read(f, at + done, len - done, off + (i64)done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if ((prot & PROT_MASK) != (PLAT_PROT_READ | PLAT_PROT_WRITE))
        plat_mem_protect(at, len, prot & PROT_MASK);
    return (long)at;
}

long sys_mmap(uptr addr, size_t len, int prot, int flags, int fd, i64 off)
{
    if (!len)
        return -EINVAL;
    if (off & (PAGE_SIZE - 1))
        return -EINVAL;
    int type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (type == MAP_SHARED_VALIDATE && (flags & ~(MAP_KNOWN | MAP_SYNC)))
        return -EOPNOTSUPP;
    if (flags & MAP_HUGETLB)
        return -EINVAL;
    if (prot & ~(PROT_MASK | PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    size_t alen = ALIGN_UP(len, PAGE_SIZE);
    if (alen < len || alen > TASK_SIZE)
        return -ENOMEM;
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed && ((addr & (PAGE_SIZE - 1)) || !range_ok(addr, alen)))
        return (addr & (PAGE_SIZE - 1)) ? -EINVAL : -ENOMEM;
    if (fixed && libos_range(addr, alen))
        return (flags & MAP_FIXED_NOREPLACE) ? -EEXIST : -ENOMEM;
    if (!fixed && (addr & (PAGE_SIZE - 1)))
        addr = ALIGN_DOWN(addr, PAGE_SIZE);
    if (!fixed && (!range_ok(addr, alen) || libos_range(addr, alen)))
        addr = 0; /* a hint the host may not honour anyway */
    int pflags = (flags & MAP_FIXED)             ? PLAT_MAP_FIXED
                 : (flags & MAP_FIXED_NOREPLACE) ? PLAT_MAP_NOREPLACE
                                                 : 0;
    if (type != MAP_PRIVATE)
        pflags |= PLAT_MAP_SHARED;
    if (flags & MAP_POPULATE)
        pflags |= PLAT_MAP_POPULATE;
    uptr at;
    if (flags & MAP_ANONYMOUS) {
        int err = plat_mem_map(addr, alen, prot & PROT_MASK, pflags, &at);
        return err ? err : (long)at;
    }
    struct file *f = fd_get(&current()->proc->fds, fd);
    if (!f)
        return -EBADF;
    long r;
    u32 acc = f->flags & O_ACCMODE;
    if ((f->flags & O_PATH) || acc == O_WRONLY) {
        r = -EACCES;
    } else if (type != MAP_PRIVATE && (prot & PLAT_PROT_WRITE) && acc != O_RDWR) {
        r = -EACCES;
    } else if (f->vnode && S_ISDIR(f->vnode->type)) {
        r = -ENODEV;
    } else if (!f->vnode && !f->ops->map_handle) {
        r = -ENODEV; /* pipes and the console cannot be mapped */
    } else {
        int hf = f->ops->map_handle ? f->ops->map_handle(f) : -ENODEV;
        if (hf >= 0) {
            int err = plat_mem_map_file(addr, alen, prot & PROT_MASK, pflags, hf, (u64)off, &at);
            r = err ? err : (long)at;
        } else {
            r = map_by_copy(f, addr, alen, prot, pflags, off);
        }
    }
    file_put(f);
    return r;
}

long sys_munmap(uptr addr, size_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || !len)
        return -EINVAL;
    size_t alen = ALIGN_UP(len, PAGE_SIZE);
    if (!range_ok(addr, alen))
        return -EINVAL;
    if (libos_range(addr, alen))
        return -EINVAL;
    return plat_mem_unmap(addr, alen);
}

long sys_mprotect(uptr addr, size_t len, int prot)
{
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    if (prot & ~(PROT_MASK | PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    size_t alen = ALIGN_UP(len, PAGE_SIZE);
    if (!alen)
        return 0;
    if (!range_ok(addr, alen) || libos_range(addr, alen))
        return -ENOMEM;
    return plat_mem_protect(addr, alen, prot & PROT_MASK);
}

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4

long sys_mremap(uptr old, size_t old_len, size_t new_len, int flags, uptr new_addr)
{
    if (old & (PAGE_SIZE - 1))
        return -EINVAL;
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    if (!new_len)
        return -EINVAL;
    if (!range_ok(old, old_len) || libos_range(old, old_len ? old_len : PAGE_SIZE))
        return -EFAULT;
    if ((flags & MREMAP_FIXED) &&
        (!range_ok(new_addr, new_len) || libos_range(new_addr, new_len)))
        return -EINVAL;
    uptr at;
    int err = plat_mem_remap(old, old_len, new_len, flags, new_addr, &at);
    if (!err && libos_range(at, new_len))
        panic("host placed a guest mapping in the library OS's memory");
    return err ? err : (long)at;
}

#define MADV_NORMAL 0
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9

long sys_madvise(uptr addr, size_t len, int advice)
{
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    size_t alen = ALIGN_UP(len, PAGE_SIZE);
    if (!range_ok(addr, alen))
        return -EINVAL;
    if (!alen)
        return 0;
    if (libos_range(addr, alen))
        return -EINVAL;
    switch (advice) {
    case MADV_DONTNEED:
    case MADV_FREE:
        /* Both change what the guest reads afterwards (zeroes): the host must act. */
    case 0: case 1: case 2: case 3: /* NORMAL RANDOM SEQUENTIAL WILLNEED */
    case 10: case 11: case 12: case 13: /* DONTFORK DOFORK MERGEABLE UNMERGEABLE */
    case 14: case 15: case 16: case 17: case 18: case 19: case 20: case 21:
        /* The host checks the range too (ENOMEM for unmapped pages, as the guest expects). */
        return plat_mem_advise(addr, alen, advice);
    case MADV_REMOVE:
        return -EOPNOTSUPP;
    }
    return -EINVAL;
}

long sys_msync(uptr addr, size_t len, int flags)
{
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    if (flags & ~7 || ((flags & 1) && (flags & 4))) /* MS_ASYNC|MS_INVALIDATE|MS_SYNC */
        return -EINVAL;
    size_t alen = ALIGN_UP(len, PAGE_SIZE);
    if (!range_ok(addr, alen))
        return -ENOMEM;
    if (!alen)
        return 0;
    return plat_mem_sync(addr, alen, flags);
}

long sys_brk(uptr want)
{
    struct mm *mm = &current()->proc->mm;
    if (want < mm->brk_start)
        return (long)mm->brk_cur;
    uptr need = ALIGN_UP(want, PAGE_SIZE);
    if (need > mm->brk_mapped) {
        uptr at;
        size_t grow = need - mm->brk_mapped;
        if (!range_ok(mm->brk_mapped, grow) || libos_range(mm->brk_mapped, grow))
            return (long)mm->brk_cur;
        if (plat_mem_map(mm->brk_mapped, grow, PLAT_PROT_READ | PLAT_PROT_WRITE,
                         PLAT_MAP_NOREPLACE, &at))
            return (long)mm->brk_cur;
        mm->brk_mapped = need;
    } else if (need < mm->brk_mapped) {
        plat_mem_unmap(need, mm->brk_mapped - need);
        mm->brk_mapped = need;
    }
    mm->brk_cur = want;
    return (long)want;
}

/* mincore: which pages are resident. The sandbox reports every mapped page resident (what a
 * program asking before a read or a copy wants to know) and ENOMEM for a range with unmapped
 * pages, as Linux does; madvise(MADV_NORMAL) is the probe, since it fails on exactly those. */
long sys_mincore(uptr addr, size_t len, uptr vec)
{
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    size_t alen = ALIGN_UP(len, PAGE_SIZE);
    if (!range_ok(addr, alen))
        return -ENOMEM;
    if (!alen)
        return 0;
    int err = plat_mem_advise(addr, alen, MADV_NORMAL);
    if (err)
        return err;
    u8 ones[256];
    memset(ones, 1, sizeof(ones));
    for (size_t done = 0, pages = alen / PAGE_SIZE; done < pages;) {
        size_t n = MIN(pages - done, sizeof(ones));
        if (copy_to_guest(vec + done, ones, n))
            return -EFAULT;
        done += n;
    }
    return 0;
}
