/* tmpfs.c: the in-memory file system behind /tmp, /dev, /dev/shm and overlay's upper layer. */
#include "vfs.h"
#include "../platform/platform.h"

/* Locking: one spinlock per instance (struct tmpfs.lock) guards every node of the instance: its
 * attributes, directory entries, file data and the binding between a node and its vnode. It is
 * taken last: nothing is locked after it but the heap's own lock inside kmalloc/kfree. Guest
 * copies and readdir's sink run under it, so a sink must not call back into the file system. */

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1 /* Linux's renameat2 flags (include/uapi/linux/fs.h) */
#define RENAME_EXCHANGE 2
#endif

#define TMPFS_MAGIC 0x01021994 /* Linux's f_type of tmpfs (include/uapi/linux/magic.h) */
/* Our own cap on one file's size: a guest must not be able to take the heap with one file. */
#define TMPFS_MAX_FILE (1ULL << 30)
/* Linux's tmpfs reports a directory's size as 20 bytes per entry, "." and ".." included. */
#define BOGO_DIRENT_SIZE 20
#define TMPFS_BLKSIZE 4096
/* What statfs calls the size: the heap is the only real limit, but programs that check free
 * space before writing need a number. Linux's default is half of RAM, of this order. */
#define TMPFS_NOMINAL_BLOCKS ((4ULL << 30) / TMPFS_BLKSIZE)
#define TMPFS_NOMINAL_FILES (1ULL << 20)
/* Readdir cookies: 0 is ".", 1 is "..", entries count up from 2 in creation order. */
#define FIRST_SEQ 2
#define MIN_BUCKETS 8

struct tmpfs {
    struct fs fs;
    spinlock_t lock;
    u64 nodes;      /* live nodes: the instance goes with the last one */
    u64 data_bytes; /* file data buffers, for statfs */
};

struct tmpfs_dirent {
    struct list link;           /* in the directory's entries, in seq order */
    struct tmpfs_dirent *hnext; /* in the directory's hash bucket */
    struct tmpfs_node *node;
    i64 seq; /* the readdir cookie of this entry; the next one is seq + 1 */
    size_t namelen;
    char name[];
};

struct tmpfs_node {
    struct tmpfs *tfs;
    /* The node's one live vnode, or NULL. While a vnode's last reference is being dropped a
     * lookup may bind a fresh one, so for a moment two exist: vnodes counts them, and the node
     * is freed only when it has neither names nor vnodes. */
    struct vnode *vnode;
    u32 vnodes;
    u64 ino, rdev, nlink;
    u32 mode, uid, gid;
    struct timespec64 atime, mtime, ctime;
    bool is_root;  /* kept by its vnode alone: nothing names it */
    bool linkable; /* created without a name (O_TMPFILE): link may give it one */
    struct tmpfs_node *free_next;
    union {
        struct {
            char *data;
            u64 size, cap;
        } reg;
        struct {
            struct list entries;
            struct tmpfs_dirent **buckets;
            u32 nbuckets;
            u64 nentries;
            i64 next_seq;
            struct tmpfs_node *parent; /* NULL once removed or orphaned */
        } dir;
        struct {
            char *target;
            size_t len;
        } lnk;
    };
};

static const struct vnode_ops tmpfs_vnode_ops;
static const struct file_ops tmpfs_reg_ops;
static const struct file_ops tmpfs_dir_ops;

/* The pipe layer serves opens of fifos; a build without it answers ENXIO. */
int fifo_open(struct vnode *v, struct file *f) __attribute__((weak));

/* ---- nodes and their vnodes ---- */

static bool ts_le(struct timespec64 a, struct timespec64 b)
{
    return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec);
}

/* Like Linux's default relatime, atime moves only when it would otherwise look older than the
 * last change, so "read since modified" still shows. relatime's daily refresh is left out: it
 * would cost a host clock read on every read. */
static void touch_atime(struct tmpfs_node *n)
{
    if (ts_le(n->atime, n->mtime) || ts_le(n->atime, n->ctime))
        n->atime = vfs_now();
}

static void dir_changed(struct tmpfs_node *dir, struct timespec64 now)
{
    dir->mtime = dir->ctime = now;
}

