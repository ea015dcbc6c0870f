/* sys_xattr.c: extended attributes. No file system of the core stores them yet, so every
 * name is absent (ENODATA), lists are empty, and setting one is refused as a file system
 * without xattr support refuses it (ENOTSUP). The path or fd is still checked, so a bad one
 * gets its own error first, as on Linux. */
#include "linux.h"

static long check_path(uptr path, bool follow)
{
    struct resolved r;
    int err = path_resolve_at(current()->proc, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0,
                              false, &r);
    if (!err)
        resolved_put(&r);
    return err;
}

static long check_fd(int fd)
{
    struct file *f = fd_get(&current()->proc->fds, fd);
    if (!f)
        return -EBADF;
    file_put(f);
    return 0;
}

static long check_name(uptr name)
{
    char n[256];
    long len = copy_str_from_guest(n, name, sizeof(n));
    if (len == -ENAMETOOLONG)
        return -ERANGE;
    if (len < 0)
        return len;
    return len == 0 ? -ERANGE : 0;
}

static long get(long err, uptr name)
{
    return err ? err : (check_name(name) ?: -ENODATA);
}

static long set(long err, uptr name)
{
    return err ? err : (check_name(name) ?: -EOPNOTSUPP);
}

long sys_getxattr(uptr path, uptr name)
{
    return get(check_path(path, true), name);
}

long sys_lgetxattr(uptr path, uptr name)
{
    return get(check_path(path, false), name);
}

long sys_fgetxattr(int fd, uptr name)
{
    return get(check_fd(fd), name);
}

long sys_listxattr(uptr path)
{
    return check_path(path, true);
}

long sys_llistxattr(uptr path)
{
    return check_path(path, false);
}

long sys_flistxattr(int fd)
{
    return check_fd(fd);
}

long sys_setxattr(uptr path, uptr name)
{
    return set(check_path(path, true), name);
}

long sys_lsetxattr(uptr path, uptr name)
{
    return set(check_path(path, false), name);
}

long sys_fsetxattr(int fd, uptr name)
{
    return set(check_fd(fd), name);
}

long sys_removexattr(uptr path, uptr name)
{
    return get(check_path(path, true), name);
}

long sys_lremovexattr(uptr path, uptr name)
{
    return get(check_path(path, false), name);
}

long sys_fremovexattr(int fd, uptr name)
{
    return get(check_fd(fd), name);
}
