/* mem.c: host memory for the library OS and its guest (mmap family), and fault-safe copies
 * between library-OS memory and guest memory. */
#include "host.h"

/* The highest user address on x86-64 with 4-level paging (47 bits). */
#define USER_END 0x800000000000UL

static int to_host_prot(int prot)
{
    return prot & 7; /* PLAT_PROT_* equal PROT_* by construction */
}

static long map(uptr addr, size_t len, int prot, int flags, int fd, u64 off)
{
    int hf = (flags & PLAT_MAP_SHARED) ? H_MAP_SHARED : H_MAP_PRIVATE;
    if (fd < 0)
        hf |= H_MAP_ANONYMOUS | H_MAP_NORESERVE;
    if (flags & PLAT_MAP_FIXED)
        hf |= H_MAP_FIXED;
    else if (flags & PLAT_MAP_NOREPLACE)
        hf |= H_MAP_FIXED_NOREPLACE;
    if (flags & PLAT_MAP_POPULATE)
        hf |= H_MAP_POPULATE;
    return host_syscall6(HNR_mmap, (long)addr, (long)len, to_host_prot(prot), hf, fd, (long)off);
}

int plat_mem_map(uptr addr, size_t len, int prot, int flags, uptr *out)
{
    long r = map(addr, len, prot, flags, -1, 0);
    if (r < 0 && r > -4096)
        return (int)r;
    /* Old kernels ignore FIXED_NOREPLACE and treat it as a hint; never accept another place. */
    if ((flags & PLAT_MAP_NOREPLACE) && (uptr)r != addr) {
        plat_mem_unmap((uptr)r, len);
        return -17; /* EEXIST */
    }
    *out = (uptr)r;
    return 0;
}

int plat_mem_map_file(uptr addr, size_t len, int prot, int flags, int hf, u64 off, uptr *out)
{
    long r = map(addr, len, prot, flags, hf, off);
    if (r < 0 && r > -4096)
        return (int)r;
    *out = (uptr)r;
    return 0;
}

int plat_mem_unmap(uptr addr, size_t len)
{
    return (int)hsys2(HNR_munmap, (long)addr, (long)len);
}

int plat_mem_protect(uptr addr, size_t len, int prot)
{
    return (int)hsys3(HNR_mprotect, (long)addr, (long)len, to_host_prot(prot));
}

int plat_mem_remap(uptr old, size_t old_len, size_t new_len, int flags, uptr new_addr, uptr *out)
{
    long r = host_syscall6(HNR_mremap, (long)old, (long)old_len, (long)new_len, flags,
                           (long)new_addr, 0);
    if (r < 0 && r > -4096)
        return (int)r;
    *out = (uptr)r;
    return 0;
}

int plat_mem_advise(uptr addr, size_t len, int advice)
{
    return (int)hsys3(HNR_madvise, (long)addr, (long)len, advice);
}

int plat_mem_sync(uptr addr, size_t len, int flags)
{
    return (int)hsys3(HNR_msync, (long)addr, (long)len, flags);
}

/* gate.S: copy routines whose faults are turned into -EFAULT by trap_fixup_copy. */
long guest_copy(void *dst, const void *src, size_t n);
long guest_strcpy(char *dst, const char *src, size_t max);
long guest_clear(void *dst, size_t n);
long guest_cas32(u32 *addr, u32 *expected, u32 desired);
extern char guest_copy_begin[], guest_copy_end[], guest_strcpy_begin[], guest_strcpy_end[],
    guest_clear_begin[], guest_clear_end[], guest_cas32_begin[], guest_cas32_end[],
    guest_cas32_fault[];

bool trap_fixup_copy(struct cpu_regs *r)
{
    static const struct {
        char *begin, *end;
    } ranges[] = {
        {guest_copy_begin, guest_copy_end},
        {guest_strcpy_begin, guest_strcpy_end},
        {guest_clear_begin, guest_clear_end},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
        if (r->rip >= (uptr)ranges[i].begin && r->rip < (uptr)ranges[i].end) {
            r->rip = (uptr)ranges[i].end; /* the -EFAULT return of that routine */
            return true;
        }
    if (r->rip >= (uptr)guest_cas32_begin && r->rip < (uptr)guest_cas32_end) {
        r->rip = (uptr)guest_cas32_fault;
        return true;
    }
    return false;
}

/* A guest range must lie wholly in user space; wrap-around is a bad address too. */
static bool guest_range_ok(uptr a, size_t n)
{
    return a + n >= a && a + n <= USER_END;
}

int copy_from_guest(void *dst, uptr src, size_t n)
{
    if (!guest_range_ok(src, n))
        return -14;
    return (int)guest_copy(dst, (const void *)src, n);
}

int copy_to_guest(uptr dst, const void *src, size_t n)
{
    if (!guest_range_ok(dst, n))
        return -14;
    return (int)guest_copy((void *)dst, src, n);
}

int clear_guest(uptr dst, size_t n)
{
    if (!guest_range_ok(dst, n))
        return -14;
    return (int)guest_clear((void *)dst, n);
}

long copy_str_from_guest(char *dst, uptr src, size_t max)
{
    if (src >= USER_END)
        return -14;
    if (max > USER_END - src)
        max = USER_END - src;
    long n = guest_strcpy(dst, (const char *)src, max);
    if (n < 0)
        return n;
    if ((size_t)n == max)
        return -36; /* ENAMETOOLONG */
    return n;
}

int cas_guest_u32(uptr addr, u32 *expected, u32 desired)
{
    if ((addr & 3) || !guest_range_ok(addr, 4))
        return -14;
    return (int)guest_cas32((u32 *)addr, expected, desired);
}
