/*
 * Calls outside the endpoint table (client:request, core.start_raw): a
 * method and a path of the caller's, a body and a query written without a
 * schema, and an answer decoded without one. The path is checked by one
 * rule (raw_path_problem) that the Lua layer asks too (core.path_problem).
 */
#ifndef SCENARIO_RAW_CALL_C
#define SCENARIO_RAW_CALL_C

#include "common.h"

#include <math.h>
#include <string.h>

#include "call.c"
#include "client.c"
#include "encode.c"
#include "handles.h"
#include "url.c"

/* ---- calls outside the table (client:request) ------------------------------ */

/* The methods core.start_raw takes; those retried as get_model is (the
 * rest, POST and PATCH, are sent at most once); those sent without a
 * body (the rest always carry one, if only an empty one). */
static const char *const raw_methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", NULL };
static const char *const raw_idempotent[] = { "GET", "PUT", "DELETE", NULL };
static const char *const raw_bodyless[] = { "GET", "DELETE", NULL };

static int in_list(const char *s, const char *const *list) {
  for (; *list != NULL; list++)
    if (strcmp(s, *list) == 0) return 1;
  return 0;
}

/* Whether byte ch may stand in a raw path as it is: RFC 3986's pchar
 * (unreserved, sub-delims, ':' and '@') and '/'. Anything else is
 * percent-encoded; a '%' that starts an escape is kept. */
static int path_byte_plain(unsigned char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
         (ch != '\0' && strchr("-._~!$&'()*+,;=:@/", ch) != NULL);
}

/* What is wrong with a raw call's path (len bytes), or NULL: it must
 * start with '/' and hold no control character, query or fragment, and
 * no segment that a server may take for "." or ".." (dots_when_decoded).
 * The one rule for client:request and for core.start_raw. */
static const char *raw_path_problem(lua_State *L, const char *p, size_t len) {
  if (len == 0 || p[0] != '/') return "path must be a string starting with '/' (after base_url: \"/collections\")";
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) return "path contains a control character";
  if (memchr(p, '?', len) != NULL || memchr(p, '#', len) != NULL)
    return "path must not hold a query or a fragment: give the query as opts.query";
  if (dots_when_decoded(L, p, len))
    return "path must not hold '.' or '..' segments, however escaped (they would reach another endpoint)";
  return NULL;
}

/* core.path_problem(path) -> message | nil: what raw_path_problem finds. */
static int l_path_problem(lua_State *L) {
  size_t len;
  const char *p = luaL_checklstring(L, 1, &len);
  const char *why = raw_path_problem(L, p, len);
  if (why == NULL) return 0;
  lua_pushstring(L, why);
  return 1;
}

/* Appends the raw path p (checked by raw_check) to u, percent-encoding
 * what cannot stand in a path. */
static int put_raw_path(sc_buf *u, const char *p, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)p[i];
    int ok;
    if (path_byte_plain(ch) || (ch == '%' && i + 2 < len && is_hex((unsigned char)p[i + 1]) &&
                                is_hex((unsigned char)p[i + 2])))
      ok = buf_addc(u, (char)ch);
    else
      ok = url_put_escaped(u, p + i, 1);
    if (!ok) return 0;
  }
  return 1;
}

/* Orders the string keys of the query table at idx into a new array on
 * top of the stack, so that the same query always makes the same URL. */
static void sorted_keys(lua_State *L, int idx) {
  int n = 0;
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;
    /* insertion: queries are a handful of keys */
    int at = n + 1;
    while (at > 1) {
      lua_rawgeti(L, -2, at - 1);
      int after = strcmp(lua_tostring(L, -1), lua_tostring(L, -2)) > 0;
      lua_pop(L, 1);
      if (!after) break;
      lua_rawgeti(L, -2, at - 1);
      lua_rawseti(L, -3, at);
      at--;
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, at);
    n++;
  }
}

/* Records a problem for each entry of the raw query at idx that cannot
 * go in a URL: keys must be strings, values strings, finite numbers,
 * booleans or arrays of those. */
static void check_raw_query(sc_walk *w, int idx) {
  lua_State *L = w->L;
  lua_pushnil(L);
  while (lua_next(L, idx)) {                     /* key value */
    int t = lua_type(L, -1);
    if (lua_type(L, -2) != LUA_TSTRING) {
      walk_fail(w, "query keys must be strings, got %s", describe(L, -2));
    } else {
      path_key_at(w, lua_gettop(L) - 1);
      if (t == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1), count = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          int vt = lua_type(L, -1);
          count++;
          if (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)
            walk_fail(w, "a query list holds strings, numbers or booleans, got %s", describe(L, -1));
          else if (vt == LUA_TNUMBER && !isfinite((double)lua_tonumber(L, -1)))
            walk_fail(w, "a query value must be a finite number");
          lua_pop(L, 1);
        }
        if (count != n) walk_fail(w, "a query list must be an array (keys 1..n)");
      } else if (t == LUA_TNUMBER) {
        if (!isfinite((double)lua_tonumber(L, -1))) walk_fail(w, "a query value must be a finite number");
      } else if (t != LUA_TSTRING && t != LUA_TBOOLEAN) {
        walk_fail(w, "a query parameter must be a string, a number, a boolean or a list of them, "
                     "got %s", describe(L, -1));
      }
      check_query_length(w, lua_gettop(L));
      path_pop(w);
    }
    lua_pop(L, 1);
  }
}

