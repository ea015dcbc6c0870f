/* overlay.c: the sandbox's default root: a read-only lower tree under a writable tmpfs layer. */
#include "vfs.h"

/*
 * The model is Linux overlayfs's (without redirect_dir, index or xino):
 * - A name shows upper's entry if upper has one, else lower's. A directory both layers have is
 *   merged, unless the upper one is opaque (made where a lower directory had been deleted).
 * - Deleting a name lower has leaves a whiteout in upper, a character device with rdev 0 as
 *   overlayfs writes it; it hides lower's entry from lookup and readdir.
 * - Any change to a file only lower has first copies it up, ancestors first (as directories),
 *   with mode, owner and times. st_dev is the overlay's; st_ino stays lower's for life.
 * - The tmpfs behind upper has two top directories: "root" is the upper layer, "work" is out of
 *   the guest's sight. New upper objects are staged in work and renamed into place, so that a
 *   lookup sees a whole copied-up file or none, and a name never flickers to lower's file.
 * - Overlayfs keeps "opaque" and "origin" in xattrs, which tmpfs lacks, so a table here holds
 *   them, keyed by upper inode number. tmpfs numbers come from vfs_new_ino and are never reused,
 *   so an entry a deleted file left behind can never mark another one. (A hidden marker entry
 *   in opaque directories would instead reserve a name and block tmpfs's rmdir.)
 * - Overlay vnodes are unique while referenced: each directory lists its live children, so a
 *   copy-up or unlink through one reference is seen through all. Lower vnodes (hostfs) are not
 *   unique, and nothing here relies on their identity.
 *
 * Locks, in order: ofs->modify serializes every change to the overlay's structure (copy-up
 * included) and is held across calls into the layers; ofs->lock guards the child lists, node
 * names, parents and flags, and the mark table, and is never held across a call into a layer;
 * then the layers' own locks. Lookups take no modify lock: ofs->seq is odd while a change runs,
 * and a lookup that raced one starts again rather than cache a view the change made stale.
 */

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1 /* Linux's renameat2 flags (include/uapi/linux/fs.h) */
#define RENAME_EXCHANGE 2
#endif

/* st_ino of a file only upper has: its tmpfs number with a bit host inode numbers never reach,
 * so it cannot equal a lower file's (all of them share the overlay's st_dev). */
#define UPPER_INO_BIT (1ULL << 62)
/* A lower file on another host file system than the lower root (below a host mount point) has
 * bits of its st_dev folded in here, so equal inode numbers of two host file systems differ. */
#define DEV_INO_BITS 0x3fff000000000000ULL
#define COPY_CHUNK (64 * 1024) /* bounce buffer of a copy-up */
#define TMP_NAME_MAX 24        /* "#" and a 64-bit counter in hex */

struct ovl_mark {
    u64 upper_ino;
    u64 origin; /* st_ino to report: the lower file's it was copied up from, or 0 */
    bool opaque;
};

struct ovl_fs {
    struct fs fs;
    struct vnode *top;  /* the tmpfs root: holds "root" (the upper layer) and "work" */
    struct vnode *work; /* stages new upper objects */
    u64 lower_dev;      /* st_dev of the lower root */
    spinlock_t modify, lock;
    u64 seq;
    u64 tmp_count;
    struct ovl_mark *marks; /* sorted by upper_ino */
    size_t nmarks, cap;
};

struct ovl_node {
    struct vnode *vn;     /* the overlay vnode this is the private state of */
    struct vnode *upper;  /* NULL while only lower has the file; set once, by copy-up */
    struct vnode *lower;  /* NULL for files only upper has and for opaque directories */
    struct vnode *parent; /* a reference to the overlay parent; NULL for the root */
    char *name;           /* the name in parent */
    bool removed;         /* unlinked or replaced: no name leads here any more */
    u64 ino;              /* st_ino once computed (it never changes) */
    struct list sib;      /* in the parent's children */
    struct list children; /* the live nodes of this directory's entries */
};

/* A directory listing: ours (for readdir and rmdir) or one layer's. */
struct dent {
    u64 ino;
    int type;
    bool hidden; /* a lower entry that upper has or whites out */
    size_t len;
    char name[];
};

struct dlist {
    struct dent **v;
    size_t n, cap;
};

/* An open directory: the snapshot its readdir serves, taken at cookie 0. Cookies are indexes. */
struct ovl_dirfile {
    struct dlist snap;
    spinlock_t lock; /* guards snap against readdirs of one description in two threads */
};

static const struct vnode_ops ovl_vops;
static const struct file_ops ovl_dir_fops;
static int ovl_getattr(struct vnode *v, struct vattr *a);

static struct ovl_fs *ofs(struct vnode *v)
{
    return container_of(v->fs, struct ovl_fs, fs);
}

static struct ovl_node *onode(struct vnode *v)
{
    return v->priv;
}

static struct vnode *upper_of(struct ovl_node *n)
{
    return __atomic_load_n(&n->upper, __ATOMIC_ACQUIRE);
}

/* ---- changes and the lookups racing them ---- */

static void change_begin(struct ovl_fs *o)
{
    spin_lock(&o->modify);
    __atomic_add_fetch(&o->seq, 1, __ATOMIC_SEQ_CST);
}

static void change_end(struct ovl_fs *o)
{
    __atomic_add_fetch(&o->seq, 1, __ATOMIC_SEQ_CST);
    spin_unlock(&o->modify);
}

static u64 change_wait(struct ovl_fs *o)
{
    u64 s;
    while ((s = __atomic_load_n(&o->seq, __ATOMIC_ACQUIRE)) & 1)
        __builtin_ia32_pause();
    return s;
}

static void tmp_name(struct ovl_fs *o, char buf[TMP_NAME_MAX])
{
    u64 n = __atomic_add_fetch(&o->tmp_count, 1, __ATOMIC_RELAXED);
    snprintf(buf, TMP_NAME_MAX, "#%llx", (unsigned long long)n);
}

/* ---- marks: opacity and origin of upper files ---- */

