/* test_elf.c: hosted unit test of the ELF loader (src/loader/elf.c): elf_exec's checks of the
 * program and its interpreter, the mapping of the segments and the initial stack. */
/* The kernel and lib sources are compiled with tests/unit/husk_rename.h forced in (see
 * tests/unit/elf.frag). Programs are crafted byte by byte into a tmpfs mounted at "/", and
 * elf_exec loads them for real: the platform's memory calls are stubbed with the host's mmap,
 * so segments and the stack are mapped in this process at the addresses the loader asks for,
 * and the test reads them back. Nothing is ever run. The stubs refuse (and count) any fixed
 * mapping or protection change outside what the loader reserved first, so a loader bug cannot
 * overwrite the test process itself.
 *
 * Under ASan the low half of the address space up to 0x10007fff8000 holds the shadow memory
 * and its gap, so the ET_EXEC programs are linked at EXEC_BASE (32 TiB), clear of it, of the
 * ASan heap (0x600000000000) and of the PIE region elf.c uses (0x500000000000-0x600000000000). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>

#include "husk_rename.h"
#include "../../src/loader/loader.h"
#include "../../src/platform/platform.h"
#include "../../src/kernel/wait.h"
#define UNIT_STUB_GUEST
#define UNIT_STUB_CLOCK
#define UNIT_STUB_CHRDEV
#define UNIT_STUB_PANIC
#define UNIT_STUB_HOST_HEAP
#define UNIT_STUB_PAGES
#include "unit.h"

static int known_bugs; /* XFAIL checks that failed as expected */

/* A check of a known, reported bug: its failure is listed but not counted; once the bug is
 * fixed it passes, and is counted as a failure until the XFAIL is turned into a CHECK. */
#define XFAIL(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            group_fail++;                                                                          \
            fprintf(stderr, "XPASS %s:%d (fixed? make it a CHECK): ", __FILE__, __LINE__);         \
        } else {                                                                                   \
            known_bugs++;                                                                          \
            fprintf(stderr, "known bug %s:%d: ", __FILE__, __LINE__);                              \
        }                                                                                          \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
    } while (0)

/* ---- Stubs (guest memory is this process's memory: see unit.h) ---- */

/* What proc.c needs from the process table and the wait layer: one process, never woken. */
int proc_register_init(struct proc *p)
{
    (void)p;
    return 0;
}

void thread_kick(struct thread *t)
{
    (void)t;
}

void waitq_init(struct waitq *q)
{
    memset(q, 0, sizeof(*q));
}

int waitq_wake_all(struct waitq *q)
{
    (void)q;
    return 0;
}

i32 plat_host_tid(void)
{
    return 1;
}

/* Random bytes: a fixed xorshift sequence, so runs repeat. The last 16-byte request is kept:
 * it is what AT_RANDOM must point at. */
static u64 rng_state = 0x9e3779b97f4a7c15ULL;
static u8 last_random16[16];

long plat_random(void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        ((u8 *)buf)[i] = (u8)rng_state;
    }
    if (n == 16)
        memcpy(last_random16, buf, 16);
    return (long)n;
}

static struct plat_startup startup = {.hwcap = 0x178bfbff, .hwcap2 = 2};

const struct plat_startup *plat_startup_info(void)
{
    return &startup;
}

bool plat_image_overlaps(uptr start, size_t len)
{
    (void)start, (void)len;
    return false;
}

/* A pretend arena range, so that an ET_EXEC program linked over it can be refused. */
#define FAKE_ARENA 0x300000000000ULL
#define FAKE_ARENA_LEN 0x100000ULL

bool arena_overlaps(uptr start, size_t len)
{
    return start < FAKE_ARENA + FAKE_ARENA_LEN && start + len > FAKE_ARENA;
}

/* Every mapping the loader makes, so the test can check and undo them. */
struct mapping {
    uptr addr;
    size_t len;
    int prot, flags;
};
static struct mapping maps[64];
static int nmaps;
static struct mapping prots[64]; /* plat_mem_protect calls (flags unused) */
static int nprots;
static int stray;          /* fixed maps or protections outside every reservation */
static int map_file_calls; /* tmpfs has no host handle: must stay 0 */
static int noreplace_busy; /* pretend this many NOREPLACE requests hit something */

/* Whether [addr, addr+len) lies inside a reservation the loader made (a non-fixed map). */
static bool reserved(uptr addr, size_t len)
{
    for (int i = 0; i < nmaps; i++)
        if (!(maps[i].flags & PLAT_MAP_FIXED) && addr >= maps[i].addr &&
            addr + len <= maps[i].addr + maps[i].len)
            return true;
    return false;
}

