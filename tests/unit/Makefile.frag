# tests/unit/Makefile.frag: builds and runs the hosted unit test of src/lib (make unit-tests).
#
# Included by the top-level Makefile, or used alone: make -f tests/unit/Makefile.frag unit-tests
# The lib sources are compiled twice: once with the real freestanding flags (to keep them
# warning-free under what husk is built with) and once, renamed by husk_rename.h and under
# ASan/UBSan, into the hosted test program.

BUILD ?= build
UNIT_CC ?= gcc
UNIT_DIR := $(BUILD)/unit
UNIT_LIB_SRCS := src/lib/string.c src/lib/fmt.c src/lib/alloc.c src/lib/lock.c
UNIT_LIB_DEPS := src/lib/lib.h tests/unit/husk_rename.h tests/unit/Makefile.frag
# What every test program (not the objects under test) also depends on: shared checks, stubs.
UNIT_TEST_DEPS := tests/unit/unit.h
UNIT_FREESTANDING_CFLAGS := -std=c11 -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-stack-protector -fPIE -O2 -Isrc/lib
UNIT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g $(UNIT_SAN) -Isrc/lib -Itests/unit
UNIT_FREESTANDING_OBJS := $(UNIT_LIB_SRCS:src/lib/%.c=$(UNIT_DIR)/freestanding/%.o)
UNIT_LIB_OBJS := $(UNIT_LIB_SRCS:src/lib/%.c=$(UNIT_DIR)/lib/%.o)

# Rules here must not become the including Makefile's default goal.
UNIT_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: unit-tests
unit-tests: $(UNIT_DIR)/test_lib $(UNIT_FREESTANDING_OBJS)
	$(UNIT_DIR)/test_lib

$(UNIT_FREESTANDING_OBJS): $(UNIT_DIR)/freestanding/%.o: src/lib/%.c $(UNIT_LIB_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_FREESTANDING_CFLAGS) -c $< -o $@

$(UNIT_LIB_OBJS): $(UNIT_DIR)/lib/%.o: src/lib/%.c $(UNIT_LIB_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
		-include tests/unit/husk_rename.h -c $< -o $@

$(UNIT_DIR)/test_lib: tests/unit/test_lib.c $(UNIT_LIB_OBJS) $(UNIT_LIB_DEPS)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -pthread tests/unit/test_lib.c $(UNIT_LIB_OBJS) -o $@
$(UNIT_DIR)/test_lib: $(UNIT_TEST_DEPS)

.DEFAULT_GOAL := $(UNIT_SAVED_GOAL)

include tests/unit/tmpfs.frag
include tests/unit/overlay.frag
include tests/unit/vfs.frag
include tests/unit/elf.frag
