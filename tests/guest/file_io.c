// File I/O: open/openat/creat/close, read/write, readv/writev, pread64/pwrite64, lseek,
// fsync/fdatasync, the open flags (O_APPEND, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW,
// O_CLOEXEC) and the error paths of all of them. Runs in an empty scratch directory.
#include "t.h"
#include <limits.h>
#include <sys/uio.h>

int main(void)
{
    char buf[256];
    int fd, fd2;

    umask(022);

    /* --- create, write, read back --- */
    CHECK_OK("open O_CREAT", fd = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    CHECK_EQ("write 12", write(fd, "hello world\n", 12), 12);
    CHECK_ERR("read on O_WRONLY fd", read(fd, buf, 1), EBADF);
    CHECK_EQ("close", close(fd), 0);
    CHECK_ERR("close again", close(fd), EBADF);

    CHECK_OK("open O_RDONLY", fd = open("a.txt", O_RDONLY));
    CHECK_EQ("read 5", read(fd, buf, 5), 5);
    CHECK("read 5 data", memcmp(buf, "hello", 5) == 0);
    CHECK_EQ("read rest", read(fd, buf, sizeof(buf)), 7);
    CHECK("read rest data", memcmp(buf, " world\n", 7) == 0);
    CHECK_EQ("read at EOF", read(fd, buf, sizeof(buf)), 0);
    CHECK_EQ("read 0 bytes", read(fd, buf, 0), 0);
    CHECK_ERR("write on O_RDONLY fd", write(fd, "x", 1), EBADF);
    CHECK_ERR("read into bad pointer", (lseek(fd, 0, SEEK_SET), read(fd, BADPTR, 4)), EFAULT);

    /* --- lseek --- */
    CHECK_EQ("lseek SEEK_SET 6", lseek(fd, 6, SEEK_SET), 6);
    CHECK_EQ("read after SEEK_SET", read(fd, buf, 5), 5);
    CHECK("data after SEEK_SET", memcmp(buf, "world", 5) == 0);
    CHECK_EQ("lseek SEEK_CUR -5", lseek(fd, -5, SEEK_CUR), 6);
    CHECK_EQ("lseek SEEK_CUR 0", lseek(fd, 0, SEEK_CUR), 6);
    CHECK_EQ("lseek SEEK_END 0", lseek(fd, 0, SEEK_END), 12);
    CHECK_EQ("lseek SEEK_END -1", lseek(fd, -1, SEEK_END), 11);
    CHECK_EQ("lseek past EOF", lseek(fd, 100, SEEK_SET), 100);
    CHECK_EQ("read past EOF", read(fd, buf, 10), 0);
    CHECK_ERR("lseek negative", lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERR("lseek bad whence", lseek(fd, 0, 42), EINVAL);
    CHECK_ERR("lseek bad fd", lseek(999, 0, SEEK_SET), EBADF);
    CHECK_EQ("close", close(fd), 0);

    /* writing past EOF leaves a hole of zeros */
    CHECK_OK("open O_RDWR", fd = open("a.txt", O_RDWR));
    CHECK_EQ("lseek to 20", lseek(fd, 20, SEEK_SET), 20);
    CHECK_EQ("write after hole", write(fd, "Z", 1), 1);
    CHECK_EQ("size with hole", t_file_size("a.txt"), 21);
    CHECK_EQ("pread hole", pread(fd, buf, 9, 12), 9);
    CHECK("hole is zeros", memcmp(buf, "\0\0\0\0\0\0\0\0Z", 9) == 0);

    /* --- pread64/pwrite64 do not move the file offset --- */
    CHECK_EQ("lseek to 3", lseek(fd, 3, SEEK_SET), 3);
    CHECK_EQ("pwrite at 0", pwrite(fd, "HE", 2, 0), 2);
    CHECK_EQ("offset after pwrite", lseek(fd, 0, SEEK_CUR), 3);
    CHECK_EQ("pread at 0", pread(fd, buf, 5, 0), 5);
    CHECK("pread data", memcmp(buf, "HEllo", 5) == 0);
    CHECK_EQ("offset after pread", lseek(fd, 0, SEEK_CUR), 3);
    CHECK_EQ("pread past EOF", pread(fd, buf, 5, 1000), 0);
    CHECK_ERR("pread negative offset", pread(fd, buf, 5, -1), EINVAL);
    CHECK_ERR("pwrite bad fd", pwrite(999, "x", 1, 0), EBADF);

    /* --- readv / writev --- */
    CHECK_EQ("ftruncate 0", ftruncate(fd, 0), 0);
    CHECK_EQ("lseek 0", lseek(fd, 0, SEEK_SET), 0);
    struct iovec wv[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    CHECK_EQ("writev 3 iovecs", writev(fd, wv, 3), 8);
    char r1[2], r2[10];
    struct iovec rv[2] = {{r1, sizeof(r1)}, {r2, sizeof(r2)}};
    CHECK_EQ("lseek 0 again", lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ("readv 2 iovecs", readv(fd, rv, 2), 8);
    CHECK("readv data", memcmp(r1, "ab", 2) == 0 && memcmp(r2, "cdefgh", 6) == 0);
    struct iovec badv[1] = {{BADPTR, 4}};
    CHECK_ERR("writev bad buffer", writev(fd, badv, 1), EFAULT);
    CHECK_ERR("readv negative count", syscall(SYS_readv, fd, rv, -1), EINVAL);
    CHECK_ERR("writev count > IOV_MAX", syscall(SYS_writev, fd, wv, IOV_MAX + 1), EINVAL);
    CHECK_ERR("writev bad iovec array", writev(fd, BADPTR, 1), EFAULT);
    CHECK_ERR("write from bad pointer", write(fd, BADPTR, 4), EFAULT);

    /* --- fsync / fdatasync --- */
    CHECK_EQ("fsync", fsync(fd), 0);
    CHECK_EQ("fdatasync", fdatasync(fd), 0);
    CHECK_ERR("fsync bad fd", fsync(999), EBADF);
    int p[2];
    CHECK_EQ("pipe", pipe(p), 0);
    CHECK_ERR("fsync on pipe", fsync(p[0]), EINVAL);
    CHECK_ERR("lseek on pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
    CHECK_ERR("pread on pipe", pread(p[0], buf, 1, 0), ESPIPE);
    close(p[0]);
    close(p[1]);
    CHECK_EQ("close", close(fd), 0);

    /* --- O_APPEND --- */
    CHECK_OK("open O_APPEND", fd = open("a.txt", O_WRONLY | O_APPEND));
    CHECK_EQ("lseek 0 on append fd", lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ("write appends", write(fd, "XY", 2), 2);
    CHECK_EQ("offset is at end", lseek(fd, 0, SEEK_CUR), 10);
    CHECK_EQ("pwrite on append fd", pwrite(fd, "!", 1, 0), 1);
    close(fd);
    CHECK_EQ("read appended file", t_read_file("a.txt", buf, sizeof(buf)), 11);
    CHECK("appended data", memcmp(buf, "abcdefghXY!", 11) == 0);

    /* --- O_EXCL, O_TRUNC, creat --- */
    CHECK_ERR("O_EXCL on existing", open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    CHECK_OK("O_EXCL on new", fd = open("b.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
    close(fd);
    CHECK_OK("O_TRUNC", fd = open("a.txt", O_WRONLY | O_TRUNC));
    close(fd);
    CHECK_EQ("size after O_TRUNC", t_file_size("a.txt"), 0);
    CHECK_OK("creat", fd = creat("c.txt", 0600));
    CHECK_EQ("write to creat fd", write(fd, "data", 4), 4);
    CHECK_ERR("read from creat fd", read(fd, buf, 1), EBADF);
    close(fd);
    CHECK_OK("creat existing truncates", fd = creat("c.txt", 0600));
    close(fd);
    CHECK_EQ("size after creat", t_file_size("c.txt"), 0);

    /* --- O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC --- */
    CHECK_EQ("mkdir d", mkdir("d", 0755), 0);
    CHECK_ERR("O_DIRECTORY on file", open("a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_OK("O_DIRECTORY on dir", fd = open("d", O_RDONLY | O_DIRECTORY));
    CHECK_ERR("read on directory", read(fd, buf, 1), EISDIR);
    close(fd);
    CHECK_ERR("open dir for writing", open("d", O_WRONLY), EISDIR);
    CHECK_ERR("open dir O_RDWR", open("d", O_RDWR), EISDIR);
    CHECK_EQ("symlink", symlink("a.txt", "link"), 0);
    CHECK_ERR("O_NOFOLLOW on symlink", open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
    CHECK_OK("open through symlink", fd = open("link", O_RDONLY));
    close(fd);
    CHECK_OK("O_CLOEXEC", fd = open("a.txt", O_RDONLY | O_CLOEXEC));
    CHECK_EQ("FD_CLOEXEC set", fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(fd);
    CHECK_OK("no O_CLOEXEC", fd = open("a.txt", O_RDONLY));
    CHECK_EQ("FD_CLOEXEC clear", fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    close(fd);

    /* --- lowest free descriptor is used --- */
    CHECK_OK("open x", fd = open("a.txt", O_RDONLY));
    CHECK_OK("open y", fd2 = open("a.txt", O_RDONLY));
    CHECK_EQ("descriptors adjacent", fd2, fd + 1);
    close(fd);
    CHECK_EQ("lowest free reused", open("a.txt", O_RDONLY), fd);
    close(fd);
    close(fd2);

    /* --- openat --- */
    int dfd;
    CHECK_OK("open dir fd", dfd = open("d", O_RDONLY | O_DIRECTORY));
    CHECK_OK("openat create in dir", fd = openat(dfd, "inner.txt", O_WRONLY | O_CREAT, 0644));
    CHECK_EQ("write inner", write(fd, "in", 2), 2);
    close(fd);
    CHECK_EQ("inner visible by path", t_file_size("d/inner.txt"), 2);
    CHECK_OK("openat AT_FDCWD", fd = openat(AT_FDCWD, "d/inner.txt", O_RDONLY));
    close(fd);
    CHECK_ERR("openat bad dirfd", openat(999, "inner.txt", O_RDONLY), EBADF);
    int ffd = open("a.txt", O_RDONLY);
    CHECK_ERR("openat file as dirfd", openat(ffd, "x", O_RDONLY), ENOTDIR);
    char cwd[PATH_MAX], abs[PATH_MAX + 32];
    CHECK("getcwd", getcwd(cwd, sizeof(cwd)) != NULL);
    snprintf(abs, sizeof(abs), "%s/a.txt", cwd);
    CHECK_OK("openat absolute ignores dirfd", fd = openat(999, abs, O_RDONLY));
    close(fd);
    close(ffd);
    close(dfd);

    /* --- path errors --- */
    CHECK_ERR("open missing", open("missing", O_RDONLY), ENOENT);
    CHECK_ERR("open empty path", open("", O_RDONLY), ENOENT);
    CHECK_ERR("open missing dir component", open("nodir/x", O_RDONLY), ENOENT);
    CHECK_ERR("open bad path pointer", open(BADPTR, O_RDONLY), EFAULT);
    CHECK_ERR("open file as dir", open("a.txt/x", O_RDONLY), ENOTDIR);
    CHECK_ERR("open trailing slash on file", open("a.txt/", O_RDONLY), ENOTDIR);
    CHECK_ERR("create with trailing slash", open("new/", O_WRONLY | O_CREAT, 0644), EISDIR);
    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    CHECK_ERR("component too long", open(longname, O_RDONLY), ENAMETOOLONG);
    static char longpath[PATH_MAX + 100];
    for (size_t i = 0; i + 2 < sizeof(longpath); i += 2)
        memcpy(longpath + i, "./", 2);
    longpath[sizeof(longpath) - 1] = 0;
    CHECK_ERR("path too long", open(longpath, O_RDONLY), ENAMETOOLONG);
    CHECK_EQ("symlink loop1", symlink("loop2", "loop1"), 0);
    CHECK_EQ("symlink loop2", symlink("loop1", "loop2"), 0);
    CHECK_ERR("symlink loop", open("loop1", O_RDONLY), ELOOP);
    CHECK_ERR("path through symlink loop", open("loop1/x", O_RDONLY), ELOOP);
    CHECK_ERR("close bad fd", close(999), EBADF);
    CHECK_ERR("read bad fd", read(-1, buf, 1), EBADF);

    /* --- the /dev nodes --- */
    CHECK_OK("open /dev/null", fd = open("/dev/null", O_RDWR));
    CHECK_EQ("read /dev/null", read(fd, buf, 10), 0);
    CHECK_EQ("write /dev/null", write(fd, "xyz", 3), 3);
    close(fd);
    CHECK_OK("open /dev/zero", fd = open("/dev/zero", O_RDONLY));
    memset(buf, 0x55, 16);
    CHECK_EQ("read /dev/zero", read(fd, buf, 16), 16);
    CHECK("zeros", memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
    close(fd);
    CHECK_OK("open /dev/full", fd = open("/dev/full", O_WRONLY));
    CHECK_ERR("write /dev/full", write(fd, "x", 1), ENOSPC);
    close(fd);
    CHECK_OK("open /dev/urandom", fd = open("/dev/urandom", O_RDONLY));
    CHECK_EQ("read /dev/urandom", read(fd, buf, 64), 64);
    close(fd);
    CHECK_OK("open /dev/random", fd = open("/dev/random", O_RDONLY));
    CHECK_EQ("read /dev/random", read(fd, buf, 16), 16);
    close(fd);

    return t_done();
}