int plat_mem_map(uptr addr, size_t len, int prot, int flags, uptr *out)
{
    int hflags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (flags & PLAT_MAP_FIXED) {
        if (!reserved(addr, len)) {
            stray++;
            return -EPERM; /* never clobber the test process */
        }
        hflags |= MAP_FIXED;
    } else if (flags & PLAT_MAP_NOREPLACE) {
        if (noreplace_busy > 0) {
            noreplace_busy--;
            return -EEXIST;
        }
        hflags |= MAP_FIXED_NOREPLACE;
    }
    void *p = mmap((void *)addr, len, prot, hflags, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    if ((flags & PLAT_MAP_NOREPLACE) && (uptr)p != addr) {
        munmap(p, len); /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
        return -EEXIST;
    }
    if (nmaps < (int)ARRAY_SIZE(maps))
        maps[nmaps++] = (struct mapping){(uptr)p, len, prot, flags};
    *out = (uptr)p;
    return 0;
}

int plat_mem_map_file(uptr addr, size_t len, int prot, int flags, int hf, u64 off, uptr *out)
{
    (void)addr, (void)len, (void)prot, (void)flags, (void)hf, (void)off, (void)out;
    map_file_calls++;
    return -ENODEV;
}

int plat_mem_protect(uptr addr, size_t len, int prot)
{
    if (!reserved(addr, len)) {
        stray++;
        return -EPERM;
    }
    if (nprots < (int)ARRAY_SIZE(prots))
        prots[nprots++] = (struct mapping){addr, len, prot, 0};
    return mprotect((void *)addr, len, prot) ? -errno : 0;
}

/* Undoes every mapping of the last exec. */
static void unmap_all(void)
{
    for (int i = 0; i < nmaps; i++)
        if (!(maps[i].flags & PLAT_MAP_FIXED))
            munmap((void *)maps[i].addr, maps[i].len);
    nmaps = nprots = 0;
}

/* ---- Crafted programs ---- */

/* Every program has the same shape, at bias `base` (EXEC_BASE for ET_EXEC, 0 for ET_DYN):
 *   file 0x0000: ELF header, program headers, the PT_INTERP string at INTERP_OFF
 *   file 0x1000: CODE_LEN bytes of "code"  (first PT_LOAD: file 0..TEXT_END, R+X, at base)
 *   file 0x2000: 16 bytes, then DATA_LEN bytes of data at 0x2010 (second PT_LOAD: R+W, at
 *                base+0x5010, memsz 0x3000: the rest is bss), then junk up to FILE_LEN that
 *                must never show in the bss. */
#define EXEC_BASE 0x200000000000ULL
#define CODE_OFF 0x1000
#define CODE_LEN 0x80
#define TEXT_END (CODE_OFF + CODE_LEN)
#define DATA_OFF 0x2010
#define DATA_VADDR 0x5010
#define DATA_LEN 0x30
#define DATA_MEMSZ 0x3000
#define FILE_LEN 0x2100
#define INTERP_OFF 0x800
#define MAX_IMG 0x3000

struct img {
    u8 b[MAX_IMG];
    size_t len;
    int nph;
};

static Elf64_Ehdr *eh(struct img *m)
{
    return (Elf64_Ehdr *)m->b;
}

static Elf64_Phdr *ph(struct img *m, int i)
{
    return (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr) + (size_t)i * sizeof(Elf64_Phdr));
}

/* The first program header of the type, or NULL. */
static Elf64_Phdr *ph_of(struct img *m, u32 type)
{
    for (int i = 0; i < m->nph; i++)
        if (ph(m, i)->p_type == type)
            return ph(m, i);
    return NULL;
}

static Elf64_Phdr *add_ph(struct img *m, u32 type, u32 flags, u64 off, u64 vaddr, u64 filesz,
                          u64 memsz)
{
    Elf64_Phdr *p = ph(m, m->nph++);
    *p = (Elf64_Phdr){.p_type = type,
                      .p_flags = flags,
                      .p_offset = off,
                      .p_vaddr = vaddr,
                      .p_paddr = vaddr,
                      .p_filesz = filesz,
                      .p_memsz = memsz,
                      .p_align = 0x1000};
    eh(m)->e_phnum = (u16)m->nph;
    return p;
}

/* A valid program: type ET_EXEC or ET_DYN; with_phdr adds PT_PHDR; interp (or NULL) adds
 * PT_INTERP. entry_off is the entry point's offset from the bias. */
