/*
 * The client handle (core.new): its options, the credentials it sends
 * and the secrets it redacts, its curl_multi handle, and the pool of easy
 * handles its calls take one from when they go on the wire.
 *
 * A client owns one curl_multi handle, so every call of a client shares
 * its connection cache, and any number of calls can be in flight. No
 * libcurl call runs while a Lua allocation could call back in:
 * finalisers that use the client in the middle of a call meet
 * consistent state.
 */
#ifndef SCENARIO_CLIENT_C
#define SCENARIO_CLIENT_C

#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base64.c"
#include "handles.h"
#include "redact.c"
#include "rounds.c"
#include "transport.c"

static const char *const proxy_env[SC_PROXY_SOURCES - 1] = {
  "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
};

/* A NUL-terminated copy of the n bytes at s, or NULL. */
static char *dup_bytes(const char *s, size_t n) {
  char *d = (char *)malloc(n + 1);
  if (d != NULL) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static char *dup_string(const char *s) {
  return dup_bytes(s, strlen(s));
}

/* Frees a secret after overwriting it. */
static void free_secret(char *s) {
  if (s == NULL) return;
  for (volatile char *p = s; *p; p++) *p = '\0';
  free(s);
}

/* The most handles the pool keeps; more are cleaned up. */
#define SC_POOL_MAX 256

/* Gives call an easy handle, from the pool when there is one: at its
 * first send (a queued call holds none). */
static const char *call_acquire(sc_client *c, sc_call *call) {
  const char *err;
  if (call->kind != NULL) {
    err = call->kind->acquire(c, call);
  } else if (c->npool > 0) {
    err = req_attach(&call->r, &c->pool[--c->npool]);
  } else {
    err = req_init(&call->r, &c->cfg);
  }
  if (err == NULL && curl_easy_setopt(call->r.easy, CURLOPT_PRIVATE, (void *)call) != CURLE_OK)
    err = "cannot set CURLOPT_PRIVATE";
  if (err != NULL) { /* a handle half made, or that refused an option: not to be pooled */
    sc_handle h;
    req_release(&call->r, &h);
    handle_free(&h);
    return err;
  }
  c->attached++;
  return NULL;
}

/* Gives the idle call's handle back to the client's pool (or frees it).
 * A handle made for a call of another kind never joins the pool: the next
 * API call would take it with that kind's options (sc_call_kind). */
static void call_release(sc_client *c, sc_call *call) {
  sc_handle h;
  if (call->r.easy == NULL) return;
  req_release(&call->r, &h);
  c->attached--;
  if (call->kind != NULL) {
    handle_free(&h);
    return;
  }
  if (c->npool == c->pool_cap && c->pool_cap < SC_POOL_MAX && !c->closed) {
    int cap = c->pool_cap ? 2 * c->pool_cap : 8;
    sc_handle *p = (sc_handle *)realloc(c->pool, (size_t)cap * sizeof *p);
    if (p != NULL) {
      c->pool = p;
      c->pool_cap = cap;
    }
  }
  if (c->npool < c->pool_cap && !c->closed) c->pool[c->npool++] = h;
  else handle_free(&h);
}

/* Takes call out of its client: out of the multi if running, out of the
 * list, and its handle back to the client as the spare. With free_now 0
 * (core.finish is still reading it) the buffers are left for finish. */
static void call_detach(sc_call *call, int free_now) {
  sc_client *c = call->client;
  if (c != NULL) {
    if (call->state == CALL_RUNNING) {
      curl_multi_remove_handle(c->multi, call->r.easy);
      c->in_multi--;
    }
    if (call->prev) call->prev->next = call->next;
    else c->calls = call->next;
    if (call->next) call->next->prev = call->prev;
    call->prev = call->next = NULL;
    call->client = NULL;
    if (free_now) call_release(c, call);
  }
  if (call->kind != NULL) call->kind->drop(call, free_now);
  if (free_now) {
    req_free(&call->r);
    call->kind = NULL;
  }
  call->state = CALL_CLOSED;
}

/* Makes the idle call of client c an API call again, if it was of another
 * kind, before it is loaded as one: its handle freed (the next send takes
 * one of the pool), what the kind kept dropped, the client's settings back. */
static void call_make_plain(sc_client *c, sc_call *call) {
  if (call->kind == NULL) return;
  call_release(c, call);
  call->kind->drop(call, 1);
  call->kind = NULL;
  req_config(&call->r, &c->cfg);
}

/* Idempotent; __close calls it too. Calls still open are closed with it
 * (their objects stay valid, as closed calls). base_url stays until the
 * handle is collected: a finaliser may close the client while a push is
 * still reading it (before 5.2, pushes collect before they copy). */
static int l_client_close(lua_State *L) {
  sc_client *c = (sc_client *)luaL_checkudata(L, 1, CLIENT_MT);
  if (!c->closed) {
    c->closed = 1;
    while (c->calls != NULL) call_detach(c->calls, !c->calls->busy);
    for (int i = 0; i < c->npool; i++) handle_free(&c->pool[i]);
    free(c->pool);
    c->pool = NULL;
    c->npool = c->pool_cap = 0;
    if (c->multi != NULL) curl_multi_cleanup(c->multi); /* closes sockets through c->socks */
    c->multi = NULL;
    ev_free(&c->ev);
    free(c->socks.v);
    memset(&c->socks, 0, sizeof c->socks);
    free(c->user);
    free_secret(c->password);
    free(c->user_agent);
    free(c->ca_file);
    free(c->ca_path);
    free_secret(c->proxy);
    c->user = c->password = c->user_agent = c->ca_file = c->ca_path = c->proxy = NULL;
    for (int i = 0; i < c->secrets.n; i++) free_secret(c->secrets.list[i].s);
    secrets_free_frontier(&c->secrets);
    memset(&c->secrets, 0, sizeof c->secrets);
    for (int i = 0; i < c->nproxy_auth; i++) free_secret(c->proxy_auth[i].s);
    c->nproxy_auth = 0;
  }
  return 0;
}

static int l_client_gc(lua_State *L) {
  sc_client *c = (sc_client *)luaL_checkudata(L, 1, CLIENT_MT);
  l_client_close(L);
  free(c->base_url);
  c->base_url = NULL;
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
  if (!(v > 0 && v <= SC_MAX_SECONDS))
    luaL_error(L, "core.new: option '%s' must be a number of seconds in (0, 1e6]", k);
  return v < 0.001 ? 1 : (long)(v * 1000);
}

/* A positive integer option, or dflt. */
static lua_Integer opt_count(lua_State *L, int t, const char *k, lua_Integer dflt) {
  lua_Integer v = dflt;
  lua_pushstring(L, k);
  lua_rawget(L, t);
  if (!lua_isnil(L, -1)) {
    int ok = 0;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok || v <= 0) luaL_error(L, "core.new: option '%s' must be a positive integer", k);
  }
  lua_pop(L, 1);
  return v;
}

