# tests/unit/elf.frag: builds and runs the hosted unit test of the ELF loader (make unit-tests,
# or make unit-elf alone).
#
# Included by tests/unit/Makefile.frag after tmpfs.frag and vfs.frag: it reuses the UNIT_*
# variables, the renamed lib objects, and the renamed vfs.o, tmpfs.o and vnode.o their rules
# build. elf.c, proc.c (for proc_create_init and fsctx_set) and fdtable.c are compiled the same
# two ways as the other sources. As test_vfs, the test is built on alloc.c and on the host's
# malloc.

UNIT_ELF_SRCS := src/loader/elf.c src/kernel/proc.c src/kernel/fdtable.c
UNIT_ELF_DEPS := src/loader/loader.h src/loader/elf_image.h src/kernel/task.h \
	src/kernel/wait.h $(UNIT_VFS_DEPS) tests/unit/elf.frag
UNIT_ELF_OWN_OBJS := $(UNIT_ELF_SRCS:src/%.c=$(UNIT_DIR)/%.o)
UNIT_ELF_FREESTANDING_OBJS := $(UNIT_ELF_SRCS:src/%.c=$(UNIT_DIR)/freestanding/%.o)
UNIT_ELF_OBJS := $(UNIT_ELF_OWN_OBJS) $(UNIT_VFS_OBJS)

UNIT_ELF_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: unit-elf
unit-tests: unit-elf
unit-elf: $(UNIT_DIR)/test_elf $(UNIT_DIR)/test_elf_hostheap $(UNIT_ELF_FREESTANDING_OBJS)
	$(UNIT_DIR)/test_elf
	$(UNIT_DIR)/test_elf_hostheap

$(UNIT_ELF_FREESTANDING_OBJS): $(UNIT_DIR)/freestanding/%.o: src/%.c $(UNIT_ELF_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_FREESTANDING_CFLAGS) -c $< -o $@

$(UNIT_ELF_OWN_OBJS): $(UNIT_DIR)/%.o: src/%.c $(UNIT_ELF_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
		-include tests/unit/husk_rename.h -c $< -o $@

$(UNIT_DIR)/test_elf: tests/unit/test_elf.c $(UNIT_ELF_OBJS) $(UNIT_LIB_OBJS) $(UNIT_ELF_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) tests/unit/test_elf.c $(UNIT_ELF_OBJS) $(UNIT_LIB_OBJS) -o $@

$(UNIT_DIR)/test_elf_hostheap: tests/unit/test_elf.c $(UNIT_ELF_OBJS) $(UNIT_LIB_OBJS) \
		$(UNIT_ELF_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -DTEST_HOST_HEAP tests/unit/test_elf.c $(UNIT_ELF_OBJS) \
		$(filter-out %/alloc.o,$(UNIT_LIB_OBJS)) -o $@

$(UNIT_DIR)/test_elf $(UNIT_DIR)/test_elf_hostheap: $(UNIT_TEST_DEPS)

.DEFAULT_GOAL := $(UNIT_ELF_SAVED_GOAL)
