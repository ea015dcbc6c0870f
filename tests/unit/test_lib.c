/* test_lib.c: hosted unit test of src/lib (string functions, vsnprintf, kmalloc heap). */
/* The lib sources are compiled for this test with tests/unit/husk_rename.h forced in, so their
 * libc-named functions are husk_memcpy, husk_snprintf... and coexist with the host libc's and
 * ASan's. Here lib.h is included under the same renames and they are then undone, so that
 * plain names below are the host's (the reference) and husk_ names are the code under test. */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>

#include "husk_rename.h"
#include "lib.h"
#define UNIT_GROUP_WIDTH 8
#include "unit.h"

/* ---- Stubs for what the platform provides in husk ---- */

static jmp_buf panic_jump;
static volatile int panic_armed;
static char panic_msg[256];

/* An armed panic returns to the test that expected it; any other ends the run. */
_Noreturn void husk_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
    va_end(ap);
    if (panic_armed) {
        panic_armed = 0;
        longjmp(panic_jump, 1);
    }
    fprintf(stderr, "unexpected panic: %s\n", panic_msg);
    abort();
}

/* The page provider, on host mmap, counting what is outstanding so that the test can see
 * large blocks go back to it. */
static size_t prov_bytes;
static int prov_bad;

static void *test_page_alloc(size_t bytes)
{
    if (bytes == 0 || bytes % PAGE_SIZE)
        __atomic_add_fetch(&prov_bad, 1, __ATOMIC_RELAXED);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    __atomic_add_fetch(&prov_bytes, bytes, __ATOMIC_RELAXED);
    return p;
}

static void test_page_free(void *p, size_t bytes)
{
    if (((uintptr_t)p % PAGE_SIZE) || munmap(p, bytes))
        __atomic_add_fetch(&prov_bad, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&prov_bytes, bytes, __ATOMIC_RELAXED);
}

/* Deterministic xorshift, so that a failure reproduces. */
static u64 rng_next(u64 *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- String functions ---- */

static void test_mem(void)
{
    unsigned char a[64], b[64];
    u64 rng = 0x1234567;

    memset(a, 1, sizeof(a));
    CHECK(husk_memcpy(a, "xyz", 0) == a && a[0] == 1, "memcpy of 0 bytes");
    CHECK(husk_memcpy(a, "hello", 6) == a && !memcmp(a, "hello", 6), "memcpy");
    for (size_t n = 0; n < sizeof(a); n++) {
        memset(a, 0x5a, sizeof(a));
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)i;
        husk_memcpy(a + 3, b, n < 61 ? n : 61);
        bool ok = a[0] == 0x5a && a[2] == 0x5a && !memcmp(a + 3, b, n < 61 ? n : 61);
        for (size_t i = 3 + (n < 61 ? n : 61); i < sizeof(a); i++)
            ok = ok && a[i] == 0x5a;
        CHECK(ok, "memcpy of %zu bytes at an odd offset", n);
    }

    /* memmove against a copy through a temporary, for random (mostly overlapping) ranges. */
    bool ok = true;
    for (int iter = 0; iter < 20000 && ok; iter++) {
        static unsigned char buf[512], ref[512], tmp[512];
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = ref[i] = (unsigned char)rng_next(&rng);
        size_t n = rng_next(&rng) % 200, src = rng_next(&rng) % 300, dst = rng_next(&rng) % 300;
        if (iter % 4 == 0)
            dst = src + rng_next(&rng) % 8; /* close overlap, forward */
        else if (iter % 4 == 1)
            dst = src > 8 ? src - rng_next(&rng) % 8 : src; /* close overlap, backward */
        memcpy(tmp, ref + src, n);
        memcpy(ref + dst, tmp, n);
        ok = husk_memmove(buf + dst, buf + src, n) == buf + dst && !memcmp(buf, ref, sizeof(buf));
        if (!ok)
            fprintf(stderr, "memmove(dst+%zu, src+%zu, %zu) wrong\n", dst, src, n);
    }
    CHECK(ok, "memmove with overlaps");
    memset(a, 7, sizeof(a));
    CHECK(husk_memmove(a + 1, a, 0) == a + 1 && a[1] == 7, "memmove of 0 bytes");
    memcpy(a, "abcdef", 6);
    husk_memmove(a + 2, a, 4);
    CHECK(!memcmp(a, "ababcd", 6), "memmove forward overlap");
    memcpy(a, "abcdef", 6);
    husk_memmove(a, a + 2, 4);
    CHECK(!memcmp(a, "cdefef", 6), "memmove backward overlap");
    CHECK(husk_memmove(a, a, 6) == a && !memcmp(a, "cdefef", 6), "memmove onto itself");

    memset(a, 0, sizeof(a));
    CHECK(husk_memset(a, 0x1ff, 5) == a && a[0] == 0xff && a[4] == 0xff && a[5] == 0,
          "memset uses the low byte");
    CHECK(husk_memset(a, 9, 0) == a && a[0] == 0xff, "memset of 0 bytes");
    for (size_t n = 0; n < 40; n++) {
        memset(a, 1, sizeof(a));
        husk_memset(a + 1, 0xc3, n);
        bool good = a[0] == 1 && a[n + 1] == 1;
        for (size_t i = 1; i <= n; i++)
            good = good && a[i] == 0xc3;
        CHECK(good, "memset of %zu bytes", n);
    }

    CHECK(husk_memcmp("abc", "abd", 0) == 0, "memcmp of 0 bytes");
    CHECK(husk_memcmp("abc", "abc", 3) == 0, "memcmp equal");
    CHECK(husk_memcmp("abc", "abd", 3) < 0, "memcmp less");
    CHECK(husk_memcmp("abd", "abc", 3) > 0, "memcmp greater");
    CHECK(husk_memcmp("a\x80", "a\x7f", 2) > 0, "memcmp compares unsigned bytes");
    CHECK(husk_memcmp("a\0b", "a\0c", 3) < 0, "memcmp goes past NUL");

    const char *s = "abc\0abc";
    CHECK(husk_memchr(s, 'c', 7) == s + 2, "memchr finds the first");
    CHECK(husk_memchr(s, 'c', 2) == NULL, "memchr stops at n");
    CHECK(husk_memchr(s, 'c', 0) == NULL, "memchr of 0 bytes");
    CHECK(husk_memchr(s, 0, 7) == s + 3, "memchr finds NUL");
    CHECK(husk_memchr(s, 'b' + 256, 7) == s + 1, "memchr uses the low byte of c");
    CHECK(husk_memchr("\xff", -1, 1) != NULL, "memchr of -1 finds 0xff");
    group_end("mem");
}

