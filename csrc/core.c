/*
 * scenario.core: the mechanism under lua/scenario. Validation and JSON
 * encoding of request tables, normalisation of decoded responses, and
 * HTTP over libcurl. Retries, defaults and error objects are policy and
 * live in Lua.
 *
 * This file is the module's only translation unit: it includes the other
 * other csrc files so that every helper can stay static.
 */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "buf.c"
#include "base64.c"
#include "schema.h"
#include "schema_models.c"
#include "json.c"
#include "suggest.c"
#include "walk.c"
#include "lookup.c"
#include "check.c"
#include "decode.c"
#include "transport.c"

#define CLIENT_MT "scenario.core.client"
#define SCRATCH_MT "scenario.core.scratch"

/* Upvalues shared by the module's functions. */
#define UV_CACHE lua_upvalueindex(1)   /* field lookups (lookup.c) */
#define UV_SCRATCH lua_upvalueindex(2) /* an sc_scratch userdata for core.encode */
#define UV_FINISH lua_upvalueindex(3)  /* finish_protected (client.c), made once */
#define NUPVALUES 3

/* core.encode's buffer, one per state. A walk can allocate (the first
 * time it meets a type), an allocation can run a finalizer, and a
 * finalizer can call core.encode again: the inner call then takes a
 * buffer of its own rather than overwrite this one. */
typedef struct sc_scratch {
  sc_buf buf;
  int busy;
} sc_scratch;

static const sc_endpoint *check_endpoint(lua_State *L, int arg) {
  size_t len;
  const char *name = luaL_checklstring(L, arg, &len);
  for (int i = 0; i < SC_NENDPOINTS; i++)
    if (strlen(sc_endpoints[i].name) == len && memcmp(sc_endpoints[i].name, name, len) == 0)
      return &sc_endpoints[i];
  luaL_argerror(L, arg, lua_pushfstring(L, "unknown endpoint '%s'", name));
  return NULL;
}

/* Starts a walk: pushes its problems slot and the lookup cache (2 slots). */
static void walk_begin(lua_State *L, sc_walk *w, sc_buf *out) {
  walk_init(w, L, out);
  lua_pushvalue(L, UV_CACHE);
  w->cache = w->errslot + 1;
  w->lookups = lua_touserdata(L, w->cache);
}

/* Pushes {kind = kind, errors = problems, error_count = n}. */
static void push_problems(lua_State *L, sc_walk *w, const char *kind) {
  lua_createtable(L, 0, 4);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  walk_push_errors(w);
  lua_setfield(L, -2, "errors");
  lua_pushinteger(L, w->nerr);
  lua_setfield(L, -2, "error_count");
}

/* Walks body (and pass-through extra, 0 if none) against the endpoint's
 * body schema. A nil body stands for an empty one. */
static void walk_body(sc_walk *w, const sc_endpoint *ep, int body, int extra) {
  lua_State *L = w->L;
  int type = lua_type(L, body);
  if (type == LUA_TNONE || type == LUA_TNIL) {
    lua_newtable(L);
    lua_replace(L, body);
  } else if (type != LUA_TTABLE) {
    walk_fail(w, "the body must be a table, got %s", describe(L, body));
    return;
  }
  check_object(w, body, ep->body, extra);
  /* The last value may have passed the cap on its own. */
  if (!w->stopped && w->out != NULL && w->out->len > w->max_bytes) {
    w->values = w->max_bytes;
    walk_count(w);
  }
}

/* The optional cap argument at arg, in bytes, or the default. */
static size_t opt_max_bytes(lua_State *L, int arg) {
  lua_Integer v;
  if (lua_isnoneornil(L, arg)) return (size_t)SC_DEFAULT_MAX_BYTES;
  v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v > 0, arg, "the cap must be a positive number of bytes");
  return (size_t)v;
}

