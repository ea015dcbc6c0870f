/* sys_fs.c: syscalls on names: stat by path, access, directories (mkdir, rmdir, chdir,
 * getcwd), links (link, symlink, unlink, rename, readlink), attributes (chmod, chown, times,
 * truncate), statfs and umask. */
#include "linux.h"

static struct proc *cproc(void)
{
    return current()->proc;
}

/* ---- permission ---- */

#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4

/* Unix permission bits against the caller's ids (root passes all but exec without any x). */
static int permission(struct proc *p, const struct vattr *a, int mask, bool real_ids)
{
    u32 uid = real_ids ? p->uid : p->euid, gid = real_ids ? p->gid : p->egid;
    if (uid == 0) {
        if ((mask & MAY_EXEC) && !S_ISDIR(a->mode) && !(a->mode & 0111))
            return -EACCES;
        return 0;
    }
    u32 bits;
    if (a->uid == uid)
        bits = (a->mode >> 6) & 7;
    else {
        bool in = a->gid == gid;
        for (u32 i = 0; i < p->ngroups && !in; i++)
            in = p->groups[i] == a->gid;
        bits = in ? (a->mode >> 3) & 7 : a->mode & 7;
    }
    return ((u32)mask & ~bits) ? -EACCES : 0;
}

/* ---- stat ---- */

static long do_stat(int dirfd, uptr path, uptr st, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct resolved r;
    int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    int err = path_resolve_at(cproc(), dirfd, path, lf | LOOKUP_EMPTY, flags & AT_EMPTY_PATH, &r);
    if (err)
        return err;
    struct vattr a;
    err = vfs_getattr(r.vnode, &a);
    resolved_put(&r);
    return err ? err : vattr_to_stat(&a, st);
}

long sys_stat(uptr path, uptr st)
{
    return do_stat(AT_FDCWD, path, st, 0);
}

