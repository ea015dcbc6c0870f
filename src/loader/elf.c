/* elf.c: loads an x86-64 ELF program (static, static-pie, or dynamic with its interpreter)
 * from the sandbox's VFS into the guest address space, and builds the initial stack (argv,
 * envp, auxv) exactly as the Linux kernel's binfmt_elf does, so any libc starts unchanged. */
#include "loader.h"
#include "elf_image.h"
#include "../platform/platform.h"

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PF_X 1
#define PF_W 2
#define PF_R 4

/* auxv tags (linux/auxvec.h). */
enum {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
    AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
    AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
    AT_HWCAP2 = 26, AT_EXECFN = 31,
};

/* Where position-independent programs go: Linux's ELF_ET_DYN_BASE region, randomized. */
#define DYN_BASE_LO 0x500000000000UL
#define DYN_BASE_SPAN 0x100000000000UL
#define STACK_SIZE (8UL << 20)
#define BRK_RANDOM_SPAN (32UL << 20)



static u64 random_u64(void)
{
    u64 r = 0;
    plat_random(&r, sizeof(r));
    return r;
}

static long read_at(struct file *f, void *buf, size_t n, i64 off)
{
    size_t done = 0;
    while (done < n) {
        long r = f->ops->read(f, (uptr)buf + done, n - done, off + (i64)done);
        if (r < 0)
            return r;
        if (!r)
            break;
        done += (size_t)r;
    }
    return (long)done;
}

/* Reads and checks the headers. ENOEXEC for anything that is not a loadable x86-64 ELF. */
static int read_headers(struct file *f, struct image *im)
{
    long n = read_at(f, &im->eh, sizeof(im->eh), 0);
    if (n < 0)
        return (int)n;
    if ((size_t)n < sizeof(im->eh) || memcmp(im->eh.ident, "\177ELF", 4))
        return -ENOEXEC;
    if (im->eh.ident[4] != 2 || im->eh.ident[5] != 1) /* ELFCLASS64, little-endian */
        return -ENOEXEC;
    if (im->eh.machine != EM_X86_64 || (im->eh.type != ET_EXEC && im->eh.type != ET_DYN))
        return -ENOEXEC;
    if (im->eh.phentsize != sizeof(struct phdr) || !im->eh.phnum || im->eh.phnum > MAX_PHNUM)
        return -ENOEXEC;
    size_t sz = im->eh.phnum * sizeof(struct phdr);
    n = read_at(f, im->ph, sz, (i64)im->eh.phoff);
    if (n < 0)
        return (int)n;
    if ((size_t)n != sz)
        return -ENOEXEC;
    /* Every check of the segments happens here, before exec's point of no return. */
    int loads = 0;
    for (int i = 0; i < im->eh.phnum; i++) {
        struct phdr *p = &im->ph[i];
        if (p->type != PT_LOAD || !p->memsz)
            continue;
        loads++;
        if (p->filesz > p->memsz || (p->vaddr & (PAGE_SIZE - 1)) != (p->offset & (PAGE_SIZE - 1)))
            return -ENOEXEC;
        if (p->vaddr + p->memsz < p->vaddr || p->vaddr + p->memsz > 0x7ffffffff000UL)
            return -ENOEXEC;
        if (p->offset + p->filesz < p->offset)
            return -ENOEXEC;
    }
    return loads ? 0 : -ENOEXEC;
}

static int prot_of(u32 flags)
{
    return ((flags & PF_R) ? PLAT_PROT_READ : 0) | ((flags & PF_W) ? PLAT_PROT_WRITE : 0) |
           ((flags & PF_X) ? PLAT_PROT_EXEC : 0);
}

/* Maps every PT_LOAD segment. The whole span is reserved first (so segments of a PIE land in
 * one randomized hole), then each segment's file bytes are mapped over it. */
