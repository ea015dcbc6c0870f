/* vnode.c: lifetimes of vnodes and open file descriptions, and small shared VFS helpers. */
#include "vfs.h"
#include "../platform/platform.h"

struct vnode *vnode_new(struct fs *fs, const struct vnode_ops *ops, u32 type, void *priv)
{
    struct vnode *v = kzalloc(sizeof(*v));
    if (!v)
        return NULL;
    v->refs = 1;
    v->type = type & S_IFMT;
    v->ops = ops;
    v->fs = fs;
    v->priv = priv;
    return v;
}

void vnode_put(struct vnode *v)
{
    if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL))
        return;
    if (v->ops->release)
        v->ops->release(v);
    kfree(v);
}

struct file *file_alloc(const struct file_ops *ops, u32 flags, void *priv)
{
    struct file *f = kzalloc(sizeof(*f));
    if (!f)
        return NULL;
    f->refs = 1;
    f->ops = ops;
    f->flags = flags;
    f->priv = priv;
    return f;
}

void file_put(struct file *f)
{
    if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
        return;
    if (f->ops && f->ops->release)
        f->ops->release(f);
    vnode_put(f->vnode);
    kfree(f->path);
    kfree(f);
}

int file_anon_getattr(struct file *f, struct vattr *a)
{
    (void)f;
    a->mode = 0600; /* an anonymous inode, as Linux reports epoll, eventfd, timerfd, signalfd */
    a->nlink = 1;
    a->blksize = 4096;
    return 0;
}

int vfs_getattr(struct vnode *v, struct vattr *a)
{
    memset(a, 0, sizeof(*a));
    return v->ops->getattr ? v->ops->getattr(v, a) : -ENOSYS;
}

int vfs_dtype(u32 mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return DT_REG;
    case S_IFDIR: return DT_DIR;
    case S_IFLNK: return DT_LNK;
    case S_IFCHR: return DT_CHR;
    case S_IFBLK: return DT_BLK;
    case S_IFIFO: return DT_FIFO;
    case S_IFSOCK: return DT_SOCK;
    }
    return DT_UNKNOWN;
}

/* Counters that every process of the sandbox must share: vfs_init moves them into the shared
 * arena before the first fork (until then, and in unit tests, they live in the image). */
struct vfs_counters {
    u64 ino, dev;
};
static struct vfs_counters boot_counters = {1000, 0x100000}; /* devs: away from host ones */
static struct vfs_counters *counters = &boot_counters;

int vfs_init(void)
{
    struct vfs_counters *c = kmalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    *c = *counters;
    counters = c;
    return 0;
}

static struct vfs_counters *ctr(void)
{
    return counters;
}

u64 vfs_new_ino(void)
{
    return __atomic_add_fetch(&ctr()->ino, 1, __ATOMIC_RELAXED);
}

u64 vfs_new_dev(void)
{
    return __atomic_add_fetch(&ctr()->dev, 1, __ATOMIC_RELAXED);
}

struct timespec64 vfs_now(void)
{
    struct timespec64 t = {0, 0};
    plat_clock_get(0, &t.sec, &t.nsec);
    return t;
}
