// With no root file system and one read-only host directory at /data, nothing outside the
// mounts is reachable: not by absolute path, not by "..", not through absolute or relative
// symlinks inside /data, not through /proc/self/root, not by climbing out of the working
// directory or the program's own mount. Every attempt must fail with ENOENT; the controls
// must succeed (so the test cannot pass merely because nothing works). The program itself
// is mounted as the file /escape_paths, and no scratch directory is mounted, so that only
// top-level mount points are needed.
// husk-args: --root none --tmpfs /tmp --ro {scratch}/inside:/data --ro {bin}:/escape_paths
// husk-program: /escape_paths
// no-scratch-mount
// setup-file: inside/hello.txt=hello\n
// setup-dir: inside/sub
// setup-symlink: inside/abs_link -> /etc/passwd
// setup-symlink: inside/rel_link -> ../../../../etc/passwd
// setup-symlink: inside/dir_link -> /etc
// setup-symlink: inside/up_link -> ..
// setup-symlink: inside/ok_link -> hello.txt
// expect-status: 0
// expect-stdout: control /data/hello.txt: ok
// expect-stdout: control /data/ok_link: ok
// expect-stdout: control readlink /data/abs_link: /etc/passwd
// expect-stdout: /etc/passwd: ENOENT
// expect-stdout: stat /etc/passwd: ENOENT
// expect-stdout: /data/../../etc/passwd: ENOENT
// expect-stdout: /data/sub/../../../etc/passwd: ENOENT
// expect-stdout: /data/abs_link: ENOENT
// expect-stdout: stat /data/abs_link: ENOENT
// expect-stdout: /data/rel_link: ENOENT
// expect-stdout: /data/dir_link/passwd: ENOENT
// expect-stdout: /data/up_link/etc/passwd: ENOENT
// expect-stdout: /proc/self/root/etc/passwd: ENOENT
// expect-stdout: openat(/data, ../etc/passwd): ENOENT
// expect-stdout: openat(/data, ../../../../etc/passwd): ENOENT
// expect-stdout: openat(/data, rel_link): ENOENT
// expect-stdout: chdir /data then ../../etc/passwd: ENOENT
// expect-stdout: cwd/../(x12)etc/passwd: ENOENT
// expect-stdout: program dir/../(x12)etc/passwd: ENOENT
#include "../guest/t.h"
#include <libgen.h>
#include <limits.h>

static int failures;

static void control(const char *path)
{
    char buf[64];
    long n = t_read_file(path, buf, sizeof(buf));
    if (n == 6 && strcmp(buf, "hello\n") == 0) {
        printf("control %s: ok\n", path);
    } else {
        failures++;
        printf("control %s: FAIL (%s)\n", path, n < 0 ? t_errname(errno) : "wrong contents");
    }
}

/* Reports how opening path (relative to dirfd) failed; opening it at all is an escape. */
static void attempt(const char *label, int dirfd, const char *path)
{
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd >= 0) {
        failures++;
        printf("%s: OPENED (escape!)\n", label);
        close(fd);
        return;
    }
    if (errno != ENOENT)
        failures++;
    printf("%s: %s\n", label, t_errname(errno));
}

static void attempt_stat(const char *label, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        failures++;
        printf("%s: FOUND (escape!)\n", label);
        return;
    }
    if (errno != ENOENT)
        failures++;
    printf("%s: %s\n", label, t_errname(errno));
}

static void climb(const char *label, const char *dir)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/../../../../../../../../../../../../etc/passwd", dir);
    attempt(label, AT_FDCWD, path);
}

int main(int argc, char **argv)
{
    (void)argc;
    char buf[PATH_MAX];
    control("/data/hello.txt");
    control("/data/ok_link");
    long n = readlink("/data/abs_link", buf, sizeof(buf) - 1);
    buf[n < 0 ? 0 : n] = 0;
    printf("control readlink /data/abs_link: %s\n", n < 0 ? t_errname(errno) : buf);
    if (n < 0)
        failures++;

    attempt("/etc/passwd", AT_FDCWD, "/etc/passwd");
    attempt_stat("stat /etc/passwd", "/etc/passwd");
    attempt("/data/../../etc/passwd", AT_FDCWD, "/data/../../etc/passwd");
    attempt("/data/sub/../../../etc/passwd", AT_FDCWD, "/data/sub/../../../etc/passwd");
    attempt("/data/abs_link", AT_FDCWD, "/data/abs_link");
    attempt_stat("stat /data/abs_link", "/data/abs_link");
    attempt("/data/rel_link", AT_FDCWD, "/data/rel_link");
    attempt("/data/dir_link/passwd", AT_FDCWD, "/data/dir_link/passwd");
    attempt("/data/up_link/etc/passwd", AT_FDCWD, "/data/up_link/etc/passwd");
    attempt("/proc/self/root/etc/passwd", AT_FDCWD, "/proc/self/root/etc/passwd");
    int data = open("/data", O_RDONLY | O_DIRECTORY);
    if (data < 0) {
        failures++;
        printf("open /data: FAIL (%s)\n", t_errname(errno));
    }
    attempt("openat(/data, ../etc/passwd)", data, "../etc/passwd");
    attempt("openat(/data, ../../../../etc/passwd)", data, "../../../../etc/passwd");
    attempt("openat(/data, rel_link)", data, "rel_link");
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        strcpy(cwd, ".");
    if (chdir("/data") == 0) {
        attempt("chdir /data then ../../etc/passwd", AT_FDCWD, "../../etc/passwd");
        chdir(cwd);
    } else {
        failures++;
        printf("chdir /data: FAIL (%s)\n", t_errname(errno));
    }
    climb("cwd/../(x12)etc/passwd", cwd);
    char self[PATH_MAX];
    snprintf(self, sizeof(self), "%s", argv[0]);
    climb("program dir/../(x12)etc/passwd", dirname(self));
    return failures ? 1 : 0;
}