static void test_str(void)
{
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;

    CHECK(husk_strlen("") == 0, "strlen empty");
    CHECK(husk_strlen("abc") == 3, "strlen");
    CHECK(husk_strlen(big) == 999, "strlen long");
    CHECK(husk_strnlen("abc", 0) == 0, "strnlen max 0");
    CHECK(husk_strnlen("abc", 2) == 2, "strnlen below length");
    CHECK(husk_strnlen("abc", 3) == 3, "strnlen at length");
    CHECK(husk_strnlen("abc", 100) == 3, "strnlen above length");
    char unterminated[4] = {'a', 'b', 'c', 'd'};
    CHECK(husk_strnlen(unterminated, 4) == 4, "strnlen reads no further than max");

    CHECK(husk_strcmp("", "") == 0, "strcmp empty");
    CHECK(husk_strcmp("abc", "abc") == 0, "strcmp equal");
    CHECK(husk_strcmp("abc", "abd") < 0, "strcmp less");
    CHECK(husk_strcmp("abc", "ab") > 0, "strcmp longer");
    CHECK(husk_strcmp("ab", "abc") < 0, "strcmp shorter");
    CHECK(husk_strcmp("\xff", "a") > 0, "strcmp compares unsigned");
    CHECK(husk_strncmp("abc", "xyz", 0) == 0, "strncmp n 0");
    CHECK(husk_strncmp("abc", "abd", 2) == 0, "strncmp prefix");
    CHECK(husk_strncmp("abc", "abd", 3) < 0, "strncmp differs at n");
    CHECK(husk_strncmp("ab", "ab", 100) == 0, "strncmp stops at NUL");
    CHECK(husk_strncmp("ab", "abc", 100) < 0, "strncmp shorter");
    CHECK(husk_strncmp("\x80", "\x7f", 1) > 0, "strncmp compares unsigned");

    const char *s = "hello world";
    CHECK(husk_strchr(s, 'o') == s + 4, "strchr first");
    CHECK(husk_strchr(s, 'z') == NULL, "strchr absent");
    CHECK(husk_strchr(s, 0) == s + 11, "strchr of NUL finds the terminator");
    CHECK(husk_strchr(s, 'h' + 256) == s, "strchr converts c to char");
    CHECK(husk_strchr("", 'a') == NULL, "strchr empty");
    CHECK(husk_strrchr(s, 'o') == s + 7, "strrchr last");
    CHECK(husk_strrchr(s, 'z') == NULL, "strrchr absent");
    CHECK(husk_strrchr(s, 0) == s + 11, "strrchr of NUL finds the terminator");
    CHECK(husk_strrchr(s, 'h') == s, "strrchr at the start");

    char d[8];
    memset(d, '#', sizeof(d));
    CHECK(husk_strlcpy(d, "hello", 0) == 5 && d[0] == '#', "strlcpy size 0 writes nothing");
    CHECK(husk_strlcpy(d, "hello", 1) == 5 && d[0] == 0 && d[1] == '#', "strlcpy size 1");
    CHECK(husk_strlcpy(d, "hello", 3) == 5 && !strcmp(d, "he") && d[3] == '#',
          "strlcpy truncates and terminates");
    CHECK(husk_strlcpy(d, "hello", 6) == 5 && !strcmp(d, "hello"), "strlcpy exact fit");
    CHECK(husk_strlcpy(d, "", 8) == 0 && d[0] == 0, "strlcpy empty");
    CHECK(husk_strlcpy(d, big, sizeof(d)) == 999 && husk_strlen(d) == 7,
          "strlcpy returns the source length");

    char c[10];
    strcpy(c, "ab");
    CHECK(husk_strlcat(c, "cd", sizeof(c)) == 4 && !strcmp(c, "abcd"), "strlcat");
    strcpy(c, "ab");
    CHECK(husk_strlcat(c, "cdef", 4) == 6 && !strcmp(c, "abc"), "strlcat truncates");
    strcpy(c, "ab");
    CHECK(husk_strlcat(c, "cd", 3) == 4 && !strcmp(c, "ab"), "strlcat with a full dst");
    memcpy(c, "abcdefghij", 10);
    CHECK(husk_strlcat(c, "xyz", 5) == 8 && !memcmp(c, "abcdefghij", 10),
          "strlcat with dst unterminated within size leaves it alone");
    CHECK(husk_strlcat(c, "xyz", 0) == 3, "strlcat size 0");
    strcpy(c, "");
    CHECK(husk_strlcat(c, "", sizeof(c)) == 0 && c[0] == 0, "strlcat empty");

    size_t base = kmem_in_use();
    char *p = husk_strdup("hello");
    CHECK(p && !strcmp(p, "hello") && kmem_in_use() > base, "strdup");
    kfree(p);
    p = husk_strdup("");
    CHECK(p && p[0] == 0, "strdup empty");
    kfree(p);
    p = husk_strndup("hello", 3);
    CHECK(p && !strcmp(p, "hel"), "strndup shorter");
    kfree(p);
    p = husk_strndup("hi", 100);
    CHECK(p && !strcmp(p, "hi"), "strndup longer");
    kfree(p);
    p = husk_strndup("hi", 0);
    CHECK(p && p[0] == 0, "strndup 0");
    kfree(p);
    p = husk_strndup(unterminated, 4);
    CHECK(p && !strcmp(p, "abcd"), "strndup of an unterminated array");
    kfree(p);
    p = husk_strdup(big);
    CHECK(p && !strcmp(p, big), "strdup long");
    kfree(p);
    CHECK(kmem_in_use() == base, "strdup memory freed");
    group_end("str");
}

