/* sys_proc.c: process identity and environment: ids, credentials, limits, names, the TLS
 * base, uname, sysinfo, resource usage, scheduling queries, and exit. */
#include "linux.h"

static struct proc *cproc(void)
{
    return current()->proc;
}

long sys_getpid(void)
{
    return cproc()->pid;
}

long sys_getppid(void)
{
    return cproc()->ppid;
}

long sys_gettid(void)
{
    return current()->tid;
}

long sys_getpgrp(void)
{
    return cproc()->pgid;
}

long sys_getpgid(int pid)
{
    return proc_getpgid(pid, false);
}

long sys_getsid(int pid)
{
    return proc_getpgid(pid, true);
}

long sys_setpgid(int pid, int pgid)
{
    return proc_setpgid(cproc(), pid, pgid);
}

long sys_setsid(void)
{
    struct proc *p = cproc();
    if (p->pgid == p->pid)
        return -EPERM; /* already a process group leader */
    p->sid = p->pgid = p->pid;
    return p->sid;
}

long sys_getuid(void)
{
    return cproc()->uid;
}

long sys_geteuid(void)
{
    return cproc()->euid;
}

long sys_getgid(void)
{
    return cproc()->gid;
}

long sys_getegid(void)
{
    return cproc()->egid;
}

static long put3(uptr a, uptr b, uptr c, u32 x, u32 y, u32 z)
{
    if (copy_to_guest(a, &x, 4) || copy_to_guest(b, &y, 4) || copy_to_guest(c, &z, 4))
        return -EFAULT;
    return 0;
}

long sys_getresuid(uptr r, uptr e, uptr s)
{
    struct proc *p = cproc();
    return put3(r, e, s, p->uid, p->euid, p->suid);
}

long sys_getresgid(uptr r, uptr e, uptr s)
{
    struct proc *p = cproc();
    return put3(r, e, s, p->gid, p->egid, p->sgid);
}

/* Credentials inside the sandbox: root may become anyone; others only their own ids. */
long sys_setuid(u32 uid)
{
    struct proc *p = cproc();
    if (p->euid == 0)
        p->uid = p->euid = p->suid = uid;
    else if (uid == p->uid || uid == p->suid)
        p->euid = uid;
    else
        return -EPERM;
    return 0;
}

long sys_setgid(u32 gid)
{
    struct proc *p = cproc();
    if (p->euid == 0)
        p->gid = p->egid = p->sgid = gid;
    else if (gid == p->gid || gid == p->sgid)
        p->egid = gid;
    else
        return -EPERM;
    return 0;
}

long sys_getgroups(int size, uptr list)
{
    struct proc *p = cproc();
    if (size < 0)
        return -EINVAL;
    if (!size)
        return p->ngroups;
    if ((u32)size < p->ngroups)
        return -EINVAL;
    return copy_to_guest(list, p->groups, p->ngroups * 4) ? -EFAULT : (long)p->ngroups;
}

long sys_setgroups(int size, uptr list)
{
    struct proc *p = cproc();
    if (size < 0 || size > (int)ARRAY_SIZE(p->groups))
        return -EINVAL;
    if (p->euid != 0)
        return -EPERM;
    u32 g[ARRAY_SIZE(p->groups)];
    if (copy_from_guest(g, list, (size_t)size * 4))
        return -EFAULT;
    memcpy(p->groups, g, (size_t)size * 4);
    p->ngroups = (u32)size;
    return 0;
}

long sys_capget(uptr hdr, uptr data)
{
    u32 h[2];
    if (copy_from_guest(h, hdr, sizeof(h)))
        return -EFAULT;
    if (h[0] != 0x19980330 && h[0] != 0x20071026 && h[0] != 0x20080522) {
        h[0] = 0x20080522;
        return copy_to_guest(hdr, h, 4) ? -EFAULT : -EINVAL;
    }
    u32 caps[6] = {0};
    if (data && copy_to_guest(data, caps, h[0] == 0x19980330 ? 12 : 24))
        return -EFAULT;
    return 0;
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

long sys_arch_prctl(int code, uptr addr)
{
    struct thread *t = current();
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= 0x800000000000UL)
            return -EPERM;
        t->fs_base = addr;
        return plat_set_fs(addr);
    case ARCH_GET_FS:
        return copy_to_guest(addr, &t->fs_base, 8) ? -EFAULT : 0;
    case ARCH_GET_GS: {
        u64 zero = 0;
        return copy_to_guest(addr, &zero, 8) ? -EFAULT : 0;
    }
    case ARCH_SET_GS:
        return -EPERM; /* GS belongs to the library OS */
    case ARCH_GET_CPUID:
        return 1;
    case ARCH_SET_CPUID:
        return -ENODEV;
    }
    return -EINVAL;
}

