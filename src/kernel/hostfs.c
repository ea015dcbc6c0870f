/* hostfs.c: a host directory tree (a --ro/--rw mount, or the read-only lower layer of the
 * default root) seen through the platform's host-file calls. A vnode is a path relative to the
 * tree's root plus a metadata-only handle; the platform resolves every relative path strictly
 * beneath the root without following symlinks, and the VFS expands symlinks itself. Vnodes are
 * not unique: two lookups of one file give two vnodes (identity is st_dev/st_ino). */
#include "vfs.h"
#include "../platform/platform.h"

struct hostfs {
    struct fs fs;
    int root_hf;
    bool writable;
};

struct hnode {
    char *rel; /* "." for the root, else "a/b/c" */
    int hf;    /* O_PATH handle: metadata, readlink, and *at calls on directories */
};

struct hfile {
    int hf; /* handle opened for I/O */
};

static const struct vnode_ops hostfs_vops;
static const struct file_ops hostfs_reg_fops, hostfs_dir_fops;

static struct hostfs *hfs(struct vnode *v)
{
    return (struct hostfs *)v->fs;
}

static struct hnode *hn(struct vnode *v)
{
    return v->priv;
}

static void vattr_from_plat(struct vattr *a, const struct plat_stat *s)
{
    a->dev = s->dev;
    a->ino = s->ino;
    a->nlink = s->nlink;
    a->size = s->size;
    a->blocks = s->blocks;
    a->rdev = s->rdev;
    a->mode = s->mode;
    a->uid = s->uid;
    a->gid = s->gid;
    a->blksize = s->blksize;
    a->atime = (struct timespec64){s->atime_sec, s->atime_nsec};
    a->mtime = (struct timespec64){s->mtime_sec, s->mtime_nsec};
    a->ctime = (struct timespec64){s->ctime_sec, s->ctime_nsec};
}

/* Builds "rel/name" (or "name" under the root). */
static char *child_rel(struct vnode *dir, const char *name)
{
    const char *rel = hn(dir)->rel;
    size_t a = strcmp(rel, ".") ? strlen(rel) : 0, b = strlen(name);
    char *s = kmalloc(a + 1 + b + 1);
    if (!s)
        return NULL;
    if (a) {
        memcpy(s, rel, a);
        s[a++] = '/';
    }
    memcpy(s + a, name, b + 1);
    return s;
}

static int make_vnode(struct hostfs *fs, char *rel, struct vnode **out)
{
    int hf = plat_file_open(fs->root_hf, rel, PLAT_OPEN_PATH, 0);
    if (hf < 0) {
        kfree(rel);
        return hf == -EXDEV ? -ENOENT : hf;
    }
    struct plat_stat st;
    int err = plat_file_stat(hf, &st);
    struct hnode *n = err ? NULL : kzalloc(sizeof(*n));
    struct vnode *v = n ? vnode_new(&fs->fs, &hostfs_vops, st.mode, n) : NULL;
    if (!v) {
        plat_file_close(hf);
        kfree(rel);
        kfree(n);
        return err ? err : -ENOMEM;
    }
    n->rel = rel;
    n->hf = hf;
    *out = v;
    return 0;
}

/* A tree is a directory, or a single file: then the handle is its parent directory's and the
 * root vnode is the file's name beneath it (openat2 cannot reopen an O_PATH file by itself
 * without a magic link). */
int hostfs_new(const char *host_path, bool writable, struct vnode **root)
{
    struct hostfs *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    fs->fs.name = "hostfs";
    fs->writable = writable;
    char *rel = NULL;
    int hf = plat_tree_open(host_path);
    struct plat_stat st;
    int err = hf < 0 ? hf : plat_file_stat(hf, &st);
    if (err)
        goto fail;
    if (S_ISDIR(st.mode)) {
        fs->root_hf = hf;
        hf = -1;
        rel = strdup(".");
    } else {
        const char *slash = strrchr(host_path, '/');
        size_t dlen = slash ? (size_t)(slash - host_path) : 0;
        char *dir = kmalloc(dlen + 2);
        if (!dir) {
            err = -ENOMEM;
            goto fail;
        }
        if (dlen)
            memcpy(dir, host_path, dlen);
        else
            dir[0] = slash ? '/' : '.', dlen = 1;
        dir[dlen] = 0;
        fs->root_hf = plat_tree_open(dir);
        kfree(dir);
        if (fs->root_hf < 0) {
            err = fs->root_hf;
            goto fail;
        }
        rel = strdup(slash ? slash + 1 : host_path);
    }
    err = rel ? make_vnode(fs, rel, root) : -ENOMEM;
    rel = NULL;
    if (!err) {
        if (hf >= 0)
            plat_file_close(hf);
        return 0;
    }
    plat_file_close(fs->root_hf);
fail:
    if (hf >= 0)
        plat_file_close(hf);
    kfree(rel);
    kfree(fs);
    return err;
}