static void build(struct img *m, u16 type, bool with_phdr, const char *interp, u64 entry_off)
{
    u64 base = type == ET_EXEC ? EXEC_BASE : 0;
    memset(m, 0, sizeof(*m));
    m->len = FILE_LEN;
    Elf64_Ehdr *e = eh(m);
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS64;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_type = type;
    e->e_machine = EM_X86_64;
    e->e_version = EV_CURRENT;
    e->e_entry = base + entry_off;
    e->e_phoff = sizeof(Elf64_Ehdr);
    e->e_ehsize = sizeof(Elf64_Ehdr);
    e->e_phentsize = sizeof(Elf64_Phdr);
    int n = 3 + with_phdr + (interp != NULL);
    if (with_phdr)
        add_ph(m, PT_PHDR, PF_R, e->e_phoff, base + e->e_phoff, n * sizeof(Elf64_Phdr),
               n * sizeof(Elf64_Phdr));
    if (interp) {
        size_t len = strlen(interp) + 1;
        memcpy(m->b + INTERP_OFF, interp, len);
        add_ph(m, PT_INTERP, PF_R, INTERP_OFF, base + INTERP_OFF, len, len);
    }
    add_ph(m, PT_LOAD, PF_R | PF_X, 0, base, TEXT_END, TEXT_END);
    add_ph(m, PT_LOAD, PF_R | PF_W, DATA_OFF, base + DATA_VADDR, DATA_LEN, DATA_MEMSZ);
    add_ph(m, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
    for (int i = 0; i < CODE_LEN; i++)
        m->b[CODE_OFF + i] = (u8)(i * 7 + 1);
    for (int i = 0; i < 0x10; i++)
        m->b[0x2000 + i] = 0xd0; /* before the data in its page: mapped too, as in Linux */
    for (int i = 0; i < DATA_LEN; i++)
        m->b[DATA_OFF + i] = (u8)(0xc0 + i);
    memset(m->b + DATA_OFF + DATA_LEN, 0xaa, FILE_LEN - DATA_OFF - DATA_LEN);
}

/* ---- The file system and the process ---- */

static struct vnode *fs_root;
static struct mount *m_root;
static struct proc *proc;
static struct thread *thread;

static struct vnode *lookup_path(const char *path, struct resolved *r, int flags)
{
    struct vfs_start rs = {fs_root, m_root, "/"};
    return vfs_resolve(&rs, &rs, path, flags, r) ? NULL : r->vnode;
}

static int mkdir_p(const char *path)
{
    struct resolved r;
    if (!lookup_path(path, &r, LOOKUP_PARENT))
        return -ENOENT;
    int err = r.vnode->ops->mkdir(r.vnode, r.last, 0755, 0, 0);
    resolved_put(&r);
    return err;
}

/* Writes a file of the given mode (S_IFREG implied unless mode has a type) with len bytes. */
static int put_file(const char *path, u32 mode, const void *data, size_t len)
{
    struct resolved r;
    if (!lookup_path(path, &r, LOOKUP_PARENT))
        return -ENOENT;
    struct vnode *v = NULL;
    u32 type = (mode & S_IFMT) ? (mode & S_IFMT) : S_IFREG;
    int err = r.vnode->ops->create(r.vnode, r.last, type | (mode & 07777), 0, 0, 0, &v);
    resolved_put(&r);
    if (err || !S_ISREG(type) || !len) {
        vnode_put(v);
        return err;
    }
    struct file *f = file_alloc(NULL, O_RDWR, NULL);
    err = v->ops->open(v, f);
    if (!err)
        err = f->ops->write(f, (uptr)data, len, 0) == (long)len ? 0 : -EIO;
    file_put(f);
    vnode_put(v);
    return err;
}

static int put_img(const char *path, struct img *m)
{
    return put_file(path, 0755, m->b, m->len);
}

static int put_text(const char *path, u32 mode, const char *text)
{
    return put_file(path, mode, text, strlen(text));
}

static int put_link(const char *path, const char *target)
{
    struct resolved r;
    if (!lookup_path(path, &r, LOOKUP_PARENT))
        return -ENOENT;
    int err = r.vnode->ops->symlink(r.vnode, r.last, target, 0, 0);
    resolved_put(&r);
    return err;
}

/* ---- Running elf_exec ---- */

static char *default_argv[] = {"prog", "one", "two", NULL};
static char *default_envp[] = {"HOME=/root", "PATH=/bin", NULL};

static int exec(const char *filename, int argc, char **argv, struct exec_result *out)
{
    struct exec_args a = {filename, argc, 2, argv, default_envp};
    memset(out, 0, sizeof(*out));
    stray = 0;
    return elf_exec(proc, &a, out);
}

/* An exec that must fail with want: nothing leaks, nothing strays, the process keeps its
 * image path and name. */
static void expect_fail(int line, const char *filename, int want)
{
    struct exec_result out;
    size_t heap = kmem_in_use();
    strcpy(proc->comm, "before");
    int err = exec(filename, 3, default_argv, &out);
    CHECK_AT(line, err == want, "exec %s: %d, want %d", filename, err, want);
    CHECK_AT(line, kmem_in_use() == heap, "exec %s: %zu heap bytes kept", filename,
             kmem_in_use() - heap);
    CHECK_AT(line, stray == 0 && map_file_calls == 0, "exec %s: %d stray memory calls", filename,
             stray);
    CHECK_AT(line, proc->exe_path == NULL && !strcmp(proc->comm, "before"),
             "exec %s: a failed exec changed the process", filename);
    kfree(proc->exe_path); /* after an unexpected success: keep the next checks meaningful */
    proc->exe_path = NULL;
    unmap_all();
}
#define FAIL_WITH(filename, want) expect_fail(__LINE__, filename, want)

/* The auxiliary vector as found on the stack. */
struct auxv {
    u64 val[64];
    bool has[64];
    int n;          /* pairs before AT_NULL */
    bool null_last; /* AT_NULL ends it, with value 0 */
    bool dup;       /* a tag seen twice */
};

static bool in_stack(uptr a, size_t n)
{
    return a >= proc->mm.stack_top - (8UL << 20) && a + n <= proc->mm.stack_top;
}

/* Checks the initial stack at sp against Linux's layout: argc, argv[], NULL, envp[], NULL,
 * auxv pairs ending in AT_NULL; the strings above, argv's then envp's contiguous, the file
 * name last (at the top). Fills av. */
static void check_stack(int line, uptr sp, int argc, char **argv, int envc, char **envp,
                        const char *execfn, struct auxv *av)
{
    memset(av, 0, sizeof(*av));
    CHECK_AT(line, sp % 16 == 0, "sp %#lx not 16-byte aligned", (unsigned long)sp);
    CHECK_AT(line, in_stack(sp, 8), "sp outside the stack");
    if (!in_stack(sp, 8))
        return;
    u64 *w = (u64 *)sp;
    CHECK_AT(line, w[0] == (u64)argc, "argc %llu, want %d", (unsigned long long)w[0], argc);
    char **gargv = (char **)(w + 1);
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        bad += !in_stack((uptr)gargv[i], strlen(argv[i]) + 1) || strcmp(gargv[i], argv[i]);
        if (i && gargv[i] != gargv[i - 1] + strlen(gargv[i - 1]) + 1)
            bad++; /* one after the other, in order */
    }
    CHECK_AT(line, bad == 0 && gargv[argc] == NULL, "argv strings (%d bad)", bad);
    char **genvp = gargv + argc + 1;
    bad = 0;
    for (int i = 0; i < envc; i++) {
        bad += !in_stack((uptr)genvp[i], strlen(envp[i]) + 1) || strcmp(genvp[i], envp[i]);
        if (i && genvp[i] != genvp[i - 1] + strlen(genvp[i - 1]) + 1)
            bad++;
    }
    CHECK_AT(line, bad == 0 && genvp[envc] == NULL, "envp strings (%d bad)", bad);
    u64 *aux = (u64 *)(genvp + envc + 1);
    for (int i = 0; i < 64; i++) {
        u64 tag = aux[2 * i], val = aux[2 * i + 1];
        if (tag == AT_NULL) {
            av->null_last = val == 0;
            break;
        }
        av->n++;
        if (tag < 64) {
            av->dup |= av->has[tag];
            av->has[tag] = true;
            av->val[tag] = val;
        }
    }
    CHECK_AT(line, av->null_last && !av->dup, "auxv: AT_NULL last (%d), no duplicates (%d)",
             av->null_last, !av->dup);
    uptr aux_end = (uptr)(aux + 2 * (av->n + 1));

    /* The mm fields bracket the strings as Linux's do (for /proc/PID/cmdline, environ). */
    struct mm *mm = &proc->mm;
    CHECK_AT(line, argc == 0 || mm->arg_start == (uptr)gargv[0], "arg_start");
    CHECK_AT(line, envc == 0 || (mm->arg_end == (uptr)genvp[0] && mm->env_start == mm->arg_end),
             "arg_end, env_start");
    CHECK_AT(line, envc == 0 || mm->env_end == (uptr)genvp[envc - 1] + strlen(genvp[envc - 1]) + 1,
             "env_end");

    CHECK_AT(line,
             av->has[AT_EXECFN] && in_stack(av->val[AT_EXECFN], strlen(execfn) + 1) &&
                 !strcmp((char *)av->val[AT_EXECFN], execfn) && av->val[AT_EXECFN] == mm->env_end,
             "AT_EXECFN: the file name, just above the environment");
    CHECK_AT(line, av->val[AT_EXECFN] + strlen(execfn) + 1 <= mm->stack_top,
             "the file name fits below the stack top");
    CHECK_AT(line,
             av->has[AT_RANDOM] && in_stack(av->val[AT_RANDOM], 16) &&
                 !memcmp((void *)av->val[AT_RANDOM], last_random16, 16),
             "AT_RANDOM: 16 bytes from plat_random");
    CHECK_AT(line, av->val[AT_RANDOM] >= aux_end && av->val[AT_RANDOM] + 16 <= mm->arg_start,
             "AT_RANDOM's bytes between the vectors and the strings");
    CHECK_AT(line, av->has[AT_PLATFORM] && !strcmp((char *)av->val[AT_PLATFORM], "x86_64"),
             "AT_PLATFORM");
    CHECK_AT(line, av->val[AT_PAGESZ] == 4096 && av->val[AT_PHENT] == sizeof(Elf64_Phdr),
             "AT_PAGESZ, AT_PHENT");
    CHECK_AT(line,
             av->has[AT_FLAGS] && av->val[AT_FLAGS] == 0 && av->has[AT_SECURE] &&
                 av->val[AT_SECURE] == 0 && av->val[AT_CLKTCK] == 100,
             "AT_FLAGS, AT_SECURE, AT_CLKTCK");
    CHECK_AT(line, av->val[AT_HWCAP] == startup.hwcap && av->val[AT_HWCAP2] == startup.hwcap2,
             "AT_HWCAP, AT_HWCAP2 from the platform");
    CHECK_AT(line,
             av->val[AT_UID] == proc->uid && av->val[AT_EUID] == proc->euid &&
                 av->val[AT_GID] == proc->gid && av->val[AT_EGID] == proc->egid,
             "AT_UID, AT_EUID, AT_GID, AT_EGID");
}

