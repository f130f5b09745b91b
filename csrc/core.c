/*
 * scenario.core: the mechanism under lua/scenario. Validation and JSON
 * encoding of request tables, normalisation of decoded responses, and
 * HTTP over libcurl. Retries, defaults and error objects are policy and
 * live in Lua.
 *
 * This file holds the module's Lua bindings and is its only translation
 * unit: it includes the other csrc files (each of which includes what it
 * uses, behind a guard), so that every helper can stay static.
 */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.c"
#include "calls.c"
#include "dataurl.c"
#include "decode.c"
#include "encode.c"
#include "endpoints.c"
#include "events.c"
#include "files.c"
#include "lookup.c"
#include "suggest.c"

#define SCRATCH_MT "scenario.core.scratch"

/* core.encode's buffer, one per state. A walk can allocate (the first
 * time it meets a type), an allocation can run a finalizer, and a
 * finalizer can call core.encode again: the inner call then takes a
 * buffer of its own rather than overwrite this one. */
typedef struct sc_scratch {
  sc_buf buf;
  int busy;
} sc_scratch;

/* The optional cap argument at arg, in bytes, or the default. */
static size_t opt_max_bytes(lua_State *L, int arg) {
  lua_Integer v;
  if (lua_isnoneornil(L, arg)) return (size_t)SC_DEFAULT_MAX_BYTES;
  v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v > 0, arg, "the cap must be a positive number of bytes");
  return (size_t)v;
}

static int scratch_gc(lua_State *L) {
  buf_free(&((sc_scratch *)luaL_checkudata(L, 1, SCRATCH_MT))->buf);
  return 0;
}

/* Pushes a new scratch buffer, released by __gc. */
static sc_scratch *push_scratch(lua_State *L) {
  sc_scratch *s = (sc_scratch *)lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  luaL_setmetatable(L, SCRATCH_MT);
  return s;
}

/* core.validate and core.encode: walks body (2) and extra (3) against
 * the endpoint at 1, writing the JSON into a scratch buffer, under the cap
 * at 4; with full, also the query at 5 and the path parameters from 6.
 * Pushes the JSON (with keep 0, true instead), or nil and the problems. */
static int encode_body(lua_State *L, int keep, int full) {
  const sc_endpoint *ep = check_endpoint(L, 1);
  sc_scratch *s = (sc_scratch *)lua_touserdata(L, UV_SCRATCH);
  size_t max_bytes = opt_max_bytes(L, 4);
  int np = full ? path_params(ep) : 0, query;
  sc_walk w;
  lua_settop(L, 5 + np);
  query = full ? opt_index(L, 5) : 0;
  if (s->busy) s = push_scratch(L); /* re-entered: see sc_scratch */
  /* Should the walk raise (out of memory), busy stays set and later calls
   * take the path above: slower, never wrong. */
  s->busy = 1;
  buf_reset(&s->buf);
  walk_begin(L, &w, &s->buf);
  w.max_bytes = max_bytes;
  if (full) check_path_params(&w, ep, 6, np);
  if (takes_body(ep) || !full) walk_body(&w, ep, 2, opt_index(L, 3));
  if (query) {
    w.out = NULL;
    path_key(&w, "query", 5);
    if (ep->query == NULL) {
      walk_fail(&w, "%s takes no query", ep->name);
    } else if (lua_type(L, query) != LUA_TTABLE) {
      walk_fail(&w, "expected a table, got %s", describe(L, query));
    } else {
      check_object(&w, query, ep->query, 0);
      check_query_values(&w, ep->query, query);
    }
    path_pop(&w);
  }
  if (w.nerr > 0) {
    s->busy = 0;
    lua_pushnil(L);
    push_problems(L, &w, "validation");
    return 2;
  }
  /* Still busy while the result is copied out: before 5.2 the push runs
   * the collector, and so finalisers, before it copies the bytes. */
  if (keep) lua_pushlstring(L, s->buf.data, s->buf.len);
  else lua_pushboolean(L, 1);
  buf_reset(&s->buf); /* a large body is not kept until the next call */
  s->busy = 0;
  return 1;
}

