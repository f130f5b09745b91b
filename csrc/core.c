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
#include "schema.h"
#include "schema_models.c"
#include "json.c"
#include "suggest.c"
#include "walk.c"
#include "lookup.c"
#include "check.c"
#include "normalize.c"
#include "transport.c"

#define CLIENT_MT "scenario.core.client"
#define SCRATCH_MT "scenario.core.scratch"

/* Upvalues shared by the module's functions. */
#define UV_DECODE lua_upvalueindex(1)  /* decode of a private cjson instance */
#define UV_CACHE lua_upvalueindex(2)   /* field lookups (lookup.c) */
#define UV_SCRATCH lua_upvalueindex(3) /* an sc_scratch userdata for core.encode */
#define NUPVALUES 3

typedef struct sc_client {
  sc_request req;
  char *base_url; /* without a trailing '/' */
  int closed;
  int busy; /* in a call: see l_call */
} sc_client;

/* core.encode's buffer, one per state. A walk can allocate (the first
 * time it meets a type), an allocation can run a finalizer, and a
 * finalizer can call core.encode again: the inner call then takes a
 * buffer of its own rather than overwrite this one. */
typedef struct sc_scratch {
  sc_buf buf;
  int busy;
} sc_scratch;

static const sc_endpoint *check_endpoint(lua_State *L, int arg) {
  const char *name = luaL_checkstring(L, arg);
  for (int i = 0; i < SC_NENDPOINTS; i++)
    if (strcmp(sc_endpoints[i].name, name) == 0) return &sc_endpoints[i];
  luaL_argerror(L, arg, lua_pushfstring(L, "unknown endpoint '%s'", name));
  return NULL;
}

/* Starts a walk: pushes its problems slot and the lookup cache (2 slots). */
static void walk_begin(lua_State *L, sc_walk *w, sc_buf *out) {
  walk_init(w, L, out);
  lua_pushvalue(L, UV_CACHE);
  w->cache = lua_gettop(L);
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
  if (lua_isnoneornil(L, body)) {
    lua_newtable(L);
    lua_replace(L, body);
  }
  if (lua_type(L, body) != LUA_TTABLE) {
    walk_fail(w, "the body must be a table, got %s", describe(L, body));
    return;
  }
  check_object(w, body, ep->body, extra);
}

static int opt_extra(lua_State *L, int arg) {
  return lua_isnoneornil(L, arg) ? 0 : arg;
}

/* core.validate(endpoint, body [, extra]) -> true | nil, problems */
static int l_validate(lua_State *L) {
  const sc_endpoint *ep = check_endpoint(L, 1);
  sc_walk w;
  lua_settop(L, 3);
  walk_begin(L, &w, NULL);
  walk_body(&w, ep, 2, opt_extra(L, 3));
  if (w.nerr == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  push_problems(L, &w, "validation");
  return 2;
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

/* core.encode(endpoint, body [, extra]) -> json | nil, problems */
static int l_encode(lua_State *L) {
  const sc_endpoint *ep = check_endpoint(L, 1);
  sc_scratch *s = (sc_scratch *)lua_touserdata(L, UV_SCRATCH);
  sc_walk w;
  lua_settop(L, 3);
  if (s->busy) s = push_scratch(L); /* re-entered: see sc_scratch */
  /* Should the walk raise (out of memory), busy stays set and later calls
   * take the path above: slower, never wrong. */
  s->busy = 1;
  buf_reset(&s->buf);
  walk_begin(L, &w, &s->buf);
  walk_body(&w, ep, 2, opt_extra(L, 3));
  if (w.nerr > 0) {
    s->busy = 0;
    lua_pushnil(L);
    push_problems(L, &w, "validation");
    return 2;
  }
  /* Still busy while the result is copied out: before 5.2 the push runs
   * the collector, and so finalisers, before it copies the bytes. */
  lua_pushlstring(L, s->buf.data, s->buf.len);
  buf_reset(&s->buf); /* a large body is not kept until the next call */
  s->busy = 0;
  return 1;
}

/* Decodes the JSON string at idx and normalises it against ep's response
 * schema. Returns 1 with the result member pushed, or 0 with an error
 * table pushed. Needs the module upvalues. */
static int decode_response(lua_State *L, const sc_endpoint *ep, int idx) {
  int base = lua_gettop(L), ok;
  sc_walk w;
  lua_pushvalue(L, UV_DECODE);
  lua_pushvalue(L, idx);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) { /* message */
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "invalid_response");
    lua_setfield(L, -2, "kind");
    lua_pushfstring(L, "the response is not valid JSON (%s)",
                    lua_isstring(L, -2) ? lua_tostring(L, -2) : "?");
    lua_setfield(L, -2, "message");
    lua_remove(L, -2);
    return 0;
  }
  /* decoded */
  walk_begin(L, &w, NULL);               /* decoded nil cache */
  {
    size_t len, chars;
    long nul;
    const char *raw = lua_tolstring(L, idx, &len);
    w.check_utf8 = utf8_scan(raw, len, &chars, &nul) >= 0;
  }
  {
    lua_Integer unused;
    norm_value(&w, w.errslot - 1, lua_type(L, w.errslot - 1), ep->response, &unused);
  }
  ok = w.nerr == 0;
  if (ok) {
    lua_pushstring(L, ep->result_key);
    lua_rawget(L, w.errslot - 1);        /* decoded nil cache result */
  } else {
    push_problems(L, &w, "invalid_response"); /* decoded nil cache err */
  }
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
  return ok;
}

