/* vfs.c: the mount table and path resolution. Resolution walks one component at a time, keeps
 * the canonical path beside the vnode (so ".." and mount points are decided on that path, and
 * getcwd is exact), and expands symlinks itself: a file system never follows a link, so an
 * absolute link in a host tree points into the sandbox, never to the host's "/". */
#include "vfs.h"

static struct mount *mount_list; /* longest path first, so lookups find the innermost mount */

struct mount *vfs_mounts(void)
{
    return mount_list;
}

static struct mount *mount_at(const char *path, size_t len)
{
    for (struct mount *m = mount_list; m; m = m->next)
        if (m->pathlen == len && !memcmp(m->path, path, len))
            return m;
    return NULL;
}

/* The mount that contains a canonical path: the longest mount path that is a prefix of it at a
 * component boundary. */
static struct mount *mount_of(const char *path, size_t len)
{
    for (struct mount *m = mount_list; m; m = m->next) {
        if (m->pathlen == 1)
            return m; /* "/" */
        if (m->pathlen <= len && !memcmp(m->path, path, m->pathlen) &&
            (len == m->pathlen || path[m->pathlen] == '/'))
            return m;
    }
    return NULL;
}

static struct vfs_start root_start(void)
{
    struct mount *m = mount_at("/", 1);
    return (struct vfs_start){m ? m->root : NULL, m, "/"};
}

/* Creates what is missing of a mount point's path in the file systems below it, like
 * `mkdir -p` (the last component takes the kind of the mounted root: directory or file).
 * The path must be canonical: a symlink on the way is refused (EINVAL), so mounts are keyed
 * by the path resolution really reaches. */
static int make_mount_point(const char *path, struct vnode *root)
{
    struct vfs_start rs = root_start();
    if (!rs.dir)
        return -ENOENT;
    size_t len = strlen(path);
    char *prefix = kmalloc(len + 1);
    if (!prefix)
        return -ENOMEM;
    int err = 0;
    for (size_t end = 1; end <= len && !err; end++) {
        if (end < len && path[end] != '/')
            continue;
        memcpy(prefix, path, end);
        prefix[end] = 0;
        bool last = end == len;
        struct resolved r;
        err = vfs_resolve(&rs, &rs, prefix, 0, &r);
        if (err == -ENOENT) {
            err = vfs_resolve(&rs, &rs, prefix, LOOKUP_PARENT, &r);
            if (err)
                break;
            struct vnode *d = r.vnode;
            if (!last || S_ISDIR(root->type))
                err = d->ops->mkdir ? d->ops->mkdir(d, r.last, 0755, 0, 0) : -EROFS;
            else
                err = d->ops->create ? d->ops->create(d, r.last, S_IFREG | 0644, 0, 0, 0, NULL)
                                     : -EROFS;
            resolved_put(&r);
            if (err == -EROFS)
                err = -ENOENT; /* the mount point is missing and cannot be made */
            if (err)
                break;
            err = vfs_resolve(&rs, &rs, prefix, 0, &r);
        }
        if (err)
            break;
        bool dir = S_ISDIR(r.vnode->type);
        if (S_ISLNK(r.vnode->type))
            err = -EINVAL;
        else if (!last && !dir)
            err = -ENOTDIR;
        else if (last && dir != S_ISDIR(root->type))
            err = dir ? -EISDIR : -ENOTDIR;
        resolved_put(&r);
    }
    kfree(prefix);
    return err;
}