/* core.validate(endpoint, body [, extra [, max_bytes [, query [, params...]]]])
 *   -> true | nil, problems
 * What core.start checks, without a client: the same walk as core.encode,
 * bytes written included, so that the two always agree (on the cap on the
 * size too), and the query and path parameters. */
static int l_validate(lua_State *L) {
  return encode_body(L, 0, 1);
}

/* core.encode(endpoint, body [, extra [, max_bytes]]) -> json | nil, problems */
static int l_encode(lua_State *L) {
  return encode_body(L, 1, 0);
}

/* core.data_url(path [, max_bytes]) -> "data:<mime>;base64,..." | nil, message
 * The type is sniffed from the file's first bytes (PNG, JPEG, WebP, GIF). */
static int l_data_url(lua_State *L) {
  size_t plen;
  const char *path = luaL_checklstring(L, 1, &plen);
  lua_Integer max = luaL_optinteger(L, 2, SC_DATA_URL_MAX);
  sc_scratch *in;
  sc_file how;
  const char *mime;
  char *out;
  size_t n;
  luaL_argcheck(L, max > 0, 2, "the cap must be a positive number of bytes");
  luaL_argcheck(L, strlen(path) == plen, 1, "the path contains a NUL byte");
  lua_settop(L, 2);
  in = push_scratch(L); /* its __gc frees what was read, whatever raises */
  how = read_file(path, &in->buf, (size_t)max);
  if (how != SC_FILE_OK) {
    char mb[24];
    lua_pushnil(L);
    switch (how) {
      case SC_FILE_TOO_LARGE:
        lua_pushfstring(L, "%s is larger than %s bytes (max_bytes)", path, int_text(max, mb));
        break;
      case SC_FILE_NOT_REGULAR: lua_pushfstring(L, "%s is not a regular file", path); break;
      case SC_FILE_NO_MEMORY: lua_pushfstring(L, "not enough memory to read %s", path); break;
      case SC_FILE_CANNOT_READ:
        lua_pushfstring(L, "cannot read %s: %s", path, strerror(errno));
        break;
      default: lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno)); break;
    }
    return 2;
  }
  mime = sniff_image((const unsigned char *)in->buf.data, in->buf.len);
  if (mime == NULL) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s is not a PNG, JPEG, WebP or GIF image (by its first bytes)", path);
    return 2;
  }
  n = data_url_len(mime, in->buf.len);
  out = (char *)lua_newuserdatauv(L, n, 0);
  data_url_write(out, mime, (const unsigned char *)in->buf.data, in->buf.len);
  buf_free(&in->buf);
  lua_pushlstring(L, out, n);
  return 1;
}

/* core.to_json(value [, max_bytes]) -> json | nil, problems
 * Any Lua value as JSON, checked as pass-through fields are (UTF-8,
 * cycles, depth, NaN, sparse arrays, the size cap): for the stand-in
 * server (scenario.testing), which answers with data of its own. */
static int l_to_json(lua_State *L) {
  sc_scratch *s = (sc_scratch *)lua_touserdata(L, UV_SCRATCH);
  size_t max_bytes = opt_max_bytes(L, 2);
  sc_walk w;
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  if (s->busy) s = push_scratch(L); /* re-entered: see sc_scratch */
  s->busy = 1;
  buf_reset(&s->buf);
  walk_begin(L, &w, &s->buf);
  w.max_bytes = max_bytes;
  check_generic(&w, 1);
  if (w.nerr > 0) {
    s->busy = 0;
    lua_pushnil(L);
    push_problems(L, &w, "validation");
    return 2;
  }
  lua_pushlstring(L, s->buf.data, s->buf.len);
  buf_reset(&s->buf);
  s->busy = 0;
  return 1;
}

/* Pushes the description of type t for core.schema, the same table for
 * the same type (memo, at stack slot memo, maps its address to it). */
