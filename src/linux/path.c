/* path.c: guest paths into the VFS: copying them out of guest memory, choosing where a
 * relative path starts (cwd or a dirfd), and Linux's stat layouts from core attributes. */
#include "linux.h"

long path_from_guest(uptr upath, char **out)
{
    char *buf = kmalloc(PATH_MAX);
    if (!buf)
        return -ENOMEM;
    long n = copy_str_from_guest(buf, upath, PATH_MAX);
    if (n < 0) {
        kfree(buf);
        return n;
    }
    *out = buf;
    return n;
}

int path_resolve_k(struct proc *p, int dirfd, const char *path, int lookup_flags,
                   struct resolved *r)
{
    if (path[0] == '/' || dirfd == AT_FDCWD)
        return vfs_resolve(&p->root, &p->cwd, path, lookup_flags, r);
    struct file *f = fd_get(&p->fds, dirfd);
    if (!f)
        return -EBADF;
    int err;
    if (!f->vnode) {
        err = path[0] ? -ENOTDIR : -EBADF;
    } else if (!path[0]) {
        /* AT_EMPTY_PATH: the file itself. */
        memset(r, 0, sizeof(*r));
        r->vnode = vnode_get(f->vnode);
        r->mnt = f->mnt;
        r->path = strdup(f->path ? f->path : "");
        err = r->path ? 0 : -ENOMEM;
        if (err)
            vnode_put(r->vnode);
    } else if (!S_ISDIR(f->vnode->type)) {
        err = -ENOTDIR;
    } else {
        struct vfs_start s = {f->vnode, f->mnt, f->path};
        err = vfs_resolve(&p->root, &s, path, lookup_flags, r);
    }
    file_put(f);
    return err;
}

int path_resolve_at(struct proc *p, int dirfd, uptr upath, int lookup_flags, bool empty_ok,
                    struct resolved *r)
{
    char *path;
    long n = path_from_guest(upath, &path);
    if (n < 0)
        return (int)n;
    int err;
    if (n == 0 && !empty_ok)
        err = -ENOENT;
    else
        err = path_resolve_k(p, dirfd, path, lookup_flags, r);
    kfree(path);
    return err;
}

int file_getattr(struct file *f, struct vattr *a)
{
    memset(a, 0, sizeof(*a));
    if (f->vnode)
        return vfs_getattr(f->vnode, a);
    return f->ops->getattr ? f->ops->getattr(f, a) : -EBADF;
}

int vattr_to_stat(const struct vattr *a, uptr ustat)
{
    struct linux_stat st = {
        .st_dev = a->dev,
        .st_ino = a->ino,
        .st_nlink = a->nlink,
        .st_mode = a->mode,
        .st_uid = a->uid,
        .st_gid = a->gid,
        .st_rdev = a->rdev,
        .st_size = (i64)a->size,
        .st_blksize = a->blksize ? a->blksize : 4096,
        .st_blocks = (i64)a->blocks,
        .st_atim = {a->atime.sec, a->atime.nsec},
        .st_mtim = {a->mtime.sec, a->mtime.nsec},
        .st_ctim = {a->ctime.sec, a->ctime.nsec},
    };
    return copy_to_guest(ustat, &st, sizeof(st)) ? -EFAULT : 0;
}
