# huella -- build, test, demo and benchmark.
#
#   make            build build/release/huella
#   make demo       install missing Debian packages, build, run the main job
#   make test       install, build, run every test, then again under ASan+UBSan
#   make bench      benchmarks (never timed tests): throughput next to its floor
#   make fuzz       libFuzzer targets of fuzz/ (clang) in build/fuzz/bin;
#                   make fuzz-run FUZZ_TIME=600 runs them (docs/reliability.md)
#   make torture    fail every allocation in turn under ASan+UBSan+LSan
#   make SANITIZE=address,undefined   any target with sanitizers
#   make WERROR=1   warnings are errors (CI sets this through CI=true)
#
# Sources are found by wildcard: a new file in src/<stage>/ is built without
# touching this file.  Objects go to build/<mode>/ so release and sanitizer
# builds never mix.

CC      ?= gcc
CXX     ?= g++
PKG_CONFIG ?= pkg-config
PREFIX  ?= /usr/local

PKGS := libzstd zlib simdjson libhs libpcre2-8 sqlite3 libmicrohttpd \
        libmaxminddb yaml-0.1 libsodium json-c libnats

SANITIZE ?=
ifneq ($(SANITIZE),)
  MODE      := san
  SANFLAGS  := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
  OPT       := -O1 -g
else
  MODE      := release
  SANFLAGS  :=
  OPT       := -O2 -g
endif
ifeq ($(CI),true)
  WERROR ?= 1
endif
ifeq ($(WERROR),1)
  WFLAGS_EXTRA := -Werror
endif

B := build/$(MODE)
ifeq ($(V),1)
  Q :=
else
  Q := @
endif
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WFLAGS   := -Wall -Wextra -Wshadow -Wno-unused-parameter $(WFLAGS_EXTRA)
CPPFLAGS := -Iinclude -Isrc -I. -D_GNU_SOURCE -DHU_VERSION='"$(VERSION)"' -DHU_GIT_REV='"$(GIT_REV)"'
CFLAGS   := -std=c11 $(OPT) $(WFLAGS) $(SANFLAGS) -pthread
CXXFLAGS := -std=c++17 $(OPT) $(WFLAGS) $(SANFLAGS) -pthread -fno-exceptions
LDFLAGS  := $(SANFLAGS) -pthread
LDLIBS    = $(PKG_LIBS) -lstdc++ -lm

# The engine library: every stage under src/ except the CLI, plus the
# simulator and evaluator (the CLI's simulate/eval commands use them).
LIB_SRC  := $(wildcard src/core/*.c src/sketch/*.c src/ingest/*.c src/features/*.c \
              src/profile/*.c src/link/*.c src/score/*.c src/fprint/*.c src/store/*.c src/serve/*.c \
              src/report/*.c src/lib/*.c src/transport/*.c src/cluster/*.c sim/*.c eval/*.c)
LIB_CXX  := $(wildcard src/*/*.cpp)
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o) $(LIB_CXX:%.cpp=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
LIB      := $(B)/libhuella.a
BIN      := $(B)/huella
MODEL    := build/targets.model
PROMPTS  ?= ../shared/data/prompts

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
# Fuzz targets (fuzz/fuzz_<t>.c): replay binaries in every build, libFuzzer
# binaries with `make fuzz` (clang; build/fuzz/).
FUZZ_SRC  := $(wildcard fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:fuzz/fuzz_%.c=$(B)/fuzz/replay_%)

.PHONY: all deps demo test check unit cli-tests bench clean install torture lint model bench-scale lib fuzz fuzz-run
all: $(BIN) $(MODEL)

deps:
	@sh scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	$(Q)$(CXX) $(CPPFLAGS) $(PKG_CFLAGS) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

$(B)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay_main.c fuzz/fuzz.h $(LIB)
	@mkdir -p $(dir $@)
	@echo "  REPLAY  $@"
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $< fuzz/replay_main.c $(LIB) $(LDFLAGS) $(LDLIBS)

$(B)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) -ljson-c -ljansson -lcjson

# ---- the two commands of the README ---------------------------------------

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(BIN)

# `make test`: every test in a release build, then every test again under
# AddressSanitizer + UndefinedBehaviorSanitizer.  The last line is the total
# ("N passed, M failed") across both builds.
test: deps
	@mkdir -p build && rm -f build/test-results.txt
	@$(MAKE) --no-print-directory check || echo "release build-or-run 0 1" >>build/test-results.txt
	@$(MAKE) --no-print-directory check SANITIZE=address,undefined || echo "san build-or-run 0 1" >>build/test-results.txt
	@sh tests/summary.sh build/test-results.txt

check: $(BIN) $(UNIT_BIN) $(REPLAY_BIN)
	@sh tests/run.sh $(B) build/test-results.txt

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@sh bench/run.sh $(B)

torture: deps
	@$(MAKE) --no-print-directory build/san/huella SANITIZE=address,undefined
	@sh tests/torture.sh build/san

# The extraction-target model, fitted on the real prompt corpora in
# ../shared/data/prompts (scripts/build-model.sh says how each is labelled),
# built with the binary: every command uses it unless told --no-model
# (cli.h hu_cli_default_model).  Deterministic, ~2.5 s.  Without the
# corpora it is skipped and huella runs on the phrase patterns alone.
model: $(MODEL)

