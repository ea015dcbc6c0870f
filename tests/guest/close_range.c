// close_range: closing a range of descriptors, marking a range close-on-exec, and the
// argument errors, checked through fcntl afterwards.
#include "t.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif

int main(void)
{
    int a = open("/dev/null", O_RDONLY), b = dup(a), c = dup(a), d = dup(a);
    CHECK("four descriptors", a >= 3 && b > a && c > b && d > c);
    CHECK_EQ("close_range CLOEXEC on [b, c]",
             syscall(SYS_close_range, b, c, CLOSE_RANGE_CLOEXEC), 0);
    CHECK_EQ("b is close-on-exec", fcntl(b, F_GETFD), FD_CLOEXEC);
    CHECK_EQ("c is close-on-exec", fcntl(c, F_GETFD), FD_CLOEXEC);
    CHECK_EQ("a is not", fcntl(a, F_GETFD), 0);
    CHECK_EQ("close_range [b, ~0]", syscall(SYS_close_range, b, ~0U, 0), 0);
    CHECK_ERR("b closed", fcntl(b, F_GETFD), EBADF);
    CHECK_ERR("d closed", fcntl(d, F_GETFD), EBADF);
    CHECK_EQ("a still open", fcntl(a, F_GETFD), 0);
    CHECK_ERR("first > last", syscall(SYS_close_range, 10, 5, 0), EINVAL);
    CHECK_ERR("unknown flag", syscall(SYS_close_range, 3, 5, 0x80), EINVAL);
    CHECK_EQ("a range with nothing open", syscall(SYS_close_range, 500, 600, 0), 0);
    return t_done();
}
