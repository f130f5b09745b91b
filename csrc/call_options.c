/*
 * A call's own options (core.options): a timeout of its own and request
 * headers added to the client's, each checked: a header name is an HTTP
 * token, a value holds no control character, the transport's own headers
 * cannot be set, and there are at most SC_MAX_CALL_HEADERS. The Lua layer
 * reads these rules from core.limits for its messages.
 */
#ifndef SCENARIO_CALL_OPTIONS_C
#define SCENARIO_CALL_OPTIONS_C

#include "common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "handles.h"
#include "transport.c"

/* The header names a call's own headers may not set: the transport's. */
static const char *const reserved_headers[] = {
  "authorization", "content-type", "content-length", "transfer-encoding", "host", NULL
};

/* Whether s (len bytes) is an HTTP token (RFC 9110 tchar). */
static int is_token(const char *s, size_t len) {
  if (len == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
          strchr("!#$%&'*+-.^_`|~", ch) != NULL) || ch == '\0')
      return 0;
  }
  return 1;
}

#define SC_MAX_CALL_HEADERS 64

/* Pushes the header name at idx as a message shows it: quoted, with a
 * control byte written \xHH. */
static const char *push_shown_name(lua_State *L, int idx) {
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  luaL_Buffer b;
  luaL_buffinit(L, &b); /* luaL_addlstring, not luaL_addchar: LuaJIT's macro trips clang-tidy */
  luaL_addlstring(&b, "'", 1);
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch == 0x7f) {
      char e[5];
      (void)snprintf(e, sizeof e, "\\x%02X", ch);
      luaL_addstring(&b, e);
    } else {
      luaL_addlstring(&b, s + i, 1);
    }
  }
  luaL_addlstring(&b, "'", 1);
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

/* What is wrong with the table of a call's headers at idx, or NULL: each
 * name an HTTP token and not one of the transport's own, each value a
 * string without a control character (CR or LF would start a header of
 * its own), at most SC_MAX_CALL_HEADERS. The message is pushed. The one
 * rule for core.options and for the Lua layer's messages
 * (core.headers_problem). */
static const char *headers_problem(lua_State *L, int idx) {
  int n = 0;
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {                       /* name value */
    size_t nlen, vlen;
    const char *name, *value;
    char lower[32];
    n++;
    if (lua_type(L, -2) != LUA_TSTRING) {
      return lua_pushfstring(L, "%s is not a header name", luaL_typename(L, -2));
    }
    name = lua_tolstring(L, -2, &nlen);
    if (!is_token(name, nlen)) {
      lua_pushfstring(L, "%s is not a header name", push_shown_name(L, -2));
      return lua_tostring(L, -1);
    }
    if (nlen < sizeof lower) {
      for (size_t i = 0; i <= nlen; i++)
        lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
      for (int i = 0; reserved_headers[i] != NULL; i++)
        if (strcmp(lower, reserved_headers[i]) == 0)
          return lua_pushfstring(L, "'%s' is set by the client and cannot be overridden", name);
    }
    if (lua_type(L, -1) != LUA_TSTRING)
      return lua_pushfstring(L, "the value of '%s' must be a string, got %s", name, luaL_typename(L, -1));
    value = lua_tolstring(L, -1, &vlen);
    for (size_t i = 0; i < vlen; i++)
      if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
        return lua_pushfstring(L, "the value of '%s' holds a control character (CR or LF would start a "
                                  "header of its own)", name);
    lua_pop(L, 1);
  }
  if (n > SC_MAX_CALL_HEADERS) return lua_pushfstring(L, "more than %d headers", SC_MAX_CALL_HEADERS);
  return NULL;
}

/* core.headers_problem(headers) -> message | nil: what headers_problem finds. */
static int l_headers_problem(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  return headers_problem(L, 1) != NULL ? 1 : 0;
}

/* core.options(call, timeout, headers): this call's own timeout (seconds
 * per attempt, in (0, SC_MAX_SECONDS]) and extra headers ({name =
 * value}), until its next load; nil leaves the client's. Raises on a
 * header it cannot send. */
static int l_call_options(lua_State *L) {
  sc_call *call = check_call(L, 1);
  if (call->client == NULL || call->state != CALL_IDLE || call->busy)
    return luaL_argerror(L, 1, "the call is not idle");
  if (!lua_isnoneornil(L, 2)) {
    double t = luaL_checknumber(L, 2);
    if (!(t > 0 && t <= SC_MAX_SECONDS)) return luaL_argerror(L, 2, "a number of seconds in (0, 1e6]");
    call->r.call_timeout_ms = (long)ceil(t * 1000);
  }
  if (!lua_isnoneornil(L, 3)) {
    const char *lines[SC_MAX_CALL_HEADERS];
    const char *why;
    int n = 0;
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    why = headers_problem(L, 3);
    if (why != NULL) return luaL_argerror(L, 3, why);
    lua_newtable(L); /* 4: the lines, kept alive until libcurl has copied them */
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      size_t vlen;
      const char *name = lua_tostring(L, -2), *value = lua_tolstring(L, -1, &vlen);
      /* White space around a value is not part of it (RFC 9110 5.5), and
       * libcurl takes "Name:" with nothing after it for "remove Name":
       * "Name;" is how it sends an empty one. */
      while (vlen > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        vlen--;
      }
      while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t')) vlen--;
      if (vlen == 0) {
        lines[n] = lua_pushfstring(L, "%s;", name);
      } else {
        lua_pushfstring(L, "%s: ", name);
        lua_pushlstring(L, value, vlen);
        lua_concat(L, 2);
        lines[n] = lua_tostring(L, -1);
      }
      lua_rawseti(L, 4, ++n);
      lua_pop(L, 1);
    }
    if (!req_set_headers(&call->r, lines, n)) return luaL_error(L, "not enough memory");
  }
  return 0;
}

/* Registers core.options in the module at M, and its limits. */
static void call_options_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "options", l_call_options },
    { "headers_problem", l_headers_problem },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
  sc_limit_int(L, M, "max_headers", SC_MAX_CALL_HEADERS);
  sc_limit_int(L, M, "max_seconds", SC_MAX_SECONDS);
  sc_limit_list(L, M, "reserved_headers", reserved_headers);
}

#endif
