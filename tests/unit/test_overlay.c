/* test_overlay.c: hosted unit test of the overlay file system (src/kernel/overlay.c). */
/* The kernel and lib sources are compiled with tests/unit/husk_rename.h forced in (see
 * tests/unit/overlay.frag). The lower layer is a tmpfs the test fills, seen through a read-only
 * shim that, like hostfs, fails every change with EROFS and hands out a fresh vnode on every
 * lookup; the test keeps the tmpfs itself to check that lower never changes, or to change it
 * behind the overlay's back. */
#define _GNU_SOURCE
#include <pthread.h>

#include "husk_rename.h"
#include "../../src/kernel/vfs.h"
#include "../../src/platform/platform.h"
#define UNIT_GROUP_WIDTH 10
#define UNIT_STUB_GUEST
#define UNIT_STUB_CHRDEV
#define UNIT_STUB_PAGES
#include "unit.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif
#define TMPFS_MAGIC 0x01021994
#define UPPER_INO_BIT (1ULL << 62)

/* ---- Stubs for what the platform and the rest of the core provide in husk ---- */

static i64 fake_sec = 1000000; /* moved by hand, so that time changes are visible */

int plat_clock_get(int clock, i64 *sec, long *nsec)
{
    (void)clock;
    *sec = __atomic_load_n(&fake_sec, __ATOMIC_RELAXED);
    *nsec = 0;
    return 0;
}

long plat_random(void *buf, size_t n)
{
    memset(buf, 0x5a, n);
    return (long)n;
}

_Noreturn void husk_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    abort();
}

/* ---- The read-only lower layer: a shim over a tmpfs, behaving as hostfs does ---- */

static struct vnode *lower_tmp; /* the tmpfs behind the shim (the test writes it directly) */
static struct vnode *lower_ro;  /* the shim's root, the overlay's lower layer */
static struct vnode *root;      /* the overlay */
static int shim_live, shim_made, shim_changes;

static const struct vnode_ops ro_ops;
static struct fs ro_fs = {.name = "hostfs", .dev = 0};

static struct vnode *inner(struct vnode *v)
{
    return v->priv;
}

static struct vnode *ro_wrap(struct vnode *in)
{
    struct vnode *v = vnode_new(&ro_fs, &ro_ops, in->type, in);
    __atomic_add_fetch(&shim_live, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&shim_made, 1, __ATOMIC_RELAXED);
    return v;
}

static int ro_lookup(struct vnode *dir, const char *name, struct vnode **out)
{
    struct vnode *in;
    int err = inner(dir)->ops->lookup(inner(dir), name, &in);
    if (err)
        return err;
    *out = ro_wrap(in);
    return 0;
}

static int ro_getattr(struct vnode *v, struct vattr *a)
{
    return inner(v)->ops->getattr(inner(v), a);
}

static long ro_readlink(struct vnode *v, char *buf, size_t n)
{
    return inner(v)->ops->readlink(inner(v), buf, n);
}

static int ro_open(struct vnode *v, struct file *f)
{
    if ((f->flags & O_ACCMODE) != O_RDONLY) {
        __atomic_add_fetch(&shim_changes, 1, __ATOMIC_RELAXED);
        return -EROFS;
    }
    return inner(v)->ops->open(inner(v), f);
}

static int ro_statfs(struct vnode *v, struct kstatfs *st)
{
    return inner(v)->ops->statfs(inner(v), st);
}

static void ro_release(struct vnode *v)
{
    vnode_put(inner(v));
    __atomic_sub_fetch(&shim_live, 1, __ATOMIC_RELAXED);
}

static int erofs(void)
{
    __atomic_add_fetch(&shim_changes, 1, __ATOMIC_RELAXED);
    return -EROFS;
}

static int ro_create(struct vnode *d, const char *n, u32 m, u64 r, u32 u, u32 g, struct vnode **o)
{
    (void)d, (void)n, (void)m, (void)r, (void)u, (void)g, (void)o;
    return erofs();
}

static int ro_mkdir(struct vnode *d, const char *n, u32 m, u32 u, u32 g)
{
    (void)d, (void)n, (void)m, (void)u, (void)g;
    return erofs();
}

static int ro_symlink(struct vnode *d, const char *n, const char *t, u32 u, u32 g)
{
    (void)d, (void)n, (void)t, (void)u, (void)g;
    return erofs();
}

static int ro_link(struct vnode *d, const char *n, struct vnode *v)
{
    (void)d, (void)n, (void)v;
    return erofs();
}

static int ro_remove(struct vnode *d, const char *n)
{
    (void)d, (void)n;
    return erofs();
}

static int ro_rename(struct vnode *od, const char *on, struct vnode *nd, const char *nn, unsigned f)
{
    (void)od, (void)on, (void)nd, (void)nn, (void)f;
    return erofs();
}

static int ro_setattr(struct vnode *v, const struct vattr *a, unsigned mask)
{
    (void)v, (void)a, (void)mask;
    return erofs();
}

static const struct vnode_ops ro_ops = {
    .lookup = ro_lookup,
    .create = ro_create,
    .mkdir = ro_mkdir,
    .symlink = ro_symlink,
    .link = ro_link,
    .unlink = ro_remove,
    .rmdir = ro_remove,
    .rename = ro_rename,
    .readlink = ro_readlink,
    .getattr = ro_getattr,
    .setattr = ro_setattr,
    .open = ro_open,
    .statfs = ro_statfs,
    .release = ro_release,
};

/* ---- Path helpers over any file system (no symlinks followed) ---- */

static int walk(struct vnode *base, const char *path, struct vnode **out)
{
    char buf[PATH_MAX];
    struct vnode *cur = vnode_get(base);
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        struct vnode *next;
        int err = cur->ops->lookup(cur, c, &next);
        vnode_put(cur);
        if (err)
            return err;
        cur = next;
    }
    *out = cur;
    return 0;
}

static void copy_name(char *last, const char *name)
{
    size_t n = strnlen(name, NAME_MAX);
    memcpy(last, name, n);
    last[n] = 0;
}

/* The parent directory of path and its last component. */
static int walk_parent(struct vnode *base, const char *path, struct vnode **dir, char *last)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash) {
        copy_name(last, buf);
        *dir = vnode_get(base);
        return 0;
    }
    copy_name(last, slash + 1);
    *slash = 0;
    return walk(base, buf, dir);
}

