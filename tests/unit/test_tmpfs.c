/* test_tmpfs.c: hosted unit test of tmpfs and devfs (src/kernel/tmpfs.c, devfs.c, vnode.c). */
/* The kernel and lib sources are compiled with tests/unit/husk_rename.h forced in (see
 * tests/unit/tmpfs.frag), as for test_lib.c; the platform functions they call are stubbed here,
 * with guest addresses being plain host pointers and addresses below 4096 faulting. */
#define _GNU_SOURCE
#include <pthread.h>

#include "husk_rename.h"
#include "../../src/kernel/vfs.h"
#include "../../src/platform/platform.h"
#define UNIT_STUB_PANIC
#define UNIT_STUB_HOST_HEAP
#define UNIT_STUB_PAGES
#include "unit.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif
#define TMPFS_MAGIC 0x01021994
#define MAX_FILE (1ULL << 30)

/* ---- Stubs for what the platform and the rest of the core provide in husk ---- */

#define BAD_GUEST ((uptr)64) /* any guest address below 4096 faults */

int copy_from_guest(void *dst, uptr src, size_t n)
{
    if (src < 4096)
        return -EFAULT;
    memcpy(dst, (const void *)src, n);
    return 0;
}

int copy_to_guest(uptr dst, const void *src, size_t n)
{
    if (dst < 4096)
        return -EFAULT;
    memcpy((void *)dst, src, n);
    return 0;
}

int clear_guest(uptr dst, size_t n)
{
    if (dst < 4096)
        return -EFAULT;
    memset((void *)dst, 0, n);
    return 0;
}

/* A clock the test moves by hand, so that timestamp changes are visible. */
static i64 fake_sec = 1000000;

int plat_clock_get(int clock, i64 *sec, long *nsec)
{
    (void)clock;
    *sec = __atomic_load_n(&fake_sec, __ATOMIC_RELAXED);
    *nsec = 0;
    return 0;
}

static void tick(void)
{
    __atomic_add_fetch(&fake_sec, 1, __ATOMIC_RELAXED);
}

/* Hands out at most 100 bytes a call, so that readers must loop. */
static int random_fail;
static u8 random_next = 1;

long plat_random(void *buf, size_t n)
{
    if (random_fail)
        return -EIO;
    n = n < 100 ? n : 100;
    for (size_t i = 0; i < n; i++)
        ((u8 *)buf)[i] = random_next++ | 1;
    return (long)n;
}

static int tty_opens;
static const struct file_ops tty_stub_ops;

int console_open_tty(struct file *f)
{
    tty_opens++;
    f->ops = &tty_stub_ops;
    return 0;
}

/* ---- Helpers playing the VFS's part ---- */

static struct vnode *lookup(struct vnode *dir, const char *name)
{
    struct vnode *v = NULL;
    return dir->ops->lookup(dir, name, &v) ? NULL : v;
}

static int lookup_err(struct vnode *dir, const char *name)
{
    struct vnode *v = NULL;
    int err = dir->ops->lookup(dir, name, &v);
    vnode_put(v);
    return err;
}

static struct vattr attr(struct vnode *v)
{
    struct vattr a;
    vfs_getattr(v, &a);
    return a;
}

static struct vattr attr_of(struct vnode *dir, const char *name)
{
    struct vattr a = {0};
    struct vnode *v = lookup(dir, name);
    if (v) {
        a = attr(v);
        vnode_put(v);
    }
    return a;
}

static struct vnode *mkfile(struct vnode *dir, const char *name)
{
    struct vnode *v = NULL;
    return dir->ops->create(dir, name, S_IFREG | 0644, 0, 0, 0, &v) ? NULL : v;
}

static int mknode(struct vnode *dir, const char *name, u32 mode, u64 rdev)
{
    return dir->ops->create(dir, name, mode, rdev, 0, 0, NULL);
}

static int mkdir_(struct vnode *dir, const char *name)
{
    return dir->ops->mkdir(dir, name, 0755, 0, 0);
}

/* Makes a regular file in the subdirectory sub of dir. */
static void mknode_in(struct vnode *dir, const char *sub, const char *name)
{
    struct vnode *s = lookup(dir, sub);
    if (s)
        mknode(s, name, S_IFREG | 0644, 0);
    vnode_put(s);
}

/* Opens as the VFS does: the file system fills ops and priv, the VFS holds the vnode. */
static struct file *open_v(struct vnode *v, u32 flags, int *err)
{
    struct file *f = file_alloc(NULL, flags, NULL);
    *err = v->ops->open(v, f);
    if (*err) {
        file_put(f);
        return NULL;
    }
    f->vnode = vnode_get(v);
    return f;
}

static struct file *open_ok(struct vnode *v)
{
    int err;
    return open_v(v, O_RDWR, &err);
}

static long put_str(struct file *f, const char *s, i64 pos)
{
    return f->ops->write(f, (uptr)s, strlen(s), pos);
}

static long get(struct file *f, void *buf, size_t n, i64 pos)
{
    return f->ops->read(f, (uptr)buf, n, pos);
}

/* Whether the file reads back exactly as s. */
static bool reads_as(struct file *f, const char *s)
{
    char buf[256];
    long n = get(f, buf, sizeof(buf), 0);
    return n == (long)strlen(s) && !memcmp(buf, s, (size_t)n);
}

/* A readdir sink that takes `room` entries, then says it is full. */
#define MAXENT 256
struct collect {
    struct dirent_sink sink;
    int room, n;
    char names[MAXENT][NAME_MAX + 1];
    u64 inos[MAXENT];
    int types[MAXENT];
    i64 nexts[MAXENT];
};

static int collect_emit(struct dirent_sink *s, const char *name, size_t len, u64 ino, int dtype,
                        i64 next)
{
    struct collect *c = (struct collect *)s;
    if (c->room == 0 || c->n == MAXENT)
        return 1;
    c->room--;
    memcpy(c->names[c->n], name, len);
    c->names[c->n][len] = 0;
    c->inos[c->n] = ino;
    c->types[c->n] = dtype;
    c->nexts[c->n] = next;
    c->n++;
    return 0;
}

static void collect_init(struct collect *c, int room)
{
    memset(c, 0, sizeof(*c));
    c->sink.emit = collect_emit;
    c->room = room;
}

/* Lists a whole directory in one go. */
static int list_dir(struct vnode *dir, struct collect *c)
{
    int err;
    struct file *f = open_v(dir, O_RDONLY, &err);
    if (!f)
        return err;
    collect_init(c, MAXENT);
    i64 pos = 0;
    err = f->ops->readdir(f, &pos, &c->sink);
    file_put(f);
    return err;
}

