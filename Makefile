# Makefile: builds build/husk (one static, freestanding binary) and runs the tests.
#   make          build ./build/husk
#   make test     install what the tests need (if root), build, run every test
#   make demo     build and show husk at work on the host's own programs
#   make bench    run the benchmarks (bench/)

CC ?= gcc
BUILD ?= build

# The library OS links no host libc: freestanding, position independent, no stack protector
# (its canary would live in %fs, which belongs to the guest), no red-zone assumptions needed.
CFLAGS_HUSK := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-stack-protector -fPIE -fvisibility=hidden -fno-tree-loop-distribute-patterns \
	-fno-strict-aliasing -fcf-protection=none -MMD -MP
LDFLAGS_HUSK := -static-pie -nostdlib -Wl,--no-dynamic-linker -Wl,-z,text \
	-Wl,-z,noexecstack -Wl,--build-id=none

SRC := $(wildcard src/lib/*.c src/kernel/*.c src/linux/*.c src/loader/*.c src/husk/*.c \
	src/platform/linux/*.c) src/platform/linux/gate.S
OBJ := $(patsubst src/%,$(BUILD)/obj/%.o,$(SRC))

all: $(BUILD)/husk

# libhusk.a: the library OS without the command line, for programs using include/husk/husk.h.
LIB_SRC := $(filter-out src/husk/%,$(SRC)) $(wildcard src/api/*.c)
LIB_OBJ := $(patsubst src/%,$(BUILD)/obj/%.o,$(LIB_SRC))

$(BUILD)/libhusk.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/api/cat_api: tests/api/cat_api.c $(BUILD)/libhusk.a include/husk/husk.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HUSK) $(LDFLAGS_HUSK) -o $@ $< $(BUILD)/libhusk.a -lgcc

$(BUILD)/husk: $(OBJ)
	$(CC) $(LDFLAGS_HUSK) -o $@ $(OBJ) -lgcc

$(BUILD)/obj/%.c.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HUSK) -c $< -o $@

$(BUILD)/obj/%.S.o: src/%.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

-include $(OBJ:.o=.d) $(LIB_OBJ:.o=.d)

include tests/unit/Makefile.frag

test: all
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory unit-tests
	@python3 tests/check_docs.py --husk $(BUILD)/husk
	@$(MAKE) --no-print-directory $(BUILD)/api/cat_api && sh tests/api/run.sh $(BUILD)
	@python3 tests/run.py --husk $(BUILD)/husk --build $(BUILD)/tests

demo: all
	@sh tests/demo.sh $(BUILD)/husk

bench: all
	@sh bench/run.sh $(BUILD)/husk

clean:
	rm -rf $(BUILD)

.PHONY: all test demo bench clean unit-tests
