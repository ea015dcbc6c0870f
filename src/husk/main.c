/* main.c: the `husk` command: parses the command line, builds the sandbox's file system from
 * the declared mounts, seals the keyhole, loads the program and enters it. */
#include "../kernel/console.h"
#include "../kernel/futex.h"
#include "../kernel/task.h"
#include "../linux/linux.h"
#include "../loader/loader.h"

#define HUSK_VERSION "0.1.0"
/* Reserved, not committed: pages are touched on use. */
#define SHARED_ARENA_SIZE (4UL << 30)
#define PRIVATE_ARENA_SIZE (256UL << 20)
#define MAX_MOUNTS 64
#define MAX_ENV_EDITS 256
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char usage_top[] =
    "Usage: husk COMMAND [OPTIONS]\n"
    "\n"
    "husk runs unmodified Linux x86-64 programs on a library OS inside a sandbox: their system\n"
    "calls are served by husk itself, and husk reaches the host only through a small, enforced\n"
    "set of host calls (seccomp and Landlock).\n"
    "\n"
    "Commands:\n"
    "  run [OPTIONS] -- PROGRAM [ARGS...]   run PROGRAM in a new sandbox\n"
    "  debug syscalls                       list the Linux syscalls husk serves\n"
    "  debug keyhole                        list the host syscalls husk may make\n"
    "  debug gate-address                   print the address of husk's host gate (tests)\n"
    "\n"
    "Options:\n"
    "  -h, --help       show this help (husk run --help: options of run)\n"
    "  -V, --version    show the version\n";

static const char usage_run[] =
    "Usage: husk run [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM (found by path, or on the sandbox's PATH) in a new sandbox and exits with its\n"
    "status (128+N if a signal N killed it). By default the sandbox's / is the host's / read-only\n"
    "with a writable in-memory layer on top (writes stay in the sandbox), /tmp is an empty\n"
    "in-memory file system and /dev holds null, zero, full, random, urandom and tty.\n"
    "\n"
    "File system:\n"
    "  --ro HOST:GUEST       mount host path HOST (directory or file) read-only at GUEST\n"
    "  --rw HOST:GUEST       mount host path HOST read-write at GUEST (writes reach the host)\n"
    "  --tmpfs GUEST         mount an empty in-memory file system at GUEST\n"
    "  --root DIR            use host directory DIR as / (read-only, in-memory layer on top)\n"
    "  --root none           start from an empty in-memory /: only the listed mounts exist\n"
    "  --cwd DIR             start in DIR (default: the host's current directory if it exists\n"
    "                        in the sandbox, else /)\n"
    "Environment (inherited from the host by default):\n"
    "  --env NAME=VALUE      set a variable\n"
    "  --unsetenv NAME       remove a variable\n"
    "  --clearenv            start from an empty environment\n"
    "Diagnostics:\n"
    "  --trace               print every system call of the program to stderr, like strace\n"
    "  --trace-file FILE     write the trace to FILE instead\n"
    "  -h, --help            show this help\n";

struct mount_opt {
    const char *host; /* NULL for tmpfs */
    const char *guest;
    bool writable;
};

struct options {
    struct mount_opt mounts[MAX_MOUNTS];
    int nmounts;
    const char *root; /* NULL: host /; "none": empty */
    const char *cwd;
    const char *env_edits[MAX_ENV_EDITS]; /* "K=V" sets, "K" unsets */
    int nedits;
    bool clearenv, trace;
    const char *trace_file;
    char **argv;
    int argc;
};

static void out(int which, const char *s)
{
    plat_stdio_write(which, s, strlen(s));
}

static const char *errstr(int err)
{
    switch (-err) {
    case ENOENT: return "No such file or directory";
    case EACCES: return "Permission denied";
    case ENOEXEC: return "Exec format error";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case ENOMEM: return "Cannot allocate memory";
    case ELOOP: return "Too many levels of symbolic links";
    case ENAMETOOLONG: return "File name too long";
    case EROFS: return "Read-only file system";
    case EINVAL: return "Invalid argument";
    case ELIBBAD: return "Accessing a corrupted shared library";
    case ENOSYS: return "Function not implemented";
    case EPERM: return "Operation not permitted";
    case EEXIST: return "File exists";
    }
    return "Unknown error";
}

static _Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void die(int status, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    n = MIN(n, (int)sizeof(buf) - 2);
    buf[n++] = '\n';
    buf[n] = 0;
    out(2, "husk: ");
    out(2, buf);
    plat_exit(status);
}