long sys_set_tid_address(uptr tidptr)
{
    current()->clear_child_tid = tidptr;
    return current()->tid;
}

long sys_set_robust_list(uptr head, size_t len)
{
    if (len != 24) /* sizeof(struct robust_list_head) */
        return -EINVAL;
    current()->robust_list = head;
    current()->robust_len = len;
    return 0;
}

long sys_get_robust_list(int pid, uptr head_ptr, uptr len_ptr)
{
    struct thread *t = current();
    if (pid && pid != t->tid)
        return -ESRCH;
    if (copy_to_guest(head_ptr, &t->robust_list, 8) || copy_to_guest(len_ptr, &t->robust_len, 8))
        return -EFAULT;
    return 0;
}

long sys_rseq(void)
{
    return -ENOSYS; /* libc falls back to its own cpu lookup */
}

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_NO_NEW_PRIVS 39
#define PR_SET_NO_NEW_PRIVS 38

long sys_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
    (void)a3, (void)a4, (void)a5;
    struct proc *p = cproc();
    switch (op) {
    case PR_SET_NAME: {
        char name[16];
        long n = copy_str_from_guest(name, a2, sizeof(name));
        if (n == -EFAULT)
            return -EFAULT;
        name[15] = 0;
        memcpy(p->comm, name, sizeof(name));
        return 0;
    }
    case PR_GET_NAME:
        return copy_to_guest(a2, p->comm, sizeof(p->comm)) ? -EFAULT : 0;
    case PR_SET_PDEATHSIG:
        return a2 > NSIG ? -EINVAL : 0;
    case PR_GET_PDEATHSIG: {
        int z = 0;
        return copy_to_guest(a2, &z, sizeof(z)) ? -EFAULT : 0;
    }
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_DUMPABLE:
        return a2 > 1 ? -EINVAL : 0;
    case PR_GET_NO_NEW_PRIVS:
        return 1; /* true of every sandboxed process */
    case PR_SET_NO_NEW_PRIVS:
        return a2 == 1 ? 0 : -EINVAL;
    }
    return -EINVAL;
}

/* The kernel a guest sees: glibc requires at least the release it was built for. */
#define UTS_RELEASE "6.1.0-husk"
#define UTS_VERSION "#1 SMP husk library OS"

char husk_hostname[65] = "husk";

long sys_uname(uptr buf)
{
    struct linux_utsname u;
    memset(&u, 0, sizeof(u));
    strlcpy(u.sysname, "Linux", sizeof(u.sysname));
    strlcpy(u.nodename, husk_hostname, sizeof(u.nodename));
    strlcpy(u.release, UTS_RELEASE, sizeof(u.release));
    strlcpy(u.version, UTS_VERSION, sizeof(u.version));
    strlcpy(u.machine, "x86_64", sizeof(u.machine));
    strlcpy(u.domainname, "(none)", sizeof(u.domainname));
    return copy_to_guest(buf, &u, sizeof(u)) ? -EFAULT : 0;
}

static i64 uptime_ns(void)
{
    i64 s;
    long ns;
    plat_clock_get(1, &s, &ns);
    return s * 1000000000 + ns - cproc()->start_ns;
}

long sys_sysinfo(uptr buf)
{
    struct linux_sysinfo si;
    memset(&si, 0, sizeof(si));
    si.uptime = uptime_ns() / 1000000000 + 1;
    si.totalram = 4ULL << 30; /* what the sandbox promises, not the host's figure */
    si.freeram = 3ULL << 30;
    si.procs = 1;
    si.mem_unit = 1;
    return copy_to_guest(buf, &si, sizeof(si)) ? -EFAULT : 0;
}

