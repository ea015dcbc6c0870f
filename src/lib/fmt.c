/* fmt.c: snprintf and vsnprintf for the library OS's own messages (integers and strings only). */
#include <limits.h>
#include "lib.h"

/* The output so far: bytes past cap are counted but not stored, which gives C99's return
 * value and lets padding of any width cost no more than the room left in buf. cap keeps the
 * last byte of buf for the terminator. */
struct out {
    char *buf;
    size_t cap;
    size_t len;
};

static void out_bytes(struct out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, MIN(n, room));
    }
    o->len += n;
}

static void out_fill(struct out *o, char c, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memset(o->buf + o->len, c, MIN(n, room));
    }
    o->len += n;
}

#define F_MINUS 1
#define F_ZERO 2
#define F_SPACE 4
#define F_PLUS 8
#define F_ALT 16

/* Lays out [sign/prefix][zeros][body] in a field of width, right-aligned unless F_MINUS. */
static void out_field(struct out *o, int flags, size_t width, const char *prefix, size_t zeros,
                      const char *body, size_t body_len)
{
    size_t plen = strlen(prefix);
    size_t total = plen + zeros + body_len;
    size_t pad = width > total ? width - total : 0;

    if (!(flags & F_MINUS) && !(flags & F_ZERO))
        out_fill(o, ' ', pad);
    out_bytes(o, prefix, plen);
    if (!(flags & F_MINUS) && (flags & F_ZERO))
        out_fill(o, '0', pad);
    out_fill(o, '0', zeros);
    out_bytes(o, body, body_len);
    if (flags & F_MINUS)
        out_fill(o, ' ', pad);
}

/* Formats an integer conversion. prec < 0 means none was given. */
static void out_int(struct out *o, int flags, size_t width, int prec, char conv, bool neg,
                    unsigned long long v)
{
    char digits[24]; /* 22 octal digits for 64 bits */
    char *end = digits + sizeof(digits), *p = end;
    const char *prefix = "";
    unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;
    const char *set = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";

    for (unsigned long long x = v; x; x /= base)
        *--p = set[x % base];
    size_t ndig = (size_t)(end - p);
    size_t need = prec < 0 ? 1 : (size_t)prec; /* "%.0d" of 0 prints no digits at all */
    size_t zeros = need > ndig ? need - ndig : 0;

    if (prec >= 0)
        flags &= ~F_ZERO;
    if (conv == 'd' || conv == 'i')
        prefix = neg ? "-" : (flags & F_PLUS) ? "+" : (flags & F_SPACE) ? " " : "";
    else if ((flags & F_ALT) && conv == 'o' && zeros == 0)
        zeros = 1; /* '#' makes the first octal digit a 0 */
    else if ((flags & F_ALT) && v != 0 && (conv == 'x' || conv == 'p'))
        prefix = "0x";
    else if ((flags & F_ALT) && v != 0 && conv == 'X')
        prefix = "0X";
    out_field(o, flags, width, prefix, zeros, p, ndig);
}

static void out_str(struct out *o, int flags, size_t width, int prec, const char *s)
{
    if (!s)
        s = "(null)";
    /* With a precision, s need not be terminated: read no further than prec bytes. */
    size_t n = prec < 0 ? strlen(s) : strnlen(s, (size_t)prec);
    out_field(o, flags & F_MINUS, width, "", 0, s, n);
}

/* Reads a decimal number for a width or precision, saturating rather than overflowing. */
static int read_num(const char **fmt)
{
    int n = 0;
    for (; **fmt >= '0' && **fmt <= '9'; (*fmt)++)
        n = n > (INT_MAX - 9) / 10 ? INT_MAX : n * 10 + (**fmt - '0');
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size ? size - 1 : 0, 0};

    while (*fmt) {
        const char *spec = fmt;
        if (*fmt != '%') {
            const char *lit = fmt;
            while (*fmt && *fmt != '%')
                fmt++;
            out_bytes(&o, lit, (size_t)(fmt - lit));
            continue;
        }
        fmt++;

        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                flags |= F_MINUS;
            else if (*fmt == '0')
                flags |= F_ZERO;
            else if (*fmt == ' ')
                flags |= F_SPACE;
            else if (*fmt == '+')
                flags |= F_PLUS;
            else if (*fmt == '#')
                flags |= F_ALT;
            else
                break;
        }

        size_t width = 0;
        if (*fmt == '*') {
            int w = va_arg(ap, int);
            fmt++;
            if (w < 0) {
                flags |= F_MINUS;
                width = (size_t)0 - (size_t)(long)w;
            } else {
                width = (size_t)w;
            }
        } else {
            width = (size_t)read_num(&fmt);
        }

        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                prec = va_arg(ap, int); /* negative: as if none was given */
                fmt++;
                if (prec < 0)
                    prec = -1;
            } else {
                prec = read_num(&fmt);
            }
        }

        /* On x86-64, long, long long, size_t, ptrdiff_t and intmax_t are all 64 bits and passed
         * alike, so l ll z t j share one case. */
        enum { LEN_HH, LEN_H, LEN_INT, LEN_64 } len = LEN_INT;
        if (fmt[0] == 'h') {
            len = fmt[1] == 'h' ? LEN_HH : LEN_H;
            fmt += len == LEN_HH ? 2 : 1;
        } else if (fmt[0] == 'l' || fmt[0] == 'z' || fmt[0] == 't' || fmt[0] == 'j') {
            len = LEN_64;
            fmt += fmt[0] == 'l' && fmt[1] == 'l' ? 2 : 1;
        }

        char conv = *fmt;
        switch (conv) {
        case 'd':
        case 'i': {
            long long v;
            if (len == LEN_64)
                v = va_arg(ap, long long);
            else if (len == LEN_INT)
                v = va_arg(ap, int);
            else if (len == LEN_H)
                v = (short)va_arg(ap, int);
            else
                v = (signed char)va_arg(ap, int);
            unsigned long long mag = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
            out_int(&o, flags, width, prec, conv, v < 0, mag);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            unsigned long long v;
            if (len == LEN_64)
                v = va_arg(ap, unsigned long long);
            else if (len == LEN_INT)
                v = va_arg(ap, unsigned);
            else if (len == LEN_H)
                v = (unsigned short)va_arg(ap, unsigned);
            else
                v = (unsigned char)va_arg(ap, unsigned);
            out_int(&o, flags, width, prec, conv, false, v);
            break;
        }
        case 'p': {
            void *v = va_arg(ap, void *);
            if (v)
                out_int(&o, (flags & (F_MINUS | F_ZERO)) | F_ALT, width, prec, 'p', false, (uptr)v);
            else
                out_str(&o, flags, width, -1, "(nil)");
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            out_field(&o, flags & F_MINUS, width, "", 0, &c, 1);
            break;
        }
        case 's':
            out_str(&o, flags, width, prec, va_arg(ap, const char *));
            break;
        case '%':
            out_bytes(&o, "%", 1);
            break;
        default:
            /* Unknown (including %n, deliberately unsupported): show the directive as written,
             * so the mistake is visible and no argument is consumed. */
            if (!conv)
                fmt--;
            out_bytes(&o, spec, (size_t)(fmt + 1 - spec));
            break;
        }
        fmt++;
    }

    if (size)
        buf[MIN(o.len, o.cap)] = 0;
    return o.len > INT_MAX ? -1 : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
