/* husk_api.c: the C interface of include/husk/husk.h: a program linked with libhusk.a calls
 * the library OS directly. Each call goes straight to the same handler a trapped Linux
 * syscall reaches (the North shim), with the caller's memory as "guest" memory, so the
 * semantics and the checks are the ones guests get. */
#include "../../include/husk/husk.h"
#include "../kernel/console.h"
#include "../kernel/futex.h"
#include "../linux/linux.h"

#define SHARED_ARENA_SIZE (1UL << 30)
#define PRIVATE_ARENA_SIZE (16UL << 20)
#define MAX_TREES 32

static struct plat_tree trees[MAX_TREES];
static int ntrees;

static void *pages(size_t n)
{
    return arena_pages(n);
}

static void free_pages(void *p, size_t n)
{
    arena_free_pages(p, n);
}

int husk_main(int argc, char **argv, char **envp);
int husk_main(int argc, char **argv, char **envp)
{
    if (arena_init(SHARED_ARENA_SIZE, PRIVATE_ARENA_SIZE))
        return 125;
    kmem_init(pages, free_pages);
    return husk_app_main(argc, argv, envp);
}

int husk_init(void)
{
    struct vnode *root = tmpfs_new(0755);
    if (!root)
        return -ENOMEM;
    int err = vfs_mount("/", root, 0);
    if (err)
        return err;
    futex_init();
    err = vfs_init();
    struct proc *p;
    struct thread *t;
    if (!err)
        err = proc_create_init(&p, &t);
    if (err)
        return err;
    plat_set_thread_ptr(t);
    struct mount *rm = vfs_mounts();
    while (rm && rm->pathlen != 1)
        rm = rm->next;
    fsctx_set(&p->root, rm->root, rm, "/");
    fsctx_set(&p->cwd, rm->root, rm, "/");
    for (int i = 0; i < 3; i++) {
        int fl = plat_stdio_flags(i);
        struct file *f = fl < 0 ? NULL : console_file(i, (u32)fl & (O_ACCMODE | O_APPEND));
        if (f && fd_install_at(&p->fds, f, i, false) < 0)
            return -ENOMEM;
    }
    return 0;
}

int husk_mount(const char *host_path, const char *guest_path, int writable)
{
    struct vnode *v;
    if (!host_path) {
        v = tmpfs_new(01777);
        return v ? vfs_mount(guest_path, v, 0) : -ENOMEM;
    }
    if (ntrees == MAX_TREES)
        return -ENOSPC;
    int err = hostfs_new(host_path, writable, &v);
    if (err)
        return err;
    err = vfs_mount(guest_path, v, writable ? 0 : MNT_RDONLY);
    if (!err)
        trees[ntrees++] = (struct plat_tree){host_path, writable != 0, NULL};
    return err;
}

int husk_seal(void)
{
    return plat_seal(trees, ntrees);
}

int husk_open(const char *path, int flags, int mode)
{
    return (int)sys_openat(AT_FDCWD, (uptr)path, flags, (u32)mode);
}

long husk_read(int fd, void *buf, size_t n)
{
    return sys_read(fd, (uptr)buf, n);
}

long husk_write(int fd, const void *buf, size_t n)
{
    return sys_write(fd, (uptr)buf, n);
}

int husk_close(int fd)
{
    return (int)sys_close(fd);
}

int husk_mkdir(const char *path, int mode)
{
    return (int)sys_mkdirat(AT_FDCWD, (uptr)path, (u32)mode);
}

int husk_unlink(const char *path)
{
    return (int)sys_unlinkat(AT_FDCWD, (uptr)path, 0);
}

long husk_file_size(const char *path)
{
    struct linux_stat st;
    long err = sys_newfstatat(AT_FDCWD, (uptr)path, (uptr)&st, 0);
    return err ? err : st.st_size;
}