long sys_prlimit64(int pid, unsigned res, uptr newp, uptr oldp)
{
    struct proc *p = cproc();
    if (pid && pid != p->pid)
        return -ESRCH;
    if (res >= RLIMIT_NLIMITS)
        return -EINVAL;
    struct linux_rlimit nl;
    if (newp) {
        if (copy_from_guest(&nl, newp, sizeof(nl)))
            return -EFAULT;
        if (nl.cur > nl.max)
            return -EINVAL;
        if (nl.max > p->rlim[res][1] && p->euid != 0)
            return -EPERM;
        if (res == 7 && nl.max > FD_MAX) /* RLIMIT_NOFILE above what the table can hold */
            return -EPERM;
    }
    if (oldp) {
        struct linux_rlimit o = {p->rlim[res][0], p->rlim[res][1]};
        if (copy_to_guest(oldp, &o, sizeof(o)))
            return -EFAULT;
    }
    if (newp) {
        p->rlim[res][0] = nl.cur;
        p->rlim[res][1] = nl.max;
        if (res == 7)
            p->fds.limit = (int)MIN(nl.cur, (u64)FD_MAX);
    }
    return 0;
}

long sys_getrlimit(unsigned res, uptr old)
{
    return sys_prlimit64(0, res, 0, old);
}

long sys_setrlimit(unsigned res, uptr newp)
{
    return sys_prlimit64(0, res, newp, 0);
}

long sys_getrusage(int who, uptr buf)
{
    if (who != 0 && who != -1 && who != 1) /* SELF, CHILDREN, THREAD */
        return -EINVAL;
    struct linux_rusage ru;
    memset(&ru, 0, sizeof(ru));
    struct plat_usage u;
    if (who != -1 && !plat_usage(&u)) {
        ru.ru_utime = (struct linux_timeval){u.user_us / 1000000, u.user_us % 1000000};
        ru.ru_stime = (struct linux_timeval){u.sys_us / 1000000, u.sys_us % 1000000};
        ru.rest[0] = u.maxrss_kb; /* ru_maxrss */
    }
    return copy_to_guest(buf, &ru, sizeof(ru)) ? -EFAULT : 0;
}

long sys_times(uptr buf)
{
    i64 ticks = uptime_ns() / 10000000; /* USER_HZ = 100 */
    if (buf) {
        struct plat_usage u = {0, 0, 0};
        plat_usage(&u);
        struct linux_tms t = {u.user_us / 10000, u.sys_us / 10000, 0, 0};
        if (copy_to_guest(buf, &t, sizeof(t)))
            return -EFAULT;
    }
    return ticks + 1;
}

long sys_sched_yield(void)
{
    return 0;
}

/* The CPUs a sandbox may use: those the host let husk use, as one 64-bit mask (the size
 * Linux reports for machines of up to 64 CPUs). */
long sys_sched_getaffinity(int pid, unsigned len, uptr mask)
{
    if (pid && pid != current()->tid && pid != cproc()->pid)
        return -ESRCH;
    if (len < 8 || (len & 7))
        return -EINVAL;
    int n = plat_cpu_count();
    u64 m = n >= 64 ? ~0ULL : (1ULL << n) - 1;
    return copy_to_guest(mask, &m, 8) ? -EFAULT : 8;
}

long sys_sched_setaffinity(int pid, unsigned len, uptr mask)
{
    if (pid && pid != current()->tid && pid != cproc()->pid)
        return -ESRCH;
    u64 m = 0;
    if (copy_from_guest(&m, mask, MIN(len, 8U)))
        return -EFAULT;
    return m ? 0 : -EINVAL;
}

long sys_getcpu(uptr cpu, uptr node, uptr cache)
{
    (void)cache;
    u32 z = 0;
    if ((cpu && copy_to_guest(cpu, &z, 4)) || (node && copy_to_guest(node, &z, 4)))
        return -EFAULT;
    return 0;
}


/* Scheduling: every guest thread runs under SCHED_OTHER at priority 0; a sandbox may read
 * that and may ask for it again, but not for real-time classes (EPERM, as for an unprivileged
 * Linux user). */
#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5

static bool pid_ok(int pid)
{
    return pid == 0 || pid == cproc()->pid || pid == current()->tid;
}

long sys_sched_getscheduler(int pid)
{
    if (pid < 0)
        return -EINVAL;
    return pid_ok(pid) ? SCHED_OTHER : -ESRCH;
}