/* Adds s to the values the client redacts. Returns 0 when memory runs
 * out. */
static int add_secret(sc_client *c, const char *s, size_t len) {
  char *copy;
  if (len < SC_SECRET_MIN || c->secrets.n == SC_SECRETS) return 1;
  copy = dup_bytes(s, len);
  if (copy == NULL) return 0;
  secrets_note(&c->secrets, copy, len);
  return 1;
}

/* The "user:pass" of a proxy URL (with or without a scheme), or NULL and
 * *len 0 when it has none: all before the last '@', as a password may
 * hold an '@' or a '/' that its owner did not escape. In a message
 * (in_text) the URL ends at a space or a quote; the client's own URLs
 * are read whole, for a password may hold those too. */
static const char *proxy_userinfo(const char *url, size_t *len, int in_text) {
  const char *start = strstr(url, "://"), *at = NULL;
  start = start != NULL ? start + 3 : url;
  for (const char *p = start; *p != '\0'; p++) {
    if (in_text && (*p == ' ' || *p == '\'' || *p == '"' || *p == '\n')) break;
    if (*p == '@') at = p;
  }
  *len = 0;
  if (at == NULL || at == start) return NULL;
  *len = (size_t)(at - start);
  return start;
}

/* Keeps the credentials of the proxy option and of the environment's
 * proxies, to take them out of libcurl's messages. Returns 0 when memory
 * runs out. */
