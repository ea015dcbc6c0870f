/* procfs.c: /proc for the sandbox's own processes (never the host's): self, and for each
 * process exe, cwd, root, comm and fd/ (whose links lead to the open files themselves, so
 * /dev/fd/N and bash's <(...) work on pipes too), plus mounts. Files are generated when
 * opened. */
#include "task.h"
#include "console.h"
#include "../platform/platform.h"

enum pnode { PN_ROOT, PN_SELF, PN_MOUNTS, PN_PID, PN_EXE, PN_CWD, PN_ROOTLINK, PN_COMM, PN_FDDIR, PN_FD };

struct pn {
    enum pnode kind;
    i32 pid;
    int fd;
    u32 mode;
};

static struct fs procfs_fs = {.name = "proc"};
static const struct vnode_ops proc_vops;
static const struct file_ops proc_dir_fops, proc_text_fops;

#define PROC_SUPER_MAGIC 0x9fa0

static struct vnode *pnode_new(enum pnode kind, i32 pid, int fd)
{
    static const u32 types[] = {
        [PN_ROOT] = S_IFDIR | 0555, [PN_SELF] = S_IFLNK | 0777,   [PN_MOUNTS] = S_IFREG | 0444,
        [PN_PID] = S_IFDIR | 0555,  [PN_EXE] = S_IFLNK | 0777,    [PN_CWD] = S_IFLNK | 0777,
        [PN_ROOTLINK] = S_IFLNK | 0777, [PN_COMM] = S_IFREG | 0644, [PN_FDDIR] = S_IFDIR | 0500,
        [PN_FD] = S_IFLNK | 0700,
    };
    struct pn *n = kzalloc(sizeof(*n));
    if (!n)
        return NULL;
    *n = (struct pn){kind, pid, fd, types[kind]};
    struct vnode *v = vnode_new(&procfs_fs, &proc_vops, types[kind], n);
    if (!v)
        kfree(n);
    return v;
}

struct vnode *procfs_new(void)
{
    if (!procfs_fs.dev)
        procfs_fs.dev = vfs_new_dev();
    return pnode_new(PN_ROOT, 0, 0);
}

static struct pn *pn(struct vnode *v)
{
    return v->priv;
}