static u64 dotdot_ino(struct vnode *dir)
{
    struct collect c;
    list_dir(dir, &c);
    return c.n >= 2 && !strcmp(c.names[1], "..") ? c.inos[1] : 0;
}

/* ---- Tests ---- */

static void test_basic(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    CHECK(root != NULL, "tmpfs_new");
    struct vattr a = attr(root);
    CHECK(a.mode == (S_IFDIR | 0755) && a.nlink == 2 && a.ino != 0, "root attributes");
    CHECK(a.dev == root->fs->dev && a.size == 40 && a.blksize == 4096, "root dev, size");
    CHECK(!strcmp(root->fs->name, "tmpfs") && root->type == S_IFDIR, "fs name and vnode type");
    struct kstatfs st;
    CHECK(root->ops->statfs(root, &st) == 0 && st.type == TMPFS_MAGIC && st.bsize == 4096 &&
              st.namelen == 255 && st.bfree == st.blocks && st.files - st.ffree == 1,
          "statfs");
    struct vnode *other = tmpfs_new(0700);
    CHECK(other && attr(other).dev != a.dev, "each instance has its own dev");
    vnode_put(other);

    i64 t0 = fake_sec;
    tick();
    struct vnode *f = mkfile(root, "a");
    CHECK(f != NULL && f->type == S_IFREG, "create");
    a = attr(f);
    CHECK(a.mode == (S_IFREG | 0644) && a.nlink == 1 && a.size == 0 && a.blocks == 0,
          "new file attributes");
    CHECK(a.mtime.sec == t0 + 1 && a.ctime.sec == t0 + 1 && a.atime.sec == t0 + 1,
          "new file times");
    CHECK(attr(root).mtime.sec == t0 + 1 && attr(root).ctime.sec == t0 + 1,
          "create changes the directory's mtime and ctime");
    CHECK(a.ino != attr(root).ino && a.dev == attr(root).dev, "inode numbers differ");
    struct vnode *g = lookup(root, "a");
    CHECK(g == f && f->refs == 2, "lookup returns the one vnode of the node");
    vnode_put(g);
    struct vnode *h = NULL;
    CHECK(root->ops->create(root, "a", S_IFREG | 0600, 0, 0, 0, &h) == -EEXIST && !h,
          "create of an existing name: EEXIST");
    CHECK(lookup_err(root, "b") == -ENOENT, "lookup of a missing name: ENOENT");
    CHECK(lookup_err(f, "x") == -ENOTDIR, "lookup in a file: ENOTDIR");
    CHECK(mknode(f, "x", S_IFREG | 0644, 0) == -ENOTDIR, "create in a file: ENOTDIR");
    CHECK(mkdir_(f, "x") == -ENOTDIR, "mkdir in a file: ENOTDIR");
    char longname[NAME_MAX + 2];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[NAME_MAX + 1] = 0;
    CHECK(mknode(root, longname, S_IFREG | 0644, 0) == -ENAMETOOLONG, "256-byte name");
    CHECK(lookup_err(root, longname) == -ENAMETOOLONG, "lookup of a 256-byte name");
    longname[NAME_MAX] = 0;
    CHECK(mknode(root, longname, S_IFREG | 0644, 0) == 0, "255-byte name");
    CHECK(lookup_err(root, longname) == 0, "lookup of a 255-byte name");
    CHECK(mknode(root, "d", S_IFDIR | 0755, 0) == -EINVAL, "create of a directory: EINVAL");
    CHECK(mknode(root, "l", S_IFLNK | 0777, 0) == -EINVAL, "create of a symlink: EINVAL");
    CHECK(mknode(root, "plain", 0644, 0) == 0 && attr_of(root, "plain").mode == (S_IFREG | 0644),
          "mknod without a type makes a regular file");
    CHECK(attr(root).nlink == 2 && attr(root).size == 20 * 5, "directory size counts entries");
    CHECK(root->ops->statfs(root, &st) == 0 && st.files - st.ffree == 4, "statfs counts nodes");
    vnode_put(f);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("basic");
}

static void test_data(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(01777);
    struct vnode *v = mkfile(root, "f");
    struct file *f = open_ok(v);
    char buf[256];

    CHECK(f && f->ops->read && f->priv, "open of a regular file");
    i64 t0 = fake_sec;
    tick();
    CHECK(put_str(f, "hello", 0) == 5, "write");
    CHECK(attr(v).size == 5 && attr(v).blocks == 8, "size and 512-byte blocks after write");
    CHECK(attr(v).mtime.sec == t0 + 1 && attr(v).ctime.sec == t0 + 1,
          "write moves mtime and ctime");
    CHECK(reads_as(f, "hello"), "read back");
    CHECK(get(f, buf, 3, 2) == 3 && !memcmp(buf, "llo", 3), "read at an offset");
    CHECK(get(f, buf, 10, 5) == 0 && get(f, buf, 10, 500) == 0, "read at or past the end");
    CHECK(get(f, buf, 10, -1) == -EINVAL && f->ops->write(f, (uptr) "x", 1, -1) == -EINVAL,
          "negative positions: EINVAL");
    CHECK(put_str(f, "XY", 8) == 2 && attr(v).size == 10, "write past the end");
    CHECK(get(f, buf, sizeof(buf), 0) == 10 && !memcmp(buf, "hello\0\0\0XY", 10),
          "the gap reads as zeroes");
    CHECK(put_str(f, "J", 1) == 1 && get(f, buf, 10, 0) == 10 && !memcmp(buf, "hJllo\0\0\0XY", 10),
          "overwrite in the middle");
    CHECK(f->ops->write(f, (uptr) "", 0, 0) == 0, "write of 0 bytes");
    CHECK(get(f, buf, 0, 0) == 0, "read of 0 bytes");

    CHECK(f->ops->read(f, BAD_GUEST, 4, 0) == -EFAULT, "read into a bad buffer: EFAULT");
    CHECK(f->ops->write(f, BAD_GUEST, 4, 0) == -EFAULT, "write from a bad buffer: EFAULT");
    CHECK(f->ops->write(f, BAD_GUEST, 4, 100) == -EFAULT && attr(v).size == 10,
          "a failed write past the end leaves the size");

    /* Truncation: shrink, then grow over bytes that once held data. */
    struct vattr a = {.size = 3};
    tick();
    CHECK(v->ops->setattr(v, &a, VA_SIZE) == 0 && attr(v).size == 3 && reads_as(f, "hJl"),
          "truncate down");
    CHECK(attr(v).mtime.sec == fake_sec && attr(v).ctime.sec == fake_sec,
          "truncate moves mtime and ctime");
    a.size = 12;
    CHECK(v->ops->setattr(v, &a, VA_SIZE) == 0 && get(f, buf, sizeof(buf), 0) == 12 &&
              !memcmp(buf, "hJl\0\0\0\0\0\0\0\0\0", 12),
          "truncate up reads back zeroes");
    tick();
    CHECK(v->ops->setattr(v, &a, VA_SIZE) == 0 && attr(v).mtime.sec == fake_sec - 1,
          "truncate to the same size moves no times");
    a.size = MAX_FILE + 1;
    CHECK(v->ops->setattr(v, &a, VA_SIZE) == -EFBIG && attr(v).size == 12,
          "truncate beyond the cap: EFBIG");
    CHECK(f->ops->write(f, (uptr) "x", 1, (i64)MAX_FILE) == -EFBIG, "write at the cap: EFBIG");
    a.size = 0;
    CHECK(v->ops->setattr(v, &a, VA_SIZE) == 0 && attr(v).size == 0 && attr(v).blocks == 0,
          "truncate to 0");

    /* Access time, relatime-style: a read after a change moves it, a second read does not. */
    tick();
    put_str(f, "abc", 0);
    tick();
    get(f, buf, 3, 0);
    CHECK(attr(v).atime.sec == fake_sec, "read after a write moves atime");
    tick();
    get(f, buf, 3, 0);
    CHECK(attr(v).atime.sec == fake_sec - 1, "a second read does not (relatime)");
    int err;
    struct file *na = open_v(v, O_RDONLY | O_NOATIME, &err);
    tick();
    put_str(f, "d", 3);
    tick();
    get(na, buf, 3, 0);
    CHECK(attr(v).atime.sec == fake_sec - 3, "O_NOATIME reads leave atime");
    file_put(na);

    CHECK(f->ops->poll(f, POLLIN) & POLLIN && f->ops->poll(f, POLLOUT) & POLLOUT,
          "regular files poll ready");
    CHECK(f->ops->map_handle(f) == -ENODEV, "map_handle: -ENODEV, the VFS copies");
    CHECK(!f->ops->fsync || f->ops->fsync(f, false) == 0, "fsync");
    CHECK(!f->ops->readdir, "no readdir on a regular file");

    struct file *d = open_ok(root);
    CHECK(d && d->ops->readdir && d->ops->read(d, (uptr)buf, 1, 0) == -EISDIR,
          "a directory opens for readdir, read: EISDIR");
    file_put(d);
    file_put(f);
    vnode_put(v);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("data");
}