/* core.decode(endpoint, json) -> result | nil, err */
static int l_decode(lua_State *L) {
  const sc_endpoint *ep = check_endpoint(L, 1);
  luaL_checktype(L, 2, LUA_TSTRING);
  lua_settop(L, 2);
  if (decode_response(L, ep, 2)) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* ---- client handle ------------------------------------------------------- */

static sc_client *check_client(lua_State *L, int arg) {
  sc_client *c = (sc_client *)luaL_checkudata(L, arg, CLIENT_MT);
  if (c->closed) luaL_argerror(L, arg, "the client is closed");
  return c;
}

/* Idempotent; __gc and __close call it too. */
static int l_client_close(lua_State *L) {
  sc_client *c = (sc_client *)luaL_checkudata(L, 1, CLIENT_MT);
  if (!c->closed) {
    c->closed = 1;
    req_free(&c->req);
    free(c->base_url);
    c->base_url = NULL;
  }
  return 0;
}

static int l_client_tostring(lua_State *L) {
  sc_client *c = (sc_client *)luaL_checkudata(L, 1, CLIENT_MT);
  if (c->closed) lua_pushliteral(L, "scenario.core.client (closed)");
  else lua_pushfstring(L, "scenario.core.client (%s)", c->base_url);
  return 1;
}

/* Options are read raw and left on the stack, so the strings stay alive
 * until l_client_new returns whatever the table does meanwhile. */
static const char *opt_string(lua_State *L, int t, const char *k) {
  lua_pushstring(L, k);
  if (lua_rawget(L, t) == LUA_TNIL) return NULL;
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "core.new: option '%s' must be a string", k);
  return lua_tostring(L, -1);
}

/* Seconds as whole milliseconds: at least 1 (0 would mean "never" to
 * libcurl) and at most 10^6 s, so the count fits a 32-bit long. */
static long opt_millis(lua_State *L, int t, const char *k, double dflt) {
  double v = dflt;
  lua_pushstring(L, k);
  if (lua_rawget(L, t) != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER)
      luaL_error(L, "core.new: option '%s' must be a number", k);
    v = (double)lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  if (!(v > 0 && v <= 1e6))
    luaL_error(L, "core.new: option '%s' must be a number of seconds in (0, 1e6]", k);
  return v < 0.001 ? 1 : (long)(v * 1000);
}

/* core.new{base_url=, api_key=, api_secret=, timeout=, connect_timeout=,
 *          max_response_bytes=, user_agent=} -> handle */
static int l_client_new(lua_State *L) {
  sc_client *c;
  sc_config cfg;
  const char *base, *err;
  size_t blen;
  char ua[160];
  lua_Integer maxb = (lua_Integer)16 * 1024 * 1024;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  base = opt_string(L, 1, "base_url");
  if (base == NULL) return luaL_error(L, "core.new: option 'base_url' is required");
  cfg.user = opt_string(L, 1, "api_key");
  cfg.password = opt_string(L, 1, "api_secret");
  cfg.user_agent = opt_string(L, 1, "user_agent");
  if (cfg.user_agent == NULL) {
    (void)snprintf(ua, sizeof ua, "scenario-lua/%s libcurl/%s", SC_VERSION,
             curl_version_info(CURLVERSION_NOW)->version);
    cfg.user_agent = ua;
  }
  cfg.timeout_ms = opt_millis(L, 1, "timeout", 60);
  cfg.connect_timeout_ms = opt_millis(L, 1, "connect_timeout", 10);
  lua_pushliteral(L, "max_response_bytes");
  lua_rawget(L, 1);
  if (!lua_isnil(L, -1)) {
    int ok = 0;
    maxb = lua_tointegerx(L, -1, &ok);
    if (!ok || maxb <= 0)
      luaL_error(L, "core.new: option 'max_response_bytes' must be a positive integer");
  }
  lua_pop(L, 1);
  cfg.max_bytes = (size_t)maxb;

  c = (sc_client *)lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, CLIENT_MT); /* from here __gc releases whatever is set */
  blen = strlen(base);
  while (blen > 0 && base[blen - 1] == '/') blen--;
  c->base_url = (char *)malloc(blen + 1);
  if (c->base_url == NULL) return luaL_error(L, "not enough memory");
  memcpy(c->base_url, base, blen);
  c->base_url[blen] = '\0';
  err = req_init(&c->req, &cfg);
  if (err != NULL) return luaL_error(L, "core.new: %s", err);
  return 1;
}

