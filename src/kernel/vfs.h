/* vfs.h: the core's file-system interface: vnodes (files as a file system knows them), open
 * file descriptions, mounts, and path resolution. File systems (tmpfs, hostfs, overlay, devfs)
 * implement vnode_ops and file_ops; the Linux shim calls the vfs_* functions. */
#ifndef HUSK_KERNEL_VFS_H
#define HUSK_KERNEL_VFS_H

#include "../lib/lib.h"
#include "errno.h"

/* Mode bits and open flags: Linux's values (see errno.h for why). */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)

#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DSYNC 010000
#define O_DIRECT 040000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define O_TMPFILE 020200000

/* d_type values of directory entries. */
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

#define PATH_MAX 4096
#define NAME_MAX 255
#define SYMLOOP_MAX 40 /* Linux's limit on symlinks followed in one resolution */

struct timespec64 {
    i64 sec;
    long nsec;
};
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* Attributes of a vnode. */
struct vattr {
    u64 dev, ino, nlink, size, blocks, rdev;
    u32 mode, uid, gid, blksize;
    struct timespec64 atime, mtime, ctime;
};

/* Which attributes a setattr changes. */
#define VA_MODE 1
#define VA_UID 2
#define VA_GID 4
#define VA_SIZE 8
#define VA_ATIME 16
#define VA_MTIME 32

/* File system statistics (the fields of Linux's struct statfs). */
struct kstatfs {
    u64 type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
};

struct vnode;
struct file;
struct fs;
struct mount;

/* Operations on a vnode. Names are single components (no '/', not "." or ".."): the VFS
 * resolves paths. Unsupported operations may be NULL (the VFS answers EPERM/ENOTSUP/EINVAL as
 * Linux would). Every function returns 0 or a negative errno unless it says otherwise. */
struct vnode_ops {
    /* Looks up name in directory dir; *out gets a new reference. */
    int (*lookup)(struct vnode *dir, const char *name, struct vnode **out);
    /* Creates a regular file, fifo, socket or device node (mode has the type bits). */
    int (*create)(struct vnode *dir, const char *name, u32 mode, u64 rdev, u32 uid, u32 gid,
                  struct vnode **out);
    int (*mkdir)(struct vnode *dir, const char *name, u32 mode, u32 uid, u32 gid);
    int (*symlink)(struct vnode *dir, const char *name, const char *target, u32 uid, u32 gid);
    /* Makes name in dir another name of v (v is on the same file system). */
    int (*link)(struct vnode *dir, const char *name, struct vnode *v);
    int (*unlink)(struct vnode *dir, const char *name); /* not a directory */
    int (*rmdir)(struct vnode *dir, const char *name);  /* empty directory */
    /* flags: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2); both dirs on the same file system. */
    int (*rename)(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
                  unsigned flags);
    /* Copies the symlink's target (not NUL-terminated) into buf; returns its length. */
    long (*readlink)(struct vnode *v, char *buf, size_t n);
    /* A "magic" symlink (procfs's fd links) leads to an object, not a path: *target (a new
     * reference), its mount (NULL: the link's own) and a canonical path for it. -ENOSYS means
     * an ordinary link after all. */
    int (*follow)(struct vnode *v, struct vnode **target, struct mount **mnt, char **path);
    int (*getattr)(struct vnode *v, struct vattr *a);
    int (*setattr)(struct vnode *v, const struct vattr *a, unsigned mask);
    /* Opens v (already checked for access and type) into a new file description: the fs sets
     * f->ops and f->priv; the VFS fills in the rest. */
    int (*open)(struct vnode *v, struct file *f);
    int (*statfs)(struct vnode *v, struct kstatfs *st);
    /* The last reference went away: free the fs's private state. */
    void (*release)(struct vnode *v);
};

struct vnode {
    int refs;
    u32 type; /* S_IFMT bits, fixed for the vnode's life */
    const struct vnode_ops *ops;
    struct fs *fs;
    void *priv;
};

struct fs {
    const char *name; /* "tmpfs", "hostfs", "overlay", "devfs", for /proc/mounts and statfs */
    u64 dev;          /* st_dev of its files */
    void *priv;
};

/* A directory entry as readdir yields it. */
struct dirent_sink {
    /* Returns 0 to continue, or nonzero when the entry did not fit (readdir stops and the
     * entry is offered again next time). next is the cookie of the entry after this one. */
    int (*emit)(struct dirent_sink *s, const char *name, size_t namelen, u64 ino, int dtype,
                i64 next);
};

/* Operations on an open file description. Buffers are guest addresses (uptr); the library OS
 * may pass its own memory too, since it lies in the same address space. read/write take the
 * position to use (the file layer keeps f->pos, or passes the pread/pwrite offset); files
 * without positions ignore it. Returns the byte count or a negative errno. */
struct file_ops {
    long (*read)(struct file *f, uptr buf, size_t n, i64 pos);
    long (*write)(struct file *f, uptr buf, size_t n, i64 pos);
    /* Directory listing from cookie *pos (0 = start); advances *pos. */
    int (*readdir)(struct file *f, i64 *pos, struct dirent_sink *sink);
    long (*ioctl)(struct file *f, unsigned long req, uptr arg);
    /* Readiness now: returns POLLIN/POLLOUT/POLLHUP/POLLERR bits (Linux values). */
    int (*poll)(struct file *f, int events);
    /* The wait queue woken when the readiness may have changed (NULL: it never changes, or
     * only the host knows, as for the console). */
    struct waitq *(*waitq)(struct file *f);
    /* For files that become ready with time (timerfd): the monotonic time in ns at which the
     * readiness may change next, or -1. A wait sleeps no longer than that. */
    i64 (*deadline)(struct file *f);
    /* Maps the file: returns a platform host file handle to map (>= 0), or -ENODEV when the
     * VFS must copy the contents into anonymous memory instead. */
    int (*map_handle)(struct file *f);
    int (*fsync)(struct file *f, bool data_only);
    /* Attributes of files without a vnode (pipes, console). */
    int (*getattr)(struct file *f, struct vattr *a);
    /* Opens the same object again as nf (files without a vnode, reached by /proc/PID/fd). */
    int (*reopen)(struct file *f, struct file *nf);
    void (*release)(struct file *f);
};

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