static void test_strtol(void)
{
    static const char *const inputs[] = {
        "0",
        "123",
        "-123",
        "+7",
        "  \t\n\v\f\r42x",
        "0x1A",
        "0X1a",
        "0x",
        "0xg",
        "-0x10",
        "077",
        "08",
        "0",
        "-0",
        "z",
        "Zz",
        "101",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999",
        "-1",
        "-18446744073709551615",
        "-18446744073709551616",
        "",
        "   ",
        "-",
        "+",
        "+-1",
        "abc",
        "1e5",
        " - 5",
        "0x7fffffffffffffff",
        "0x8000000000000000",
        "-0x8000000000000000",
        "0xffffffffffffffff",
        "0x10000000000000000",
        "777777777777777777777",
        "1777777777777777777777",
        "2000000000000000000000",
        "12345abc",
        "0b101",
    };
    static const int bases[] = {0, 2, 8, 10, 16, 36, 1, 37, -1};

    for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
        bool ok = true;
        for (size_t j = 0; j < ARRAY_SIZE(bases); j++) {
            const char *s = inputs[i];
            int b = bases[j];
            char *e1 = (char *)"unset", *e2 = (char *)"unset";
            long l1 = strtol(s, &e1, b), l2 = husk_strtol(s, &e2, b);
            if (b == 1 || b > 36 || b < 0)
                e1 = (char *)s; /* glibc leaves end alone for a bad base; husk sets it to s */
            if (l1 != l2 || e1 != e2) {
                fprintf(stderr, "strtol(\"%s\", %d): host %ld end+%td, husk %ld end+%td\n", s, b,
                        l1, e1 - s, l2, e2 - s);
                ok = false;
            }
            e1 = e2 = (char *)"unset";
            unsigned long u1 = strtoul(s, &e1, b), u2 = husk_strtoul(s, &e2, b);
            if (b == 1 || b > 36 || b < 0)
                e1 = (char *)s;
            if (u1 != u2 || e1 != e2) {
                fprintf(stderr, "strtoul(\"%s\", %d): host %lu end+%td, husk %lu end+%td\n", s, b,
                        u1, e1 - s, u2, e2 - s);
                ok = false;
            }
        }
        CHECK(ok, "strtol/strtoul of \"%s\" in all bases match the host", inputs[i]);
    }
    CHECK(husk_strtol("42", NULL, 10) == 42, "strtol with a NULL end");
    CHECK(husk_strtoul("42", NULL, 0) == 42, "strtoul with a NULL end");
    group_end("strtol");
}