static int hostfs_lookup(struct vnode *dir, const char *name, struct vnode **out)
{
    char *rel = child_rel(dir, name);
    if (!rel)
        return -ENOMEM;
    return make_vnode(hfs(dir), rel, out);
}

static int check_writable(struct vnode *v)
{
    return hfs(v)->writable ? 0 : -EROFS;
}

static int hostfs_create(struct vnode *dir, const char *name, u32 mode, u64 rdev, u32 uid,
                         u32 gid, struct vnode **out)
{
    (void)rdev, (void)uid, (void)gid;
    int err = check_writable(dir);
    if (err)
        return err;
    if (!S_ISREG(mode))
        return -EPERM; /* device nodes and fifos are not made on the host */
    int hf = plat_file_open(hn(dir)->hf, name, O_CREAT | O_EXCL | O_WRONLY, (int)(mode & 07777));
    if (hf < 0)
        return hf;
    plat_file_close(hf);
    return out ? hostfs_lookup(dir, name, out) : 0;
}

static int hostfs_mkdir(struct vnode *dir, const char *name, u32 mode, u32 uid, u32 gid)
{
    (void)uid, (void)gid;
    int err = check_writable(dir);
    return err ? err : plat_file_mkdir(hn(dir)->hf, name, (int)(mode & 07777));
}

static int hostfs_symlink(struct vnode *dir, const char *name, const char *target, u32 uid,
                          u32 gid)
{
    (void)uid, (void)gid;
    int err = check_writable(dir);
    return err ? err : plat_file_symlink(hn(dir)->hf, name, target);
}

static int hostfs_link(struct vnode *dir, const char *name, struct vnode *v)
{
    int err = check_writable(dir);
    if (err)
        return err;
    /* Link by the source's own name in its parent, resolved beneath the root. */
    return plat_file_link(hfs(v)->root_hf, hn(v)->rel, hn(dir)->hf, name);
}

static int hostfs_unlink(struct vnode *dir, const char *name)
{
    int err = check_writable(dir);
    return err ? err : plat_file_unlink(hn(dir)->hf, name, false);
}

static int hostfs_rmdir(struct vnode *dir, const char *name)
{
    int err = check_writable(dir);
    return err ? err : plat_file_unlink(hn(dir)->hf, name, true);
}

static int hostfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
                         const char *nname, unsigned flags)
{
    int err = check_writable(odir);
    return err ? err : plat_file_rename(hn(odir)->hf, oname, hn(ndir)->hf, nname, flags);
}

static long hostfs_readlink(struct vnode *v, char *buf, size_t n)
{
    return plat_file_readlink(hn(v)->hf, "", buf, n);
}

static int hostfs_getattr(struct vnode *v, struct vattr *a)
{
    struct plat_stat st;
    int err = plat_file_stat(hn(v)->hf, &st);
    if (!err)
        vattr_from_plat(a, &st);
    return err;
}

static int hostfs_setattr(struct vnode *v, const struct vattr *a, unsigned mask)
{
    int err = check_writable(v);
    if (err)
        return err;
    int hf = hn(v)->hf;
    if (mask & VA_MODE)
        err = plat_file_chmod(hf, (int)(a->mode & 07777));
    if (!err && (mask & (VA_UID | VA_GID)))
        err = plat_file_chown(hf, (mask & VA_UID) ? a->uid : (u32)-1,
                              (mask & VA_GID) ? a->gid : (u32)-1);
    if (!err && (mask & VA_SIZE)) {
        int wf = plat_file_open(hfs(v)->root_hf, hn(v)->rel, O_WRONLY, 0);
        err = wf < 0 ? wf : plat_file_truncate(wf, a->size);
        if (wf >= 0)
            plat_file_close(wf);
    }
    if (!err && (mask & (VA_ATIME | VA_MTIME))) {
        i64 sec[2] = {a->atime.sec, a->mtime.sec};
        long nsec[2] = {(mask & VA_ATIME) ? a->atime.nsec : UTIME_OMIT,
                        (mask & VA_MTIME) ? a->mtime.nsec : UTIME_OMIT};
        err = plat_file_utimes(hf, sec, nsec);
    }
    return err;
}