static int map_image(struct file *f, struct image *im, bool main_exe)
{
    uptr lo = ~0UL, hi = 0;
    int err;
    for (int i = 0; i < im->eh.phnum; i++) {
        struct phdr *p = &im->ph[i];
        if (p->type != PT_LOAD || !p->memsz)
            continue;
        if (p->filesz > p->memsz || (p->vaddr & (PAGE_SIZE - 1)) != (p->offset & (PAGE_SIZE - 1)))
            return -ENOEXEC;
        if (p->vaddr + p->memsz < p->vaddr)
            return -ENOEXEC;
        lo = MIN(lo, ALIGN_DOWN(p->vaddr, PAGE_SIZE));
        hi = MAX(hi, ALIGN_UP(p->vaddr + p->memsz, PAGE_SIZE));
    }
    if (hi <= lo)
        return -ENOEXEC;
    size_t span = hi - lo;
    uptr at;
    if (im->eh.type == ET_EXEC) {
        if (plat_image_overlaps(lo, span) || arena_overlaps(lo, span))
            return -ENOMEM;
        err = plat_mem_map(lo, span, 0, PLAT_MAP_NOREPLACE, &at);
        im->base = 0;
    } else if (main_exe) {
        err = -EEXIST;
        for (int tries = 0; tries < 16 && err == -EEXIST; tries++) {
            uptr want = DYN_BASE_LO + ALIGN_DOWN(random_u64() % DYN_BASE_SPAN, PAGE_SIZE);
            err = plat_mem_map(want, span, 0, PLAT_MAP_NOREPLACE, &at);
        }
        im->base = at - lo;
    } else {
        err = plat_mem_map(0, span, 0, 0, &at); /* the interpreter: where the host has room */
        im->base = at - lo;
    }
    if (err)
        return err;
    int hf = f->ops->map_handle ? f->ops->map_handle(f) : -ENODEV;
    for (int i = 0; i < im->eh.phnum; i++) {
        struct phdr *p = &im->ph[i];
        if (p->type != PT_LOAD || !p->memsz)
            continue;
        uptr start = ALIGN_DOWN(im->base + p->vaddr, PAGE_SIZE);
        uptr file_end = im->base + p->vaddr + p->filesz;
        uptr mem_end = ALIGN_UP(im->base + p->vaddr + p->memsz, PAGE_SIZE);
        int prot = prot_of(p->flags);
        size_t flen = ALIGN_UP(file_end, PAGE_SIZE) - start;
        u64 foff = ALIGN_DOWN(p->offset, PAGE_SIZE);
        uptr got;
        /* Writable first, so the bss tail of the last file page can be cleared. */
        if (hf >= 0 && p->filesz) {
            err = plat_mem_map_file(start, flen, PLAT_PROT_READ | PLAT_PROT_WRITE,
                                    PLAT_MAP_FIXED, hf, foff, &got);
        } else {
            err = plat_mem_map(start, mem_end - start, PLAT_PROT_READ | PLAT_PROT_WRITE,
                               PLAT_MAP_FIXED, &got);
            if (!err && p->filesz) {
                long n = read_at(f, (void *)start, file_end - start, (i64)foff);
                err = n < 0 ? (int)n : ((uptr)n < file_end - start ? -ENOEXEC : 0);
            }
        }
        if (err)
            return err;
        if (p->memsz > p->filesz) {
            uptr zend = MIN(ALIGN_UP(file_end, PAGE_SIZE), mem_end);
            /* Pages past the file's last one are still the zeroed reservation. */
            if (zend > file_end)
                memset((void *)file_end, 0, zend - file_end);
        }
        err = plat_mem_protect(start, mem_end - start, prot);
        if (err)
            return err;
        if (p->offset <= im->eh.phoff &&
            im->eh.phoff + im->eh.phnum * sizeof(struct phdr) <= p->offset + p->filesz)
            im->phdr_addr = im->base + p->vaddr + (im->eh.phoff - p->offset);
    }
    for (int i = 0; i < im->eh.phnum; i++)
        if (im->ph[i].type == PT_PHDR)
            im->phdr_addr = im->base + im->ph[i].vaddr;
    im->end = im->base + hi;
    return 0;
}

