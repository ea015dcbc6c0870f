// Every way of modifying a file or directory on a --ro mount fails with EROFS (or the error
// Linux gives first, noted per line), reading still works, and the host files are untouched:
// the runner compares the host tree's contents, modes, mtimes and ctimes before and after.
// husk-args: --ro {scratch}/ro:/ro
// setup-file: ro/victim.txt=original contents\n
// setup-dir: ro/dir
// check-unchanged: ro
// expect-status: 0
// expect-stdout: read /ro/victim.txt: ok
// expect-stdout: open O_WRONLY: EROFS
// expect-stdout: open O_RDWR: EROFS
// expect-stdout: open O_WRONLY|O_TRUNC: EROFS
// expect-stdout: open O_WRONLY|O_APPEND: EROFS
// expect-stdout: open via dir/..: EROFS
// expect-stdout: create new file: EROFS
// expect-stdout: creat: EROFS
// expect-stdout: unlink: EROFS
// expect-stdout: rename: EROFS
// expect-stdout: truncate: EROFS
// expect-stdout: chmod: EROFS
// expect-stdout: chown: EROFS
// expect-stdout: utimensat: EROFS
// expect-stdout: mkdir: EROFS
// expect-stdout: rmdir: EROFS
// expect-stdout: symlink: EROFS
// expect-stdout: link: EROFS
// expect-stdout: write on O_RDONLY fd: EBADF
// expect-stdout: ftruncate on O_RDONLY fd: EINVAL
// expect-stdout: fchmod on O_RDONLY fd: EROFS
// expect-stdout: futimens on O_RDONLY fd: EROFS
// expect-stdout: mmap shared writable: EACCES
// expect-stdout: mmap private writable: ok
// expect-stdout: contents after private write: unchanged
#include "../guest/t.h"
#include <sys/mman.h>

static int failures;

static void expect_err(const char *label, long ret, int want)
{
    int e = errno;
    if (ret >= 0) {
        failures++;
        printf("%s: SUCCEEDED (ret=%ld)\n", label, ret);
        return;
    }
    if (e != want)
        failures++;
    printf("%s: %s\n", label, t_errname(e));
}

int main(void)
{
    char buf[64];
    const char *v = "/ro/victim.txt";
    long n = t_read_file(v, buf, sizeof(buf));
    int ok = n == 18 && strcmp(buf, "original contents\n") == 0;
    printf("read /ro/victim.txt: %s\n", ok ? "ok" : "FAIL");
    failures += !ok;

    expect_err("open O_WRONLY", open(v, O_WRONLY), EROFS);
    expect_err("open O_RDWR", open(v, O_RDWR), EROFS);
    expect_err("open O_WRONLY|O_TRUNC", open(v, O_WRONLY | O_TRUNC), EROFS);
    expect_err("open O_WRONLY|O_APPEND", open(v, O_WRONLY | O_APPEND), EROFS);
    expect_err("open via dir/..", open("/ro/dir/../victim.txt", O_RDWR), EROFS);
    expect_err("create new file", open("/ro/new.txt", O_WRONLY | O_CREAT, 0644), EROFS);
    expect_err("creat", creat("/ro/new2.txt", 0644), EROFS);
    expect_err("unlink", unlink(v), EROFS);
    expect_err("rename", rename(v, "/ro/renamed.txt"), EROFS);
    expect_err("truncate", truncate(v, 0), EROFS);
    expect_err("chmod", chmod(v, 0777), EROFS);
    expect_err("chown", chown(v, geteuid(), getegid()), EROFS);
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    expect_err("utimensat", utimensat(AT_FDCWD, v, ts, 0), EROFS);
    expect_err("mkdir", mkdir("/ro/newdir", 0755), EROFS);
    expect_err("rmdir", rmdir("/ro/dir"), EROFS);
    expect_err("symlink", symlink("victim.txt", "/ro/sl"), EROFS);
    expect_err("link", link(v, "/ro/hard"), EROFS);

    int fd = open(v, O_RDONLY);
    expect_err("write on O_RDONLY fd", write(fd, "x", 1), EBADF);
    expect_err("ftruncate on O_RDONLY fd", ftruncate(fd, 0), EINVAL);
    expect_err("fchmod on O_RDONLY fd", fchmod(fd, 0777), EROFS);
    expect_err("futimens on O_RDONLY fd", futimens(fd, ts), EROFS);
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect_err("mmap shared writable", m == MAP_FAILED ? -1 : 0, EACCES);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("mmap private writable: %s\n", p != MAP_FAILED ? "ok" : t_errname(errno));
    if (p != MAP_FAILED) {
        memcpy(p, "CHANGED", 7);
        munmap(p, 4096);
    } else {
        failures++;
    }
    close(fd);
    n = t_read_file(v, buf, sizeof(buf));
    ok = n == 18 && strcmp(buf, "original contents\n") == 0;
    printf("contents after private write: %s\n", ok ? "unchanged" : "CHANGED");
    failures += !ok;
    return failures ? 1 : 0;
}