static void *pages(size_t n)
{
    return arena_pages(n);
}

static void free_pages(void *p, size_t n)
{
    arena_free_pages(p, n);
}

/* ---- command line ---- */

static void split_mount(const char *opt, const char *arg, struct mount_opt *m)
{
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || !colon[1])
        die(2, "%s needs HOST:GUEST, got '%s'", opt, arg);
    char *host = strndup(arg, (size_t)(colon - arg));
    m->host = host;
    m->guest = colon + 1;
}

static void parse_run(int argc, char **argv, struct options *o)
{
    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-')
            break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            out(1, usage_run);
            plat_exit(0);
        }
        if (!strcmp(a, "--clearenv") || !strcmp(a, "--trace")) {
            if (!strcmp(a, "--clearenv"))
                o->clearenv = true;
            else
                o->trace = true;
            continue;
        }
        if (!next)
            die(2, "option %s needs an argument (see husk run --help)", a);
        if (!strcmp(a, "--ro") || !strcmp(a, "--rw")) {
            if (o->nmounts == MAX_MOUNTS)
                die(2, "too many mounts (at most %d)", MAX_MOUNTS);
            struct mount_opt *m = &o->mounts[o->nmounts++];
            split_mount(a, next, m);
            m->writable = a[3] == 'w';
        } else if (!strcmp(a, "--tmpfs")) {
            if (o->nmounts == MAX_MOUNTS)
                die(2, "too many mounts (at most %d)", MAX_MOUNTS);
            o->mounts[o->nmounts++] = (struct mount_opt){NULL, next, true};
        } else if (!strcmp(a, "--root")) {
            o->root = next;
        } else if (!strcmp(a, "--cwd")) {
            o->cwd = next;
        } else if (!strcmp(a, "--env") || !strcmp(a, "--unsetenv")) {
            if (o->nedits == MAX_ENV_EDITS)
                die(2, "too many environment changes");
            if (a[2] == 'e' && !strchr(next, '='))
                die(2, "--env needs NAME=VALUE, got '%s'", next);
            if (a[2] == 'u' && strchr(next, '='))
                die(2, "--unsetenv needs a NAME, got '%s'", next);
            o->env_edits[o->nedits++] = next;
        } else if (!strcmp(a, "--trace-file")) {
            o->trace = true;
            o->trace_file = next;
        } else {
            takes = false;
        }
        if (!takes)
            die(2, "unknown option '%s' (see husk run --help)", a);
        i++;
    }
    if (i >= argc)
        die(2, "no program given (usage: husk run [OPTIONS] -- PROGRAM [ARGS...])");
    o->argv = argv + i;
    o->argc = argc - i;
}

/* ---- the guest's environment ---- */

static bool env_name_is(const char *kv, const char *name, size_t nlen)
{
    return !strncmp(kv, name, nlen) && (kv[nlen] == '=' || kv[nlen] == 0);
}

static char **build_env(const struct options *o, char **host, int *count)
{
    int n = 0;
    if (!o->clearenv)
        while (host[n])
            n++;
    char **env = kzalloc((size_t)(n + o->nedits + 1) * sizeof(char *));
    if (!env)
        die(1, "out of memory");
    int c = 0;
    for (int i = 0; i < n; i++)
        env[c++] = host[i];
    for (int e = 0; e < o->nedits; e++) {
        const char *kv = o->env_edits[e];
        const char *eq = strchr(kv, '=');
        size_t nlen = eq ? (size_t)(eq - kv) : strlen(kv);
        int j = 0;
        for (int i = 0; i < c; i++)
            if (!env_name_is(env[i], kv, nlen))
                env[j++] = env[i];
        c = j;
        if (eq)
            env[c++] = (char *)kv;
    }
    env[c] = NULL;
    *count = c;
    return env;
}