/* Opens v as vfs_open_vnode does: the VFS strips O_TRUNC and applies it by setattr. */
static int open_vnode(struct vnode *v, u32 flags, struct file **out)
{
    struct file *f = file_alloc(NULL, flags & ~(u32)(O_TRUNC | O_CREAT), NULL);
    f->vnode = vnode_get(v);
    int err = v->ops->open(v, f);
    if (!err && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
        struct vattr a = {.size = 0};
        err = v->ops->setattr(v, &a, VA_SIZE);
    }
    if (err)
        file_put(f);
    else
        *out = f;
    return err;
}

static int fs_stat(struct vnode *base, const char *path, struct vattr *a)
{
    struct vnode *v;
    int err = walk(base, path, &v);
    if (err)
        return err;
    err = vfs_getattr(v, a);
    vnode_put(v);
    return err;
}

/* Reads the whole file into buf (NUL-terminated); returns its length or an error. */
static long fs_read(struct vnode *base, const char *path, char *buf, size_t n)
{
    struct vnode *v;
    struct file *f;
    long err = walk(base, path, &v);
    if (err)
        return err;
    err = open_vnode(v, O_RDONLY, &f);
    vnode_put(v);
    if (err)
        return err;
    long len = 0;
    for (long r; (size_t)len < n - 1; len += r)
        if ((r = f->ops->read(f, (uptr)(buf + len), n - 1 - (size_t)len, len)) <= 0) {
            if (r < 0)
                len = r;
            break;
        }
    if (len >= 0)
        buf[len] = 0;
    file_put(f);
    return len;
}

/* Writes data at pos (-1: at the end), creating the file (mode 0644) when missing. */
static int fs_write(struct vnode *base, const char *path, const char *data, i64 pos, u32 flags)
{
    struct vnode *v, *d;
    struct file *f;
    char last[NAME_MAX + 1];
    int err = walk(base, path, &v);
    if (err == -ENOENT && !(err = walk_parent(base, path, &d, last))) {
        err = d->ops->create(d, last, S_IFREG | 0644, 0, 0, 0, &v);
        vnode_put(d);
    }
    if (err)
        return err;
    err = open_vnode(v, O_WRONLY | flags, &f);
    if (!err && pos < 0) {
        struct vattr a;
        vfs_getattr(v, &a);
        pos = (i64)a.size;
    }
    vnode_put(v);
    if (err)
        return err;
    long w = f->ops->write(f, (uptr)data, strlen(data), pos);
    file_put(f);
    return w == (long)strlen(data) ? 0 : w < 0 ? (int)w : -EIO;
}

static int fs_mkdir(struct vnode *base, const char *path, u32 mode)
{
    struct vnode *d;
    char last[NAME_MAX + 1];
    int err = walk_parent(base, path, &d, last);
    if (!err) {
        err = d->ops->mkdir(d, last, mode, 0, 0);
        vnode_put(d);
    }
    return err;
}

static int fs_mknod(struct vnode *base, const char *path, u32 mode, u64 rdev)
{
    struct vnode *d;
    char last[NAME_MAX + 1];
    int err = walk_parent(base, path, &d, last);
    if (!err) {
        err = d->ops->create(d, last, mode, rdev, 0, 0, NULL);
        vnode_put(d);
    }
    return err;
}

static int fs_symlink(struct vnode *base, const char *target, const char *path)
{
    struct vnode *d;
    char last[NAME_MAX + 1];
    int err = walk_parent(base, path, &d, last);
    if (!err) {
        err = d->ops->symlink(d, last, target, 0, 0);
        vnode_put(d);
    }
    return err;
}

static int fs_remove(struct vnode *base, const char *path, bool dir)
{
    struct vnode *d;
    char last[NAME_MAX + 1];
    int err = walk_parent(base, path, &d, last);
    if (!err) {
        err = dir ? d->ops->rmdir(d, last) : d->ops->unlink(d, last);
        vnode_put(d);
    }
    return err;
}

static int fs_rename(struct vnode *base, const char *from, const char *to, unsigned flags)
{
    struct vnode *od, *nd;
    char olast[NAME_MAX + 1], nlast[NAME_MAX + 1];
    int err = walk_parent(base, from, &od, olast);
    if (err)
        return err;
    if (!(err = walk_parent(base, to, &nd, nlast))) {
        err = od->ops->rename(od, olast, nd, nlast, flags);
        vnode_put(nd);
    }
    vnode_put(od);
    return err;
}

static int fs_link(struct vnode *base, const char *from, const char *to)
{
    struct vnode *v, *d;
    char last[NAME_MAX + 1];
    int err = walk(base, from, &v);
    if (err)
        return err;
    if (!(err = walk_parent(base, to, &d, last))) {
        err = d->ops->link(d, last, v);
        vnode_put(d);
    }
    vnode_put(v);
    return err;
}

static int fs_setattr(struct vnode *base, const char *path, const struct vattr *a, unsigned mask)
{
    struct vnode *v;
    int err = walk(base, path, &v);
    if (!err) {
        err = v->ops->setattr(v, a, mask);
        vnode_put(v);
    }
    return err;
}

static long fs_readlink(struct vnode *base, const char *path, char *buf, size_t n)
{
    struct vnode *v;
    long err = walk(base, path, &v);
    if (err)
        return err;
    err = v->ops->readlink(v, buf, n - 1);
    if (err >= 0)
        buf[err] = 0;
    vnode_put(v);
    return err;
}

static void set_times(struct vnode *base, const char *path, i64 sec)
{
    struct vattr a = {.atime = {sec, 0}, .mtime = {sec, 0}};
    fs_setattr(base, path, &a, VA_ATIME | VA_MTIME);
}

static void set_owner(struct vnode *base, const char *path, u32 mode, u32 uid, u32 gid)
{
    struct vattr a = {.mode = mode, .uid = uid, .gid = gid};
    fs_setattr(base, path, &a, VA_MODE | VA_UID | VA_GID);
}

/* ---- Listings ---- */

struct entry {
    char name[NAME_MAX + 1];
    u64 ino;
    int type;
};

struct listing {
    struct dirent_sink sink;
    struct entry e[256];
    int n;
    int per_call; /* entries accepted per readdir call (0: no limit) */
    int this_call;
};