$(MODEL): scripts/build-model.sh src/features/linear.c src/features/text.c src/cli/cmd_train.c | $(BIN)
	@if [ -d "$(PROMPTS)" ]; then echo "  MODEL   $@"; \
	    HUELLA=$(BIN) sh scripts/build-model.sh $@.tmp "$(PROMPTS)" >/dev/null && mv $@.tmp $@; \
	else echo "  MODEL   skipped: $(PROMPTS) not found (huella runs on the phrase patterns alone)"; fi

# `make fuzz`: the engine rebuilt with clang (-fsanitize=fuzzer-no-link,
# address,undefined) in build/fuzz, one libFuzzer binary per fuzz/fuzz_*.c.
# `make fuzz-run FUZZ_TIME=600` runs each for FUZZ_TIME seconds (or 10M
# executions) on its corpus, two at a time; see docs/reliability.md.
FUZZ_CC   ?= clang
FUZZ_CXX  ?= clang++
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TIME ?= 600
fuzz: deps
	@$(MAKE) --no-print-directory build/fuzz/libhuella.a B=build/fuzz CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) \
	    OPT="-O1 -g" SANFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" WFLAGS_EXTRA=
	@mkdir -p build/fuzz/bin
	@for f in $(FUZZ_SRC); do t=$$(basename $$f .c); \
	    echo "  FUZZER  build/fuzz/bin/$$t"; \
	    $(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) -std=c11 -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer \
	        -c $$f -o build/fuzz/$$t.o || exit 1; \
	    $(FUZZ_CXX) $(FUZZ_SAN) -fsanitize=fuzzer -o build/fuzz/bin/$$t build/fuzz/$$t.o \
	        build/fuzz/libhuella.a $(PKG_LIBS) -lm -pthread || exit 1; \
	done

fuzz-run: fuzz
	@sh fuzz/run.sh build/fuzz/bin $(FUZZ_TIME)

lint:
	@sh scripts/checksrc.sh
	@sh scripts/check-layers.sh

# ---- libhuella.so: the featurizer in process (include/huella/huella.h) ----
# Position-independent objects of the stages it needs, one shared library
# whose exports are fixed by a version script (src/lib/libhuella.map): the
# engine inside stays hidden, the ABI is the header's functions only.
SO_ABI  := 1
SO_NAME := libhuella.so.$(SO_ABI)
SO      := $(B)/$(SO_NAME)
SO_SRC  := $(wildcard src/core/*.c src/sketch/*.c src/ingest/*.c src/features/*.c src/lib/*.c)
SO_CXX  := $(wildcard src/ingest/*.cpp src/features/*.cpp)
SO_OBJ  := $(SO_SRC:%.c=$(B)/pic/%.o) $(SO_CXX:%.cpp=$(B)/pic/%.o)
SO_PKGS := libzstd zlib simdjson libhs libpcre2-8 libmaxminddb libsodium libcurl
# The decision client (src/lib/client.c) is the only user of libcurl: the
# shared library links it, the huella binary does not (it never references
# the client, so the archive member is not pulled in); its unit test does.
$(B)/tests/test_client: LDLIBS += $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)
SO_LIBS  = $(shell $(PKG_CONFIG) --libs $(SO_PKGS) 2>/dev/null) -lstdc++ -lm
ifeq ($(SANITIZE),)
  SO_LDCHECK := -Wl,--no-undefined
endif

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  pic $<"
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(B)/pic/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX pic $<"
	$(Q)$(CXX) $(CPPFLAGS) $(PKG_CFLAGS) $(CXXFLAGS) -fPIC -MMD -MP -c $< -o $@

$(SO): $(SO_OBJ) src/lib/libhuella.map
	@echo "  LINK    $@"
	$(Q)$(CC) -shared -Wl,-soname,$(SO_NAME) -Wl,--version-script=src/lib/libhuella.map $(SO_LDCHECK) \
	    $(LDFLAGS) -o $@ $(SO_OBJ) $(SO_LIBS)

lib: $(SO)

# `make install [PREFIX=/usr/local] [DESTDIR=]`: binary, shared library,
# header, pkg-config file and man pages.
install: all lib
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/huella $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/huella
	install -m 755 $(SO) $(DESTDIR)$(PREFIX)/lib/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(PREFIX)/lib/libhuella.so
	install -m 644 include/huella/huella.h include/huella/hu_status.h $(DESTDIR)$(PREFIX)/include/huella/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' src/lib/huella.pc.in \
	    >$(DESTDIR)$(PREFIX)/lib/pkgconfig/huella.pc
	install -m 644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	if [ -f $(MODEL) ]; then install -d $(DESTDIR)$(PREFIX)/share/huella && \
	    install -m 644 $(MODEL) $(DESTDIR)$(PREFIX)/share/huella/targets.model; fi

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SO_OBJ:.o=.d)

# `make bench-scale`: huella analyze at seed-2026 scales 0.01, 0.1 and 1
# next to the floor of reading the same file (bench/bench_scale.sh says
# which knobs it takes; docs/performance.md holds the numbers).
bench-scale: deps
	@$(MAKE) --no-print-directory all $(B)/bench/bench_floor
	@sh bench/bench_scale.sh $(B)