static const char *env_get(char **env, const char *name)
{
    size_t n = strlen(name);
    for (; *env; env++)
        if (!strncmp(*env, name, n) && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

/* ---- file system ---- */

static void mount_or_die(const char *path, struct vnode *root, unsigned flags, const char *what)
{
    int err = vfs_mount(path, root, flags);
    if (err)
        die(1, "cannot mount %s at %s: %s", what, path, errstr(err));
}

static int build_fs(const struct options *o, struct plat_tree *trees, int *ntrees)
{
    struct vnode *root;
    int err, nt = 0;
    bool none = o->root && !strcmp(o->root, "none");
    if (none) {
        root = tmpfs_new(0755);
    } else {
        const char *host_root = o->root ? o->root : "/";
        struct vnode *lower;
        err = hostfs_new(host_root, false, &lower);
        if (err)
            die(1, "cannot open root %s: %s", host_root, errstr(err));
        /* The host's own /proc, /sys and /dev stay out of the sandbox: not shown by the VFS
         * (masked below) and not granted by Landlock. */
        static const char *const host_only[] = {"proc", "sys", "dev", NULL};
        trees[nt++] = (struct plat_tree){host_root, false, o->root ? NULL : host_only};
        root = overlay_new(lower);
    }
    if (!root)
        die(1, "out of memory");
    mount_or_die("/", root, 0, "the root");
    if (!none) {
        mount_or_die("/dev", devfs_new(), 0, "devfs");
        mount_or_die("/tmp", tmpfs_new(01777), 0, "tmpfs");
        mount_or_die("/proc", procfs_new(), MNT_RDONLY, "/proc");
        mount_or_die("/sys", tmpfs_new(0555), MNT_RDONLY, "an empty /sys");
    }
    for (int i = 0; i < o->nmounts; i++) {
        const struct mount_opt *m = &o->mounts[i];
        if (m->guest[0] != '/')
            die(2, "mount point '%s' must be an absolute path", m->guest);
        struct vnode *v;
        if (!m->host) {
            v = tmpfs_new(01777);
        } else {
            err = hostfs_new(m->host, m->writable, &v);
            if (err)
                die(1, "cannot open %s: %s", m->host, errstr(err));
            trees[nt++] = (struct plat_tree){m->host, m->writable, NULL};
        }
        /* Mount points are canonical paths: "." and ".." would name a mount nobody reaches. */
        for (const char *c = m->guest; *c; c++)
            if (c[0] == '.' && (c == m->guest || c[-1] == '/') &&
                (c[1] == '/' || !c[1] || (c[1] == '.' && (c[2] == '/' || !c[2]))))
                die(2, "mount point '%s' must not contain . or .. components", m->guest);
        /* Normalize the guest path: no trailing or doubled slashes. */
        char *g = kmalloc(strlen(m->guest) + 1);
        size_t k = 0;
        for (const char *s = m->guest; *s; s++)
            if (*s != '/' || (k && g[k - 1] != '/') || !k)
                g[k++] = *s;
        if (k > 1 && g[k - 1] == '/')
            k--;
        g[k] = 0;
        mount_or_die(g, v, m->host && !m->writable ? MNT_RDONLY : 0,
                     m->host ? m->host : "tmpfs");
    }
    *ntrees = nt;
    return 0;
}

/* Finds PROGRAM: a path if it has a '/', else the first executable on PATH. */
static char *find_program(struct proc *p, const char *prog, const char *path_env)
{
    if (strchr(prog, '/'))
        return strdup(prog);
    const char *path = path_env ? path_env : DEFAULT_PATH;
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        char full[PATH_MAX];
        if (len + strlen(prog) + 2 <= sizeof(full)) {
            snprintf(full, sizeof(full), "%.*s%s%s", (int)len, path, len ? "/" : "", prog);
            struct resolved r;
            if (!vfs_resolve(&p->root, &p->cwd, full, LOOKUP_FOLLOW, &r)) {
                struct vattr a;
                bool ok = !vfs_getattr(r.vnode, &a) && S_ISREG(a.mode) && (a.mode & 0111);
                resolved_put(&r);
                if (ok)
                    return strdup(full);
            }
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return NULL;
}

static void set_cwd(struct proc *p, const char *want, bool must)
{
    struct resolved r;
    int err = vfs_resolve(&p->root, &p->root, want, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &r);
    if (err) {
        if (must)
            die(1, "--cwd %s: %s", want, errstr(err));
        return;
    }
    fsctx_set(&p->cwd, r.vnode, r.mnt, r.path);
    resolved_put(&r);
}

static void setup_stdio(struct proc *p)
{
    for (int i = 0; i < 3; i++) {
        int fl = plat_stdio_flags(i);
        if (fl < 0)
            continue; /* closed on the host: closed in the sandbox */
        struct file *f = console_file(i, (u32)fl & (O_ACCMODE | O_APPEND | O_NONBLOCK));
        if (!f || fd_install_at(&p->fds, f, i, false) < 0)
            die(1, "out of memory");
    }
}

static int cmd_run(int argc, char **argv)
{
    static struct options o;
    parse_run(argc, argv, &o);
    const struct plat_startup *su = plat_startup_info();

    struct plat_tree trees[MAX_MOUNTS + 1];
    int ntrees;
    build_fs(&o, trees, &ntrees);
    if (o.trace_file) {
        int err = plat_log_open(o.trace_file);
        if (err)
            die(1, "cannot open trace file %s: %s", o.trace_file, errstr(err));
    }
    trace_enabled = o.trace;

    /* Shared tables are made now, before any process can fork. */
    futex_init();
    if (vfs_init())
        die(1, "out of memory");
    struct proc *p;
    struct thread *t;
    if (proc_create_init(&p, &t))
        die(1, "out of memory");
    u32 ids[2] = {0, 0};
    plat_user_ids(&ids[0], &ids[1]);
    p->uid = p->euid = p->suid = ids[0];
    p->gid = p->egid = p->sgid = ids[1];
    struct mount *rm = vfs_mounts();
    while (rm && rm->pathlen != 1)
        rm = rm->next;
    fsctx_set(&p->root, rm->root, rm, "/");
    fsctx_set(&p->cwd, rm->root, rm, "/");
    char host_cwd[PATH_MAX];
    if (o.cwd)
        set_cwd(p, o.cwd, true);
    else if (!plat_host_cwd(host_cwd, sizeof(host_cwd)))
        set_cwd(p, host_cwd, false);
    setup_stdio(p);

    int envc;
    char **envp = build_env(&o, su->envp, &envc);

    int err = plat_seal(trees, ntrees);
    if (err)
        die(1, "cannot seal the sandbox (seccomp/Landlock): %s", errstr(err));
    void *stack = arena_private(PLAT_TRAP_STACK_SIZE);
    t->trap_stack = stack;
    if (!stack || plat_cpu_init(t, stack, PLAT_TRAP_STACK_SIZE))
        die(1, "cannot set up the trap handler");

    /* From here on every host call goes through the keyhole, the program's loading included. */
    char *prog = find_program(p, o.argv[0], env_get(envp, "PATH"));
    if (!prog)
        die(127, "%s: command not found", o.argv[0]);
    struct exec_args ea = {prog, o.argc, envc, o.argv, envp};
    struct exec_result er;
    err = elf_exec(p, &ea, &er);
    if (err)
        die(err == -ENOENT ? 127 : 126, "%s: %s", prog, errstr(err));
    plat_enter_guest(er.entry, er.sp);
}

int husk_main(int argc, char **argv, char **envp);
int husk_main(int argc, char **argv, char **envp)
{
    (void)envp;
    if (arena_init(SHARED_ARENA_SIZE, PRIVATE_ARENA_SIZE))
        die(1, "cannot reserve memory for the library OS");
    kmem_init(pages, free_pages);
    if (argc < 2) {
        out(2, usage_top);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        out(1, usage_top);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        out(1, "husk " HUSK_VERSION "\n");
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "debug") && argc == 3 && !strcmp(argv[2], "syscalls")) {
        char line[256];
        for (int i = 0; i < syscall_table_size; i++) {
            const struct syscall_desc *d = &syscall_table[i];
            if (!d->fn)
                continue;
            snprintf(line, sizeof(line), "%d %s %s%s\n", i, d->name,
                     d->partial ? "partial: " : "full", d->partial ? d->partial : "");
            out(1, line);
        }
        return 0;
    }
    if (!strcmp(cmd, "debug") && argc == 3 && !strcmp(argv[2], "keyhole")) {
        const char *names[128];
        int n = plat_keyhole(names, 128);
        for (int i = 0; i < n; i++) {
            out(1, names[i]);
            out(1, "\n");
        }
        return 0;
    }
    if (!strcmp(cmd, "debug") && argc == 3 && !strcmp(argv[2], "gate-address")) {
        /* Test aid: where this run of husk has its gate. Equal to the gate of a sandbox only
         * when both are started without address randomization (setarch -R), as the hostile-
         * guest tests do; the keyhole never depends on the address being secret. */
        extern char husk_gate_insn[];
        char line[32];
        snprintf(line, sizeof(line), "%#lx\n", (unsigned long)husk_gate_insn);
        out(1, line);
        return 0;
    }
    die(2, "unknown command '%s' (see husk --help)", cmd);
}