/* Index of the first mark at or above ino. Under the lock. */
static size_t mark_index(struct ovl_fs *o, u64 ino)
{
    size_t lo = 0, hi = o->nmarks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->marks[mid].upper_ino < ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct ovl_mark mark_get(struct ovl_fs *o, u64 ino)
{
    struct ovl_mark m = {ino, 0, false};
    spin_lock(&o->lock);
    size_t i = mark_index(o, ino);
    if (i < o->nmarks && o->marks[i].upper_ino == ino)
        m = o->marks[i];
    spin_unlock(&o->lock);
    return m;
}

/* Adds origin (if nonzero) and opacity (if set) to the marks of upper file ino. */
static int mark_set(struct ovl_fs *o, u64 ino, u64 origin, bool opaque)
{
    int err = 0;
    spin_lock(&o->lock);
    size_t i = mark_index(o, ino);
    if (i == o->nmarks || o->marks[i].upper_ino != ino) {
        if (o->nmarks == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 16;
            struct ovl_mark *m = krealloc(o->marks, cap * sizeof(*m));
            if (!m) {
                err = -ENOMEM;
                goto out;
            }
            o->marks = m;
            o->cap = cap;
        }
        memmove(&o->marks[i + 1], &o->marks[i], (o->nmarks - i) * sizeof(*o->marks));
        o->marks[i] = (struct ovl_mark){ino, 0, false};
        o->nmarks++;
    }
    if (origin)
        o->marks[i].origin = origin;
    o->marks[i].opaque |= opaque;
out:
    spin_unlock(&o->lock);
    return err;
}

static void mark_drop(struct ovl_fs *o, u64 ino)
{
    spin_lock(&o->lock);
    size_t i = mark_index(o, ino);
    if (i < o->nmarks && o->marks[i].upper_ino == ino) {
        o->nmarks--;
        memmove(&o->marks[i], &o->marks[i + 1], (o->nmarks - i) * sizeof(*o->marks));
    }
    spin_unlock(&o->lock);
}

static u64 lower_ino(struct ovl_fs *o, u64 dev, u64 ino)
{
    return dev == o->lower_dev ? ino : ino ^ ((dev * 0x9e3779b97f4a7c15ULL) & DEV_INO_BITS);
}

static bool is_whiteout(struct vnode *v)
{
    struct vattr a;
    return S_ISCHR(v->type) && !vfs_getattr(v, &a) && a.rdev == 0;
}

static bool is_opaque(struct ovl_fs *o, struct vnode *upper_dir)
{
    struct vattr a;
    return !vfs_getattr(upper_dir, &a) && mark_get(o, a.ino).opaque;
}

/* ---- nodes ---- */

/* A node for name in parent, taking over the references to upper and lower. */
static struct ovl_node *node_new(struct ovl_fs *o, struct vnode *parent, const char *name,
                                 struct vnode *upper, struct vnode *lower)
{
    struct ovl_node *n = kzalloc(sizeof(*n));
    char *nm = strdup(name);
    struct vnode *v =
        n && nm ? vnode_new(&o->fs, &ovl_vops, (upper ? upper : lower)->type, n) : NULL;
    if (!v) {
        kfree(n);
        kfree(nm);
        vnode_put(upper);
        vnode_put(lower);
        return NULL;
    }
    n->vn = v;
    n->upper = upper;
    n->lower = lower;
    n->parent = parent ? vnode_get(parent) : NULL;
    n->name = nm;
    list_init(&n->sib);
    list_init(&n->children);
    return n;
}

/* A new reference to d's live child called name, or NULL. A vnode whose last reference is being
 * dropped right now is not revived: its release is about to take it off the list. Under the
 * lock. */
static struct ovl_node *child_find(struct ovl_node *d, const char *name)
{
    struct list *l;
    list_for_each(l, &d->children)
    {
        struct ovl_node *c = container_of(l, struct ovl_node, sib);
        if (strcmp(c->name, name))
            continue;
        int refs = __atomic_load_n(&c->vn->refs, __ATOMIC_RELAXED);
        while (refs > 0)
            if (__atomic_compare_exchange_n(&c->vn->refs, &refs, refs + 1, false, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
                return c;
    }
    return NULL;
}

/* What the layers hold under name, given a directory's upper du and lower dl (either may be
 * NULL): references in *up and *lo, not both NULL. -ENOENT also for a whiteout. */
static int layers_lookup(struct ovl_fs *o, struct vnode *du, struct vnode *dl, const char *name,
                         struct vnode **up, struct vnode **lo)
{
    struct vnode *u = NULL, *l = NULL;
    int err;
    if (du) {
        err = du->ops->lookup(du, name, &u);
        if (err && err != -ENOENT)
            return err;
        if (!err && is_whiteout(u)) {
            vnode_put(u);
            return -ENOENT;
        }
    }
    /* Lower shows through where upper has nothing, or a directory that merges with it. */
    if (dl && (!u || (S_ISDIR(u->type) && !is_opaque(o, u)))) {
        err = dl->ops->lookup(dl, name, &l);
        if (err && err != -ENOENT) {
            vnode_put(u);
            return err;
        }
        if (!err && u && !S_ISDIR(l->type)) {
            vnode_put(l);
            l = NULL;
        }
    }
    if (!u && !l)
        return -ENOENT;
    *up = u;
    *lo = l;
    return 0;
}

/* The node for name in directory d, with a new reference. A writer (holding modify) passes
 * writer: nothing changes under it, and it must not wait for its own change to end. */
static int node_lookup(struct ovl_node *d, const char *name, bool writer, struct ovl_node **out)
{
    struct ovl_fs *o = ofs(d->vn);
    for (;;) {
        u64 seq = writer ? 0 : change_wait(o);
        spin_lock(&o->lock);
        bool removed = d->removed;
        struct ovl_node *c = removed ? NULL : child_find(d, name);
        spin_unlock(&o->lock);
        if (removed)
            return -ENOENT;
        if (c) {
            *out = c;
            return 0;
        }
        struct vnode *up, *lo;
        int err = layers_lookup(o, upper_of(d), d->lower, name, &up, &lo);
        if (err)
            return err;
        struct ovl_node *n = node_new(o, d->vn, name, up, lo);
        if (!n)
            return -ENOMEM;
        spin_lock(&o->lock);
        bool stale = !writer && __atomic_load_n(&o->seq, __ATOMIC_ACQUIRE) != seq;
        c = stale ? NULL : child_find(d, name); /* another lookup may have been quicker */
        if (!stale && !c)
            list_add_tail(&d->children, &n->sib);
        spin_unlock(&o->lock);
        if (!stale && !c) {
            *out = n;
            return 0;
        }
        vnode_put(n->vn);
        if (c) {
            *out = c;
            return 0;
        }
    }
}

/* No name leads to n any more (the caller changed the layers accordingly). */
static void node_detach(struct ovl_fs *o, struct ovl_node *n)
{
    spin_lock(&o->lock);
    __atomic_store_n(&n->removed, true, __ATOMIC_RELAXED);
    list_del(&n->sib);
    spin_unlock(&o->lock);
}

/* Whether lower has name in directory d, where it shows through or is whited out. */
static int name_in_lower(struct ovl_node *d, const char *name, bool *in)
{
    struct vnode *l;
    int err = d->lower ? d->lower->ops->lookup(d->lower, name, &l) : -ENOENT;
    *in = !err;
    if (!err)
        vnode_put(l);
    return err == -ENOENT ? 0 : err;
}

/* ---- copy-up ---- */

/* Opens a layer's vnode v as the VFS would (v's fs sets ops and priv), for the overlay itself. */
static int open_layer(struct vnode *v, u32 flags, struct file **out)
{
    struct file *f = file_alloc(NULL, flags, NULL);
    if (!f)
        return -ENOMEM;
    f->vnode = vnode_get(v);
    int err = v->ops->open ? v->ops->open(v, f) : -ENXIO;
    if (err) {
        file_put(f);
        return err;
    }
    *out = f;
    return 0;
}

/* Copies the contents of lower regular file lo into the new upper file up. */
static int copy_data(struct vnode *lo, struct vnode *up)
{
    struct file *in = NULL, *out = NULL;
    char *buf = kmalloc(COPY_CHUNK);
    int err = buf ? open_layer(lo, O_RDONLY, &in) : -ENOMEM;
    if (!err)
        err = open_layer(up, O_WRONLY, &out);
    for (i64 pos = 0; !err;) {
        long n = in->ops->read(in, (uptr)buf, COPY_CHUNK, pos);
        if (n <= 0) {
            err = (int)n;
            break;
        }
        for (long done = 0; done < n && !err;) {
            long w = out->ops->write(out, (uptr)(buf + done), (size_t)(n - done), pos + done);
            if (w <= 0)
                err = w ? (int)w : -EIO;
            else
                done += w;
        }
        pos += n;
    }
    file_put(in);
    file_put(out);
    kfree(buf);
    return err;
}

/* Reads the target of a layer's symlink v into buf as a string. */
static int read_link(struct vnode *v, char *buf, size_t size)
{
    long len = v->ops->readlink ? v->ops->readlink(v, buf, size - 1) : -EINVAL;
    if (len < 0)
        return (int)len;
    buf[len] = 0;
    return 0;
}

/* Makes an upper copy of n, whose parent already has one: built in work, then renamed into
 * place. data: copy a regular file's contents too (not when it is about to be truncated). */
static int copy_up_one(struct ovl_fs *o, struct ovl_node *n, bool data)
{
    struct vnode *w = o->work, *pu = upper_of(onode(n->parent)), *up = NULL;
    char tmp[TMP_NAME_MAX], *target = NULL;
    struct vattr a, ua, pa;
    int err = vfs_getattr(n->lower, &a);
    if (!err)
        err = vfs_getattr(pu, &pa);
    if (err)
        return err;
    tmp_name(o, tmp);
    switch (a.mode & S_IFMT) {
    case S_IFDIR:
        err = w->ops->mkdir(w, tmp, a.mode & 07777, a.uid, a.gid);
        break;
    case S_IFLNK:
        target = kmalloc(PATH_MAX + 1);
        err = target ? read_link(n->lower, target, PATH_MAX + 1) : -ENOMEM;
        if (!err)
            err = w->ops->symlink(w, tmp, target, a.uid, a.gid);
        break;
    default:
        err = w->ops->create(w, tmp, a.mode, a.rdev, a.uid, a.gid, NULL);
    }
    if (err)
        goto out;
    err = w->ops->lookup(w, tmp, &up);
    if (!err && S_ISREG(a.mode) && data)
        err = copy_data(n->lower, up);
    /* Attributes last: creating in a set-group-ID directory takes its group, writing moves the
     * mtime, and tmpfs gives a symlink no mode of its own. */
    unsigned mask = VA_UID | VA_GID | VA_ATIME | VA_MTIME | (S_ISLNK(a.mode) ? 0 : VA_MODE);
    if (!err)
        err = up->ops->setattr(up, &a, mask);
    /* A copied file keeps lower's st_ino; a copied directory still merges with lower's. */
    if (!err && !S_ISDIR(a.mode) && !(err = vfs_getattr(up, &ua)))
        err = mark_set(o, ua.ino, lower_ino(o, a.dev, a.ino), false);
    if (!err)
        err = w->ops->rename(w, tmp, pu, n->name, RENAME_NOREPLACE);
    if (err) {
        if (S_ISDIR(a.mode))
            w->ops->rmdir(w, tmp);
        else
            w->ops->unlink(w, tmp);
        vnode_put(up);
        goto out;
    }
    __atomic_store_n(&n->upper, up, __ATOMIC_RELEASE);
    /* Copying up is no change the guest made: the parent keeps its times, as in overlayfs. */
    pu->ops->setattr(pu, &pa, VA_ATIME | VA_MTIME);
out:
    kfree(target);
    return err;
}

/* Gives n an upper copy, its missing ancestors first, top down (a loop, not recursion: a guest
 * may nest directories deeper than a stack allows). Under modify. */
static int copy_up(struct ovl_fs *o, struct ovl_node *n, bool data)
{
    while (!upper_of(n)) {
        struct ovl_node *a = n;
        for (;;) {
            if (a->removed)
                return -ENOENT;
            struct ovl_node *p = onode(a->parent); /* the root has upper: a is not the root */
            if (upper_of(p))
                break;
            a = p;
        }
        int err = copy_up_one(o, a, a == n ? data : true);
        if (err)
            return err;
    }
    return 0;
}

/* ---- listings ---- */

static void dlist_free(struct dlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        kfree(l->v[i]);
    kfree(l->v);
    *l = (struct dlist){0};
}

static int dlist_reserve(struct dlist *l, size_t n)
{
    if (n <= l->cap)
        return 0;
    size_t cap = MAX(n, l->cap * 2);
    struct dent **v = krealloc(l->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

static int dlist_add(struct dlist *l, const char *name, size_t len, u64 ino, int type)
{
    struct dent *e = kmalloc(sizeof(*e) + len + 1);
    if (!e || dlist_reserve(l, l->n + 1)) {
        kfree(e);
        return -ENOMEM;
    }
    *e = (struct dent){.ino = ino, .type = type, .len = len};
    memcpy(e->name, name, len);
    e->name[len] = 0;
    l->v[l->n++] = e;
    return 0;
}

/* A sink that collects a layer's entries but "." and "..". */
struct collect {
    struct dirent_sink sink;
    struct dlist *l;
    int err;
    size_t seen;
};

static int collect_emit(struct dirent_sink *s, const char *name, size_t len, u64 ino, int type,
                        i64 next)
{
    struct collect *c = container_of(s, struct collect, sink);
    (void)next;
    c->seen++;
    if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
        return 0;
    c->err = dlist_add(c->l, name, len, ino, type);
    return c->err != 0;
}

/* Lists the entries of a layer's directory v into l. */
static int list_layer(struct vnode *v, struct dlist *l)
{
    struct file *f;
    int err = open_layer(v, O_RDONLY | O_DIRECTORY, &f);
    if (err)
        return err;
    struct collect c = {{collect_emit}, l, 0, 0};
    i64 pos = 0;
    do {
        c.seen = 0;
        err = f->ops->readdir ? f->ops->readdir(f, &pos, &c.sink) : -ENOTDIR;
    } while (!err && !c.err && c.seen);
    file_put(f);
    return err ? err : c.err;
}

static u32 name_hash(const char *s, size_t len)
{
    u32 h = 2166136261u; /* FNV-1a */
    while (len--)
        h = (h ^ (u8)*s++) * 16777619u;
    return h;
}

/* Finds lower entries by name: an open-addressing table of indexes + 1 into the listing. */
struct name_index {
    u32 *slot;
    u32 mask;
};

static int index_build(struct name_index *x, const struct dlist *l)
{
    u32 size = 16;
    while (size < 2 * l->n)
        size *= 2;
    x->slot = kzalloc(size * sizeof(*x->slot));
    if (!x->slot)
        return -ENOMEM;
    x->mask = size - 1;
    for (u32 i = 0; i < l->n; i++) {
        u32 h = name_hash(l->v[i]->name, l->v[i]->len) & x->mask;
        while (x->slot[h])
            h = (h + 1) & x->mask;
        x->slot[h] = i + 1;
    }
    return 0;
}

static struct dent *index_find(const struct name_index *x, const struct dlist *l,
                               const struct dent *e)
{
    for (u32 h = name_hash(e->name, e->len) & x->mask; x->slot[h]; h = (h + 1) & x->mask) {
        struct dent *d = l->v[x->slot[h] - 1];
        if (d->len == e->len && !memcmp(d->name, e->name, e->len))
            return d;
    }
    return NULL;
}

static bool upper_entry_is_whiteout(struct vnode *du, const char *name)
{
    struct vnode *v;
    if (du->ops->lookup(du, name, &v))
        return false;
    bool wh = is_whiteout(v);
    vnode_put(v);
    return wh;
}

/* Appends the merged listing of directory n to out ("." and ".." aside): upper's entries but
 * whiteouts, then lower's that upper neither has nor whites out, with d_ino equal to the
 * st_ino getattr gives. */
static int list_merged(struct ovl_fs *o, struct ovl_node *n, struct dlist *out)
{
    bool removed = __atomic_load_n(&n->removed, __ATOMIC_RELAXED);
    struct vnode *up = upper_of(n), *lo = removed ? NULL : n->lower;
    struct dlist ul = {0}, ll = {0};
    struct name_index x = {0};
    struct vattr la = {0};
    int err = up ? list_layer(up, &ul) : 0;
    if (!err && lo && !(err = list_layer(lo, &ll)))
        err = vfs_getattr(lo, &la);
    if (!err)
        err = index_build(&x, &ll);
    if (!err)
        err = dlist_reserve(out, out->n + ul.n + ll.n);
    for (size_t i = 0; !err && i < ul.n; i++) {
        struct dent *e = ul.v[i], *twin = index_find(&x, &ll, e);
        if (twin)
            twin->hidden = true;
        if (e->type == DT_CHR && upper_entry_is_whiteout(up, e->name))
            continue;
        struct ovl_mark m = mark_get(o, e->ino);
        if (m.origin)
            e->ino = m.origin;
        else if (twin && e->type == DT_DIR && twin->type == DT_DIR && !m.opaque)
            e->ino = lower_ino(o, la.dev, twin->ino);
        else
            e->ino |= UPPER_INO_BIT;
        out->v[out->n++] = e;
        ul.v[i] = NULL;
    }
    for (size_t i = 0; !err && i < ll.n; i++) {
        struct dent *e = ll.v[i];
        if (e->hidden)
            continue;
        e->ino = lower_ino(o, la.dev, e->ino);
        out->v[out->n++] = e;
        ll.v[i] = NULL;
    }
    kfree(x.slot);
    dlist_free(&ul);
    dlist_free(&ll);
    return err;
}

/* Empties upper directory du of whiteouts (all an empty merged directory may hold upper), so
 * that tmpfs lets it be removed or replaced. */
static int purge_whiteouts(struct vnode *du)
{
    struct dlist l = {0};
    int err = list_layer(du, &l);
    for (size_t i = 0; !err && i < l.n; i++)
        err = upper_entry_is_whiteout(du, l.v[i]->name) ? du->ops->unlink(du, l.v[i]->name)
                                                        : -ENOTEMPTY;
    dlist_free(&l);
    return err;
}

/* ---- making and removing names ---- */

/* Puts a whiteout at name in upper directory du. Over an upper entry old the whiteout is staged
 * in work and swapped in, so that name never shows lower's file in between; a directory swapped
 * out lands in work and is removed there (it is empty: its whiteouts were purged). */
static int put_whiteout(struct ovl_fs *o, struct vnode *du, const char *name, struct vnode *old)
{
    struct vnode *w = o->work;
    char tmp[TMP_NAME_MAX];
    if (!old)
        return du->ops->create(du, name, S_IFCHR, 0, 0, 0, NULL);
    tmp_name(o, tmp);
    int err = w->ops->create(w, tmp, S_IFCHR, 0, 0, 0, NULL);
    if (err)
        return err;
    bool dir = S_ISDIR(old->type);
    err = w->ops->rename(w, tmp, du, name, dir ? RENAME_EXCHANGE : 0);
    if (err)
        w->ops->unlink(w, tmp);
    else if (dir)
        w->ops->rmdir(w, tmp); /* cannot fail but on a bug; it would only leave work untidy */
    return err;
}

/* Takes c, named c->name in d, out of the merged view: its upper entry goes, and a whiteout
 * takes its place if lower has the name. Under modify. */
static int remove_entry(struct ovl_fs *o, struct ovl_node *d, struct ovl_node *c)
{
    bool dir = S_ISDIR(c->vn->type), in_lower = false;
    struct vattr ca = {0};
    int err = copy_up(o, d, true);
    if (!err)
        err = name_in_lower(d, c->name, &in_lower);
    struct vnode *du = upper_of(d), *cu = upper_of(c);
    if (!err && cu && !(err = vfs_getattr(cu, &ca)) && dir)
        err = purge_whiteouts(cu);
    if (err)
        return err;
    if (in_lower)
        err = put_whiteout(o, du, c->name, cu);
    else
        err = dir ? du->ops->rmdir(du, c->name) : du->ops->unlink(du, c->name);
    if (err)
        return err;
    if (cu && (dir || ca.nlink <= 1)) {
        struct vattr keep;
        ovl_getattr(c->vn, &keep); /* fixes c's st_ino for whoever still has it open */
        mark_drop(o, ca.ino);
    }
    node_detach(o, c);
    return 0;
}

/* Where a new entry gets made: straight in the directory's upper, or (over a whiteout) staged in
 * work under a temporary name until commit_entry swaps it in. */
struct new_entry {
    struct vnode *dir;
    const char *name;
    struct vnode *whiteout; /* the whiteout the new entry replaces, or NULL */
    char tmp[TMP_NAME_MAX];
};

/* Readies the making of name in d: EEXIST if the merged view has it; d copied up. */
static int prepare_entry(struct ovl_fs *o, struct ovl_node *d, const char *name,
                         struct new_entry *e)
{
    struct ovl_node *c;
    struct vnode *u;
    e->whiteout = NULL;
    int err = node_lookup(d, name, true, &c);
    if (!err) {
        vnode_put(c->vn);
        return -EEXIST;
    }
    if (err != -ENOENT || (err = copy_up(o, d, true)))
        return err;
    e->dir = upper_of(d);
    e->name = name;
    err = e->dir->ops->lookup(e->dir, name, &u);
    if (err)
        return err == -ENOENT ? 0 : err;
    e->whiteout = u; /* the merged view has no name here, so upper's entry is a whiteout */
    e->dir = o->work;
    tmp_name(o, e->tmp);
    e->name = e->tmp;
    return 0;
}

/* Moves a staged entry over its whiteout: a rename for a non-directory; a directory cannot
 * replace one, so it trades places with it and the whiteout is deleted from work. A directory
 * made where a name was deleted is opaque: lower's old directory must not show through. */
static int commit_entry(struct ovl_fs *o, struct ovl_node *d, const char *name, struct new_entry *e,
                        bool dir)
{
    struct vnode *w = o->work, *v;
    struct vattr a;
    int err = 0;
    if (!e->whiteout)
        return 0;
    if (dir && !(err = w->ops->lookup(w, e->tmp, &v))) {
        err = vfs_getattr(v, &a);
        vnode_put(v);
        if (!err)
            err = mark_set(o, a.ino, 0, true);
    }
    if (!err)
        err = w->ops->rename(w, e->tmp, upper_of(d), name, dir ? RENAME_EXCHANGE : 0);
    if (err)
        dir ? w->ops->rmdir(w, e->tmp) : w->ops->unlink(w, e->tmp);
    else if (dir)
        w->ops->unlink(w, e->tmp);
    return err;
}

/* ---- vnode operations ---- */

static int ovl_lookup(struct vnode *dir, const char *name, struct vnode **out)
{
    struct ovl_node *c;
    int err = node_lookup(onode(dir), name, false, &c);
    if (!err)
        *out = c->vn;
    return err;
}

/* An O_TMPFILE file (create without a name): made nameless in d's upper directory. Its node is
 * removed from the start; link may give the file a name later. */
static int create_tmpfile(struct ovl_fs *o, struct ovl_node *d, u32 mode, u32 uid, u32 gid,
                          struct vnode **out)
{
    struct vnode *u;
    struct ovl_node *n = NULL;
    if (!out)
        return -EINVAL; /* a file no name nor reference reaches */
    change_begin(o);
    int err = copy_up(o, d, true);
    if (!err)
        err = upper_of(d)->ops->create(upper_of(d), NULL, mode, 0, uid, gid, &u);
    if (!err && !(n = node_new(o, d->vn, "", u, NULL)))
        err = -ENOMEM;
    if (!err) {
        n->removed = true;
        *out = n->vn;
    }
    change_end(o);
    return err;
}

static int ovl_create(struct vnode *dir, const char *name, u32 mode, u64 rdev, u32 uid, u32 gid,
                      struct vnode **out)
{
    struct ovl_fs *o = ofs(dir);
    struct ovl_node *d = onode(dir), *c;
    struct new_entry e;
    if (S_ISCHR(mode) && rdev == 0)
        return -EPERM; /* it would read back as a whiteout */
    if (!name)
        return create_tmpfile(o, d, mode, uid, gid, out);
    change_begin(o);
    int err = prepare_entry(o, d, name, &e);
    if (!err)
        err = e.dir->ops->create(e.dir, e.name, mode, rdev, uid, gid, NULL);
    if (!err)
        err = commit_entry(o, d, name, &e, false);
    if (!err && out && !(err = node_lookup(d, name, true, &c)))
        *out = c->vn;
    vnode_put(e.whiteout);
    change_end(o);
    return err;
}

static int ovl_mkdir(struct vnode *dir, const char *name, u32 mode, u32 uid, u32 gid)
{
    struct ovl_fs *o = ofs(dir);
    struct ovl_node *d = onode(dir);
    struct new_entry e;
    change_begin(o);
    int err = prepare_entry(o, d, name, &e);
    if (!err)
        err = e.dir->ops->mkdir(e.dir, e.name, mode, uid, gid);
    if (!err)
        err = commit_entry(o, d, name, &e, true);
    vnode_put(e.whiteout);
    change_end(o);
    return err;
}

static int ovl_symlink(struct vnode *dir, const char *name, const char *target, u32 uid, u32 gid)
{
    struct ovl_fs *o = ofs(dir);
    struct ovl_node *d = onode(dir);
    struct new_entry e;
    change_begin(o);
    int err = prepare_entry(o, d, name, &e);
    if (!err)
        err = e.dir->ops->symlink(e.dir, e.name, target, uid, gid);
    if (!err)
        err = commit_entry(o, d, name, &e, false);
    vnode_put(e.whiteout);
    change_end(o);
    return err;
}

static int ovl_link(struct vnode *dir, const char *name, struct vnode *v)
{
    struct ovl_fs *o = ofs(dir);
    struct ovl_node *d = onode(dir), *n = onode(v);
    struct new_entry e = {0};
    if (v->fs != dir->fs)
        return -EXDEV;
    change_begin(o);
    int err = copy_up(o, n, true);
    if (!err)
        err = prepare_entry(o, d, name, &e);
    if (!err)
        err = e.dir->ops->link(e.dir, e.name, upper_of(n));
    if (!err)
        err = commit_entry(o, d, name, &e, false);
    vnode_put(e.whiteout);
    change_end(o);
    return err;
}

static int ovl_unlink(struct vnode *dir, const char *name)
{
    struct ovl_fs *o = ofs(dir);
    struct ovl_node *d = onode(dir), *c;
    change_begin(o);
    int err = node_lookup(d, name, true, &c);
    if (!err) {
        err = S_ISDIR(c->vn->type) ? -EISDIR : remove_entry(o, d, c);
        vnode_put(c->vn);
    }
    change_end(o);
    return err;
}

/* Whether directory n is empty in the merged view. */
static int check_empty(struct ovl_fs *o, struct ovl_node *n)
{
    struct dlist l = {0};
    int err = list_merged(o, n, &l);
    if (!err && l.n)
        err = -ENOTEMPTY;
    dlist_free(&l);
    return err;
}

static int ovl_rmdir(struct vnode *dir, const char *name)
{
    struct ovl_fs *o = ofs(dir);
    struct ovl_node *d = onode(dir), *c;
    change_begin(o);
    int err = node_lookup(d, name, true, &c);
    if (!err) {
        err = !S_ISDIR(c->vn->type) ? -ENOTDIR : check_empty(o, c);
        if (!err)
            err = remove_entry(o, d, c);
        vnode_put(c->vn);
    }
    change_end(o);
    return err;
}

/* The checks of rename that the merged view decides (tmpfs makes the rest on upper): 1 when
 * there is nothing to do. Moving a directory lower has would need overlayfs's redirect_dir;
 * like overlayfs without it, EXDEV makes mv fall back to copying. */
static int rename_check(struct ovl_fs *o, struct ovl_node *src, struct ovl_node *dst,
                        unsigned flags)
{
    if (dst && (flags & RENAME_NOREPLACE))
        return -EEXIST;
    if (dst && (src == dst || (upper_of(src) && upper_of(src) == upper_of(dst))))
        return 1; /* one file under two names, or one name */
    if (S_ISDIR(src->vn->type) && src->lower)
        return -EXDEV;
    if (!dst)
        return 0;
    if (flags & RENAME_EXCHANGE)
        return S_ISDIR(dst->vn->type) && dst->lower ? -EXDEV : 0;
    if (S_ISDIR(src->vn->type) != S_ISDIR(dst->vn->type))
        return S_ISDIR(src->vn->type) ? -ENOTDIR : -EISDIR;
    return S_ISDIR(dst->vn->type) ? check_empty(o, dst) : 0;
}

/* Marks upper directory v opaque. */
static int set_opaque(struct ovl_fs *o, struct vnode *v)
{
    struct vattr a;
    int err = vfs_getattr(v, &a);
    return err ? err : mark_set(o, a.ino, 0, true);
}

/* Gives n its new place in the cache: name in directory d. */
static void node_move(struct ovl_fs *o, struct ovl_node *n, struct ovl_node *d, char **name)
{
    spin_lock(&o->lock);
    struct vnode *old_parent = n->parent;
    char *old_name = n->name;
    n->parent = vnode_get(d->vn);
    n->name = *name;
    *name = old_name; /* freed by the caller */
    list_del(&n->sib);
    list_add_tail(&d->children, &n->sib);
    spin_unlock(&o->lock);
    vnode_put(old_parent);
}

static int ovl_rename(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
                      unsigned flags)
{
    struct ovl_fs *o = ofs(odir);
    struct ovl_node *od = onode(odir), *nd = onode(ndir), *src = NULL, *dst = NULL;
    struct vnode *wh = NULL;
    bool exchange = flags & RENAME_EXCHANGE, old_lower = false, new_lower = false;
    bool swap_wh = false;
    char *nn = strdup(nname), *on = strdup(oname);
    int err = nn && on ? 0 : -ENOMEM;
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
        err = -EINVAL;
    if (ndir->fs != odir->fs)
        err = -EXDEV;
    if (err)
        goto free;
    change_begin(o);
    err = node_lookup(od, oname, true, &src);
    if (!err && (err = node_lookup(nd, nname, true, &dst)) == -ENOENT && !exchange)
        err = 0;
    if (!err)
        err = rename_check(o, src, dst, flags);
    if (!err)
        err = copy_up(o, src, true);
    if (!err)
        err = copy_up(o, nd, true);
    if (!err && exchange)
        err = copy_up(o, dst, true);
    if (!err)
        err = name_in_lower(od, oname, &old_lower);
    if (!err)
        err = name_in_lower(nd, nname, &new_lower);
    struct vnode *ou = upper_of(od), *nu = upper_of(nd);
    struct vnode *su = src ? upper_of(src) : NULL, *du = dst ? upper_of(dst) : NULL;
    /* A directory replacing a merged one takes its place in upper once its whiteouts go. */
    if (!err && dst && !exchange && du && S_ISDIR(du->type))
        err = purge_whiteouts(du);
    /* A whiteout at the new name: a file replaces it, a directory trades places with it (the
     * whiteout then marks the old name, or goes). */
    if (!err && !dst && !nu->ops->lookup(nu, nname, &wh) && S_ISDIR(su->type))
        swap_wh = true;
    /* A directory arriving where lower has the name must hide lower's. */
    if (!err && S_ISDIR(su->type) && new_lower)
        err = set_opaque(o, su);
    if (!err && exchange && S_ISDIR(du->type) && old_lower)
        err = set_opaque(o, du);
    if (!err)
        err = ou->ops->rename(ou, oname, nu, nname, exchange || swap_wh ? RENAME_EXCHANGE : 0);
    if (err)
        goto out;
    if (swap_wh && !old_lower)
        ou->ops->unlink(ou, oname); /* the whiteout, now at the old name */
    if (!exchange && !swap_wh && old_lower)
        err = put_whiteout(o, ou, oname, NULL);
    if (dst && !exchange)
        node_detach(o, dst);
    node_move(o, src, nd, &nn);
    if (exchange)
        node_move(o, dst, od, &on);
out:
    if (err == 1)
        err = 0;
    vnode_put(wh);
    if (dst)
        vnode_put(dst->vn);
    if (src)
        vnode_put(src->vn);
    change_end(o);
free:
    kfree(nn);
    kfree(on);
    return err;
}

static long ovl_readlink(struct vnode *v, char *buf, size_t n)
{
    struct ovl_node *node = onode(v);
    struct vnode *l = upper_of(node) ? upper_of(node) : node->lower;
    return l->ops->readlink ? l->ops->readlink(l, buf, n) : -EINVAL;
}

/* Attributes of the layer that shows; st_dev the overlay's, st_ino stable across copy-up. */
static int ovl_getattr(struct vnode *v, struct vattr *a)
{
    struct ovl_fs *o = ofs(v);
    struct ovl_node *n = onode(v);
    struct vnode *up = upper_of(n);
    struct vattr la;
    int err = vfs_getattr(up ? up : n->lower, a);
    if (err)
        return err;
    u64 ino = __atomic_load_n(&n->ino, __ATOMIC_RELAXED);
    if (!ino) {
        /* Lower's, or the origin of a copy, or a merged directory's lower one, or upper's. */
        ino = up ? mark_get(o, a->ino).origin : lower_ino(o, a->dev, a->ino);
        if (!ino && n->lower) {
            if ((err = vfs_getattr(n->lower, &la)))
                return err;
            ino = lower_ino(o, la.dev, la.ino);
        }
        if (!ino)
            ino = a->ino | UPPER_INO_BIT;
        __atomic_store_n(&n->ino, ino, __ATOMIC_RELAXED);
    }
    a->ino = ino;
    a->dev = o->fs.dev;
    /* A merged directory's subdirectories are not all upper's: like overlayfs, say 1, which
     * tells find and the like that the link count does not count them. */
    if (up && n->lower && S_ISDIR(a->mode))
        a->nlink = 1;
    return 0;
}

static int ovl_setattr(struct vnode *v, const struct vattr *a, unsigned mask)
{
    struct ovl_fs *o = ofs(v);
    struct ovl_node *n = onode(v);
    int err = 0;
    if (!upper_of(n)) {
        change_begin(o);
        err = copy_up(o, n, !((mask & VA_SIZE) && a->size == 0));
        change_end(o);
    }
    struct vnode *up = upper_of(n);
    return err ? err : up->ops->setattr(up, a, mask);
}

/* Directories get the merged listing. Other files are opened on the layer that shows, after a
 * copy-up if they are opened for writing: that layer's open fills in f->ops and f->priv, and
 * f->vnode stays the overlay vnode. This needs no forwarding file: tmpfs's and hostfs's file
 * operations use only f->priv, and the node keeps the layer vnode referenced as long as
 * f->vnode lives (tmpfs counts on that to keep its node). */
static int ovl_open(struct vnode *v, struct file *f)
{
    struct ovl_fs *o = ofs(v);
    struct ovl_node *n = onode(v);
    int err = 0;
    if (S_ISDIR(v->type)) {
        f->priv = kzalloc(sizeof(struct ovl_dirfile));
        f->ops = &ovl_dir_fops;
        return f->priv ? 0 : -ENOMEM;
    }
    bool trunc = f->flags & O_TRUNC;
    if (S_ISREG(v->type) && ((f->flags & O_ACCMODE) != O_RDONLY || trunc) && !upper_of(n)) {
        change_begin(o);
        err = copy_up(o, n, !trunc);
        change_end(o);
        if (err)
            return err;
    }
    struct vnode *l = upper_of(n) ? upper_of(n) : n->lower;
    return l->ops->open ? l->ops->open(l, f) : -ENXIO;
}

static int ovl_statfs(struct vnode *v, struct kstatfs *st)
{
    struct vnode *t = ofs(v)->top;
    return t->ops->statfs(t, st);
}

static void ovl_fs_free(struct ovl_fs *o)
{
    vnode_put(o->work);
    vnode_put(o->top);
    kfree(o->marks);
    kfree(o);
}

/* Frees n (and the overlay with the root); returns the parent reference for the caller. */
static struct vnode *node_free(struct ovl_node *n)
{
    struct ovl_fs *o = ofs(n->vn);
    struct vnode *parent = n->parent;
    spin_lock(&o->lock);
    list_del(&n->sib);
    spin_unlock(&o->lock);
    vnode_put(n->upper);
    vnode_put(n->lower);
    kfree(n->name);
    kfree(n);
    if (!parent)
        ovl_fs_free(o);
    return parent;
}

/* A node holds its parent, so its last reference may be its parent's last too. The chain is
 * walked here, not by recursion through vnode_put (whose kfree of the vnode this repeats): a
 * guest can nest directories deeper than any stack. */
static void ovl_release(struct vnode *v)
{
    struct vnode *p = node_free(onode(v));
    while (p && !__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL)) {
        struct vnode *next = node_free(onode(p));
        kfree(p);
        p = next;
    }
}

static const struct vnode_ops ovl_vops = {
    .lookup = ovl_lookup,
    .create = ovl_create,
    .mkdir = ovl_mkdir,
    .symlink = ovl_symlink,
    .link = ovl_link,
    .unlink = ovl_unlink,
    .rmdir = ovl_rmdir,
    .rename = ovl_rename,
    .readlink = ovl_readlink,
    .getattr = ovl_getattr,
    .setattr = ovl_setattr,
    .open = ovl_open,
    .statfs = ovl_statfs,
    .release = ovl_release,
};

/* ---- open directories ---- */

static int dir_snapshot(struct vnode *v, struct dlist *out)
{
    struct ovl_fs *o = ofs(v);
    struct ovl_node *n = onode(v);
    struct vattr a, pa;
    spin_lock(&o->lock);
    struct vnode *parent = vnode_get(n->parent ? n->parent : v);
    spin_unlock(&o->lock);
    int err = ovl_getattr(v, &a);
    if (!err)
        err = ovl_getattr(parent, &pa);
    vnode_put(parent);
    if (!err)
        err = dlist_add(out, ".", 1, a.ino, DT_DIR);
    if (!err)
        err = dlist_add(out, "..", 2, pa.ino, DT_DIR);
    if (!err)
        err = list_merged(o, n, out);
    return err;
}

static int ovl_readdir(struct file *f, i64 *pos, struct dirent_sink *sink)
{
    struct ovl_dirfile *df = f->priv;
    if (*pos < 0)
        return -EINVAL;
    if (*pos == 0 || !df->snap.v) {
        struct dlist fresh = {0};
        int err = dir_snapshot(f->vnode, &fresh);
        if (err) {
            dlist_free(&fresh);
            return err;
        }
        spin_lock(&df->lock);
        struct dlist old = df->snap;
        df->snap = fresh;
        spin_unlock(&df->lock);
        dlist_free(&old);
    }
    spin_lock(&df->lock);
    while ((u64)*pos < df->snap.n) {
        struct dent *e = df->snap.v[*pos];
        if (sink->emit(sink, e->name, e->len, e->ino, e->type, *pos + 1))
            break;
        ++*pos;
    }
    spin_unlock(&df->lock);
    return 0;
}

static long ovl_dir_rw(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)f, (void)buf, (void)n, (void)pos;
    return -EISDIR;
}

static int ovl_dir_poll(struct file *f, int events)
{
    (void)f, (void)events;
    return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static int ovl_dir_fsync(struct file *f, bool data_only)
{
    (void)f, (void)data_only;
    return 0; /* nothing the overlay writes outlives the sandbox */
}

static void ovl_dir_release(struct file *f)
{
    struct ovl_dirfile *df = f->priv;
    dlist_free(&df->snap);
    kfree(df);
}

static const struct file_ops ovl_dir_fops = {
    .read = ovl_dir_rw,
    .write = ovl_dir_rw,
    .readdir = ovl_readdir,
    .poll = ovl_dir_poll,
    .fsync = ovl_dir_fsync,
    .release = ovl_dir_release,
};

/* ---- the overlay ---- */

/* Takes a reference of its own to lower_root. The upper root starts with the lower root's mode,
 * owner and times. */
struct vnode *overlay_new(struct vnode *lower_root)
{
    struct ovl_fs *o = kzalloc(sizeof(*o));
    struct vnode *up = NULL, *t;
    struct ovl_node *root;
    struct vattr la;
    if (!o)
        return NULL;
    o->fs.name = "overlay";
    o->fs.dev = vfs_new_dev();
    o->fs.priv = o;
    t = o->top = tmpfs_new(0700);
    if (!t || vfs_getattr(lower_root, &la))
        goto fail;
    o->lower_dev = la.dev;
    if (t->ops->mkdir(t, "root", la.mode & 07777, la.uid, la.gid) ||
        t->ops->mkdir(t, "work", 0700, 0, 0) || t->ops->lookup(t, "root", &up) ||
        t->ops->lookup(t, "work", &o->work) || up->ops->setattr(up, &la, VA_ATIME | VA_MTIME))
        goto fail;
    root = node_new(o, NULL, "", up, vnode_get(lower_root));
    if (root)
        return root->vn;
    up = NULL; /* node_new put it */
fail:
    vnode_put(up);
    ovl_fs_free(o);
    return NULL;
}