/* ---- vsnprintf ---- */

static char fmt_host[600], fmt_husk[600];

static void show(const char *what, const char *buf, int n)
{
    fprintf(stderr, "  %s: \"", what);
    for (int i = 0; i < n && i < 80; i++)
        fprintf(stderr, (unsigned char)buf[i] < 32 ? "\\x%02x" : "%c", (unsigned char)buf[i]);
    fprintf(stderr, "\"\n");
}

/* Both buffers were filled with the same canary: they must now be identical throughout. */
static bool fmt_same(int line, const char *args, size_t size, int r_host, int r_husk)
{
    if (r_host == r_husk && !memcmp(fmt_host, fmt_husk, sizeof(fmt_host)))
        return true;
    fprintf(stderr, "snprintf mismatch at line %d: (%s) size %zu: host returned %d, husk %d\n",
            line, args, size, r_host, r_husk);
    show("host", fmt_host, size ? (int)size : 8);
    show("husk", fmt_husk, size ? (int)size : 8);
    return false;
}

/* Formats with the host's snprintf and husk's, into buffers of several sizes (nothing,
 * truncated, exact, ample) and compares the return values and every byte of the buffers. */
#define FMT(...)                                                                                   \
    do {                                                                                           \
        int want_ = snprintf(NULL, 0, __VA_ARGS__);                                                \
        size_t sizes_[] = {0, 1, 2, 5, (size_t)want_, (size_t)want_ + 1, sizeof(fmt_host)};        \
        bool ok_ = husk_snprintf(NULL, 0, __VA_ARGS__) == want_;                                   \
        for (size_t k_ = 0; ok_ && k_ < ARRAY_SIZE(sizes_); k_++) {                                \
            size_t sz_ = MIN(sizes_[k_], sizeof(fmt_host));                                        \
            memset(fmt_host, 0xa5, sizeof(fmt_host));                                              \
            memset(fmt_husk, 0xa5, sizeof(fmt_husk));                                              \
            int rh_ = snprintf(fmt_host, sz_, __VA_ARGS__);                                        \
            int rk_ = husk_snprintf(fmt_husk, sz_, __VA_ARGS__);                                   \
            ok_ = fmt_same(__LINE__, #__VA_ARGS__, sz_, rh_, rk_);                                 \
        }                                                                                          \
        CHECK(ok_, "snprintf(%s) matches the host", #__VA_ARGS__);                                 \
    } while (0)

/* For what husk defines differently from glibc, or glibc leaves undefined. */
#define FMT_EXPECT(expect, ...)                                                                    \
    do {                                                                                           \
        char b_[64];                                                                               \
        int r_ = husk_snprintf(b_, sizeof(b_), __VA_ARGS__);                                       \
        CHECK(r_ == (int)strlen(expect) && !strcmp(b_, expect),                                    \
              "snprintf(%s) gave \"%s\" (%d), expected \"%s\"", #__VA_ARGS__, b_, r_, expect);     \
    } while (0)

static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = husk_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_fmt(void)
{
    const char *volatile null_str = NULL; /* volatile: keeps gcc from warning about NULL %s */
    char longstr[301];
    memset(longstr, 'L', 300);
    longstr[300] = 0;

    FMT("plain text");
    FMT("%%");
    FMT("a%%b%%%%c");
    FMT("%d", 0);
    FMT("%d", 42);
    FMT("%d", -42);
    FMT("%d", INT_MAX);
    FMT("%d", INT_MIN);
    FMT("%i", -1);
    FMT("%5d|", 42);
    FMT("%-5d|", 42);
    FMT("%05d", -42);
    FMT("%+d", 42);
    FMT("%+d", -42);
    FMT("% d", 42);
    FMT("% d", -42);
    FMT("% 05d", 42);
    FMT("%+05d", 42);
    FMT("%-+6d|", 42);
    FMT("%.0d", 0);
    FMT("%5.0d|", 0);
    FMT("%+.0d", 0);
    FMT("%.3d", 7);
    FMT("%.3d", -7);
    FMT("%+.3d", 0);
    FMT("%8.3d|", -7);
    FMT("%-8.3d|", 7);
    FMT("%u", 0u);
    FMT("%u", UINT_MAX);
    FMT("%lu", ULONG_MAX);
    FMT("%ld", LONG_MIN);
    FMT("%lld", LLONG_MIN);
    FMT("%llu", ULLONG_MAX);
    FMT("%25ld|", LONG_MAX);
    FMT("%hhd", 300);
    FMT("%hhd", 200);
    FMT("%hhu", 511);
    FMT("%hd", 70000);
    FMT("%hu", -1);
    FMT("%hhx", 0x1ff);
    FMT("%hx", 0x1ffff);
    FMT("%zu", (size_t)-1);
    FMT("%zd", (ssize_t)-5);
    FMT("%zx", (size_t)0xabcdef);
    FMT("%td", (ptrdiff_t)-3);
    FMT("%tx", (ptrdiff_t)255);
    FMT("%jd", INTMAX_MIN);
    FMT("%ju", UINTMAX_MAX);
    FMT("%x", 0xdeadbeefu);
    FMT("%X", 0xdeadbeefu);
    FMT("%x", 0u);
    FMT("%.0x|", 0u);
    FMT("%#x", 0u);
    FMT("%#x", 255u);
    FMT("%#X", 255u);
    FMT("%#10x|", 255u);
    FMT("%#010x|", 255u);
    FMT("%-#10x|", 255u);
    FMT("%#.5x", 1u);
    FMT("%lx", ULONG_MAX);
    FMT("%llo", 01234567012345670ULL);
    FMT("%o", 0u);
    FMT("%o", 8u);
    FMT("%#o", 0u);
    FMT("%#o", 8u);
    FMT("%#.0o", 0u);
    FMT("%#.3o", 8u);
    FMT("%#5o|", 8u);
    FMT("%lo", ULONG_MAX);
    FMT("%c", 'A');
    FMT("%5c|", 'A');
    FMT("%-5c|", 'A');
    FMT("a%cb", 0);
    FMT("%c", 0x141);
    FMT("%s", "hello");
    FMT("%s", "");
    FMT("%10s|", "hello");
    FMT("%-10s|", "hello");
    FMT("%.3s|", "hello");
    FMT("%10.3s|", "hello");
    FMT("%.0s|", "hello");
    FMT("%.10s|", "hello");
    FMT("%s", longstr);
    FMT("[%s]", null_str);
    FMT("[%10s]", null_str);
    FMT("%*d|", 6, 42);
    FMT("%*d|", -6, 42);
    FMT("%-*d|", 6, 42);
    FMT("%.*d|", 4, 42);
    FMT("%.*d|", -1, 42);
    FMT("%.*d|", -5, 0);
    FMT("%.*s|", -1, "hello");
    FMT("%*.*s|", 8, 2, "hello");
    FMT("%.*s|", 3, "hello");
    FMT("%*s|", -6, "ab");
    FMT("%p", (void *)0x1234);
    FMT("%p", (void *)UINTPTR_MAX);
    FMT("%p", (void *)&passed);
    FMT("%p", (void *)NULL);
    FMT("%20p|", (void *)0xabc);
    FMT("%-20p|", (void *)0xabc);
    FMT("%10p|", (void *)NULL);
    FMT("%-10p|", (void *)NULL);
    FMT("x=%d y=%s z=%#x w=%c%%", -1, "two", 3u, '4');
    FMT("%s=%lu (%5.1s) [%-4d] %p", "key", 123456789UL, "value", 7, (void *)0x10);
    FMT("%d%d%d%d%d%d%d%d%d%d", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

    /* Outside what glibc guarantees or where husk differs on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-overflow"
    FMT("%08.3d|", 7); /* a precision cancels '0' */
    FMT("%#08.5x|", 1u);
    FMT("%-05d|", 42); /* '-' beats '0' */
    FMT("%+ d|", 42);  /* '+' beats ' ' */
    FMT("% +d|", 42);
    FMT("");
    FMT_EXPECT("(nu", "%.3s", null_str); /* glibc prints nothing here */
    FMT_EXPECT("[%n]", "[%n]", &passed); /* %n is never supported: printed as written */
    FMT_EXPECT("%y", "%y");
    FMT_EXPECT("50%", "50%");
    FMT_EXPECT("50%5", "50%5");
    char small[8];
    CHECK(husk_snprintf(small, sizeof(small), "%2147483647d", 5) == INT_MAX &&
              !strcmp(small, "       "),
          "a field of INT_MAX bytes is counted, not written");
    CHECK(husk_snprintf(small, sizeof(small), "x%2147483647d", 5) == -1 &&
              !strcmp(small, "x      "),
          "output longer than INT_MAX returns -1");
#pragma GCC diagnostic pop
    CHECK(call_vsnprintf(small, sizeof(small), "%s-%d", "ab", 12) == 5 && !strcmp(small, "ab-12"),
          "vsnprintf");
    CHECK(call_vsnprintf(NULL, 0, "%s-%d", "ab", 12) == 5, "vsnprintf with NULL and size 0");
    group_end("fmt");
}

/* ---- Heap ---- */

static bool aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed ^ (i * 131) ^ (i >> 8));
}

/* Returns the index of the first wrong byte, or n. */
static size_t verify(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed ^ (i * 131) ^ (i >> 8)))
            return i;
    return n;
}

