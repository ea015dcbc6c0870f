/* console.c: the host's standard streams as files of the sandbox. Reads and writes go to the
 * host descriptors husk was started with; terminal ioctls pass through a checked subset. */
#include "console.h"
#include "../platform/platform.h"

struct console {
    int which;
};

static int cw(struct file *f)
{
    return ((struct console *)f->priv)->which;
}

/* Large writes are split so that one guest call cannot hold the stream for long. */
#define CONSOLE_CHUNK 65536

static long console_read(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    /* The host copies straight into guest memory and reports EFAULT itself. */
    return plat_stdio_read(cw(f), (void *)buf, n);
}

static long console_write(struct file *f, uptr buf, size_t n, i64 pos)
{
    (void)pos;
    /* The host reads straight from guest memory and reports EFAULT itself. */
    size_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, (size_t)CONSOLE_CHUNK);
        long r = plat_stdio_write(cw(f), (const void *)(buf + done), chunk);
        if (r < 0)
            return done ? (long)done : r;
        done += (size_t)r;
        if ((size_t)r < chunk)
            break;
    }
    return (long)done;
}

/* Terminal requests and the size of their argument (Linux's struct termios is 60 bytes). */
static long console_ioctl(struct file *f, unsigned long req, uptr arg)
{
    size_t size;
    bool in = false, out = false;
    switch (req) {
    case 0x5401: size = 60, out = true; break;             /* TCGETS */
    case 0x5402: case 0x5403: case 0x5404: size = 60, in = true; break; /* TCSETS[WF] */
    case 0x5413: size = 8, out = true; break;              /* TIOCGWINSZ */
    case 0x5414: size = 8, in = true; break;               /* TIOCSWINSZ */
    case 0x540f: size = 4, out = true; break;              /* TIOCGPGRP */
    case 0x541b: size = 4, out = true; break;              /* FIONREAD */
    default: return -ENOTTY;
    }
    u8 tmp[64];
    if (in && copy_from_guest(tmp, arg, size))
        return -EFAULT;
    int r = plat_stdio_ioctl(cw(f), req, tmp);
    if (r < 0)
        return r;
    if (req == 0x540f)
        *(i32 *)tmp = 1; /* the sandbox's first process group, not a host pid */
    if (out && copy_to_guest(arg, tmp, size))
        return -EFAULT;
    return r;
}

static int console_poll(struct file *f, int events)
{
    short ev[3] = {0};
    ev[cw(f)] = (short)(events & (POLLIN | POLLOUT));
    if (plat_stdio_poll(ev, 0) < 0)
        return POLLERR;
    return ev[cw(f)];
}

static int console_getattr(struct file *f, struct vattr *a)
{
    struct plat_stat s;
    int err = plat_stdio_stat(cw(f), &s);
    if (err)
        return err;
    a->dev = s.dev;
    a->ino = s.ino;
    a->nlink = s.nlink;
    a->size = s.size;
    a->blocks = s.blocks;
    a->rdev = s.rdev;
    a->mode = s.mode;
    a->uid = s.uid;
    a->gid = s.gid;
    a->blksize = s.blksize;
    a->atime = (struct timespec64){s.atime_sec, s.atime_nsec};
    a->mtime = (struct timespec64){s.mtime_sec, s.mtime_nsec};
    a->ctime = (struct timespec64){s.ctime_sec, s.ctime_nsec};
    return 0;
}

static void console_release(struct file *f)
{
    kfree(f->priv);
}

static int console_reopen(struct file *f, struct file *nf)
{
    struct console *c = kzalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->which = cw(f);
    nf->ops = f->ops;
    nf->priv = c;
    return 0;
}

static const struct file_ops console_fops = {
    .read = console_read,
    .write = console_write,
    .ioctl = console_ioctl,
    .poll = console_poll,
    .getattr = console_getattr,
    .reopen = console_reopen,
    .release = console_release,
};

struct file *console_file(int which, u32 flags)
{
    struct console *c = kzalloc(sizeof(*c));
    struct file *f = c ? file_alloc(&console_fops, flags, c) : NULL;
    if (!f) {
        kfree(c);
        return NULL;
    }
    c->which = which;
    return f;
}

/* /dev/tty: the controlling terminal is the host stream that is a terminal, if any. */
int console_open_tty(struct file *f)
{
    u8 termios[60];
    for (int w = 0; w < 3; w++)
        if (plat_stdio_ioctl(w, 0x5401, termios) == 0) {
            struct console *c = kzalloc(sizeof(*c));
            if (!c)
                return -ENOMEM;
            c->which = w;
            f->priv = c;
            f->ops = &console_fops;
            return 0;
        }
    return -ENXIO;
}

int console_which(struct file *f)
{
    return f->ops == &console_fops ? cw(f) : -1;
}