struct mount;

/* An open file description (what Linux calls struct file): shared by dup'ed descriptors. */
struct file {
    int refs;
    u32 flags; /* O_ACCMODE bits and status flags (O_APPEND, O_NONBLOCK, ...) */
    i64 pos;
    const struct file_ops *ops;
    struct vnode *vnode; /* NULL for pipes and the console */
    struct mount *mnt;
    char *path; /* canonical path it was opened by, for getcwd/fchdir/readlink of fds */
    void *priv;
    spinlock_t lock; /* guards pos */
};

/* Mount flags. */
#define MNT_RDONLY 1

struct mount {
    char *path; /* canonical guest path of the mount point ("/" for the root) */
    size_t pathlen;
    struct vnode *root;
    unsigned flags;
    struct mount *next;
};

/* ---- vnode and file references ---- */
static inline struct vnode *vnode_get(struct vnode *v)
{
    __atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
    return v;
}
void vnode_put(struct vnode *v);
/* A new vnode with one reference. */
struct vnode *vnode_new(struct fs *fs, const struct vnode_ops *ops, u32 type, void *priv);

struct file *file_alloc(const struct file_ops *ops, u32 flags, void *priv);
static inline struct file *file_get(struct file *f)
{
    __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
    return f;
}
void file_put(struct file *f);
/* getattr for files with no inode of their own (epoll, eventfd, timerfd, signalfd). */
int file_anon_getattr(struct file *f, struct vattr *a);

/* ---- mounts ---- */
/* Mounts root at the canonical guest path (creating the mount point as a directory in the
 * parent file system if it is missing and that file system is writable). */
int vfs_mount(const char *path, struct vnode *root, unsigned flags);
struct mount *vfs_mounts(void);

/* ---- path resolution ---- */
#define LOOKUP_FOLLOW 1    /* follow a final symlink */
#define LOOKUP_PARENT 2    /* stop at the parent of the final component */
#define LOOKUP_DIRECTORY 4 /* the result must be a directory (also implied by a trailing /) */
#define LOOKUP_EMPTY 8     /* an empty path names the starting directory (AT_EMPTY_PATH) */

/* Where a relative path starts: a directory's vnode, mount and canonical path. */
struct vfs_start {
    struct vnode *dir;
    struct mount *mnt;
    const char *path;
};

struct resolved {
    struct vnode *vnode; /* the result (with LOOKUP_PARENT: the parent directory); a reference */
    struct mount *mnt;   /* the mount the vnode belongs to */
    char *path;          /* canonical path of the vnode (kmalloc'd) */
    char last[NAME_MAX + 1]; /* with LOOKUP_PARENT: the final component ("" for "/") */
    bool trailing_slash;     /* with LOOKUP_PARENT: the path ended in '/' */
};

/* Resolves path (library-OS memory) from root or start. On success fills out; release it with
 * resolved_put. Errors: ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EACCES. */
int vfs_resolve(const struct vfs_start *root, const struct vfs_start *start, const char *path,
                int flags, struct resolved *out);
void resolved_put(struct resolved *r);

/* Helpers used by the shim and by file systems. */
int vfs_getattr(struct vnode *v, struct vattr *a);
/* Opens a resolved vnode with Linux open flags (type and access checked, O_TRUNC applied). */
int vfs_open_vnode(struct resolved *r, u32 flags, struct file **out);
/* Reads the whole of a small file by path, for the loader (kmalloc'd buffer). */
int vfs_read_all(struct file *f, void **buf, size_t *len, size_t max);
/* Directory entry type from mode bits. */
int vfs_dtype(u32 mode);
/* Moves the VFS's shared counters into shared memory (before the first fork). */
int vfs_init(void);
/* A fresh inode number / device number for in-memory file systems. */
u64 vfs_new_ino(void);
u64 vfs_new_dev(void);
/* Current time for timestamps. */
struct timespec64 vfs_now(void);

/* ---- file systems ---- */
/* tmpfs.c: an empty in-memory file system; returns its root vnode (mode 01777 for /tmp use
 * is set by the caller through setattr). */
struct vnode *tmpfs_new(u32 root_mode);
/* devfs.c: /dev: a tmpfs populated with null, zero, full, random, urandom, tty, and the
 * stdin/stdout/stderr/fd symlinks. Opening a character device node on any file system goes
 * through chrdev_open. */
struct vnode *devfs_new(void);
int chrdev_open(u64 rdev, struct file *f);
/* hostfs.c: a host tree declared to the platform; root of it. */
int hostfs_new(const char *host_path, bool writable, struct vnode **root);
/* procfs.c: /proc for the sandbox's processes. */
struct vnode *procfs_new(void);
/* overlay.c: a writable in-memory layer (upper, a tmpfs) over a read-only lower tree. */
struct vnode *overlay_new(struct vnode *lower_root);

/* Device numbers: major/minor packed as Linux's new_encode_dev does for makedev(). */
static inline u64 mkdev(u32 major, u32 minor)
{
    return ((u64)(major & 0xfffff000) << 32) | ((u64)(major & 0xfff) << 8) |
           ((u64)(minor & 0xffffff00) << 12) | (minor & 0xff);
}

#endif
