/* loader.h: starting a program image in a process (the first one, and later exec). */
#ifndef HUSK_LOADER_H
#define HUSK_LOADER_H

#include "../kernel/task.h"

struct exec_args {
    const char *filename; /* as given: resolved in the process's root and cwd */
    int argc, envc;
    char *const *argv;
    char *const *envp;
};

struct exec_result {
    uptr entry; /* where the guest starts: the interpreter's entry, or the program's */
    uptr sp;    /* initial stack pointer (argc at the top) */
};

/* exec in two steps, so that every error a caller can get comes before the old image is gone:
 * exec_prepare opens and checks the program (following `#!` scripts to their interpreter) and
 * its PT_INTERP interpreter. Errors: ENOENT, EACCES, ENOEXEC (not a loadable x86-64 ELF),
 * ELIBBAD (bad interpreter), ELOOP (scripts nested too deep), ENOMEM. exec_commit then maps
 * them into the (empty) address space and builds the initial stack. */
struct image;
struct exec_prep {
    struct file *f, *fi;     /* the program and its interpreter */
    struct image *exe, *interp;
    char *canon;             /* canonical path of what was asked for */
    char *extra[12];         /* arguments put in front by `#!` lines */
    int nextra;
    bool drop_argv0;         /* a script: the interpreter replaces argv[0] */
};
int exec_prepare(struct proc *p, const struct vfs_start *start, const char *filename,
                 struct exec_prep *e);
int exec_commit(struct proc *p, struct exec_prep *e, const struct exec_args *a,
                struct exec_result *out);
void exec_prep_release(struct exec_prep *e);
/* Both steps at once (the first process). */
int elf_exec(struct proc *p, const struct exec_args *a, struct exec_result *out);

#endif
