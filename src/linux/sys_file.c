/* sys_file.c: syscalls on file descriptors: open/close, read/write and their vector and
 * positional forms, seeking, stat of an fd, directory listing, dup, fcntl, ioctl, pipes. */
#include "linux.h"
#include "../kernel/console.h"

#define IOV_MAX 1024
#define MAX_RW_COUNT 0x7ffff000L /* Linux caps one read/write at 2 GiB - 4 KiB */

static struct fdtable *fdt(void)
{
    return &current()->proc->fds;
}

static bool seekable(struct file *f)
{
    return f->vnode && (S_ISREG(f->vnode->type) || S_ISDIR(f->vnode->type) ||
                        S_ISLNK(f->vnode->type) || S_ISCHR(f->vnode->type));
}

/* One read or write at pos (or at and advancing f->pos when pos < 0). */
static long file_rw(struct file *f, uptr buf, size_t n, i64 pos, bool write)
{
    u32 acc = f->flags & O_ACCMODE;
    if (f->flags & O_PATH)
        return -EBADF;
    if (write ? acc == O_RDONLY : acc == O_WRONLY)
        return -EBADF;
    if (f->vnode && S_ISDIR(f->vnode->type))
        return -EISDIR;
    long (*op)(struct file *, uptr, size_t, i64) = write ? f->ops->write : f->ops->read;
    if (!op)
        return -EINVAL;
    if ((long)n < 0)
        return -EINVAL;
    if (n > (size_t)MAX_RW_COUNT)
        n = MAX_RW_COUNT;
    bool use_pos = pos < 0;
    if (!use_pos && !seekable(f))
        return -ESPIPE;
    if (!use_pos && write && (f->flags & O_APPEND) && f->vnode && S_ISREG(f->vnode->type)) {
        /* Linux appends even for pwrite on an O_APPEND file (see BUGS in pwrite(2)). */
        struct vattr a;
        int err = vfs_getattr(f->vnode, &a);
        if (err)
            return err;
        pos = (i64)a.size;
    }
    if (use_pos && seekable(f) && !S_ISCHR(f->vnode->type)) {
        spin_lock(&f->lock);
        pos = f->pos;
        if (write && (f->flags & O_APPEND)) {
            struct vattr a;
            int err = vfs_getattr(f->vnode, &a);
            if (err) {
                spin_unlock(&f->lock);
                return err;
            }
            pos = (i64)a.size;
        }
        long r = op(f, buf, n, pos);
        if (r > 0)
            f->pos = pos + r;
        spin_unlock(&f->lock);
        return r;
    }
    return op(f, buf, n, use_pos ? -1 : pos);
}

static long do_rw_fd(int fd, uptr buf, size_t n, i64 pos, bool write)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    long r = file_rw(f, buf, n, pos, write);
    file_put(f);
    if (r == -EPIPE && write) {
        struct ksiginfo k = {.signo = SIGPIPE, .code = SI_USER, .pid = current()->proc->pid};
        signal_post(current()->proc, current(), &k);
    }
    return r;
}

long sys_read(int fd, uptr buf, size_t n)
{
    return do_rw_fd(fd, buf, n, -1, false);
}

long sys_write(int fd, uptr buf, size_t n)
{
    return do_rw_fd(fd, buf, n, -1, true);
}

long sys_pread64(int fd, uptr buf, size_t n, i64 pos)
{
    if (pos < 0)
        return -EINVAL;
    return do_rw_fd(fd, buf, n, pos, false);
}

long sys_pwrite64(int fd, uptr buf, size_t n, i64 pos)
{
    if (pos < 0)
        return -EINVAL;
    return do_rw_fd(fd, buf, n, pos, true);
}

