/*
 * Response headers: a response's header lines, as libcurl hands them
 * over, made into a table of lower-case names (a repeated header joined
 * with ", "), and HTTP dates (Retry-After) read as seconds.
 */
#ifndef SCENARIO_HEADERS_C
#define SCENARIO_HEADERS_C

#include "common.h"

#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "transport.c"

/* Joins into one string, with ", ", the pieces of every header that the
 * table at idx holds as an array (a repeated header). */
static void join_repeated(lua_State *L, int idx) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {                 /* name value */
    if (lua_type(L, -1) == LUA_TTABLE) {
      luaL_Buffer b;
      lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
      int pieces = lua_gettop(L);
      luaL_buffinit(L, &b);
      for (lua_Integer i = 1; i <= n; i++) {
        if (i > 1) luaL_addlstring(&b, ", ", 2);
        lua_rawgeti(L, pieces, i);
        luaL_addvalue(&b);
      }
      luaL_pushresult(&b);                   /* name pieces joined */
      lua_pushvalue(L, -3);
      lua_insert(L, -2);
      lua_rawset(L, idx);                    /* an existing key: lua_next goes on */
    }
    lua_pop(L, 1);
  }
}

/* Pushes the header lines of a final response (the len bytes at d) as a
 * table: lower-case names, repeated headers joined with ", ". A repeat is
 * kept as a piece of an array and joined once at the end, so that n
 * repeats cost O(n), not the O(n^2) of concatenating as they come. */
static void push_header_table(lua_State *L, const char *d, size_t len) {
  size_t pos = 0;
  if (d == NULL) len = 0; /* a buffer never written */
  int lines = 0, repeats = 0, tbl;
  for (const char *q = d; q != NULL && (q = memchr(q, '\n', len - (size_t)(q - d))) != NULL; q++)
    lines++;
  lua_createtable(L, 0, lines > 2 ? lines - 2 : 0); /* not the status line, nor the blank one */
  tbl = lua_gettop(L);
  luaL_checkstack(L, 8, "headers");
  while (pos < len) {
    size_t start = pos, stop, colon, ne, v, ve;
    char name[128];
    int t;
    while (pos < len && d[pos] != '\n') pos++;
    stop = pos++;
    if (stop > start && d[stop - 1] == '\r') stop--;
    if (stop - start >= 5 && memcmp(d + start, "HTTP/", 5) == 0) continue;
    for (colon = start; colon < stop && d[colon] != ':'; colon++) {}
    /* Whitespace before the colon is not part of the name (RFC 9112 lets a
     * proxy strip it): "Content-Length : 3" is content-length. */
    for (ne = colon; ne > start && (d[ne - 1] == ' ' || d[ne - 1] == '\t'); ne--) {}
    if (colon == stop || ne == start) continue;
    if (ne - start <= sizeof name) {
      for (size_t i = start; i < ne; i++)
        name[i - start] = (char)((d[i] >= 'A' && d[i] <= 'Z') ? d[i] + 32 : d[i]);
      lua_pushlstring(L, name, ne - start);
    } else {                                 /* a long name: lowered piece by piece */
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (size_t i = start; i < ne; i++) {
        char ch = (char)((d[i] >= 'A' && d[i] <= 'Z') ? d[i] + 32 : d[i]);
        luaL_addlstring(&b, &ch, 1);
      }
      luaL_pushresult(&b);
    }
    for (v = colon + 1; v < stop && (d[v] == ' ' || d[v] == '\t'); v++) {}
    for (ve = stop; ve > v && (d[ve - 1] == ' ' || d[ve - 1] == '\t'); ve--) {}
    lua_pushvalue(L, -1);
    t = lua_rawget(L, tbl);                  /* name old */
    if (t == LUA_TNIL) {
      lua_pop(L, 1);
      lua_pushlstring(L, d + v, ve - v);
      lua_rawset(L, tbl);
    } else if (t == LUA_TSTRING) {           /* the second one: both go in an array */
      lua_createtable(L, 4, 0);
      lua_insert(L, -2);
      lua_rawseti(L, -2, 1);
      lua_pushlstring(L, d + v, ve - v);
      lua_rawseti(L, -2, 2);
      lua_rawset(L, tbl);
      repeats = 1;
    } else {                                 /* name pieces */
      lua_pushlstring(L, d + v, ve - v);
      lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
      lua_pop(L, 2);
    }
  }
  if (repeats) join_repeated(L, tbl);
}

static void push_headers(lua_State *L, const sc_request *r) {
  push_header_table(L, r->head.data, r->head.len);
}

/* core.parse_headers(lines) -> table: a response's header lines, as
 * core.finish gives a success's, to lower-case names and values. */
static int l_parse_headers(lua_State *L) {
  size_t len;
  const char *d = luaL_checklstring(L, 1, &len);
  push_header_table(L, d, len);
  return 1;
}

/* core.parse_http_date(s) -> seconds since the epoch | nil */
static int l_parse_http_date(lua_State *L) {
  time_t t = curl_getdate(luaL_checkstring(L, 1), NULL);
  if (t == (time_t)-1) lua_pushnil(L);
  else lua_pushinteger(L, (lua_Integer)t);
  return 1;
}

/* Registers the header functions in the module at M. */
static void headers_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "parse_headers", l_parse_headers },
    { "parse_http_date", l_parse_http_date },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
}

#endif
