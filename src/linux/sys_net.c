/* sys_net.c: sockets. No address family is served yet, so socket() answers as a kernel built
 * without any (EAFNOSUPPORT) after checking its arguments; programs that probe for a name
 * service (nscd) or logging socket fall back as they do on such kernels. */
#include "linux.h"

#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000
#define EAFNOSUPPORT 97

long sys_socket(int domain, int type, int protocol)
{
    (void)protocol;
    int kind = type & SOCK_TYPE_MASK;
    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    if (kind < 1 || kind > 6 || kind == 4)
        return -EINVAL;
    if (domain < 0 || domain >= 46) /* AF_MAX */
        return -EAFNOSUPPORT;
    return -EAFNOSUPPORT;
}

/* Calls on a socket descriptor: no descriptor is a socket yet, so a valid one is ENOTSOCK (as
 * Linux answers for a pipe or a file) and an invalid one EBADF. */
#define ENOTSOCK 88

static long not_a_socket(int fd)
{
    struct file *f = fd_get(&current()->proc->fds, fd);
    if (!f)
        return -EBADF;
    file_put(f);
    return -ENOTSOCK;
}

long sys_connect(int fd)
{
    return not_a_socket(fd);
}

long sys_accept(int fd)
{
    return not_a_socket(fd);
}

long sys_sendto(int fd)
{
    return not_a_socket(fd);
}

long sys_recvfrom(int fd)
{
    return not_a_socket(fd);
}

long sys_sendmsg(int fd)
{
    return not_a_socket(fd);
}

long sys_recvmsg(int fd)
{
    return not_a_socket(fd);
}

long sys_shutdown(int fd)
{
    return not_a_socket(fd);
}

long sys_bind(int fd)
{
    return not_a_socket(fd);
}

long sys_listen(int fd)
{
    return not_a_socket(fd);
}

long sys_getsockname(int fd)
{
    return not_a_socket(fd);
}

long sys_getpeername(int fd)
{
    return not_a_socket(fd);
}

long sys_setsockopt(int fd)
{
    return not_a_socket(fd);
}

long sys_getsockopt(int fd)
{
    return not_a_socket(fd);
}

long sys_accept4(int fd)
{
    return not_a_socket(fd);
}

long sys_socketpair(int domain, int type, int protocol, uptr sv)
{
    (void)sv;
    return sys_socket(domain, type, protocol);
}
