# scenario: Lua client for the Scenario API.
#   make          build build/scenario/core.so
#   make test     install missing Debian packages, build, run the specs
#   make demo     create a model (local stand-in server without credentials)
#   make install  PREFIX=/usr/local

LUA        ?= lua5.4
LUA_PC     ?= lua5.4
LUA_V      ?= 5.4
BUSTED     ?= busted
PREFIX     ?= /usr/local
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -std=c99 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
# Only the include path from pkg-config: the module must not link liblua.
LUA_CFLAGS  = $(shell pkg-config --cflags $(LUA_PC))
CURL_CFLAGS = $(shell pkg-config --cflags libcurl)
CURL_LIBS   = $(shell pkg-config --libs libcurl)

SO      := build/scenario/core.so
CSRC    := $(wildcard csrc/*.c csrc/*.h)
LUASRC  := $(wildcard lua/scenario/*.lua)
DEB_PKGS := lua5.4 liblua5.4-dev libcurl4-openssl-dev pkg-config gcc binutils lua-cjson lua-busted lua-socket gzip openssl locales

.PHONY: all test check deps demo install clean

all: $(SO)

$(SO): $(CSRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared $(LUA_CFLAGS) $(CURL_CFLAGS) \
	  csrc/core.c -o $@ $(CURL_LIBS)

# Installs what is missing, then re-enters make so that pkg-config is
# asked only once the -dev packages exist.
test: deps
	@$(MAKE) --no-print-directory check

check: $(SO)
	@$(BUSTED) --lua=$(LUA) --run=default

deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: deps
	@$(MAKE) -s --no-print-directory $(SO)
	@$(LUA) examples/run_demo.lua examples/create_model.lua

install: $(SO)
	install -d $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_V)/scenario
	install -m 755 $(SO) $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_V)/scenario/core.so
	install -d $(DESTDIR)$(PREFIX)/share/lua/$(LUA_V)/scenario
	install -m 644 $(LUASRC) $(DESTDIR)$(PREFIX)/share/lua/$(LUA_V)/scenario/

clean:
	rm -rf build

# ---- robustness -----------------------------------------------------------
# libFuzzer harnesses (clang, Debian's libclang-rt-14-dev). FUZZ_TIME is
# seconds per harness; new inputs go to build/fuzz-corpus, seeds stay in fuzz/corpus.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZERS    := build/fuzz/fuzz_encode build/fuzz/fuzz_decode

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZERS)

build/fuzz/%: fuzz/%.c fuzz/harness.h $(CSRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) $(LUA_CFLAGS) $(CURL_CFLAGS) $< -o $@ -l$(LUA_PC) $(CURL_LIBS)

fuzz: $(FUZZERS)
	@for f in encode decode; do \
	  mkdir -p build/fuzz-corpus/$$f; \
	  build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -rss_limit_mb=2048 \
	    build/fuzz-corpus/$$f fuzz/corpus/$$f || exit 1; \
	done
