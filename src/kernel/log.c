/* log.c: the library OS's own diagnostics (never the guest's output): kprintf and panic,
 * written to the host's standard error or to the trace file when one was given. */
#include "../lib/lib.h"
#include "../platform/platform.h"

static spinlock_t log_lock;

/* Whole lines go out in one host write, so lines from several threads never interleave. */
static void emit(const char *buf, size_t n)
{
    spin_lock(&log_lock);
    plat_log_write(buf, n);
    spin_unlock(&log_lock);
}

void kprintf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    emit(buf, MIN((size_t)n, sizeof(buf) - 1));
}

_Noreturn void panic(const char *fmt, ...)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "husk: internal error: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = MIN(n, (int)sizeof(buf) - 2);
    buf[n++] = '\n';
    emit(buf, (size_t)n);
    plat_exit(125);
}