/* The segments of a program built by build() at bias base: file bytes where the file has
 * them, zeroes in the bss, and the protections asked for. */
static void check_segments(int line, struct img *m, uptr base)
{
    const u8 *mem = (const u8 *)base;
    CHECK_AT(line, !memcmp(mem, m->b, TEXT_END), "text segment bytes (headers and code)");
    CHECK_AT(line, !memcmp(mem + DATA_VADDR - 0x10, m->b + DATA_OFF - 0x10, DATA_LEN + 0x10),
             "data segment bytes");
    size_t nz = 0;
    for (uptr a = DATA_VADDR + DATA_LEN; a < ALIGN_UP(DATA_VADDR + DATA_MEMSZ, 4096); a++)
        nz += mem[a] != 0;
    CHECK_AT(line, nz == 0, "bss: %zu nonzero bytes (file junk past filesz?)", nz);
    bool text_ok = false, data_ok = false;
    for (int i = 0; i < nprots; i++) {
        text_ok |= prots[i].addr == base && prots[i].len == 0x2000 &&
                   prots[i].prot == (PROT_READ | PROT_EXEC);
        data_ok |= prots[i].addr == base + 0x5000 && prots[i].len == 0x4000 &&
                   prots[i].prot == (PROT_READ | PROT_WRITE);
    }
    CHECK_AT(line, text_ok && data_ok, "segment protections (R+X text, R+W data)");
}

/* After a successful exec: the process's name and path, then everything undone so the next
 * exec starts clean (the heap back to where it was). */