static long do_rwv(int fd, uptr uiov, int cnt, i64 pos, bool write)
{
    if (cnt < 0 || cnt > IOV_MAX)
        return -EINVAL;
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    struct linux_iovec iov[64];
    long total = 0, r = 0;
    for (int i = 0; i < cnt; i += 64) {
        int k = MIN(cnt - i, 64);
        if (copy_from_guest(iov, uiov + (uptr)i * sizeof(iov[0]), (size_t)k * sizeof(iov[0]))) {
            r = -EFAULT;
            goto out;
        }
        for (int j = 0; j < k; j++) {
            if ((long)iov[j].len < 0) {
                r = -EINVAL;
                goto out;
            }
            if (!iov[j].len)
                continue;
            r = file_rw(f, iov[j].base, iov[j].len, pos < 0 ? -1 : pos + total, write);
            if (r < 0)
                goto out;
            total += r;
            if ((size_t)r < iov[j].len)
                goto out;
        }
    }
out:
    file_put(f);
    if (r == -EPIPE && write && !total) {
        struct ksiginfo k = {.signo = SIGPIPE, .code = SI_USER, .pid = current()->proc->pid};
        signal_post(current()->proc, current(), &k);
    }
    return total ? total : r;
}

long sys_readv(int fd, uptr iov, int cnt)
{
    return do_rwv(fd, iov, cnt, -1, false);
}

long sys_writev(int fd, uptr iov, int cnt)
{
    return do_rwv(fd, iov, cnt, -1, true);
}

long sys_preadv(int fd, uptr iov, int cnt, i64 pos)
{
    return pos < 0 ? -EINVAL : do_rwv(fd, iov, cnt, pos, false);
}

long sys_pwritev(int fd, uptr iov, int cnt, i64 pos)
{
    return pos < 0 ? -EINVAL : do_rwv(fd, iov, cnt, pos, true);
}

/* ---- open and close ---- */

#define OPEN_VALID_FLAGS                                                                       \
    (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |     \
     O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH |      \
     O_TMPFILE | 04000000 /* __O_SYNC */ | 020000 /* FASYNC */)

static int create_at(struct proc *p, struct resolved *parent, u32 mode)
{
    struct vnode *d = parent->vnode;
    if (parent->mnt->flags & MNT_RDONLY)
        return -EROFS;
    if (!d->ops->create)
        return -EPERM;
    return d->ops->create(d, parent->last, S_IFREG | (mode & 07777 & ~p->umask), 0, p->euid,
                          p->egid, NULL);
}

/* O_CREAT: opens or creates the final component. A final symlink is followed (unless
 * O_NOFOLLOW or O_EXCL), and when its target is missing the target is created, as Linux does;
 * `depth` counts those links. */
static int open_create(struct proc *p, const struct vfs_start *start, const char *path,
                       u32 flags, u32 mode, int depth, struct resolved *out)
{
    struct resolved r;
    int err = vfs_resolve(&p->root, start, path, LOOKUP_PARENT | LOOKUP_FOLLOW, &r);
    if (err)
        return err;
    if (!r.last[0] || r.trailing_slash || !strcmp(r.last, ".") || !strcmp(r.last, "..")) {
        resolved_put(&r);
        return -EISDIR;
    }
    struct vfs_start here = {r.vnode, r.mnt, r.path};
    struct vnode *child = NULL;
    err = r.vnode->ops->lookup(r.vnode, r.last, &child);
    if (!err && S_ISLNK(child->type) && !(flags & (O_NOFOLLOW | O_EXCL))) {
        char target[PATH_MAX + 1];
        long n = child->ops->readlink ? child->ops->readlink(child, target, PATH_MAX) : -EINVAL;
        vnode_put(child);
        if (n >= 0 && depth >= SYMLOOP_MAX)
            n = -ELOOP;
        if (n == 0)
            n = -ENOENT;
        if (n > 0) {
            target[n] = 0;
            err = open_create(p, &here, target, flags, mode, depth + 1, out);
        } else {
            err = (int)n;
        }
        resolved_put(&r);
        return err;
    }
    if (!err) {
        bool is_link = S_ISLNK(child->type);
        vnode_put(child);
        err = (flags & O_EXCL) ? -EEXIST : (is_link ? -ELOOP : 0);
    } else if (err == -ENOENT) {
        err = create_at(p, &r, mode);
        if (err == -EEXIST && !(flags & O_EXCL))
            err = 0; /* created meanwhile by someone else: open it */
    }
    if (!err)
        err = vfs_resolve(&p->root, &here, r.last, 0, out);
    resolved_put(&r);
    return err;
}