static void test_alloc_basic(void)
{
    size_t base = kmem_in_use();

    void *z1 = kmalloc(0), *z2 = kmalloc(0);
    CHECK(z1 && z2 && z1 != z2 && aligned16(z1) && aligned16(z2),
          "kmalloc(0) gives distinct valid pointers");
    kfree(z1);
    kfree(z2);
    kfree(NULL);
    CHECK(kmem_in_use() == base, "kmalloc(0) blocks freed");

    static const size_t sizes[] = {1,    15,   16,   17,   31,   32,    33,    1000,   2047,   2048,
                                   2049, 4080, 4081, 4096, 8192, 65520, 65536, 100000, 1 << 20};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        size_t n = sizes[i];
        unsigned char *p = kmalloc(n);
        CHECK(p && aligned16(p), "kmalloc(%zu) aligned", n);
        if (!p)
            continue;
        CHECK(kmem_in_use() >= base + n, "kmem_in_use counts kmalloc(%zu)", n);
        fill(p, n, (unsigned)i);
        CHECK(verify(p, n, (unsigned)i) == n, "kmalloc(%zu) holds its contents", n);
        kfree(p);
        CHECK(kmem_in_use() == base, "kfree of %zu bytes", n);
    }

    /* kzalloc must clear even reused memory. */
    unsigned char *p = kmalloc(100);
    memset(p, 0xff, 100);
    kfree(p);
    p = kzalloc(100);
    bool zero = p != NULL;
    for (size_t i = 0; zero && i < 100; i++)
        zero = p[i] == 0;
    CHECK(zero, "kzalloc clears reused memory");
    kfree(p);
    p = kzalloc(50000);
    zero = p != NULL;
    for (size_t i = 0; zero && i < 50000; i++)
        zero = p[i] == 0;
    CHECK(zero, "kzalloc large");
    kfree(p);

    /* krealloc: contents survive moves between classes and to and from large blocks. */
    p = krealloc(NULL, 20);
    CHECK(p != NULL, "krealloc(NULL) allocates");
    fill(p, 20, 1);
    CHECK(krealloc(p, 30) == p, "krealloc within the same class keeps the block");
    size_t steps[] = {30, 100, 2048, 3000, 70000, 5000, 1500, 17, 0, 40};
    size_t have = 20;
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        unsigned char *q = krealloc(p, steps[i]);
        size_t keep = MIN(have, steps[i]);
        CHECK(q && aligned16(q) && verify(q, keep, 1) == keep,
              "krealloc to %zu keeps the first %zu bytes", steps[i], keep);
        p = q;
        fill(p, steps[i], 1);
        have = steps[i];
    }
    kfree(p);
    CHECK(kmem_in_use() == base, "krealloc chain freed");

    /* Large blocks go back to the provider. */
    size_t prov = prov_bytes;
    p = kmalloc(300000);
    CHECK(p && prov_bytes >= prov + 300000, "a large block is mapped for itself");
    kfree(p);
    CHECK(prov_bytes == prov, "a freed large block is unmapped");

    CHECK(kmalloc((size_t)-1) == NULL, "kmalloc(SIZE_MAX) fails");
    CHECK(kmalloc((size_t)-1 - 4096) == NULL, "kmalloc near SIZE_MAX fails");
    CHECK(kmalloc((size_t)1 << 50) == NULL, "kmalloc beyond the provider fails");
    p = kmalloc(64);
    fill(p, 64, 3);
    CHECK(krealloc(p, (size_t)-1) == NULL && verify(p, 64, 3) == 64,
          "a failed krealloc keeps the block");
    kfree(p);
    CHECK(prov_bad == 0, "the provider saw only whole pages");

    /* Heap misuse must panic, not corrupt. */
    p = kmalloc(64);
    kfree(p);
    panic_armed = 1;
    if (!setjmp(panic_jump)) {
        kfree(p);
        panic_armed = 0;
        CHECK(0, "double free not detected");
    } else {
        CHECK(strstr(panic_msg, "kfree"), "double free detected: %s", panic_msg);
    }
    p = kmalloc(64);
    fill(p, 64, 9);
    panic_armed = 1;
    if (!setjmp(panic_jump)) {
        kfree(p + 32);
        panic_armed = 0;
        CHECK(0, "free of an interior pointer not detected");
    } else {
        CHECK(1, "free of an interior pointer detected");
    }
    panic_armed = 1;
    if (!setjmp(panic_jump)) {
        kfree(p + 8);
        panic_armed = 0;
        CHECK(0, "free of a misaligned pointer not detected");
    } else {
        CHECK(1, "free of a misaligned pointer detected");
    }
    panic_armed = 1;
    if (!setjmp(panic_jump)) {
        krealloc(p + 16, 10);
        panic_armed = 0;
        CHECK(0, "krealloc of an interior pointer not detected");
    } else {
        CHECK(strstr(panic_msg, "krealloc"), "krealloc of an interior pointer detected");
    }
    /* The heap (and its lock) still works after the panics. */
    void *q = kmalloc(64);
    CHECK(q != NULL && q != p, "heap usable after detected misuse");
    kfree(q);
    kfree(p);
    CHECK(kmem_in_use() == base, "nothing left in use");
    group_end("alloc");
}