static void finish_ok(int line, size_t heap, const char *exe_path, const char *comm)
{
    CHECK_AT(line, stray == 0 && map_file_calls == 0, "%d stray memory calls", stray);
    CHECK_AT(line, !exe_path || (proc->exe_path && !strcmp(proc->exe_path, exe_path)),
             "exe_path %s, want %s", proc->exe_path ? proc->exe_path : "(none)", exe_path);
    CHECK_AT(line, !comm || !strcmp(proc->comm, comm), "comm '%s', want '%s'", proc->comm, comm);
    kfree(proc->exe_path);
    proc->exe_path = NULL;
    CHECK_AT(line, kmem_in_use() == heap, "%zu heap bytes kept", kmem_in_use() - heap);
    unmap_all();
}

/* ---- Tests ---- */

static struct img static_exe, pie_exe, dyn_exe, ld_so;

static void setup(void)
{
    fs_root = tmpfs_new(0755);
    if (!fs_root || vfs_mount("/", fs_root, 0)) {
        printf("cannot mount the root\n0 passed, 1 failed\n");
        exit(1);
    }
    m_root = vfs_mounts();
    if (proc_create_init(&proc, &thread)) {
        printf("proc_create_init failed\n0 passed, 1 failed\n");
        exit(1);
    }
    fsctx_set(&proc->root, fs_root, m_root, "/");
    fsctx_set(&proc->cwd, fs_root, m_root, "/");
    proc->uid = 1000;
    proc->euid = 1001;
    proc->gid = 1002;
    proc->egid = 1003;

    int bad = mkdir_p("/bin") + mkdir_p("/lib") + mkdir_p("/usr") + mkdir_p("/usr/bin");
    build(&static_exe, ET_EXEC, false, NULL, CODE_OFF);
    build(&pie_exe, ET_DYN, true, NULL, CODE_OFF);
    build(&ld_so, ET_DYN, false, NULL, CODE_OFF + 0x40);
    build(&dyn_exe, ET_DYN, true, "/lib/ld-test.so.1", CODE_OFF);
    bad += put_img("/bin/static", &static_exe) + put_img("/bin/pie", &pie_exe) +
           put_img("/bin/dyn", &dyn_exe) + put_img("/lib/ld-test.so.1", &ld_so);
    bad += put_link("/usr/bin/prog", "/bin/static");
    if (bad) {
        printf("cannot build the file tree\n0 passed, 1 failed\n");
        exit(1);
    }
}

