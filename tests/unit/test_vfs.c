/* test_vfs.c: hosted unit test of the mount table and path resolution (src/kernel/vfs.c). */
/* The kernel and lib sources are compiled with tests/unit/husk_rename.h forced in (see
 * tests/unit/vfs.frag), as for test_tmpfs.c. The file systems are tmpfs instances: one mounted
 * at "/", one at /mnt/a and one at /mnt/a/b. The tree is built and the expected results are
 * found with the file systems' own vnode operations (walk_fs below), never with vfs_resolve,
 * so every check compares the VFS against an independent answer: the vnode (tmpfs hands out
 * one vnode per node while it is referenced, so pointers compare), the mount and the
 * canonical path. The mount table is global and has no unmount: the mounts made by
 * test_mounts stay for the whole run, and the heap baseline is taken after them. */
#define _GNU_SOURCE

#include "husk_rename.h"
#include "../../src/kernel/vfs.h"
#include "../../src/platform/platform.h"
#define UNIT_STUB_GUEST
#define UNIT_STUB_CLOCK
#define UNIT_STUB_CHRDEV
#define UNIT_STUB_PANIC
#define UNIT_STUB_HOST_HEAP
#define UNIT_STUB_PAGES
#include "unit.h"

/* ---- The file systems, seen without the VFS ---- */

static struct vnode *fs_root, *fs_a, *fs_b; /* tmpfs roots mounted at /, /mnt/a, /mnt/a/b */
static struct mount *m_root, *m_a, *m_b;
static struct vfs_start rs; /* the real root: fs_root, m_root, "/" */

/* The vnode at rel ("a/b/c", "" for the root itself) inside one file system, walked with its
 * own lookup: no mount is crossed and no symlink followed. A new reference, or NULL. */
static struct vnode *walk_fs(struct vnode *fsroot, const char *rel)
{
    struct vnode *cur = vnode_get(fsroot);
    char name[NAME_MAX + 1];
    while (*rel) {
        const char *end = strchr(rel, '/');
        size_t n = end ? (size_t)(end - rel) : strlen(rel);
        memcpy(name, rel, n);
        name[n] = 0;
        struct vnode *next = NULL;
        int err = cur->ops->lookup(cur, name, &next);
        vnode_put(cur);
        if (err)
            return NULL;
        cur = next;
        rel = end ? end + 1 : rel + n;
    }
    return cur;
}

/* Makes rel inside one file system: a directory (S_IFDIR), a regular file (S_IFREG) or a
 * symlink to target (S_IFLNK). The parent must exist. */
static int make(struct vnode *fsroot, const char *rel, u32 type, const char *target)
{
    const char *slash = strrchr(rel, '/');
    char parent[PATH_MAX];
    size_t n = slash ? (size_t)(slash - rel) : 0;
    memcpy(parent, rel, n);
    parent[n] = 0;
    struct vnode *dir = walk_fs(fsroot, parent);
    if (!dir)
        return -ENOENT;
    const char *name = slash ? slash + 1 : rel;
    int err;
    if (type == S_IFDIR)
        err = dir->ops->mkdir(dir, name, 0755, 0, 0);
    else if (type == S_IFLNK)
        err = dir->ops->symlink(dir, name, target, 0, 0);
    else
        err = dir->ops->create(dir, name, S_IFREG | 0644, 0, 0, 0, NULL);
    vnode_put(dir);
    return err;
}

static struct mount *mount_named(const char *path)
{
    for (struct mount *m = vfs_mounts(); m; m = m->next)
        if (!strcmp(m->path, path))
            return m;
    return NULL;
}

/* A starting directory (or file, for LOOKUP_EMPTY) as the shim would build one for a cwd or
 * a dirfd: the vnode found in fs at rel, its mount and its canonical path. Release with
 * start_put. */
static struct vfs_start start_at(struct vnode *fs, const char *rel, struct mount *m,
                                 const char *path)
{
    struct vnode *v = walk_fs(fs, rel);
    if (!v) {
        fprintf(stderr, "start_at: %s missing from its file system\n", rel);
        abort();
    }
    return (struct vfs_start){v, m, path};
}

static void start_put(struct vfs_start *s)
{
    vnode_put(s->dir);
    s->dir = NULL;
}

/* ---- Checking helpers ---- */

static void expect_ok(int line, const struct vfs_start *root, const struct vfs_start *start,
                      const char *path, int flags, struct vnode *fs, const char *rel,
                      struct mount *m, const char *canon)
{
    struct resolved r;
    struct vnode *want = walk_fs(fs, rel);
    int err = vfs_resolve(root, start, path, flags, &r);
    CHECK_AT(line, want != NULL, "expected vnode %s missing from its file system", rel);
    CHECK_AT(line, err == 0, "'%.60s' (flags %d): error %d", path, flags, err);
    if (!err) {
        CHECK_AT(line, r.vnode == want, "'%.60s': wrong vnode (path %s)", path, r.path);
        CHECK_AT(line, !strcmp(r.path, canon), "'%.60s': canonical path '%s', want '%s'", path,
                 r.path, canon);
        CHECK_AT(line, r.mnt == m, "'%.60s': wrong mount (%s)", path, r.mnt ? r.mnt->path : "none");
        resolved_put(&r);
    }
    vnode_put(want);
}