static bool parse_num(const char *s, long *out)
{
    long v = 0;
    if (!*s || (s[0] == '0' && s[1]))
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

static struct file *proc_fd_file(i32 pid, int fd)
{
    struct proc *p = proc_find(pid);
    return p && p->state != PROC_ZOMBIE ? fd_get(&p->fds, fd) : NULL;
}

static int proc_lookup(struct vnode *dir, const char *name, struct vnode **out)
{
    struct pn *d = pn(dir);
    struct vnode *v = NULL;
    long num;
    if (d->kind == PN_ROOT) {
        if (!strcmp(name, "self"))
            v = pnode_new(PN_SELF, 0, 0);
        else if (!strcmp(name, "mounts"))
            v = pnode_new(PN_MOUNTS, 0, 0);
        else if (parse_num(name, &num) && proc_find((i32)num))
            v = pnode_new(PN_PID, (i32)num, 0);
        else
            return -ENOENT;
    } else if (d->kind == PN_PID) {
        static const struct {
            const char *name;
            enum pnode kind;
        } entries[] = {{"exe", PN_EXE}, {"cwd", PN_CWD}, {"root", PN_ROOTLINK}, {"comm", PN_COMM},
                       {"fd", PN_FDDIR}, {"mounts", PN_MOUNTS}};
        for (size_t i = 0; i < ARRAY_SIZE(entries) && !v; i++)
            if (!strcmp(name, entries[i].name))
                v = pnode_new(entries[i].kind, d->pid, 0);
        if (!v)
            return -ENOENT;
    } else if (d->kind == PN_FDDIR) {
        struct file *f = parse_num(name, &num) ? proc_fd_file(d->pid, (int)num) : NULL;
        if (!f)
            return -ENOENT;
        file_put(f);
        v = pnode_new(PN_FD, d->pid, (int)num);
    } else {
        return -ENOTDIR;
    }
    if (!v)
        return -ENOMEM;
    *out = v;
    return 0;
}

static long put_text(char *buf, size_t n, const char *s)
{
    size_t len = strlen(s);
    len = MIN(len, n);
    memcpy(buf, s, len);
    return (long)len;
}

static long proc_readlink(struct vnode *v, char *buf, size_t n)
{
    struct pn *x = pn(v);
    char tmp[64];
    if (x->kind == PN_SELF) {
        snprintf(tmp, sizeof(tmp), "%d", current()->proc->pid);
        return put_text(buf, n, tmp);
    }
    struct proc *p = proc_find(x->pid);
    if (!p || p->state == PROC_ZOMBIE)
        return -ENOENT;
    switch (x->kind) {
    case PN_EXE:
        return p->exe_path ? put_text(buf, n, p->exe_path) : -ENOENT;
    case PN_CWD:
        return put_text(buf, n, p->cwd.path);
    case PN_ROOTLINK:
        return put_text(buf, n, "/");
    case PN_FD: {
        struct file *f = fd_get(&p->fds, x->fd);
        if (!f)
            return -ENOENT;
        long r;
        if (f->path) {
            r = put_text(buf, n, f->path);
        } else {
            struct vattr a = {0};
            if (f->ops->getattr)
                f->ops->getattr(f, &a);
            /* Pipes by inode, as Linux names them; the console by what it is to the guest. */
            if (S_ISFIFO(a.mode))
                snprintf(tmp, sizeof(tmp), "pipe:[%lu]", (unsigned long)a.ino);
            else
                snprintf(tmp, sizeof(tmp), "%s", S_ISCHR(a.mode) ? "/dev/tty" : "anon_inode:");
            r = put_text(buf, n, tmp);
        }
        file_put(f);
        return r;
    }
    default:
        return -EINVAL;
    }
}

/* A proxy for an open file that has no vnode (a pipe, the console): what an fd link leads to.
 * Opening it opens the same object again; its attributes are the file's. */
static const struct vnode_ops proxy_vops;

static int proxy_getattr(struct vnode *v, struct vattr *a)
{
    struct file *f = v->priv;
    return f->ops->getattr ? f->ops->getattr(f, a) : -EINVAL;
}

static int proxy_open(struct vnode *v, struct file *nf)
{
    struct file *f = v->priv;
    return f->ops->reopen ? f->ops->reopen(f, nf) : -ENXIO;
}

static void proxy_release(struct vnode *v)
{
    file_put(v->priv);
}

static const struct vnode_ops proxy_vops = {
    .getattr = proxy_getattr,
    .open = proxy_open,
    .release = proxy_release,
};

/* Following an fd link lands on the open file's own vnode (a reopen, as Linux does) or on a
 * proxy for files without one; following exe/cwd/root resolves their path text. */
static int proc_follow(struct vnode *v, struct vnode **target, struct mount **mnt, char **path)
{
    struct pn *x = pn(v);
    if (x->kind != PN_FD)
        return -ENOSYS; /* a plain link: the VFS resolves its text */
    struct file *f = proc_fd_file(x->pid, x->fd);
    if (!f)
        return -ENOENT;
    if (f->vnode) {
        *target = vnode_get(f->vnode);
        *mnt = f->mnt;
        *path = strdup(f->path ? f->path : "/");
        file_put(f);
        return *path ? 0 : -ENOMEM;
    }
    struct vattr a = {0};
    if (f->ops->getattr)
        f->ops->getattr(f, &a);
    struct vnode *pv = vnode_new(&procfs_fs, &proxy_vops, a.mode ? a.mode : S_IFIFO, f);
    if (!pv) {
        file_put(f);
        return -ENOMEM;
    }
    *target = pv;
    *mnt = NULL;
    *path = strdup("/proc/self/fd");
    return *path ? 0 : -ENOMEM;
}

static int proc_getattr(struct vnode *v, struct vattr *a)
{
    struct pn *x = pn(v);
    a->mode = x->mode;
    a->nlink = S_ISDIR(v->type) ? 2 : 1;
    a->dev = procfs_fs.dev;
    a->ino = ((u64)x->kind << 40) | ((u64)(u32)x->pid << 8) | (u64)(u32)x->fd;
    a->blksize = 1024;
    struct proc *p = x->pid ? proc_find(x->pid) : NULL;
    if (p) {
        a->uid = p->uid;
        a->gid = p->gid;
    }
    a->mtime = a->ctime = a->atime = vfs_now();
    return 0;
}

static int proc_statfs(struct vnode *v, struct kstatfs *st)
{
    (void)v;
    *st = (struct kstatfs){.type = PROC_SUPER_MAGIC, .bsize = 4096, .namelen = 255};
    return 0;
}

/* ---- generated files ---- */

struct text {
    char *buf;
    size_t len;
};

static void gen_mounts(struct text *t)
{
    size_t cap = 4096;
    t->buf = kmalloc(cap);
    if (!t->buf)
        return;
    for (struct mount *m = vfs_mounts(); m; m = m->next) {
        const char *fs = m->root->fs ? m->root->fs->name : "none";
        char line[PATH_MAX + 128];
        int n = snprintf(line, sizeof(line), "%s %s %s %s 0 0\n", fs, m->path, fs,
                         (m->flags & MNT_RDONLY) ? "ro" : "rw");
        if (n <= 0 || (size_t)n >= sizeof(line))
            continue;
        if (t->len + (size_t)n > cap) {
            char *nb = krealloc(t->buf, cap * 2 + (size_t)n);
            if (!nb)
                return;
            t->buf = nb;
            cap = cap * 2 + (size_t)n;
        }
        memcpy(t->buf + t->len, line, (size_t)n);
        t->len += (size_t)n;
    }
}

static int proc_open(struct vnode *v, struct file *f)
{
    struct pn *x = pn(v);
    if (S_ISDIR(v->type)) {
        f->ops = &proc_dir_fops;
        return 0;
    }
    struct text *t = kzalloc(sizeof(*t));
    if (!t)
        return -ENOMEM;
    if (x->kind == PN_MOUNTS) {
        gen_mounts(t);
    } else if (x->kind == PN_COMM) {
        struct proc *p = proc_find(x->pid);
        t->buf = kmalloc(20);
        if (p && t->buf)
            t->len = (size_t)snprintf(t->buf, 20, "%s\n", p->comm);
    }
    f->priv = t;
    f->ops = &proc_text_fops;
    return 0;
}

static long text_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    struct text *t = f->priv;
    if (pos < 0 || (size_t)pos >= t->len)
        return 0;
    n = MIN(n, t->len - (size_t)pos);
    return copy_to_guest(buf, t->buf + pos, n) ? -EFAULT : (long)n;
}