static void test_big(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    struct vnode *v = mkfile(root, "big");
    struct file *f = open_ok(v);
    static u8 chunk[1000], back[1 << 20];
    bool ok = true;

    /* 1 MiB in odd-sized appends: the buffer grows many times and keeps every byte. */
    i64 pos = 0;
    for (int i = 0; pos < (1 << 20); i++) {
        size_t n = MIN(sizeof(chunk) - (size_t)(i % 7), (size_t)((1 << 20) - pos));
        for (size_t j = 0; j < n; j++)
            chunk[j] = (u8)((pos + (i64)j) * 7 + 3);
        ok = ok && f->ops->write(f, (uptr)chunk, n, pos) == (long)n;
        pos += (i64)n;
    }
    CHECK(ok && attr(v).size == 1 << 20 && attr(v).blocks == (1 << 20) / 512, "1 MiB of appends");
    CHECK(get(f, back, sizeof(back), 0) == 1 << 20, "read of 1 MiB");
    for (size_t j = 0; j < sizeof(back) && ok; j++)
        ok = back[j] == (u8)(j * 7 + 3);
    CHECK(ok, "1 MiB reads back");
    struct kstatfs st;
    v->ops->statfs(v, &st);
    CHECK(st.blocks - st.bfree >= (1 << 20) / 4096, "statfs counts the data");

    /* A write that crosses the cap is cut short at it. */
    CHECK(put_str(f, "0123456789", (i64)MAX_FILE - 4) == 4 && attr(v).size == MAX_FILE,
          "write across the 1 GiB cap is cut short");
    CHECK(get(f, back, 8, (i64)MAX_FILE - 8) == 8 && !memcmp(back,
                                                             "\0\0\0\0"
                                                             "0123",
                                                             8),
          "the end of a 1 GiB file");
    CHECK(get(f, back, 4, 1 << 20) == 4 && !memcmp(back, "\0\0\0\0", 4), "its gap is zeroes");
    struct vattr a = {.size = 5};
    CHECK(v->ops->setattr(v, &a, VA_SIZE) == 0 && attr(v).size == 5, "truncate from 1 GiB");
    v->ops->statfs(v, &st);
    CHECK(st.blocks - st.bfree <= 1, "truncating gives the memory back");
    file_put(f);
    vnode_put(v);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("big");
}

static void test_dirs(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    tick();
    CHECK(mkdir_(root, "d") == 0, "mkdir");
    struct vnode *d = lookup(root, "d");
    CHECK(d && d->type == S_IFDIR && attr(d).mode == (S_IFDIR | 0755) && attr(d).nlink == 2,
          "new directory");
    CHECK(attr(root).nlink == 3 && attr(root).mtime.sec == fake_sec, "parent nlink 2 + subdirs");
    CHECK(mkdir_(root, "d") == -EEXIST, "mkdir of an existing name: EEXIST");
    mknode(root, "file", S_IFREG | 0644, 0);
    CHECK(mkdir_(root, "file") == -EEXIST, "mkdir over a file: EEXIST");
    CHECK(mkdir_(d, "e") == 0 && mkdir_(d, "e2") == 0 && attr(d).nlink == 4, "nested mkdir");
    CHECK(attr(root).nlink == 3, "grandchildren do not count");
    CHECK(dotdot_ino(d) == attr(root).ino && dotdot_ino(root) == attr(root).ino,
          "\"..\" of a directory, and of the root");
    CHECK(root->ops->rmdir(root, "d") == -ENOTEMPTY, "rmdir of a non-empty directory");
    CHECK(root->ops->rmdir(root, "file") == -ENOTDIR, "rmdir of a file: ENOTDIR");
    CHECK(root->ops->rmdir(root, "nope") == -ENOENT, "rmdir of a missing name: ENOENT");
    CHECK(root->ops->unlink(root, "d") == -EISDIR, "unlink of a directory: EISDIR");
    CHECK(root->ops->unlink(root, "nope") == -ENOENT, "unlink of a missing name: ENOENT");
    tick();
    CHECK(d->ops->rmdir(d, "e2") == 0 && attr(d).nlink == 3 && attr(d).mtime.sec == fake_sec,
          "rmdir");
    CHECK(d->ops->rmdir(d, "e") == 0 && attr(d).nlink == 2, "rmdir of the last subdir");
    CHECK(root->ops->rmdir(root, "d") == 0 && attr(root).nlink == 2, "rmdir of the emptied dir");
    CHECK(attr(d).nlink == 0, "a removed directory has no links");
    CHECK(mknode(d, "x", S_IFREG | 0644, 0) == -ENOENT && mkdir_(d, "x") == -ENOENT &&
              d->ops->symlink(d, "x", "y", 0, 0) == -ENOENT,
          "creating in a removed directory: ENOENT");
    struct collect c;
    CHECK(list_dir(d, &c) == 0 && c.n == 2, "a removed directory lists . and ..");
    vnode_put(d);

    /* A set-group-ID directory passes on its group, and to directories the bit too. */
    CHECK(root->ops->mkdir(root, "sg", 02775, 0, 50) == 0, "mkdir with setgid");
    struct vnode *sg = lookup(root, "sg");
    CHECK(sg->ops->mkdir(sg, "sub", 0755, 7, 8) == 0 &&
              attr_of(sg, "sub").mode == (S_IFDIR | 02755) && attr_of(sg, "sub").gid == 50 &&
              attr_of(sg, "sub").uid == 7,
          "a subdirectory of a setgid directory");
    CHECK(sg->ops->create(sg, "f", S_IFREG | 0644, 0, 7, 8, NULL) == 0 &&
              attr_of(sg, "f").mode == (S_IFREG | 0644) && attr_of(sg, "f").gid == 50,
          "a file in a setgid directory");
    vnode_put(sg);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("dirs");
}