static void expect_err(int line, const struct vfs_start *root, const struct vfs_start *start,
                       const char *path, int flags, int want)
{
    struct resolved r;
    memset(&r, 0x5a, sizeof(r)); /* vfs_resolve must clear it even when it fails */
    int err = vfs_resolve(root, start, path, flags, &r);
    CHECK_AT(line, err == want, "'%.60s' (flags %d): %d, want %d", path, flags, err, want);
    if (!err)
        resolved_put(&r);
    else
        CHECK_AT(line, !r.vnode && !r.path, "'%.60s': a failed resolve leaves out cleared", path);
}

/* LOOKUP_PARENT: the parent directory (fs, rel, m, canon), the last component and whether the
 * path ended in '/'. */
static void expect_parent(int line, const struct vfs_start *root, const struct vfs_start *start,
                          const char *path, int flags, struct vnode *fs, const char *rel,
                          struct mount *m, const char *canon, const char *last, bool trailing)
{
    struct resolved r;
    struct vnode *want = walk_fs(fs, rel);
    int err = vfs_resolve(root, start, path, flags | LOOKUP_PARENT, &r);
    CHECK_AT(line, err == 0, "parent of '%.60s': error %d", path, err);
    if (!err) {
        CHECK_AT(line, r.vnode == want && r.mnt == m && !strcmp(r.path, canon),
                 "parent of '%.60s': got '%s', want '%s'", path, r.path, canon);
        CHECK_AT(line, !strcmp(r.last, last), "parent of '%.60s': last '%s', want '%s'", path,
                 r.last, last);
        CHECK_AT(line, r.trailing_slash == trailing, "parent of '%.60s': trailing_slash %d", path,
                 r.trailing_slash);
        resolved_put(&r);
    }
    vnode_put(want);
}

/* Resolves path (absolute, from the real root) to a symlink and checks it is the link itself. */
static void expect_link(int line, const char *path, int flags, const char *canon)
{
    struct resolved r;
    int err = vfs_resolve(&rs, &rs, path, flags, &r);
    CHECK_AT(line, err == 0 && S_ISLNK(r.vnode->type) && !strcmp(r.path, canon),
             "'%s' (flags %d): %d, want the symlink itself", path, flags, err);
    if (!err)
        resolved_put(&r);
}

#define OK(root, start, path, flags, fs, rel, m, canon)                                            \
    expect_ok(__LINE__, root, start, path, flags, fs, rel, m, canon)
#define ERR(root, start, path, flags, e) expect_err(__LINE__, root, start, path, flags, e)
#define PARENT(root, start, path, flags, fs, rel, m, canon, last, trailing)                        \
    expect_parent(__LINE__, root, start, path, flags, fs, rel, m, canon, last, trailing)
#define LINK(path, flags, canon) expect_link(__LINE__, path, flags, canon)
/* Shorthands for the common case: from the real root, into the root file system. */
#define ROOT_OK(path, flags, rel, canon) OK(&rs, &rs, path, flags, fs_root, rel, m_root, canon)
#define ROOT_ERR(path, flags, e) ERR(&rs, &rs, path, flags, e)

#define F LOOKUP_FOLLOW

/* Heap use checked at the end of each group: resolution must give back all it allocates. */
static size_t group_heap;

static void heap_mark(void)
{
    group_heap = kmem_in_use();
}

static void heap_check(int line)
{
    size_t now = kmem_in_use();
    CHECK_AT(line, now == group_heap, "heap: %zu bytes in use, %zu before the group", now,
             group_heap);
    /* A reference leaked on a vnode that lives on anyway (a file system's root) costs no
     * memory: count them. Each root has its mount's reference, nothing else. */
    CHECK_AT(line, fs_root->refs == 1 && fs_a->refs == 1 && fs_b->refs == 1,
             "root vnode references: %d %d %d, want 1 each", fs_root->refs, fs_a->refs, fs_b->refs);
}

/* ---- Tests ---- */

/* Mounts the three file systems (mkdir -p of the mount points) and the refusals of vfs_mount.
 * Builds the rest of the tree too, used by the later groups. */
