// Process basics: getpid/getppid/gettid, the uid/gid family, arch_prctl(ARCH_GET_FS/SET_FS)
// against a TLS variable, set_tid_address, prctl(PR_SET_NAME/PR_GET_NAME), uname, sysinfo,
// getrlimit/setrlimit/prlimit64, sched_getaffinity, sched_yield, getrusage, times.
#include "t.h"
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>

#define T_ARCH_SET_FS 0x1002
#define T_ARCH_GET_FS 0x1003

static _Thread_local int tls_var = 42;

int main(void)
{
    /* --- ids --- */
    pid_t pid = getpid();
    CHECK("getpid > 0", pid > 0);
    CHECK_EQ("getpid stable", getpid(), pid);
    CHECK_EQ("raw getpid", syscall(SYS_getpid), pid);
    /* 0 is right for the first process of a pid namespace (a sandbox's init). */
    CHECK("getppid >= 0", getppid() >= 0);
    CHECK("getppid differs from pid", getppid() != pid);
    CHECK_EQ("gettid == getpid", syscall(SYS_gettid), pid);
    CHECK_EQ("getpgid(0) == getpgrp", getpgid(0), getpgrp());
    CHECK_EQ("getpgid(self) == getpgid(0)", getpgid(pid), getpgid(0));
    CHECK("getsid(0) > 0", getsid(0) > 0);
    CHECK_ERR("getpgid of unknown pid", getpgid(0x3ffffff0), ESRCH);

    uid_t r, e, s;
    gid_t gr, ge, gs;
    CHECK_EQ("getresuid", getresuid(&r, &e, &s), 0);
    CHECK("getuid matches getresuid", getuid() == r && geteuid() == e);
    CHECK("saved uid == effective", s == e);
    CHECK_EQ("getresgid", getresgid(&gr, &ge, &gs), 0);
    CHECK("getgid matches getresgid", getgid() == gr && getegid() == ge);
    CHECK("saved gid == effective", gs == ge);
    CHECK_ERR("getresuid bad pointer", syscall(SYS_getresuid, BADPTR, &e, &s), EFAULT);
    int ng = getgroups(0, NULL);
    CHECK("getgroups count", ng >= 0);
    gid_t groups[256];
    CHECK_EQ("getgroups list", getgroups(256, groups), ng);
    if (ng > 1)
        CHECK_ERR("getgroups too small", getgroups(1, groups), EINVAL);
    CHECK_EQ("setuid to own uid", setuid(getuid()), 0);
    CHECK_EQ("setgid to own gid", setgid(getgid()), 0);
    CHECK_EQ("uid unchanged", getuid(), r);

    /* --- TLS and arch_prctl --- */
    unsigned long fs = 0, self = 0;
    CHECK_EQ("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, T_ARCH_GET_FS, &fs), 0);
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    CHECK("FS base == TCB self pointer", fs != 0 && fs == self);
    uintptr_t tv = (uintptr_t)&tls_var;
    CHECK("TLS variable lies just below FS base", tv < fs && fs - tv < 65536);
    CHECK_EQ("TLS initial value", tls_var, 42);
    tls_var = 7;
    CHECK_EQ("arch_prctl ARCH_SET_FS same value", syscall(SYS_arch_prctl, T_ARCH_SET_FS, fs), 0);
    CHECK_EQ("TLS survives SET_FS", tls_var, 7);
    CHECK_ERR("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, &fs), EINVAL);
    CHECK_ERR("arch_prctl GET_FS bad pointer", syscall(SYS_arch_prctl, T_ARCH_GET_FS, BADPTR),
              EFAULT);

    /* --- set_tid_address --- */
    static int clear_me;
    CHECK_EQ("set_tid_address returns tid", syscall(SYS_set_tid_address, &clear_me), pid);

    /* --- prctl names --- */
    char name[32] = {0};
    CHECK_EQ("PR_SET_NAME", prctl(PR_SET_NAME, "husk-test"), 0);
    CHECK_EQ("PR_GET_NAME", prctl(PR_GET_NAME, name), 0);
    CHECK("name round trip", strcmp(name, "husk-test") == 0);
    CHECK_EQ("PR_SET_NAME long", prctl(PR_SET_NAME, "a-very-long-thread-name-indeed"), 0);
    CHECK_EQ("PR_GET_NAME long", prctl(PR_GET_NAME, name), 0);
    CHECK("long name truncated to 15", strcmp(name, "a-very-long-thr") == 0);
    CHECK_ERR("prctl bad option", prctl(0x7fff1234, 0, 0, 0, 0), EINVAL);
    CHECK_EQ("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE) >= 0, 1);

    /* --- uname --- */
    struct utsname u;
    CHECK_EQ("uname", uname(&u), 0);
    CHECK("sysname Linux", strcmp(u.sysname, "Linux") == 0);
    CHECK("machine x86_64", strcmp(u.machine, "x86_64") == 0);
    CHECK("release non-empty", u.release[0] != 0);
    CHECK("nodename non-empty", u.nodename[0] != 0);
    CHECK_ERR("uname bad pointer", syscall(SYS_uname, BADPTR), EFAULT);

    /* --- sysinfo --- */
    struct sysinfo si;
    CHECK_EQ("sysinfo", sysinfo(&si), 0);
    CHECK("sysinfo totalram", si.totalram > 0 && si.mem_unit >= 1);
    CHECK("sysinfo procs", si.procs > 0);
    CHECK_ERR("sysinfo bad pointer", syscall(SYS_sysinfo, BADPTR), EFAULT);

    /* --- resource limits --- */
    struct rlimit rl, rl2;
    CHECK_EQ("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &rl), 0);
    CHECK("soft <= hard", rl.rlim_cur <= rl.rlim_max);
    CHECK_EQ("prlimit64 get", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl2), 0);
    CHECK("prlimit64 matches getrlimit",
          rl.rlim_cur == rl2.rlim_cur && rl.rlim_max == rl2.rlim_max);
    struct rlimit lower = {rl.rlim_cur > 256 ? 256 : rl.rlim_cur, rl.rlim_max};
    CHECK_EQ("setrlimit lower soft", setrlimit(RLIMIT_NOFILE, &lower), 0);
    CHECK("getrlimit sees new soft", getrlimit(RLIMIT_NOFILE, &rl2) == 0 &&
                                         rl2.rlim_cur == lower.rlim_cur &&
                                         rl2.rlim_max == lower.rlim_max);
    struct rlimit old;
    CHECK_EQ("prlimit64 set and get old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, &old), 0);
    CHECK("prlimit64 old value", old.rlim_cur == lower.rlim_cur);
    CHECK("restored", getrlimit(RLIMIT_NOFILE, &rl2) == 0 && rl2.rlim_cur == rl.rlim_cur);
    CHECK_EQ("prlimit64 on own pid", syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &rl2),
             0);
    struct rlimit inverted = {rl.rlim_max, rl.rlim_max > 0 ? rl.rlim_max - 1 : 0};
    CHECK_ERR("setrlimit soft > hard", setrlimit(RLIMIT_NOFILE, &inverted), EINVAL);
    CHECK_ERR("getrlimit bad resource", syscall(SYS_getrlimit, 999, &rl2), EINVAL);
    CHECK_ERR("getrlimit bad pointer", syscall(SYS_getrlimit, RLIMIT_NOFILE, BADPTR), EFAULT);
    CHECK("RLIMIT_STACK nonzero", getrlimit(RLIMIT_STACK, &rl2) == 0 && rl2.rlim_cur > 0);
    CHECK_EQ("getrlimit RLIMIT_AS", getrlimit(RLIMIT_AS, &rl2), 0);
    CHECK_EQ("getrlimit RLIMIT_CORE", getrlimit(RLIMIT_CORE, &rl2), 0);

    /* --- scheduling --- */
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_EQ("sched_getaffinity", sched_getaffinity(0, sizeof(set), &set), 0);
    CHECK("affinity has a CPU", CPU_COUNT(&set) > 0);
    CHECK("raw sched_getaffinity returns size",
          syscall(SYS_sched_getaffinity, 0, sizeof(set), &set) > 0);
    CHECK_ERR("sched_getaffinity tiny size", syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
    CHECK_EQ("sched_yield", sched_yield(), 0);
    CHECK_EQ("sched_getscheduler", syscall(SYS_sched_getscheduler, 0), SCHED_OTHER);

    /* --- accounting --- */
    struct rusage ru;
    CHECK_EQ("getrusage SELF", getrusage(RUSAGE_SELF, &ru), 0);
    CHECK("maxrss > 0", ru.ru_maxrss > 0);
    CHECK_EQ("getrusage CHILDREN", getrusage(RUSAGE_CHILDREN, &ru), 0);
    CHECK_EQ("getrusage THREAD", getrusage(RUSAGE_THREAD, &ru), 0);
    CHECK_ERR("getrusage bad who", getrusage(42, &ru), EINVAL);
    struct tms t;
    CHECK("times", times(&t) != (clock_t)-1);
    CHECK("sysconf CLK_TCK", sysconf(_SC_CLK_TCK) == 100);
    CHECK("sysconf NPROCESSORS", sysconf(_SC_NPROCESSORS_ONLN) > 0);

    return t_done();
}
