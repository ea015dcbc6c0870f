# tests/unit/tmpfs.frag: builds and runs the hosted unit test of tmpfs and devfs (make unit-tests).
#
# Included by tests/unit/Makefile.frag, whose UNIT_* variables and renamed lib objects it reuses.
# The kernel sources are compiled the same two ways as the lib's: with the freestanding flags
# husk is built with, and renamed under ASan/UBSan into the hosted test program.

UNIT_TMPFS_SRCS := src/kernel/tmpfs.c src/kernel/devfs.c src/kernel/vnode.c
UNIT_TMPFS_DEPS := src/kernel/vfs.h src/kernel/errno.h src/platform/platform.h $(UNIT_LIB_DEPS) \
	tests/unit/tmpfs.frag
UNIT_TMPFS_OBJS := $(UNIT_TMPFS_SRCS:src/kernel/%.c=$(UNIT_DIR)/kernel/%.o)
UNIT_TMPFS_FREESTANDING_OBJS := $(UNIT_TMPFS_SRCS:src/kernel/%.c=$(UNIT_DIR)/freestanding/kernel/%.o)

UNIT_TMPFS_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: unit-tmpfs
unit-tests: unit-tmpfs
unit-tmpfs: $(UNIT_DIR)/test_tmpfs $(UNIT_DIR)/test_tmpfs_hostheap $(UNIT_TMPFS_FREESTANDING_OBJS)
	$(UNIT_DIR)/test_tmpfs
	$(UNIT_DIR)/test_tmpfs_hostheap

$(UNIT_TMPFS_FREESTANDING_OBJS): $(UNIT_DIR)/freestanding/kernel/%.o: src/kernel/%.c $(UNIT_TMPFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_FREESTANDING_CFLAGS) -c $< -o $@

$(UNIT_TMPFS_OBJS): $(UNIT_DIR)/kernel/%.o: src/kernel/%.c $(UNIT_TMPFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
		-include tests/unit/husk_rename.h -c $< -o $@

$(UNIT_DIR)/test_tmpfs: tests/unit/test_tmpfs.c $(UNIT_TMPFS_OBJS) $(UNIT_LIB_OBJS) $(UNIT_TMPFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -pthread tests/unit/test_tmpfs.c $(UNIT_TMPFS_OBJS) $(UNIT_LIB_OBJS) \
		-o $@

# The same test on the host's malloc instead of alloc.c, so that ASan checks tmpfs's own objects.
$(UNIT_DIR)/test_tmpfs_hostheap: tests/unit/test_tmpfs.c $(UNIT_TMPFS_OBJS) $(UNIT_LIB_OBJS) \
		$(UNIT_TMPFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -DTEST_HOST_HEAP -pthread tests/unit/test_tmpfs.c $(UNIT_TMPFS_OBJS) \
		$(filter-out %/alloc.o,$(UNIT_LIB_OBJS)) -o $@

$(UNIT_DIR)/test_tmpfs $(UNIT_DIR)/test_tmpfs_hostheap: $(UNIT_TEST_DEPS)

.DEFAULT_GOAL := $(UNIT_TMPFS_SAVED_GOAL)
