/* string.c: the memory and string functions of lib.h, freestanding (x86-64 only). */
#include <limits.h>
#include "lib.h"

/* memcpy, memset and memmove are written as string instructions rather than loops so that no
 * compiler, whatever its flags, can turn their bodies back into calls to themselves. The
 * SysV ABI guarantees the direction flag is clear on function entry. */

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if (dst == src)
        return dst;
    /* A forward copy is safe unless dst starts inside src; then copy from the top down. */
    if ((uptr)dst - (uptr)src >= n) {
        void *d = dst;
        __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    } else {
        char *d = (char *)dst + n - 1;
        const char *s = (const char *)src + n - 1;
        __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (; n; n--, p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    for (; *a && *a == *b; a++, b++)
        ;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    if (!n)
        return 0;
    for (; --n && *a && *a == *b; a++, b++)
        ;
    return (unsigned char)*a - (unsigned char)*b;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = MIN(len, size - 1);
        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}

size_t strlcat(char *dst, const char *src, size_t size)
{
    /* A dst with no terminator within size is left alone (strlcpy of size 0 writes nothing)
     * and size + strlen(src) returned, as in OpenBSD. */
    size_t dlen = strnlen(dst, size);
    return dlen + strlcpy(dst + dlen, src, size - dlen);
}

char *strdup(const char *s)
{
    return strndup(s, (size_t)-1);
}

char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = kmalloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* The common part of strtol and strtoul: reads the sign and the magnitude, which saturates at
 * limit (setting *over) so that the callers only have to apply the sign. Sets *end as the C
 * library does: past the last digit, or to s when there are none. */
static unsigned long parse_ulong(const char *s, char **end, int base, unsigned long limit,
                                 bool *neg, bool *over)
{
    const char *p = s;
    unsigned long v = 0;
    bool any = false;

    *neg = *over = false;
    if (base < 0 || base == 1 || base > 36)
        goto done;
    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        *neg = *p++ == '-';
    /* "0x" counts as a prefix only when a hex digit follows; otherwise the 0 is the number. */
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 0x20) == 'x' &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (int d; (d = digit_value(*p)) < base; p++) {
        any = true;
        if (v > (limit - (unsigned long)d) / (unsigned long)base)
            *over = true;
        else
            v = v * (unsigned long)base + (unsigned long)d;
    }
    if (*over)
        v = limit;
done:
    if (end)
        *end = (char *)(any ? p : s);
    return any ? v : 0;
}

long strtol(const char *s, char **end, int base)
{
    bool neg, over;
    /* One more than LONG_MAX in magnitude, so that LONG_MIN parses. */
    unsigned long v = parse_ulong(s, end, base, (unsigned long)LONG_MAX + 1, &neg, &over);
    if (neg)
        return v > (unsigned long)LONG_MAX ? LONG_MIN : -(long)v;
    return v > (unsigned long)LONG_MAX ? LONG_MAX : (long)v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    bool neg, over;
    unsigned long v = parse_ulong(s, end, base, ULONG_MAX, &neg, &over);
    /* As in C: a leading '-' negates in unsigned arithmetic, but overflow stays ULONG_MAX. */
    return neg && !over ? -v : v;
}
