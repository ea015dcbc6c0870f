// Directories and names: getcwd, chdir, fchdir, mkdir(at), rmdir, getdents64 (names sorted
// before printing), unlink(at), rename/renameat/renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE),
// link(at), symlink(at), readlink(at), path resolution corner cases and their errors.
#include "t.h"
#include <dirent.h>
#include <limits.h>

#define T_RENAME_NOREPLACE 1
#define T_RENAME_EXCHANGE 2

/* The kernel's linux_dirent64 record. */
struct t_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *type_name(unsigned char t)
{
    switch (t) {
    case DT_REG:
        return "reg";
    case DT_DIR:
        return "dir";
    case DT_LNK:
        return "lnk";
    case DT_UNKNOWN:
        return "unknown";
    default:
        return "other";
    }
}

/* Lists directory fd with raw getdents64 calls of a deliberately small buffer (so several
 * calls are needed) and prints "name type" lines sorted by name. Returns the entry count. */
static int list_dir(int fd, const char *label)
{
    char buf[128];
    char *names[64];
    int n = 0;
    long got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < got;) {
            struct t_dirent64 *d = (struct t_dirent64 *)(buf + off);
            char line[300];
            snprintf(line, sizeof(line), "%s %s", d->d_name, type_name(d->d_type));
            if (n < 64)
                names[n++] = strdup(line);
            off += d->d_reclen;
        }
    }
    CHECK_EQ("getdents64 ends with 0", got, 0);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (int i = 0; i < n; i++) {
        printf("%s: %s\n", label, names[i]);
        free(names[i]);
    }
    return n;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int main(void)
{
    char cwd[PATH_MAX], cwd2[PATH_MAX], buf[PATH_MAX];
    int fd, dfd;

    /* --- getcwd / chdir / fchdir --- */
    CHECK("getcwd", getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK("getcwd is absolute", cwd[0] == '/');
    CHECK_EQ("getcwd raw returns length+1", syscall(SYS_getcwd, buf, sizeof(buf)),
             (long)strlen(cwd) + 1);
    CHECK_ERR("getcwd small buffer", syscall(SYS_getcwd, buf, 1), ERANGE);
    CHECK_ERR("getcwd bad buffer", syscall(SYS_getcwd, BADPTR, sizeof(buf)), EFAULT);
    CHECK_EQ("mkdir d", mkdir("d", 0755), 0);
    CHECK_EQ("chdir d", chdir("d"), 0);
    CHECK("getcwd in d", getcwd(cwd2, sizeof(cwd2)) && ends_with(cwd2, "/d") &&
                             strncmp(cwd2, cwd, strlen(cwd)) == 0);
    CHECK_EQ("chdir ..", chdir(".."), 0);
    CHECK("getcwd back", getcwd(cwd2, sizeof(cwd2)) && strcmp(cwd, cwd2) == 0);
    CHECK_OK("open d", dfd = open("d", O_RDONLY | O_DIRECTORY));
    CHECK_EQ("fchdir d", fchdir(dfd), 0);
    CHECK("getcwd after fchdir", getcwd(cwd2, sizeof(cwd2)) && ends_with(cwd2, "/d"));
    CHECK_EQ("chdir absolute", chdir(cwd), 0);
    CHECK("getcwd after absolute chdir", getcwd(cwd2, sizeof(cwd2)) && !strcmp(cwd, cwd2));
    CHECK_EQ("create file", t_write_file("file", "12345"), 0);
    CHECK_ERR("chdir missing", chdir("missing"), ENOENT);
    CHECK_ERR("chdir file", chdir("file"), ENOTDIR);
    CHECK_OK("open file", fd = open("file", O_RDONLY));
    CHECK_ERR("fchdir file", fchdir(fd), ENOTDIR);
    CHECK_ERR("fchdir bad fd", fchdir(999), EBADF);
    CHECK_ERR("chdir bad pointer", chdir(BADPTR), EFAULT);
    CHECK_EQ("chdir /", chdir("/"), 0);
    CHECK("getcwd at /", getcwd(cwd2, sizeof(cwd2)) && strcmp(cwd2, "/") == 0);
    CHECK_EQ("chdir /.. stays at /", chdir("/.."), 0);
    CHECK("getcwd still /", getcwd(cwd2, sizeof(cwd2)) && strcmp(cwd2, "/") == 0);
    CHECK_EQ("chdir back", chdir(cwd), 0);

    /* --- mkdir / mkdirat / rmdir --- */
    CHECK_ERR("mkdir existing", mkdir("d", 0755), EEXIST);
    CHECK_ERR("mkdir over file", mkdir("file", 0755), EEXIST);
    CHECK_ERR("mkdir missing parent", mkdir("nope/x", 0755), ENOENT);
    CHECK_ERR("mkdir under file", mkdir("file/x", 0755), ENOTDIR);
    CHECK_ERR("mkdir empty", mkdir("", 0755), ENOENT);
    CHECK_EQ("mkdir trailing slash", mkdir("e/", 0755), 0);
    CHECK_EQ("mkdirat", mkdirat(dfd, "sub", 0700), 0);
    CHECK_EQ("mkdirat result visible", access("d/sub", F_OK), 0);
    CHECK_ERR("mkdirat bad dirfd", mkdirat(999, "x", 0755), EBADF);
    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    CHECK_ERR("mkdir name too long", mkdir(longname, 0755), ENAMETOOLONG);
    CHECK_EQ("create d/sub/x", t_write_file("d/sub/x", "x"), 0);
    CHECK_ERR("rmdir non-empty", rmdir("d/sub"), ENOTEMPTY);
    CHECK_ERR("rmdir file", rmdir("file"), ENOTDIR);
    CHECK_ERR("rmdir .", rmdir("d/."), EINVAL);
    CHECK_ERR("rmdir ..", rmdir("d/.."), ENOTEMPTY);
    CHECK_ERR("rmdir missing", rmdir("missing"), ENOENT);
    CHECK_EQ("rmdir empty", rmdir("e"), 0);
    CHECK_ERR("rmdir again", rmdir("e"), ENOENT);

    /* --- getdents64 --- */
    CHECK_EQ("mkdir list", mkdir("list", 0755), 0);
    for (int i = 0; i < 12; i++) {
        char name[64];
        snprintf(name, sizeof(name), "list/file-with-a-longish-name-%02d", i);
        t_write_file(name, "");
    }
    CHECK_EQ("mkdir list/subdir", mkdir("list/subdir", 0755), 0);
    CHECK_EQ("symlink in list", symlink("target", "list/symlink"), 0);
    CHECK_OK("open list", fd = open("list", O_RDONLY | O_DIRECTORY));
    CHECK_EQ("entry count", list_dir(fd, "list"), 16);
    CHECK_EQ("rewind directory", lseek(fd, 0, SEEK_SET), 0);
    char small[8];
    CHECK_ERR("getdents64 buffer too small", syscall(SYS_getdents64, fd, small, sizeof(small)),
              EINVAL);
    CHECK_ERR("getdents64 bad buffer", syscall(SYS_getdents64, fd, BADPTR, 4096), EFAULT);
    CHECK_EQ("rewind again", lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ("entry count after rewind", list_dir(fd, "again"), 16);
    close(fd);
    CHECK_OK("open file", fd = open("file", O_RDONLY));
    CHECK_ERR("getdents64 on file", syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
    close(fd);
    CHECK_ERR("getdents64 bad fd", syscall(SYS_getdents64, 999, buf, sizeof(buf)), EBADF);
    DIR *dir = opendir("list");
    int count = 0;
    CHECK("opendir", dir != NULL);
    while (dir && readdir(dir))
        count++;
    CHECK_EQ("readdir count", count, 16);
    if (dir)
        closedir(dir);
    /* a directory listed while it changes: removed entries disappear */
    CHECK_EQ("unlink one", unlink("list/file-with-a-longish-name-00"), 0);
    CHECK_OK("reopen list", fd = open("list", O_RDONLY | O_DIRECTORY));
    count = 0;
    long got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
        for (long off = 0; off < got; off += ((struct t_dirent64 *)(buf + off))->d_reclen)
            count++;
    CHECK_EQ("count after unlink", count, 15);
    close(fd);

    /* --- unlink / unlinkat --- */
    CHECK_EQ("create u", t_write_file("u", "u"), 0);
    CHECK_EQ("unlink", unlink("u"), 0);
    CHECK_ERR("unlink again", unlink("u"), ENOENT);
    CHECK_ERR("unlink dir", unlink("d"), EISDIR);
    CHECK_ERR("unlink under file", unlink("file/x"), ENOTDIR);
    CHECK_EQ("unlinkat file", (t_write_file("d/f", "f"), unlinkat(dfd, "f", 0)), 0);
    CHECK_ERR("unlinkat AT_REMOVEDIR on file", unlinkat(AT_FDCWD, "file", AT_REMOVEDIR), ENOTDIR);
    CHECK_EQ("unlinkat AT_REMOVEDIR", (mkdir("e", 0755), unlinkat(AT_FDCWD, "e", AT_REMOVEDIR)), 0);
    CHECK_ERR("unlinkat bad flags", unlinkat(AT_FDCWD, "file", 0x1), EINVAL);
    /* an open file survives unlink */
    CHECK_OK("open then unlink", fd = open("file", O_RDONLY));
    CHECK_EQ("unlink open file", unlink("file"), 0);
    CHECK_EQ("read unlinked file", read(fd, buf, sizeof(buf)), 5);
    struct stat st;
    CHECK_EQ("fstat unlinked nlink", (fstat(fd, &st), st.st_nlink), 0);
    close(fd);
    CHECK_EQ("recreate file", t_write_file("file", "12345"), 0);

    /* --- rename / renameat / renameat2 --- */
    CHECK_EQ("create r1", t_write_file("r1", "one"), 0);
    CHECK_EQ("rename to new", rename("r1", "r2"), 0);
    CHECK_ERR("old name gone", access("r1", F_OK), ENOENT);
    CHECK_ERR("rename missing", rename("r1", "r3"), ENOENT);
    CHECK_EQ("create r3", t_write_file("r3", "three"), 0);
    CHECK_EQ("rename over file", rename("r2", "r3"), 0);
    CHECK("replaced contents", t_read_file("r3", buf, sizeof(buf)) == 3 && !strcmp(buf, "one"));
    CHECK_EQ("rename to itself", rename("r3", "r3"), 0);
    CHECK_EQ("mkdir empty1", mkdir("empty1", 0755), 0);
    CHECK_EQ("mkdir empty2", mkdir("empty2", 0755), 0);
    CHECK_EQ("rename dir over empty dir", rename("empty1", "empty2"), 0);
    CHECK_ERR("rename dir over non-empty dir", rename("empty2", "d"), ENOTEMPTY);
    CHECK_ERR("rename file over dir", rename("r3", "d"), EISDIR);
    CHECK_ERR("rename dir over file", rename("d", "r3"), ENOTDIR);
    CHECK_ERR("rename dir into itself", rename("d", "d/sub/inside"), EINVAL);
    CHECK_ERR("rename into missing dir", rename("r3", "nodir/r3"), ENOENT);
    CHECK_EQ("renameat into dir", renameat(AT_FDCWD, "r3", dfd, "r3"), 0);
    CHECK_EQ("renamed into d", access("d/r3", F_OK), 0);
    CHECK_EQ("renameat back", renameat(dfd, "r3", AT_FDCWD, "r3"), 0);
    CHECK_EQ("create n1", t_write_file("n1", "n1"), 0);
    CHECK_ERR("RENAME_NOREPLACE existing",
              syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "r3", T_RENAME_NOREPLACE), EEXIST);
    CHECK_EQ("RENAME_NOREPLACE new",
             syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n2", T_RENAME_NOREPLACE), 0);
    CHECK_EQ("RENAME_EXCHANGE files",
             syscall(SYS_renameat2, AT_FDCWD, "n2", AT_FDCWD, "r3", T_RENAME_EXCHANGE), 0);
    CHECK("exchanged n2", t_read_file("n2", buf, sizeof(buf)) == 3 && !strcmp(buf, "one"));
    CHECK("exchanged r3", t_read_file("r3", buf, sizeof(buf)) == 2 && !strcmp(buf, "n1"));
    CHECK_EQ("RENAME_EXCHANGE file and dir",
             syscall(SYS_renameat2, AT_FDCWD, "n2", AT_FDCWD, "empty2", T_RENAME_EXCHANGE), 0);
    CHECK("n2 is now a dir", stat("n2", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK("empty2 is now a file", stat("empty2", &st) == 0 && S_ISREG(st.st_mode));
    CHECK_ERR("RENAME_EXCHANGE missing target",
              syscall(SYS_renameat2, AT_FDCWD, "r3", AT_FDCWD, "nothere", T_RENAME_EXCHANGE),
              ENOENT);
    CHECK_ERR("RENAME_NOREPLACE|RENAME_EXCHANGE",
              syscall(SYS_renameat2, AT_FDCWD, "r3", AT_FDCWD, "n2",
                      T_RENAME_NOREPLACE | T_RENAME_EXCHANGE),
              EINVAL);
    CHECK_ERR("renameat2 bad flags", syscall(SYS_renameat2, AT_FDCWD, "r3", AT_FDCWD, "n9", 0x100),
              EINVAL);

    /* --- link / linkat --- */
    CHECK_EQ("link", link("r3", "hard"), 0);
    CHECK_EQ("nlink 2", (stat("r3", &st), st.st_nlink), 2);
    struct stat st2;
    CHECK("link same inode", stat("hard", &st2) == 0 && st2.st_ino == st.st_ino);
    CHECK_ERR("link to existing", link("r3", "hard"), EEXIST);
    CHECK_ERR("link missing", link("missing", "x"), ENOENT);
    CHECK_ERR("link dir", link("d", "dlink"), EPERM);
    CHECK_EQ("linkat", linkat(AT_FDCWD, "r3", dfd, "hard2", 0), 0);
    CHECK_EQ("nlink 3", (stat("r3", &st), st.st_nlink), 3);
    CHECK_EQ("unlink hard", unlink("hard"), 0);
    CHECK_EQ("nlink back to 2", (stat("r3", &st), st.st_nlink), 2);
    CHECK_EQ("symlink for linkat", symlink("r3", "sym"), 0);
    CHECK_EQ("linkat symlink itself", linkat(AT_FDCWD, "sym", AT_FDCWD, "symhard", 0), 0);
    CHECK("linked the symlink", lstat("symhard", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK_EQ("linkat AT_SYMLINK_FOLLOW",
             linkat(AT_FDCWD, "sym", AT_FDCWD, "followed", AT_SYMLINK_FOLLOW), 0);
    CHECK("linked the target", lstat("followed", &st) == 0 && S_ISREG(st.st_mode));

    /* --- symlink / symlinkat / readlink / readlinkat --- */
    CHECK_EQ("symlink", symlink("target/path", "sl"), 0);
    CHECK_ERR("symlink existing", symlink("x", "sl"), EEXIST);
    CHECK_ERR("symlink empty target", symlink("", "sl2"), ENOENT);
    CHECK_EQ("symlinkat", symlinkat("../r3", dfd, "up"), 0);
    CHECK("symlinkat resolves", t_read_file("d/up", buf, sizeof(buf)) == 2);
    memset(buf, 'X', sizeof(buf));
    CHECK_EQ("readlink", readlink("sl", buf, sizeof(buf)), 11);
    CHECK("readlink data, no NUL", memcmp(buf, "target/pathX", 12) == 0);
    CHECK_EQ("readlink truncates", readlink("sl", buf, 4), 4);
    CHECK("readlink truncated data", memcmp(buf, "targ", 4) == 0);
    CHECK_EQ("readlinkat", readlinkat(dfd, "up", buf, sizeof(buf)), 5);
    CHECK_ERR("readlink on file", readlink("r3", buf, sizeof(buf)), EINVAL);
    CHECK_ERR("readlink missing", readlink("missing", buf, sizeof(buf)), ENOENT);
    CHECK_ERR("readlink zero size", syscall(SYS_readlink, "sl", buf, 0), EINVAL);
    CHECK_ERR("readlink bad buffer", readlink("sl", BADPTR, 64), EFAULT);
    CHECK_EQ("readlinkat empty path on O_PATH symlink fd",
             (fd = open("sl", O_PATH | O_NOFOLLOW), readlinkat(fd, "", buf, sizeof(buf))), 11);
    close(fd);

    /* --- path resolution corner cases --- */
    CHECK_EQ("dot-dot path", access("d/../r3", F_OK), 0);
    CHECK_EQ("dot path", access("./d/./sub/.", F_OK), 0);
    CHECK_EQ("double slashes", access("d//sub///x", F_OK), 0);
    CHECK_ERR("file with trailing dot", access("r3/.", F_OK), ENOTDIR);
    CHECK_ERR("file with trailing slash", access("r3/", F_OK), ENOTDIR);
    CHECK_EQ("dir with trailing slash", access("d/", F_OK), 0);
    CHECK_EQ("symlink to dir with trailing slash", (symlink("d", "dl"), access("dl/", F_OK)), 0);
    CHECK_EQ("path through symlinked dir", access("dl/sub/x", F_OK), 0);
    CHECK_EQ("self loop", symlink("self", "self"), 0);
    CHECK_ERR("self loop ELOOP", access("self", F_OK), ELOOP);
    /* a chain of 41 symlinks is one too many, 40 is fine */
    t_write_file("chain0", "end");
    for (int i = 1; i <= 41; i++) {
        char from[32], to[32];
        snprintf(to, sizeof(to), "chain%d", i - 1);
        snprintf(from, sizeof(from), "chain%d", i);
        symlink(to, from);
    }
    CHECK_EQ("40 symlinks resolve", access("chain40", F_OK), 0);
    CHECK_ERR("41 symlinks ELOOP", access("chain41", F_OK), ELOOP);
    CHECK_ERR("dangling symlink", (symlink("nowhere", "dang"), access("dang", F_OK)), ENOENT);
    CHECK_EQ("create through dangling symlink", t_write_file("dang", "made"), 0);
    CHECK_EQ("dangling target created", access("nowhere", F_OK), 0);
    CHECK_EQ("absolute symlink", (symlink(cwd, "abs"), access("abs/r3", F_OK)), 0);

    close(dfd);
    return t_done();
}