static void test_readdir(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    char name[16];
    struct collect c;

    CHECK(list_dir(root, &c) == 0 && c.n == 2 && !strcmp(c.names[0], ".") &&
              !strcmp(c.names[1], "..") && c.nexts[0] == 1 && c.types[0] == DT_DIR &&
              c.inos[0] == attr(root).ino,
          "an empty directory: . and ..");
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "f%02d", i);
        mknode(root, name, S_IFREG | 0644, 0);
    }
    mkdir_(root, "sub");
    root->ops->symlink(root, "ln", "f00", 0, 0);
    mknode(root, "fifo", S_IFIFO | 0644, 0);
    CHECK(list_dir(root, &c) == 0 && c.n == 25, "all entries listed");
    bool order = true;
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "f%02d", i);
        order = order && !strcmp(c.names[i + 2], name) && c.types[i + 2] == DT_REG &&
                c.inos[i + 2] == attr_of(root, name).ino;
    }
    CHECK(order, "entries come in creation order with their inode numbers");
    CHECK(c.types[22] == DT_DIR && c.types[23] == DT_LNK && c.types[24] == DT_FIFO, "d_type");
    bool rising = true;
    for (int i = 1; i < c.n; i++)
        rising = rising && c.nexts[i] > c.nexts[i - 1];
    CHECK(rising, "cookies rise");

    /* Three entries a call; between calls, unlink entries already seen and entries not yet
     * seen: each surviving entry must come exactly once, each removed unseen one never. */
    int err;
    struct file *f = open_v(root, O_RDONLY, &err);
    int seen[32] = {0}, calls = 0, dots = 0;
    i64 pos = 0;
    for (int guard = 0; guard < 100; guard++) {
        collect_init(&c, 3);
        CHECK(f->ops->readdir(f, &pos, &c.sink) == 0, "readdir");
        if (c.n == 0)
            break;
        calls++;
        for (int i = 0; i < c.n; i++) {
            int k;
            if (c.names[i][0] == '.')
                dots++;
            else if (c.names[i][0] == 'f' && sscanf(c.names[i], "f%d", &k) == 1 && k < 20)
                seen[k]++;
        }
        CHECK(pos == c.nexts[c.n - 1], "the position is the last entry's next cookie");
        if (calls == 2) {
            root->ops->unlink(root, "f01"); /* seen */
            root->ops->unlink(root, "f05"); /* next */
            root->ops->unlink(root, "f11"); /* later */
        }
        if (calls == 4)
            root->ops->unlink(root, "f09"); /* just emitted */
    }
    bool once = dots == 2 && seen[1] == 1 && seen[5] == 0 && seen[11] == 0;
    for (int k = 0; k < 20; k++)
        if (k != 1 && k != 5 && k != 11)
            once = once && seen[k] == 1;
    CHECK(once, "stable cookies under unlink: every survivor exactly once");
    collect_init(&c, 10);
    CHECK(f->ops->readdir(f, &pos, &c.sink) == 0 && c.n == 0, "at the end, nothing more");
    mknode(root, "late", S_IFREG | 0644, 0);
    CHECK(f->ops->readdir(f, &pos, &c.sink) == 0 && c.n == 1 && !strcmp(c.names[0], "late"),
          "an entry made after the end comes next");
    pos = 1;
    collect_init(&c, 1);
    CHECK(f->ops->readdir(f, &pos, &c.sink) == 0 && c.n == 1 && !strcmp(c.names[0], "..") &&
              pos == 2,
          "cookie 1 restarts at ..");
    pos = -1;
    CHECK(f->ops->readdir(f, &pos, &c.sink) == -EINVAL, "a negative cookie: EINVAL");
    collect_init(&c, 0);
    pos = 0;
    CHECK(f->ops->readdir(f, &pos, &c.sink) == 0 && pos == 0, "a full sink moves nothing");
    file_put(f);

    /* Many entries: the hash table grows and lookups still find every name. */
    bool found = true;
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "m%d", i);
        found = found && mknode(root, name, S_IFREG | 0644, 0) == 0;
    }
    for (int i = 0; i < 3000; i += 2) {
        snprintf(name, sizeof(name), "m%d", i);
        found = found && root->ops->unlink(root, name) == 0;
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "m%d", i);
        found = found && lookup_err(root, name) == (i % 2 ? 0 : -ENOENT);
    }
    CHECK(found, "3000 names made, half removed, all looked up");
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("readdir");
}

