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
