/* elf_image.h: private to the loader: one ELF image being loaded. */
#ifndef HUSK_LOADER_ELF_IMAGE_H
#define HUSK_LOADER_ELF_IMAGE_H

#include "../lib/lib.h"

#define EI_NIDENT 16
#define MAX_PHNUM 64

struct ehdr {
    u8 ident[EI_NIDENT];
    u16 type, machine;
    u32 version;
    u64 entry, phoff, shoff;
    u32 flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    u32 type, flags;
    u64 offset, vaddr, paddr, filesz, memsz, align;
};

struct image {
    struct ehdr eh;
    struct phdr ph[MAX_PHNUM];
    uptr base;     /* load bias */
    uptr end;      /* end of the highest segment */
    uptr phdr_addr;
    char *interp;  /* kmalloc'd PT_INTERP path, or NULL */
};

#endif