/* Checks a raw call's body (stack slot body, or 0: none) and query (slot
 * query, or 0) and loads r with its URL and body, as call_check does. */
static int raw_check(lua_State *L, sc_request *r, const sc_client *c, const char *path, size_t plen,
                     int body, int query, int with_body) {
  sc_walk w;
  int ok;
  buf_reset(&r->body);
  walk_begin(L, &w, &r->body);
  w.max_bytes = c->max_request_bytes;
  /* POST, PUT and PATCH always carry a body, if only an empty one
   * (Content-Length: 0: some front ends refuse a POST without it), with
   * a Content-Type only when there is JSON in it. */
  r->has_body = body != 0 || with_body;
  r->untyped = body == 0;
  if (body) {
    check_generic(&w, body);
    walk_check_size(&w);
  }
  if (query) {
    w.out = NULL;
    path_key(&w, "query", 5);
    if (lua_type(L, query) != LUA_TTABLE || lua_getmetatable(L, query)) {
      if (lua_type(L, query) == LUA_TTABLE) lua_pop(L, 1);
      walk_fail(&w, "expected a table without a metatable, got %s", describe(L, query));
    } else {
      check_raw_query(&w, query);
    }
    path_pop(&w);
  }
  if (!walk_passed(L, &w)) return 0;
  buf_reset(&r->url);
  ok = buf_adds(&r->url, c->base_url) && put_raw_path(&r->url, path, plen);
  if (ok && query) {
    int keys, n;
    char sep = '?';
    sorted_keys(L, query);
    keys = lua_gettop(L);
    n = (int)lua_rawlen(L, keys);
    for (int i = 1; ok && i <= n; i++) {
      size_t klen;
      const char *k;
      lua_rawgeti(L, keys, i);
      k = lua_tolstring(L, -1, &klen);
      lua_rawget(L, query);
      if (!(lua_type(L, -1) == LUA_TTABLE && lua_rawlen(L, -1) == 0)) { /* an empty list: none */
        ok = buf_addc(&r->url, sep) && url_put_escaped(&r->url, k, klen) && buf_addc(&r->url, '=') &&
             put_query_value(L, &r->url);
        sep = '&';
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  if (!ok || !buf_addc(&r->url, '\0')) luaL_error(L, "not enough memory");
  return url_fits(L, &r->url);
}

/* core.start_raw(handle, method, path, body, query, call) -> call | nil, err
 * A call of an endpoint the table does not have (client:request): the
 * body (any JSON value, or nil for none) is written without a schema,
 * the path (from "/", after base_url) is kept but for the bytes a path
 * cannot hold, which are percent-encoded, and the answer is decoded
 * without a schema. Given an idle call of the client (call), loads that
 * one. The Lua layer has checked the method and the path already; what
 * is checked again here raises. */
static int l_start_raw(lua_State *L) {
  sc_client *c = check_client(L, 1);
  int m = luaL_checkoption(L, 2, NULL, raw_methods);
  size_t plen;
  const char *path = luaL_checklstring(L, 3, &plen);
  sc_call *call;
  int ok, fresh;
  const char *why = raw_path_problem(L, path, plen);
  if (why != NULL) return luaL_argerror(L, 3, why);
  lua_settop(L, 6);
  fresh = lua_isnil(L, 6);
  if (fresh) {
    call = new_call(L, c, 6);
  } else {
    call = check_call(L, 6);
    if (call->client != c) return luaL_argerror(L, 6, "the call belongs to another client");
    if (call->state != CALL_IDLE || call->busy) return luaL_argerror(L, 6, "the call is not idle");
    call_make_plain(c, call);
  }
  memset(&call->raw, 0, sizeof call->raw);
  call->raw.name = "request";
  call->raw.method = raw_methods[m];
  call->raw.returns = SC_RETURNS_DOCUMENT;
  call->raw.idempotent = in_list(raw_methods[m], raw_idempotent);
  call->ep = &call->raw;
  req_drop_options(&call->r);
  call->unloaded = 1;
  call->busy = 1;
  ok = raw_check(L, &call->r, c, path, plen, opt_index(L, 4), opt_index(L, 5),
                 !in_list(raw_methods[m], raw_bodyless));
  call->busy = 0;
  if (call->state == CALL_CLOSED) {
    call_detach(call, 1);
    return luaL_argerror(L, 1, "the client was closed during the call");
  }
  call->unloaded = !ok;
  if (!ok) {
    if (fresh) call_detach(call, 1); /* as core.start: a new call that failed is released */
    return 2;                        /* ... nil err; a reused one stays idle, to be reloaded */
  }
  lua_settop(L, 6);
  return 1;
}

/* Registers the raw call's functions in the module at M, and the methods
 * it takes. */
static void raw_call_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "start_raw", l_start_raw },
    { "path_problem", l_path_problem },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
  sc_limit_list(L, M, "raw_methods", raw_methods);
  sc_limit_list(L, M, "idempotent_raw_methods", raw_idempotent);
}

#endif