/* ---- one exchange ------------------------------------------------------------ */

static int url_put_escaped(sc_buf *b, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    int plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';
    if (plain) {
      if (!buf_addc(b, (char)ch)) return 0;
    } else {
      char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
      if (!buf_add(b, e, 3)) return 0;
    }
  }
  return 1;
}

/* Writes base_url, the endpoint path and the query (already checked) into
 * the request's URL buffer, NUL-terminated. */
static void build_url(lua_State *L, sc_request *r, const char *base_url,
                      const sc_endpoint *ep, int query) {
  sc_buf *u = &r->url;
  int ok = 1;
  char sep = '?';
  buf_reset(u);
  ok = buf_adds(u, base_url) && buf_adds(u, ep->path);
  for (int i = 0; ok && query && i < ep->query->nfields; i++) {
    const sc_field *f = &ep->query->fields[i];
    lua_pushstring(L, f->name);
    if (lua_rawget(L, query) == LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    ok = buf_addc(u, sep) && buf_adds(u, f->name) && buf_addc(u, '=');
    sep = '&';
    if (lua_type(L, -1) == LUA_TBOOLEAN) {
      ok = ok && buf_adds(u, lua_toboolean(L, -1) ? "true" : "false");
    } else {
      size_t len;
      const char *v = lua_tolstring(L, -1, &len); /* a string or a number */
      ok = ok && url_put_escaped(u, v, len);
    }
    lua_pop(L, 1);
  }
  if (!ok || !buf_addc(u, '\0')) luaL_error(L, "not enough memory");
}

/* Pushes the error for a transfer libcurl could not complete. */
static void push_transfer_error(lua_State *L, sc_request *r, CURLcode rc) {
  long sent = 0, status = 0;
  const char *kind = "connection";
  curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_createtable(L, 0, 6);
  if (r->overflow) {
    kind = "invalid_response";
    char mt[24];
    lua_pushfstring(L, "the response is larger than max_response_bytes (%s bytes)",
                    int_text((lua_Integer)r->max_bytes, mt));
  } else if (r->head_overflow) {
    kind = "invalid_response";
    lua_pushfstring(L, "the response headers are larger than %d KiB",
                    (int)(SC_MAX_HEADER_BYTES / 1024));
  } else {
    if (rc == CURLE_OPERATION_TIMEDOUT) kind = "timeout";
    lua_pushstring(L, r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
  }
  lua_setfield(L, -2, "message");
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  lua_pushinteger(L, (lua_Integer)rc);
  lua_setfield(L, -2, "curl_code");
  /* Whether any request bytes left this host: if none, the server cannot
   * have acted on it, and even a non-idempotent call may be retried. */
  lua_pushboolean(L, sent > 0);
  lua_setfield(L, -2, "sent");
  if (status > 0) {
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
  }
}

/* Checks body (and pass-through extra) and query against ep and, when
 * they pass, loads r with the URL and JSON of the exchange. Returns 1, or
 * 0 with nil, err pushed. query and extra are stack indices or 0. */
static int call_start(lua_State *L, sc_request *r, const char *base_url,
                      const sc_endpoint *ep, int body, int query, int extra) {
  sc_walk w;
  buf_reset(&r->body);
  walk_begin(L, &w, &r->body);
  walk_body(&w, ep, body, extra);
  if (query) {
    w.out = NULL;
    path_key(&w, "query", 5);
    if (lua_type(L, query) != LUA_TTABLE)
      walk_fail(&w, "expected a table, got %s", describe(L, query));
    else
      check_object(&w, query, ep->query, 0);
    path_pop(&w);
  }
  if (w.nerr > 0) {
    lua_pushnil(L);
    push_problems(L, &w, "validation");
    return 0;
  }
  lua_pop(L, 2); /* the walk's problems slot and cache */
  build_url(L, r, base_url, ep, query);
  if (req_prepare(r, ep->method) != NULL) luaL_error(L, "cannot prepare the request");
  return 1;
}

/* Pushes what the finished exchange on r gave, and returns the count:
 * result, status, headers, raw body; or nil, err. Needs the module
 * upvalues (for the decoder). */
static int call_finish(lua_State *L, sc_request *r, const sc_endpoint *ep, CURLcode rc) {
  long status = 0;
  if (r->nomem) luaL_error(L, "not enough memory");
  if (rc != CURLE_OK) {
    lua_pushnil(L);
    push_transfer_error(L, r, rc);
    return 2;
  }
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_pushinteger(L, status);                      /* status */
  push_headers(L, r);                              /* status headers */
  lua_pushlstring(L, r->resp.data ? r->resp.data : "", r->resp.len);
  buf_reset(&r->resp);
  buf_reset(&r->head);                             /* status headers body */
  if (status >= 200 && status < 300) {
    if (decode_response(L, ep, lua_gettop(L))) {   /* status headers body result */
      lua_insert(L, -4);                           /* result status headers body */
      return 4;
    }
  } else {
    lua_createtable(L, 0, 4);
    lua_pushliteral(L, "http");
    lua_setfield(L, -2, "kind");
  }
  /* status headers body err */
  lua_insert(L, -4);
  lua_setfield(L, -4, "body");
  lua_setfield(L, -3, "headers");
  lua_setfield(L, -2, "status");
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* core.<endpoint>(handle, body, query, extra)
 *   -> result, status, headers, raw_body | nil, err
 * One validated exchange. curl_easy_perform is the only blocking step: a
 * curl_multi handle can drive r->easy between call_start and call_finish
 * instead. */
static int l_call(lua_State *L) {
  const sc_endpoint *ep = (const sc_endpoint *)lua_touserdata(L, lua_upvalueindex(NUPVALUES + 1));
  sc_client *c = check_client(L, 1);
  int n;
  lua_settop(L, 4);
  /* A finalizer run by an allocation during this call must not reuse the
   * handle and its buffers. If this call raises, busy stays set and the
   * handle refuses further calls: a memory error leaves it unusable. */
  if (c->busy) luaL_argerror(L, 1, "the client is in use (called again from a finalizer?)");
  c->busy = 1;
  if (!call_start(L, &c->req, c->base_url, ep, 2, lua_isnil(L, 3) ? 0 : 3, opt_extra(L, 4))) {
    c->busy = 0;
    return 2;
  }
  n = call_finish(L, &c->req, ep, curl_easy_perform(c->req.easy));
  buf_reset(&c->req.body); /* a large body is not kept until the next call */
  c->busy = 0;
  return n;
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

/* Pushes the decode function of a private lua-cjson instance, so settings
 * made by the host on the shared cjson module do not change our parsing. */
static void push_decoder(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cjson");
  lua_call(L, 1, 1);                   /* cjson */
  lua_getfield(L, -1, "new");
  lua_call(L, 0, 1);                   /* cjson inst */
  lua_getfield(L, -1, "decode_invalid_numbers");
  lua_pushboolean(L, 0);               /* no NaN, Infinity or hex */
  lua_call(L, 1, 0);
  lua_getfield(L, -1, "decode_max_depth");
  lua_pushinteger(L, SC_JSON_MAX_DEPTH);
  lua_call(L, 1, 0);
  lua_getfield(L, -1, "decode");       /* cjson inst decode */
  lua_replace(L, -3);
  lua_pop(L, 1);
}

static const luaL_Reg client_methods[] = {
  { "close", l_client_close },
  { "__tostring", l_client_tostring },
  { NULL, NULL },
};

static const luaL_Reg module_funcs[] = {
  { "new", l_client_new },
  { "validate", l_validate },
  { "encode", l_encode },
  { "decode", l_decode },
  { "sleep", l_sleep },
  { "now", l_now },
  { "parse_http_date", l_parse_http_date },
  { "suggest", l_suggest },
  { NULL, NULL },
};

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
    curl_ready = 1;
  }
  if (luaL_newmetatable(L, CLIENT_MT)) {
    luaL_setfuncs(L, client_methods, 0);
    /* The same function value, not a second closure: before 5.2 each
     * push of a C function makes a new one. */
    lua_getfield(L, -1, "close");
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__gc");
    lua_setfield(L, -2, "__close");
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "scenario.core.client");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, SCRATCH_MT)) {
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);

  lua_newtable(L);                     /* M */
  push_decoder(L);                     /* M decode */
  push_lookup_cache(L);                /* M decode cache */
  push_scratch(L);                     /* M decode cache scratch */
  for (const luaL_Reg *f = module_funcs; f->name; f++) {
    for (int k = 0; k < NUPVALUES; k++) lua_pushvalue(L, -NUPVALUES);
    lua_pushcclosure(L, f->func, NUPVALUES);
    lua_setfield(L, -(NUPVALUES + 2), f->name);
  }
  for (int i = 0; i < SC_NENDPOINTS; i++) {
    for (int k = 0; k < NUPVALUES; k++) lua_pushvalue(L, -NUPVALUES);
    lua_pushlightuserdata(L, (void *)&sc_endpoints[i]);
    lua_pushcclosure(L, l_call, NUPVALUES + 1);
    lua_setfield(L, -(NUPVALUES + 2), sc_endpoints[i].name);
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
  return 1;
}