int do_open_k(struct proc *p, int dirfd, const char *path, u32 flags, u32 mode)
{
    struct resolved r;
    struct file *f = NULL;
    int err;
    if (flags & ~(u32)OPEN_VALID_FLAGS)
        return -EINVAL;
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EOPNOTSUPP;
    int lf = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    if (flags & O_DIRECTORY)
        lf |= LOOKUP_DIRECTORY;
    if (flags & O_CREAT) {
        if (flags & O_DIRECTORY)
            return -EINVAL;
        struct file *df = NULL;
        struct vfs_start start = p->cwd;
        if (path[0] != '/' && dirfd != AT_FDCWD) {
            df = fd_get(&p->fds, dirfd);
            if (!df)
                return -EBADF;
            if (!df->vnode || !S_ISDIR(df->vnode->type)) {
                file_put(df);
                return -ENOTDIR;
            }
            start = (struct vfs_start){df->vnode, df->mnt, df->path};
        }
        err = open_create(p, &start, path, flags, mode, 0, &r);
        file_put(df);
    } else {
        err = path_resolve_k(p, dirfd, path, lf, &r);
    }
    if (err)
        return err;
    err = vfs_open_vnode(&r, flags, &f);
    resolved_put(&r);
    if (err)
        return err;
    return fd_install(&p->fds, f, 0, flags & O_CLOEXEC);
}

long sys_openat(int dirfd, uptr upath, int flags, u32 mode)
{
    char *path;
    long n = path_from_guest(upath, &path);
    if (n < 0)
        return n;
    long r = n ? do_open_k(current()->proc, dirfd, path, (u32)flags, mode) : -ENOENT;
    kfree(path);
    return r;
}

long sys_open(uptr upath, int flags, u32 mode)
{
    return sys_openat(AT_FDCWD, upath, flags, mode);
}

long sys_creat(uptr upath, u32 mode)
{
    return sys_openat(AT_FDCWD, upath, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_close(int fd)
{
    return fd_close(fdt(), fd);
}

/* ---- seeking ---- */

long sys_lseek(int fd, i64 off, int whence)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    long r;
    if (!seekable(f)) {
        r = -ESPIPE;
        goto out;
    }
    if (S_ISCHR(f->vnode->type)) {
        r = 0; /* /dev/null and friends: seeking succeeds and means nothing */
        goto out;
    }
    struct vattr a;
    spin_lock(&f->lock);
    i64 base;
    switch (whence) {
    case 0: base = 0; break;
    case 1: base = f->pos; break;
    case 2: case 3: case 4:
        r = vfs_getattr(f->vnode, &a);
        if (r) {
            spin_unlock(&f->lock);
            goto out;
        }
        base = whence == 2 ? (i64)a.size : 0;
        if (whence != 2) { /* SEEK_DATA/SEEK_HOLE: one data extent then the end */
            if (off < 0 || off >= (i64)a.size) {
                spin_unlock(&f->lock);
                r = -ENXIO;
                goto out;
            }
            off = whence == 3 ? off : (i64)a.size;
        }
        break;
    default:
        spin_unlock(&f->lock);
        r = -EINVAL;
        goto out;
    }
    i64 np = base + off;
    if ((off > 0 && np < base) || np < 0) {
        r = -EINVAL;
    } else {
        f->pos = np;
        r = np;
    }
    spin_unlock(&f->lock);
out:
    file_put(f);
    return r;
}

/* ---- stat of fds ---- */

long sys_fstat(int fd, uptr st)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    struct vattr a;
    int err = file_getattr(f, &a);
    file_put(f);
    return err ? err : vattr_to_stat(&a, st);
}

/* ---- directories ---- */