long sys_lstat(uptr path, uptr st)
{
    return do_stat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

long sys_newfstatat(int dirfd, uptr path, uptr st, int flags)
{
    /* An empty path with AT_EMPTY_PATH on a pipe or the console: fstat of the fd. */
    if ((flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
        char c;
        if (!copy_from_guest(&c, path, 1) && !c)
            return sys_fstat(dirfd, st);
    }
    return do_stat(dirfd, path, st, flags);
}

static void statx_ts(struct linux_statx_timestamp *o, struct timespec64 t)
{
    o->tv_sec = t.sec;
    o->tv_nsec = (u32)t.nsec;
}

long sys_statx(int dirfd, uptr path, int flags, unsigned mask, uptr buf)
{
    (void)mask;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    if (mask & 0x80000000U) /* STATX__RESERVED */
        return -EINVAL;
    struct vattr a;
    int err;
    char c = 1;
    if ((flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD && !copy_from_guest(&c, path, 1) && !c) {
        struct file *f = fd_get(&cproc()->fds, dirfd);
        if (!f)
            return -EBADF;
        err = file_getattr(f, &a);
        file_put(f);
    } else {
        struct resolved r;
        int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
        err = path_resolve_at(cproc(), dirfd, path, lf | LOOKUP_EMPTY, flags & AT_EMPTY_PATH,
                              &r);
        if (err)
            return err;
        err = vfs_getattr(r.vnode, &a);
        resolved_put(&r);
    }
    if (err)
        return err;
    struct linux_statx sx;
    memset(&sx, 0, sizeof(sx));
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = a.blksize ? a.blksize : 4096;
    sx.stx_nlink = (u32)a.nlink;
    sx.stx_uid = a.uid;
    sx.stx_gid = a.gid;
    sx.stx_mode = (u16)a.mode;
    sx.stx_ino = a.ino;
    sx.stx_size = a.size;
    sx.stx_blocks = a.blocks;
    statx_ts(&sx.stx_atime, a.atime);
    statx_ts(&sx.stx_mtime, a.mtime);
    statx_ts(&sx.stx_ctime, a.ctime);
    /* Linux's new_encode_dev split back into major and minor. */
    sx.stx_rdev_major = (u32)(((a.rdev >> 8) & 0xfff) | ((a.rdev >> 32) & ~0xfffU));
    sx.stx_rdev_minor = (u32)((a.rdev & 0xff) | ((a.rdev >> 12) & ~0xffU));
    sx.stx_dev_major = (u32)(((a.dev >> 8) & 0xfff) | ((a.dev >> 32) & ~0xfffU));
    sx.stx_dev_minor = (u32)((a.dev & 0xff) | ((a.dev >> 12) & ~0xffU));
    return copy_to_guest(buf, &sx, sizeof(sx)) ? -EFAULT : 0;
}

/* ---- access ---- */

long sys_faccessat2(int dirfd, uptr path, int mode, int flags)
{
    if (mode & ~7)
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct resolved r;
    int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    int err = path_resolve_at(cproc(), dirfd, path, lf | LOOKUP_EMPTY, flags & AT_EMPTY_PATH, &r);
    if (err)
        return err;
    struct vattr a;
    err = vfs_getattr(r.vnode, &a);
    if (!err && (mode & MAY_WRITE) && (r.mnt->flags & MNT_RDONLY) && !S_ISCHR(a.mode) &&
        !S_ISFIFO(a.mode))
        err = -EROFS;
    if (!err && mode)
        err = permission(cproc(), &a, mode, !(flags & AT_EACCESS));
    resolved_put(&r);
    return err;
}

long sys_faccessat(int dirfd, uptr path, int mode)
{
    return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(uptr path, int mode)
{
    return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

/* ---- directories ---- */

/* Resolves the parent of a name to be created or removed, with the checks every such call
 * shares: a last component exists, the mount is writable. */
static int resolve_parent(int dirfd, uptr path, struct resolved *r)
{
    int err = path_resolve_at(cproc(), dirfd, path, LOOKUP_PARENT | LOOKUP_FOLLOW, false, r);
    if (err)
        return err;
    if (!r->last[0]) {
        resolved_put(r);
        return -EBUSY; /* the root itself */
    }
    if (!strcmp(r->last, ".") || !strcmp(r->last, "..")) {
        resolved_put(r);
        return -EEXIST; /* link or symlink over "." or ".." */
    }
    if (r->mnt->flags & MNT_RDONLY) {
        resolved_put(r);
        return -EROFS;
    }
    return 0;
}

static bool name_exists(struct resolved *r)
{
    struct vnode *v;
    if (r->vnode->ops->lookup(r->vnode, r->last, &v))
        return false;
    vnode_put(v);
    return true;
}

long sys_mkdirat(int dirfd, uptr path, u32 mode)
{
    struct resolved r;
    int err = path_resolve_at(cproc(), dirfd, path, LOOKUP_PARENT | LOOKUP_FOLLOW, false, &r);
    if (err)
        return err;
    if (!r.last[0] || !strcmp(r.last, ".") || !strcmp(r.last, ".."))
        err = -EEXIST;
    else if (name_exists(&r))
        err = -EEXIST;
    else if (r.mnt->flags & MNT_RDONLY)
        err = -EROFS;
    else if (!r.vnode->ops->mkdir)
        err = -EPERM;
    else
        err = r.vnode->ops->mkdir(r.vnode, r.last, mode & 07777 & ~cproc()->umask,
                                  cproc()->euid, cproc()->egid);
    resolved_put(&r);
    return err;
}

long sys_mkdir(uptr path, u32 mode)
{
    return sys_mkdirat(AT_FDCWD, path, mode);
}

static long do_unlink(int dirfd, uptr path, bool dir)
{
    struct resolved r;
    int err = path_resolve_at(cproc(), dirfd, path, LOOKUP_PARENT | LOOKUP_FOLLOW, false, &r);
    if (err)
        return err;
    struct vnode *v = NULL;
    if (!r.last[0])
        err = -EBUSY;
    else if (!strcmp(r.last, "."))
        err = dir ? -EINVAL : -EISDIR;
    else if (!strcmp(r.last, ".."))
        err = dir ? -ENOTEMPTY : -EISDIR;
    else if ((err = r.vnode->ops->lookup(r.vnode, r.last, &v)))
        ;
    else if (dir && !S_ISDIR(v->type))
        err = -ENOTDIR;
    else if (!dir && S_ISDIR(v->type))
        err = -EISDIR;
    else if (!dir && r.trailing_slash)
        err = -ENOTDIR;
    else if (r.mnt->flags & MNT_RDONLY)
        err = -EROFS;
    else {
        /* A mount point cannot be removed. */
        for (struct mount *m = vfs_mounts(); m; m = m->next)
            if (m->root == v)
                err = -EBUSY;
        if (!err) {
            int (*op)(struct vnode *, const char *) = dir ? r.vnode->ops->rmdir
                                                          : r.vnode->ops->unlink;
            err = op ? op(r.vnode, r.last) : -EPERM;
        }
    }
    vnode_put(v);
    resolved_put(&r);
    return err;
}

long sys_unlinkat(int dirfd, uptr path, int flags)
{
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    return do_unlink(dirfd, path, flags & AT_REMOVEDIR);
}

long sys_unlink(uptr path)
{
    return do_unlink(AT_FDCWD, path, false);
}

long sys_rmdir(uptr path)
{
    return do_unlink(AT_FDCWD, path, true);
}

static long set_cwd(struct resolved *r)
{
    struct vattr a;
    int err = vfs_getattr(r->vnode, &a);
    if (!err && !S_ISDIR(a.mode))
        err = -ENOTDIR;
    if (!err)
        err = permission(cproc(), &a, MAY_EXEC, false);
    if (!err)
        fsctx_set(&cproc()->cwd, r->vnode, r->mnt, r->path);
    resolved_put(r);
    return err;
}

long sys_chdir(uptr path)
{
    struct resolved r;
    int err = path_resolve_at(cproc(), AT_FDCWD, path, LOOKUP_FOLLOW, false, &r);
    return err ? err : set_cwd(&r);
}

long sys_fchdir(int fd)
{
    struct file *f = fd_get(&cproc()->fds, fd);
    if (!f)
        return -EBADF;
    struct resolved r = {0};
    int err = -ENOTDIR;
    if (f->vnode) {
        r.vnode = vnode_get(f->vnode);
        r.mnt = f->mnt;
        r.path = strdup(f->path ? f->path : "/");
        err = set_cwd(&r);
    }
    file_put(f);
    return err;
}

long sys_getcwd(uptr buf, size_t size)
{
    const char *cwd = cproc()->cwd.path;
    size_t n = strlen(cwd) + 1;
    if (size < n)
        return -ERANGE;
    return copy_to_guest(buf, cwd, n) ? -EFAULT : (long)n;
}

/* ---- links ---- */

long sys_symlinkat(uptr target, int dirfd, uptr path)
{
    char *t;
    long n = path_from_guest(target, &t);
    if (n < 0)
        return n;
    struct resolved r;
    int err = n ? resolve_parent(dirfd, path, &r) : -ENOENT;
    if (!err) {
        if (name_exists(&r))
            err = -EEXIST;
        else
            err = r.vnode->ops->symlink
                      ? r.vnode->ops->symlink(r.vnode, r.last, t, cproc()->euid, cproc()->egid)
                      : -EPERM;
        resolved_put(&r);
    }
    kfree(t);
    return err;
}

long sys_symlink(uptr target, uptr path)
{
    return sys_symlinkat(target, AT_FDCWD, path);
}

long sys_linkat(int olddirfd, uptr oldpath, int newdirfd, uptr newpath, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct resolved o, n;
    int lf = (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0;
    int err = path_resolve_at(cproc(), olddirfd, oldpath, lf | LOOKUP_EMPTY,
                              flags & AT_EMPTY_PATH, &o);
    if (err)
        return err;
    err = resolve_parent(newdirfd, newpath, &n);
    if (err) {
        resolved_put(&o);
        return err;
    }
    if (S_ISDIR(o.vnode->type))
        err = -EPERM;
    else if (name_exists(&n))
        err = -EEXIST;
    else if (o.mnt != n.mnt || o.vnode->fs != n.vnode->fs)
        err = -EXDEV;
    else
        err = n.vnode->ops->link ? n.vnode->ops->link(n.vnode, n.last, o.vnode) : -EPERM;
    resolved_put(&o);
    resolved_put(&n);
    return err;
}

long sys_link(uptr oldpath, uptr newpath)
{
    return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4

long sys_renameat2(int odirfd, uptr opath, int ndirfd, uptr npath, unsigned flags)
{
    if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
        return -EINVAL;
    if (flags & RENAME_WHITEOUT)
        return -EINVAL;
    struct resolved o, n;
    int err = resolve_parent(odirfd, opath, &o);
    if (err)
        return err;
    err = resolve_parent(ndirfd, npath, &n);
    if (err) {
        resolved_put(&o);
        return err;
    }
    struct vnode *src = NULL;
    if (!strcmp(o.last, ".") || !strcmp(o.last, "..") || !strcmp(n.last, ".") ||
        !strcmp(n.last, ".."))
        err = -EBUSY;
    else if ((err = o.vnode->ops->lookup(o.vnode, o.last, &src)))
        ;
    else if ((o.trailing_slash || n.trailing_slash) && !S_ISDIR(src->type))
        err = -ENOTDIR;
    else if (o.mnt != n.mnt || o.vnode->fs != n.vnode->fs)
        err = -EXDEV;
    else if (!o.vnode->ops->rename)
        err = -EPERM;
    else
        err = o.vnode->ops->rename(o.vnode, o.last, n.vnode, n.last, flags);
    vnode_put(src);
    resolved_put(&o);
    resolved_put(&n);
    return err;
}

long sys_renameat(int odirfd, uptr opath, int ndirfd, uptr npath)
{
    return sys_renameat2(odirfd, opath, ndirfd, npath, 0);
}

long sys_rename(uptr opath, uptr npath)
{
    return sys_renameat2(AT_FDCWD, opath, AT_FDCWD, npath, 0);
}

long sys_readlinkat(int dirfd, uptr path, uptr buf, int size)
{
    if (size <= 0)
        return -EINVAL;
    struct resolved r;
    int err = path_resolve_at(cproc(), dirfd, path, LOOKUP_EMPTY, true, &r);
    if (err)
        return err;
    char tmp[PATH_MAX];
    long n = -EINVAL;
    if (S_ISLNK(r.vnode->type) && r.vnode->ops->readlink)
        n = r.vnode->ops->readlink(r.vnode, tmp, sizeof(tmp));
    resolved_put(&r);
    if (n < 0)
        return n;
    n = MIN(n, (long)size);
    return copy_to_guest(buf, tmp, (size_t)n) ? -EFAULT : n;
}

long sys_readlink(uptr path, uptr buf, int size)
{
    return sys_readlinkat(AT_FDCWD, path, buf, size);
}

/* ---- attributes ---- */

static long setattr_at(int dirfd, uptr path, int lookup, bool empty_ok, const struct vattr *a,
                       unsigned mask)
{
    struct resolved r;
    int err = path_resolve_at(cproc(), dirfd, path, lookup | LOOKUP_EMPTY, empty_ok, &r);
    if (err)
        return err;
    if (r.mnt->flags & MNT_RDONLY)
        err = -EROFS;
    else
        err = r.vnode->ops->setattr ? r.vnode->ops->setattr(r.vnode, a, mask) : -EPERM;
    resolved_put(&r);
    return err;
}

static long setattr_fd(int fd, const struct vattr *a, unsigned mask)
{
    struct file *f = fd_get(&cproc()->fds, fd);
    if (!f)
        return -EBADF;
    long err;
    if (!f->vnode)
        err = mask & VA_MODE ? -EINVAL : 0; /* a pipe: nothing to change that anyone sees */
    else if (f->mnt && (f->mnt->flags & MNT_RDONLY))
        err = -EROFS;
    else
        err = f->vnode->ops->setattr ? f->vnode->ops->setattr(f->vnode, a, mask) : -EPERM;
    file_put(f);
    return err;
}

long sys_fchmodat2(int dirfd, uptr path, u32 mode, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vattr a = {.mode = mode & 07777};
    int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    if (flags & AT_SYMLINK_NOFOLLOW) {
        struct resolved r;
        int err = path_resolve_at(cproc(), dirfd, path, LOOKUP_EMPTY, flags & AT_EMPTY_PATH,
                                  &r);
        if (err)
            return err;
        bool lnk = S_ISLNK(r.vnode->type);
        resolved_put(&r);
        if (lnk)
            return -EOPNOTSUPP;
    }
    return setattr_at(dirfd, path, lf, flags & AT_EMPTY_PATH, &a, VA_MODE);
}

long sys_fchmodat(int dirfd, uptr path, u32 mode)
{
    return sys_fchmodat2(dirfd, path, mode, 0);
}

long sys_chmod(uptr path, u32 mode)
{
    return sys_fchmodat2(AT_FDCWD, path, mode, 0);
}

long sys_fchmod(int fd, u32 mode)
{
    struct vattr a = {.mode = mode & 07777};
    return setattr_fd(fd, &a, VA_MODE);
}

static unsigned chown_mask(u32 uid, u32 gid, struct vattr *a)
{
    unsigned mask = 0;
    if (uid != (u32)-1) {
        a->uid = uid;
        mask |= VA_UID;
    }
    if (gid != (u32)-1) {
        a->gid = gid;
        mask |= VA_GID;
    }
    return mask;
}

long sys_fchownat(int dirfd, uptr path, u32 uid, u32 gid, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vattr a;
    unsigned mask = chown_mask(uid, gid, &a);
    int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    return setattr_at(dirfd, path, lf, flags & AT_EMPTY_PATH, &a, mask);
}

long sys_chown(uptr path, u32 uid, u32 gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(uptr path, u32 uid, u32 gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(int fd, u32 uid, u32 gid)
{
    struct vattr a;
    unsigned mask = chown_mask(uid, gid, &a);
    return setattr_fd(fd, &a, mask);
}

/* Fills times from a guest timespec[2] (NULL: both now), honouring UTIME_NOW/UTIME_OMIT. */
static int times_from(const struct linux_timespec ts[2], bool null, struct vattr *a,
                      unsigned *mask)
{
    struct timespec64 now = vfs_now();
    *mask = 0;
    for (int i = 0; i < 2; i++) {
        struct timespec64 t;
        if (null || ts[i].tv_nsec == UTIME_NOW)
            t = now;
        else if (ts[i].tv_nsec == UTIME_OMIT)
            continue;
        else if (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000)
            return -EINVAL;
        else
            t = (struct timespec64){ts[i].tv_sec, ts[i].tv_nsec};
        if (i == 0)
            a->atime = t;
        else
            a->mtime = t;
        *mask |= i == 0 ? VA_ATIME : VA_MTIME;
    }
    return 0;
}

long sys_utimensat(int dirfd, uptr path, uptr times, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct linux_timespec ts[2];
    if (times && copy_from_guest(ts, times, sizeof(ts)))
        return -EFAULT;
    struct vattr a;
    unsigned mask;
    int err = times_from(ts, !times, &a, &mask);
    if (err)
        return err;
    if (!path) /* utimensat(fd, NULL, ...): the fd itself (what futimens does) */
        return mask ? setattr_fd(dirfd, &a, mask) : 0;
    int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    return mask ? setattr_at(dirfd, path, lf, flags & AT_EMPTY_PATH, &a, mask)
                : setattr_at(dirfd, path, lf, flags & AT_EMPTY_PATH, &a, 0);
}

static long utimes_tv(int dirfd, uptr path, uptr tv)
{
    if (!tv)
        return sys_utimensat(dirfd, path, 0, 0);
    struct linux_timeval t[2];
    if (copy_from_guest(t, tv, sizeof(t)))
        return -EFAULT;
    struct vattr a;
    for (int i = 0; i < 2; i++)
        if (t[i].tv_usec < 0 || t[i].tv_usec >= 1000000)
            return -EINVAL;
    a.atime = (struct timespec64){t[0].tv_sec, t[0].tv_usec * 1000};
    a.mtime = (struct timespec64){t[1].tv_sec, t[1].tv_usec * 1000};
    return setattr_at(dirfd, path, LOOKUP_FOLLOW, false, &a, VA_ATIME | VA_MTIME);
}

long sys_utimes(uptr path, uptr tv)
{
    return utimes_tv(AT_FDCWD, path, tv);
}

long sys_futimesat(int dirfd, uptr path, uptr tv)
{
    return utimes_tv(dirfd, path, tv);
}

long sys_utime(uptr path, uptr ubuf)
{
    if (!ubuf)
        return sys_utimensat(AT_FDCWD, path, 0, 0);
    i64 t[2];
    if (copy_from_guest(t, ubuf, sizeof(t)))
        return -EFAULT;
    struct vattr a = {.atime = {t[0], 0}, .mtime = {t[1], 0}};
    return setattr_at(AT_FDCWD, path, LOOKUP_FOLLOW, false, &a, VA_ATIME | VA_MTIME);
}

long sys_truncate(uptr path, i64 len)
{
    if (len < 0)
        return -EINVAL;
    struct resolved r;
    int err = path_resolve_at(cproc(), AT_FDCWD, path, LOOKUP_FOLLOW, false, &r);
    if (err)
        return err;
    struct vattr a = {.size = (u64)len};
    if (S_ISDIR(r.vnode->type))
        err = -EISDIR;
    else if (!S_ISREG(r.vnode->type))
        err = -EINVAL;
    else if (r.mnt->flags & MNT_RDONLY)
        err = -EROFS;
    else
        err = r.vnode->ops->setattr ? r.vnode->ops->setattr(r.vnode, &a, VA_SIZE) : -EPERM;
    resolved_put(&r);
    return err;
}

/* ---- statfs and umask ---- */

static int statfs_out(struct vnode *v, struct mount *m, uptr buf)
{
    struct kstatfs k = {0};
    int err = v->ops->statfs ? v->ops->statfs(v, &k) : -ENOSYS;
    if (err)
        return err;
    struct linux_statfs s = {
        .f_type = (i64)k.type,
        .f_bsize = (i64)k.bsize,
        .f_blocks = k.blocks,
        .f_bfree = k.bfree,
        .f_bavail = k.bavail,
        .f_files = k.files,
        .f_ffree = k.ffree,
        .f_namelen = (i64)(k.namelen ? k.namelen : NAME_MAX),
        .f_frsize = (i64)(k.frsize ? k.frsize : k.bsize),
        .f_flags = (i64)(k.flags | ((m && (m->flags & MNT_RDONLY)) ? 1 : 0)),
    };
    return copy_to_guest(buf, &s, sizeof(s)) ? -EFAULT : 0;
}

long sys_statfs(uptr path, uptr buf)
{
    struct resolved r;
    int err = path_resolve_at(cproc(), AT_FDCWD, path, LOOKUP_FOLLOW, false, &r);
    if (err)
        return err;
    err = statfs_out(r.vnode, r.mnt, buf);
    resolved_put(&r);
    return err;
}

long sys_fstatfs(int fd, uptr buf)
{
    struct file *f = fd_get(&cproc()->fds, fd);
    if (!f)
        return -EBADF;
    int err;
    if (f->vnode) {
        err = statfs_out(f->vnode, f->mnt, buf);
    } else {
        /* pipefs: Linux reports PIPEFS_MAGIC with 4 KiB blocks. */
        struct linux_statfs s = {.f_type = 0x50495045, .f_bsize = 4096, .f_namelen = 255,
                                 .f_frsize = 4096};
        err = copy_to_guest(buf, &s, sizeof(s)) ? -EFAULT : 0;
    }
    file_put(f);
    return err;
}

long sys_umask(u32 mask)
{
    struct proc *p = cproc();
    u32 old = p->umask;
    p->umask = mask & 0777;
    return old;
}