static int collect_proxy_auth(sc_client *c) {
  for (int i = 0; i < SC_PROXY_SOURCES; i++) {
    const char *url = i == 0 ? c->proxy : getenv(proxy_env[i - 1]);
    size_t len;
    const char *ui = url != NULL ? proxy_userinfo(url, &len, 0) : NULL;
    if (ui == NULL) continue;
    c->proxy_auth[c->nproxy_auth].s = dup_bytes(ui, len);
    if (c->proxy_auth[c->nproxy_auth].s == NULL) return 0;
    c->proxy_auth[c->nproxy_auth++].len = len;
  }
  return 1;
}

/* The length of the longest proxy credential of c's at p, or 0. */
static size_t known_auth_at(const sc_client *c, const char *p) {
  size_t hit = 0;
  for (int i = 0; c != NULL && i < c->nproxy_auth; i++)
    if (hit < c->proxy_auth[i].len && strncmp(p, c->proxy_auth[i].s, c->proxy_auth[i].len) == 0)
      hit = c->proxy_auth[i].len;
  return hit;
}

/* Pushes libcurl's message text, with any proxy credentials in it (it
 * quotes a proxy URL it cannot use, whole) replaced by a marker: those
 * the client knows of, and any "scheme://user:pass@" it finds. */
static void push_curl_message(lua_State *L, const sc_client *c, const char *text) {
  luaL_Buffer b;
  const char *p = text;
  luaL_buffinit(L, &b);
  while (*p) {
    size_t hit = known_auth_at(c, p);
    if (hit == 0 && p[0] == ':' && p[1] == '/' && p[2] == '/') {
      size_t len;
      luaL_addlstring(&b, "://", 3);
      p += 3;
      /* A credential the client knows of runs further than the URL seems
       * to in a message: its password may hold a space or a quote. */
      hit = known_auth_at(c, p);
      if (hit == 0 && proxy_userinfo(p - 3, &len, 1) != NULL) hit = len;
      if (hit == 0) continue;
    }
    if (hit > 0) {
      luaL_addlstring(&b, "[redacted]", 10);
      p += hit;
    } else {
      luaL_addlstring(&b, p, 1);
      p++;
    }
  }
  luaL_pushresult(&b);
}

/* The Basic token libcurl sends (base64 of "user:password"), the key and
 * the secret, as values to redact. Returns 0 when memory runs out. */
static int collect_secrets(sc_client *c) {
  size_t ul = strlen(c->user), pl = strlen(c->password), n = ul + 1 + pl;
  char *plain = (char *)malloc(n), *token = (char *)malloc(b64_len(n) + 1);
  int ok = plain != NULL && token != NULL;
  if (ok) {
    size_t tl;
    memcpy(plain, c->user, ul);
    plain[ul] = ':';
    memcpy(plain + ul + 1, c->password, pl);
    tl = b64_encode((const unsigned char *)plain, n, token);
    ok = add_secret(c, token, tl) && add_secret(c, c->user, ul) && add_secret(c, c->password, pl);
    for (volatile char *p = plain; p < plain + n; p++) *p = '\0';
    for (volatile char *p = token; p < token + tl; p++) *p = '\0';
  }
  free(plain);
  free(token);
  return ok;
}

/* The http_version settings a client takes (or none: negotiated). */
static const char *const http_versions[] = { "1.1", "2", NULL };

static int known_http_version(const char *v) {
  for (int i = 0; http_versions[i] != NULL; i++)
    if (strcmp(v, http_versions[i]) == 0) return 1;
  return 0;
}

/* What http_version ("1.1", "2" or NULL) asks of libcurl for base
 * (CURLOPT_HTTP_VERSION). By default HTTP/2 where TLS negotiates it
 * (ALPN), and HTTP/1.1 over plain http. "2" over plain http is HTTP/2
 * with prior knowledge (h2c), for a server known to speak it. */
static long http_version_for(const char *base, const char *version) {
  static const char https[] = "https://";
  int tls = 1;
  for (int i = 0; tls && https[i] != '\0'; i++) {
    int ch = (unsigned char)base[i];
    if (ch >= 'A' && ch <= 'Z') ch += 'a' - 'A'; /* the scheme's case */
    tls = ch == https[i];
  }
  if (version != NULL && strcmp(version, "1.1") == 0) return CURL_HTTP_VERSION_1_1;
  if (version != NULL) return tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  return tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
}