/* Mostly small blocks, some medium, a few up to 100000 bytes. */
static size_t random_size(u64 *rng)
{
    u64 r = rng_next(rng) % 100;
    if (r < 70)
        return rng_next(rng) % 2049;
    if (r < 95)
        return rng_next(rng) % 16385;
    return rng_next(rng) % 100001;
}

struct slot {
    unsigned char *p;
    size_t n;
    unsigned seed;
};

/* Random kmalloc/kzalloc/krealloc/kfree over a table of slots, checking every block's
 * contents before it is touched. Returns the number of problems found. */
static int stress(u64 seed, int ops, struct slot *slots, size_t nslots, bool check_in_use)
{
    u64 rng = seed;
    int bad = 0;

    for (int op = 0; op < ops && bad < 10; op++) {
        struct slot *s = &slots[rng_next(&rng) % nslots];
        unsigned seed2 = (unsigned)rng_next(&rng);
        if (!s->p) {
            size_t n = random_size(&rng);
            int how = (int)(rng_next(&rng) % 3);
            unsigned char *p = how == 0 ? kmalloc(n) : how == 1 ? kzalloc(n) : krealloc(NULL, n);
            if (!p || !aligned16(p)) {
                fprintf(stderr, "stress: allocation of %zu gave %p\n", n, (void *)p);
                bad++;
                continue;
            }
            if (how == 1)
                for (size_t i = 0; i < n; i++)
                    if (p[i]) {
                        fprintf(stderr, "stress: kzalloc(%zu) byte %zu not zero\n", n, i);
                        bad++;
                        break;
                    }
            fill(p, n, seed2);
            *s = (struct slot){p, n, seed2};
        } else {
            size_t at = verify(s->p, s->n, s->seed);
            if (at != s->n) {
                fprintf(stderr, "stress: block %p (%zu bytes) corrupted at %zu\n", (void *)s->p,
                        s->n, at);
                bad++;
            }
            if (rng_next(&rng) & 1) {
                kfree(s->p);
                s->p = NULL;
                continue;
            }
            size_t n = random_size(&rng);
            unsigned char *p = krealloc(s->p, n);
            if (!p || !aligned16(p)) {
                fprintf(stderr, "stress: krealloc to %zu gave %p\n", n, (void *)p);
                bad++;
                continue;
            }
            size_t keep = MIN(n, s->n);
            if (verify(p, keep, s->seed) != keep) {
                fprintf(stderr, "stress: krealloc %zu -> %zu lost contents\n", s->n, n);
                bad++;
            }
            fill(p, n, seed2);
            *s = (struct slot){p, n, seed2};
        }
        if (check_in_use && op % 1000 == 0) {
            size_t live = 0, count = 0;
            for (size_t i = 0; i < nslots; i++)
                if (slots[i].p)
                    live += slots[i].n, count++;
            size_t used = kmem_in_use();
            if (used < live || used > 2 * live + (16 + PAGE_SIZE) * count) {
                fprintf(stderr, "stress: kmem_in_use %zu for %zu live bytes\n", used, live);
                bad++;
            }
        }
    }
    for (size_t i = 0; i < nslots; i++) {
        if (slots[i].p && verify(slots[i].p, slots[i].n, slots[i].seed) != slots[i].n)
            bad++;
        kfree(slots[i].p);
        slots[i].p = NULL;
    }
    return bad;
}

