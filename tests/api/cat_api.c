/* cat_api.c: a freestanding program on libhusk (include/husk/husk.h): mounts one host file
 * read-only, seals the keyhole, then copies the file to standard output through the library
 * OS, and checks that a path outside every mount and a write to the read-only mount fail. */
#include "../../include/husk/husk.h"

static long say(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    return husk_write(1, s, (size_t)n);
}

int husk_app_main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc != 2) {
        say("usage: cat_api HOST-FILE\n");
        return 2;
    }
    if (husk_init() || husk_mount(argv[1], "/data", 0) || husk_mount(0, "/tmp", 1) ||
        husk_seal()) {
        say("setup failed\n");
        return 1;
    }
    int fd = husk_open("/data", 0, 0);
    if (fd < 0)
        return 1;
    char buf[4096];
    long n;
    while ((n = husk_read(fd, buf, sizeof(buf))) > 0)
        husk_write(1, buf, (size_t)n);
    husk_close(fd);
    int bad = husk_open("/etc/passwd", 0, 0);
    say(bad == -2 ? "outside the mounts: ENOENT\n" : "outside the mounts: OPENED\n");
    bad = husk_open("/data", 1, 0);
    say(bad == -30 ? "write to the read-only mount: EROFS\n" : "write to the read-only mount: ALLOWED\n");
    fd = husk_open("/tmp/x", 0101, 0644); /* O_WRONLY|O_CREAT in the in-memory /tmp */
    long w = husk_write(fd, "xyz", 3);
    husk_close(fd);
    say(w == 3 && husk_file_size("/tmp/x") == 3 ? "tmpfs write: ok\n" : "tmpfs write: FAILED\n");
    return 0;
}