static void test_symlinks(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    char buf[64];

    CHECK(root->ops->symlink(root, "l", "some/where", 3, 4) == 0, "symlink");
    struct vnode *l = lookup(root, "l");
    struct vattr a = attr(l);
    CHECK(l->type == S_IFLNK && a.mode == (S_IFLNK | 0777) && a.size == 10 && a.uid == 3 &&
              a.gid == 4 && a.nlink == 1,
          "symlink attributes");
    CHECK(l->ops->readlink(l, buf, sizeof(buf)) == 10 && !memcmp(buf, "some/where", 10),
          "readlink");
    CHECK(l->ops->readlink(l, buf, 4) == 4 && !memcmp(buf, "some", 4), "readlink truncates");
    CHECK(root->ops->readlink(root, buf, sizeof(buf)) == -EINVAL, "readlink of a directory");
    CHECK(root->ops->symlink(root, "l", "x", 0, 0) == -EEXIST, "symlink over a name: EEXIST");
    CHECK(root->ops->symlink(root, "e", "", 0, 0) == -ENOENT, "empty target: ENOENT");
    static char huge[PATH_MAX + 1];
    memset(huge, 'a', PATH_MAX);
    CHECK(root->ops->symlink(root, "h", huge, 0, 0) == -ENAMETOOLONG, "target of PATH_MAX");
    huge[PATH_MAX - 1] = 0;
    CHECK(root->ops->symlink(root, "h", huge, 0, 0) == 0 && attr_of(root, "h").size == PATH_MAX - 1,
          "target of PATH_MAX - 1");
    int err;
    CHECK(open_v(l, O_RDONLY, &err) == NULL && err == -ENXIO, "open of a symlink: ENXIO");
    vnode_put(l);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("symlinks");
}

static void test_links(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    mkdir_(root, "d");
    struct vnode *d = lookup(root, "d");
    struct vnode *v = mkfile(root, "a");
    struct file *f = open_ok(v);
    put_str(f, "data", 0);

    tick();
    CHECK(d->ops->link(d, "b", v) == 0 && attr(v).nlink == 2, "link");
    CHECK(attr(v).ctime.sec == fake_sec && attr(d).mtime.sec == fake_sec, "link times");
    struct vnode *b = lookup(d, "b");
    CHECK(b == v, "both names reach one vnode");
    vnode_put(b);
    CHECK(d->ops->link(d, "b", v) == -EEXIST, "link over a name: EEXIST");
    CHECK(root->ops->link(root, "dd", d) == -EPERM, "link of a directory: EPERM");
    CHECK(v->ops->link(v, "x", v) == -ENOTDIR, "link into a file: ENOTDIR");
    struct vnode *other = tmpfs_new(0755);
    CHECK(other->ops->link(other, "x", v) == -EXDEV, "link across instances: EXDEV");
    vnode_put(other);

    tick();
    CHECK(root->ops->unlink(root, "a") == 0 && attr(v).nlink == 1 &&
              attr(v).ctime.sec == fake_sec && attr(root).mtime.sec == fake_sec,
          "unlink of one name");
    CHECK(lookup_err(root, "a") == -ENOENT && lookup_err(d, "b") == 0, "the other stays");
    CHECK(d->ops->unlink(d, "b") == 0 && attr(v).nlink == 0, "unlink of the last name");
    CHECK(reads_as(f, "data") && put_str(f, "more", 4) == 4 && reads_as(f, "datamore"),
          "an unlinked open file still reads and writes");
    CHECK(root->ops->link(root, "back", v) == -ENOENT, "an unlinked file cannot be linked");

    /* O_TMPFILE: a file made without a name can be given one, once. */
    struct vnode *t = NULL;
    CHECK(d->ops->create(d, NULL, S_IFREG | 0600, 0, 0, 0, &t) == 0 && t && attr(t).nlink == 0,
          "a nameless file");
    struct collect c;
    CHECK(list_dir(d, &c) == 0 && c.n == 2, "it is in no directory");
    CHECK(d->ops->create(d, NULL, S_IFDIR | 0600, 0, 0, 0, &t) == -EINVAL &&
              d->ops->create(d, NULL, S_IFREG | 0600, 0, 0, 0, NULL) == -EINVAL,
          "only regular nameless files, and only opened ones");
    CHECK(root->ops->link(root, "named", t) == 0 && attr(t).nlink == 1, "linking it names it");
    CHECK(root->ops->unlink(root, "named") == 0 && root->ops->link(root, "again", t) == -ENOENT,
          "unlinked again, it cannot come back");
    vnode_put(t);
    struct vnode *u = NULL;
    CHECK(d->ops->create(d, NULL, S_IFREG | 0600, 0, 0, 0, &u) == 0, "another nameless file");
    vnode_put(u); /* dropped without a name: freed (the leak check below sees it) */

    file_put(f);
    vnode_put(v);
    vnode_put(d);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("links");
}

