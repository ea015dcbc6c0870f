// Memory: brk, mmap (anonymous private/shared, file private/shared, MAP_FIXED,
// MAP_FIXED_NOREPLACE), munmap, mprotect (faults caught by a SIGSEGV handler that
// siglongjmps out), mremap (grow, move, no-move failure), madvise(MADV_DONTNEED), msync,
// SIGBUS past the end of a mapped file, and error paths.
#include "t.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static long pg; /* page size */
static sigjmp_buf jb;
static volatile sig_atomic_t got_sig, got_code;
static void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(jb, 1);
}

/* Writes one byte at p; returns 0, or the signal the write raised. */
static int try_write(void *p)
{
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        *(volatile char *)p = 1;
    return got_sig;
}

/* Reads one byte at p; returns 0, or the signal the read raised. */
static int try_read(void *p)
{
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        (void)*(volatile char *)p;
    return got_sig;
}

static int all_bytes(const char *p, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static void *map_anon(size_t len)
{
    return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int main(void)
{
    pg = sysconf(_SC_PAGESIZE);
    CHECK_EQ("page size", pg, 4096);
    struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    /* --- brk --- */
    long cur = syscall(SYS_brk, 0);
    CHECK("brk(0) returns break", cur > 0);
    CHECK_EQ("brk grow", syscall(SYS_brk, cur + 65536), cur + 65536);
    CHECK_EQ("brk(0) after grow", syscall(SYS_brk, 0), cur + 65536);
    memset((char *)cur, 0x5a, 65536);
    CHECK("brk memory writable", all_bytes((char *)cur, 65536, 0x5a));
    CHECK_EQ("brk shrink", syscall(SYS_brk, cur), cur);
    CHECK_EQ("brk below start fails (returns current)", syscall(SYS_brk, 4096), cur);
    CHECK_EQ("brk regrow", syscall(SYS_brk, cur + 8192), cur + 8192);
    CHECK("regrown brk is zeroed", all_bytes((char *)cur, 8192, 0));
    CHECK_EQ("brk shrink again", syscall(SYS_brk, cur), cur);

    /* --- anonymous private --- */
    char *a = map_anon(3 * pg);
    CHECK("mmap anon", a != MAP_FAILED);
    CHECK("mmap anon page aligned", ((uintptr_t)a & (pg - 1)) == 0);
    CHECK("anon is zero filled", all_bytes(a, 3 * pg, 0));
    memset(a, 'a', 3 * pg);
    CHECK("anon writable", all_bytes(a, 3 * pg, 'a'));

    /* munmap the middle page: it faults, the neighbours stay */
    CHECK_EQ("munmap middle page", munmap(a + pg, pg), 0);
    CHECK_EQ("unmapped page faults", try_write(a + pg), SIGSEGV);
    CHECK_EQ("fault code SEGV_MAPERR", got_code, SEGV_MAPERR);
    CHECK("fault address exact", got_addr == a + pg);
    CHECK("neighbours intact", all_bytes(a, pg, 'a') && all_bytes(a + 2 * pg, pg, 'a'));
    CHECK_EQ("munmap rest", munmap(a, 3 * pg), 0);
    CHECK_EQ("munmap already unmapped", munmap(a, 3 * pg), 0);
    CHECK_ERR("munmap unaligned", munmap(a + 1, pg), EINVAL);
    CHECK_ERR("munmap zero length", munmap(a, 0), EINVAL);

    /* --- mprotect --- */
    char *b = map_anon(2 * pg);
    b[0] = 'x';
    CHECK_EQ("mprotect read-only", mprotect(b, pg, PROT_READ), 0);
    CHECK_EQ("read read-only page", try_read(b), 0);
    CHECK_EQ("write read-only page faults", try_write(b + 5), SIGSEGV);
    CHECK_EQ("fault code SEGV_ACCERR", got_code, SEGV_ACCERR);
    CHECK("fault address", got_addr == b + 5);
    CHECK_EQ("second page still writable", try_write(b + pg), 0);
    CHECK_EQ("mprotect PROT_NONE", mprotect(b, pg, PROT_NONE), 0);
    CHECK_EQ("read PROT_NONE faults", try_read(b), SIGSEGV);
    CHECK_EQ("mprotect read-write", mprotect(b, pg, PROT_READ | PROT_WRITE), 0);
    CHECK_EQ("write after restore", try_write(b + 5), 0);
    CHECK("data kept across mprotect", b[0] == 'x');
    CHECK_ERR("mprotect unaligned", syscall(SYS_mprotect, b + 1, pg, PROT_READ), EINVAL);
    CHECK_ERR("mprotect bad prot", mprotect(b, pg, 0x100), EINVAL);
    munmap(b, 2 * pg);
    CHECK_ERR("mprotect unmapped", mprotect(b, pg, PROT_READ), ENOMEM);

    /* --- anonymous shared --- */
    char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap anon shared", s != MAP_FAILED);
    CHECK("shared zero filled", all_bytes(s, pg, 0));
    strcpy(s, "shared");
    CHECK("shared writable", strcmp(s, "shared") == 0);
    CHECK_EQ("msync anon shared", msync(s, pg, MS_SYNC), 0);
    munmap(s, pg);

    /* --- mmap argument errors --- */
    CHECK_ERR("mmap zero length", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              EINVAL);
    CHECK_ERR("mmap neither private nor shared", mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0),
              EINVAL);
    CHECK_ERR("mmap bad fd", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);

    /* --- file mappings --- */
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("create data", fd >= 0);
    char pattern[3 * 4096];
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (char)('A' + i % 26);
    CHECK_EQ("write data", write(fd, pattern, sizeof(pattern)), (long)sizeof(pattern));
    char *f = mmap(NULL, sizeof(pattern), PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("mmap file private", f != MAP_FAILED);
    CHECK("file contents mapped", memcmp(f, pattern, sizeof(pattern)) == 0);
    CHECK_EQ("write to PROT_READ file map faults", try_write(f), SIGSEGV);
    munmap(f, sizeof(pattern));
    f = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
    CHECK("mmap file at offset", f != MAP_FAILED && memcmp(f, pattern + pg, pg) == 0);
    munmap(f, pg);
    CHECK_ERR("mmap unaligned offset", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
    f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("mmap file private writable", f != MAP_FAILED);
    f[0] = '#';
    char c = 0;
    CHECK_EQ("private write not in file", (pread(fd, &c, 1, 0), c), 'A');
    CHECK_EQ("MADV_DONTNEED on private file map", madvise(f, pg, MADV_DONTNEED), 0);
    CHECK_EQ("private copy dropped", f[0], 'A');
    munmap(f, pg);

    f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap file shared", f != MAP_FAILED);
    memcpy(f, "SHARED", 6);
    CHECK_EQ("msync MS_SYNC", msync(f, pg, MS_SYNC), 0);
    char rb[8] = {0};
    CHECK("shared write reaches file", pread(fd, rb, 6, 0) == 6 && !memcmp(rb, "SHARED", 6));
    CHECK_EQ("pwrite to file", pwrite(fd, "written", 7, 10), 7);
    CHECK("file write visible in mapping", memcmp(f + 10, "written", 7) == 0);
    CHECK_EQ("msync MS_ASYNC", msync(f, pg, MS_ASYNC), 0);
    CHECK_ERR("msync unaligned", msync(f + 1, pg, MS_SYNC), EINVAL);
    CHECK_ERR("msync bad flags", msync(f, pg, MS_SYNC | MS_ASYNC), EINVAL);
    munmap(f, pg);
    CHECK_ERR("msync unmapped", msync(f, pg, MS_SYNC), ENOMEM);
    close(fd);

    /* mapping more than the file: the rest of the last page is zero, later pages SIGBUS */
    fd = open("small", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_EQ("write small file", write(fd, "0123456789", 10), 10);
    f = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("mmap past EOF", f != MAP_FAILED);
    CHECK("small file contents", memcmp(f, "0123456789", 10) == 0);
    CHECK("tail of last page zero", all_bytes(f + 10, pg - 10, 0));
    CHECK_EQ("page past EOF raises SIGBUS", try_read(f + pg), SIGBUS);
    CHECK_EQ("SIGBUS code BUS_ADRERR", got_code, BUS_ADRERR);
    CHECK("SIGBUS address", got_addr == f + pg);
    munmap(f, 2 * pg);
    close(fd);

    fd = open("small", O_RDONLY);
    CHECK_ERR("shared writable map of read-only fd", mmap(NULL, pg, PROT_WRITE, MAP_SHARED, fd, 0),
              EACCES);
    f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("private writable map of read-only fd", f != MAP_FAILED);
    munmap(f, pg);
    close(fd);
    fd = open("small", O_WRONLY);
    CHECK_ERR("map of write-only fd", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0), EACCES);
    close(fd);

    /* --- MAP_FIXED / MAP_FIXED_NOREPLACE --- */
    char *r = map_anon(4 * pg);
    memset(r, 'r', 4 * pg);
    char *fx =
        mmap(r + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("MAP_FIXED at address", fx == r + pg);
    CHECK("MAP_FIXED replaced page is zero", all_bytes(r + pg, pg, 0));
    CHECK("MAP_FIXED neighbours kept", all_bytes(r, pg, 'r') && all_bytes(r + 2 * pg, 2 * pg, 'r'));
    CHECK_ERR(
        "MAP_FIXED_NOREPLACE over mapping",
        mmap(r + 2 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
        EEXIST);
    CHECK("NOREPLACE left contents", all_bytes(r + 2 * pg, pg, 'r'));
    munmap(r + 3 * pg, pg);
    void *nr =
        mmap(r + 3 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("MAP_FIXED_NOREPLACE in hole", nr == r + 3 * pg);
    CHECK_ERR("MAP_FIXED unaligned",
              mmap(r + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    munmap(r, 4 * pg);

    /* --- mremap --- */
    char *m = map_anon(pg);
    memset(m, 'm', pg);
    char *g = mremap(m, pg, 4 * pg, MREMAP_MAYMOVE);
    CHECK("mremap grow", g != MAP_FAILED);
    CHECK("mremap grow keeps data", all_bytes(g, pg, 'm'));
    CHECK("mremap grown part zero", all_bytes(g + pg, 3 * pg, 0));
    g[4 * pg - 1] = 'z';
    char *dst = map_anon(4 * pg); /* reserve a destination */
    char *mv = mremap(g, 4 * pg, 4 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    CHECK("mremap move to fixed address", mv == dst);
    CHECK("moved data", all_bytes(mv, pg, 'm') && mv[4 * pg - 1] == 'z');
    CHECK_EQ("old address unmapped after move", try_read(g), SIGSEGV);
    char *sh = mremap(mv, 4 * pg, pg, 0);
    CHECK("mremap shrink in place", sh == mv);
    CHECK_EQ("shrunk tail unmapped", try_read(mv + pg), SIGSEGV);
    munmap(sh, pg);
    /* growing in place is impossible when the next page is a different mapping */
    char *two = map_anon(2 * pg);
    mprotect(two + pg, pg, PROT_READ);
    CHECK_ERR("mremap no-move blocked", mremap(two, pg, 2 * pg, 0), ENOMEM);
    CHECK_ERR("mremap FIXED without MAYMOVE", mremap(two, pg, pg, MREMAP_FIXED, two + 8 * pg),
              EINVAL);
    CHECK_ERR("mremap unaligned", mremap(two + 1, pg, 2 * pg, MREMAP_MAYMOVE), EINVAL);
    munmap(two, 2 * pg);

    /* --- madvise --- */
    char *d = map_anon(2 * pg);
    memset(d, 'd', 2 * pg);
    CHECK_EQ("MADV_DONTNEED", madvise(d, 2 * pg, MADV_DONTNEED), 0);
    CHECK("DONTNEED zeroes anon memory", all_bytes(d, 2 * pg, 0));
    CHECK_EQ("MADV_WILLNEED", madvise(d, pg, MADV_WILLNEED), 0);
    CHECK_EQ("MADV_NORMAL", madvise(d, pg, MADV_NORMAL), 0);
    CHECK_ERR("madvise unaligned", madvise(d + 1, pg, MADV_DONTNEED), EINVAL);
    CHECK_ERR("madvise bad advice", madvise(d, pg, 12345), EINVAL);
    munmap(d, 2 * pg);
    CHECK_ERR("madvise unmapped", madvise(d, pg, MADV_WILLNEED), ENOMEM);

    /* --- a large lazily-populated mapping --- */
    size_t big = 64u << 20;
    char *L = map_anon(big);
    CHECK("mmap 64 MiB", L != MAP_FAILED);
    L[0] = 1;
    L[big - 1] = 2;
    CHECK("touch both ends", L[0] == 1 && L[big - 1] == 2 && L[big / 2] == 0);
    CHECK_EQ("munmap 64 MiB", munmap(L, big), 0);

    return t_done();
}
