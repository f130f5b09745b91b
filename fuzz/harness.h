/*
 * Shared set-up for the libFuzzer harnesses: one Lua state with the
 * module loaded from source (the unity build, so the harness sees exactly
 * the code that ships), kept across inputs.
 */
#include "../csrc/core.c"

#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static lua_State *fuzz_L;

/* Loads scenario.core into a fresh state as the global "core". */
static void fuzz_init(void) {
  fuzz_L = luaL_newstate();
  luaL_openlibs(fuzz_L);
  luaL_requiref(fuzz_L, "scenario.core", luaopen_scenario_core, 0);
  lua_setglobal(fuzz_L, "core");
}

/* Runs a Lua chunk once (the oracles), aborting the process if it fails:
 * the harness itself must be sound. */
static void fuzz_define(const char *chunk) {
  if (luaL_dostring(fuzz_L, chunk) != LUA_OK) {
    fprintf(stderr, "harness chunk failed: %s\n", lua_tostring(fuzz_L, -1));
    abort();
  }
}

/* Calls global fn with the values on the stack above base; a Lua error
 * raised by the oracle (an assert) is a finding and aborts. */
static void fuzz_call(const char *fn, int base) {
  int nargs = lua_gettop(fuzz_L) - base;
  lua_getglobal(fuzz_L, fn);
  lua_insert(fuzz_L, base + 1);
  if (lua_pcall(fuzz_L, nargs, 0, 0) != LUA_OK) {
    const char *msg = lua_tostring(fuzz_L, -1);
    if (msg && strstr(msg, "not enough memory")) { lua_settop(fuzz_L, base); return; }
    fprintf(stderr, "oracle failed: %s\n", msg ? msg : "(no message)");
    abort();
  }
  lua_settop(fuzz_L, base);
}