static void test_rename(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    const struct vnode_ops *ops = root->ops;
    mkdir_(root, "a");
    mkdir_(root, "b");
    struct vnode *a = lookup(root, "a"), *b = lookup(root, "b");
    struct vnode *f = mkfile(a, "f");
    struct file *fo = open_ok(f);
    put_str(fo, "F", 0);

    tick();
    CHECK(ops->rename(a, "f", a, "g", 0) == 0 && lookup_err(a, "f") == -ENOENT,
          "rename in one directory");
    struct vnode *g = lookup(a, "g");
    CHECK(g == f && attr(f).ctime.sec == fake_sec && attr(a).mtime.sec == fake_sec,
          "the same node under the new name, times moved");
    vnode_put(g);
    tick();
    CHECK(ops->rename(a, "g", b, "f", 0) == 0 && lookup_err(b, "f") == 0 &&
              attr(a).mtime.sec == fake_sec && attr(b).mtime.sec == fake_sec,
          "rename across directories");
    CHECK(ops->rename(a, "nope", b, "x", 0) == -ENOENT, "rename of a missing name: ENOENT");
    CHECK(ops->rename(b, "f", b, "f", 0) == 0 && lookup_err(b, "f") == 0,
          "rename onto itself: nothing happens");
    CHECK(ops->link(b, "f2", f) == 0 && ops->rename(b, "f", b, "f2", 0) == 0 &&
              lookup_err(b, "f") == 0 && attr(f).nlink == 2,
          "rename onto another name of the same file: nothing happens");
    ops->unlink(b, "f2");

    /* Replacing. */
    struct vnode *victim = mkfile(b, "v");
    struct file *vo = open_ok(victim);
    put_str(vo, "victim", 0);
    CHECK(ops->rename(b, "f", b, "v", 0) == 0 && lookup_err(b, "f") == -ENOENT,
          "rename over a file");
    struct vnode *now_v = lookup(b, "v");
    CHECK(now_v == f && attr(victim).nlink == 0 && reads_as(vo, "victim"),
          "the replaced file lives on while open");
    vnode_put(now_v);
    file_put(vo);
    vnode_put(victim);
    CHECK(ops->rename(b, "v", b, "v", RENAME_NOREPLACE) == -EEXIST, "NOREPLACE onto itself");
    mknode(b, "w", S_IFREG | 0644, 0);
    CHECK(ops->rename(b, "v", b, "w", RENAME_NOREPLACE) == -EEXIST, "NOREPLACE: EEXIST");
    CHECK(ops->rename(b, "v", b, "fresh", RENAME_NOREPLACE) == 0, "NOREPLACE to a new name");
    CHECK(ops->rename(b, "fresh", b, "v", 3) == -EINVAL &&
              ops->rename(b, "v", b, "x", 4) == -EINVAL,
          "bad flags: EINVAL");

    mkdir_(b, "e");
    mkdir_(b, "full");
    mknode_in(b, "full", "x");
    CHECK(ops->rename(b, "w", b, "e", 0) == -EISDIR, "file onto a directory: EISDIR");
    CHECK(ops->rename(b, "e", b, "w", 0) == -ENOTDIR, "directory onto a file: ENOTDIR");
    CHECK(ops->rename(b, "e", b, "full", 0) == -ENOTEMPTY, "onto a non-empty dir: ENOTEMPTY");
    u64 bn = attr(b).nlink;
    CHECK(ops->rename(b, "full", b, "e", 0) == 0 && attr(b).nlink == bn - 1 &&
              lookup_err(b, "full") == -ENOENT,
          "directory onto an empty directory");
    struct vnode *e = lookup(b, "e");
    CHECK(lookup_err(e, "x") == 0, "it is the moved one");

    /* Directories move with their "..". */
    u64 rn = attr(root).nlink, an = attr(a).nlink;
    CHECK(ops->rename(b, "e", a, "e", 0) == 0 && attr(a).nlink == an + 1 &&
              attr(b).nlink == bn - 2 && attr(root).nlink == rn,
          "moving a directory moves a link");
    CHECK(dotdot_ino(e) == attr(a).ino, "its .. is the new parent");

    /* Into its own subtree. */
    mkdir_(e, "deep");
    struct vnode *deep = lookup(e, "deep");
    CHECK(ops->rename(a, "e", deep, "x", 0) == -EINVAL, "into its own subtree: EINVAL");
    CHECK(ops->rename(a, "e", e, "x", 0) == -EINVAL, "into itself: EINVAL");
    CHECK(ops->rename(root, "a", deep, "x", 0) == -EINVAL, "an ancestor into a descendant");
    CHECK(ops->rename(deep, "nothing", root, "a", 0) == -ENOENT, "missing source first");
    mknode(deep, "leaf", S_IFREG | 0644, 0);
    CHECK(ops->rename(deep, "leaf", root, "a", 0) == -ENOTEMPTY,
          "a file onto its own ancestor: ENOTEMPTY, as Linux");
    CHECK(ops->rename(e, "deep", root, "deep", 0) == 0 && dotdot_ino(deep) == attr(root).ino,
          "out of the subtree is fine");

    /* RENAME_EXCHANGE. */
    struct vnode *x = mkfile(a, "xf");
    u64 rn2 = attr(root).nlink, an2 = attr(a).nlink;
    tick();
    CHECK(ops->rename(a, "xf", root, "deep", RENAME_EXCHANGE) == 0, "exchange a file and a dir");
    struct vnode *p = lookup(a, "xf"), *q = lookup(root, "deep");
    CHECK(p == deep && q == x, "the names swapped");
    vnode_put(p);
    vnode_put(q);
    CHECK(attr(a).nlink == an2 + 1 && attr(root).nlink == rn2 - 1 &&
              dotdot_ino(deep) == attr(a).ino,
          "exchange moves the directory's link");
    CHECK(attr(x).ctime.sec == fake_sec && attr(deep).ctime.sec == fake_sec,
          "exchange changes both ctimes");
    CHECK(ops->rename(a, "xf", root, "none", RENAME_EXCHANGE) == -ENOENT,
          "exchange with a missing name: ENOENT");
    CHECK(ops->rename(root, "a", deep, "leaf", RENAME_EXCHANGE) == -EINVAL,
          "exchange into its own subtree: EINVAL");
    CHECK(ops->rename(deep, "leaf", root, "a", RENAME_EXCHANGE) == -EINVAL,
          "exchange with an ancestor: EINVAL");
    CHECK(ops->rename(root, "a", root, "b", RENAME_EXCHANGE) == 0 &&
              attr_of(root, "a").ino == attr(b).ino && attr(root).nlink == rn2 - 1,
          "exchange two directories in one parent");
    CHECK(ops->rename(a, "xf", a, "xf", RENAME_EXCHANGE) == 0, "exchange with itself");
    mkdir_(deep, "nonempty");
    mknode_in(deep, "nonempty", "z");
    CHECK(ops->rename(deep, "nonempty", root, "deep", RENAME_EXCHANGE) == 0,
          "exchange ignores emptiness and types");

    struct vnode *other = tmpfs_new(0755);
    CHECK(ops->rename(a, "xf", other, "x", 0) == -EXDEV, "across instances: EXDEV");
    vnode_put(other);
    CHECK(ops->rmdir(e, "nothing") == -ENOENT, "(e still usable)");
    vnode_put(x);
    vnode_put(deep);
    vnode_put(e);
    file_put(fo);
    vnode_put(f);
    vnode_put(a);
    vnode_put(b);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("rename");
}

static void test_setattr(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    struct vnode *v = mkfile(root, "f");
    struct vattr a = {.mode = S_IFDIR | 04711, .uid = 5, .gid = 6};

    tick();
    CHECK(v->ops->setattr(v, &a, VA_MODE) == 0 && attr(v).mode == (S_IFREG | 04711) &&
              attr(v).ctime.sec == fake_sec,
          "chmod keeps the type, moves ctime");
    CHECK(v->ops->setattr(v, &a, VA_UID | VA_GID) == 0 && attr(v).uid == 5 && attr(v).gid == 6,
          "chown");
    a.atime = (struct timespec64){123, 456};
    a.mtime = (struct timespec64){789, UTIME_OMIT};
    tick();
    CHECK(v->ops->setattr(v, &a, VA_ATIME | VA_MTIME) == 0 && attr(v).atime.sec == 123 &&
              attr(v).atime.nsec == 456 && attr(v).mtime.sec != 789 &&
              attr(v).ctime.sec == fake_sec,
          "utimes with one time omitted");
    a.atime.nsec = UTIME_NOW;
    a.mtime = (struct timespec64){789, 1};
    tick();
    CHECK(v->ops->setattr(v, &a, VA_ATIME | VA_MTIME) == 0 && attr(v).atime.sec == fake_sec &&
              attr(v).mtime.sec == 789 && attr(v).mtime.nsec == 1,
          "utimes with UTIME_NOW");
    a.atime.nsec = a.mtime.nsec = UTIME_OMIT;
    i64 c0 = attr(v).ctime.sec;
    tick();
    CHECK(v->ops->setattr(v, &a, VA_ATIME | VA_MTIME) == 0 && attr(v).ctime.sec == c0,
          "both omitted: nothing changes");
    a.size = 1;
    CHECK(root->ops->setattr(root, &a, VA_SIZE) == -EISDIR, "truncate of a directory: EISDIR");
    root->ops->symlink(root, "l", "t", 0, 0);
    struct vnode *l = lookup(root, "l");
    CHECK(l->ops->setattr(l, &a, VA_SIZE) == -EINVAL, "truncate of a symlink: EINVAL");
    vnode_put(l);
    a.mode = 01777;
    CHECK(root->ops->setattr(root, &a, VA_MODE) == 0 && attr(root).mode == (S_IFDIR | 01777),
          "chmod of the root (as for /tmp)");
    vnode_put(v);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("setattr");
}