/* A static ET_EXEC program: mapped where it is linked, entered at its entry. */
static void test_static(void)
{
    struct exec_result out;
    struct auxv av;
    size_t heap = kmem_in_use();
    int err = exec("/bin/static", 3, default_argv, &out);
    CHECK(err == 0, "exec /bin/static: %d", err);
    if (err) {
        unmap_all();
        group_end("static");
        return;
    }
    CHECK(out.entry == EXEC_BASE + CODE_OFF, "entry %#lx", (unsigned long)out.entry);
    CHECK(nmaps >= 1 && maps[0].addr == EXEC_BASE && maps[0].len == 0x9000 &&
              maps[0].flags == PLAT_MAP_NOREPLACE && maps[0].prot == 0,
          "the span is reserved first, exactly where linked, without replacing anything");
    check_segments(__LINE__, &static_exe, EXEC_BASE);
    check_stack(__LINE__, out.sp, 3, default_argv, 2, default_envp, "/bin/static", &av);
    CHECK(av.val[AT_PHDR] == EXEC_BASE + sizeof(Elf64_Ehdr) && av.val[AT_PHNUM] == 3,
          "AT_PHDR (found in the first PT_LOAD), AT_PHNUM");
    CHECK(
        !memcmp((void *)av.val[AT_PHDR], static_exe.b + sizeof(Elf64_Ehdr), 3 * sizeof(Elf64_Phdr)),
        "AT_PHDR points at the program headers in memory");
    CHECK(av.val[AT_ENTRY] == EXEC_BASE + CODE_OFF && av.has[AT_BASE] && av.val[AT_BASE] == 0,
          "AT_ENTRY, AT_BASE 0 without an interpreter");
    struct mm *mm = &proc->mm;
    CHECK(mm->exe_base == 0 && mm->interp_base == 0 && mm->entry == EXEC_BASE + CODE_OFF,
          "mm: bases and entry");
    CHECK(mm->brk_start >= EXEC_BASE + 0x9000 && mm->brk_start % 4096 == 0 &&
              mm->brk_start < EXEC_BASE + 0x9000 + (32UL << 20) && mm->brk_cur == mm->brk_start &&
              mm->brk_mapped == mm->brk_start,
          "brk: page aligned, within 32 MiB past the program's end");
    finish_ok(__LINE__, heap, "/bin/static", "static");

    /* Relative to the cwd, and through a symlink: the canonical path is the target's, the
     * name is the one given. */
    struct resolved r;
    CHECK(lookup_path("/bin", &r, 0), "lookup /bin");
    fsctx_set(&proc->cwd, r.vnode, r.mnt, r.path);
    resolved_put(&r);
    heap = kmem_in_use();
    err = exec("static", 1, default_argv, &out);
    CHECK(err == 0 && out.entry == EXEC_BASE + CODE_OFF, "exec relative to the cwd: %d", err);
    if (!err)
        check_stack(__LINE__, out.sp, 1, default_argv, 2, default_envp, "static", &av);
    finish_ok(__LINE__, heap, err ? NULL : "/bin/static", err ? NULL : "static");
    fsctx_set(&proc->cwd, fs_root, m_root, "/");
    heap = kmem_in_use();
    err = exec("/usr/bin/prog", 2, default_argv, &out);
    CHECK(err == 0, "exec through a symlink: %d", err);
    finish_ok(__LINE__, heap, err ? NULL : "/bin/static", err ? NULL : "prog");

    /* Where the host already has something, the program is refused: nothing is replaced. */
    u8 *busy = mmap((void *)(EXEC_BASE + 0x6000), 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(busy == (u8 *)(EXEC_BASE + 0x6000), "occupy a page inside the program's span");
    if (busy != MAP_FAILED) {
        strcpy((char *)busy, "host data");
        heap = kmem_in_use();
        err = exec("/bin/static", 3, default_argv, &out);
        CHECK(err == -EEXIST, "exec over a host mapping: %d", err);
        CHECK(!strcmp((char *)busy, "host data") && stray == 0, "the host mapping is intact");
        CHECK(kmem_in_use() == heap && proc->exe_path == NULL, "nothing kept");
        unmap_all();
        munmap(busy, 4096);
    }
    group_end("static");
}

/* A position-independent program: a random page-aligned bias in Linux's ET_DYN region. */
static void test_pie(void)
{
    struct exec_result out;
    struct auxv av;
    size_t heap = kmem_in_use();
    int err = exec("/bin/pie", 3, default_argv, &out);
    CHECK(err == 0, "exec /bin/pie: %d", err);
    if (!err) {
        uptr base = out.entry - CODE_OFF;
        CHECK(base % 4096 == 0 && base >= 0x500000000000UL && base < 0x600000000000UL,
              "bias %#lx: page aligned, in the ET_DYN region", (unsigned long)base);
        check_segments(__LINE__, &pie_exe, base);
        check_stack(__LINE__, out.sp, 3, default_argv, 2, default_envp, "/bin/pie", &av);
        CHECK(av.val[AT_PHDR] == base + sizeof(Elf64_Ehdr) && av.val[AT_PHNUM] == 4,
              "AT_PHDR from PT_PHDR, plus the bias");
        CHECK(av.val[AT_ENTRY] == out.entry && av.val[AT_BASE] == 0, "AT_ENTRY, AT_BASE");
        CHECK(proc->mm.exe_base == base && proc->mm.entry == out.entry, "mm: bias and entry");
    }
    finish_ok(__LINE__, heap, err ? NULL : "/bin/pie", err ? NULL : "pie");

    /* When the random spot is taken, another is drawn. */
    noreplace_busy = 3;
    heap = kmem_in_use();
    err = exec("/bin/pie", 3, default_argv, &out);
    CHECK(err == 0 && noreplace_busy == 0, "three taken spots, then one free: %d", err);
    finish_ok(__LINE__, heap, err ? NULL : "/bin/pie", err ? NULL : "pie");
    noreplace_busy = 1000;
    FAIL_WITH("/bin/pie", -EEXIST); /* gives up after 16 draws */
    CHECK(noreplace_busy == 1000 - 16, "16 draws");
    noreplace_busy = 0;
    group_end("pie");
}

/* A dynamic program: its PT_INTERP interpreter is mapped too, and entered first. */
static void test_interp(void)
{
    struct exec_result out;
    struct auxv av;
    size_t heap = kmem_in_use();
    int err = exec("/bin/dyn", 3, default_argv, &out);
    CHECK(err == 0, "exec /bin/dyn: %d", err);
    if (!err) {
        uptr ibase = proc->mm.interp_base, base = proc->mm.exe_base;
        CHECK(ibase && ibase % 4096 == 0 && out.entry == ibase + CODE_OFF + 0x40,
              "entered at the interpreter's entry");
        check_segments(__LINE__, &ld_so, ibase);
        check_segments(__LINE__, &dyn_exe, base);
        check_stack(__LINE__, out.sp, 3, default_argv, 2, default_envp, "/bin/dyn", &av);
        CHECK(av.val[AT_BASE] == ibase, "AT_BASE is the interpreter's bias");
        CHECK(av.val[AT_ENTRY] == base + CODE_OFF && proc->mm.entry == base + CODE_OFF,
              "AT_ENTRY is the program's entry");
        CHECK(av.val[AT_PHDR] == base + sizeof(Elf64_Ehdr) && av.val[AT_PHNUM] == 5,
              "AT_PHDR, AT_PHNUM are the program's");
    }
    finish_ok(__LINE__, heap, err ? NULL : "/bin/dyn", err ? NULL : "dyn");

    /* Bad interpreters. */
    struct img m;
    build(&m, ET_DYN, true, "/lib/missing.so", CODE_OFF);
    put_img("/bin/dyn-missing", &m);
    FAIL_WITH("/bin/dyn-missing", -ENOENT);
    build(&m, ET_DYN, true, "/lib/ld-noexec.so", CODE_OFF);
    put_img("/bin/dyn-noexec", &m);
    put_file("/lib/ld-noexec.so", 0644, ld_so.b, ld_so.len);
    FAIL_WITH("/bin/dyn-noexec", -ELIBBAD);
    build(&m, ET_DYN, true, "/lib", CODE_OFF);
    put_img("/bin/dyn-dir", &m);
    FAIL_WITH("/bin/dyn-dir", -ELIBBAD);
    build(&m, ET_DYN, true, "/bin/static", CODE_OFF); /* an ET_EXEC interpreter */
    put_img("/bin/dyn-exec", &m);
    FAIL_WITH("/bin/dyn-exec", -ELIBBAD);
    build(&m, ET_DYN, true, "/lib/ld-text.so", CODE_OFF);
    put_img("/bin/dyn-text", &m);
    put_text("/lib/ld-text.so", 0755, "not an ELF file at all, but executable\n");
    FAIL_WITH("/bin/dyn-text", -ELIBBAD);

    /* Malformed PT_INTERP. */
    build(&m, ET_DYN, true, "/lib/ld-test.so.1", CODE_OFF);
    ph_of(&m, PT_INTERP)->p_filesz = 1;
    put_img("/bin/interp-short", &m);
    FAIL_WITH("/bin/interp-short", -ENOEXEC);
    build(&m, ET_DYN, true, "/lib/ld-test.so.1", CODE_OFF);
    ph_of(&m, PT_INTERP)->p_filesz -= 1; /* no NUL at the end */
    put_img("/bin/interp-nonul", &m);
    FAIL_WITH("/bin/interp-nonul", -ENOEXEC);
    build(&m, ET_DYN, true, "/lib/ld-test.so.1", CODE_OFF);
    m.b[INTERP_OFF + 4] = 0; /* a NUL inside */
    put_img("/bin/interp-nul", &m);
    FAIL_WITH("/bin/interp-nul", -ENOEXEC);
    build(&m, ET_DYN, true, "/lib/ld-test.so.1", CODE_OFF);
    ph_of(&m, PT_INTERP)->p_filesz = PATH_MAX + 1;
    put_img("/bin/interp-long", &m);
    FAIL_WITH("/bin/interp-long", -ENOEXEC);
    build(&m, ET_DYN, true, "/lib/ld-test.so.1", CODE_OFF);
    ph_of(&m, PT_INTERP)->p_offset = FILE_LEN - 4; /* runs past the end of the file */
    put_img("/bin/interp-eof", &m);
    FAIL_WITH("/bin/interp-eof", -ENOEXEC);

    /* Two PT_INTERP headers: Linux takes the first. Whatever is taken, nothing may leak. */
    build(&m, ET_DYN, true, "/lib/ld-test.so.1", CODE_OFF);
    *add_ph(&m, PT_NULL, 0, 0, 0, 0, 0) = *ph_of(&m, PT_INTERP);
    put_img("/bin/interp-two", &m);
    heap = kmem_in_use();
    err = exec("/bin/interp-two", 3, default_argv, &out);
    CHECK(err == 0, "two PT_INTERP: %d", err);
    finish_ok(__LINE__, heap, err ? NULL : "/bin/interp-two", err ? NULL : "interp-two");
    group_end("interp");
}

/* Files that are not loadable x86-64 ELF programs, and files that cannot be executed. */
static void test_invalid(void)
{
    struct img m;
    /* Not an executable file at all. */
    FAIL_WITH("/bin/missing", -ENOENT);
    FAIL_WITH("/missing/static", -ENOENT);
    FAIL_WITH("/bin/static/", -ENOTDIR);
    FAIL_WITH("/bin/static/x", -ENOTDIR);
    FAIL_WITH("/bin", -EACCES);
    FAIL_WITH("/", -EACCES);
    put_file("/bin/noexec", 0644, static_exe.b, static_exe.len);
    FAIL_WITH("/bin/noexec", -EACCES);
    put_file("/bin/null", S_IFCHR | 0777, NULL, 0);
    FAIL_WITH("/bin/null", -EACCES);
    put_file("/bin/fifo", S_IFIFO | 0777, NULL, 0);
    FAIL_WITH("/bin/fifo", -EACCES);
    put_link("/bin/dangling", "/bin/nowhere");
    FAIL_WITH("/bin/dangling", -ENOENT);

    /* Not ELF, or not for us. */
    put_file("/bin/empty", 0755, NULL, 0);
    FAIL_WITH("/bin/empty", -ENOEXEC);
    put_text("/bin/text", 0755, "echo this is a shell script without #!\n");
    FAIL_WITH("/bin/text", -ENOEXEC);
    put_file("/bin/trunc-ehdr", 0755, static_exe.b, 40);
    FAIL_WITH("/bin/trunc-ehdr", -ENOEXEC);
    put_file("/bin/trunc-phdr", 0755, static_exe.b, sizeof(Elf64_Ehdr) + 60);
    FAIL_WITH("/bin/trunc-phdr", -ENOEXEC);
    put_file("/bin/trunc-seg", 0755, static_exe.b, DATA_OFF + 8); /* data cut short */
    FAIL_WITH("/bin/trunc-seg", -ENOEXEC);

    static const struct {
        const char *name;
        int field; /* what to break */
    } breaks[] = {
        {"/bin/bad-magic", 0},       {"/bin/elf32", 1},    {"/bin/bigendian", 2},
        {"/bin/aarch64", 3},         {"/bin/et-rel", 4},   {"/bin/et-core", 5},
        {"/bin/phnum0", 6},          {"/bin/phnum65", 7},  {"/bin/phentsize", 8},
        {"/bin/phoff-eof", 9},       {"/bin/filesz", 10},  {"/bin/misaligned", 11},
        {"/bin/misaligned-off", 12}, {"/bin/no-load", 13}, {"/bin/wrap", 14},
        {"/bin/i386", 15},
    };
    for (size_t i = 0; i < ARRAY_SIZE(breaks); i++) {
        build(&m, ET_EXEC, false, NULL, CODE_OFF);
        Elf64_Ehdr *e = eh(&m);
        Elf64_Phdr *data = ph(&m, 1);
        switch (breaks[i].field) {
        case 0:
            e->e_ident[EI_MAG3] = 'G';
            break;
        case 1:
            e->e_ident[EI_CLASS] = ELFCLASS32;
            break;
        case 2:
            e->e_ident[EI_DATA] = ELFDATA2MSB;
            break;
        case 3:
            e->e_machine = EM_AARCH64;
            break;
        case 4:
            e->e_type = ET_REL;
            break;
        case 5:
            e->e_type = ET_CORE;
            break;
        case 6:
            e->e_phnum = 0;
            break;
        case 7:
            e->e_phnum = 65; /* MAX_PHNUM is 64 */
            break;
        case 8:
            e->e_phentsize = sizeof(Elf64_Phdr) - 1;
            break;
        case 9:
            e->e_phoff = FILE_LEN - 8;
            break;
        case 10:
            ph(&m, 0)->p_memsz = ph(&m, 0)->p_filesz - 1; /* filesz > memsz, all in the file */
            break;
        case 11:
            data->p_vaddr += 8; /* vaddr and offset disagree modulo the page */
            break;
        case 12:
            data->p_offset += 1;
            break;
        case 13:
            ph(&m, 0)->p_type = PT_NOTE;
            data->p_type = PT_NOTE;
            break;
        case 14:
            data->p_memsz = ~0ULL - data->p_vaddr + 2; /* vaddr + memsz wraps */
            break;
        case 15:
            e->e_machine = EM_386;
            break;
        }
        put_img(breaks[i].name, &m);
        FAIL_WITH(breaks[i].name, -ENOEXEC);
    }

    /* The limits themselves: 64 program headers load. */
    build(&m, ET_EXEC, false, NULL, CODE_OFF);
    while (m.nph < 64)
        add_ph(&m, PT_NULL, 0, 0, 0, 0, 0);
    put_img("/bin/phnum64", &m);
    struct exec_result out;
    size_t heap = kmem_in_use();
    int err = exec("/bin/phnum64", 3, default_argv, &out);
    CHECK(err == 0, "64 program headers: %d", err);
    finish_ok(__LINE__, heap, err ? NULL : "/bin/phnum64", err ? NULL : "phnum64");

    /* An ET_EXEC program over the library OS's own memory is refused before any mapping. */
    build(&m, ET_EXEC, false, NULL, CODE_OFF);
    for (int i = 0; i < m.nph; i++)
        if (ph(&m, i)->p_type == PT_LOAD)
            ph(&m, i)->p_vaddr += FAKE_ARENA - EXEC_BASE;
    put_img("/bin/over-arena", &m);
    FAIL_WITH("/bin/over-arena", -ENOMEM);
    CHECK(nmaps == 0, "nothing mapped");
    group_end("invalid");
}

/* "#!" scripts: the interpreter runs with the script's path in its arguments. */
static void test_scripts(void)
{
    struct exec_result out;
    struct auxv av;
    put_text("/bin/script", 0755, "#! /bin/static  -x -y \t\nexit 0\n");
    char *want[] = {"/bin/static", "-x -y", "/bin/script", "one", "two", NULL};
    size_t heap = kmem_in_use();
    int err = exec("/bin/script", 3, default_argv, &out);
    CHECK(err == 0 && out.entry == EXEC_BASE + CODE_OFF, "exec a script: %d", err);
    if (!err)
        check_stack(__LINE__, out.sp, 5, want, 2, default_envp, "/bin/script", &av);
    finish_ok(__LINE__, heap, NULL, err ? NULL : "script");

    /* A script whose interpreter is a script: Linux replaces the inner interpreter's argv[0]
     * (its name) by interp [arg] path, so each script path appears once:
     *   /bin/static -x -y /bin/script /bin/script2 one two */
    put_text("/bin/script2", 0755, "#!/bin/script\n");
    char *want2[] = {"/bin/static", "-x -y", "/bin/script", "/bin/script2", "one", "two", NULL};
    heap = kmem_in_use();
    err = exec("/bin/script2", 3, default_argv, &out);
    CHECK(err == 0, "exec a script run by a script: %d", err);
    if (!err) {
        u64 argc = *(u64 *)out.sp;
        char **argv = (char **)(out.sp + 8);
        bool same = argc == 6;
        for (int i = 0; same && i < 6; i++)
            same = !strcmp(argv[i], want2[i]);
        CHECK(same, "nested #!: argc %llu, argv[3] '%s' (want 6 and '/bin/script2')",
              (unsigned long long)argc, argc > 3 ? argv[3] : "");
    }
    finish_ok(__LINE__, heap, NULL, err ? NULL : "script2");

    put_text("/bin/loop.sh", 0755, "#!/bin/loop.sh\n");
    FAIL_WITH("/bin/loop.sh", -ELOOP);
    put_text("/bin/noint.sh", 0755, "#!   \n");
    FAIL_WITH("/bin/noint.sh", -ENOEXEC);
    put_text("/bin/missing.sh", 0755, "#!/bin/nothing-here\n");
    FAIL_WITH("/bin/missing.sh", -ENOENT);
    put_text("/bin/text.sh", 0755, "#!/bin/text\n"); /* the interpreter is not ELF */
    FAIL_WITH("/bin/text.sh", -ENOEXEC);
    put_text("/bin/noexec.sh", 0644, "#!/bin/static\n");
    FAIL_WITH("/bin/noexec.sh", -EACCES);
    group_end("scripts");
}

int main(void)
{
    kmem_init(test_page_alloc, test_page_free);
    setup();
    test_static();
    test_pie();
    test_interp();
    test_invalid();
    test_scripts();
    /* The files the groups added stay in the tmpfs: every exec checked its own heap use. */
    if (known_bugs)
        printf("%d known bug%s (see 'known bug' lines above)\n", known_bugs,
               known_bugs == 1 ? "" : "s");
    return unit_summary();
}
