/* husk.h: the C interface of the husk library OS, for programs that link it (libhusk.a) and
 * call it directly instead of trapping Linux syscalls: the North interface for C callers.
 *
 * A program using it is freestanding like husk itself: it is linked with -nostdlib against
 * libhusk.a, which brings husk's own start-up, and it provides husk_app_main() instead of
 * main(). Every call is served by the library OS in the same process; only the platform's
 * keyhole calls reach the host, and husk_seal() closes the keyhole exactly as `husk run` does.
 * Functions return 0 or a count on success and a negative errno (Linux numbering) on error. */
#ifndef HUSK_HUSK_H
#define HUSK_HUSK_H

#include <stddef.h>
#include <stdint.h>

/* Open flags and errno values are Linux's (O_RDONLY 0, O_WRONLY 1, O_RDWR 2, O_CREAT 0100,
 * O_TRUNC 01000, O_APPEND 02000; ENOENT 2, EBADF 9, ...). */

/* The application's entry point, called once husk's start-up has run. Its return value is the
 * exit status. */
int husk_app_main(int argc, char **argv, char **envp);

/* Sets up the library OS with an empty in-memory root file system and one process (pid 1)
 * whose descriptors 0, 1 and 2 are the host's standard streams. */
int husk_init(void);
/* Mounts a host path (directory or file) at a guest path, read-only or writable, before
 * husk_seal; an empty in-memory file system when host_path is NULL. */
int husk_mount(const char *host_path, const char *guest_path, int writable);
/* Closes the keyhole: Landlock on the mounted host trees, then the seccomp filter. From here
 * on the process can make only the documented host calls. */
int husk_seal(void);

/* File operations on the library OS's VFS, as their Linux namesakes. */
int husk_open(const char *path, int flags, int mode);
long husk_read(int fd, void *buf, size_t n);
long husk_write(int fd, const void *buf, size_t n);
int husk_close(int fd);
int husk_mkdir(const char *path, int mode);
int husk_unlink(const char *path);
/* Size of the file at path, or a negative errno. */
long husk_file_size(const char *path);

#endif
