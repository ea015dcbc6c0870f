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
        long fd = hsys4(HNR_openat, H_AT_FDCWD, (long)trees[i].host_path, H_O_PATH | H_O_CLOEXEC,
                        0);
        if (fd < 0) {
            r = (int)fd;
            break;
        }
        struct h_stat st;
        r = (int)hsys2(HNR_fstat, fd, (long)&st);
        bool dir = !r && (st.mode & 0170000) == 0040000;
        /* A rule on a single file may carry file rights only. */
        u64 allowed = trees[i].writable ? all : LL_READ;
        if (!dir)
            allowed &= LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV;
        struct path_beneath_attr pb = {.allowed_access = allowed, .parent_fd = (i32)fd};
        if (!r)
            r = (int)hsys4(HNR_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, (long)&pb, 0);
        hsys1(HNR_close, fd);
    }
    if (!r)
        r = (int)hsys2(HNR_landlock_restrict_self, rs, 0);
    hsys1(HNR_close, rs);
    return r;
}
