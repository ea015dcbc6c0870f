// With the default mounts (host / read-only under a writable in-memory layer), the guest
// may rewrite /etc/passwd and create files in /etc: the changes are visible inside the
// sandbox but never reach the host (the runner compares the host files before and after).
// Safety nets, as this must never run outside a working sandbox: the runner first runs
// `overlay_passwd --canary DIR` (DIR a host directory outside the --rw mounts) and stops if
// that write reaches the host; the real run needs --in-sandbox and restores what it changed.
// args: --in-sandbox
// husk-canary
// check-unchanged: /etc/passwd
// check-absent: /etc/husk-overlay-test
// check-absent: /etc/husk-overlay-dir
// check-absent: /etc/passwd.husk-moved
// expect-status: 0
// expect-stdout: read original: ok
// expect-stdout: rewrite /etc/passwd: ok
// expect-stdout: read back rewritten: ok
// expect-stdout: size after rewrite: ok
// expect-stdout: append: ok
// expect-stdout: create /etc/husk-overlay-test: ok
// expect-stdout: read new file: ok
// expect-stdout: unlink new file: ok
// expect-stdout: new file gone: ok
// expect-stdout: mkdir and rmdir in /etc: ok
// expect-stdout: rename /etc/passwd away and back: ok
// expect-stdout: restore original: ok
#include "../guest/t.h"
#include <limits.h>

static char original[1 << 20];

/* Canary mode: rewrite DIR/existing.txt and create DIR/new.txt; none of it may reach the
 * host. Exits 0 when both writes succeeded inside the sandbox. */
static int canary(const char *dir)
{
    char path[PATH_MAX], buf[32];
    snprintf(path, sizeof(path), "%s/existing.txt", dir);
    if (t_write_file(path, "CHANGED\n") != 0 || t_read_file(path, buf, sizeof(buf)) != 8)
        return 3;
    snprintf(path, sizeof(path), "%s/new.txt", dir);
    if (t_write_file(path, "new\n") != 0)
        return 4;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--canary") == 0)
        return canary(argv[2]);
    if (argc < 2 || strcmp(argv[1], "--in-sandbox") != 0) {
        fprintf(stderr, "refusing to run: this program rewrites /etc/passwd\n");
        return 2;
    }
    static const char marker[] = "husk-overlay-test:x:4242:4242::/:/bin/false\n";
    char buf[256];
    long olen = t_read_file("/etc/passwd", original, sizeof(original));
    CHECK("read original", olen > 0 && strncmp(original, "root:", 5) == 0);
    if (olen <= 0)
        return t_done();

    CHECK_EQ("rewrite /etc/passwd", t_write_file("/etc/passwd", marker), 0);
    CHECK("read back rewritten",
          t_read_file("/etc/passwd", buf, sizeof(buf)) > 0 && strcmp(buf, marker) == 0);
    CHECK("size after rewrite", t_file_size("/etc/passwd") == (long)strlen(marker));
    int fd = open("/etc/passwd", O_WRONLY | O_APPEND);
    CHECK("append", fd >= 0 && write(fd, "x\n", 2) == 2 && close(fd) == 0 &&
                        t_file_size("/etc/passwd") == (long)strlen(marker) + 2);

    CHECK_EQ("create /etc/husk-overlay-test", t_write_file("/etc/husk-overlay-test", "new\n"), 0);
    CHECK("read new file", t_read_file("/etc/husk-overlay-test", buf, sizeof(buf)) == 4 &&
                               strcmp(buf, "new\n") == 0);
    CHECK_EQ("unlink new file", unlink("/etc/husk-overlay-test"), 0);
    CHECK_ERR("new file gone", access("/etc/husk-overlay-test", F_OK), ENOENT);
    CHECK("mkdir and rmdir in /etc",
          mkdir("/etc/husk-overlay-dir", 0755) == 0 && rmdir("/etc/husk-overlay-dir") == 0);
    CHECK("rename /etc/passwd away and back",
          rename("/etc/passwd", "/etc/passwd.husk-moved") == 0 &&
              access("/etc/passwd", F_OK) != 0 &&
              rename("/etc/passwd.husk-moved", "/etc/passwd") == 0);

    /* put the original bytes back (matters only if this ever ran outside a sandbox) */
    fd = open("/etc/passwd", O_WRONLY | O_TRUNC);
    CHECK("restore original", fd >= 0 && write(fd, original, olen) == olen && close(fd) == 0);
    return t_done();
}
