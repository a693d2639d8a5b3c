# memscope — build, run, test, data, bench, install.
#
# Packagers: CC, CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are honoured from the environment or the command line;
# -Werror is added only by the project's own checks (`make test`, CI: WERROR=1). PORTABLE=1 builds for any
# x86-64-v3 machine instead of this one (-march=native). PREFIX (default /usr/local) and DESTDIR for install.
VERSION := 0.6.0
CC      ?= gcc
ifeq ($(origin CC),default)
CC      := gcc
endif
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
ifeq ($(PORTABLE),1)
ARCH_FLAGS := -march=x86-64-v3
else
ARCH_FLAGS := -march=native
endif
PKGS    := openblas ncursesw
# Asked when used, not when make starts: `make run` and `make test` install the packages first and then
# build in a second make, so a fresh machine links at the first attempt.
DEPS_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPS_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lreadline
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror)
GIT_DESCRIBE := $(shell git describe --always --dirty 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(ARCH_FLAGS) $(CFLAGS) $(CPPFLAGS) $(DEPS_CFLAGS) -I. -MMD -MP
ALL_LDLIBS = $(DEPS_LIBS) -lm -lpthread $(LDLIBS)

ENGINE_SRC := $(wildcard engine/*.c)
UI_SRC     := $(wildcard ui/*.c)
APP_SRC    := $(filter-out app/main.c app/mpi_%.c,$(wildcard app/*.c))
TEST_SRC   := $(wildcard tests/*.c)

# $(call objs,DIR,SOURCES)
objs = $(patsubst %.c,$(1)/%.o,$(2))

B  := build
BA := build/asan
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined



.PHONY: FORCE check-deps install uninstall all run test test-unit test-asan test-e2e data bench bench-compare clean deps golden fuzz soak demo demo-model

all: check-deps $(B)/memscope $(B)/run_tests

# A build without the libraries stops here with what to install, not at the link step.
check-deps:
	@pkg-config --exists $(PKGS) 2>/dev/null && [ -f /usr/include/readline/readline.h ] || { \
	    echo "memscope: the build needs OpenBLAS, ncursesw and readline headers: run 'make deps'" \
	         "(apt-get install libopenblas-dev libncurses-dev libreadline-dev pkg-config)" >&2; exit 1; }

$(B)/memscope: $(call objs,$(B),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) app/main.c)
	$(CC) $(ARCH_FLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS)
	ln -sf $@ memscope

# The tests count the allocations of the code under test (tests/alloc_count.h).
TEST_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

$(B)/run_tests: $(call objs,$(B),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) $(TEST_SRC))
	$(CC) $(ARCH_FLAGS) $(CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(BA)/memscope: $(call objs,$(BA),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) app/main.c)
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(BA)/run_tests: $(call objs,$(BA),$(ENGINE_SRC) $(UI_SRC) $(APP_SRC) $(TEST_SRC))
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# The version header is rewritten only when VERSION or the git description changes.
build/version.h: FORCE
	@mkdir -p build
	@printf '#define MEMSCOPE_VERSION "%s"\n#define MEMSCOPE_GIT "%s"\n#define MEMSCOPE_ARCH "%s"\n' \
	    '$(VERSION)' '$(GIT_DESCRIBE)' '$(ARCH_FLAGS)' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@
$(B)/engine/version.o $(BA)/engine/version.o $(B)/app/version.o $(BA)/app/version.o: build/version.h
FORCE:

# The flags every object was compiled with: when they change (PORTABLE=1, another CFLAGS), every object is
# rebuilt, so a "portable" binary never keeps native objects from an earlier build.
build/flags.txt: FORCE
	@mkdir -p build
	@printf '%s\n' '$(CC) $(ARCH_FLAGS) $(CFLAGS) $(CPPFLAGS)' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@

$(B)/%.o: %.c build/flags.txt
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BA)/%.o: %.c build/flags.txt
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

-include $(shell find build -name '*.d' 2>/dev/null)

# memscope-mpi: the same program, training data-parallel across the ranks of mpirun (README, "Scaling
# out"). Open MPI is installed first when missing; the ordinary build never needs it.
MPI_CFLAGS = $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   = $(shell pkg-config --libs ompi-c 2>/dev/null)
MPI_OBJS   = $(call objs,$(B),$(ENGINE_SRC) $(UI_SRC) $(filter-out app/parallel_single.c,$(APP_SRC)) app/main.c) \
             $(B)/mpi/app/mpi_parallel.o

.PHONY: mpi bench-mpi
mpi:
	@MEMSCOPE_WITH_MPI=1 sh tests/install_deps.sh
	@$(MAKE) --no-print-directory $(B)/memscope-mpi

$(B)/memscope-mpi: $(MPI_OBJS)
	$(CC) $(ARCH_FLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS) $(MPI_LIBS)

$(B)/mpi/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(MPI_CFLAGS) -DMEMSCOPE_MPI -c -o $@ $<

# One process with 2 threads against 2 ranks with 1 thread each, on this machine.
bench-mpi: mpi $(B)/memscope
	@sh tests/bench_mpi.sh

# Installs the Debian packages memscope builds against (only what is missing).
deps:
	@sh tests/install_deps.sh

# The main job: the TUI, training on the default corpus. The packages are installed first and the build
# runs in a second make, which asks pkg-config only once they are there.
run: deps
	@$(MAKE) --no-print-directory $(B)/memscope
	@[ -f data/tinyshakespeare.txt ] || sh data/fetch.sh || true
	./$(B)/memscope

# Unit + CLI tests, the same under ASan+UBSan, then the end-to-end tests; one summary line at the end.
# The project's own check: warnings are errors here.
test:
	@sh tests/install_deps.sh test
	@$(MAKE) --no-print-directory WERROR=1 $(B)/memscope $(B)/run_tests $(BA)/memscope $(BA)/run_tests
	@sh tests/run_all.sh

test-unit: $(B)/memscope $(B)/run_tests
	MEMSCOPE_BIN=$(B)/memscope ./$(B)/run_tests

test-asan: $(BA)/memscope $(BA)/run_tests
	MEMSCOPE_BIN=$(BA)/memscope ./$(BA)/run_tests

data:
	@sh data/fetch.sh

# Installs the binary, the man page and the bash completion under DESTDIR$(PREFIX), nowhere else.
BINDIR  = $(PREFIX)/bin
MANDIR  = $(PREFIX)/share/man/man1
COMPDIR = $(PREFIX)/share/bash-completion/completions
# install copies what `make` built and builds nothing itself: `make PORTABLE=1 && make install` installs the
# portable binary, not one rebuilt with other flags. memscope finds the shipped model beside its binary
# (bin/../share/memscope), whatever PREFIX is.
DATADIR = $(PREFIX)/share/memscope
install:
	@[ -x $(B)/memscope ] || { echo "make install: build/memscope is missing: run make (with your flags) first" >&2; exit 1; }
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)" "$(DESTDIR)$(COMPDIR)" "$(DESTDIR)$(DATADIR)"
	install -m 755 $(B)/memscope "$(DESTDIR)$(BINDIR)/memscope"
	install -m 644 app/memscope.1 "$(DESTDIR)$(MANDIR)/memscope.1"
	install -m 644 app/memscope.bash-completion "$(DESTDIR)$(COMPDIR)/memscope"
	install -m 644 data/demo-shakespeare.safetensors "$(DESTDIR)$(DATADIR)/demo-shakespeare.safetensors"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/memscope" "$(DESTDIR)$(MANDIR)/memscope.1" "$(DESTDIR)$(COMPDIR)/memscope" \
	      "$(DESTDIR)$(DATADIR)/demo-shakespeare.safetensors"
	-rmdir "$(DESTDIR)$(DATADIR)" 2>/dev/null

bench: $(B)/memscope
	./$(B)/memscope bench

# memscope's benchmark, then the PyTorch port on the same presets and threads (needs python3-torch).
bench-compare: $(B)/memscope
	/usr/bin/python3 tests/bench_compare.py $(if $(wildcard data/tinyshakespeare.txt),data/tinyshakespeare.txt,../shared/data/tinyshakespeare.txt)

# The shipped model of `memscope demo` (data/demo-shakespeare.safetensors): the default preset trained on Tiny
# Shakespeare for DEMO_STEPS steps (8000: about 15 minutes on 2 quiet cores), exported weights-only in fp16.
DEMO_STEPS ?= 8000
DEMO_MODEL ?= data/demo-shakespeare.safetensors
demo-model: $(B)/memscope
	sh data/make_demo_model.sh $(DEMO_STEPS) $(DEMO_MODEL) $(B)/memscope

demo: $(B)/memscope
	./$(B)/memscope demo

# Regenerates the golden files with the PyTorch port (needs Debian's python3-torch; never run in CI).
golden:
	/usr/bin/python3 tests/reference/make_golden.py tests/golden
	/usr/bin/python3 tests/reference/labml_port.py golden tests/golden

# Fuzzing the checkpoint loader (libFuzzer; needs Debian's clang and libclang-rt-14-dev): runs FUZZ_SECONDS
# over tests/fuzz/corpus with FUZZ_JOBS processes; new inputs go to build/fuzz/work, crashes to build/fuzz/.
# Without clang it replays the corpus through a plain main() built with gcc and ASan instead.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_JOBS    ?= 1
FUZZ_SRC     := $(ENGINE_SRC)
FUZZ_LIBS    = $(shell pkg-config --libs openblas 2>/dev/null) -lm -lpthread
FUZZ_FLAGS   = -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined $(DEPS_CFLAGS) -I.

build/fuzz/fuzz_checkpoint: build/version.h $(FUZZ_SRC) tests/fuzz/fuzz_checkpoint.c tests/fuzz/checkpoint_target.h $(wildcard engine/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_SRC) tests/fuzz/fuzz_checkpoint.c $(FUZZ_LIBS)

build/fuzz/replay_checkpoint: build/version.h $(FUZZ_SRC) tests/fuzz/replay_main.c tests/fuzz/checkpoint_target.h $(wildcard engine/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_FLAGS) -fsanitize=address,undefined -o $@ $(FUZZ_SRC) tests/fuzz/replay_main.c $(FUZZ_LIBS)

fuzz:
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS)

# A long headless run with periodic saves, reporting resident memory over time: make soak SOAK_SECONDS=3600
SOAK_SECONDS ?= 600
soak: $(B)/memscope
	@sh tests/soak.sh $(SOAK_SECONDS)

clean:
	rm -rf build memscope
