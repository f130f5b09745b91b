# scenario: Lua client for the Scenario API.
#   make          build build/scenario/core.so
#   make test     install missing Debian packages, build, run the specs
#   make demo     create a model (local stand-in server without credentials)
#   make install  PREFIX=/usr/local
#   make test-all the specs on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT
# LUA picks the interpreter: make LUA=luajit test, make LUA=lua5.1 install.

LUA        ?= lua5.4
LUAS       := lua5.1 lua5.2 lua5.3 lua5.4 luajit
# pkg-config's name for its headers, its module directory version, and
# the Debian packages that provide both.
LUA_PC     ?= $(if $(filter luajit,$(LUA)),luajit,$(LUA))
LUA_V      ?= $(if $(filter luajit,$(LUA)),5.1,$(patsubst lua%,%,$(LUA)))
LUA_DEBS   := $(if $(filter luajit,$(LUA)),luajit libluajit-5.1-dev,$(LUA) lib$(LUA)-dev)
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
DEB_PKGS := $(LUA_DEBS) libcurl4-openssl-dev pkg-config gcc binutils lua-cjson lua-busted \
            lua-socket gzip openssl locales valgrind cppcheck clang-tidy lua-check

.PHONY: all test check deps demo install clean check-lint

all: $(SO)

$(SO): $(CSRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared $(LUA_CFLAGS) $(CURL_CFLAGS) \
	  csrc/core.c -o $@ $(CURL_LIBS)

# Installs what is missing, then re-enters make so that pkg-config is
# asked only once the -dev packages exist.
test: deps
	@$(MAKE) --no-print-directory check

# The specs start helper processes (the replay server, fresh
# interpreters) with the interpreter and build under test.
TEST_ENV = SCENARIO_TEST_LUA=$(LUA) SCENARIO_TEST_CPATH='./$(BUILD)/?.so'

check: $(SO)
	@$(TEST_ENV) $(BUSTED) --lua=$(LUA) --cpath='./$(BUILD)/?.so' --run=default

# Every interpreter in turn, each into build/test-<lua>.log; the last line
# adds them up.
ALL_DEBS := $(foreach l,$(LUAS),$(if $(filter luajit,$(l)),luajit libluajit-5.1-dev,$(l) lib$(l)-dev))

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

demo: deps
	@$(MAKE) -s --no-print-directory $(SO)
	@$(TEST_ENV) $(LUA) examples/run_demo.lua examples/create_model.lua

install: $(SO)
	install -d $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_V)/scenario
	install -m 755 $(SO) $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_V)/scenario/core.so
	install -d $(DESTDIR)$(PREFIX)/share/lua/$(LUA_V)/scenario
	install -m 644 $(LUASRC) $(DESTDIR)$(PREFIX)/share/lua/$(LUA_V)/scenario/

clean:
	rm -rf build

# ---- benchmarks ---------------------------------------------------------------
# Figures are medians over rounds, quoted as ratios against peers measured
# in the same run; bench/README.md has the results and the machine.
BENCH_ENV = LUA_PATH='./lua/?.lua;./lua/?/init.lua;./?.lua;;' LUA_CPATH='./$(BUILD)/?.so;;'

.PHONY: bench
bench: deps
	$(call apt_install,nginx-light curl)
	@$(MAKE) -s --no-print-directory $(SO)
	@$(BENCH_ENV) $(LUA) bench/micro.lua
	@echo
	@$(BENCH_ENV) $(LUA) bench/run.lua

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
	@$(MAKE) --no-print-directory check-lint

check-lint:
	luacheck -q lua spec examples bench
	cppcheck --enable=warning,style,performance,portability --std=c99 --error-exitcode=1 \
	  --inline-suppr --quiet --force -I csrc $(LUA_CFLAGS) --suppress=missingIncludeSystem csrc/core.c
	clang-tidy --quiet csrc/core.c -- -std=c99 $(LUA_CFLAGS) $(CURL_CFLAGS)

.PHONY: test-valgrind test-asan check-valgrind check-asan
test-valgrind: deps
	@$(MAKE) --no-print-directory check-valgrind
test-asan: deps
	@$(MAKE) --no-print-directory check-asan

check-valgrind: $(SO)
	@command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
	$(TEST_ENV) $(VALGRIND) $(LUA) $$(command -v $(BUSTED)) --cpath='./$(BUILD)/?.so' --run=default

$(ASAN_SO): $(CSRC)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(WARN) -fPIC -shared $(LUA_CFLAGS) $(CURL_CFLAGS) csrc/core.c -o $@ $(CURL_LIBS)

check-asan: $(SO) $(ASAN_SO)
	LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  SCENARIO_TEST_LUA=$(LUA) SCENARIO_TEST_CPATH='./build/asan/$(LUA)/?.so' \
	  $(LUA) $$(command -v $(BUSTED)) --run=default --cpath='./build/asan/$(LUA)/?.so'

# libFuzzer harnesses (clang, Debian's libclang-rt-14-dev). FUZZ_TIME is
# seconds per harness; new inputs go to build/fuzz-corpus, seeds stay in fuzz/corpus.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZERS    := build/fuzz/fuzz_encode build/fuzz/fuzz_decode

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
	@for f in encode decode; do \
	  mkdir -p build/fuzz-corpus/$$f; \
	  mkdir -p build/fuzz-crashes; \
	  build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -rss_limit_mb=2048 \
	    -artifact_prefix=build/fuzz-crashes/ \
	    build/fuzz-corpus/$$f fuzz/corpus/$$f || exit 1; \
	done