/* core.http_version_for(base_url [, http_version]) -> the CURL_HTTP_VERSION_*
 * number core.new sets: the choice, for the specs, which cannot see it on a
 * libcurl that refuses some pairs before any transfer shows it. */
static int l_http_version_for(lua_State *L) {
  const char *base = luaL_checkstring(L, 1);
  const char *version = luaL_optstring(L, 2, NULL);
  if (version != NULL && !known_http_version(version))
    return luaL_argerror(L, 2, "\"1.1\" or \"2\" expected");
  lua_pushinteger(L, (lua_Integer)http_version_for(base, version));
  return 1;
}

/* core.new{base_url=, api_key=, api_secret=, timeout=, connect_timeout=,
 *          max_response_bytes=, max_request_bytes=, user_agent=, ca_file=,
 *          ca_path=, proxy=, http_version=, max_connections=, strict_responses=} -> handle */
static int l_client_new(lua_State *L) {
  sc_client *c;
  const char *base, *user, *password, *ua, *ca_file, *ca_path, *proxy, *version;
  size_t blen;
  char ua_default[160];
  lua_Integer maxb, max_req, max_conns;
  long timeout_ms, connect_ms;
  int strict;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  base = opt_string(L, 1, "base_url");
  if (base == NULL) return luaL_error(L, "core.new: option 'base_url' is required");
  user = opt_string(L, 1, "api_key");
  password = opt_string(L, 1, "api_secret");
  ua = opt_string(L, 1, "user_agent");
  if (ua == NULL) {
    (void)snprintf(ua_default, sizeof ua_default, "scenario-lua/%s libcurl/%s", SC_VERSION,
                   curl_version_info(CURLVERSION_NOW)->version);
    ua = ua_default;
  }
  ca_file = opt_string(L, 1, "ca_file");
  ca_path = opt_string(L, 1, "ca_path");
  proxy = opt_string(L, 1, "proxy");
  version = opt_string(L, 1, "http_version");
  if (version != NULL && !known_http_version(version))
    return luaL_error(L, "core.new: option 'http_version' must be \"1.1\" or \"2\"");
  timeout_ms = opt_millis(L, 1, "timeout", 60);
  connect_ms = opt_millis(L, 1, "connect_timeout", 10);
  maxb = opt_count(L, 1, "max_response_bytes", SC_DEFAULT_MAX_BYTES);
  max_req = opt_count(L, 1, "max_request_bytes", SC_DEFAULT_MAX_BYTES);
  max_conns = opt_count(L, 1, "max_connections", 0);
  lua_pushliteral(L, "strict_responses");
  lua_rawget(L, 1);
  strict = lua_toboolean(L, -1);
  lua_pop(L, 1);

  c = (sc_client *)lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, CLIENT_MT); /* from here __gc releases whatever is set */
  blen = strlen(base);
  while (blen > 0 && base[blen - 1] == '/') blen--;
  c->base_url = dup_bytes(base, blen);
  if (c->base_url == NULL) return luaL_error(L, "not enough memory");
  c->user_agent = dup_string(ua);
  if (c->user_agent == NULL) return luaL_error(L, "not enough memory");
  if (user != NULL) {
    c->user = dup_string(user);
    c->password = dup_string(password != NULL ? password : "");
    if (c->user == NULL || c->password == NULL || !collect_secrets(c))
      return luaL_error(L, "not enough memory");
  }
  if ((ca_file != NULL && (c->ca_file = dup_string(ca_file)) == NULL) ||
      (ca_path != NULL && (c->ca_path = dup_string(ca_path)) == NULL) ||
      (proxy != NULL && (c->proxy = dup_string(proxy)) == NULL) || !collect_proxy_auth(c))
    return luaL_error(L, "not enough memory");
  c->strict = strict;
  c->max_request_bytes = (size_t)max_req;
  c->cfg.user = c->user;
  c->cfg.password = c->password;
  c->cfg.user_agent = c->user_agent;
  c->cfg.ca_file = c->ca_file;
  c->cfg.ca_path = c->ca_path;
  c->cfg.proxy = c->proxy;
  c->cfg.socks = &c->socks;
  c->cfg.http_version = http_version_for(c->base_url, version);
  c->cfg.timeout_ms = timeout_ms;
  c->cfg.connect_timeout_ms = connect_ms;
  c->cfg.max_bytes = (size_t)maxb;
  c->multi = curl_multi_init();
  if (c->multi == NULL) return luaL_error(L, "core.new: curl_multi_init failed");
  /* Rounds by sockets only where no transfer can be HTTP/2: libcurl
   * 7.88 can leave a stream's data in the connection's buffer with no
   * socket to wake for it nor a timeout (its http2.c drains a paused
   * stream without Curl_expire), and 64 concurrent 200 KB answers over
   * h2 stalled now and then for a second. curl_multi_perform, which runs
   * every transfer each time, does not miss them. */
  c->by_sockets = c->cfg.http_version == CURL_HTTP_VERSION_1_1;
  if (c->by_sockets) ev_attach(c->multi, &c->ev);
  /* libcurl's default since 7.62, said so that an older one does it too. */
  (void)curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  /* Without it libcurl keeps four connections for each transfer still
   * added, so that as a burst over HTTP/1.1 ends, the connections it
   * opened are closed one by one, and the next burst makes them again
   * (TLS handshakes included). One for each slot is what is needed. */
  if (max_conns > 100000) max_conns = 100000;
  if (max_conns > 0) (void)curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)max_conns);
