/* devfs.c: /dev, a tmpfs holding Linux's basic device nodes, and the drivers of the memory
 * devices (null, zero, full, random, urandom) that a device node on any file system opens. */
#include "vfs.h"
#include "../platform/platform.h"

/* Device numbers from Linux's Documentation/admin-guide/devices.txt. */
#define MEM_MAJOR 1
#define MINOR_NULL 3
#define MINOR_ZERO 5
#define MINOR_FULL 7
#define MINOR_RANDOM 8
#define MINOR_URANDOM 9
#define TTYAUX_MAJOR 5
#define MINOR_TTY 0
#define TTY_GID 5 /* the "tty" group owns /dev/tty on Linux systems */
/* Linux never moves more than this in one read or write (include/linux/fs.h). */
#define MAX_RW_COUNT ((size_t)0x7ffff000)

/* The console layer: opens the controlling terminal. */
int console_open_tty(struct file *f);

static long read_nothing(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)f, (void)buf, (void)n, (void)pos;
    return 0;
}

/* Written data is dropped unread, as Linux does for null and zero. For random Linux would mix
 * it into its pool; ours is the host's, which the guest has no business feeding. */
static long write_sink(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)f, (void)buf, (void)pos;
    return (long)MIN(n, MAX_RW_COUNT);
}

static long write_full(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)f, (void)buf, (void)n, (void)pos;
    return -ENOSPC;
}

static long read_zeroes(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)f, (void)pos;
    n = MIN(n, MAX_RW_COUNT);
    return clear_guest(buf, n) ? -EFAULT : (long)n;
}

/* Random bytes pass through a small bounce buffer, wiped after use since they may be a key. */
static long read_random(struct file *f, uptr buf, size_t n, i64 pos)
{
    u8 bounce[256];
    size_t done = 0;
    long err = 0;

    (void)f, (void)pos;
    n = MIN(n, MAX_RW_COUNT);
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof(bounce));
        long got = plat_random(bounce, chunk);
        if (got <= 0) {
            err = got ? got : -EIO;
            break;
        }
        if (copy_to_guest(buf + done, bounce, (size_t)got)) {
            err = -EFAULT;
            break;
        }
        done += (size_t)got;
    }
    memset(bounce, 0, sizeof(bounce));
    return done ? (long)done : err;
}

static int always_ready(struct file *f, int events)
{
    (void)f, (void)events;
    return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

/* mmap of /dev/zero is anonymous memory: the VFS makes it, as for any copied file. */
static int zero_map_handle(struct file *f)
{
    (void)f;
    return -ENODEV;
}

static const struct file_ops null_ops = {
    .read = read_nothing,
    .write = write_sink,
    .poll = always_ready,
};
static const struct file_ops zero_ops = {
    .read = read_zeroes,
    .write = write_sink,
    .poll = always_ready,
    .map_handle = zero_map_handle,
};
static const struct file_ops full_ops = {
    .read = read_zeroes,
    .write = write_full,
    .poll = always_ready,
};
static const struct file_ops random_ops = {
    .read = read_random,
    .write = write_sink,
    .poll = always_ready,
};

static const struct mem_dev {
    const char *name;
    u32 minor;
    const struct file_ops *ops;
} mem_devs[] = {
    {"null", MINOR_NULL, &null_ops},         {"zero", MINOR_ZERO, &zero_ops},
    {"full", MINOR_FULL, &full_ops},         {"random", MINOR_RANDOM, &random_ops},
    {"urandom", MINOR_URANDOM, &random_ops},
};

int chrdev_open(u64 rdev, struct file *f)
{
    if (rdev == mkdev(TTYAUX_MAJOR, MINOR_TTY))
        return console_open_tty(f);
    for (size_t i = 0; i < ARRAY_SIZE(mem_devs); i++) {
        if (rdev == mkdev(MEM_MAJOR, mem_devs[i].minor)) {
            f->ops = mem_devs[i].ops;
            return 0;
        }
    }
    return -ENXIO;
}

/* The links a Linux /dev has to the calling process's descriptors. */
static const struct {
    const char *name, *target;
} fd_links[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

struct vnode *devfs_new(void)
{
    struct vnode *root = tmpfs_new(0755);
    if (!root)
        return NULL;
    const struct vnode_ops *ops = root->ops;
    int err = 0;

    root->fs->name = "devtmpfs";
    for (size_t i = 0; i < ARRAY_SIZE(mem_devs) && !err; i++)
        err = ops->create(root, mem_devs[i].name, S_IFCHR | 0666,
                          mkdev(MEM_MAJOR, mem_devs[i].minor), 0, 0, NULL);
    if (!err)
        err = ops->create(root, "tty", S_IFCHR | 0666, mkdev(TTYAUX_MAJOR, MINOR_TTY), 0, TTY_GID,
                          NULL);
    for (size_t i = 0; i < ARRAY_SIZE(fd_links) && !err; i++)
        err = ops->symlink(root, fd_links[i].name, fd_links[i].target, 0, 0);
    if (!err)
        err = ops->mkdir(root, "pts", 0755, 0, 0);
    if (!err)
        err = ops->mkdir(root, "shm", 01777, 0, 0);
    if (err) {
        vnode_put(root);
        return NULL;
    }
    return root;
}
