# memscope — build, run, test, data, bench.
CC      ?= gcc
PKGS    := openblas ncursesw
DEPS_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPS_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lreadline
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -march=native -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(DEPS_CFLAGS) -I. -MMD -MP
LDLIBS  := $(DEPS_LIBS) -lm -lpthread

ENGINE_SRC := $(wildcard engine/*.c)
UI_SRC     := $(wildcard ui/*.c)
APP_SRC    := $(filter-out app/main.c,$(wildcard app/*.c))
TEST_SRC   := $(wildcard tests/*.c)

# $(call objs,DIR,SOURCES)
objs = $(patsubst %.c,$(1)/%.o,$(2))

B  := build
BA := build/asan
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all run test test-unit test-asan test-e2e data bench clean deps golden

all: $(B)/memscope $(B)/run_tests

$(B)/memscope: $(call objs,$(B),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) app/main.c)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
	ln -sf $@ memscope

$(B)/run_tests: $(call objs,$(B),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) $(TEST_SRC))
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BA)/memscope: $(call objs,$(BA),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) app/main.c)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)

$(BA)/run_tests: $(call objs,$(BA),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) $(TEST_SRC))
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BA)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

-include $(shell find build -name '*.d' 2>/dev/null)

# Installs the Debian packages memscope builds against (only what is missing).
deps:
	@sh tests/install_deps.sh

# The main job: the TUI, training on the default corpus.
run: deps $(B)/memscope
	@[ -f data/tinyshakespeare.txt ] || sh data/fetch.sh || true
	./$(B)/memscope

# Unit + CLI tests, the same under ASan+UBSan, then the end-to-end tests; one summary line at the end.
test: deps $(B)/memscope $(B)/run_tests $(BA)/memscope $(BA)/run_tests
	@sh tests/run_all.sh

test-unit: $(B)/memscope $(B)/run_tests
	MEMSCOPE_BIN=$(B)/memscope ./$(B)/run_tests

test-asan: $(BA)/memscope $(BA)/run_tests
	MEMSCOPE_BIN=$(BA)/memscope ./$(BA)/run_tests

data:
	@sh data/fetch.sh

bench: $(B)/memscope
	./$(B)/memscope bench

# Regenerates the golden files with the PyTorch port (needs Debian's python3-torch; never run in CI).
golden:
	/usr/bin/python3 tests/reference/make_golden.py tests/golden

clean:
	rm -rf build memscope