struct dirent_buf {
    struct dirent_sink sink;
    u8 *buf;
    size_t cap, len;
    bool legacy; /* getdents (linux_dirent) instead of getdents64 */
    bool full;   /* an entry did not fit */
};

static int dirent_emit(struct dirent_sink *s, const char *name, size_t namelen, u64 ino,
                       int dtype, i64 next)
{
    struct dirent_buf *b = (struct dirent_buf *)s;
    size_t hdr = b->legacy ? 18 : 19;
    size_t reclen = ALIGN_UP(hdr + namelen + 1 + (b->legacy ? 1 : 0), 8);
    if (b->len + reclen > b->cap) {
        b->full = true;
        return 1;
    }
    u8 *d = b->buf + b->len;
    memset(d, 0, reclen);
    memcpy(d, &ino, 8);
    memcpy(d + 8, &next, 8);
    u16 rl = (u16)reclen;
    memcpy(d + 16, &rl, 2);
    if (b->legacy) {
        memcpy(d + 18, name, namelen);
        d[reclen - 1] = (u8)dtype;
    } else {
        d[18] = (u8)dtype;
        memcpy(d + 19, name, namelen);
    }
    b->len += reclen;
    return 0;
}

static long do_getdents(int fd, uptr dirp, size_t count, bool legacy)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    long r;
    if (!f->vnode || !S_ISDIR(f->vnode->type) || !f->ops->readdir) {
        r = -ENOTDIR;
        goto out;
    }
    size_t cap = MIN(count, (size_t)65536);
    struct dirent_buf b = {{dirent_emit}, kmalloc(cap ? cap : 1), cap, 0, legacy, false};
    if (!b.buf) {
        r = -ENOMEM;
        goto out;
    }
    spin_lock(&f->lock);
    i64 pos = f->pos;
    r = f->ops->readdir(f, &pos, &b.sink);
    if (r >= 0)
        f->pos = pos;
    spin_unlock(&f->lock);
    if (r >= 0)
        r = (long)b.len;
    if (r == 0 && b.full)
        r = -EINVAL; /* the buffer cannot hold even one entry */
    if (r > 0 && copy_to_guest(dirp, b.buf, b.len))
        r = -EFAULT;
    kfree(b.buf);
out:
    file_put(f);
    return r;
}

long sys_getdents64(int fd, uptr dirp, size_t count)
{
    return do_getdents(fd, dirp, count, false);
}

long sys_getdents(int fd, uptr dirp, size_t count)
{
    return do_getdents(fd, dirp, count, true);
}

/* ---- dup and fcntl ---- */

long sys_dup(int fd)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    int r = fd_install(fdt(), f, 0, false);
    if (r < 0)
        file_put(f);
    return r;
}

long sys_dup3(int old, int new, int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (old == new)
        return -EINVAL;
    struct file *f = fd_get(fdt(), old);
    if (!f)
        return -EBADF;
    if (new < 0 || new >= fdt()->limit) {
        file_put(f);
        return -EBADF;
    }
    int r = fd_install_at(fdt(), f, new, flags & O_CLOEXEC);
    if (r < 0)
        file_put(f);
    return r;
}

long sys_dup2(int old, int new)
{
    if (old == new) {
        struct file *f = fd_get(fdt(), old);
        if (!f)
            return -EBADF;
        file_put(f);
        return new;
    }
    return sys_dup3(old, new, 0);
}

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_SETOWN 8
#define F_GETOWN 9
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define FD_CLOEXEC 1
#define F_UNLCK 2
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | 020000)

#define F_RDLCK 0
#define F_WRLCK 1

/* struct flock of x86-64. */
struct linux_flock {
    i16 type, whence;
    i64 start, len;
    i32 pid;
};

/* Record locks: one process cannot conflict with itself, so a lock always succeeds and a
 * query always reports the range unlocked; the arguments are checked as Linux checks them.
 * Locks between processes come with processes. */
