/*
 * The Lua 5.4 C API this module is written against, for Lua 5.1, 5.2,
 * 5.3 and LuaJIT 2.1 (which reports itself as 5.1).
 *
 * The core is written once, in 5.4 terms; each missing or different
 * function is supplied here under its 5.4 name, as lua-compat-5.3 does.
 * The replacements are macros onto sc_compat_* functions, so they also
 * cover what LuaJIT declares itself with other semantics (its
 * lua_tointegerx truncates 12.5 to 12).
 *
 * Numbers: before 5.3 every number is a double. A number is an "integer"
 * here when it is integral and below 2^53 in magnitude, where a double
 * holds every integer exactly: the encoder writes 12, never 12.0 or
 * 1.2e+01, and a value from 2^53 up, which may already have been rounded,
 * is written as the double it is.
 */
#ifndef SCENARIO_COMPAT_H
#define SCENARIO_COMPAT_H

#include <math.h>

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502 /* 5.1 and LuaJIT */

#define LUA_OK 0

#undef lua_rawlen
#define lua_rawlen(L, i) lua_objlen((L), (i))

#define lua_absindex(L, i) \
  (((i) > 0 || (i) <= LUA_REGISTRYINDEX) ? (i) : lua_gettop(L) + (i) + 1)

static inline void sc_compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name != NULL; l++) { /* table up1..upN */
    for (int i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#define luaL_setfuncs sc_compat_setfuncs

static inline void sc_compat_setmetatable(lua_State *L, const char *tname) {
  luaL_getmetatable(L, tname);
  lua_setmetatable(L, -2);
}
#define luaL_setmetatable sc_compat_setmetatable

/* The pushers return the string they pushed, as from 5.2 on. */
static inline const char *sc_compat_pushlstring(lua_State *L, const char *s, size_t len) {
  (lua_pushlstring)(L, s, len);
  return lua_tostring(L, -1);
}
#define lua_pushlstring sc_compat_pushlstring

static inline const char *sc_compat_pushstring(lua_State *L, const char *s) {
  (lua_pushstring)(L, s);
  return lua_tostring(L, -1);
}
#define lua_pushstring sc_compat_pushstring

#endif

#if LUA_VERSION_NUM < 503 /* 5.1, 5.2 and LuaJIT: a table, or nothing */

/* A userdata's one user value is kept as t[1] of a table: 5.1's
 * environment and 5.2's user value can only be tables. Only values set
 * here read back: a new userdata's environment in 5.1 is the creating
 * function's (so its t[1] is whatever that holds), and the core always
 * sets a user value before it reads one. */
static inline void sc_compat_setuservalue(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_createtable(L, 1, 0);
  lua_insert(L, -2);
  lua_rawseti(L, -2, 1);
#if LUA_VERSION_NUM < 502
  lua_setfenv(L, idx);
#else
  lua_setuservalue(L, idx);
#endif
}

static inline void sc_compat_getuservalue(lua_State *L, int idx) {
#if LUA_VERSION_NUM < 502
  lua_getfenv(L, idx);
#else
  lua_getuservalue(L, idx);
#endif
  if (lua_istable(L, -1)) {
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  } else {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

#elif LUA_VERSION_NUM < 504 /* 5.3: any value */

#define sc_compat_setuservalue(L, idx) lua_setuservalue((L), (idx))
#define sc_compat_getuservalue(L, idx) lua_getuservalue((L), (idx))

#endif

#if LUA_VERSION_NUM < 503 /* 5.1, 5.2 and LuaJIT */

/* Integers below this magnitude are exact in a double and fit a
 * lua_Integer: 2^53, or 2^31 where lua_Integer (ptrdiff_t) is 32 bits. */
#define SC_COMPAT_EXACT (sizeof(lua_Integer) >= 8 ? 9007199254740992.0 : 2147483648.0)

static inline int sc_compat_isinteger(lua_State *L, int idx) {
  lua_Number d;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  d = lua_tonumber(L, idx);
  /* -0.0 stays a float, as in 5.3 on: its sign would be lost. */
  return d == floor(d) && fabs(d) < SC_COMPAT_EXACT && !(d == 0 && signbit(d));
}
#define lua_isinteger sc_compat_isinteger

/* As 5.4: succeeds only for a number with an exact integer value (or a
 * string that reads as one). */
#undef lua_tointegerx
static inline lua_Integer sc_compat_tointegerx(lua_State *L, int idx, int *isnum) {
  lua_Number d = lua_tonumber(L, idx);
  int ok = (d != 0 || lua_isnumber(L, idx)) && d == floor(d) && fabs(d) < SC_COMPAT_EXACT &&
           !(d == 0 && signbit(d));
  if (isnum != NULL) *isnum = ok;
  return ok ? (lua_Integer)d : 0;
}
#define lua_tointegerx sc_compat_tointegerx

#undef lua_tointeger
#define lua_tointeger(L, i) sc_compat_tointegerx((L), (i), NULL)

/* The getters return the type they pushed, as from 5.3 on. */
static inline int sc_compat_rawget(lua_State *L, int idx) {
  (lua_rawget)(L, idx);
  return lua_type(L, -1);
}
#define lua_rawget sc_compat_rawget

static inline int sc_compat_rawgeti(lua_State *L, int idx, lua_Integer n) {
  (lua_rawgeti)(L, idx, (int)n);
  return lua_type(L, -1);
}
#define lua_rawgeti sc_compat_rawgeti

/* Takes a lua_Integer index, as from 5.3 on; 5.1 and 5.2 take an int.
 * Array indices here are bounded by a table's length, which fits. */
static inline void sc_compat_rawseti(lua_State *L, int idx, lua_Integer n) {
  (lua_rawseti)(L, idx, (int)n);
}
#define lua_rawseti sc_compat_rawseti

static inline int sc_compat_getfield(lua_State *L, int idx, const char *k) {
  (lua_getfield)(L, idx, k);
  return lua_type(L, -1);
}
#define lua_getfield sc_compat_getfield

#endif

#if LUA_VERSION_NUM < 504 /* 5.1 to 5.3 and LuaJIT: at most one user value */

#define lua_newuserdatauv(L, sz, nuv) ((void)(nuv), lua_newuserdata((L), (sz)))

static inline int sc_compat_setiuservalue(lua_State *L, int idx, int n) {
  if (n != 1) {
    lua_pop(L, 1);
    return 0;
  }
  sc_compat_setuservalue(L, idx);
  return 1;
}
#define lua_setiuservalue sc_compat_setiuservalue

static inline int sc_compat_getiuservalue(lua_State *L, int idx, int n) {
  if (n != 1) {
    lua_pushnil(L);
    return LUA_TNONE;
  }
  sc_compat_getuservalue(L, idx);
  return lua_type(L, -1);
}
#define lua_getiuservalue sc_compat_getiuservalue

#endif

#endif
