/*
 * Shared declarations for the scenario.core unity build.
 *
 * core.c includes every other .c file of csrc/, so the module is one
 * translation unit: all helpers stay static and only luaopen_scenario_core
 * is exported (spec/core_spec.lua checks the symbol table).
 */
#ifndef SCENARIO_COMMON_H
#define SCENARIO_COMMON_H

/* The POSIX feature-test macro (nanosleep, clock_gettime under -std=c99). */
#define _POSIX_C_SOURCE 200809L /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

#include <stddef.h>
#include <string.h>

#include "compat.h"

#define SC_VERSION "0.1.0"

/* Deepest nesting the request walker accepts; the schema itself is 4 deep,
 * so only unvalidated pass-through values can get near it. */
#define SC_MAX_DEPTH 64

/* Deepest response the decoder parses (decode.c). */
#define SC_JSON_MAX_DEPTH 200

/* The default cap on a response, and on a request body, in bytes. */
#define SC_DEFAULT_MAX_BYTES ((lua_Integer)16 * 1024 * 1024)

/* The upvalues that the module's functions share (set in core.c). */
#define UV_CACHE lua_upvalueindex(1)   /* field lookups (lookup.c) */
#define UV_SCRATCH lua_upvalueindex(2) /* an sc_scratch userdata for core.encode */
#define UV_FINISH lua_upvalueindex(3)  /* finish_protected (call.c), made once */
#define NUPVALUES 3

/* Each file registers its own functions (its xxx_open, called by
 * luaopen_scenario_core with the module at stack slot M and the shared
 * upvalues in the NUPVALUES slots above it) and the limits it enforces,
 * in M.limits, where the Lua layer reads them for its messages. */
static void sc_register(lua_State *L, int M, const luaL_Reg *f) {
  for (; f->name != NULL; f++) {
    for (int k = 1; k <= NUPVALUES; k++) lua_pushvalue(L, M + k);
    lua_pushcclosure(L, f->func, NUPVALUES);
    lua_setfield(L, M, f->name);
  }
}

static void sc_limit_int(lua_State *L, int M, const char *name, lua_Integer v) {
  lua_getfield(L, M, "limits");
  lua_pushinteger(L, v);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

static void sc_limit(lua_State *L, int M, const char *name, const char *v) {
  lua_getfield(L, M, "limits");
  lua_pushstring(L, v);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

/* M.limits[name]: the NULL-terminated list, as an array. */
static void sc_limit_list(lua_State *L, int M, const char *name, const char *const *list) {
  int n = 0;
  lua_getfield(L, M, "limits");
  lua_newtable(L);
  for (; list[n] != NULL; n++) {
    lua_pushstring(L, list[n]);
    lua_rawseti(L, -2, n + 1);
  }
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

/* The longest path parameter or query value a call sends, and the
 * longest URL. libcurl refuses a URL of 8 MB only when the transfer
 * starts, and servers refuse far less (8 KiB is common): a longer value
 * is refused while validating, as a value, before anything is sent.
 * core.limits hands them to the Lua layer (a pagination token the server
 * sends is held to the same cap). */
#define SC_MAX_PARAM_BYTES 4096
#define SC_MAX_URL_BYTES 16384

/* The longest timeout, in seconds, a client or a call takes (a day is
 * 86,400): beyond it a number is more likely a unit mistaken. */
#define SC_MAX_SECONDS 1e6

/* Hex digits, as percent-escapes and JSON's \u write them. */
static inline int is_hex(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* The value of the hex digit ch (is_hex). */
static inline int hex_value(char ch) {
  return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

/* Validation stops recording after this many problems; the count is kept. */
#define SC_MAX_ERRORS 64

#endif