static int listing_emit(struct dirent_sink *s, const char *name, size_t len, u64 ino, int type,
                        i64 next)
{
    struct listing *l = (struct listing *)s;
    (void)next;
    if ((l->per_call && l->this_call == l->per_call) || l->n == 256)
        return 1;
    snprintf(l->e[l->n].name, NAME_MAX + 1, "%.*s", (int)len, name);
    l->e[l->n].ino = ino;
    l->e[l->n].type = type;
    l->n++;
    l->this_call++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists dir: its names but "." and "..", sorted, joined by spaces, into out. Checks that "."
 * and ".." come first and that each d_ino and d_type agree with a lookup's getattr. */
static int list(struct vnode *base, const char *path, int per_call, char *out, size_t outlen)
{
    static struct listing l;
    struct vnode *d;
    struct file *f;
    int err = walk(base, path, &d);
    if (err)
        return err;
    if ((err = open_vnode(d, O_RDONLY | O_DIRECTORY, &f))) {
        vnode_put(d);
        return err;
    }
    memset(&l, 0, sizeof(l));
    l.sink.emit = listing_emit;
    l.per_call = per_call;
    i64 pos = 0;
    for (int prev = -1; !err && l.n != prev;) {
        prev = l.n;
        l.this_call = 0;
        err = f->ops->readdir(f, &pos, &l.sink);
    }
    file_put(f);
    struct vattr da, a;
    vfs_getattr(d, &da);
    CHECK(l.n >= 2 && !strcmp(l.e[0].name, ".") && !strcmp(l.e[1].name, ".."), "%s: . and .. first",
          path);
    CHECK(l.n >= 1 && l.e[0].ino == da.ino, "%s: d_ino of . is st_ino", path);
    const char *names[256];
    int k = 0;
    for (int i = 2; i < l.n; i++) {
        struct vnode *c;
        int e2 = d->ops->lookup(d, l.e[i].name, &c);
        CHECK(!e2, "%s/%s listed but lookup gives %d", path, l.e[i].name, e2);
        if (!e2) {
            vfs_getattr(c, &a);
            CHECK(a.ino == l.e[i].ino, "%s/%s: d_ino %llx st_ino %llx", path, l.e[i].name,
                  (unsigned long long)l.e[i].ino, (unsigned long long)a.ino);
            CHECK(vfs_dtype(a.mode) == l.e[i].type, "%s/%s: d_type", path, l.e[i].name);
            vnode_put(c);
        }
        names[k++] = l.e[i].name;
    }
    vnode_put(d);
    qsort(names, (size_t)k, sizeof(names[0]), cmp_str);
    out[0] = 0;
    for (int i = 0; i < k; i++) {
        if (i)
            strncat(out, " ", outlen - strlen(out) - 1);
        strncat(out, names[i], outlen - strlen(out) - 1);
    }
    return err;
}

/* ---- The lower tree ---- */

static void build_lower(void)
{
    struct vnode *t = lower_tmp;
    fs_mkdir(t, "etc", 0755);
    fs_write(t, "etc/hostname", "lowerhost\n", 0, 0);
    fs_write(t, "etc/passwd", "root:x:0:0\n", 0, 0);
    fs_write(t, "etc/group", "root:x:0:\n", 0, 0);
    fs_write(t, "etc/shadow", "secret\n", 0, 0);
    set_owner(t, "etc/shadow", 0640, 0, 42);
    fs_write(t, "etc/motd", "hello\n", 0, 0);
    fs_write(t, "etc/issue", "welcome\n", 0, 0);
    fs_write(t, "etc/trunc", "to be truncated\n", 0, 0);
    fs_symlink(t, "/usr/share/zoneinfo/UTC", "etc/localtime");
    fs_symlink(t, "../run/mtab", "etc/mtab");
    set_times(t, "etc/localtime", 777);
    fs_mkdir(t, "usr", 0755);
    fs_mkdir(t, "usr/share", 0755);
    fs_mkdir(t, "usr/share/doc", 0755);
    fs_write(t, "usr/share/doc/a", "doc a\n", 0, 0);
    fs_write(t, "usr/share/doc/b", "doc b\n", 0, 0);
    fs_mkdir(t, "usr/share/doc/sub", 0755);
    fs_write(t, "usr/share/doc/sub/c", "doc c\n", 0, 0);
    fs_mkdir(t, "a", 0751);
    fs_mkdir(t, "a/b", 0710);
    fs_mkdir(t, "a/b/c", 0700);
    fs_mkdir(t, "a/b/c/d", 0755);
    fs_write(t, "a/b/c/d/file", "deep\n", 0, 0);
    fs_write(t, "a/b/c/d/sibling", "sib\n", 0, 0);
    set_owner(t, "a", 0751, 5, 6);
    set_owner(t, "a/b", 0710, 7, 8);
    set_owner(t, "a/b/c", 0700, 9, 10);
    set_owner(t, "a/b/c/d", 02755, 11, 12);
    set_owner(t, "a/b/c/d/file", 04750, 13, 14);
    set_times(t, "a/b/c/d/file", 555);
    set_times(t, "a/b/c/d", 444);
    set_times(t, "a/b/c", 333);
    set_times(t, "a/b", 222);
    set_times(t, "a", 111);
    fs_mkdir(t, "m", 0755);
    for (int i = 1; i <= 5; i++) {
        char p[32], c[32];
        snprintf(p, sizeof(p), "m/f%d", i);
        snprintf(c, sizeof(c), "file %d\n", i);
        fs_write(t, p, c, 0, 0);
    }
    fs_mkdir(t, "m/d1", 0755);
    fs_write(t, "m/d1/x", "x\n", 0, 0);
    fs_mkdir(t, "m/d2", 0755);
    fs_mkdir(t, "r", 0755);
    const char *rfiles[] = {"a", "c", "d", "e1", "e2", "h"};
    for (size_t i = 0; i < sizeof(rfiles) / sizeof(rfiles[0]); i++) {
        char p[32], c[32];
        snprintf(p, sizeof(p), "r/%s", rfiles[i]);
        snprintf(c, sizeof(c), "content %s\n", rfiles[i]);
        fs_write(t, p, c, 0, 0);
    }
    fs_mkdir(t, "r/dir", 0755);
    fs_write(t, "r/dir/in", "in\n", 0, 0);
    fs_mkdir(t, "r/ldir", 0755);
    fs_write(t, "r/ldir/old", "old\n", 0, 0);
    fs_mkdir(t, "var", 0755);
    fs_mkdir(t, "var/log", 0755);
    fs_write(t, "var/log/x", "x\n", 0, 0);
    fs_write(t, "var/log/y", "y\n", 0, 0);
    fs_mkdir(t, "dev", 0755);
    fs_mknod(t, "dev/null", S_IFCHR | 0666, mkdev(1, 3));
    fs_mkdir(t, "data", 0755);
    /* Bigger than the copy-up buffer, so that copying takes several reads. */
    static char big[200001];
    for (int i = 0; i < 200000; i++)
        big[i] = (char)('a' + (i * 7) % 26);
    fs_write(t, "data/big", big, 0, 0);
    fs_mkdir(t, "t", 0755);
    for (int i = 0; i < 8; i++) {
        char p[32], c[32];
        snprintf(p, sizeof(p), "t/f%d", i);
        snprintf(c, sizeof(c), "content-%d", i);
        fs_write(t, p, c, 0, 0);
    }
}

/* ---- The tests ---- */

static void test_read_through(void)
{
    char buf[256];
    struct vattr a, la, ra;
    struct vnode *v1, *v2;

    CHECK(fs_read(root, "etc/hostname", buf, sizeof(buf)) == 10 && !strcmp(buf, "lowerhost\n"),
          "read through: %s", buf);
    int made = shim_made;
    CHECK(!walk(root, "etc/hostname", &v1) && !walk(root, "etc/hostname", &v2) && v1 == v2,
          "one overlay vnode per file, though lower's are not unique");
    CHECK(shim_made > made, "the shim made fresh vnodes");
    vnode_put(v1);
    vnode_put(v2);
    CHECK(!fs_stat(root, "etc/hostname", &a) && !fs_stat(lower_tmp, "etc/hostname", &la), "stat");
    CHECK(!fs_stat(root, "", &ra), "stat of the root");
    CHECK(a.dev == ra.dev && a.dev != la.dev, "st_dev is the overlay's");
    CHECK(a.ino == la.ino && a.size == 10 && a.mode == (S_IFREG | 0644), "st_ino and the rest");
    /* A read-only open leaves the file in lower: lower's changes still show. */
    CHECK(fs_read(root, "etc/hostname", buf, sizeof(buf)) == 10, "read");
    fs_write(lower_tmp, "etc/hostname", "lowerhost\n", 0, O_TRUNC);
    fs_write(lower_tmp, "etc/hostname", "LOWERHOST\n", 0, 0);
    CHECK(fs_read(root, "etc/hostname", buf, sizeof(buf)) == 10 && !strcmp(buf, "LOWERHOST\n"),
          "no copy-up on read: %s", buf);
    fs_write(lower_tmp, "etc/hostname", "lowerhost\n", 0, 0);
    CHECK(fs_readlink(root, "etc/localtime", buf, sizeof(buf)) == 23 &&
              !strcmp(buf, "/usr/share/zoneinfo/UTC"),
          "readlink through");
    struct kstatfs st;
    CHECK(!root->ops->statfs(root, &st) && st.type == TMPFS_MAGIC, "statfs");
    CHECK(fs_stat(root, "etc/nope", &a) == -ENOENT, "missing file");
    CHECK(shim_changes == 0, "nothing tried to change lower");
    group_end("read");
}

static void test_write_copy_up(void)
{
    char buf[256];
    struct vattr before, after, la;

    fs_stat(root, "etc/hostname", &before);
    CHECK(!fs_write(root, "etc/hostname", "sandbox\n", 0, O_TRUNC), "write");
    CHECK(fs_read(root, "etc/hostname", buf, sizeof(buf)) == 8 && !strcmp(buf, "sandbox\n"),
          "overlay sees the write: %s", buf);
    CHECK(fs_read(lower_tmp, "etc/hostname", buf, sizeof(buf)) == 10 && !strcmp(buf, "lowerhost\n"),
          "lower unchanged: %s", buf);
    fs_stat(root, "etc/hostname", &after);
    CHECK(after.ino == before.ino && after.dev == before.dev, "st_ino stable across copy-up");
    CHECK(after.mode == before.mode && after.uid == before.uid && after.gid == before.gid,
          "owner and mode kept");
    fs_write(lower_tmp, "etc/hostname", "LOWER\n", 0, O_TRUNC);
    CHECK(fs_read(root, "etc/hostname", buf, sizeof(buf)) == 8, "lower no longer shows");
    fs_write(lower_tmp, "etc/hostname", "lowerhost\n", 0, O_TRUNC);

    /* Appending keeps what was there: the copy took the contents. */
    CHECK(!fs_write(root, "etc/passwd", "guest:x:1000:1000\n", -1, 0), "append");
    CHECK(fs_read(root, "etc/passwd", buf, sizeof(buf)) > 0 &&
              !strcmp(buf, "root:x:0:0\nguest:x:1000:1000\n"),
          "appended: %s", buf);

    /* Opening for writing copies up at once, keeping times and owner. */
    struct vnode *v;
    struct file *f;
    fs_stat(lower_tmp, "etc/shadow", &la);
    CHECK(!walk(root, "etc/shadow", &v) && !open_vnode(v, O_RDWR, &f), "open for writing");
    file_put(f);
    vnode_put(v);
    fs_stat(root, "etc/shadow", &after);
    CHECK(after.mode == (S_IFREG | 0640) && after.uid == 0 && after.gid == 42 &&
              after.mtime.sec == la.mtime.sec && after.atime.sec == la.atime.sec &&
              after.size == la.size && after.ino == la.ino,
          "copy-up keeps mode, owner, times, size");
    fs_write(lower_tmp, "etc/shadow", "LOWER\n", 0, O_TRUNC);
    CHECK(fs_read(root, "etc/shadow", buf, sizeof(buf)) == 7 && !strcmp(buf, "secret\n"),
          "the open copied up: %s", buf);

    /* A file bigger than the bounce buffer. */
    static char big[200001], want[200001];
    CHECK(!fs_write(root, "data/big", "Z", 100000, 0), "write into big");
    CHECK(fs_read(lower_tmp, "data/big", want, sizeof(want)) == 200000, "lower big");
    want[100000] = 'Z';
    CHECK(fs_read(root, "data/big", big, sizeof(big)) == 200000 && !memcmp(big, want, 200000),
          "big file copied whole");
    CHECK(shim_changes == 0, "nothing tried to change lower");
    group_end("copy-up");
}

static void test_unlink(void)
{
    char buf[256];
    struct vattr a;
    struct vnode *held;
    struct file *f;

    CHECK(fs_remove(root, "etc/passwd", false) == 0, "unlink a copied-up file");
    CHECK(fs_stat(root, "etc/passwd", &a) == -ENOENT, "gone");
    CHECK(fs_remove(root, "etc/group", false) == 0, "unlink a lower file");
    CHECK(fs_stat(root, "etc/group", &a) == -ENOENT, "gone");
    CHECK(fs_remove(root, "etc/group", false) == -ENOENT, "unlink twice");
    CHECK(!fs_stat(lower_tmp, "etc/group", &a) && !fs_stat(lower_tmp, "etc/passwd", &a),
          "lower keeps both");
    CHECK(!list(root, "etc", 0, buf, sizeof(buf)), "list");
    CHECK(!strcmp(buf, "hostname issue localtime motd mtab shadow trunc"), "listing: %s", buf);
    CHECK(fs_mknod(root, "etc/wh", S_IFCHR, 0) == -EPERM, "no 0/0 device: it is a whiteout");
    CHECK(fs_remove(root, "etc", false) == -EISDIR, "unlink of a directory");

    /* An open file outlives its name; a copy-up of it has no name to go to. */
    struct vattr wa, ha;
    CHECK(!fs_write(root, "etc/motd2", "x", 0, 0) && !walk(root, "etc/motd2", &held), "new file");
    CHECK(!fs_remove(root, "etc/motd2", false), "unlink it");
    vnode_put(held);
    struct vattr m640 = {.mode = 0640};
    CHECK(!fs_write(lower_tmp, "etc/copied", "c", 0, 0), "a new lower file");
    CHECK(!fs_setattr(root, "etc/copied", &m640, VA_MODE) && !walk(root, "etc/copied", &held),
          "a copied-up file");
    CHECK(!fs_remove(root, "etc/copied", false) && !vfs_getattr(held, &ha) &&
              !fs_stat(lower_tmp, "etc/copied", &wa) && ha.ino == wa.ino,
          "its st_ino survives the unlink");
    vnode_put(held);
    CHECK(!walk(root, "etc/issue", &held) && !open_vnode(held, O_RDONLY, &f), "open");
    CHECK(fs_remove(root, "etc/issue", false) == 0, "unlink while open");
    CHECK(f->ops->read(f, (uptr)buf, sizeof(buf), 0) == 8 && !memcmp(buf, "welcome\n", 8),
          "still readable");
    struct vattr m = {.mode = 0600};
    CHECK(held->ops->setattr(held, &m, VA_MODE) == -ENOENT, "no copy-up of a deleted file");
    file_put(f);
    vnode_put(held);
    group_end("unlink");
}

static void test_recreate(void)
{
    char buf[256];
    struct vattr a, la;

    CHECK(!fs_write(root, "etc/group", "new\n", 0, 0), "create over a whiteout");
    CHECK(fs_read(root, "etc/group", buf, sizeof(buf)) == 4 && !strcmp(buf, "new\n"),
          "new contents: %s", buf);
    fs_stat(root, "etc/group", &a);
    fs_stat(lower_tmp, "etc/group", &la);
    CHECK(a.ino != la.ino && (a.ino & UPPER_INO_BIT), "a new file, not lower's");
    CHECK(fs_read(lower_tmp, "etc/group", buf, sizeof(buf)) == 10, "lower unchanged");
    CHECK(!list(root, "etc", 0, buf, sizeof(buf)) &&
              !strcmp(buf, "group hostname localtime motd mtab shadow trunc"),
          "listed once: %s", buf);
    CHECK(fs_remove(root, "etc/group", false) == 0 && fs_stat(root, "etc/group", &a) == -ENOENT,
          "deleted again, lower hidden again");
    CHECK(!fs_symlink(root, "elsewhere", "etc/group"), "symlink over a whiteout");
    CHECK(fs_readlink(root, "etc/group", buf, sizeof(buf)) == 9, "readlink: %s", buf);
    CHECK(fs_remove(root, "etc/group", false) == 0, "unlink the symlink");
    CHECK(!fs_mkdir(root, "etc/group", 0700), "mkdir over a file's whiteout");
    CHECK(!list(root, "etc/group", 0, buf, sizeof(buf)) && !strcmp(buf, ""), "empty: %s", buf);
    CHECK(fs_mkdir(root, "etc/group", 0700) == -EEXIST, "mkdir twice");
    CHECK(fs_mkdir(root, "etc/motd", 0700) == -EEXIST, "mkdir over a lower file");
    CHECK(fs_mknod(root, "etc/motd", S_IFREG | 0600, 0) == -EEXIST, "create over a lower file");
    CHECK(!fs_link(root, "etc/hostname", "etc/passwd"), "link over a whiteout");
    CHECK(fs_read(root, "etc/passwd", buf, sizeof(buf)) == 8 && !strcmp(buf, "sandbox\n"),
          "linked: %s", buf);
    group_end("recreate");
}

static void test_opaque(void)
{
    char buf[256];
    struct vattr a;

    CHECK(!fs_remove(root, "usr/share/doc/a", false) &&
              !fs_remove(root, "usr/share/doc/b", false) &&
              !fs_remove(root, "usr/share/doc/sub/c", false),
          "rm -r: files");
    CHECK(!fs_remove(root, "usr/share/doc/sub", true), "rm -r: a lower dir emptied");
    CHECK(!fs_remove(root, "usr/share/doc", true), "rm -r: its parent");
    CHECK(fs_stat(root, "usr/share/doc", &a) == -ENOENT, "gone");
    CHECK(!fs_stat(lower_tmp, "usr/share/doc/sub/c", &a), "lower keeps it");
    CHECK(!fs_mkdir(root, "usr/share/doc", 0755), "mkdir where a lower dir was deleted");
    CHECK(!list(root, "usr/share/doc", 0, buf, sizeof(buf)) && !strcmp(buf, ""),
          "opaque: lower's entries do not show: %s", buf);
    CHECK(fs_stat(root, "usr/share/doc/a", &a) == -ENOENT, "lookup does not see them");
    CHECK(!fs_write(root, "usr/share/doc/a", "mine\n", 0, 0), "create inside");
    CHECK(fs_read(root, "usr/share/doc/a", buf, sizeof(buf)) == 5 && !strcmp(buf, "mine\n"),
          "a new file: %s", buf);
    CHECK(!list(root, "usr/share/doc", 0, buf, sizeof(buf)) && !strcmp(buf, "a"), "listing: %s",
          buf);
    CHECK(!list(root, "usr/share", 0, buf, sizeof(buf)) && !strcmp(buf, "doc"), "parent: %s", buf);
    CHECK(!fs_remove(root, "usr/share/doc/a", false) && !fs_remove(root, "usr/share/doc", true),
          "remove the opaque dir");
    CHECK(!fs_mkdir(root, "usr/share/doc", 0755) && !fs_mkdir(root, "usr/share/doc/sub", 0755),
          "again, with a subdirectory");
    CHECK(!list(root, "usr/share/doc/sub", 0, buf, sizeof(buf)) && !strcmp(buf, ""),
          "under an opaque dir nothing merges: %s", buf);
    group_end("opaque");
}

static void test_readdir(void)
{
    char buf[512], buf2[512];
    struct vattr a, ra, ma;

    CHECK(!fs_write(root, "m/new", "n\n", 0, 0), "create");
    CHECK(!fs_remove(root, "m/f2", false), "unlink");
    CHECK(!fs_write(root, "m/f3", "changed\n", 0, O_TRUNC), "copy-up");
    CHECK(!fs_mkdir(root, "m/d3", 0755), "mkdir");
    CHECK(!fs_write(root, "m/d1/y", "y\n", 0, 0), "create in a merged subdir");
    CHECK(!list(root, "m", 0, buf, sizeof(buf)), "list");
    CHECK(!strcmp(buf, "d1 d2 d3 f1 f3 f4 f5 new"), "merged: %s", buf);
    CHECK(!list(root, "m", 2, buf2, sizeof(buf2)) && !strcmp(buf, buf2),
          "resumed two at a time: %s", buf2);
    CHECK(!list(root, "m/d1", 0, buf, sizeof(buf)) && !strcmp(buf, "x y"), "subdir: %s", buf);
    CHECK(!list(root, "", 0, buf, sizeof(buf)) && !strcmp(buf, "a data dev etc m r t usr var"),
          "root: %s", buf);
    CHECK(fs_stat(root, "m/d1", &a) == 0 && fs_stat(lower_tmp, "m/d1", &ma) == 0 && a.ino == ma.ino,
          "a merged dir keeps lower's st_ino");

    /* ".." of a directory is its parent's st_ino. */
    struct vnode *d;
    struct file *f;
    static struct listing l;
    fs_stat(root, "", &ra);
    CHECK(!walk(root, "m", &d) && !open_vnode(d, O_RDONLY | O_DIRECTORY, &f), "open dir");
    memset(&l, 0, sizeof(l));
    l.sink.emit = listing_emit;
    i64 pos = 0;
    CHECK(!f->ops->readdir(f, &pos, &l.sink) && l.n == 10 && pos == 10, "one call: %d", l.n);
    CHECK(!strcmp(l.e[1].name, "..") && l.e[1].ino == ra.ino, "..'s d_ino");
    /* A new entry shows after a rewind, not before. */
    fs_write(root, "m/later", "l\n", 0, 0);
    CHECK(!f->ops->readdir(f, &pos, &l.sink) && l.n == 10, "the snapshot holds");
    pos = 0;
    l.n = 0;
    CHECK(!f->ops->readdir(f, &pos, &l.sink) && l.n == 11, "rewound: %d", l.n);
    CHECK(f->ops->read(f, (uptr)buf, 1, 0) == -EISDIR, "read of a dir");
    file_put(f);
    vnode_put(d);
    group_end("readdir");
}

static void test_rename(void)
{
    char buf[256];
    struct vattr a, la, b;
    struct vnode *v, *v2;

    fs_stat(root, "r/a", &la);
    CHECK(!fs_rename(root, "r/a", "r/b", 0), "rename a lower file");
    CHECK(fs_stat(root, "r/a", &a) == -ENOENT, "old name gone");
    CHECK(fs_read(root, "r/b", buf, sizeof(buf)) == 10 && !strcmp(buf, "content a\n"),
          "new name: %s", buf);
    CHECK(!fs_stat(root, "r/b", &a) && a.ino == la.ino, "st_ino moves along");
    CHECK(!fs_stat(lower_tmp, "r/a", &a) && fs_stat(lower_tmp, "r/b", &a) == -ENOENT,
          "lower unchanged");
    fs_stat(root, "r/c", &la);
    CHECK(!fs_rename(root, "r/c", "r/d", 0), "rename over a lower file");
    CHECK(fs_read(root, "r/d", buf, sizeof(buf)) == 10 && !strcmp(buf, "content c\n"),
          "replaced: %s", buf);
    CHECK(!fs_stat(root, "r/d", &a) && a.ino == la.ino && fs_stat(root, "r/c", &a) == -ENOENT,
          "moved");
    CHECK(fs_rename(root, "r/dir", "r/dir2", 0) == -EXDEV, "a lower dir: EXDEV");
    CHECK(!fs_mkdir(root, "r/ud", 0755) && !fs_write(root, "r/ud/f", "f\n", 0, 0), "upper dir");
    CHECK(!fs_rename(root, "r/ud", "r/ud2", 0), "rename an upper dir");
    CHECK(fs_read(root, "r/ud2/f", buf, sizeof(buf)) == 2, "its contents follow");
    CHECK(!fs_remove(root, "r/ldir/old", false) && !fs_remove(root, "r/ldir", true),
          "delete a lower dir");
    CHECK(!fs_rename(root, "r/ud2", "r/ldir", 0), "rename a dir over its whiteout");
    CHECK(!list(root, "r/ldir", 0, buf, sizeof(buf)) && !strcmp(buf, "f"), "opaque: %s", buf);
    CHECK(fs_stat(root, "r/ud2", &a) == -ENOENT, "old name gone");
    CHECK(!fs_mkdir(root, "r/ud3", 0755) && fs_rename(root, "r/ud3", "r/dir", 0) == -ENOTEMPTY,
          "over a non-empty merged dir");
    CHECK(fs_rename(root, "r/b", "r/d", RENAME_NOREPLACE) == -EEXIST, "NOREPLACE");
    CHECK(fs_rename(root, "r/b", "r/dir", 0) == -EISDIR, "a file over a dir");
    CHECK(fs_rename(root, "r/ud3", "r/b", 0) == -ENOTDIR, "a dir over a file");
    CHECK(!fs_rename(root, "r/e1", "r/e2", RENAME_EXCHANGE), "exchange two lower files");
    CHECK(fs_read(root, "r/e1", buf, sizeof(buf)) == 11 && !strcmp(buf, "content e2\n"),
          "exchanged: %s", buf);
    CHECK(fs_read(root, "r/e2", buf, sizeof(buf)) == 11 && !strcmp(buf, "content e1\n"),
          "exchanged: %s", buf);
    /* A referenced vnode follows its file to the new name. */
    CHECK(!walk(root, "r/b", &v), "lookup");
    CHECK(!fs_rename(root, "r/b", "r/b2", 0) && !walk(root, "r/b2", &v2) && v == v2,
          "the vnode moved with it");
    vnode_put(v2);
    vnode_put(v);
    /* Two names of one file: nothing to do. */
    CHECK(!fs_link(root, "r/h", "r/h2") && !fs_rename(root, "r/h", "r/h2", 0), "link and rename");
    CHECK(!fs_stat(root, "r/h", &a) && !fs_stat(root, "r/h2", &b) && a.ino == b.ino && a.nlink == 2,
          "both names stay");
    CHECK(fs_rename(root, "r/h", "r/h2", RENAME_NOREPLACE) == -EEXIST, "NOREPLACE, one file");
    CHECK(!fs_rename(root, "etc/localtime", "r/lt", 0), "rename a lower symlink");
    CHECK(fs_readlink(root, "r/lt", buf, sizeof(buf)) == 23, "target kept: %s", buf);
    CHECK(!list(root, "r", 0, buf, sizeof(buf)) && !strcmp(buf, "b2 d dir e1 e2 h h2 ldir lt ud3"),
          "listing: %s", buf);
    CHECK(shim_changes == 0, "nothing tried to change lower");
    group_end("rename");
}

static void test_rmdir(void)
{
    char buf[256];
    struct vattr a;

    CHECK(fs_remove(root, "var/log", true) == -ENOTEMPTY, "a lower dir with files");
    CHECK(!fs_remove(root, "var/log/x", false), "unlink one");
    CHECK(fs_remove(root, "var/log", true) == -ENOTEMPTY, "one left");
    CHECK(!fs_remove(root, "var/log/y", false), "unlink the other");
    CHECK(!fs_remove(root, "var/log", true), "now empty");
    CHECK(fs_stat(root, "var/log", &a) == -ENOENT, "gone");
    CHECK(!list(root, "var", 0, buf, sizeof(buf)) && !strcmp(buf, ""), "var: %s", buf);
    CHECK(!fs_stat(lower_tmp, "var/log/x", &a), "lower keeps it");
    CHECK(!fs_mkdir(root, "var/u", 0755) && !fs_write(root, "var/u/f", "f", 0, 0), "upper dir");
    CHECK(fs_remove(root, "var/u", true) == -ENOTEMPTY, "an upper dir with a file");
    CHECK(fs_remove(root, "var/u/f", true) == -ENOTDIR, "rmdir of a file");
    CHECK(!fs_remove(root, "var/u/f", false) && !fs_remove(root, "var/u", true), "upper rmdir");
    CHECK(fs_remove(root, "var/nope", true) == -ENOENT, "missing");
    group_end("rmdir");
}

static void test_setattr(void)
{
    char buf[256];
    struct vattr a, la, before;

    fs_stat(root, "etc/motd", &before);
    struct vattr m = {.mode = 0600};
    CHECK(!fs_setattr(root, "etc/motd", &m, VA_MODE), "chmod a lower file");
    CHECK(!fs_stat(root, "etc/motd", &a) && a.mode == (S_IFREG | 0600) && a.ino == before.ino,
          "mode changed, st_ino kept");
    CHECK(fs_read(root, "etc/motd", buf, sizeof(buf)) == 6 && !strcmp(buf, "hello\n"),
          "contents copied: %s", buf);
    CHECK(!fs_stat(lower_tmp, "etc/motd", &la) && la.mode == (S_IFREG | 0644), "lower unchanged");

    struct vattr o = {.uid = 1000, .gid = 1000};
    CHECK(!fs_setattr(root, "usr", &o, VA_UID | VA_GID), "chown a lower dir");
    CHECK(!fs_stat(root, "usr", &a) && a.uid == 1000 && a.gid == 1000, "owner changed");
    CHECK(!list(root, "usr", 0, buf, sizeof(buf)) && !strcmp(buf, "share"), "still merged: %s",
          buf);

    struct vattr t = {.size = 0};
    CHECK(!fs_setattr(root, "etc/trunc", &t, VA_SIZE), "truncate a lower file");
    CHECK(!fs_stat(root, "etc/trunc", &a) && a.size == 0, "empty");
    CHECK(!fs_stat(lower_tmp, "etc/trunc", &la) && la.size == 16, "lower keeps its data");

    struct vattr dm = {.mode = 0600};
    CHECK(!fs_setattr(root, "dev/null", &dm, VA_MODE), "chmod a device node");
    CHECK(!fs_stat(root, "dev/null", &a) && a.rdev == mkdev(1, 3) && a.mode == (S_IFCHR | 0600),
          "device copied up");
    CHECK(shim_changes == 0, "nothing tried to change lower");
    group_end("setattr");
}

static void test_deep(void)
{
    char buf[256];
    struct vattr a, la;
    static const char *dirs[] = {"a", "a/b", "a/b/c", "a/b/c/d"};

    CHECK(!fs_write(root, "a/b/c/d/file", "D", 0, 0), "write deep down");
    CHECK(fs_read(root, "a/b/c/d/file", buf, sizeof(buf)) == 5 && !strcmp(buf, "Deep\n"),
          "written: %s", buf);
    CHECK(fs_read(lower_tmp, "a/b/c/d/file", buf, sizeof(buf)) == 5 && !strcmp(buf, "deep\n"),
          "lower unchanged");
    for (size_t i = 0; i < 4; i++) {
        fs_stat(root, dirs[i], &a);
        fs_stat(lower_tmp, dirs[i], &la);
        CHECK(a.mode == la.mode && a.uid == la.uid && a.gid == la.gid && a.ino == la.ino,
              "%s: mode %o/%o owner %u:%u/%u:%u", dirs[i], a.mode, la.mode, a.uid, a.gid, la.uid,
              la.gid);
        CHECK(a.mtime.sec == la.mtime.sec, "%s: mtime %lld/%lld", dirs[i], (long long)a.mtime.sec,
              (long long)la.mtime.sec);
    }
    fs_stat(root, "a/b/c/d/file", &a);
    fs_stat(lower_tmp, "a/b/c/d/file", &la);
    CHECK(a.mode == (S_IFREG | 04750) && a.uid == 13 && a.gid == 14 && a.ino == la.ino,
          "file: mode %o owner %u:%u", a.mode, a.uid, a.gid);
    CHECK(fs_read(root, "a/b/c/d/sibling", buf, sizeof(buf)) == 4, "a lower sibling still shows");
    CHECK(!list(root, "a/b/c/d", 0, buf, sizeof(buf)) && !strcmp(buf, "file sibling"),
          "listing: %s", buf);
    group_end("deep");
}

static void test_symlink(void)
{
    char buf[256];
    struct vattr a, la;

    fs_stat(lower_tmp, "etc/mtab", &la);
    struct vattr t = {.atime = {888, 0}, .mtime = {999, 0}};
    CHECK(!fs_setattr(root, "etc/mtab", &t, VA_ATIME | VA_MTIME), "utimes on a lower symlink");
    /* Stat first: reading the link moves its atime (relatime, as atime < mtime here). */
    CHECK(!fs_stat(root, "etc/mtab", &a) && a.mtime.sec == 999 && a.atime.sec == 888 &&
              a.ino == la.ino && S_ISLNK(a.mode),
          "times set, st_ino kept");
    CHECK(fs_readlink(root, "etc/mtab", buf, sizeof(buf)) == 11 && !strcmp(buf, "../run/mtab"),
          "target kept: %s", buf);
    CHECK(!fs_stat(lower_tmp, "etc/mtab", &la) && la.mtime.sec != 999, "lower unchanged");
    CHECK(!fs_symlink(lower_tmp, "/proc/self/fd", "etc/fd"), "another lower symlink");
    fs_stat(lower_tmp, "etc/fd", &la);
    CHECK(!fs_link(root, "etc/fd", "etc/fd2"), "hard link to a lower symlink");
    CHECK(fs_readlink(root, "etc/fd2", buf, sizeof(buf)) == 13 && !strcmp(buf, "/proc/self/fd"),
          "the link: %s", buf);
    CHECK(!fs_stat(root, "etc/fd2", &a) && a.ino == la.ino && a.nlink == 2, "one inode");
    CHECK(!fs_stat(root, "etc/fd", &a) && a.ino == la.ino, "the same for the first name");
    group_end("symlink");
}

static void test_tmpfile(void)
{
    char buf[64];
    struct vnode *etc, *v;
    struct vattr a;
    struct file *f;

    CHECK(!walk(root, "etc", &etc), "lookup");
    CHECK(!etc->ops->create(etc, NULL, S_IFREG | 0600, 0, 0, 0, &v), "O_TMPFILE create");
    CHECK(!open_vnode(v, O_RDWR, &f) && f->ops->write(f, (uptr) "tmp\n", 4, 0) == 4, "write");
    file_put(f);
    CHECK(!list(root, "etc", 0, buf, sizeof(buf)) && !strstr(buf, "  "), "not listed");
    CHECK(!etc->ops->link(etc, "tmpf", v), "link gives it a name");
    CHECK(fs_read(root, "etc/tmpf", buf, sizeof(buf)) == 4 && !strcmp(buf, "tmp\n"), "named: %s",
          buf);
    vnode_put(v);
    vnode_put(etc);
    CHECK(!fs_stat(root, "m/d1", &a) && a.nlink == 1, "a merged dir has nlink 1: %llu",
          (unsigned long long)a.nlink);
    CHECK(!fs_stat(root, "m/d2", &a) && a.nlink == 2, "a lower-only dir keeps lower's");
    group_end("tmpfile");
}

/* Lookups and reads race copy-ups, unlinks and re-creations of the same names. */
static int stop;

static void *reader(void *arg)
{
    (void)arg;
    char buf[64], want[64];
    int bad = 0;
    for (int round = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED) && round < 20000; round++) {
        int i = round % 8;
        char p[16];
        snprintf(p, sizeof(p), "t/f%d", i);
        snprintf(want, sizeof(want), "content-%d", i);
        long n = fs_read(root, p, buf, sizeof(buf));
        if (n != -ENOENT && n != 0 && (n < 0 || strcmp(buf, want)))
            bad++;
    }
    return (void *)(intptr_t)bad;
}