static void text_release(struct file *f)
{
    struct text *t = f->priv;
    if (t)
        kfree(t->buf);
    kfree(t);
}

static int proc_readdir(struct file *f, i64 *pos, struct dirent_sink *sink)
{
    struct pn *x = pn(f->vnode);
    char name[24];
    for (;;) {
        i64 i = *pos;
        if (i == 0 || i == 1) {
            if (sink->emit(sink, i ? ".." : ".", i ? 2 : 1, 1, DT_DIR, i + 1))
                return 0;
            *pos = i + 1;
            continue;
        }
        if (x->kind == PN_ROOT) {
            /* 2: self, 3: mounts, then the pids in increasing order from 4 + pid. */
            if (i == 2 || i == 3) {
                const char *nm = i == 2 ? "self" : "mounts";
                if (sink->emit(sink, nm, strlen(nm), (u64)i, i == 2 ? DT_LNK : DT_REG, i + 1))
                    return 0;
                *pos = i + 1;
                continue;
            }
            i32 next = proc_next_pid((i32)(i - 4));
            if (!next)
                return 0;
            snprintf(name, sizeof(name), "%d", next);
            if (sink->emit(sink, name, strlen(name), (u64)next, DT_DIR, next + 4))
                return 0;
            *pos = next + 4;
        } else if (x->kind == PN_PID) {
            static const char *const names[] = {"exe", "cwd", "root", "comm", "fd", "mounts"};
            static const int types[] = {DT_LNK, DT_LNK, DT_LNK, DT_REG, DT_DIR, DT_REG};
            if (i - 2 >= (i64)ARRAY_SIZE(names))
                return 0;
            const char *nm = names[i - 2];
            if (sink->emit(sink, nm, strlen(nm), (u64)i, types[i - 2], i + 1))
                return 0;
            *pos = i + 1;
        } else { /* fd: the open descriptors, from 2 + fd */
            struct proc *p = proc_find(x->pid);
            if (!p)
                return 0;
            int fd = (int)(i - 2);
            struct file *fl = NULL;
            while (fd < p->fds.cap && !(fl = fd_get(&p->fds, fd)))
                fd++;
            if (!fl)
                return 0;
            file_put(fl);
            snprintf(name, sizeof(name), "%d", fd);
            if (sink->emit(sink, name, strlen(name), (u64)fd + 1000, DT_LNK, fd + 3))
                return 0;
            *pos = fd + 3;
        }
    }
}

static void proc_release(struct vnode *v)
{
    kfree(v->priv);
}

static const struct vnode_ops proc_vops = {
    .lookup = proc_lookup,
    .readlink = proc_readlink,
    .follow = proc_follow,
    .getattr = proc_getattr,
    .open = proc_open,
    .statfs = proc_statfs,
    .release = proc_release,
};

static const struct file_ops proc_dir_fops = {
    .readdir = proc_readdir,
};

static const struct file_ops proc_text_fops = {
    .read = text_read,
    .release = text_release,
};
