/* start.c: process start-up of the husk binary on a Linux host: self-relocation of the
 * static-pie image, reading the host's auxv, and the call into the runner's main. */
#include "host.h"

/* ELF dynamic-section tags and relocation type used by a static-pie image. */
#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define R_X86_64_RELATIVE 8
#define AT_HWCAP 16
#define AT_HWCAP2 26
#define AT_PLATFORM 15
#define AT_SYSINFO_EHDR 33
#define AT_BASE 7
#define AT_PHDR 3
#define AT_UID 11
#define AT_GID 13

struct elf_dyn {
    i64 tag;
    u64 val;
};
struct elf_rela {
    u64 offset, info;
    i64 addend;
};

extern struct elf_dyn _DYNAMIC[] __attribute__((visibility("hidden")));
extern char __ehdr_start[] __attribute__((visibility("hidden")));

int husk_main(int argc, char **argv, char **envp);

static struct plat_startup startup;
static u32 start_uid, start_gid;

void plat_user_ids(u32 *uid, u32 *gid)
{
    *uid = start_uid;
    *gid = start_gid;
}
static int cpu_count = 1;

int plat_cpu_count(void)
{
    return cpu_count;
}

int plat_host_cwd(char *buf, size_t n)
{
    long r = hsys2(HNR_getcwd, (long)buf, (long)n);
    return r < 0 ? (int)r : 0;
}

int plat_stdio_flags(int which)
{
    return (int)hsys2(HNR_fcntl, which, 3 /* F_GETFL */);
}

static void count_cpus(void)
{
    u64 mask[16] = {0};
    long n = hsys3(HNR_sched_getaffinity, 0, sizeof(mask), (long)mask);
    if (n <= 0)
        return;
    int c = 0;
    for (long i = 0; i < n / 8; i++)
        c += __builtin_popcountll(mask[i]);
    cpu_count = c ? c : 1;
}

const struct plat_startup *plat_startup_info(void)
{
    return &startup;
}

/* Runs before any relocated pointer is used, so it touches only PC-relative symbols. */
static void relocate_self(void)
{
    u64 base = (u64)__ehdr_start;
    struct elf_rela *rela = 0;
    u64 relasz = 0;
    for (struct elf_dyn *d = _DYNAMIC; d->tag != DT_NULL; d++) {
        if (d->tag == DT_RELA)
            rela = (struct elf_rela *)(base + d->val);
        else if (d->tag == DT_RELASZ)
            relasz = d->val;
    }
    for (u64 i = 0; i < relasz / sizeof(*rela); i++)
        if ((rela[i].info & 0xffffffff) == R_X86_64_RELATIVE)
            *(u64 *)(base + rela[i].offset) = base + rela[i].addend;
}

_Noreturn void plat_start(long *sp);
_Noreturn void plat_start(long *sp)
{
    relocate_self();
    startup.argc = (int)sp[0];
    startup.argv = (char **)(sp + 1);
    startup.envp = startup.argv + startup.argc + 1;
    char **e = startup.envp;
    while (*e)
        e++;
    for (u64 *aux = (u64 *)(e + 1); aux[0]; aux += 2) {
        if (aux[0] == AT_HWCAP)
            startup.hwcap = aux[1];
        else if (aux[0] == AT_HWCAP2)
            startup.hwcap2 = aux[1];
        else if (aux[0] == AT_SYSINFO_EHDR)
            startup.vdso = aux[1];
        else if (aux[0] == AT_UID)
            start_uid = (u32)aux[1];
        else if (aux[0] == AT_GID)
            start_gid = (u32)aux[1];
        else if (aux[0] == AT_PLATFORM)
            startup.platform_name = (const char *)aux[1];
    }
    count_cpus();
    plat_exit(husk_main(startup.argc, startup.argv, startup.envp));
}

_Noreturn void plat_exit(int status)
{
    for (;;)
        hsys1(HNR_exit_group, status);
}

extern char _etext[] __attribute__((visibility("hidden")));
extern char _end[] __attribute__((visibility("hidden")));

bool plat_ip_in_libos(uptr ip)
{
    return ip >= (uptr)__ehdr_start && ip < (uptr)_etext;
}

bool plat_image_overlaps(uptr start, size_t len)
{
    uptr end = ALIGN_UP((uptr)_end, PAGE_SIZE);
    return start < end && start + len > (uptr)__ehdr_start;
}

void plat_image_range(uptr *start, uptr *end)
{
    *start = (uptr)__ehdr_start;
    *end = ALIGN_UP((uptr)_end, PAGE_SIZE);
}
