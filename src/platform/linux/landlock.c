/* landlock.c: the second wall of the keyhole. Landlock confines the whole process (guest and
 * library OS alike, and every future child) to the host trees declared at start-up, read-only
 * unless declared writable, and scopes signals and abstract unix sockets to the sandbox, so
 * that even a library OS taken over by its guest reaches no other host file or process. */
#include "host.h"

struct ruleset_attr {
    u64 handled_access_fs;
    u64 handled_access_net;
    u64 scoped;
};
struct path_beneath_attr {
    u64 allowed_access;
    i32 parent_fd;
} __attribute__((packed));

/* Access rights (linux/landlock.h) and the ABI version that introduced each. */
#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_REMOVE_DIR (1ULL << 4)
#define LL_REMOVE_FILE (1ULL << 5)
#define LL_MAKE_CHAR (1ULL << 6)
#define LL_MAKE_DIR (1ULL << 7)
#define LL_MAKE_REG (1ULL << 8)
#define LL_MAKE_SOCK (1ULL << 9)
#define LL_MAKE_FIFO (1ULL << 10)
#define LL_MAKE_BLOCK (1ULL << 11)
#define LL_MAKE_SYM (1ULL << 12)
#define LL_REFER (1ULL << 13)     /* ABI 2 */
#define LL_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_SCOPE_ABSTRACT_UNIX 1ULL /* ABI 6 */
#define LL_SCOPE_SIGNAL 2ULL        /* ABI 6 */
#define LANDLOCK_CREATE_RULESET_VERSION 1
#define LANDLOCK_RULE_PATH_BENEATH 1

#define LL_READ (LL_EXECUTE | LL_READ_FILE | LL_READ_DIR)

static int add_rule(long rs, long fd, u64 allowed, u64 all)
{
    struct h_stat st;
    int r = (int)hsys2(HNR_fstat, fd, (long)&st);
    if (r)
        return r;
    /* A rule on a single file may carry file rights only. */
    if ((st.mode & 0170000) != 0040000)
        allowed &= LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV;
    struct path_beneath_attr pb = {.allowed_access = allowed & all, .parent_fd = (i32)fd};
    return (int)hsys4(HNR_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, (long)&pb, 0);
}

struct hdirent {
    u64 ino;
    i64 off;
    u16 reclen;
    u8 type;
    char name[];
};

static bool excluded(const char *name, const char *const *ex)
{
    for (; *ex; ex++)
        if (!strcmp(name, *ex))
            return true;
    return false;
}

/* A tree with exclusions: list-only on the tree, full grant on each entry but the excluded,
 * and on none that is (or resolves to) an excluded directory. */
static int add_tree_except(long rs, const struct plat_tree *t, u64 allowed, u64 all)
{
    long dfd = hsys4(HNR_openat, H_AT_FDCWD, (long)t->host_path, H_O_DIRECTORY | H_O_CLOEXEC, 0);
    if (dfd < 0)
        return (int)dfd;
    int r = add_rule(rs, dfd, LL_READ_DIR, all);
    struct h_stat ex_st[8];
    int nex = 0;
    for (const char *const *e = t->exclude; *e && nex < 8; e++)
        if (!hsys4(HNR_newfstatat, dfd, (long)*e, (long)&ex_st[nex], 0))
            nex++;
    char buf[4096];
    for (long n; !r && (n = hsys3(HNR_getdents64, dfd, (long)buf, sizeof(buf))) > 0;) {
        for (long off = 0; off < n && !r;) {
            struct hdirent *d = (struct hdirent *)(buf + off);
            off += d->reclen;
            if (!strcmp(d->name, ".") || !strcmp(d->name, "..") || excluded(d->name, t->exclude))
                continue;
            long fd = hsys4(HNR_openat, dfd, (long)d->name, H_O_PATH | H_O_CLOEXEC, 0);
            if (fd < 0)
                continue; /* a dangling top-level link: nothing to grant */
            struct h_stat st;
            bool skip = hsys2(HNR_fstat, fd, (long)&st) != 0;
            for (int i = 0; i < nex && !skip; i++)
                skip = st.dev == ex_st[i].dev && st.ino == ex_st[i].ino;
            if (!skip)
                r = add_rule(rs, fd, allowed, all);
            hsys1(HNR_close, fd);
        }
    }
    hsys1(HNR_close, dfd);
    return r;
}

int landlock_install(const struct plat_tree *trees, int ntrees)
{
    long abi = hsys3(HNR_landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1)
        return abi < 0 ? (int)abi : -38;
    u64 all = (1ULL << 13) - 1;
    if (abi >= 2)
        all |= LL_REFER;
    if (abi >= 3)
        all |= LL_TRUNCATE;
    if (abi >= 5)
        all |= LL_IOCTL_DEV;
    struct ruleset_attr attr = {.handled_access_fs = all};
    size_t attr_size = 16;
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        attr_size = sizeof(attr);
    }
    long rs = hsys3(HNR_landlock_create_ruleset, (long)&attr, (long)attr_size, 0);
    if (rs < 0)
        return (int)rs;
    int r = 0;
    for (int i = 0; i < ntrees && !r; i++) {
        u64 allowed = trees[i].writable ? all : LL_READ;
        if (trees[i].exclude) {
            r = add_tree_except(rs, &trees[i], allowed, all);
            continue;
        }
        long fd = hsys4(HNR_openat, H_AT_FDCWD, (long)trees[i].host_path, H_O_PATH | H_O_CLOEXEC,
                        0);
        if (fd < 0) {
            r = (int)fd;
            break;
        }
        r = add_rule(rs, fd, allowed, all);
        hsys1(HNR_close, fd);
    }
    if (!r)
        r = (int)hsys2(HNR_landlock_restrict_self, rs, 0);
    hsys1(HNR_close, rs);
    return r;
}