long sys_sched_getparam(int pid, uptr param)
{
    if (pid < 0 || !param)
        return -EINVAL;
    if (!pid_ok(pid))
        return -ESRCH;
    int prio = 0;
    return copy_to_guest(param, &prio, sizeof(prio)) ? -EFAULT : 0;
}

long sys_sched_setscheduler(int pid, int policy, uptr param)
{
    int prio;
    if (pid < 0 || !param)
        return -EINVAL;
    if (copy_from_guest(&prio, param, sizeof(prio)))
        return -EFAULT;
    if (!pid_ok(pid))
        return -ESRCH;
    policy &= ~0x40000000; /* SCHED_RESET_ON_FORK */
    if (policy == SCHED_FIFO || policy == SCHED_RR)
        return prio < 1 || prio > 99 ? -EINVAL : -EPERM;
    if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE)
        return -EINVAL;
    return prio ? -EINVAL : 0;
}

long sys_sched_setparam(int pid, uptr param)
{
    return sys_sched_setscheduler(pid, SCHED_OTHER, param);
}

long sys_sched_get_priority_max(int policy)
{
    if (policy == SCHED_FIFO || policy == SCHED_RR)
        return 99;
    return (policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE) ? 0 : -EINVAL;
}

long sys_sched_get_priority_min(int policy)
{
    if (policy == SCHED_FIFO || policy == SCHED_RR)
        return 1;
    return (policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE) ? 0 : -EINVAL;
}

long sys_getpriority(int which, int who)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    if (which == 0 && who && who != cproc()->pid)
        return -ESRCH;
    return 20; /* the kernel returns 20 - nice, so nice 0 */
}

long sys_setpriority(int which, int who, int prio)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    if (which == 0 && who && who != cproc()->pid)
        return -ESRCH;
    return prio < 0 && cproc()->euid != 0 ? -EACCES : 0;
}


/* The set*id family within the sandbox: root may take any ids; others may only move between
 * their real, effective and saved ids (-1 leaves one unchanged), as in Linux. */
static long set_ids(u32 *r, u32 *e, u32 *s, u32 nr, u32 ne, u32 ns, bool privileged)
{
    u32 none = (u32)-1;
    if (!privileged) {
        u32 ok[3] = {*r, *e, *s};
        u32 want[3] = {nr, ne, ns};
        for (int i = 0; i < 3; i++)
            if (want[i] != none && want[i] != ok[0] && want[i] != ok[1] && want[i] != ok[2])
                return -EPERM;
    }
    if (nr != none)
        *r = nr;
    if (ne != none)
        *e = ne;
    if (ns != none)
        *s = ns;
    return 0;
}

long sys_setresuid(u32 r, u32 e, u32 s)
{
    struct proc *p = cproc();
    return set_ids(&p->uid, &p->euid, &p->suid, r, e, s, p->euid == 0);
}

long sys_setresgid(u32 r, u32 e, u32 s)
{
    struct proc *p = cproc();
    return set_ids(&p->gid, &p->egid, &p->sgid, r, e, s, p->euid == 0);
}

/* setreuid: a changed real id, or an effective id other than the old real one, also sets the
 * saved id to the new effective one. */
long sys_setreuid(u32 r, u32 e)
{
    struct proc *p = cproc();
    u32 old_r = p->uid, none = (u32)-1;
    u32 s = (r != none || (e != none && e != old_r)) ? (e != none ? e : p->euid) : none;
    return set_ids(&p->uid, &p->euid, &p->suid, r, e, s, p->euid == 0);
}

long sys_setregid(u32 r, u32 e)
{
    struct proc *p = cproc();
    u32 old_r = p->gid, none = (u32)-1;
    u32 s = (r != none || (e != none && e != old_r)) ? (e != none ? e : p->egid) : none;
    return set_ids(&p->gid, &p->egid, &p->sgid, r, e, s, p->euid == 0);
}

/* The file-system ids follow the effective ids here; setfs*id returns the previous one. */
long sys_setfsuid(u32 id)
{
    (void)id;
    return cproc()->euid;
}

long sys_setfsgid(u32 id)
{
    (void)id;
    return cproc()->egid;
}