static int opt_extra(lua_State *L, int arg) {
  return lua_isnoneornil(L, arg) ? 0 : arg;
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

/* Walks body (2) and extra (3) against the endpoint at 1, writing the
 * JSON into a scratch buffer, under the cap at 4. Pushes the JSON (with
 * keep 0, true instead), or nil and the problems. */
static int encode_body(lua_State *L, int keep) {
  const sc_endpoint *ep = check_endpoint(L, 1);
  sc_scratch *s = (sc_scratch *)lua_touserdata(L, UV_SCRATCH);
  size_t max_bytes = opt_max_bytes(L, 4);
  sc_walk w;
  lua_settop(L, 3);
  if (s->busy) s = push_scratch(L); /* re-entered: see sc_scratch */
  /* Should the walk raise (out of memory), busy stays set and later calls
   * take the path above: slower, never wrong. */
  s->busy = 1;
  buf_reset(&s->buf);
  walk_begin(L, &w, &s->buf);
  w.max_bytes = max_bytes;
  walk_body(&w, ep, 2, opt_extra(L, 3));
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

/* core.validate(endpoint, body [, extra [, max_bytes]]) -> true | nil, problems
 * The same walk as core.encode, bytes written included, so that the two
 * always agree (on the cap on the size too). */
static int l_validate(lua_State *L) {
  return encode_body(L, 0);
}

/* core.encode(endpoint, body [, extra [, max_bytes]]) -> json | nil, problems */
static int l_encode(lua_State *L) {
  return encode_body(L, 1);
}

/* Parses the JSON string at idx, against t (NULL: no schema). Pushes the
 * walk's two slots, the lookups' names and, unless the JSON is broken or
 * a null, the value. Returns what rd_value does. */
static int read_json(lua_State *L, sc_walk *w, sc_reader *r, int idx, const sc_type *t) {
  size_t len;
  const char *json = lua_tolstring(L, idx, &len);
  int got;
  walk_begin(L, w, NULL);                    /* nil cache */
  memset(r, 0, sizeof *r);
  r->w = w;
  r->start = r->p = (const unsigned char *)json;
  r->end = r->start + len;
  lua_getiuservalue(L, w->cache, 1);         /* nil cache names */
  r->names = lua_gettop(L);
  rd_space(r);
  got = rd_value(r, t);                      /* nil cache names [value] */
  if (got != RD_BROKEN) {
    rd_space(r);
    if (r->p != r->end) got = rd_broken(r, "more data after the JSON value");
  }
  return got;
}

/* Pushes "<prefix>not valid JSON (<why> at byte <offset>)". */
static void push_syntax_error(lua_State *L, const sc_reader *r, const char *prefix) {
  char at[24];
  lua_pushfstring(L, "%snot valid JSON (%s at byte %s)", prefix, r->syntax,
                  int_text((lua_Integer)r->syntax_at, at));
}

/* Decodes the JSON string at idx against ep's response schema. Returns
 * 1 with the result and its shape problems (a table, or nil if there are
 * none) pushed, or 0 with an error table pushed. Shape problems (a
 * missing field, one of another type) are errors only when strict: a
 * server that drops or changes a documented field must not turn a
 * success into a failure, which the caller would retry, making a second
 * model. The result is then what the document holds, as decoded: the
 * member asked for, or an empty table where it is missing or not an
 * object. Broken JSON and invalid UTF-8 are always errors. Needs the
 * module upvalues. */
static int decode_response(lua_State *L, const sc_endpoint *ep, int idx, int strict) {
  int base = lua_gettop(L), got;
  sc_walk w;
  sc_reader r;
  got = read_json(L, &w, &r, idx, ep->response); /* nil cache names [document] */
  if (got == RD_BROKEN) {
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "invalid_response");
    lua_setfield(L, -2, "kind");
    push_syntax_error(L, &r, "the response is ");
    lua_setfield(L, -2, "message");
  } else if (w.nerr > 0 && (strict || w.fatal > 0)) {
    push_problems(L, &w, "invalid_response");
    if (w.fatal > 0) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "utf8");
    }
  } else {
    if (got == RD_VALUE && lua_type(L, -1) == LUA_TTABLE) {
      lua_pushstring(L, ep->result_key);
      lua_rawget(L, -2);                     /* nil cache names document result */
    } else {
      lua_pushnil(L);
    }
    /* Missing, or not an object: reported, and {} stands in, so that the
     * caller's `if not model` never reads a success as a failure. */
    if (lua_type(L, -1) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_newtable(L);
    }
    walk_push_errors(&w);                    /* ... result problems|nil */
    lua_replace(L, base + 2);
    lua_replace(L, base + 1);
    lua_settop(L, base + 2);
    return 1;
  }
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
  return 0;
}

/* core.parse_json(text) -> value | nil, message
 * Any JSON value, read as the decoder reads data it has no schema for:
 * members that are null are absent, a null elsewhere is core.null. For
 * the Lua layer's error bodies, so it needs no JSON module of its own. */
static int l_parse_json(lua_State *L) {
  sc_walk w;
  sc_reader r;
  int got;
  luaL_checktype(L, 1, LUA_TSTRING);
  lua_settop(L, 1);
  got = read_json(L, &w, &r, 1, NULL);       /* text nil cache names [value] */
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

#include "client.c"

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

/* core.now() -> seconds on a monotonic clock, for durations */
static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
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
  { "validate", l_validate },
  { "encode", l_encode },
  { "decode", l_decode },
  { "parse_json", l_parse_json },
  { "sleep", l_sleep },
  { "now", l_now },
  { "parse_http_date", l_parse_http_date },
  { "suggest", l_suggest },
  { "start", l_start },
  { "submit", l_submit },
  { "perform", l_perform },
  { "finish", l_finish },
  { "state", l_call_state },
  { "target", l_call_target },
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
  int owners = 0;
  for (int i = 0; sc_enums[i] != NULL; i++) {
    if (sc_enums[i]->count > SC_LOOKUP_MAX) luaL_error(L, "scenario.core: enum too large");
    owners++;
  }
  for (int i = 0; i < SC_NENDPOINTS; i++) {
    const sc_endpoint *ep = &sc_endpoints[i];
    if (!schema_fits(ep->body, 0, &owners) || !schema_fits(ep->query, 0, &owners) ||
        !schema_fits(ep->response, 0, &owners))
      luaL_error(L, "scenario.core: the schema of %s outgrows the lookups", ep->name);
  }
  if (owners >= SC_OWNERS / 2) luaL_error(L, "scenario.core: too many schema objects for the lookup cache");
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
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  lua_pushliteral(L, SC_VERSION);
  lua_setfield(L, -2, "_VERSION");
  /* curl_version() would initialise libldap/libsasl globals it never frees. */
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, -2, "curl_version");
  /* What the linked libcurl offers that the module uses when it can. */
  lua_createtable(L, 0, 1);
  lua_pushboolean(L, sc_forbid_retry_opt != 0);
  lua_setfield(L, -2, "forbid_retry_on_reuse");
  lua_setfield(L, -2, "features");
  return 1;
}