int vfs_mount(const char *path, struct vnode *root, unsigned flags)
{
    size_t len = strlen(path);
    if (path[0] != '/' || (len > 1 && path[len - 1] == '/'))
        return -EINVAL;
    if (len > 1) {
        int err = make_mount_point(path, root);
        if (err)
            return err;
    }
    struct mount *m = kzalloc(sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->path = strdup(path);
    m->pathlen = len;
    m->root = root;
    m->flags = flags;
    struct mount **pp = &mount_list;
    while (*pp && (*pp)->pathlen > len) /* before an older mount at the same path: covers it */
        pp = &(*pp)->next;
    m->next = *pp;
    *pp = m;
    return 0;
}

/* ---- resolution ---- */

/* State of one walk. `canon` is the canonical path of `cur`. `rest` holds the components still
 * to walk; symlink targets are spliced in front of what remains. */
struct walk {
    struct vnode *cur;
    struct mount *mnt;
    char canon[PATH_MAX + 1];
    size_t clen;
    char *rest;
    size_t rest_cap;
    int links;
};

static int walk_set(struct walk *w, const struct vfs_start *s)
{
    size_t n = strlen(s->path);
    if (n > PATH_MAX)
        return -ENAMETOOLONG;
    vnode_put(w->cur);
    w->cur = vnode_get(s->dir);
    w->mnt = s->mnt;
    memcpy(w->canon, s->path, n + 1);
    w->clen = n;
    return 0;
}

/* Moves to the canonical parent by walking the parent's canonical path again from the root:
 * ".." is rare on hot paths, and this keeps file systems free of parent pointers. */
static int walk_dotdot(struct walk *w, const struct vfs_start *root)
{
    if (w->clen == strlen(root->path) && !memcmp(w->canon, root->path, w->clen))
        return 0; /* ".." at the root stays at the root */
    size_t n = w->clen;
    while (n > 1 && w->canon[n - 1] != '/')
        n--;
    if (n > 1)
        n--; /* drop the '/' too, except for the root itself */
    char parent[PATH_MAX + 1];
    memcpy(parent, w->canon, n);
    parent[n] = 0;
    /* The canonical path is the global one (a chroot-style root's own path is "/jail", not
     * "/"), so it is walked from the real root; ".." never climbs past root: see above. */
    struct vfs_start top = root_start();
    struct resolved r;
    int err = vfs_resolve(&top, &top, parent, 0, &r);
    if (err)
        return err;
    vnode_put(w->cur);
    w->cur = r.vnode;
    w->mnt = r.mnt;
    memcpy(w->canon, parent, n + 1);
    w->clen = n;
    kfree(r.path);
    return 0;
}

/* Splices a symlink target in front of the remaining path. */
static int walk_splice(struct walk *w, const char *target, size_t tlen, const char *rest)
{
    size_t rlen = strlen(rest);
    size_t need = tlen + 1 + rlen + 1;
    if (need > 2 * PATH_MAX + 2)
        return -ENAMETOOLONG;
    char *buf = kmalloc(need);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, target, tlen);
    buf[tlen] = '/';
    memcpy(buf + tlen + 1, rest, rlen + 1);
    kfree(w->rest);
    w->rest = buf;
    return 0;
}

static int canon_append(struct walk *w, const char *name, size_t n)
{
    size_t sep = w->clen > 1 ? 1 : 0;
    if (w->clen + sep + n > PATH_MAX)
        return -ENAMETOOLONG;
    if (sep)
        w->canon[w->clen++] = '/';
    memcpy(w->canon + w->clen, name, n);
    w->clen += n;
    w->canon[w->clen] = 0;
    return 0;
}

int vfs_resolve(const struct vfs_start *root, const struct vfs_start *start, const char *path,
                int flags, struct resolved *out)
{
    struct walk w = {0};
    int err;
    memset(out, 0, sizeof(*out));
    size_t plen = strlen(path);
    if (plen >= PATH_MAX)
        return -ENAMETOOLONG;
    if (!plen && !(flags & LOOKUP_EMPTY))
        return -ENOENT;
    err = walk_set(&w, path[0] == '/' ? root : start);
    if (err)
        goto out;
    w.rest = strdup(path);
    if (!w.rest) {
        err = -ENOMEM;
        goto out;
    }
    bool trailing = plen && path[plen - 1] == '/';
    char *p = w.rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *end = p;
        while (*end && *end != '/')
            end++;
        size_t n = (size_t)(end - p);
        char *next = end;
        while (*next == '/')
            next++;
        bool last = !*next;
        if (n > NAME_MAX) {
            err = -ENAMETOOLONG;
            goto out;
        }
        if (!S_ISDIR(w.cur->type)) {
            err = -ENOTDIR;
            goto out;
        }
        char name[NAME_MAX + 1];
        memcpy(name, p, n);
        name[n] = 0;
        /* The parent of the final component, even "." or "..": the caller decides what
         * creating or removing those means (EEXIST, EBUSY, EINVAL...). */
        if (last && (flags & LOOKUP_PARENT)) {
            memcpy(out->last, name, n + 1);
            out->trailing_slash = trailing;
            break;
        }
        if (!strcmp(name, ".")) {
            p = next;
            continue;
        }
        if (!strcmp(name, "..")) {
            err = walk_dotdot(&w, root);
            if (err)
                goto out;
            p = next;
            continue;
        }
        /* The child's canonical path decides whether a mount covers it. */
        size_t saved = w.clen;
        err = canon_append(&w, name, n);
        if (err)
            goto out;
        struct vnode *child;
        struct mount *cm = mount_at(w.canon, w.clen);
        if (cm) {
            child = vnode_get(cm->root);
        } else {
            err = w.cur->ops->lookup(w.cur, name, &child);
            if (err)
                goto out;
            cm = w.mnt;
        }
        bool follow = !last || (flags & LOOKUP_FOLLOW) || trailing;
        if (S_ISLNK(child->type) && follow && child->ops->follow) {
            struct vnode *tv;
            struct mount *tm;
            char *tp;
            err = child->ops->follow(child, &tv, &tm, &tp);
            if (err != -ENOSYS) {
                vnode_put(child);
                if (err)
                    goto out;
                if (++w.links > SYMLOOP_MAX) {
                    vnode_put(tv);
                    kfree(tp);
                    err = -ELOOP;
                    goto out;
                }
                size_t tl = strlen(tp);
                if (tl > PATH_MAX) {
                    tl = 1;
                    tp[1] = 0;
                }
                vnode_put(w.cur);
                w.cur = tv;
                w.mnt = tm ? tm : cm;
                memcpy(w.canon, tp, tl + 1);
                w.clen = tl;
                kfree(tp);
                p = next;
                continue;
            }
            err = 0;
        }
        if (S_ISLNK(child->type) && follow) {
            char target[PATH_MAX];
            long tl = child->ops->readlink ? child->ops->readlink(child, target, sizeof(target))
                                           : -EINVAL;
            vnode_put(child);
            if (tl < 0) {
                err = (int)tl;
                goto out;
            }
            if (++w.links > SYMLOOP_MAX) {
                err = -ELOOP;
                goto out;
            }
            if (tl == 0) {
                err = -ENOENT;
                goto out;
            }
            w.clen = saved;
            w.canon[saved] = 0;
            err = walk_splice(&w, target, (size_t)tl, next);
            if (err)
                goto out;
            if (target[0] == '/') {
                err = walk_set(&w, root);
                if (err)
                    goto out;
            }
            p = w.rest;
            continue;
        }
        vnode_put(w.cur);
        w.cur = child;
        w.mnt = cm;
        p = next;
    }
    if (((flags & LOOKUP_DIRECTORY) || (trailing && !(flags & LOOKUP_PARENT))) &&
        !S_ISDIR(w.cur->type)) {
        err = -ENOTDIR;
        goto out;
    }
    out->path = strdup(w.canon);
    if (!out->path) {
        err = -ENOMEM;
        goto out;
    }
    out->vnode = w.cur;
    out->mnt = w.mnt ? w.mnt : mount_of(w.canon, w.clen);
    w.cur = NULL;
