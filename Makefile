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

.PHONY: all run test test-unit test-asan test-e2e data bench bench-compare clean deps golden fuzz soak

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

# memscope's benchmark, then the PyTorch port on the same presets and threads (needs python3-torch).
bench-compare: $(B)/memscope
	/usr/bin/python3 tests/bench_compare.py $(if $(wildcard data/tinyshakespeare.txt),data/tinyshakespeare.txt,../shared/data/tinyshakespeare.txt)

# Regenerates the golden files with the PyTorch port (needs Debian's python3-torch; never run in CI).
golden:
	/usr/bin/python3 tests/reference/make_golden.py tests/golden

# Fuzzing the checkpoint loader (libFuzzer; needs Debian's clang and libclang-rt-14-dev): runs FUZZ_SECONDS
# over tests/fuzz/corpus with FUZZ_JOBS processes; new inputs go to build/fuzz/work, crashes to build/fuzz/.
# Without clang it replays the corpus through a plain main() built with gcc and ASan instead.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_JOBS    ?= 1
FUZZ_SRC     := $(ENGINE_SRC) app/cli.c app/builtin_corpus.c app/recall_corpus.c
FUZZ_FLAGS   := -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined $(DEPS_CFLAGS) -I.

build/fuzz/fuzz_checkpoint: $(FUZZ_SRC) tests/fuzz/fuzz_checkpoint.c tests/fuzz/checkpoint_target.h $(wildcard engine/*.h app/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_SRC) tests/fuzz/fuzz_checkpoint.c $(LDLIBS)

build/fuzz/replay_checkpoint: $(FUZZ_SRC) tests/fuzz/replay_main.c tests/fuzz/checkpoint_target.h $(wildcard engine/*.h app/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_FLAGS) -fsanitize=address,undefined -o $@ $(FUZZ_SRC) tests/fuzz/replay_main.c $(LDLIBS)

fuzz:
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS)

# A long headless run with periodic saves, reporting resident memory over time: make soak SOAK_SECONDS=3600
SOAK_SECONDS ?= 600
soak: $(B)/memscope
	@sh tests/soak.sh $(SOAK_SECONDS)

clean:
	rm -rf build memscope
