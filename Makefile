# scenario: Lua client for the Scenario API. `make help` prints the lines
# below that start with "#   make": one per target, the one list of them.
#   make             build build/<lua>/scenario/core.so
#   make help        this list
#   make test        install missing Debian packages, build, run the specs (the README's command)
#   make check       run the specs, without installing anything
#   make test-all    the specs on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT
#   make test-asan   the specs against a build with AddressSanitizer and UBSan
#   make test-valgrind  the specs under valgrind --leak-check=full
#   make test-love   the LÖVE example, headless, against the stand-in
#   make demo        train a LoRA, generate 4 images with it and download them (the stand-in without credentials)
#   make demo-all    every example in turn
#   make lint        cppcheck and clang-tidy on the C, luacheck on the Lua, luarocks lint on the rockspec
#   make docs        the API reference, in build/docs
#   make types       types/scenario.lua, the LuaLS definitions, from the endpoint table
#   make docs-pages  README.md's endpoint list and docs/endpoints.md, from the endpoint table
#   make bench       the benchmarks (bench/README.md)
#   make fuzz        the libFuzzer harnesses (fuzz/README.md), FUZZ_TIME seconds each
#   make rock        a source rock of HEAD, in build/
#   make install     the modules and the scenario command into PREFIX (default /usr/local)
#   make clean       remove build/
# LUA picks the interpreter: make LUA=luajit test, make LUA=lua5.1 install.

LUA        ?= lua5.4
LUAS       := lua5.1 lua5.2 lua5.3 lua5.4 luajit
# pkg-config's name for its headers, its module directory version, and
# the Debian packages that provide both.
LUA_PC     ?= $(if $(filter luajit,$(LUA)),luajit,$(LUA))
LUA_V      ?= $(if $(filter luajit,$(LUA)),5.1,$(patsubst lua%,%,$(LUA)))
debs_of     = $(if $(filter luajit,$(1)),luajit libluajit-5.1-dev,$(1) lib$(subst lua5.1,lua5.1-0,$(1))-dev)
LUA_DEBS   := $(call debs_of,$(LUA))
BUSTED     ?= busted
PREFIX     ?= /usr/local
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -std=c99 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
# Only the include path from pkg-config: the module must not link liblua.
LUA_CFLAGS  = $(shell pkg-config --cflags $(LUA_PC))
CURL_CFLAGS = $(shell pkg-config --cflags libcurl)
CURL_LIBS   = $(shell pkg-config --libs libcurl)

