/* sys_copy.c: in-kernel copies between files (sendfile, copy_file_range) and read-ahead
 * advice (fadvise64). Copies go through a library-OS buffer with the ordinary file
 * operations, so they work between any two kinds of file the core has. */
#include "linux.h"

#define COPY_CHUNK 65536

static bool is_reg(struct file *f)
{
    return f->vnode && S_ISREG(f->vnode->type);
}

/* Copies up to n bytes from in (at *ipos, or its file position if ipos is NULL) to out (at
 * *opos, or its position). Returns the bytes copied or a negative errno. */
static long copy_between(struct file *in, i64 *ipos, struct file *out, i64 *opos, size_t n)
{
    char *buf = kmalloc(COPY_CHUNK);
    if (!buf)
        return -ENOMEM;
    long total = 0, r = 0;
    while ((size_t)total < n) {
        size_t want = MIN(n - (size_t)total, (size_t)COPY_CHUNK);
        i64 rp = ipos ? *ipos : in->pos;
        r = in->ops->read(in, (uptr)buf, want, is_reg(in) ? rp : -1);
        if (r <= 0)
            break;
        if (ipos)
            *ipos += r;
        else if (is_reg(in))
            in->pos += r;
        long w = 0;
        while (w < r) {
            i64 wp = opos ? *opos : out->pos;
            long k = out->ops->write(out, (uptr)(buf + w), (size_t)(r - w),
                                     is_reg(out) ? wp : -1);
            if (k <= 0) {
                r = k ? k : -EIO;
                goto done;
            }
            if (opos)
                *opos += k;
            else if (is_reg(out))
                out->pos += k;
            w += k;
        }
        total += r;
        if ((size_t)r < want)
            break;
    }
done:
    kfree(buf);
    return total ? total : r;
}

long sys_sendfile(int out_fd, int in_fd, uptr uoff, size_t count)
{
    struct proc *p = current()->proc;
    struct file *in = fd_get(&p->fds, in_fd), *out = fd_get(&p->fds, out_fd);
    long r;
    i64 off = 0;
    if (!in || !out) {
        r = -EBADF;
        goto out;
    }
    if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY ||
        !in->ops->read || !out->ops->write) {
        r = -EBADF;
        goto out;
    }
    if ((out->flags & O_APPEND) || (in->vnode && S_ISDIR(in->vnode->type))) {
        r = -EINVAL;
        goto out;
    }
    if (uoff) {
        if (copy_from_guest(&off, uoff, sizeof(off))) {
            r = -EFAULT;
            goto out;
        }
        if (off < 0) {
            r = -EINVAL;
            goto out;
        }
    }
    r = copy_between(in, uoff ? &off : NULL, out, NULL, MIN(count, (size_t)0x7ffff000));
    if (uoff && r >= 0 && copy_to_guest(uoff, &off, sizeof(off)))
        r = -EFAULT;
out:
    file_put(in);
    file_put(out);
    return r;
}

long sys_copy_file_range(int in_fd, uptr uin, int out_fd, uptr uout, size_t len,
                         unsigned flags)
{
    struct proc *p = current()->proc;
    if (flags)
        return -EINVAL;
    struct file *in = fd_get(&p->fds, in_fd), *out = fd_get(&p->fds, out_fd);
    long r;
    i64 ioff = 0, ooff = 0;
    if (!in || !out) {
        r = -EBADF;
        goto out;
    }
    if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY ||
        (out->flags & O_APPEND)) {
        r = -EBADF;
        goto out;
    }
    if (!is_reg(in) || !is_reg(out)) {
        r = (in->vnode && S_ISDIR(in->vnode->type)) || (out->vnode && S_ISDIR(out->vnode->type))
                ? -EISDIR
                : -EINVAL;
        goto out;
    }
    if ((uin && copy_from_guest(&ioff, uin, 8)) || (uout && copy_from_guest(&ooff, uout, 8))) {
        r = -EFAULT;
        goto out;
    }
    if (ioff < 0 || ooff < 0) {
        r = -EINVAL;
        goto out;
    }
    r = copy_between(in, uin ? &ioff : NULL, out, uout ? &ooff : NULL,
                     MIN(len, (size_t)0x7ffff000));
    if (r >= 0 && ((uin && copy_to_guest(uin, &ioff, 8)) || (uout && copy_to_guest(uout, &ooff, 8))))
        r = -EFAULT;
out:
    file_put(in);
    file_put(out);
    return r;
}

long sys_fadvise64(int fd, i64 off, i64 len, int advice)
{
    struct file *f = fd_get(&current()->proc->fds, fd);
    if (!f)
        return -EBADF;
    long r = 0;
    if (!f->vnode || S_ISFIFO(f->vnode->type))
        r = -ESPIPE;
    else if (advice < 0 || advice > 5 || len < 0)
        r = -EINVAL;
    (void)off;
    file_put(f);
    return r; /* advice only: correct to take no action */
}