static void push_type(lua_State *L, const sc_type *t, int memo) {
  static const char *const kinds[] = {
    "string", "number", "boolean", "intenum", "array", "object", "map", "any"
  };
  lua_pushlightuserdata(L, (void *)t);
  if (lua_rawget(L, memo) != LUA_TNIL) return;
  lua_pop(L, 1);
  luaL_checkstack(L, 8, "schema nested too deeply");
  lua_createtable(L, 0, 8);
  lua_pushlightuserdata(L, (void *)t);
  lua_pushvalue(L, -2);
  lua_rawset(L, memo); /* before the items and fields: a type may hold itself */
  lua_pushstring(L, kinds[t->kind]);
  lua_setfield(L, -2, "kind");
  if (t->name != NULL) {
    lua_pushstring(L, t->name);
    lua_setfield(L, -2, "name");
  }
  if (t->enm != NULL) {
    lua_pushstring(L, t->enm->name);
    lua_setfield(L, -2, "enum");
  }
  if (t->max_length > 0) {
    lua_pushinteger(L, t->max_length);
    lua_setfield(L, -2, "max_length");
  }
  if (t->bounds & SC_HAS_MIN) {
    lua_pushnumber(L, t->min);
    lua_setfield(L, -2, "min");
    lua_pushboolean(L, (t->bounds & SC_EXCL_MIN) != 0);
    lua_setfield(L, -2, "exclusive_min");
  }
  if (t->bounds & SC_HAS_MAX) {
    lua_pushnumber(L, t->max);
    lua_setfield(L, -2, "max");
  }
  if (t->items != NULL) {
    push_type(L, t->items, memo);
    lua_setfield(L, -2, "items");
  }
  if (t->fields != NULL) {
    lua_createtable(L, t->nfields, 0);
    for (int i = 0; i < t->nfields; i++) {
      const sc_field *f = &t->fields[i];
      lua_createtable(L, 0, 5);
      lua_pushstring(L, f->name);
      lua_setfield(L, -2, "name");
      push_type(L, f->type, memo);
      lua_setfield(L, -2, "type");
      lua_pushboolean(L, (f->flags & SC_REQUIRED) != 0);
      lua_setfield(L, -2, "required");
      lua_pushboolean(L, (f->flags & SC_NULLABLE) != 0);
      lua_setfield(L, -2, "nullable");
      lua_pushstring(L, f->doc);
      lua_setfield(L, -2, "doc");
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "fields");
  }
}

/* core.schema() -> {{name, body, query, response}, ...}: the types of
 * each endpoint of the table, in its order, as data (kind, name, enum,
 * max_length, min, exclusive_min, max, items, fields = {{name, type,
 * required, nullable, doc}}), one table per type however often it is
 * used. For the generated editor definitions (types/scenario.lua). */
static int l_schema(lua_State *L) {
  int memo;
  lua_settop(L, 0);
  lua_newtable(L);
  memo = lua_gettop(L);
  lua_createtable(L, SC_NENDPOINTS, 0);
  for (int i = 0; i < SC_NENDPOINTS; i++) {
    const sc_endpoint *ep = &sc_endpoints[i];
    const sc_type *types[3] = { ep->body, ep->query, ep->response };
    static const char *const roles[3] = { "body", "query", "response" };
    lua_createtable(L, 0, 4);
    lua_pushstring(L, ep->name);
    lua_setfield(L, -2, "name");
    for (int k = 0; k < 3; k++) {
      if (types[k] == NULL) continue;
      push_type(L, types[k], memo);
      lua_setfield(L, -2, roles[k]);
    }
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* core.array([t]) -> t: marks t (a new table if none) as a JSON array,
 * so that it is written [] when empty (an untyped {} is an object). */
static int l_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (lua_getmetatable(L, 1)) {
      if (!is_array_mt(L)) return luaL_argerror(L, 1, "the table has a metatable already");
      lua_pop(L, 1);
    }
  }
  luaL_setmetatable(L, ARRAY_MT);
  return 1;
}

/* core.parse_json(text [, keep_nulls]) -> value | nil, message
 * Any JSON value, read as the decoder reads data it has no schema for:
 * members that are null are absent (with keep_nulls, core.null, as a
 * null elsewhere is). For the Lua layer's error bodies, so it needs no
 * JSON module of its own, and the stand-in's requests, where a null
 * member means "unset". */
