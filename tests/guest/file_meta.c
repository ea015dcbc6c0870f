// File metadata: stat, fstat, lstat, newfstatat, statx, access, faccessat, faccessat2,
// chmod/fchmod/fchmodat, chown/fchown/lchown/fchownat (to our own ids), utimensat/futimens,
// truncate/ftruncate, umask, statfs/fstatfs, and their error paths.
#include "t.h"
#include <sys/statfs.h>
#include <sys/time.h>

/* The kernel's struct statx (linux/stat.h is not available with musl-gcc). */
struct t_statx_ts {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};
struct t_statx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct t_statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
#define T_STATX_TYPE 0x1U
#define T_STATX_MODE 0x2U
#define T_STATX_SIZE 0x200U
#define T_STATX_BASIC_STATS 0x7ffU

static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

int main(void)
{
    struct stat st, st2;
    struct t_statx sx;
    int fd;

    /* --- umask --- */
    umask(022);
    CHECK_EQ("umask returns previous", umask(077), 022);
    CHECK_OK("create under umask 077", fd = open("u.txt", O_WRONLY | O_CREAT, 0666));
    close(fd);
    CHECK_EQ("mode under umask 077", mode_of("u.txt"), 0600);
    CHECK_EQ("mkdir under umask 077", (mkdir("ud", 0777), mode_of("ud")), 0700);
    CHECK_EQ("umask restore", umask(022), 077);
    CHECK_EQ("umask keeps only 0777 bits", (umask(07777), umask(022)), 0777);

    /* --- stat family --- */
    CHECK_EQ("create f", t_write_file("f", "hello"), 0);
    CHECK_EQ("stat", stat("f", &st), 0);
    CHECK("stat S_ISREG", S_ISREG(st.st_mode));
    CHECK_EQ("stat size", st.st_size, 5);
    CHECK_EQ("stat nlink", st.st_nlink, 1);
    CHECK_EQ("stat mode", st.st_mode & 07777, 0644);
    CHECK_EQ("stat uid", st.st_uid, geteuid());
    CHECK_EQ("stat gid", st.st_gid, getegid());
    CHECK("stat blksize", st.st_blksize > 0);
    CHECK_OK("open f", fd = open("f", O_RDONLY));
    CHECK_EQ("fstat", fstat(fd, &st2), 0);
    CHECK("fstat same inode", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    CHECK_ERR("fstat bad fd", fstat(999, &st2), EBADF);
    CHECK_EQ("mkdir d", mkdir("d", 0755), 0);
    CHECK_EQ("stat dir", stat("d", &st2), 0);
    CHECK("stat S_ISDIR", S_ISDIR(st2.st_mode));
    CHECK("stat dir nlink", st2.st_nlink == 2 || st2.st_nlink == 1); /* 1 on btrfs */
    CHECK_EQ("symlink", symlink("f", "sl"), 0);
    CHECK_EQ("lstat symlink", lstat("sl", &st2), 0);
    CHECK("lstat S_ISLNK", S_ISLNK(st2.st_mode));
    CHECK_EQ("lstat symlink size", st2.st_size, 1);
    CHECK_EQ("stat through symlink", stat("sl", &st2), 0);
    CHECK("stat follows symlink", S_ISREG(st2.st_mode) && st2.st_ino == st.st_ino);
    CHECK_EQ("fstatat AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, "sl", &st2, AT_SYMLINK_NOFOLLOW), 0);
    CHECK("fstatat nofollow is link", S_ISLNK(st2.st_mode));
    CHECK_EQ("fstatat AT_EMPTY_PATH", fstatat(fd, "", &st2, AT_EMPTY_PATH), 0);
    CHECK("fstatat empty path same inode", st2.st_ino == st.st_ino);
    CHECK_ERR("fstatat empty path without flag", fstatat(fd, "", &st2, 0), ENOENT);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    CHECK_EQ("create d/g", t_write_file("d/g", "xy"), 0);
    CHECK_EQ("fstatat relative to dirfd", fstatat(dfd, "g", &st2, 0), 0);
    CHECK_EQ("fstatat dirfd size", st2.st_size, 2);
    CHECK_ERR("fstatat bad flags", fstatat(dfd, "g", &st2, 0x40000000), EINVAL);
    CHECK_ERR("fstatat bad dirfd", fstatat(999, "g", &st2, 0), EBADF);
    CHECK_ERR("stat missing", stat("missing", &st2), ENOENT);
    CHECK_ERR("stat dangling symlink", (symlink("nowhere", "dangling"), stat("dangling", &st2)),
              ENOENT);
    CHECK_EQ("lstat dangling symlink", lstat("dangling", &st2), 0);
    CHECK_ERR("stat file as dir", stat("f/x", &st2), ENOTDIR);
    CHECK_ERR("stat bad path", stat(BADPTR, &st2), EFAULT);
    CHECK_ERR("stat bad buffer", syscall(SYS_stat, "f", BADPTR), EFAULT);
    CHECK_ERR("fstat bad buffer", syscall(SYS_fstat, fd, BADPTR), EFAULT);
    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    CHECK_ERR("stat name too long", stat(longname, &st2), ENAMETOOLONG);

    /* --- statx --- */
    memset(&sx, 0, sizeof(sx));
    CHECK_EQ("statx", syscall(SYS_statx, AT_FDCWD, "f", 0, T_STATX_BASIC_STATS, &sx), 0);
    CHECK("statx mask has type/mode/size",
          (sx.stx_mask & (T_STATX_TYPE | T_STATX_MODE | T_STATX_SIZE)) ==
              (T_STATX_TYPE | T_STATX_MODE | T_STATX_SIZE));
    CHECK_EQ("statx size", sx.stx_size, 5);
    CHECK_EQ("statx mode", sx.stx_mode, S_IFREG | 0644);
    CHECK_EQ("statx ino matches stat", sx.stx_ino == st.st_ino, 1);
    CHECK_EQ("statx mtime matches stat",
             sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
                 sx.stx_mtime.tv_nsec == (uint32_t)st.st_mtim.tv_nsec,
             1);
    CHECK_EQ("statx AT_EMPTY_PATH",
             syscall(SYS_statx, fd, "", AT_EMPTY_PATH, T_STATX_BASIC_STATS, &sx), 0);
    CHECK_EQ("statx nofollow symlink",
             syscall(SYS_statx, AT_FDCWD, "sl", AT_SYMLINK_NOFOLLOW, T_STATX_BASIC_STATS, &sx), 0);
    CHECK("statx symlink type", S_ISLNK(sx.stx_mode));
    CHECK_ERR("statx missing", syscall(SYS_statx, AT_FDCWD, "missing", 0, T_STATX_BASIC_STATS, &sx),
              ENOENT);
    CHECK_ERR("statx bad buffer", syscall(SYS_statx, AT_FDCWD, "f", 0, T_STATX_BASIC_STATS, BADPTR),
              EFAULT);
    CHECK_ERR("statx reserved mask bit", syscall(SYS_statx, AT_FDCWD, "f", 0, 0x80000000U, &sx),
              EINVAL);
    close(fd);

    /* --- access family (only checks that do not depend on being root) --- */
    CHECK_EQ("access F_OK", access("f", F_OK), 0);
    CHECK_EQ("access R_OK", access("f", R_OK), 0);
    CHECK_ERR("access missing", access("missing", F_OK), ENOENT);
    CHECK_ERR("access bad mode", access("f", 0100), EINVAL);
    CHECK_ERR("access X_OK on 0644 file", access("f", X_OK), EACCES);
    CHECK_EQ("faccessat AT_FDCWD", faccessat(AT_FDCWD, "f", R_OK, 0), 0);
    CHECK_EQ("faccessat dirfd", faccessat(dfd, "g", F_OK, 0), 0);
    CHECK_EQ("faccessat2 nofollow dangling",
             syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_ERR("faccessat2 follow dangling", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0),
              ENOENT);
    CHECK_ERR("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x1), EINVAL);
    CHECK_EQ("faccessat2 AT_EACCESS", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, AT_EACCESS), 0);

    /* --- chmod family --- */
    CHECK_EQ("chmod 0600", chmod("f", 0600), 0);
    CHECK_EQ("mode after chmod", mode_of("f"), 0600);
    CHECK_OK("open for fchmod", fd = open("f", O_RDONLY));
    CHECK_EQ("fchmod 0640", fchmod(fd, 0640), 0);
    CHECK_EQ("mode after fchmod", mode_of("f"), 0640);
    CHECK_EQ("fchmodat 0604", fchmodat(AT_FDCWD, "f", 0604, 0), 0);
    CHECK_EQ("mode after fchmodat", mode_of("f"), 0604);
    CHECK_EQ("chmod through symlink", chmod("sl", 0644), 0);
    CHECK_EQ("mode after chmod via symlink", mode_of("f"), 0644);
    CHECK_EQ("chmod sticky dir", chmod("d", 01777), 0);
    CHECK_EQ("dir mode with sticky", mode_of("d"), 01777);
    CHECK_EQ("chmod dir back", chmod("d", 0755), 0);
    CHECK_ERR("chmod missing", chmod("missing", 0644), ENOENT);
    CHECK_ERR("fchmod bad fd", fchmod(999, 0644), EBADF);

    /* --- chown family, to our own ids --- */
    uid_t u = geteuid();
    gid_t g = getegid();
    CHECK_EQ("chown own ids", chown("f", u, g), 0);
    CHECK_EQ("chown -1 -1", chown("f", (uid_t)-1, (gid_t)-1), 0);
    CHECK_EQ("fchown own ids", fchown(fd, u, g), 0);
    CHECK_EQ("lchown symlink", lchown("sl", u, g), 0);
    CHECK_EQ("fchownat nofollow", fchownat(AT_FDCWD, "sl", u, g, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_ERR("chown missing", chown("missing", u, g), ENOENT);
    CHECK_ERR("fchown bad fd", fchown(999, u, g), EBADF);
    CHECK_EQ("mode unchanged by chown", mode_of("f"), 0644);
    close(fd);

    /* --- utimensat / futimens with fixed timestamps --- */
    struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
    CHECK_EQ("utimensat", utimensat(AT_FDCWD, "f", ts, 0), 0);
    CHECK_EQ("stat after utimensat", stat("f", &st), 0);
    CHECK("atime set", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789);
    CHECK("mtime set", st.st_mtim.tv_sec == 1200000000 && st.st_mtim.tv_nsec == 987654321);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 5}};
    CHECK_EQ("utimensat UTIME_OMIT atime", utimensat(AT_FDCWD, "f", omit, 0), 0);
    CHECK_EQ("stat after omit", stat("f", &st), 0);
    CHECK("atime kept", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789);
    CHECK("mtime changed", st.st_mtim.tv_sec == 1300000000 && st.st_mtim.tv_nsec == 5);
    struct timespec lts[2] = {{1100000000, 0}, {1100000000, 0}};
    CHECK_EQ("utimensat nofollow symlink", utimensat(AT_FDCWD, "sl", lts, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_EQ("lstat symlink times", (lstat("sl", &st2), st2.st_mtim.tv_sec), 1100000000);
    CHECK_EQ("target untouched", (stat("f", &st), st.st_mtim.tv_sec), 1300000000);
    CHECK_OK("open for futimens", fd = open("f", O_RDONLY));
    struct timespec fts[2] = {{1400000000, 1}, {1400000000, 2}};
    CHECK_EQ("futimens", futimens(fd, fts), 0);
    CHECK("mtime after futimens",
          fstat(fd, &st) == 0 && st.st_mtim.tv_sec == 1400000000 && st.st_mtim.tv_nsec == 2);
    struct timeval tv[2] = {{1500000000, 0}, {1500000000, 250000}};
    CHECK_EQ("utimes", utimes("f", tv), 0);
    CHECK("mtime after utimes", stat("f", &st) == 0 && st.st_mtim.tv_sec == 1500000000 &&
                                    st.st_mtim.tv_nsec == 250000000);
    long long before = (long long)time(NULL);
    CHECK_EQ("utimensat now", utimensat(AT_FDCWD, "f", NULL, 0), 0);
    /* file times and time() may come from the coarse or the precise clock (which differ
     * by up to a tick), depending on the libc and the kernel: allow a second either way */
    CHECK("mtime is now", stat("f", &st) == 0 && st.st_mtim.tv_sec >= before - 1 &&
                              st.st_mtim.tv_sec <= (long long)time(NULL) + 1);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    CHECK_ERR("utimensat bad nsec", utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
    CHECK_ERR("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);
    CHECK_ERR("utimensat bad flags", utimensat(AT_FDCWD, "f", ts, 0x1), EINVAL);
    close(fd);

    /* --- truncate / ftruncate --- */
    char buf[32];
    CHECK_EQ("write file for truncate", t_write_file("t", "abcdef"), 0);
    CHECK_EQ("truncate shrink", truncate("t", 3), 0);
    CHECK_EQ("size after shrink", t_file_size("t"), 3);
    CHECK_OK("open for ftruncate", fd = open("t", O_RDWR));
    CHECK_EQ("ftruncate grow", ftruncate(fd, 10), 0);
    CHECK_EQ("size after grow", t_file_size("t"), 10);
    CHECK_EQ("read grown file", pread(fd, buf, 20, 0), 10);
    CHECK("grown part is zeros", memcmp(buf, "abc\0\0\0\0\0\0\0", 10) == 0);
    CHECK_EQ("offset unaffected", lseek(fd, 0, SEEK_CUR), 0);
    CHECK_ERR("ftruncate negative", ftruncate(fd, -1), EINVAL);
    close(fd);
    CHECK_OK("open O_RDONLY", fd = open("t", O_RDONLY));
    CHECK_ERR("ftruncate read-only fd", ftruncate(fd, 0), EINVAL);
    close(fd);
    CHECK_ERR("ftruncate bad fd", ftruncate(999, 0), EBADF);
    CHECK_ERR("truncate negative", truncate("t", -1), EINVAL);
    CHECK_ERR("truncate dir", truncate("d", 0), EISDIR);
    CHECK_ERR("truncate missing", truncate("missing", 0), ENOENT);
    CHECK_EQ("truncate through symlink", (symlink("t", "tl"), truncate("tl", 1)), 0);
    CHECK_EQ("size via symlink truncate", t_file_size("t"), 1);

    /* --- statfs / fstatfs: only success and sane values --- */
    struct statfs sfs;
    CHECK_EQ("statfs .", statfs(".", &sfs), 0);
    CHECK("statfs bsize", sfs.f_bsize > 0);
    CHECK_OK("open for fstatfs", fd = open("f", O_RDONLY));
    CHECK_EQ("fstatfs", fstatfs(fd, &sfs), 0);
    close(fd);
    CHECK_EQ("statfs /", statfs("/", &sfs), 0);
    CHECK_ERR("statfs missing", statfs("missing", &sfs), ENOENT);
    CHECK_ERR("fstatfs bad fd", fstatfs(999, &sfs), EBADF);
    CHECK_ERR("statfs bad buffer", syscall(SYS_statfs, ".", BADPTR), EFAULT);

    close(dfd);
    return t_done();
}