static int read_interp(struct file *f, struct image *im)
{
    for (int i = 0; i < im->eh.phnum; i++) {
        struct phdr *p = &im->ph[i];
        if (p->type != PT_INTERP)
            continue;
        if (p->filesz < 2 || p->filesz > PATH_MAX)
            return -ENOEXEC;
        im->interp = kmalloc(p->filesz + 1);
        if (!im->interp)
            return -ENOMEM;
        long n = read_at(f, im->interp, p->filesz, (i64)p->offset);
        if (n != (long)p->filesz) {
            kfree(im->interp);
            im->interp = NULL;
            return n < 0 ? (int)n : -ENOEXEC;
        }
        im->interp[p->filesz] = 0;
        if (strlen(im->interp) + 1 != p->filesz)
            return -ENOEXEC;
        return 0; /* the first PT_INTERP, as Linux: another would leak this one */
    }
    return 0;
}

/* Pushes bytes onto the new stack (which grows down). */
static uptr push(uptr *sp, const void *data, size_t n)
{
    *sp -= n;
    memcpy((void *)*sp, data, n);
    return *sp;
}

static int build_stack(struct proc *p, const struct exec_args *a, struct image *exe,
                       struct image *interp, struct exec_result *out)
{
    uptr lo;
    int err = plat_mem_map(0, STACK_SIZE, PLAT_PROT_READ | PLAT_PROT_WRITE, 0, &lo);
    if (err)
        return err;
    /* A random offset into the top pages, as Linux randomizes the stack top. */
    uptr sp = lo + STACK_SIZE - ALIGN_DOWN(random_u64() % (64 * PAGE_SIZE), 16);
    p->mm.stack_top = lo + STACK_SIZE;

    uptr execfn = push(&sp, a->filename, strlen(a->filename) + 1);
    uptr *envp = kmalloc((size_t)(a->envc + 1) * sizeof(uptr));
    uptr *argv = kmalloc((size_t)(a->argc + 1) * sizeof(uptr));
    if (!envp || !argv) {
        kfree(envp);
        kfree(argv);
        return -ENOMEM;
    }
    p->mm.env_end = sp;
    for (int i = a->envc - 1; i >= 0; i--)
        envp[i] = push(&sp, a->envp[i], strlen(a->envp[i]) + 1);
    p->mm.env_start = sp;
    p->mm.arg_end = sp;
    for (int i = a->argc - 1; i >= 0; i--)
        argv[i] = push(&sp, a->argv[i], strlen(a->argv[i]) + 1);
    p->mm.arg_start = sp;
    uptr platform = push(&sp, "x86_64", 7);
    u8 rnd[16];
    plat_random(rnd, sizeof(rnd));
    sp = ALIGN_DOWN(sp, 16);
    uptr random = push(&sp, rnd, sizeof(rnd));

    const struct plat_startup *su = plat_startup_info();
    u64 aux[][2] = {
        {AT_PHDR, exe->phdr_addr},
        {AT_PHENT, sizeof(struct phdr)},
        {AT_PHNUM, exe->eh.phnum},
        {AT_PAGESZ, PAGE_SIZE},
        {AT_BASE, interp ? interp->base : 0},
        {AT_FLAGS, 0},
        {AT_ENTRY, exe->base + exe->eh.entry},
        {AT_UID, p->uid},
        {AT_EUID, p->euid},
        {AT_GID, p->gid},
        {AT_EGID, p->egid},
        {AT_SECURE, 0},
        {AT_HWCAP, su->hwcap},
        {AT_HWCAP2, su->hwcap2},
        {AT_CLKTCK, 100},
        {AT_RANDOM, random},
        {AT_PLATFORM, platform},
        {AT_EXECFN, execfn},
        {AT_NULL, 0},
    };
    size_t words = 1 + (size_t)a->argc + 1 + (size_t)a->envc + 1 + ARRAY_SIZE(aux) * 2;
    sp = ALIGN_DOWN(sp - words * 8, 16);
    u64 *w = (u64 *)sp;
    *w++ = (u64)a->argc;
    for (int i = 0; i < a->argc; i++)
        *w++ = argv[i];
    *w++ = 0;
    for (int i = 0; i < a->envc; i++)
        *w++ = envp[i];
    *w++ = 0;
    memcpy(w, aux, sizeof(aux));
    kfree(envp);
    kfree(argv);
    out->sp = sp;
    return 0;
}