static long record_lock(struct file *f, int cmd, uptr arg)
{
    struct linux_flock fl;
    if (copy_from_guest(&fl, arg, sizeof(fl)))
        return -EFAULT;
    if (fl.type != F_RDLCK && fl.type != F_WRLCK && fl.type != F_UNLCK)
        return -EINVAL;
    if (fl.whence < 0 || fl.whence > 2)
        return -EINVAL;
    bool ofd = cmd >= F_OFD_GETLK;
    if (ofd && fl.pid != 0)
        return -EINVAL;
    if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
        if (fl.type == F_UNLCK)
            return -EINVAL;
        fl.type = F_UNLCK;
        return copy_to_guest(arg, &fl, sizeof(fl)) ? -EFAULT : 0;
    }
    u32 acc = f->flags & O_ACCMODE;
    if ((fl.type == F_RDLCK && acc == O_WRONLY) || (fl.type == F_WRLCK && acc == O_RDONLY))
        return -EBADF;
    return 0;
}

long sys_fcntl(int fd, int cmd, unsigned long arg)
{
    struct fdtable *t = fdt();
    struct file *f = fd_get(t, fd);
    if (!f)
        return -EBADF;
    long r = 0;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= (unsigned long)t->limit) {
            r = -EINVAL;
            break;
        }
        r = fd_install(t, file_get(f), (int)arg, cmd == F_DUPFD_CLOEXEC);
        if (r < 0)
            file_put(f);
        break;
    case F_GETFD:
        r = fd_get_cloexec(t, fd) > 0 ? FD_CLOEXEC : 0;
        break;
    case F_SETFD:
        r = fd_set_cloexec(t, fd, arg & FD_CLOEXEC);
        break;
    case F_GETFL:
        r = f->flags & ~(u32)O_CLOEXEC;
        if (!(f->flags & O_PATH))
            r |= O_LARGEFILE;
        break;
    case F_SETFL:
        spin_lock(&f->lock);
        f->flags = (f->flags & ~(u32)SETFL_MASK) | ((u32)arg & SETFL_MASK);
        spin_unlock(&f->lock);
        break;
    case F_GETLK:
    case F_OFD_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        r = record_lock(f, cmd, (uptr)arg);
        break;
    case F_GETOWN:
        r = 0;
        break;
    case F_SETOWN:
        r = 0;
        break;
    case F_GETPIPE_SZ:
        r = file_is_pipe(f) ? pipe_get_size(f) : -EBADF;
        break;
    case F_SETPIPE_SZ:
        r = file_is_pipe(f) ? pipe_set_size(f, arg, current()->proc->euid == 0) : -EBADF;
        break;
    case F_GET_SEALS:
    case F_ADD_SEALS:
        r = -EINVAL;
        break;
    default:
        r = -EINVAL;
    }
    file_put(f);
    return r;
}

long sys_flock(int fd, int op)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    file_put(f);
    int kind = op & ~4; /* LOCK_NB */
    return (kind == 1 || kind == 2 || kind == 8) ? 0 : -EINVAL;
}

#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define FIOCLEX 0x5451
#define FIONCLEX 0x5450

long sys_ioctl(int fd, unsigned long req, unsigned long arg)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    long r;
    switch (req) {
    case FIOCLEX:
    case FIONCLEX:
        r = fd_set_cloexec(fdt(), fd, req == FIOCLEX);
        break;
    case FIONBIO: {
        int on;
        r = copy_from_guest(&on, arg, sizeof(on)) ? -EFAULT : 0;
        if (!r) {
            spin_lock(&f->lock);
            f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~(u32)O_NONBLOCK;
            spin_unlock(&f->lock);
        }
        break;
    }
    case FIONREAD:
        if (f->vnode && S_ISREG(f->vnode->type)) {
            struct vattr a;
            r = vfs_getattr(f->vnode, &a);
            if (!r) {
                int n = (int)MAX((i64)a.size - f->pos, 0);
                r = copy_to_guest(arg, &n, sizeof(n)) ? -EFAULT : 0;
            }
            break;
        }
        /* fall through */
    default:
        r = f->ops && f->ops->ioctl ? f->ops->ioctl(f, req, arg) : -ENOTTY;
    }
    file_put(f);
    return r;
}

