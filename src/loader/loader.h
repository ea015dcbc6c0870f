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

/* Maps the program (and its PT_INTERP interpreter) and builds the initial stack. Errors:
 * ENOENT, EACCES, ENOEXEC (not a loadable x86-64 ELF), ELIBBAD (bad interpreter), ENOMEM. */
int elf_exec(struct proc *p, const struct exec_args *a, struct exec_result *out);

#endif
