# tests/unit/vfs.frag: builds and runs the hosted unit test of mounts and path resolution
# (make unit-tests, or make unit-vfs alone).
#
# Included by tests/unit/Makefile.frag after tmpfs.frag: it reuses the UNIT_* variables, the
# renamed lib objects, and the renamed tmpfs.o and vnode.o that tmpfs.frag's rules build.
# vfs.c is compiled the same two ways as the other kernel sources: with the freestanding flags
# husk is built with, and renamed under ASan/UBSan into the hosted test program. The test is
# built twice, like test_tmpfs: on alloc.c (whose kmem_in_use checks for leaks) and on the
# host's malloc (so that ASan sees the bounds of every buffer vfs.c allocates).

UNIT_VFS_DEPS := src/kernel/vfs.h src/kernel/errno.h src/platform/platform.h \
	$(UNIT_LIB_DEPS) tests/unit/vfs.frag
UNIT_VFS_OBJS := $(UNIT_DIR)/kernel/vfs.o $(UNIT_DIR)/kernel/tmpfs.o $(UNIT_DIR)/kernel/vnode.o

UNIT_VFS_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: unit-vfs
unit-tests: unit-vfs
unit-vfs: $(UNIT_DIR)/test_vfs $(UNIT_DIR)/test_vfs_hostheap $(UNIT_DIR)/freestanding/kernel/vfs.o
	$(UNIT_DIR)/test_vfs
	$(UNIT_DIR)/test_vfs_hostheap

$(UNIT_DIR)/freestanding/kernel/vfs.o: src/kernel/vfs.c $(UNIT_VFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_FREESTANDING_CFLAGS) -c $< -o $@

$(UNIT_DIR)/kernel/vfs.o: src/kernel/vfs.c $(UNIT_VFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
		-include tests/unit/husk_rename.h -c $< -o $@

$(UNIT_DIR)/test_vfs: tests/unit/test_vfs.c $(UNIT_VFS_OBJS) $(UNIT_LIB_OBJS) $(UNIT_VFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) tests/unit/test_vfs.c $(UNIT_VFS_OBJS) $(UNIT_LIB_OBJS) -o $@

$(UNIT_DIR)/test_vfs_hostheap: tests/unit/test_vfs.c $(UNIT_VFS_OBJS) $(UNIT_LIB_OBJS) \
		$(UNIT_VFS_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -DTEST_HOST_HEAP tests/unit/test_vfs.c $(UNIT_VFS_OBJS) \
		$(filter-out %/alloc.o,$(UNIT_LIB_OBJS)) -o $@

$(UNIT_DIR)/test_vfs $(UNIT_DIR)/test_vfs_hostheap: $(UNIT_TEST_DEPS)

.DEFAULT_GOAL := $(UNIT_VFS_SAVED_GOAL)