static int hostfs_open(struct vnode *v, struct file *f)
{
    u32 acc = f->flags & O_ACCMODE;
    if (acc != O_RDONLY) {
        int err = check_writable(v);
        if (err)
            return err;
    }
    int hflags = (int)(acc | (S_ISDIR(v->type) ? O_DIRECTORY : 0));
    int hf = plat_file_open(hfs(v)->root_hf, hn(v)->rel, hflags, 0);
    if (hf < 0)
        return hf;
    struct hfile *h = kzalloc(sizeof(*h));
    if (!h) {
        plat_file_close(hf);
        return -ENOMEM;
    }
    h->hf = hf;
    f->priv = h;
    f->ops = S_ISDIR(v->type) ? &hostfs_dir_fops : &hostfs_reg_fops;
    return 0;
}

static int hostfs_statfs(struct vnode *v, struct kstatfs *st)
{
    u64 raw[15];
    int err = plat_file_statfs(hn(v)->hf, raw);
    if (err)
        return err;
    /* struct statfs: type bsize blocks bfree bavail files ffree fsid namelen frsize flags */
    *st = (struct kstatfs){raw[0], raw[1], raw[2], raw[3], raw[4],
                           raw[5], raw[6], raw[8], raw[9], raw[10]};
    if (!hfs(v)->writable)
        st->flags |= 1; /* ST_RDONLY */
    return 0;
}

static void hostfs_release(struct vnode *v)
{
    struct hnode *n = hn(v);
    plat_file_close(n->hf);
    kfree(n->rel);
    kfree(n);
}

static const struct vnode_ops hostfs_vops = {
    .lookup = hostfs_lookup,
    .create = hostfs_create,
    .mkdir = hostfs_mkdir,
    .symlink = hostfs_symlink,
    .link = hostfs_link,
    .unlink = hostfs_unlink,
    .rmdir = hostfs_rmdir,
    .rename = hostfs_rename,
    .readlink = hostfs_readlink,
    .getattr = hostfs_getattr,
    .setattr = hostfs_setattr,
    .open = hostfs_open,
    .statfs = hostfs_statfs,
    .release = hostfs_release,
};

/* ---- open files ---- */

static int fhf(struct file *f)
{
    return ((struct hfile *)f->priv)->hf;
}

static long hostfs_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    /* The host copies straight into guest memory and reports EFAULT itself. */
    return plat_file_read(fhf(f), (void *)buf, n, pos);
}

static long hostfs_write(struct file *f, uptr buf, size_t n, i64 pos)
{
    return plat_file_write(fhf(f), (const void *)buf, n, pos);
}

static int hostfs_map_handle(struct file *f)
{
    return fhf(f);
}

static int hostfs_fsync(struct file *f, bool data_only)
{
    return plat_file_sync(fhf(f), data_only);
}

static int hostfs_poll(struct file *f, int events)
{
    (void)f;
    return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

static void hostfs_file_release(struct file *f)
{
    plat_file_close(fhf(f));
    kfree(f->priv);
}

/* Host linux_dirent64 layout. */
struct hdirent {
    u64 ino;
    i64 off;
    u16 reclen;
    u8 type;
    char name[];
};

static int hostfs_readdir(struct file *f, i64 *pos, struct dirent_sink *sink)
{
    char buf[4096];
    int hf = fhf(f);
    i64 r = plat_file_seek(hf, *pos, 0);
    if (r < 0)
        return (int)r;
    for (;;) {
        long n = plat_file_getdents(hf, buf, sizeof(buf));
        if (n <= 0)
            return (int)n;
        for (long off = 0; off < n;) {
            struct hdirent *d = (struct hdirent *)(buf + off);
            if (sink->emit(sink, d->name, strlen(d->name), d->ino, d->type, d->off))
                return 0;
            *pos = d->off;
            off += d->reclen;
        }
    }
}

static const struct file_ops hostfs_reg_fops = {
    .read = hostfs_read,
    .write = hostfs_write,
    .poll = hostfs_poll,
    .map_handle = hostfs_map_handle,
    .fsync = hostfs_fsync,
    .release = hostfs_file_release,
};

static const struct file_ops hostfs_dir_fops = {
    .readdir = hostfs_readdir,
    .fsync = hostfs_fsync,
    .release = hostfs_file_release,
};