# One build per interpreter, so switching LUA never loads a stale module.
BUILD   := build/$(LUA)
SO      := $(BUILD)/scenario/core.so
CSRC    := $(wildcard csrc/*.c csrc/*.h)
LUASRC  := $(wildcard lua/scenario/*.lua)
# What building and running the demo takes (lua-socket: the local
# stand-in, scenario.testing), and what the specs and checks take besides.
DEMO_DEBS := $(LUA_DEBS) libcurl4-openssl-dev pkg-config gcc lua-socket
DEB_PKGS := $(DEMO_DEBS) binutils lua-cjson lua-busted \
            gzip openssl socat nghttp2-server python3-h2 locales valgrind cppcheck clang-tidy lua-check luarocks \
            lua-ldoc

.PHONY: all help test check deps demo install clean check-lint

all: $(SO)

help:
	@sed -n 's/^#   \(make.*\)/\1/p' $(firstword $(MAKEFILE_LIST))

$(SO): $(CSRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared $(LUA_CFLAGS) $(CURL_CFLAGS) \
	  csrc/core.c -o $@ $(CURL_LIBS)

# Installs what is missing, then re-enters make so that pkg-config is
# asked only once the -dev packages exist.
test: deps
	@$(MAKE) --no-print-directory check

# OpenResty's lua-cjson, with the array markers most users have, for
# spec/cjson_interop_spec.lua (Debian's 2.1.0 lacks them). Test-only: its
# own flags, as upstream builds it.
CJSON_SRC := $(addprefix spec/support/openresty_cjson/,lua_cjson.c strbuf.c fpconv.c)
CJSON_SO  := $(BUILD)/openresty/cjson.so
$(CJSON_SO): $(CJSON_SRC)
	@mkdir -p $(dir $@)
	$(CC) -O2 -fPIC -shared $(LUA_CFLAGS) $(CJSON_SRC) -o $@

# The specs start helper processes (the replay server, fresh
# interpreters) with the interpreter and build under test.
TEST_ENV = SCENARIO_TEST_LUA=$(LUA) SCENARIO_TEST_CPATH='./$(BUILD)/?.so'

check: $(SO) $(CJSON_SO)
	@$(TEST_ENV) $(BUSTED) --lua=$(LUA) --cpath='./$(BUILD)/?.so' --run=default


# Every interpreter in turn, each into build/test-<lua>.log; the last line
# adds them up.
ALL_DEBS := $(foreach l,$(LUAS),$(call debs_of,$(l)))

.PHONY: test-all
test-all:
	$(call apt_install,$(DEB_PKGS) $(ALL_DEBS))
	@mkdir -p build; pass=0; fail=0; for l in $(LUAS); do \
	  $(MAKE) --no-print-directory LUA=$$l check > build/test-$$l.log 2>&1; \
	  last=$$(tail -n 1 build/test-$$l.log); \
	  case "$$last" in *" passed, "*" failed") ;; *) cat build/test-$$l.log; last="0 passed, 1 failed";; esac; \
	  echo "$$l: $$last"; \
	  set -- $$last; pass=$$((pass + $$1)); fail=$$((fail + $$3)); \
	done; \
	echo "$$pass passed, $$fail failed"; [ "$$fail" -eq 0 ]

# Installs whichever of the Debian packages $(1) are missing.
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(DEB_PKGS))

# make demo trains a LoRA, generates 4 images with it and downloads them
# (examples/make_sprites.lua, against the local stand-in without
# credentials); make demo EXAMPLE=create_lora runs
# another example, and make demo-all runs them all. It installs only what
# building and running need.
EXAMPLE  ?= make_sprites
EXAMPLES := make_sprites train_lora create_model create_lora create_composition validate_body game_loop coroutine_script \
            manage_models

demo:
	$(call apt_install,$(DEMO_DEBS))
	@$(MAKE) -s --no-print-directory $(SO)
	@$(TEST_ENV) $(LUA) examples/run_demo.lua examples/$(EXAMPLE).lua

# The LÖVE example (examples/love/) in LÖVE 11.4, under a virtual X
# display, against the local stand-in: it must train its model, make a
# sprite with it and draw it, while its frame loop runs on.
.PHONY: test-love
test-love:
	$(call apt_install,love zip xvfb xauth $(call debs_of,luajit) $(DEMO_DEBS))
	@$(MAKE) -s --no-print-directory LUA=luajit build/luajit/scenario/core.so
	@$(MAKE) -s --no-print-directory build/lua5.4/scenario/core.so
	@lua5.4 spec/support/love_run.lua build/luajit

.PHONY: demo-all
demo-all:
	$(call apt_install,$(DEMO_DEBS))
	@$(MAKE) -s --no-print-directory $(SO)
	@for e in $(EXAMPLES); do echo "== $$e"; \
	  $(TEST_ENV) $(LUA) examples/run_demo.lua examples/$$e.lua || exit 1; done

# The API reference, from the LDoc comments in lua/scenario and those
# tools/ldoc_endpoints.lua writes from the endpoint table and its schema
# (config.ld), in build/docs. ldoc exits 0 on most warnings and prints them as
# "file:line: name: message": any output but its two progress lines fails.
# spec/generated_spec.lua runs the same two steps into a temporary directory
# and checks that the pages list every field.
.PHONY: docs
docs: deps
	@$(MAKE) -s --no-print-directory $(SO)
	@mkdir -p build/ldoc
	@$(TEST_ENV) LUA_CPATH='./$(BUILD)/?.so;;' $(LUA) tools/ldoc_endpoints.lua build/ldoc
	@out=$$(ldoc --fatalwarnings -c config.ld . 2>&1); rc=$$?; \
	printf '%s\n' "$$out"; \
	if [ $$rc -ne 0 ] || printf '%s\n' "$$out" | \
	    grep -v -e '^reading configuration from ' -e '^output written to ' -e '^found master module' \
	      -e '^\*\*\*closing section from master module\*\*\*$$' | grep -q .; then \
	  echo "make docs: ldoc reported problems (above)"; exit 1; \
	fi

# The scenario command finds the modules where install puts them, whatever
# the interpreter's own paths are.
BIN_PATHS = package.path = "$(PREFIX)/share/lua/$(LUA_V)/?.lua;$(PREFIX)/share/lua/$(LUA_V)/?/init.lua;" \
  .. package.path; package.cpath = "$(PREFIX)/lib/lua/$(LUA_V)/?.so;" .. package.cpath

install: $(SO)
	install -d $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_V)/scenario
	install -m 755 $(SO) $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_V)/scenario/core.so
	install -d $(DESTDIR)$(PREFIX)/share/lua/$(LUA_V)/scenario
	install -m 644 $(LUASRC) $(DESTDIR)$(PREFIX)/share/lua/$(LUA_V)/scenario/
	@mkdir -p $(BUILD)/bin
	sed -e '1s|.*|#!/usr/bin/env $(LUA)|' -e '1a $(BIN_PATHS)' tools/scenario > $(BUILD)/bin/scenario
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/bin/scenario $(DESTDIR)$(PREFIX)/bin/scenario

clean:
	rm -rf build

# ---- benchmarks ---------------------------------------------------------------
# Figures are medians over rounds, quoted as ratios against peers measured
# in the same run; bench/README.md has the results and the machine.
BENCH_ENV = LUA_PATH='./lua/?.lua;./lua/?/init.lua;./?.lua;;' LUA_CPATH='./$(BUILD)/?.so;;'

.PHONY: bench
bench: deps
	$(call apt_install,nginx-light curl openssl valgrind)
	@$(MAKE) -s --no-print-directory $(SO)
	@$(BENCH_ENV) $(LUA) bench/micro.lua
	@echo
	@$(BENCH_ENV) $(LUA) bench/run.lua
	@echo
	@$(BENCH_ENV) $(LUA) bench/scale.lua
	@echo
	@$(BENCH_ENV) $(LUA) bench/poll.lua
	@echo
	@$(BENCH_ENV) $(LUA) bench/download.lua

# ---- robustness -----------------------------------------------------------
# The whole suite under valgrind (leaks of the module's own memory and any
# invalid access), and again against a build with AddressSanitizer and
# UBSan. Leak checking is valgrind's job: the ASan run preloads its runtime
# into every child process of the specs (sh, gzip, openssl...), whose own
# exit-time leaks are not ours.
ASAN_SO    := build/asan/$(LUA)/scenario/core.so
SAN_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
VALGRIND   := valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect \
              --errors-for-leak-kinds=definite,indirect --keep-debuginfo=yes --track-fds=no

# Static analysis of the C core; findings are fixed, or justified in
# .clang-tidy and at the line.
.PHONY: lint
lint: deps
	$(call apt_install,$(ALL_DEBS))
	@$(MAKE) --no-print-directory check-lint

# The C analysis runs for each Lua's headers: csrc/compat.h takes a
# different path for each. cppcheck explores every configuration of the
# 5.4 headers (--force); for the others, whose headers have many more, it
# checks the one this machine compiles.
OTHER_LUAS := $(filter-out lua5.4,$(LUAS))
check-lint:
	luacheck -q lua spec examples bench tools tools/scenario
	luarocks lint scenario-0.1.0-1.rockspec
	cppcheck --enable=warning,style,performance,portability --std=c99 --error-exitcode=1 \
	  --inline-suppr --quiet --force -I csrc $(shell pkg-config --cflags lua5.4) \
	  --suppress=missingIncludeSystem csrc/core.c
	@for l in $(OTHER_LUAS); do \
	  echo "cppcheck: $$l headers"; \
	  cppcheck --enable=warning,style,performance,portability --std=c99 --error-exitcode=1 \
	    --inline-suppr --quiet -D__linux__ -D__x86_64__ -DLLONG_MAX=9223372036854775807LL -I csrc $$(pkg-config --cflags $$l) \
	    --suppress=missingIncludeSystem csrc/core.c || exit 1; \
	done
	@for l in $(LUAS); do \
	  echo "clang-tidy: $$l headers"; \
	  clang-tidy --quiet csrc/core.c -- -std=c99 $$(pkg-config --cflags $$l) $(CURL_CFLAGS) 2>/dev/null || exit 1; \
	done

.PHONY: test-valgrind test-asan check-valgrind check-asan
test-valgrind: deps
	@$(MAKE) --no-print-directory check-valgrind
test-asan: deps
	@$(MAKE) --no-print-directory check-asan

check-valgrind: $(SO) $(CJSON_SO)
	@command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
	$(TEST_ENV) $(VALGRIND) $(LUA) $$(command -v $(BUSTED)) --cpath='./$(BUILD)/?.so' --run=default

$(ASAN_SO): $(CSRC)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(WARN) -fPIC -shared $(LUA_CFLAGS) $(CURL_CFLAGS) csrc/core.c -o $@ $(CURL_LIBS)

check-asan: $(SO) $(ASAN_SO) $(CJSON_SO)
	LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  SCENARIO_TEST_LUA=$(LUA) SCENARIO_TEST_CPATH='./build/asan/$(LUA)/?.so' \
	  $(LUA) $$(command -v $(BUSTED)) --run=default --cpath='./build/asan/$(LUA)/?.so'

# libFuzzer harnesses (clang, Debian's libclang-rt-14-dev). FUZZ_TIME is
# seconds per harness; new inputs go to build/fuzz-corpus (libFuzzer writes
# to its first corpus directory only), seeds stay where they are: the
# encode harness's in fuzz/corpus/encode, the decode harness's are the
# response bodies of the specs' fixtures, spec/fixtures/bodies.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZERS    := build/fuzz/fuzz_encode build/fuzz/fuzz_decode build/fuzz/fuzz_redact
FUZZ_SEEDS := encode:fuzz/corpus/encode decode:spec/fixtures/bodies redact:fuzz/corpus/redact

.PHONY: fuzz fuzz-build fuzz-run deps-fuzz
deps-fuzz: deps
	$(call apt_install,clang libclang-rt-14-dev)

fuzz-build: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZERS)

build/fuzz/%: fuzz/%.c fuzz/harness.h $(CSRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) $(LUA_CFLAGS) $(CURL_CFLAGS) $< -o $@ -l$(LUA_PC) $(CURL_LIBS)

fuzz: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run: $(FUZZERS)
	@for pair in $(FUZZ_SEEDS); do \
	  f=$${pair%%:*}; seeds=$${pair#*:}; \
	  mkdir -p build/fuzz-corpus/$$f; \
	  mkdir -p build/fuzz-crashes; \
	  build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -rss_limit_mb=2048 \
	    -artifact_prefix=build/fuzz-crashes/ \
	    build/fuzz-corpus/$$f $$seeds || exit 1; \
	done

# ---- generated files ---------------------------------------------------------
# types/scenario.lua, the LuaLS definitions, written from the endpoint table
# and its schema; spec/types_spec.lua fails when the committed one is stale.
.PHONY: types
types: $(SO)
	@$(TEST_ENV) LUA_CPATH='./$(BUILD)/?.so;;' $(LUA) tools/write_types.lua types/scenario.lua

# The list of endpoints in README.md (between its BEGIN endpoints and END
# endpoints lines) and docs/endpoints.md, written from the same table and
# schema; spec/generated_spec.lua fails when the committed ones are stale.
.PHONY: docs-pages
docs-pages: $(SO)
	@mkdir -p docs
	@$(TEST_ENV) LUA_CPATH='./$(BUILD)/?.so;;' $(LUA) tools/write_endpoints.lua README.md docs/endpoints.md

# ---- packaging ----
# make rock packs build/scenario-0.1.0-1.src.rock, which
#   luarocks --lua-version=5.4 install build/scenario-0.1.0-1.src.rock
# builds offline (luarocks 3.8 takes its one dependency, lua, as provided
# by the system's, and looks no further). It packs
# HEAD, the committed files only: uncommitted changes and untracked files
# (build outputs among them) are not in it, so commit first. The rockspec's
# source is a git URL; a source rock of one holds, as luarocks pack makes it
# from a clone, the rockspec and the sources in the directory named after
# the URL, scenario/, in which luarocks install builds without fetching.
ROCK_SPEC := scenario-0.1.0-1.rockspec
ROCK_FILE := build/$(ROCK_SPEC:.rockspec=.src.rock)
ROCK_TMP  := build/rock

.PHONY: rock
rock:
	$(call apt_install,git zip)
	@rm -rf $(ROCK_TMP) $(ROCK_FILE) && mkdir -p $(ROCK_TMP)
	@git archive --format=tar --prefix=scenario/ HEAD | tar -xf - -C $(ROCK_TMP)
	@for f in $(ROCK_SPEC) LICENSE types/scenario.lua; do \
	  [ -f $(ROCK_TMP)/scenario/$$f ] || { echo "make rock: $$f is not in HEAD (make rock packs HEAD: commit it)"; exit 1; }; \
	done
	@cp $(ROCK_TMP)/scenario/$(ROCK_SPEC) $(ROCK_TMP)/
	@cd $(ROCK_TMP) && zip -qrX ../$(notdir $(ROCK_FILE)) $(ROCK_SPEC) scenario
	@rm -rf $(ROCK_TMP)
	@echo $(ROCK_FILE)