static void test_alloc_stress(void)
{
    static struct slot slots[1000];
    u64 seed = 0x9e3779b97f4a7c15ULL;
    int bad = stress(seed, 100000, slots, ARRAY_SIZE(slots), true);
    CHECK(bad == 0, "100000 random operations (seed %#llx): %d problems", (unsigned long long)seed,
          bad);
    CHECK(kmem_in_use() == 0, "kmem_in_use is %zu after freeing everything", kmem_in_use());
    CHECK(prov_bad == 0, "the provider saw only whole pages");
    group_end("stress");
}

#define NTHREADS 4

static void *stress_thread(void *arg)
{
    static struct slot slots[NTHREADS][64];
    intptr_t t = (intptr_t)arg;
    return (void *)(intptr_t)stress(0x1234567ULL * (u64)(t + 1), 25000, slots[t], 64, false);
}

static void test_alloc_threads(void)
{
    pthread_t th[NTHREADS];
    int bad = 0;
    for (intptr_t t = 0; t < NTHREADS; t++)
        CHECK(pthread_create(&th[t], NULL, stress_thread, (void *)t) == 0, "pthread_create");
    for (int t = 0; t < NTHREADS; t++) {
        void *r;
        pthread_join(th[t], &r);
        bad += (int)(intptr_t)r;
    }
    CHECK(bad == 0, "%d threads of random operations: %d problems", NTHREADS, bad);
    CHECK(kmem_in_use() == 0, "kmem_in_use is %zu after the threads", kmem_in_use());
    group_end("threads");
}

int main(void)
{
    kmem_init(test_page_alloc, test_page_free);
    test_mem();
    test_str();
    test_strtol();
    test_fmt();
    test_alloc_basic();
    test_alloc_stress();
    test_alloc_threads();
    return unit_summary();
}