/* ---- pipes ---- */

long sys_pipe2(uptr ufds, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    struct file *rd, *wr;
    int err = pipe_create(&rd, &wr, (u32)flags);
    if (err)
        return err;
    int fds[2];
    fds[0] = fd_install(fdt(), rd, 0, flags & O_CLOEXEC);
    if (fds[0] < 0) {
        file_put(rd);
        file_put(wr);
        return fds[0];
    }
    fds[1] = fd_install(fdt(), wr, 0, flags & O_CLOEXEC);
    if (fds[1] < 0) {
        fd_close(fdt(), fds[0]);
        file_put(wr);
        return fds[1];
    }
    if (copy_to_guest(ufds, fds, sizeof(fds))) {
        fd_close(fdt(), fds[0]);
        fd_close(fdt(), fds[1]);
        return -EFAULT;
    }
    return 0;
}

long sys_pipe(uptr ufds)
{
    return sys_pipe2(ufds, 0);
}

/* ---- data integrity and size ---- */

static long do_sync(int fd, bool data_only)
{
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    long r;
    if (f->ops && f->ops->fsync)
        r = f->ops->fsync(f, data_only);
    else if (f->vnode && (S_ISREG(f->vnode->type) || S_ISDIR(f->vnode->type)))
        r = 0; /* in-memory files: nothing to write back */
    else
        r = -EINVAL; /* pipes, the console, devices: not something fsync can sync */
    file_put(f);
    return r;
}

long sys_fsync(int fd)
{
    return do_sync(fd, false);
}

long sys_fdatasync(int fd)
{
    return do_sync(fd, true);
}

long sys_ftruncate(int fd, i64 len)
{
    if (len < 0)
        return -EINVAL;
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    long r;
    /* Linux: EINVAL when not a regular file open for writing, EROFS on a read-only mount. */
    if (!f->vnode || !S_ISREG(f->vnode->type) || (f->flags & O_ACCMODE) == O_RDONLY) {
        r = -EINVAL;
    } else if (f->mnt && (f->mnt->flags & MNT_RDONLY)) {
        r = -EROFS;
    } else {
        struct vattr a = {.size = (u64)len};
        r = f->vnode->ops->setattr ? f->vnode->ops->setattr(f->vnode, &a, VA_SIZE) : -EPERM;
    }
    file_put(f);
    return r;
}

long sys_fallocate(int fd, int mode, i64 off, i64 len)
{
    if (off < 0 || len <= 0)
        return -EINVAL;
    if (mode)
        return -EOPNOTSUPP;
    struct file *f = fd_get(fdt(), fd);
    if (!f)
        return -EBADF;
    long r = 0;
    struct vattr a;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        r = -EBADF;
    else if (!f->vnode || !S_ISREG(f->vnode->type))
        r = f->vnode && S_ISDIR(f->vnode->type) ? -EISDIR : -ENODEV;
    else if (!(r = vfs_getattr(f->vnode, &a)) && (u64)(off + len) > a.size) {
        a.size = (u64)(off + len);
        r = f->vnode->ops->setattr(f->vnode, &a, VA_SIZE);
    }
    file_put(f);
    return r;
}

#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4

/* close_range: closes (or marks close-on-exec) every open descriptor in [first, last]. The
 * table belongs to one process (its threads share it, as with CLONE_FILES); UNSHARE would give
 * the caller a private copy first, which for a single-threaded caller changes nothing. */
long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
    if (flags & ~(unsigned)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
        return -EINVAL;
    if (first > last)
        return -EINVAL;
    struct fdtable *t = fdt();
    unsigned end = MIN(last, (unsigned)(t->cap ? t->cap - 1 : 0));
    for (unsigned fd = first; fd <= end && t->cap; fd++) {
        if (flags & CLOSE_RANGE_CLOEXEC)
            fd_set_cloexec(t, (int)fd, true);
        else
            fd_close(t, (int)fd);
    }
    return 0;
}