static void test_mounts(void)
{
    fs_root = tmpfs_new(0755);
    fs_a = tmpfs_new(0755);
    fs_b = tmpfs_new(0755);
    CHECK(fs_root && fs_a && fs_b, "tmpfs_new");

    struct vnode *x = tmpfs_new(0755);
    CHECK(vfs_mount("/mnt/x", x, 0) == -ENOENT, "a mount before the root's: ENOENT");
    CHECK(vfs_mount("/", fs_root, 0) == 0, "mount the root");
    m_root = mount_named("/");
    CHECK(m_root && m_root->root == fs_root && m_root->pathlen == 1, "the root mount");
    rs = (struct vfs_start){fs_root, m_root, "/"};

    /* The tree of the root file system, before the other mounts. */
    static const struct {
        const char *rel;
        u32 type;
        const char *target;
    } tree[] = {
        {"etc", S_IFDIR, NULL},
        {"etc/passwd", S_IFREG, NULL},
        {"dir", S_IFDIR, NULL},
        {"dir/file", S_IFREG, NULL},
        {"dir/sub", S_IFDIR, NULL},
        {"dir/sub/deep", S_IFREG, NULL},
        {"dir/sub/rel", S_IFLNK, "../file"},      /* relative to the link's directory */
        {"dir/up", S_IFLNK, "../etc"},            /* relative, through ".." */
        {"lnk_dir", S_IFLNK, "dir"},              /* relative, to a directory */
        {"lnk_abs", S_IFLNK, "/dir"},             /* absolute, to a directory */
        {"lnk_file", S_IFLNK, "dir/file"},        /* to a file */
        {"lnk_sub", S_IFLNK, "/dir/sub"},         /* two levels down, for ".." after it */
        {"lnk_root", S_IFLNK, "/"},               /* to the root itself */
        {"lnk_mnt", S_IFLNK, "/mnt"},             /* to the directory holding mount points */
        {"lnk_dots", S_IFLNK, "../../../../etc"}, /* climbs past the root */
        {"dangling", S_IFLNK, "nowhere"},
        {"loop1", S_IFLNK, "loop2"},
        {"loop2", S_IFLNK, "/loop1"},
        {"self", S_IFLNK, "self"},
        {"slashes", S_IFLNK, "//dir//sub//"}, /* doubled and trailing slashes in a target */
        /* A directory used as a chroot-style root. */
        {"jail", S_IFDIR, NULL},
        {"jail/target", S_IFDIR, NULL},
        {"jail/target/t", S_IFREG, NULL},
        {"jail/etc", S_IFDIR, NULL},
        {"jail/etc/passwd", S_IFREG, NULL},
        {"jail/abs", S_IFLNK, "/target"},
        {"jail/pw", S_IFLNK, "/etc/passwd"}, /* the jail's own, never the real one */
        {"jail/esc", S_IFLNK, "../../.."},
        {"jail/root", S_IFLNK, "/"},
        {"jail/deep", S_IFLNK, "/../../target"},
        {"jail/target/back", S_IFLNK, "../../../../etc"},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
        bad += make(fs_root, tree[i].rel, tree[i].type, tree[i].target) != 0;
    CHECK(bad == 0, "%d nodes of the tree could not be made", bad);

    struct vnode *v;
    CHECK(vfs_mount("mnt/x", x, 0) == -EINVAL, "relative mount path: EINVAL");
    CHECK(vfs_mount("/mnt/x/", x, 0) == -EINVAL, "mount path with a trailing slash: EINVAL");
    v = walk_fs(fs_root, "mnt");
    CHECK(v == NULL, "refused mounts made nothing");
    vnode_put(v);

    /* mkdir -p: /mnt and /mnt/a are made in the root file system. */
    CHECK(vfs_mount("/mnt/a", fs_a, 0) == 0, "mount at /mnt/a");
    v = walk_fs(fs_root, "mnt/a");
    CHECK(v && S_ISDIR(v->type), "the mount point /mnt/a was made as a directory");
    vnode_put(v);
    /* The nested mount point is made in the file system mounted at /mnt/a, not in the root's. */
    CHECK(vfs_mount("/mnt/a/b", fs_b, MNT_RDONLY) == 0, "mount at /mnt/a/b");
    v = walk_fs(fs_a, "b");
    CHECK(v && S_ISDIR(v->type), "/mnt/a/b was made in the file system at /mnt/a");
    vnode_put(v);
    v = walk_fs(fs_root, "mnt/a/b");
    CHECK(v == NULL, "and not in the root file system beneath the mount");
    vnode_put(v);
    m_a = mount_named("/mnt/a");
    m_b = mount_named("/mnt/a/b");
    CHECK(m_a && m_a->root == fs_a && m_a->flags == 0 && m_a->pathlen == 6, "mount /mnt/a");
    CHECK(m_b && m_b->root == fs_b && m_b->flags == MNT_RDONLY, "mount /mnt/a/b");

    /* A mount point several levels deep is made level by level. */
    struct vnode *deep = tmpfs_new(0755);
    CHECK(vfs_mount("/new/x/y", deep, 0) == 0, "mount at a path of three new levels");
    v = walk_fs(fs_root, "new/x/y");
    CHECK(v && S_ISDIR(v->type), "/new/x/y made");
    vnode_put(v);

    /* A symlink anywhere on the way is refused, and nothing is made behind it. */
    CHECK(vfs_mount("/lnk_mnt/c", x, 0) == -EINVAL, "mount through a symlink: EINVAL");
    CHECK(vfs_mount("/lnk_mnt", x, 0) == -EINVAL, "mount on a symlink: EINVAL");
    CHECK(vfs_mount("/lnk_dir/sub/c", x, 0) == -EINVAL, "symlink higher up: EINVAL");
    CHECK(vfs_mount("/dangling/c", x, 0) == -EINVAL, "dangling symlink: EINVAL");
    v = walk_fs(fs_root, "mnt/c");
    CHECK(v == NULL, "nothing made at the symlink's target");
    vnode_put(v);
    CHECK(vfs_mount("/etc/passwd", x, 0) == -ENOTDIR, "a directory over a file: ENOTDIR");
    CHECK(vfs_mount("/etc/passwd/x", x, 0) == -ENOTDIR, "through a file: ENOTDIR");

    /* The list is kept longest path first, so the innermost mount is found first. */
    size_t prev = ~(size_t)0;
    int n = 0, order_bad = 0;
    for (struct mount *m = vfs_mounts(); m; m = m->next, n++) {
        order_bad += m->pathlen > prev;
        prev = m->pathlen;
    }
    CHECK(n == 4 && order_bad == 0, "4 mounts, longest path first (%d, %d out of order)", n,
          order_bad);

    /* A second mount at the same path covers the first, as in Linux: husk's own defaults are
     * mounted before the user's --tmpfs/--ro/--rw, which must win (say over /tmp). */
    struct vnode *s1 = tmpfs_new(0755), *s2 = tmpfs_new(0755);
    CHECK(vfs_mount("/stack", s1, 0) == 0 && vfs_mount("/stack", s2, 0) == 0, "mount twice");
    OK(&rs, &rs, "/stack", 0, s2, "", mount_named("/stack"), "/stack");
    struct resolved r;
    CHECK(vfs_resolve(&rs, &rs, "/stack", 0, &r) == 0 && r.vnode == s2 && r.mnt->root == s2,
          "the later mount is the one seen");
    if (r.vnode)
        resolved_put(&r);

    /* Content in the root file system beneath a mount point is hidden by the mount. */
    CHECK(make(fs_root, "mnt/a/hidden", S_IFREG, NULL) == 0, "file beneath the mount point");

    /* The rest of the tree, inside the mounted file systems. */
    bad = make(fs_a, "fa", S_IFREG, NULL) != 0;
    bad += make(fs_a, "up", S_IFLNK, "../..") != 0; /* climbs out of the mount */
    bad += make(fs_a, "tob", S_IFLNK, "b/fb") != 0; /* down into the nested mount */
    bad += make(fs_b, "fb", S_IFREG, NULL) != 0;
    bad += make(fs_b, "toroot", S_IFLNK, "/") != 0;
    bad += make(fs_b, "parent", S_IFLNK, "..") != 0; /* the mounted-on directory /mnt/a */
    bad += make(fs_b, "todir", S_IFLNK, "../../../dir") != 0;
    CHECK(bad == 0, "tree in the mounted file systems");

    /* A mount takes over the caller's reference to its root; x was never mounted. */
    vnode_put(x);
    group_end("mounts");
}

/* Absolute and relative paths, the canonical path, mounts crossed downwards. */
static void test_basic(void)
{
    heap_mark();
    ROOT_OK("/", 0, "", "/");
    ROOT_OK("/dir", 0, "dir", "/dir");
    ROOT_OK("/dir/file", 0, "dir/file", "/dir/file");
    ROOT_OK("//dir///file", 0, "dir/file", "/dir/file");
    ROOT_OK("/./dir/./sub/.", 0, "dir/sub", "/dir/sub");
    ROOT_OK("dir/sub/deep", 0, "dir/sub/deep", "/dir/sub/deep");
    ROOT_ERR("/missing", 0, -ENOENT);
    ROOT_ERR("/dir/missing/x", 0, -ENOENT);
    ROOT_ERR("/dir/file/x", 0, -ENOTDIR);
    ROOT_ERR("/dir/file/.", 0, -ENOTDIR);
    ROOT_ERR("/dir/file/..", 0, -ENOTDIR);

    /* Relative paths go from the start, absolute ones from the root. */
    struct vfs_start dir = start_at(fs_root, "dir", m_root, "/dir");
    OK(&rs, &dir, "file", 0, fs_root, "dir/file", m_root, "/dir/file");
    OK(&rs, &dir, "sub/deep", 0, fs_root, "dir/sub/deep", m_root, "/dir/sub/deep");
    OK(&rs, &dir, ".", 0, fs_root, "dir", m_root, "/dir");
    OK(&rs, &dir, "./sub/./", 0, fs_root, "dir/sub", m_root, "/dir/sub");
    OK(&rs, &dir, "/etc/passwd", 0, fs_root, "etc/passwd", m_root, "/etc/passwd");
    ERR(&rs, &dir, "passwd", 0, -ENOENT);

    /* Mounts are crossed by canonical path, however the path is spelled. */
    OK(&rs, &rs, "/mnt/a", 0, fs_a, "", m_a, "/mnt/a");
    OK(&rs, &rs, "/mnt/a/fa", 0, fs_a, "fa", m_a, "/mnt/a/fa");
    OK(&rs, &rs, "/mnt/a/b", 0, fs_b, "", m_b, "/mnt/a/b");
    OK(&rs, &rs, "/mnt/a/b/fb", 0, fs_b, "fb", m_b, "/mnt/a/b/fb");
    OK(&rs, &rs, "//mnt//a//b//fb", 0, fs_b, "fb", m_b, "/mnt/a/b/fb");
    OK(&rs, &rs, "/mnt/./a/./b/.", 0, fs_b, "", m_b, "/mnt/a/b");
    OK(&rs, &rs, "mnt/a/b", 0, fs_b, "", m_b, "/mnt/a/b");
    OK(&rs, &rs, "/new/x/y", 0, mount_named("/new/x/y")->root, "", mount_named("/new/x/y"),
       "/new/x/y");
    ROOT_ERR("/mnt/a/hidden", 0, -ENOENT); /* covered by the mount */
    ERR(&rs, &rs, "/mnt/a/b/fa", 0, -ENOENT);
    struct vfs_start a = start_at(fs_a, "", m_a, "/mnt/a");
    OK(&rs, &a, "b/fb", 0, fs_b, "fb", m_b, "/mnt/a/b/fb");
    OK(&rs, &a, "fa", 0, fs_a, "fa", m_a, "/mnt/a/fa");
    OK(&rs, &a, "/dir", 0, fs_root, "dir", m_root, "/dir");

    /* LOOKUP_DIRECTORY. */
    ROOT_OK("/dir", LOOKUP_DIRECTORY, "dir", "/dir");
    ROOT_ERR("/dir/file", LOOKUP_DIRECTORY, -ENOTDIR);
    ROOT_ERR("/lnk_dir", LOOKUP_DIRECTORY, -ENOTDIR); /* the link itself, not followed */
    ROOT_OK("/lnk_dir", LOOKUP_DIRECTORY | F, "dir", "/dir");
    start_put(&dir);
    start_put(&a);
    heap_check(__LINE__);
    group_end("basic");
}

/* The empty path: ENOENT, or with LOOKUP_EMPTY the start itself, even a file. */
static void test_empty(void)
{
    heap_mark();
    struct vfs_start dir = start_at(fs_root, "dir", m_root, "/dir");
    struct vfs_start file = start_at(fs_root, "dir/file", m_root, "/dir/file");
    ERR(&rs, &dir, "", 0, -ENOENT);
    ERR(&rs, &dir, "", F, -ENOENT);
    ERR(&rs, &file, "", 0, -ENOENT);
    OK(&rs, &dir, "", LOOKUP_EMPTY, fs_root, "dir", m_root, "/dir");
    OK(&rs, &file, "", LOOKUP_EMPTY, fs_root, "dir/file", m_root, "/dir/file");
    ERR(&rs, &file, "", LOOKUP_EMPTY | LOOKUP_DIRECTORY, -ENOTDIR);
    ERR(&rs, &file, "x", 0, -ENOTDIR);
    ERR(&rs, &file, ".", 0, -ENOTDIR);
    /* LOOKUP_EMPTY changes nothing for a non-empty path. */
    OK(&rs, &dir, "sub", LOOKUP_EMPTY, fs_root, "dir/sub", m_root, "/dir/sub");
    start_put(&dir);
    start_put(&file);
    heap_check(__LINE__);
    group_end("empty");
}

/* ".": stays; "..": the canonical parent, the root's own parent being the root, and the parent
 * of a mounted file system's root being the directory it is mounted on. */
static void test_dotdot(void)
{
    heap_mark();
    ROOT_OK("/..", 0, "", "/");
    ROOT_OK("/../../..", 0, "", "/");
    ROOT_OK("..", 0, "", "/");
    ROOT_OK("/dir/..", 0, "", "/");
    ROOT_OK("/dir/sub/../..", 0, "", "/");
    ROOT_OK("/dir/sub/../file", 0, "dir/file", "/dir/file");
    ROOT_OK("/dir/sub/../../etc/passwd", 0, "etc/passwd", "/etc/passwd");
    ROOT_OK("/dir/../../../dir", 0, "dir", "/dir");
    ROOT_OK("/dir/./../dir/.", 0, "dir", "/dir");
    ROOT_ERR("/missing/..", 0, -ENOENT); /* Linux checks each component, so does husk */

    struct vfs_start sub = start_at(fs_root, "dir/sub", m_root, "/dir/sub");
    OK(&rs, &sub, "..", 0, fs_root, "dir", m_root, "/dir");
    OK(&rs, &sub, "../..", 0, fs_root, "", m_root, "/");
    OK(&rs, &sub, "../../../../..", 0, fs_root, "", m_root, "/");
    OK(&rs, &sub, "../file", 0, fs_root, "dir/file", m_root, "/dir/file");

    /* ".." after a symlink is the parent of the link's target, not of the link. */
    ROOT_OK("/lnk_sub/..", 0, "dir", "/dir");
    ROOT_OK("/lnk_abs/sub/../..", 0, "", "/");
    ROOT_OK("/dir/up/..", 0, "", "/"); /* up -> ../etc: /etc/.. */

    /* Across mount points, upwards. */
    OK(&rs, &rs, "/mnt/a/..", 0, fs_root, "mnt", m_root, "/mnt");
    OK(&rs, &rs, "/mnt/a/b/..", 0, fs_a, "", m_a, "/mnt/a");
    OK(&rs, &rs, "/mnt/a/b/../fa", 0, fs_a, "fa", m_a, "/mnt/a/fa");
    OK(&rs, &rs, "/mnt/a/b/../..", 0, fs_root, "mnt", m_root, "/mnt");
    OK(&rs, &rs, "/mnt/a/b/../../..", 0, fs_root, "", m_root, "/");
    OK(&rs, &rs, "/mnt/a/b/../b/fb", 0, fs_b, "fb", m_b, "/mnt/a/b/fb");
    OK(&rs, &rs, "/new/x/y/..", 0, fs_root, "new/x", m_root, "/new/x");
    struct vfs_start b = start_at(fs_b, "", m_b, "/mnt/a/b");
    OK(&rs, &b, "..", 0, fs_a, "", m_a, "/mnt/a");
    OK(&rs, &b, "../fa", 0, fs_a, "fa", m_a, "/mnt/a/fa");
    OK(&rs, &b, "../../..", 0, fs_root, "", m_root, "/");
    OK(&rs, &b, "../../a/b/fb", 0, fs_b, "fb", m_b, "/mnt/a/b/fb");
    /* The hidden file under the mount point stays hidden when reached through "..". */
    ERR(&rs, &b, "../../a/hidden", 0, -ENOENT);
    start_put(&sub);
    start_put(&b);
    heap_check(__LINE__);
    group_end("dotdot");
}

/* A trailing slash asks for a directory: it follows a final symlink and fails on a file. */
static void test_trailing(void)
{
    heap_mark();
    ROOT_OK("/dir/", 0, "dir", "/dir");
    ROOT_OK("/dir//", 0, "dir", "/dir");
    ROOT_OK("/dir/sub/./", 0, "dir/sub", "/dir/sub");
    OK(&rs, &rs, "/mnt/a/b/", 0, fs_b, "", m_b, "/mnt/a/b");
    ROOT_ERR("/dir/file/", 0, -ENOTDIR);
    ROOT_ERR("/dir/file//", F, -ENOTDIR);
    ROOT_ERR("/etc/passwd/", LOOKUP_DIRECTORY, -ENOTDIR);
    ROOT_ERR("/missing/", 0, -ENOENT);
    /* A final symlink is followed when a slash follows it, even without LOOKUP_FOLLOW. */
    ROOT_OK("/lnk_dir/", 0, "dir", "/dir");
    ROOT_OK("/lnk_abs/", 0, "dir", "/dir");
    ROOT_ERR("/lnk_file/", 0, -ENOTDIR);
    ROOT_ERR("/dangling/", 0, -ENOENT);
    /* A target with doubled and trailing slashes of its own. */
    ROOT_OK("/slashes", F, "dir/sub", "/dir/sub");
    ROOT_OK("/slashes/deep", 0, "dir/sub/deep", "/dir/sub/deep");
    heap_check(__LINE__);
    group_end("trailing");
}

/* Symlinks: final ones followed only with LOOKUP_FOLLOW, intermediate ones always; relative
 * targets from the link's directory, absolute ones from the root. */
static void test_symlinks(void)
{
    heap_mark();
    LINK("/lnk_file", 0, "/lnk_file");
    ROOT_OK("/lnk_file", F, "dir/file", "/dir/file");
    LINK("/lnk_dir", 0, "/lnk_dir");
    ROOT_OK("/lnk_dir", F, "dir", "/dir");
    ROOT_OK("/lnk_dir/file", 0, "dir/file", "/dir/file");
    ROOT_OK("/lnk_abs/sub/deep", 0, "dir/sub/deep", "/dir/sub/deep");
    LINK("/dir/sub/rel", 0, "/dir/sub/rel");
    ROOT_OK("/dir/sub/rel", F, "dir/file", "/dir/file");
    ROOT_OK("/dir/up/passwd", 0, "etc/passwd", "/etc/passwd");
    ROOT_OK("/lnk_dir/up/passwd", 0, "etc/passwd", "/etc/passwd");
    ROOT_OK("/lnk_root", F, "", "/");
    ROOT_OK("/lnk_root/lnk_root/dir", 0, "dir", "/dir");
    ROOT_OK("/lnk_dots/passwd", 0, "etc/passwd", "/etc/passwd"); /* ".." stops at the root */
    LINK("/dangling", 0, "/dangling");
    ROOT_ERR("/dangling", F, -ENOENT);

    /* Through and into mounts. */
    OK(&rs, &rs, "/lnk_mnt/a/b/fb", 0, fs_b, "fb", m_b, "/mnt/a/b/fb");
    OK(&rs, &rs, "/lnk_mnt/a", F, fs_a, "", m_a, "/mnt/a");
    OK(&rs, &rs, "/mnt/a/up", F, fs_root, "", m_root, "/");
    OK(&rs, &rs, "/mnt/a/up/dir/file", 0, fs_root, "dir/file", m_root, "/dir/file");
    OK(&rs, &rs, "/mnt/a/tob", F, fs_b, "fb", m_b, "/mnt/a/b/fb");
    OK(&rs, &rs, "/mnt/a/b/toroot", F, fs_root, "", m_root, "/");
    OK(&rs, &rs, "/mnt/a/b/parent", F, fs_a, "", m_a, "/mnt/a");
    OK(&rs, &rs, "/mnt/a/b/parent/fa", 0, fs_a, "fa", m_a, "/mnt/a/fa");
    OK(&rs, &rs, "/mnt/a/b/todir/file", 0, fs_root, "dir/file", m_root, "/dir/file");
    struct resolved r;
    CHECK(vfs_resolve(&rs, &rs, "/mnt/a/b/toroot", 0, &r) == 0 && S_ISLNK(r.vnode->type) &&
              r.mnt == m_b && !strcmp(r.path, "/mnt/a/b/toroot"),
          "an unfollowed link keeps the mount it lives in");
    if (r.vnode)
        resolved_put(&r);

    /* Loops. */
    ROOT_ERR("/loop1", F, -ELOOP);
    ROOT_ERR("/loop2/x", 0, -ELOOP);
    ROOT_ERR("/self", F, -ELOOP);
    ROOT_ERR("/self/", 0, -ELOOP);
    LINK("/loop1", 0, "/loop1");
    LINK("/self", 0, "/self");
    heap_check(__LINE__);
    group_end("symlinks");
}

/* At most 40 symlinks in one resolution (Linux's MAXSYMLINKS), counted over the whole path. */
static void test_symloop_max(void)
{
    char name[64], target[64];
    /* Chains cN_0 -> cN_1 -> ... -> cN_{N-1} -> /dir/file: resolving cN_0 follows N links;
     * dN_* the same ending at /dir. */
    static const struct {
        const char *prefix;
        int n;
        const char *end;
    } chains[] = {{"c40", 40, "/dir/file"},
                  {"c41", 41, "/dir/file"},
                  {"d20", 20, "/dir"},
                  {"d21", 21, "/dir"},
                  {"rel40", 40, "dir/file"}};
    int bad = 0;
    for (size_t c = 0; c < sizeof(chains) / sizeof(chains[0]); c++) {
        for (int i = 0; i < chains[c].n; i++) {
            snprintf(name, sizeof(name), "%s_%d", chains[c].prefix, i);
            if (i + 1 < chains[c].n)
                snprintf(target, sizeof(target), "%s_%d", chains[c].prefix, i + 1);
            else
                snprintf(target, sizeof(target), "%s", chains[c].end);
            bad += make(fs_root, name, S_IFLNK, target) != 0;
        }
    }
    CHECK(bad == 0, "chains made");
    heap_mark();
    ROOT_OK("/c40_0", F, "dir/file", "/dir/file");
    ROOT_ERR("/c41_0", F, -ELOOP);
    ROOT_OK("/c41_1", F, "dir/file", "/dir/file"); /* the same chain less its first link */
    ROOT_OK("/rel40_0", F, "dir/file", "/dir/file");
    LINK("/c41_0", 0, "/c41_0");
    /* 20 + 20 links in one path is 40: fine; 20 + 21 is 41: ELOOP. */
    ROOT_OK("/d20_0/sub/../../d20_0/file", 0, "dir/file", "/dir/file");
    ROOT_ERR("/d20_0/../d21_0/file", 0, -ELOOP);
    ROOT_OK("/d21_0/file", 0, "dir/file", "/dir/file");
    /* A resolution's count does not leak into the next one. */
    ROOT_OK("/c40_0", F, "dir/file", "/dir/file");
    heap_check(__LINE__);
    group_end("symloop");
}

/* An absolute symlink resolves against the given root and nothing climbs above it, even when
 * the root is a subdirectory (chroot-style, with its canonical path "/jail") or a mount. */
static void test_chroot(void)
{
    heap_mark();
    struct vfs_start j = start_at(fs_root, "jail", m_root, "/jail");
    OK(&j, &j, "/", 0, fs_root, "jail", m_root, "/jail");
    OK(&j, &j, "/abs", F, fs_root, "jail/target", m_root, "/jail/target");
    OK(&j, &j, "abs/t", 0, fs_root, "jail/target/t", m_root, "/jail/target/t");
    OK(&j, &j, "/pw", F, fs_root, "jail/etc/passwd", m_root, "/jail/etc/passwd");
    OK(&j, &j, "/etc/passwd", 0, fs_root, "jail/etc/passwd", m_root, "/jail/etc/passwd");
    OK(&j, &j, "/root/etc/passwd", 0, fs_root, "jail/etc/passwd", m_root, "/jail/etc/passwd");
    OK(&j, &j, "/deep", F, fs_root, "jail/target", m_root, "/jail/target");
    OK(&j, &j, "/..", 0, fs_root, "jail", m_root, "/jail");
    OK(&j, &j, "../../..", 0, fs_root, "jail", m_root, "/jail");
    OK(&j, &j, "esc", F, fs_root, "jail", m_root, "/jail");
    OK(&j, &j, "esc/etc/passwd", 0, fs_root, "jail/etc/passwd", m_root, "/jail/etc/passwd");
    ERR(&j, &j, "/dir", 0, -ENOENT); /* the real root's /dir is not visible */
    ERR(&j, &j, "/lnk_abs", 0, -ENOENT);
    /* ".." below the jail's root: the canonical parent inside the jail. */
    OK(&j, &j, "/target/..", 0, fs_root, "jail", m_root, "/jail");
    OK(&j, &j, "/target/../etc/passwd", 0, fs_root, "jail/etc/passwd", m_root, "/jail/etc/passwd");
    OK(&j, &j, "/target/back/passwd", 0, fs_root, "jail/etc/passwd", m_root, "/jail/etc/passwd");
    struct vfs_start jt = start_at(fs_root, "jail/target", m_root, "/jail/target");
    OK(&j, &jt, "..", 0, fs_root, "jail", m_root, "/jail");
    OK(&j, &jt, "../../../..", 0, fs_root, "jail", m_root, "/jail");
    OK(&j, &jt, "../abs/t", 0, fs_root, "jail/target/t", m_root, "/jail/target/t");
    OK(&j, &jt, "t", 0, fs_root, "jail/target/t", m_root, "/jail/target/t");
    PARENT(&j, &j, "/", 0, fs_root, "jail", m_root, "/jail", "", false);
    PARENT(&j, &jt, "../x", 0, fs_root, "jail", m_root, "/jail", "x", false);

    /* A mounted file system as the root: its mount point is as far up as ".." goes. */
    struct vfs_start a = start_at(fs_a, "", m_a, "/mnt/a");
    OK(&a, &a, "/", 0, fs_a, "", m_a, "/mnt/a");
    OK(&a, &a, "..", 0, fs_a, "", m_a, "/mnt/a");
    OK(&a, &a, "/up", F, fs_a, "", m_a, "/mnt/a");
    OK(&a, &a, "/b/toroot", F, fs_a, "", m_a, "/mnt/a");
    OK(&a, &a, "/b/toroot/fa", 0, fs_a, "fa", m_a, "/mnt/a/fa");
    OK(&a, &a, "/b/fb", 0, fs_b, "fb", m_b, "/mnt/a/b/fb");
    OK(&a, &a, "/b/..", 0, fs_a, "", m_a, "/mnt/a");
    OK(&a, &a, "/b/parent/fa", 0, fs_a, "fa", m_a, "/mnt/a/fa");
    ERR(&a, &a, "/b/todir/file", 0, -ENOENT); /* ../../../dir stops at /mnt/a: no dir there */
    start_put(&j);
    start_put(&jt);
    start_put(&a);
    heap_check(__LINE__);
    group_end("chroot");
}

/* NAME_MAX for a component, PATH_MAX for the path as given. */
static void test_names(void)
{
    char name[NAME_MAX + 2], path[PATH_MAX + 64];
    memset(name, 'n', NAME_MAX + 1);
    name[NAME_MAX] = 0; /* 255 bytes: a valid name */
    char rel[NAME_MAX + 8];
    snprintf(rel, sizeof(rel), "dir/%s", name);
    CHECK(make(fs_root, rel, S_IFREG, NULL) == 0, "a 255-byte name in tmpfs");
    heap_mark();
    snprintf(path, sizeof(path), "/dir/%s", name);
    ROOT_OK(path, 0, rel, path);
    snprintf(path, sizeof(path), "/etc/%s", name);
    ROOT_ERR(path, 0, -ENOENT);
    name[NAME_MAX] = 'n'; /* 256 bytes */
    name[NAME_MAX + 1] = 0;
    snprintf(path, sizeof(path), "/dir/%s", name);
    ROOT_ERR(path, 0, -ENAMETOOLONG);
    ERR(&rs, &rs, path, LOOKUP_PARENT, -ENAMETOOLONG);
    snprintf(path, sizeof(path), "/%s/x", name);
    ROOT_ERR(path, 0, -ENAMETOOLONG);
    /* Components are taken in order: a missing directory before the long name is ENOENT. */
    snprintf(path, sizeof(path), "/missing/%s", name);
    ROOT_ERR(path, 0, -ENOENT);

    /* 4095 bytes resolve; 4096 (no room for the NUL in Linux's buffer) do not. */
    memset(path, '/', PATH_MAX - 4);
    strcpy(path + PATH_MAX - 4, "dir");
    CHECK(strlen(path) == PATH_MAX - 1, "path length");
    ROOT_OK(path, 0, "dir", "/dir");
    memset(path, '/', PATH_MAX - 3);
    strcpy(path + PATH_MAX - 3, "dir");
    CHECK(strlen(path) == PATH_MAX, "path length");
    ROOT_ERR(path, 0, -ENAMETOOLONG);
    ERR(&rs, &rs, path, LOOKUP_PARENT, -ENAMETOOLONG);
    memset(path, '.', sizeof(path) - 1); /* far longer, and relative */
    path[sizeof(path) - 1] = 0;
    ROOT_ERR(path, 0, -ENAMETOOLONG);
    heap_check(__LINE__);
    group_end("names");
}

/* LOOKUP_PARENT: the parent of the final component and the component itself, whatever it is. */
static void test_parent(void)
{
    heap_mark();
    PARENT(&rs, &rs, "/dir/file", 0, fs_root, "dir", m_root, "/dir", "file", false);
    PARENT(&rs, &rs, "/dir/newname", 0, fs_root, "dir", m_root, "/dir", "newname", false);
    PARENT(&rs, &rs, "/dir", 0, fs_root, "", m_root, "/", "dir", false);
    PARENT(&rs, &rs, "/", 0, fs_root, "", m_root, "/", "", false);
    PARENT(&rs, &rs, "///", 0, fs_root, "", m_root, "/", "", false);
    PARENT(&rs, &rs, "/dir/sub/", 0, fs_root, "dir", m_root, "/dir", "sub", true);
    PARENT(&rs, &rs, "/dir/file/", 0, fs_root, "dir", m_root, "/dir", "file", true);
    PARENT(&rs, &rs, "/dir//sub//", 0, fs_root, "dir", m_root, "/dir", "sub", true);
    /* "." and ".." as the last component are handed back, not walked. */
    PARENT(&rs, &rs, "/dir/.", 0, fs_root, "dir", m_root, "/dir", ".", false);
    PARENT(&rs, &rs, "/dir/..", 0, fs_root, "dir", m_root, "/dir", "..", false);
    PARENT(&rs, &rs, "/dir/sub/../..", 0, fs_root, "dir", m_root, "/dir", "..", false);
    PARENT(&rs, &rs, "/..", 0, fs_root, "", m_root, "/", "..", false);
    struct vfs_start dir = start_at(fs_root, "dir", m_root, "/dir");
    PARENT(&rs, &dir, "file", 0, fs_root, "dir", m_root, "/dir", "file", false);
    PARENT(&rs, &dir, ".", 0, fs_root, "dir", m_root, "/dir", ".", false);
    PARENT(&rs, &dir, "..", 0, fs_root, "dir", m_root, "/dir", "..", false);
    PARENT(&rs, &dir, "sub/x", 0, fs_root, "dir/sub", m_root, "/dir/sub", "x", false);
    /* Symlinks before the last component are followed, the last one never. */
    PARENT(&rs, &rs, "/lnk_dir/x", 0, fs_root, "dir", m_root, "/dir", "x", false);
    PARENT(&rs, &rs, "/lnk_file", F, fs_root, "", m_root, "/", "lnk_file", false);
    PARENT(&rs, &rs, "/loop1", F, fs_root, "", m_root, "/", "loop1", false);
    PARENT(&rs, &rs, "/dangling", 0, fs_root, "", m_root, "/", "dangling", false);
    /* The parent of a mount point is in the file system it is mounted on. */
    PARENT(&rs, &rs, "/mnt/a/b", 0, fs_a, "", m_a, "/mnt/a", "b", false);
    PARENT(&rs, &rs, "/mnt/a", 0, fs_root, "mnt", m_root, "/mnt", "a", false);
    PARENT(&rs, &rs, "/mnt/a/b/fb", 0, fs_b, "", m_b, "/mnt/a/b", "fb", false);
    ERR(&rs, &rs, "/missing/x", LOOKUP_PARENT, -ENOENT);
    ERR(&rs, &rs, "/dir/file/x", LOOKUP_PARENT, -ENOTDIR);
    ERR(&rs, &rs, "/loop1/x", LOOKUP_PARENT, -ELOOP);
    ERR(&rs, &rs, "", LOOKUP_PARENT, -ENOENT);
    start_put(&dir);
    heap_check(__LINE__);
    group_end("parent");
}

int main(void)
{
    kmem_init(test_page_alloc, test_page_free);
    test_mounts();
    test_basic();
    test_empty();
    test_dotdot();
    test_trailing();
    test_symlinks();
    test_symloop_max();
    test_chroot();
    test_names();
    test_parent();
    /* What the groups made in the tree (links, a long name) stays, and mounts are forever:
     * each group checked instead that resolution itself kept nothing. */
    return unit_summary();
}
