/* fdtable.c: per-process file descriptor tables: small integers naming open file
 * descriptions, with the close-on-exec bit that belongs to the descriptor, not the file. */
#include "task.h"

int fdt_init(struct fdtable *t)
{
    memset(t, 0, sizeof(*t));
    t->limit = 1024; /* Linux's default soft RLIMIT_NOFILE */
    return 0;
}

static int grow(struct fdtable *t, int need)
{
    if (need <= t->cap)
        return 0;
    int cap = t->cap ? t->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > FD_MAX)
        cap = FD_MAX;
    if (need > cap)
        return -EMFILE;
    struct file **nf = krealloc(t->files, (size_t)cap * sizeof(*nf));
    if (!nf)
        return -ENOMEM;
    t->files = nf;
    u8 *nc = krealloc(t->cloexec, (size_t)cap);
    if (!nc)
        return -ENOMEM;
    t->cloexec = nc;
    memset(t->files + t->cap, 0, (size_t)(cap - t->cap) * sizeof(*nf));
    memset(t->cloexec + t->cap, 0, (size_t)(cap - t->cap));
    t->cap = cap;
    return 0;
}

int fd_install(struct fdtable *t, struct file *f, int minfd, bool cloexec)
{
    spin_lock(&t->lock);
    int fd = minfd, err;
    while (fd < t->cap && t->files[fd])
        fd++;
    if (fd >= t->limit) {
        err = -EMFILE;
        goto fail;
    }
    err = grow(t, fd + 1);
    if (err)
        goto fail;
    t->files[fd] = f;
    t->cloexec[fd] = cloexec;
    spin_unlock(&t->lock);
    return fd;
fail:
    spin_unlock(&t->lock);
    return err;
}

int fd_install_at(struct fdtable *t, struct file *f, int fd, bool cloexec)
{
    if (fd < 0 || fd >= t->limit)
        return -EBADF;
    spin_lock(&t->lock);
    int err = grow(t, fd + 1);
    if (err) {
        spin_unlock(&t->lock);
        return err;
    }
    struct file *old = t->files[fd];
    t->files[fd] = f;
    t->cloexec[fd] = cloexec;
    spin_unlock(&t->lock);
    file_put(old);
    return fd;
}

struct file *fd_get(struct fdtable *t, int fd)
{
    struct file *f = NULL;
    spin_lock(&t->lock);
    if (fd >= 0 && fd < t->cap && t->files[fd])
        f = file_get(t->files[fd]);
    spin_unlock(&t->lock);
    return f;
}

int fd_close(struct fdtable *t, int fd)
{
    spin_lock(&t->lock);
    struct file *f = (fd >= 0 && fd < t->cap) ? t->files[fd] : NULL;
    if (f)
        t->files[fd] = NULL;
    spin_unlock(&t->lock);
    if (!f)
        return -EBADF;
    file_put(f);
    return 0;
}

int fd_get_cloexec(struct fdtable *t, int fd)
{
    spin_lock(&t->lock);
    int r = (fd >= 0 && fd < t->cap && t->files[fd]) ? t->cloexec[fd] : -EBADF;
    spin_unlock(&t->lock);
    return r;
}

int fd_set_cloexec(struct fdtable *t, int fd, bool on)
{
    spin_lock(&t->lock);
    int r = -EBADF;
    if (fd >= 0 && fd < t->cap && t->files[fd]) {
        t->cloexec[fd] = on;
        r = 0;
    }
    spin_unlock(&t->lock);
    return r;
}