out:
    vnode_put(w.cur);
    kfree(w.rest);
    return err;
}

void resolved_put(struct resolved *r)
{
    vnode_put(r->vnode);
    kfree(r->path);
    r->vnode = NULL;
    r->path = NULL;
}

/* ---- opening ---- */

int vfs_open_vnode(struct resolved *r, u32 flags, struct file **out)
{
    struct vnode *v = r->vnode;
    u32 acc = flags & O_ACCMODE;
    int err;
    if (flags & O_PATH) {
        flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    } else {
        if (S_ISDIR(v->type) && (acc != O_RDONLY || (flags & O_TRUNC)))
            return -EISDIR;
        if (S_ISLNK(v->type))
            return -ELOOP;
        if (acc != O_RDONLY && (r->mnt->flags & MNT_RDONLY) && !S_ISCHR(v->type) &&
            !S_ISFIFO(v->type))
            return -EROFS;
    }
    if ((flags & O_DIRECTORY) && !S_ISDIR(v->type))
        return -ENOTDIR;
    struct file *f = file_alloc(NULL, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC), NULL);
    if (!f)
        return -ENOMEM;
    f->vnode = vnode_get(v);
    f->mnt = r->mnt;
    f->path = strdup(r->path);
    if (!(flags & O_PATH)) {
        if (S_ISCHR(v->type)) {
            struct vattr a;
            err = vfs_getattr(v, &a);
            if (!err)
                err = chrdev_open(a.rdev, f);
        } else {
            err = v->ops->open ? v->ops->open(v, f) : -ENXIO;
        }
        if (err)
            goto fail;
        if ((flags & O_TRUNC) && acc != O_RDONLY && S_ISREG(v->type)) {
            struct vattr a = {.size = 0};
            err = v->ops->setattr ? v->ops->setattr(v, &a, VA_SIZE) : -EPERM;
            if (err)
                goto fail;
        }
    }
    *out = f;
    return 0;
fail:
    file_put(f);
    return err;
}

int vfs_read_all(struct file *f, void **buf, size_t *len, size_t max)
{
    size_t cap = 4096, n = 0;
    char *b = kmalloc(cap);
    if (!b)
        return -ENOMEM;
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                kfree(b);
                return -EFBIG;
            }
            cap *= 2;
            char *nb = krealloc(b, cap);
            if (!nb) {
                kfree(b);
                return -ENOMEM;
            }
            b = nb;
        }
        long r = f->ops->read(f, (uptr)(b + n), cap - n, (i64)n);
        if (r < 0) {
            kfree(b);
            return (int)r;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *buf = b;
    *len = n;
    return 0;
}
