# tests/unit/overlay.frag: builds and runs the hosted unit test of the overlay (make unit-tests).
#
# To be included by tests/unit/Makefile.frag next to tmpfs.frag: it reuses the UNIT_* variables,
# the renamed lib objects, and the renamed tmpfs.o and vnode.o that tmpfs.frag's rules build.
# overlay.c is compiled the same two ways as the other kernel sources: with the freestanding
# flags husk is built with, and renamed under ASan/UBSan into the hosted test program.

UNIT_OVERLAY_DEPS := src/kernel/vfs.h src/kernel/errno.h src/platform/platform.h \
	$(UNIT_LIB_DEPS) tests/unit/overlay.frag
UNIT_OVERLAY_OBJS := $(UNIT_DIR)/kernel/overlay.o $(UNIT_DIR)/kernel/tmpfs.o \
	$(UNIT_DIR)/kernel/vnode.o

UNIT_OVERLAY_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: unit-overlay
unit-tests: unit-overlay
unit-overlay: $(UNIT_DIR)/test_overlay $(UNIT_DIR)/freestanding/kernel/overlay.o
	$(UNIT_DIR)/test_overlay

$(UNIT_DIR)/freestanding/kernel/overlay.o: src/kernel/overlay.c $(UNIT_OVERLAY_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_FREESTANDING_CFLAGS) -c $< -o $@

$(UNIT_DIR)/kernel/overlay.o: src/kernel/overlay.c $(UNIT_OVERLAY_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
		-include tests/unit/husk_rename.h -c $< -o $@

$(UNIT_DIR)/test_overlay: tests/unit/test_overlay.c $(UNIT_OVERLAY_OBJS) $(UNIT_LIB_OBJS) \
		$(UNIT_OVERLAY_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -pthread tests/unit/test_overlay.c $(UNIT_OVERLAY_OBJS) \
		$(UNIT_LIB_OBJS) -o $@

$(UNIT_DIR)/test_overlay: $(UNIT_TEST_DEPS)

.DEFAULT_GOAL := $(UNIT_OVERLAY_SAVED_GOAL)
