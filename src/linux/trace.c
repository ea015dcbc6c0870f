/* trace.c: `husk run --trace`: every guest syscall with decoded arguments and its result, one
 * line each, in strace's shape. Argument letters (syscalls.def): d int, u unsigned, x hex,
 * o octal, p pointer, s guest string, b guest buffer (shown after a write-like call), f a
 * directory fd (AT_FDCWD by name), F open flags. */
#include "linux.h"

int trace_enabled;

static const char *const errnames[] = {
    [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [6] = "ENXIO",
    [7] = "E2BIG", [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN",
    [12] = "ENOMEM", [13] = "EACCES", [14] = "EFAULT", [16] = "EBUSY", [17] = "EEXIST",
    [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL",
    [24] = "EMFILE", [25] = "ENOTTY", [27] = "EFBIG", [28] = "ENOSPC", [29] = "ESPIPE",
    [30] = "EROFS", [32] = "EPIPE", [34] = "ERANGE", [36] = "ENAMETOOLONG", [38] = "ENOSYS",
    [39] = "ENOTEMPTY", [40] = "ELOOP", [61] = "ENODATA", [95] = "EOPNOTSUPP",
    [110] = "ETIMEDOUT",
};

/* Appends a guest string, escaped and cut at 48 bytes, as strace shows it. */
static int put_str(char *o, size_t cap, uptr p, size_t max)
{
    char s[49];
    size_t n = 0;
    if (!p)
        return snprintf(o, cap, "NULL");
    long len = copy_str_from_guest(s, p, sizeof(s));
    if (len == -EFAULT)
        return snprintf(o, cap, "%#lx", (unsigned long)p);
    size_t shown = len < 0 ? sizeof(s) - 1 : (size_t)len;
    if (shown > max)
        shown = max;
    n += (size_t)snprintf(o + n, cap - n, "\"");
    for (size_t i = 0; i < shown && n + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            n += (size_t)snprintf(o + n, cap - n, "\\n");
        else if (c == '"' || c == '\\')
            n += (size_t)snprintf(o + n, cap - n, "\\%c", c);
        else if (c < 32 || c > 126)
            n += (size_t)snprintf(o + n, cap - n, "\\%o", c);
        else
            o[n++] = (char)c;
    }
    n += (size_t)snprintf(o + n, cap - n, "\"%s", len < 0 || (size_t)len > shown ? "..." : "");
    return (int)n;
}

/* A guest buffer of known length (write's data): printable bytes, escaped. */
static int put_buf(char *o, size_t cap, uptr p, size_t len)
{
    char s[33];
    size_t shown = MIN(len, (size_t)32);
    if (copy_from_guest(s, p, shown))
        return snprintf(o, cap, "%#lx", (unsigned long)p);
    size_t n = (size_t)snprintf(o, cap, "\"");
    for (size_t i = 0; i < shown && n + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            n += (size_t)snprintf(o + n, cap - n, "\\n");
        else if (c == '"' || c == '\\')
            n += (size_t)snprintf(o + n, cap - n, "\\%c", c);
        else if (c < 32 || c > 126)
            n += (size_t)snprintf(o + n, cap - n, "\\%o", c);
        else
            o[n++] = (char)c;
    }
    n += (size_t)snprintf(o + n, cap - n, "\"%s", len > shown ? "..." : "");
    return (int)n;
}

static int format_args(char *o, size_t cap, const struct syscall_desc *d, const long a[6])
{
    size_t n = 0;
    const char *f = d->args;
    for (int i = 0; f[i] && i < 6 && n < cap; i++) {
        if (i)
            n += (size_t)snprintf(o + n, cap - n, ", ");
        long v = a[i];
        switch (f[i]) {
        case 'd': n += (size_t)snprintf(o + n, cap - n, "%d", (int)v); break;
        case 'u': n += (size_t)snprintf(o + n, cap - n, "%lu", (unsigned long)v); break;
        case 'o': n += (size_t)snprintf(o + n, cap - n, "%#lo", (unsigned long)v); break;
        case 's': n += (size_t)put_str(o + n, cap - n, (uptr)v, 48); break;
        case 'b': n += (size_t)put_buf(o + n, cap - n, (uptr)v, (size_t)a[i + 1]); break;
        case 'f':
            n += (int)v == AT_FDCWD ? (size_t)snprintf(o + n, cap - n, "AT_FDCWD")
                                    : (size_t)snprintf(o + n, cap - n, "%d", (int)v);
            break;
        case 'p':
            n += v ? (size_t)snprintf(o + n, cap - n, "%#lx", (unsigned long)v)
                   : (size_t)snprintf(o + n, cap - n, "NULL");
            break;
        default: n += (size_t)snprintf(o + n, cap - n, "%#lx", (unsigned long)v); break;
        }
    }
    return (int)MIN(n, cap);
}

void trace_enter(const struct syscall_desc *d, int nr, const long a[6])
{
    /* Calls that may block or never return are shown before they run. */
    if (!d || (nr != 60 && nr != 231 && nr != 59 && nr != 0))
        return;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "[%d] %s(", current()->tid, d->name);
    n += format_args(buf + n, sizeof(buf) - (size_t)n, d, a);
    kprintf("%.*s) ...\n", n, buf);
}

void trace_exit(const struct syscall_desc *d, int nr, const long a[6], long ret)
{
    char buf[640];
    int n;
    if (!d) {
        n = snprintf(buf, sizeof(buf), "[%d] syscall_%d(%#lx, %#lx, %#lx)", current()->tid, nr,
                     (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2]);
    } else {
        n = snprintf(buf, sizeof(buf), "[%d] %s(", current()->tid, d->name);
        n += format_args(buf + n, sizeof(buf) - 64 - (size_t)n, d, a);
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, ")");
    }
    if (ret < 0 && ret > -4096) {
        const char *e = -ret < (long)ARRAY_SIZE(errnames) ? errnames[-ret] : NULL;
        kprintf("%.*s = -1 %s (%ld)\n", n, buf, e ? e : "E?", -ret);
    } else if (ret > 0xffff || ret < 0) {
        kprintf("%.*s = %#lx\n", n, buf, (unsigned long)ret);
    } else {
        kprintf("%.*s = %ld\n", n, buf, ret);
    }
}