static int l_parse_json(lua_State *L) {
  sc_walk w;
  sc_reader r;
  int got;
  int keep = lua_toboolean(L, 2);
  luaL_checktype(L, 1, LUA_TSTRING);
  lua_settop(L, 1);
  got = read_json(L, &w, &r, 1, NULL, keep); /* text nil cache names [value] */
  if (got == RD_BROKEN) {
    lua_pushnil(L);
    push_syntax_error(L, &r, "");
    return 2;
  }
  if (got == RD_NULL) lua_pushlightuserdata(L, NULL);
  return 1;
}

/* core.decode(endpoint, json [, lenient]) -> result [, problems] | nil, err
 * Strict unless lenient is true: then shape problems come back beside the
 * result, as the client gives them in meta.problems. */
static int l_decode(lua_State *L) {
  const sc_endpoint *ep = check_endpoint(L, 1);
  int lenient = lua_toboolean(L, 3);
  luaL_checktype(L, 2, LUA_TSTRING);
  lua_settop(L, 2);
  if (decode_response(L, ep, 2, !lenient)) {
    if (lenient && !lua_isnil(L, -1)) return 2;
    lua_pop(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}


/* ---- small mechanisms for the Lua layer ------------------------------------------ */

/* core.sleep(seconds): blocks the calling thread. */
static int l_sleep(lua_State *L) {
  double s = (double)luaL_checknumber(L, 1);
  struct timespec ts, rem;
  if (!(s > 0)) return 0;
  if (s > 86400) s = 86400;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
  return 0;
}

/* core.now() -> seconds on a monotonic clock, for durations: the clock
 * libcurl's timeouts are kept by (events.c) */
static int l_now(lua_State *L) {
  lua_pushnumber(L, (lua_Number)ev_now());
  return 1;
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

/* core.suggest(word, candidates) -> closest candidate | nil */
static int l_suggest(lua_State *L) {
  size_t len;
  const char *word = luaL_checklstring(L, 1, &len);
  const char *cands[128];
  int n = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  for (lua_Integer i = 1; n < 128; i++) {
    int t = lua_rawgeti(L, 2, i);
    if (t == LUA_TSTRING) cands[n++] = lua_tostring(L, -1); /* table 2 holds it */
    lua_pop(L, 1);
    if (t != LUA_TSTRING) break;
  }
  {
    const char *hit = suggest(word, len, cands, n);
    if (hit) lua_pushstring(L, hit); else lua_pushnil(L);
  }
  return 1;
}

static void push_enums(lua_State *L) {
  lua_newtable(L);
  for (int i = 0; sc_enums[i] != NULL; i++) {
    const sc_enum *e = sc_enums[i];
    lua_createtable(L, e->count, 0);
    for (int k = 0; k < e->count; k++) {
      if (e->strings) lua_pushstring(L, e->strings[k]);
      else lua_pushinteger(L, e->ints[k]);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, e->name);
  }
}

static const luaL_Reg client_methods[] = {
  { "close", l_client_close },
  { "__gc", l_client_gc },
  { "__tostring", l_client_tostring },
  { NULL, NULL },
};

static const luaL_Reg call_methods[] = {
  { "close", l_call_close },
  { "__gc", l_call_gc },
  { "__tostring", l_call_tostring },
  { NULL, NULL },
};

static const luaL_Reg module_funcs[] = {
  { "new", l_client_new },
  { "http_version_for", l_http_version_for },
  { "validate", l_validate },
  { "encode", l_encode },
  { "decode", l_decode },
  { "parse_json", l_parse_json },
  { "to_json", l_to_json },
  { "data_url", l_data_url },
  { "create_file", l_create_file },
  { "append_line", l_append_line },
  { "sleep", l_sleep },
  { "now", l_now },
  { "parse_http_date", l_parse_http_date },
  { "parse_headers", l_parse_headers },
  { "suggest", l_suggest },
  { "start", l_start },
  { "start_raw", l_start_raw },
  { "path_problem", l_path_problem },
  { "options", l_call_options },
  { "array", l_array },
  { "schema", l_schema },
  { "submit", l_submit },
  { "release", l_call_release },
  { "handles", l_client_handles },
  { "perform", l_perform },
  { "finish", l_finish },
  { "state", l_call_state },
  { "target", l_call_target },
  { "sent", l_call_sent },
  { "redact", l_redact },
  { "cancel", l_call_close },
  { NULL, NULL },
};

/* Pushes {close = mt.close} for the metatable mt on top: methods are
 * looked up there, so that __gc cannot be called as a method. */
static void push_methods(lua_State *L) {
  lua_createtable(L, 0, 1);
  lua_getfield(L, -2, "close");
  lua_setfield(L, -2, "close");
}

/* Raises unless every endpoint's schema and every enum fit the lookups. */
static void check_schema(lua_State *L) {
  sc_owners o;
  o.n = 0;
  for (int i = 0; sc_enums[i] != NULL; i++) {
    if (sc_enums[i]->count > SC_LOOKUP_MAX) luaL_error(L, "scenario.core: enum too large");
    owners_add(&o, sc_enums[i]);
  }
  for (int i = 0; i < SC_NENDPOINTS; i++) {
    const sc_endpoint *ep = &sc_endpoints[i];
    if (path_params(ep) > SC_MAX_PARAMS)
      luaL_error(L, "scenario.core: %s has too many path parameters", ep->name);
    if (!schema_fits(ep->body, 0, &o) || !schema_fits(ep->query, 0, &o) ||
        !schema_fits(ep->response, 0, &o))
      luaL_error(L, "scenario.core: the schema of %s outgrows the lookups", ep->name);
    /* A URL holds scalars and lists of them: an object could not be sent. */
    for (int f = 0; ep->query != NULL && f < ep->query->nfields; f++) {
      sc_kind k = ep->query->fields[f].type->kind;
      if (k == SC_OBJECT || k == SC_MAP)
        luaL_error(L, "scenario.core: the query of %s has an object field", ep->name);
    }
    if (ep->query != NULL && ep->query->kind != SC_OBJECT)
      luaL_error(L, "scenario.core: the query of %s is not an object", ep->name);
  }
  if (o.n >= SC_OWNERS / 2) luaL_error(L, "scenario.core: too many schema objects for the lookup cache");
}

/* Pushes core.endpoints: for each endpoint, in the table's order, what the
 * Lua layer makes its methods from: {name, method, path, params = {...},
 * takes_body, idempotent, returns = "member" | "document" | "nothing",
 * member, summary, pages = {token, next, items, each} | nil, query =
 * {field names}, body = {field names} | nil}. */
static void push_endpoints(lua_State *L) {
  static const char *const returns[] = { "member", "document", "nothing" };
  lua_createtable(L, SC_NENDPOINTS, 0);
  for (int i = 0; i < SC_NENDPOINTS; i++) {
    const sc_endpoint *ep = &sc_endpoints[i];
    int np = path_params(ep);
    lua_createtable(L, 0, 12);
    lua_pushstring(L, ep->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, ep->method);
    lua_setfield(L, -2, "method");
    lua_pushstring(L, ep->path);
    lua_setfield(L, -2, "path");
    lua_createtable(L, np, 0);
    for (int k = 0; k < np; k++) {
      const char *name = "";
      size_t len = 0;
      path_param_name(ep, k, &name, &len);
      lua_pushlstring(L, name, len);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "params");
    lua_pushboolean(L, takes_body(ep));
    lua_setfield(L, -2, "takes_body");
    lua_pushboolean(L, ep->idempotent);
    lua_setfield(L, -2, "idempotent");
    lua_pushstring(L, returns[ep->returns]);
    lua_setfield(L, -2, "returns");
    if (ep->member != NULL) {
      lua_pushstring(L, ep->member);
      lua_setfield(L, -2, "member");
    }
    if (ep->fixed_body != NULL) {
      lua_pushstring(L, ep->fixed_body);
      lua_setfield(L, -2, "fixed_body");
    }
    lua_pushstring(L, ep->summary != NULL ? ep->summary : "");
    lua_setfield(L, -2, "summary");
    if (ep->pages.each != NULL) {
      lua_createtable(L, 0, 4);
      lua_pushstring(L, ep->pages.token);
      lua_setfield(L, -2, "token");
      lua_pushstring(L, ep->pages.next);
      lua_setfield(L, -2, "next");
      lua_pushstring(L, ep->pages.items);
      lua_setfield(L, -2, "items");
      lua_pushstring(L, ep->pages.each);
      lua_setfield(L, -2, "each");
      lua_setfield(L, -2, "pages");
    }
    for (int k = 0; k < 2; k++) {
      const sc_type *t = k == 0 ? ep->query : ep->body;
      if (t == NULL || t->kind != SC_OBJECT) continue;
      lua_createtable(L, t->nfields, 0);
      for (int f = 0; f < t->nfields; f++) {
        lua_pushstring(L, t->fields[f].name);
        lua_rawseti(L, -2, f + 1);
      }
      lua_setfield(L, -2, k == 0 ? "query" : "body");
    }
    lua_rawseti(L, -2, i + 1);
  }
}

LUALIB_API int luaopen_scenario_core(lua_State *L) {
  static int curl_ready = 0;
  check_schema(L);
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "scenario.core: curl_global_init failed");
    find_runtime_options();
    curl_ready = 1;
  }
  if (luaL_newmetatable(L, CLIENT_MT)) {
    luaL_setfuncs(L, client_methods, 0);
    /* The same function value, not a second closure: before 5.2 each
     * push of a C function makes a new one. */
    lua_getfield(L, -1, "close");
    lua_setfield(L, -2, "__close");
    push_methods(L);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "scenario.core.client");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, CALL_MT)) {
    luaL_setfuncs(L, call_methods, 0);
    lua_getfield(L, -1, "close");
    lua_setfield(L, -2, "__close");
    push_methods(L);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, CALL_MT);
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, ARRAY_MT)) {
    lua_pushliteral(L, ARRAY_MT);
    lua_setfield(L, -2, "__name");
    /* Shared by every marked table: getmetatable gives this name, and
     * setmetatable refuses, so that no one adds metamethods to all. */
    lua_pushliteral(L, ARRAY_MT);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, SCRATCH_MT)) {
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);

  lua_newtable(L);                     /* M */
  push_lookup_cache(L);                /* M cache */
  push_scratch(L);                     /* M cache scratch */
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -2);
  lua_pushnil(L);
  lua_pushcclosure(L, finish_protected, NUPVALUES); /* M cache scratch finish */
  for (const luaL_Reg *f = module_funcs; f->name; f++) {
    for (int k = 0; k < NUPVALUES; k++) lua_pushvalue(L, -NUPVALUES);
    lua_pushcclosure(L, f->func, NUPVALUES);
    lua_setfield(L, -(NUPVALUES + 2), f->name);
  }
  lua_pop(L, NUPVALUES);               /* M */
  push_enums(L);
  lua_setfield(L, -2, "enums");
  push_endpoints(L);
  lua_setfield(L, -2, "endpoints");
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  lua_pushliteral(L, SC_VERSION);
  lua_setfield(L, -2, "_VERSION");
  /* curl_version() would initialise libldap/libsasl globals it never frees. */
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, -2, "curl_version");
  /* 0xXXYYZZ, to compare: what the loaded libcurl can do is decided at run time. */
  lua_pushinteger(L, (lua_Integer)curl_version_info(CURLVERSION_NOW)->version_num);
  lua_setfield(L, -2, "curl_version_num");
  /* What the linked libcurl offers that the module uses when it can. */
  lua_createtable(L, 0, 1);
  lua_pushboolean(L, sc_forbid_retry_opt != 0);
  lua_setfield(L, -2, "forbid_retry_on_reuse");
  lua_setfield(L, -2, "features");
  /* The limits the core enforces, for the Lua layer to quote and to hold
   * what the server sends to (a pagination token): written once, here. */
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, SC_DEFAULT_MAX_BYTES);
  lua_setfield(L, -2, "default_max_bytes"); /* max_request_bytes and max_response_bytes */
  lua_pushinteger(L, SC_MAX_PARAM_BYTES);
  lua_setfield(L, -2, "max_param_bytes");
  lua_pushinteger(L, SC_MAX_URL_BYTES);
  lua_setfield(L, -2, "max_url_bytes");
  lua_setfield(L, -2, "limits");
  return 1;
}
