/*
 * The Lua face of the schema engines: validation and JSON encoding of a
 * request's tables (core.validate, core.encode), decoding a response
 * into tables (core.decode), JSON without a schema (core.to_json,
 * core.parse_json, core.array), and the schema, enums and endpoint table
 * as data for the Lua layer (core.schema, core.enums, core.endpoints).
 */
#ifndef SCENARIO_CODEC_C
#define SCENARIO_CODEC_C

#include "common.h"

#include <string.h>

#include "buf.c"
#include "decode.c"
#include "encode.c"
#include "endpoint_table.c"
#include "lookup.c"
#include "url.c"

/* The optional cap argument at arg, in bytes, or the default. */
static size_t opt_max_bytes(lua_State *L, int arg) {
  lua_Integer v;
  if (lua_isnoneornil(L, arg)) return (size_t)SC_DEFAULT_MAX_BYTES;
  v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v > 0, arg, "the cap must be a positive number of bytes");
  return (size_t)v;
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

/* core.schema() -> {{name, body, query, response, quote}, ...}: the types of
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
    const sc_type *types[4] = { ep->body, ep->query, ep->response, ep->quote };
    static const char *const roles[4] = { "body", "query", "response", "quote" };
    lua_createtable(L, 0, 5);
    lua_pushstring(L, ep->name);
    lua_setfield(L, -2, "name");
    for (int k = 0; k < 4; k++) {
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
  if (decode_response(L, ep, 2, !lenient, 0)) {
    if (lenient && !lua_isnil(L, -1)) return 2;
    lua_pop(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
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
        !schema_fits(ep->response, 0, &o) || !schema_fits(ep->quote, 0, &o))
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
 * member, fixed_body, quote = true (a dry run's 269 is read against its
 * own type) | nil, summary, pages = {token, next, items, each} | nil,
 * query = {field names}, body = {field names} | nil (none for a map)}. */
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
    if (ep->quote != NULL) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "quote");
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

/* Registers the codec's functions in the module at M, with the schema's
 * data: enums, endpoints and the null sentinel. */
static void codec_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "validate", l_validate },
    { "encode", l_encode },
    { "decode", l_decode },
    { "parse_json", l_parse_json },
    { "to_json", l_to_json },
    { "array", l_array },
    { "schema", l_schema },
    { NULL, NULL },
  };
  if (luaL_newmetatable(L, ARRAY_MT)) {
    lua_pushliteral(L, ARRAY_MT);
    lua_setfield(L, -2, "__name");
    /* Shared by every marked table: getmetatable gives this name, and
     * setmetatable refuses, so that no one adds metamethods to all. */
    lua_pushliteral(L, ARRAY_MT);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  sc_register(L, M, funcs);
  push_enums(L);
  lua_setfield(L, M, "enums");
  push_endpoints(L);
  lua_setfield(L, M, "endpoints");
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, M, "null");
}

#endif