static const struct file_ops tty_stub_ops = {0};

static void test_special(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    int err;

    CHECK(mknode(root, "p", S_IFIFO | 0644, 0) == 0 && attr_of(root, "p").mode == (S_IFIFO | 0644),
          "mkfifo");
    struct vnode *p = lookup(root, "p");
    CHECK(open_v(p, O_RDONLY, &err) == NULL && err == -ENXIO,
          "a fifo without the pipe layer: ENXIO");
    vnode_put(p);
    CHECK(mknode(root, "s", S_IFSOCK | 0755, 0) == 0, "mknod of a socket");
    struct vnode *s = lookup(root, "s");
    CHECK(open_v(s, O_RDONLY, &err) == NULL && err == -ENXIO, "open of a socket: ENXIO");
    vnode_put(s);
    CHECK(mknode(root, "n", S_IFCHR | 0600, mkdev(1, 3)) == 0 &&
              attr_of(root, "n").rdev == mkdev(1, 3),
          "mknod of a char device");
    struct vnode *n = lookup(root, "n");
    struct file *f = open_v(n, O_RDWR, &err);
    char buf[4];
    CHECK(f && f->ops->read(f, (uptr)buf, 4, 0) == 0 && f->ops->write(f, (uptr)buf, 4, 0) == 4,
          "a char device node on tmpfs opens through chrdev_open");
    file_put(f);
    vnode_put(n);
    CHECK(mknode(root, "bad", S_IFCHR | 0600, mkdev(42, 42)) == 0, "mknod of an unknown device");
    n = lookup(root, "bad");
    CHECK(open_v(n, O_RDWR, &err) == NULL && err == -ENXIO, "open of it: ENXIO");
    vnode_put(n);
    CHECK(mknode(root, "blk", S_IFBLK | 0600, mkdev(8, 0)) == 0, "mknod of a block device");
    n = lookup(root, "blk");
    CHECK(open_v(n, O_RDWR, &err) == NULL && err == -ENXIO, "open of it: ENXIO");
    vnode_put(n);
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("special");
}

static void test_devfs(void)
{
    size_t base = kmem_in_use();
    struct vnode *dev = devfs_new();
    static const struct {
        const char *name;
        u32 major, minor;
    } nodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                 {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
    int err;

    CHECK(dev && attr(dev).mode == (S_IFDIR | 0755), "devfs_new");
    struct kstatfs st;
    CHECK(dev->ops->statfs(dev, &st) == 0 && st.type == TMPFS_MAGIC, "devfs statfs");
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
        struct vattr a = attr_of(dev, nodes[i].name);
        CHECK(a.mode == (S_IFCHR | 0666) && a.rdev == mkdev(nodes[i].major, nodes[i].minor),
              "/dev/%s", nodes[i].name);
    }
    static const char *links[][2] = {{"fd", "/proc/self/fd"},
                                     {"stdin", "/proc/self/fd/0"},
                                     {"stdout", "/proc/self/fd/1"},
                                     {"stderr", "/proc/self/fd/2"}};
    for (size_t i = 0; i < 4; i++) {
        char buf[64];
        struct vnode *l = lookup(dev, links[i][0]);
        long n = l ? l->ops->readlink(l, buf, sizeof(buf)) : -1;
        CHECK(n == (long)strlen(links[i][1]) && !memcmp(buf, links[i][1], (size_t)n),
              "/dev/%s -> %s", links[i][0], links[i][1]);
        vnode_put(l);
    }
    CHECK(attr_of(dev, "pts").mode == (S_IFDIR | 0755), "/dev/pts");
    CHECK(attr_of(dev, "shm").mode == (S_IFDIR | 01777), "/dev/shm is sticky and open to all");
    struct collect c;
    CHECK(list_dir(dev, &c) == 0 && c.n == 2 + 6 + 4 + 2, "nothing else in /dev");

    u8 buf[1000];
    struct vnode *v = lookup(dev, "null");
    struct file *f = open_v(v, O_RDWR, &err);
    CHECK(f && f->ops->read(f, (uptr)buf, 10, 0) == 0 && f->ops->write(f, BAD_GUEST, 10, 0) == 10,
          "null: reads nothing, swallows writes unread");
    file_put(f);
    vnode_put(v);

    v = lookup(dev, "zero");
    f = open_v(v, O_RDWR, &err);
    memset(buf, 0xff, sizeof(buf));
    bool zero = f && f->ops->read(f, (uptr)buf, 700, 0) == 700 && buf[700] == 0xff;
    for (int i = 0; i < 700; i++)
        zero = zero && buf[i] == 0;
    CHECK(zero, "zero: reads zeroes");
    CHECK(f->ops->write(f, (uptr)buf, 5, 0) == 5, "zero: swallows writes");
    CHECK(f->ops->read(f, BAD_GUEST, 5, 0) == -EFAULT, "zero: EFAULT");
    CHECK(f->ops->map_handle && f->ops->map_handle(f) == -ENODEV, "zero: mmap as anonymous");
    file_put(f);
    vnode_put(v);

    v = lookup(dev, "full");
    f = open_v(v, O_RDWR, &err);
    memset(buf, 0xff, sizeof(buf));
    CHECK(f && f->ops->read(f, (uptr)buf, 3, 0) == 3 && !buf[0] && !buf[2] &&
              f->ops->write(f, (uptr)buf, 3, 0) == -ENOSPC,
          "full: reads zeroes, writes ENOSPC");
    file_put(f);
    vnode_put(v);

    const char *rnd[] = {"random", "urandom"};
    for (int k = 0; k < 2; k++) {
        v = lookup(dev, rnd[k]);
        f = open_v(v, O_RDWR, &err);
        memset(buf, 0, sizeof(buf));
        bool filled = f && f->ops->read(f, (uptr)buf, 999, 0) == 999 && buf[999] == 0;
        for (int i = 0; i < 999; i++)
            filled = filled && buf[i] != 0; /* the stub never makes a zero byte */
        CHECK(filled, "%s: 999 bytes through the 256-byte bounce buffer", rnd[k]);
        CHECK(f->ops->write(f, (uptr)buf, 8, 0) == 8, "%s: writes are accepted", rnd[k]);
        CHECK(f->ops->read(f, BAD_GUEST, 8, 0) == -EFAULT, "%s: EFAULT", rnd[k]);
        random_fail = 1;
        CHECK(f->ops->read(f, (uptr)buf, 8, 0) == -EIO, "%s: the host's error", rnd[k]);
        random_fail = 0;
        file_put(f);
        vnode_put(v);
    }

    v = lookup(dev, "tty");
    f = open_v(v, O_RDWR, &err);
    CHECK(f && f->ops == &tty_stub_ops && tty_opens == 1, "tty: the console opens it");
    file_put(f);
    vnode_put(v);

    struct file *raw = file_alloc(NULL, O_RDWR, NULL);
    CHECK(chrdev_open(mkdev(1, 1), raw) == -ENXIO && chrdev_open(mkdev(5, 1), raw) == -ENXIO,
          "other devices: ENXIO");
    CHECK(chrdev_open(mkdev(1, 9), raw) == 0 && raw->ops && raw->ops->poll(raw, POLLIN) & POLLIN,
          "chrdev_open by number");
    file_put(raw);
    vnode_put(dev);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("devfs");
}