static bool node_unused(const struct tmpfs_node *n)
{
    return n->vnodes == 0 && (n->nlink == 0 || n->is_root);
}

/* A new reference to n's vnode, binding a fresh vnode when n has none or when the last
 * reference of its vnode is being dropped right now (refs already 0: it must not be revived).
 * Under the lock. */
static struct vnode *node_vnode(struct tmpfs_node *n)
{
    struct vnode *v = n->vnode;
    if (v) {
        int refs = __atomic_load_n(&v->refs, __ATOMIC_RELAXED);
        while (refs > 0)
            if (__atomic_compare_exchange_n(&v->refs, &refs, refs + 1, false, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
                return v;
    }
    v = vnode_new(&n->tfs->fs, &tmpfs_vnode_ops, n->mode, n);
    if (v) {
        n->vnode = v;
        n->vnodes++;
    }
    return v;
}

/* A node not yet in the instance: all times now, one name (a directory: two links). */
static struct tmpfs_node *node_alloc(struct tmpfs *t, u32 mode, u32 uid, u32 gid,
                                     const char *target)
{
    struct tmpfs_node *n = kzalloc(sizeof(*n));
    if (!n)
        return NULL;
    n->tfs = t;
    n->ino = vfs_new_ino();
    n->mode = mode;
    n->uid = uid;
    n->gid = gid;
    n->atime = n->mtime = n->ctime = vfs_now();
    n->nlink = S_ISDIR(mode) ? 2 : 1;
    if (S_ISDIR(mode)) {
        list_init(&n->dir.entries);
        n->dir.next_seq = FIRST_SEQ;
        n->dir.nbuckets = MIN_BUCKETS;
        n->dir.buckets = kzalloc(MIN_BUCKETS * sizeof(*n->dir.buckets));
        if (!n->dir.buckets)
            goto fail;
    } else if (S_ISLNK(mode)) {
        n->lnk.len = strlen(target);
        n->lnk.target = strndup(target, n->lnk.len);
        if (!n->lnk.target)
            goto fail;
    }
    return n;
fail:
    kfree(n);
    return NULL;
}

static void node_discard(struct tmpfs_node *n)
{
    if (!n)
        return;
    if (S_ISDIR(n->mode))
        kfree(n->dir.buckets);
    else if (S_ISLNK(n->mode))
        kfree(n->lnk.target);
    else if (S_ISREG(n->mode))
        kfree(n->reg.data);
    kfree(n);
}

static struct tmpfs_dirent *dirent_alloc(const char *name)
{
    size_t len = strlen(name);
    struct tmpfs_dirent *d = kmalloc(sizeof(*d) + len + 1);
    if (d) {
        d->namelen = len;
        memcpy(d->name, name, len + 1);
    }
    return d;
}

/* ---- directory entries (under the lock) ---- */

static u32 name_hash(const char *s, size_t len)
{
    u32 h = 2166136261u; /* FNV-1a */
    while (len--)
        h = (h ^ (u8)*s++) * 16777619u;
    return h;
}

static struct tmpfs_dirent **bucket_of(struct tmpfs_node *dir, const char *name, size_t len)
{
    return &dir->dir.buckets[name_hash(name, len) & (dir->dir.nbuckets - 1)];
}

static struct tmpfs_dirent *dir_find(struct tmpfs_node *dir, const char *name)
{
    size_t len = strlen(name);
    struct tmpfs_dirent *d = *bucket_of(dir, name, len);
    while (d && (d->namelen != len || memcmp(d->name, name, len)))
        d = d->hnext;
    return d;
}

/* Doubles the hash table once it is fuller than two entries a bucket; when memory is short the
 * old table stays and only the chains grow. */
static void dir_grow_hash(struct tmpfs_node *dir)
{
    u32 nb = dir->dir.nbuckets * 2;
    struct tmpfs_dirent **b = kzalloc(nb * sizeof(*b));
    if (!b)
        return;
    kfree(dir->dir.buckets);
    dir->dir.buckets = b;
    dir->dir.nbuckets = nb;
    struct list *l;
    list_for_each(l, &dir->dir.entries)
    {
        struct tmpfs_dirent *d = container_of(l, struct tmpfs_dirent, link);
        struct tmpfs_dirent **head = bucket_of(dir, d->name, d->namelen);
        d->hnext = *head;
        *head = d;
    }
}

/* Adds d (its node already set) at the end of dir. Directory nlinks are the caller's. */
static void dir_insert(struct tmpfs_node *dir, struct tmpfs_dirent *d)
{
    if (dir->dir.nentries >= 2 * (u64)dir->dir.nbuckets && dir->dir.nbuckets < (1u << 30))
        dir_grow_hash(dir);
    struct tmpfs_dirent **head = bucket_of(dir, d->name, d->namelen);
    d->hnext = *head;
    *head = d;
    d->seq = dir->dir.next_seq++;
    list_add_tail(&dir->dir.entries, &d->link);
    dir->dir.nentries++;
}

/* Takes d out of dir; the caller frees it after unlocking. */
static void dir_remove(struct tmpfs_node *dir, struct tmpfs_dirent *d)
{
    struct tmpfs_dirent **p = bucket_of(dir, d->name, d->namelen);
    while (*p != d)
        p = &(*p)->hnext;
    *p = d->hnext;
    list_del(&d->link);
    dir->dir.nentries--;
}

static bool dir_dead(const struct tmpfs_node *dir)
{
    return dir->nlink == 0;
}

/* Whether anc is dir or one of its ancestors. */
static bool is_within(const struct tmpfs_node *dir, const struct tmpfs_node *anc)
{
    for (; dir; dir = dir->dir.parent)
        if (dir == anc)
            return true;
    return false;
}

/* n lost a name; directories lose their only one, and with it their place in the tree. */
static void drop_link(struct tmpfs_node *n)
{
    if (S_ISDIR(n->mode)) {
        n->nlink = 0;
        n->dir.parent = NULL;
    } else {
        n->nlink--;
    }
}

/* Frees n and, with a directory, its entries and any child left without names or vnodes, one
 * after the other rather than recursively, since a deep tree must not exhaust the stack.
 * Under the lock. Returns whether the instance has no nodes left (the caller frees it). */
static bool node_free(struct tmpfs_node *n)
{
    struct tmpfs *t = n->tfs;
    struct tmpfs_node *todo = n;
    n->free_next = NULL;
    while (todo) {
        n = todo;
        todo = n->free_next;
        while (S_ISDIR(n->mode) && !list_empty(&n->dir.entries)) {
            struct tmpfs_dirent *d = container_of(n->dir.entries.next, struct tmpfs_dirent, link);
            struct tmpfs_node *c = d->node;
            dir_remove(n, d);
            kfree(d);
            drop_link(c);
            if (node_unused(c)) {
                c->free_next = todo;
                todo = c;
            }
        }
        if (S_ISREG(n->mode))
            t->data_bytes -= n->reg.cap;
        node_discard(n);
        t->nodes--;
    }
    return t->nodes == 0;
}

/* ---- regular file data (under the lock) ---- */

/* Makes room for need bytes, growing geometrically so that appends cost amortized O(1). */
static int reg_reserve(struct tmpfs_node *n, u64 need)
{
    if (need <= n->reg.cap)
        return 0;
    u64 cap = n->reg.cap ? n->reg.cap : 64;
    while (cap < need)
        cap *= 2;
    cap = MIN(cap, TMPFS_MAX_FILE);
    char *data = krealloc(n->reg.data, cap);
    if (!data)
        return -ENOSPC;
    n->tfs->data_bytes += cap - n->reg.cap;
    n->reg.data = data;
    n->reg.cap = cap;
    return 0;
}

/* Sets the size; bytes beyond the old end read back as zeroes. */
static int reg_resize(struct tmpfs_node *n, u64 size)
{
    if (size > TMPFS_MAX_FILE)
        return -EFBIG;
    int err = reg_reserve(n, size);
    if (err)
        return err;
    if (size > n->reg.size)
        memset(n->reg.data + n->reg.size, 0, size - n->reg.size);
    n->reg.size = size;
    if (size == 0) {
        kfree(n->reg.data);
        n->tfs->data_bytes -= n->reg.cap;
        n->reg.data = NULL;
        n->reg.cap = 0;
    } else if (size < n->reg.cap / 4) {
        /* Give back most of a buffer that shrank a lot; keeping it is fine if that fails. */
        char *data = krealloc(n->reg.data, size * 2);
        if (data) {
            n->tfs->data_bytes -= n->reg.cap - size * 2;
            n->reg.data = data;
            n->reg.cap = size * 2;
        }
    }
    return 0;
}

/* ---- vnode operations ---- */

static int tmpfs_lookup(struct vnode *dv, const char *name, struct vnode **out)
{
    struct tmpfs_node *dir = dv->priv;
    struct tmpfs *t = dir->tfs;
    int err = -ENOENT;

    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (strlen(name) > NAME_MAX)
        return -ENAMETOOLONG;
    spin_lock(&t->lock);
    struct tmpfs_dirent *d = dir_find(dir, name);
    if (d) {
        *out = node_vnode(d->node);
        err = *out ? 0 : -ENOMEM;
    }
    spin_unlock(&t->lock);
    return err;
}

/* The common part of create, mkdir and symlink: a new node n named name in dir (no name: an
 * O_TMPFILE file), with *out (when asked for) a reference to its vnode. */
static int add_node(struct vnode *dv, const char *name, u32 mode, u64 rdev, u32 uid, u32 gid,
                    const char *target, struct vnode **out)
{
    struct tmpfs_node *dir = dv->priv;
    struct tmpfs *t = dir->tfs;
    struct tmpfs_dirent *d = NULL;
    struct vnode *v = NULL;
    int err = -ENOMEM;

    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (name && strlen(name) > NAME_MAX)
        return -ENAMETOOLONG;
    struct tmpfs_node *n = node_alloc(t, mode, uid, gid, target);
    if (!n || (name && !(d = dirent_alloc(name))))
        goto fail;
    if (out && !(v = vnode_new(&t->fs, &tmpfs_vnode_ops, mode, n)))
        goto fail;

    spin_lock(&t->lock);
    err = -ENOENT;
    if (dir_dead(dir))
        goto unlock;
    err = -EEXIST;
    if (name && dir_find(dir, name))
        goto unlock;
    /* Files made in a set-group-ID directory take its group, and directories keep the bit,
     * as in Linux's inode_init_owner. */
    if (dir->mode & 02000) {
        n->gid = dir->gid;
        if (S_ISDIR(mode))
            n->mode |= 02000;
    }
    n->rdev = rdev;
    if (d) {
        d->node = n;
        dir_insert(dir, d);
        if (S_ISDIR(mode)) {
            n->dir.parent = dir;
            dir->nlink++;
        }
        dir_changed(dir, n->ctime);
    } else {
        n->nlink = 0;
        n->linkable = true;
    }
    if (v) {
        n->vnode = v;
        n->vnodes = 1;
        *out = v;
    }
    t->nodes++;
    err = 0;
unlock:
    spin_unlock(&t->lock);
    if (!err)
        return 0;
fail:
    kfree(v); /* never published, so no reference or release to honour */
    kfree(d);
    node_discard(n);
    return err;
}

static int tmpfs_create(struct vnode *dv, const char *name, u32 mode, u64 rdev, u32 uid, u32 gid,
                        struct vnode **out)
{
    u32 type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG; /* mknod without a type makes a regular file, as in Linux */
    if (type == S_IFDIR || type == S_IFLNK || (!name && (type != S_IFREG || !out)))
        return -EINVAL;
    return add_node(dv, name, type | (mode & 07777), rdev, uid, gid, NULL, out);
}

static int tmpfs_mkdir(struct vnode *dv, const char *name, u32 mode, u32 uid, u32 gid)
{
    return add_node(dv, name, S_IFDIR | (mode & 07777), 0, uid, gid, NULL, NULL);
}

static int tmpfs_symlink(struct vnode *dv, const char *name, const char *target, u32 uid, u32 gid)
{
    size_t len = strnlen(target, PATH_MAX);
    if (len == 0)
        return -ENOENT;
    if (len >= PATH_MAX)
        return -ENAMETOOLONG;
    return add_node(dv, name, S_IFLNK | 0777, 0, uid, gid, target, NULL);
}

static int tmpfs_link(struct vnode *dv, const char *name, struct vnode *v)
{
    struct tmpfs_node *dir = dv->priv, *n = v->priv;
    struct tmpfs *t = dir->tfs;
    struct tmpfs_dirent *d;
    int err = 0;

    if (v->fs != dv->fs)
        return -EXDEV;
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (S_ISDIR(n->mode))
        return -EPERM;
    if (strlen(name) > NAME_MAX)
        return -ENAMETOOLONG;
    if (!(d = dirent_alloc(name)))
        return -ENOMEM;
    spin_lock(&t->lock);
    if (dir_dead(dir))
        err = -ENOENT;
    else if (dir_find(dir, name))
        err = -EEXIST;
    else if (n->nlink == 0 && !n->linkable)
        err = -ENOENT; /* an unlinked file cannot come back, an O_TMPFILE one can */
    if (err)
        goto out;
    struct timespec64 now = vfs_now();
    d->node = n;
    dir_insert(dir, d);
    d = NULL;
    n->nlink++;
    n->linkable = false;
    n->ctime = now;
    dir_changed(dir, now);
out:
    spin_unlock(&t->lock);
    kfree(d);
    return err;
}

/* unlink and rmdir. */
static int remove_name(struct vnode *dv, const char *name, bool want_dir)
{
    struct tmpfs_node *dir = dv->priv;
    struct tmpfs *t = dir->tfs;
    int err = 0;

    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    spin_lock(&t->lock);
    struct tmpfs_dirent *d = dir_find(dir, name);
    if (!d)
        err = -ENOENT;
    else if (S_ISDIR(d->node->mode) != want_dir)
        err = want_dir ? -ENOTDIR : -EISDIR;
    else if (want_dir && d->node->dir.nentries)
        err = -ENOTEMPTY;
    if (err) {
        d = NULL;
        goto out;
    }
    struct tmpfs_node *n = d->node;
    struct timespec64 now = vfs_now();
    dir_remove(dir, d);
    drop_link(n);
    if (want_dir)
        dir->nlink--; /* its ".." */
    n->ctime = now;
    dir_changed(dir, now);
    if (node_unused(n))
        node_free(n);
out:
    spin_unlock(&t->lock);
    kfree(d);
    return err;
}

static int tmpfs_unlink(struct vnode *dv, const char *name)
{
    return remove_name(dv, name, false);
}

static int tmpfs_rmdir(struct vnode *dv, const char *name)
{
    return remove_name(dv, name, true);
}

/* The checks of rename, in the order Linux makes them (lock_rename's ancestor "trap" first, then
 * the type checks of may_delete, then emptiness). Under the lock. */
static int rename_check(struct tmpfs_node *odir, struct tmpfs_dirent *od, struct tmpfs_node *ndir,
                        struct tmpfs_dirent *nd, unsigned flags)
{
    if (!od)
        return -ENOENT;
    if (dir_dead(ndir) || ((flags & RENAME_EXCHANGE) && !nd))
        return -ENOENT;
    if ((flags & RENAME_NOREPLACE) && nd)
        return -EEXIST;
    struct tmpfs_node *src = od->node, *dst = nd ? nd->node : NULL;
    if (src == dst)
        return 1; /* two names of one file (or one name): nothing to do */
    if (S_ISDIR(src->mode) && is_within(ndir, src))
        return -EINVAL;
    if (!dst)
        return 0;
    if (S_ISDIR(dst->mode) && is_within(odir, dst))
        return (flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
    if (flags & RENAME_EXCHANGE)
        return 0;
    if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
        return -ENOTDIR;
    if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
        return -EISDIR;
    if (S_ISDIR(dst->mode) && dst->dir.nentries)
        return -ENOTEMPTY;
    return 0;
}

/* A directory moving from odir to ndir takes its ".." along. */
static void move_parent(struct tmpfs_node *n, struct tmpfs_node *odir, struct tmpfs_node *ndir)
{
    if (!S_ISDIR(n->mode) || odir == ndir)
        return;
    odir->nlink--;
    ndir->nlink++;
    n->dir.parent = ndir;
}

static int tmpfs_rename(struct vnode *odv, const char *oname, struct vnode *ndv, const char *nname,
                        unsigned flags)
{
    struct tmpfs_node *odir = odv->priv, *ndir = ndv->priv;
    struct tmpfs *t = odir->tfs;
    struct tmpfs_dirent *od, *nd, *fresh, *gone = NULL;

    if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
        flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
        return -EINVAL;
    if (odv->fs != ndv->fs)
        return -EXDEV;
    if (!S_ISDIR(odir->mode) || !S_ISDIR(ndir->mode))
        return -ENOTDIR;
    if (strlen(nname) > NAME_MAX)
        return -ENAMETOOLONG;
    /* The entry for a new name is made before locking, so no failure can come half-way. */
    if (!(fresh = dirent_alloc(nname)))
        return -ENOMEM;

    spin_lock(&t->lock);
    od = dir_find(odir, oname);
    nd = dir_find(ndir, nname);
    int err = rename_check(odir, od, ndir, nd, flags);
    if (err)
        goto out;
    struct tmpfs_node *src = od->node, *dst = nd ? nd->node : NULL;
    struct timespec64 now = vfs_now();
    if (flags & RENAME_EXCHANGE) {
        od->node = dst;
        nd->node = src;
        move_parent(src, odir, ndir);
        move_parent(dst, ndir, odir);
        dst->ctime = now;
    } else {
        if (dst) {
            /* The new name keeps its entry (and its place in readdir order). */
            nd->node = src;
            drop_link(dst);
            if (S_ISDIR(dst->mode))
                ndir->nlink--;
            dst->ctime = now;
        } else {
            fresh->node = src;
            dir_insert(ndir, fresh);
            fresh = NULL;
        }
        dir_remove(odir, od);
        gone = od;
        move_parent(src, odir, ndir);
        if (dst && node_unused(dst))
            node_free(dst);
    }
    src->ctime = now;
    dir_changed(odir, now);
    dir_changed(ndir, now);
out:
    spin_unlock(&t->lock);
    kfree(fresh);
    kfree(gone);
    return err < 0 ? err : 0;
}

static long tmpfs_readlink(struct vnode *v, char *buf, size_t n)
{
    struct tmpfs_node *node = v->priv;
    if (!S_ISLNK(node->mode))
        return -EINVAL;
    /* The target never changes, only the atime needs the lock. */
    size_t len = MIN(n, node->lnk.len);
    memcpy(buf, node->lnk.target, len);
    spin_lock(&node->tfs->lock);
    touch_atime(node);
    spin_unlock(&node->tfs->lock);
    return (long)len;
}

static int tmpfs_getattr(struct vnode *v, struct vattr *a)
{
    struct tmpfs_node *n = v->priv;
    struct tmpfs *t = n->tfs;

    spin_lock(&t->lock);
    a->dev = t->fs.dev;
    a->ino = n->ino;
    a->nlink = n->nlink;
    a->rdev = n->rdev;
    a->mode = n->mode;
    a->uid = n->uid;
    a->gid = n->gid;
    a->blksize = TMPFS_BLKSIZE;
    a->atime = n->atime;
    a->mtime = n->mtime;
    a->ctime = n->ctime;
    if (S_ISREG(n->mode)) {
        a->size = n->reg.size;
        a->blocks = ALIGN_UP(n->reg.size, TMPFS_BLKSIZE) / 512;
    } else if (S_ISDIR(n->mode)) {
        a->size = BOGO_DIRENT_SIZE * (2 + n->dir.nentries);
    } else if (S_ISLNK(n->mode)) {
        a->size = n->lnk.len;
    }
    spin_unlock(&t->lock);
    return 0;
}

/* Sets a timestamp from setattr's value, which may say UTIME_NOW or UTIME_OMIT as in utimensat.
 * Returns whether it changed anything. */
static bool set_time(struct timespec64 *dst, struct timespec64 src, struct timespec64 now)
{
    if (src.nsec == UTIME_OMIT)
        return false;
    *dst = src.nsec == UTIME_NOW ? now : src;
    return true;
}

static int tmpfs_setattr(struct vnode *v, const struct vattr *a, unsigned mask)
{
    struct tmpfs_node *n = v->priv;
    struct tmpfs *t = n->tfs;
    bool changed = mask & (VA_MODE | VA_UID | VA_GID);
    int err = 0;

    if ((mask & VA_SIZE) && !S_ISREG(n->mode))
        return S_ISDIR(n->mode) ? -EISDIR : -EINVAL;
    spin_lock(&t->lock);
    struct timespec64 now = vfs_now();
    /* Like truncate(2): the times move only when the size does. */
    if ((mask & VA_SIZE) && a->size != n->reg.size) {
        if ((err = reg_resize(n, a->size)))
            goto out;
        n->mtime = n->ctime = now;
    }
    if (mask & VA_MODE)
        n->mode = (n->mode & S_IFMT) | (a->mode & 07777);
    if (mask & VA_UID)
        n->uid = a->uid;
    if (mask & VA_GID)
        n->gid = a->gid;
    if ((mask & VA_ATIME) && set_time(&n->atime, a->atime, now))
        changed = true;
    if ((mask & VA_MTIME) && set_time(&n->mtime, a->mtime, now))
        changed = true;
    if (changed)
        n->ctime = now;
out:
    spin_unlock(&t->lock);
    return err;
}

static int tmpfs_open(struct vnode *v, struct file *f)
{
    struct tmpfs_node *n = v->priv;

    /* The type and rdev never change, so no lock. f->vnode (set by the VFS) keeps n alive. */
    switch (n->mode & S_IFMT) {
    case S_IFREG:
        f->ops = &tmpfs_reg_ops;
        f->priv = n;
        return 0;
    case S_IFDIR:
        f->ops = &tmpfs_dir_ops;
        f->priv = n;
        return 0;
    case S_IFCHR:
        return chrdev_open(n->rdev, f);
    case S_IFIFO:
        return fifo_open ? fifo_open(v, f) : -ENXIO;
    }
    return -ENXIO; /* sockets are reached through connect, not open; no block devices */
}

static int tmpfs_statfs(struct vnode *v, struct kstatfs *st)
{
    struct tmpfs *t = ((struct tmpfs_node *)v->priv)->tfs;

    spin_lock(&t->lock);
    u64 used = ALIGN_UP(t->data_bytes, TMPFS_BLKSIZE) / TMPFS_BLKSIZE;
    u64 nodes = t->nodes;
    spin_unlock(&t->lock);
    memset(st, 0, sizeof(*st));
    st->type = TMPFS_MAGIC;
    st->bsize = st->frsize = TMPFS_BLKSIZE;
    st->blocks = MAX(TMPFS_NOMINAL_BLOCKS, used);
    st->bfree = st->bavail = st->blocks - used;
    st->files = MAX(TMPFS_NOMINAL_FILES, nodes);
    st->ffree = st->files - nodes;
    st->namelen = NAME_MAX;
    return 0;
}

static void tmpfs_release(struct vnode *v)
{
    struct tmpfs_node *n = v->priv;
    struct tmpfs *t = n->tfs;
    bool last = false;

    spin_lock(&t->lock);
    n->vnodes--;
    if (n->vnode == v)
        n->vnode = NULL;
    if (node_unused(n))
        last = node_free(n);
    spin_unlock(&t->lock);
    if (last)
        kfree(t); /* no node left, so nothing can reach the instance any more */
}

static const struct vnode_ops tmpfs_vnode_ops = {
    .lookup = tmpfs_lookup,
    .create = tmpfs_create,
    .mkdir = tmpfs_mkdir,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
    .readlink = tmpfs_readlink,
    .getattr = tmpfs_getattr,
    .setattr = tmpfs_setattr,
    .open = tmpfs_open,
    .statfs = tmpfs_statfs,
    .release = tmpfs_release,
};

/* ---- open files ---- */

static long reg_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    struct tmpfs_node *node = f->priv;
    struct tmpfs *t = node->tfs;
    long ret = 0;

    if (pos < 0)
        return -EINVAL;
    if (n == 0)
        return 0;
    spin_lock(&t->lock);
    if ((u64)pos < node->reg.size) {
        size_t len = MIN(n, node->reg.size - (u64)pos);
        ret = copy_to_guest(buf, node->reg.data + pos, len) ? -EFAULT : (long)len;
    }
    if (!(f->flags & O_NOATIME))
        touch_atime(node);
    spin_unlock(&t->lock);
    return ret;
}

static long reg_write(struct file *f, uptr buf, size_t n, i64 pos)
{
    struct tmpfs_node *node = f->priv;
    struct tmpfs *t = node->tfs;
    long ret;

    if (pos < 0)
        return -EINVAL;
    if (n == 0)
        return 0;
    /* Like Linux at s_maxbytes: a write that crosses the cap is cut short at it. */
    if ((u64)pos >= TMPFS_MAX_FILE)
        return -EFBIG;
    n = MIN(n, TMPFS_MAX_FILE - (u64)pos);
    spin_lock(&t->lock);
    u64 end = (u64)pos + n;
    if ((ret = reg_reserve(node, end)))
        goto out;
    if (copy_from_guest(node->reg.data + pos, buf, n)) {
        ret = -EFAULT;
        goto out;
    }
    if ((u64)pos > node->reg.size)
        memset(node->reg.data + node->reg.size, 0, (u64)pos - node->reg.size);
    node->reg.size = MAX(node->reg.size, end);
    node->mtime = node->ctime = vfs_now();
    ret = (long)n;
out:
    spin_unlock(&t->lock);
    return ret;
}

static long dir_rw(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)f, (void)buf, (void)n, (void)pos;
    return -EISDIR;
}

/* Offers ".", "..", then the entries whose cookie is at least *pos. Cookies are sequence
 * numbers, never reused, so unlinking other entries between calls moves nothing. */
static int dir_readdir(struct file *f, i64 *pos, struct dirent_sink *sink)
{
    struct tmpfs_node *dir = f->priv;
    struct tmpfs *t = dir->tfs;
    struct list *l;

    if (*pos < 0)
        return -EINVAL;
    spin_lock(&t->lock);
    if (*pos == 0) {
        if (sink->emit(sink, ".", 1, dir->ino, DT_DIR, 1))
            goto out;
        *pos = 1;
    }
    if (*pos == 1) {
        u64 ino = dir->dir.parent ? dir->dir.parent->ino : dir->ino;
        if (sink->emit(sink, "..", 2, ino, DT_DIR, FIRST_SEQ))
            goto out;
        *pos = FIRST_SEQ;
    }
    list_for_each(l, &dir->dir.entries)
    {
        struct tmpfs_dirent *d = container_of(l, struct tmpfs_dirent, link);
        if (d->seq < *pos)
            continue;
        if (sink->emit(sink, d->name, d->namelen, d->node->ino, vfs_dtype(d->node->mode),
                       d->seq + 1))
            goto out;
        *pos = d->seq + 1;
    }
out:
    touch_atime(dir);
    spin_unlock(&t->lock);
    return 0;
}

/* Files on tmpfs are always ready, as on Linux (DEFAULT_POLLMASK). */
static int tmpfs_poll(struct file *f, int events)
{
    (void)f, (void)events;
    return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

/* No host file stands behind tmpfs data: the VFS copies it into anonymous memory. */
static int tmpfs_map_handle(struct file *f)
{
    (void)f;
    return -ENODEV;
}

static int tmpfs_fsync(struct file *f, bool data_only)
{
    (void)f, (void)data_only;
    return 0;
}

static const struct file_ops tmpfs_reg_ops = {
    .read = reg_read,
    .write = reg_write,
    .poll = tmpfs_poll,
    .map_handle = tmpfs_map_handle,
    .fsync = tmpfs_fsync,
};

static const struct file_ops tmpfs_dir_ops = {
    .read = dir_rw,
    .write = dir_rw,
    .readdir = dir_readdir,
    .poll = tmpfs_poll,
    .fsync = tmpfs_fsync,
};

struct vnode *tmpfs_new(u32 root_mode)
{
    struct tmpfs *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->fs.name = "tmpfs";
    t->fs.dev = vfs_new_dev();
    t->fs.priv = t;
    struct tmpfs_node *root = node_alloc(t, S_IFDIR | (root_mode & 07777), 0, 0, NULL);
    struct vnode *v = root ? vnode_new(&t->fs, &tmpfs_vnode_ops, S_IFDIR, root) : NULL;
    if (!v) {
        node_discard(root);
        kfree(t);
        return NULL;
    }
    root->is_root = true;
    root->vnode = v;
    root->vnodes = 1;
    t->nodes = 1;
    return v;
}