static int open_exec(struct proc *p, const struct vfs_start *start, const char *path,
                     struct file **fp, char **canon)
{
    struct resolved r;
    int err = vfs_resolve(&p->root, start ? start : &p->cwd, path, LOOKUP_FOLLOW, &r);
    if (err)
        return err;
    struct vattr a;
    err = vfs_getattr(r.vnode, &a);
    if (!err && (!S_ISREG(a.mode) || !(a.mode & 0111)))
        err = -EACCES;
    if (!err)
        err = vfs_open_vnode(&r, O_RDONLY, fp);
    if (!err && canon)
        *canon = strdup(r.path);
    resolved_put(&r);
    return err;
}

#define BINPRM_BUF 256
#define MAX_SCRIPT_DEPTH 4 /* Linux's BINPRM_MAX_RECURSION */

void exec_prep_release(struct exec_prep *e)
{
    if (e->exe)
        kfree(e->exe->interp);
    kfree(e->exe);
    kfree(e->interp);
    file_put(e->f);
    file_put(e->fi);
    kfree(e->canon);
    for (int i = 0; i < e->nextra; i++)
        kfree(e->extra[i]);
    memset(e, 0, sizeof(*e));
}

/* Parses "#!interp [arg]" from the first line; Linux passes everything after the interpreter's
 * name, trimmed, as one argument. */
static int parse_shebang(char *buf, size_t n, char **interp, char **arg)
{
    char *end = memchr(buf, '\n', n);
    if (!end)
        end = buf + n; /* a first line longer than the buffer is cut, as Linux does */
    *end = 0;
    char *s = buf + 2;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return -ENOEXEC;
    char *e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    char *rest = e;
    if (*rest)
        *rest++ = 0;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    char *rend = rest + strlen(rest);
    while (rend > rest && (rend[-1] == ' ' || rend[-1] == '\t' || rend[-1] == '\r'))
        *--rend = 0;
    *interp = strdup(s);
    *arg = *rest ? strdup(rest) : NULL;
    return *interp ? 0 : -ENOMEM;
}

