/* console.h: the sandbox's console (the host's standard streams) and pipes, as files. */
#ifndef HUSK_KERNEL_CONSOLE_H
#define HUSK_KERNEL_CONSOLE_H

#include "vfs.h"

/* A file for host standard stream `which` (0, 1, 2). */
struct file *console_file(int which, u32 flags);
int console_open_tty(struct file *f);
/* The host stream behind a console file, or -1 for any other file. */
int console_which(struct file *f);

/* Linux's default pipe capacity (16 pages) and PIPE_BUF atomicity bound. */
#define PIPE_DEF_SIZE (16 * 4096)
#define PIPE_BUF 4096
#define PIPE_MAX_SIZE (1024 * 1024) /* /proc/sys/fs/pipe-max-size default */
#define PIPE_ROOT_MAX_SIZE (64 * 1024 * 1024) /* root may exceed pipe-max-size; husk's cap */
int pipe_create(struct file **rd, struct file **wr, u32 flags);
bool file_is_pipe(struct file *f);
long pipe_get_size(struct file *f);
long pipe_set_size(struct file *f, unsigned long size, bool privileged);
long pipe_nread(struct file *f);

#endif