/* Dropping the root frees the whole tree, without recursion however deep it is; a directory
 * still held outlives its parent. */
static void test_teardown(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);
    struct vnode *d = vnode_get(root);
    bool ok = true;
    for (int i = 0; i < 100000 && ok; i++) {
        struct vnode *next;
        ok = mkdir_(d, "d") == 0 && (next = lookup(d, "d")) != NULL;
        if (i % 1000 == 0)
            mknode(d, "f", S_IFREG | 0644, 0);
        vnode_put(d);
        d = ok ? next : NULL;
    }
    CHECK(ok, "a chain of 100000 directories");
    vnode_put(d);

    mkdir_(root, "kept");
    struct vnode *kept = lookup(root, "kept");
    mknode(kept, "inner", S_IFREG | 0644, 0);
    struct vnode *open_file = mkfile(root, "open");
    vnode_put(root);
    CHECK(kmem_in_use() > base, "held nodes survive the root");
    CHECK(lookup_err(kept, "inner") == 0 && attr(kept).nlink == 0 &&
              dotdot_ino(kept) == attr(kept).ino,
          "an orphaned directory still looks up its entries");
    CHECK(mkdir_(kept, "new") == -ENOENT, "but takes no new ones");
    CHECK(attr(open_file).nlink == 0, "an orphaned file has no links");
    vnode_put(open_file);
    vnode_put(kept);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("teardown");
}

/* The moment between a vnode's count reaching zero and its release, played by hand in both
 * orders: a lookup then must bind a fresh vnode, and the node must outlive both. */
static void test_revive(void)
{
    size_t base = kmem_in_use();
    struct vnode *root = tmpfs_new(0755);

    for (int order = 0; order < 2; order++) {
        struct vnode *v = mkfile(root, "f");
        __atomic_store_n(&v->refs, 0, __ATOMIC_RELAXED); /* vnode_put's decrement */
        struct vnode *w = lookup(root, "f");
        CHECK(w && w != v && w->refs == 1, "a dying vnode is not handed out again");
        CHECK(root->ops->unlink(root, "f") == 0, "unlink meanwhile");
        if (order == 0) {
            v->ops->release(v); /* the rest of vnode_put */
            kfree(v);
            CHECK(attr(w).nlink == 0, "the fresh vnode still reaches the node");
            vnode_put(w);
        } else {
            vnode_put(w);
            v->ops->release(v);
            kfree(v);
        }
    }
    vnode_put(root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("revive");
}

/* Lookups racing with unlink and with the last vnode_put of the same node: a vnode whose count
 * reached zero must never be handed out again. */
static struct vnode *race_root;
static volatile int race_stop;

static void *race_lookup(void *arg)
{
    long bad = 0;
    (void)arg;
    while (!race_stop) {
        struct vnode *v = lookup(race_root, "f");
        if (v) {
            struct vattr a = attr(v);
            bad += a.ino == 0 || !S_ISREG(a.mode);
            vnode_put(v);
        }
    }
    return (void *)bad;
}

static void *race_io(void *arg)
{
    long bad = 0;
    char buf[8];
    (void)arg;
    while (!race_stop) {
        struct vnode *v = lookup(race_root, "f");
        if (!v)
            continue;
        struct file *f = open_ok(v);
        bad += put_str(f, "abcd", 0) != 4 || get(f, buf, 4, 0) != 4;
        file_put(f);
        vnode_put(v);
    }
    return (void *)bad;
}

static void test_threads(void)
{
    size_t base = kmem_in_use();
    pthread_t th[3];
    long bad = 0;

    race_root = tmpfs_new(0755);
    race_stop = 0;
    pthread_create(&th[0], NULL, race_lookup, NULL);
    pthread_create(&th[1], NULL, race_lookup, NULL);
    pthread_create(&th[2], NULL, race_io, NULL);
    for (int i = 0; i < 30000; i++) {
        mknode(race_root, "f", S_IFREG | 0644, 0);
        if (i % 3 == 0)
            race_root->ops->rename(race_root, "f", race_root, "g", 0);
        race_root->ops->unlink(race_root, i % 3 == 0 ? "g" : "f");
    }
    race_stop = 1;
    for (int t = 0; t < 3; t++) {
        void *r;
        pthread_join(th[t], &r);
        bad += (long)r;
    }
    CHECK(bad == 0, "%ld bad results from racing threads", bad);
    vnode_put(race_root);
    CHECK(kmem_in_use() == base, "no leak: %zu bytes still in use", kmem_in_use() - base);
    group_end("threads");
}

int main(void)
{
    kmem_init(test_page_alloc, test_page_free);
    size_t base = kmem_in_use();
    test_basic();
    test_data();
    test_big();
    test_dirs();
    test_readdir();
    test_symlinks();
    test_links();
    test_rename();
    test_setattr();
    test_special();
    test_devfs();
    test_teardown();
    test_revive();
    test_threads();
    CHECK(kmem_in_use() == base, "kmem_in_use back to its baseline");
    group_end("overall");
    return unit_summary();
}