static void test_threads(void)
{
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, reader, NULL);
    int errs = 0;
    for (int round = 0; round < 2000; round++) {
        int i = round % 8;
        char p[16], c[16];
        snprintf(p, sizeof(p), "t/f%d", i);
        snprintf(c, sizeof(c), "content-%d", i);
        struct vattr m = {.mode = 0600 | (round & 1)};
        switch (round % 3) {
        case 0:
            errs += fs_setattr(root, p, &m, VA_MODE) != 0;
            break;
        case 1:
            errs += fs_remove(root, p, false) != 0;
            break;
        case 2:
            errs += fs_write(root, p, c, 0, O_TRUNC) != 0;
            break;
        }
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    long bad = 0;
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (intptr_t)r;
    }
    char buf[256];
    CHECK(bad == 0, "readers saw %ld wrong contents", bad);
    CHECK(!list(root, "t", 0, buf, sizeof(buf)), "list after the race");
    CHECK(shim_changes == 0, "nothing tried to change lower");
    (void)errs;
    group_end("threads");
}

int main(void)
{
    kmem_init(test_page_alloc, test_page_free);
    size_t base = kmem_in_use();
    lower_tmp = tmpfs_new(0755);
    build_lower();
    lower_ro = ro_wrap(vnode_get(lower_tmp));
    root = overlay_new(lower_ro);
    if (!root) {
        printf("overlay_new failed\n0 passed, 1 failed\n");
        return 1;
    }
    test_read_through();
    test_write_copy_up();
    test_unlink();
    test_recreate();
    test_opaque();
    test_readdir();
    test_rename();
    test_rmdir();
    test_setattr();
    test_deep();
    test_symlink();
    test_tmpfile();
    test_threads();

    vnode_put(root);
    vnode_put(lower_ro);
    vnode_put(lower_tmp);
    CHECK(shim_live == 0, "%d shim vnodes left", shim_live);
    CHECK(kmem_in_use() == base, "%zu heap bytes left", kmem_in_use() - base);
    group_end("teardown");
    return unit_summary();
}