int exec_prepare(struct proc *p, const struct vfs_start *start, const char *filename,
                 struct exec_prep *e)
{
    memset(e, 0, sizeof(*e));
    const char *path = filename;
    int err;
    for (int depth = 0;; depth++) {
        err = open_exec(p, depth ? NULL : start, path, &e->f, depth ? NULL : &e->canon);
        if (err)
            goto fail;
        char buf[BINPRM_BUF];
        long n = read_at(e->f, buf, sizeof(buf) - 1, 0);
        if (n < 0) {
            err = (int)n;
            goto fail;
        }
        if (n < 2 || buf[0] != '#' || buf[1] != '!')
            break;
        if (depth >= MAX_SCRIPT_DEPTH) {
            err = -ELOOP;
            goto fail;
        }
        buf[n] = 0;
        char *interp, *arg;
        err = parse_shebang(buf, (size_t)n, &interp, &arg);
        if (err)
            goto fail;
        /* argv becomes: interp [arg] script-path original-argv[1..] */
        if (e->nextra + 2 > (int)ARRAY_SIZE(e->extra)) {
            kfree(interp);
            kfree(arg);
            err = -ELOOP;
            goto fail;
        }
        /* A script run by another script: the outer interpreter's name, already first in
         * extra, is this script's path; it moves behind the new interpreter, not twice. */
        int reuse = depth ? 1 : 0;
        char *script = reuse ? e->extra[0] : strdup(path);
        memmove(e->extra + (arg ? 3 : 2), e->extra + reuse,
                (size_t)(e->nextra - reuse) * sizeof(char *));
        e->extra[0] = interp;
        if (arg)
            e->extra[1] = arg;
        e->extra[arg ? 2 : 1] = script;
        e->nextra += (arg ? 3 : 2) - reuse;
        e->drop_argv0 = true;
        file_put(e->f);
        e->f = NULL;
        path = interp;
    }
    e->exe = kzalloc(sizeof(*e->exe));
    err = e->exe ? read_headers(e->f, e->exe) : -ENOMEM;
    if (!err)
        err = read_interp(e->f, e->exe);
    if (err)
        goto fail;
    if (e->exe->interp) {
        e->interp = kzalloc(sizeof(*e->interp));
        err = e->interp ? open_exec(p, NULL, e->exe->interp, &e->fi, NULL) : -ENOMEM;
        if (!err)
            err = read_headers(e->fi, e->interp);
        if (err == -EACCES || err == -ENOEXEC)
            err = -ELIBBAD;
        if (!err && e->interp->eh.type != ET_DYN)
            err = -ELIBBAD;
        if (err)
            goto fail;
    }
    return 0;
fail:
    exec_prep_release(e);
    return err;
}

int exec_commit(struct proc *p, struct exec_prep *e, const struct exec_args *a,
                struct exec_result *out)
{
    int err = map_image(e->f, e->exe, true);
    if (!err && e->interp)
        err = map_image(e->fi, e->interp, false);
    if (err)
        return err;
    /* The heap starts a random distance past the program's end. */
    uptr brk = ALIGN_UP(e->exe->end, PAGE_SIZE) +
               ALIGN_DOWN(random_u64() % BRK_RANDOM_SPAN, PAGE_SIZE);
    p->mm.brk_start = p->mm.brk_cur = p->mm.brk_mapped = brk;
    p->mm.exe_base = e->exe->base;
    p->mm.interp_base = e->interp ? e->interp->base : 0;
    p->mm.entry = e->exe->base + e->exe->eh.entry;
    /* A script's interpreter sees the script in its arguments. */
    struct exec_args full = *a;
    char **argv = NULL;
    if (e->nextra) {
        int skip = (e->drop_argv0 && a->argc) ? 1 : 0;
        argv = kmalloc((size_t)(e->nextra + a->argc + 1) * sizeof(char *));
        if (!argv)
            return -ENOMEM;
        memcpy(argv, e->extra, (size_t)e->nextra * sizeof(char *));
        memcpy(argv + e->nextra, a->argv + skip, (size_t)(a->argc - skip) * sizeof(char *));
        full.argc = e->nextra + a->argc - skip;
        argv[full.argc] = NULL;
        full.argv = argv;
    }
    err = build_stack(p, &full, e->exe, e->interp, out);
    kfree(argv);
    if (err)
        return err;
    out->entry = e->interp ? e->interp->base + e->interp->eh.entry
                           : e->exe->base + e->exe->eh.entry;
    kfree(p->exe_path);
    p->exe_path = e->canon;
    e->canon = NULL;
    const char *base = strrchr(a->filename, '/');
    strlcpy(p->comm, base ? base + 1 : a->filename, sizeof(p->comm));
    return 0;
}

int elf_exec(struct proc *p, const struct exec_args *a, struct exec_result *out)
{
    struct exec_prep e;
    int err = exec_prepare(p, NULL, a->filename, &e);
    if (err)
        return err;
    err = exec_commit(p, &e, a, out);
    exec_prep_release(&e);
    return err;
}