#if LIBCURL_VERSION_NUM >= 0x074300 /* 7.67 */
  /* libcurl puts at most 100 streams on an HTTP/2 connection of its own
   * accord, whatever the server allows: a burst of more than 100 (128
   * slots, say) would open a second connection for the rest. The
   * server's own limit still holds. */
  if (max_conns > 100) (void)curl_multi_setopt(c->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)max_conns);
#endif
  /* A handle made now checks the options, so a bad one fails here, and
   * the first call finds it ready. */
  {
    sc_request r;
    const char *err;
    memset(&r, 0, sizeof r);
    err = req_init(&r, &c->cfg);
    if (err == NULL) {
      c->pool = (sc_handle *)malloc(8 * sizeof *c->pool);
      if (c->pool == NULL) err = "not enough memory";
      else c->pool_cap = 8;
    }
    if (err != NULL) {
      req_free(&r);
      return luaL_error(L, "core.new: %s", err);
    }
    req_release(&r, &c->pool[c->npool++]);
    req_free(&r);
  }
  return 1;
}

/* core.handles(handle) -> attached, pooled, opened, handed: the easy
 * handles the client's calls hold, those in its pool, how many connections
 * (sockets) libcurl has opened for the client so far, and how many times
 * a round has handed libcurl a socket that was ready (rounds.c). */
static int l_client_handles(lua_State *L) {
  sc_client *c = check_client(L, 1);
  lua_pushinteger(L, c->attached);
  lua_pushinteger(L, c->npool);
  lua_pushinteger(L, (lua_Integer)c->socks.opened);
  lua_pushinteger(L, (lua_Integer)c->ev.handed);
  return 4;
}

/* core.redact(handle, text) -> text with every spelling of the client's
 * secrets replaced by the marker, as answers are (scrub): for what the Lua
 * layer writes itself, such as a recording. */
static int l_redact(lua_State *L) {
  sc_client *c = (sc_client *)luaL_checkudata(L, 1, CLIENT_MT);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  sc_buf b;
  memset(&b, 0, sizeof b);
  if (!buf_add(&b, s, len) || !scrub(&b, &c->secrets)) {
    buf_free(&b);
    return luaL_error(L, "not enough memory");
  }
  lua_pushlstring(L, b.data != NULL ? b.data : "", b.len);
  buf_free(&b);
  return 1;
}

static const luaL_Reg client_methods[] = {
  { "close", l_client_close },
  { "__gc", l_client_gc },
  { "__tostring", l_client_tostring },
  { NULL, NULL },
};

/* Registers the client's functions in the module at M, and its handle's
 * metatable. */
static void client_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "new", l_client_new },
    { "http_version_for", l_http_version_for },
    { "handles", l_client_handles },
    { "redact", l_redact },
    { NULL, NULL },
  };
  new_handle_mt(L, CLIENT_MT, client_methods);
  sc_register(L, M, funcs);
  sc_limit(L, M, "redacted_marker", SC_REDACTED);
  sc_limit_list(L, M, "http_versions", http_versions);
  sc_limit_int(L, M, "default_max_bytes", SC_DEFAULT_MAX_BYTES); /* max_request_bytes, max_response_bytes */
}

#endif
