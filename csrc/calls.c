/*
 * The client handle and its calls: the HTTP mechanism under the Lua
 * request objects (lua/scenario/request.lua).
 *
 * A client owns one curl_multi handle, so every call of a client shares
 * its connection cache, and any number of calls can be in flight. A call
 * goes idle -> running (in the multi) -> done (its result kept in C) ->
 * idle again when its result is taken, so that the same call, with the
 * same body, can be sent again for a retry. The blocking API is the same
 * machinery, waited on.
 *
 * No Lua code runs inside libcurl (see transport.c), and no libcurl call
 * runs while a Lua allocation could call back in: finalisers that use the
 * client in the middle of a call meet consistent state.
 */
#ifndef SCENARIO_CALLS_C
#define SCENARIO_CALLS_C

#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base64.c"
#include "decode.c"
#include "encode.c"
#include "endpoints.c"
#include "events.c"
#include "redact.c"
#include "transport.c"
#include "url.c"

#define CLIENT_MT "scenario.core.client"

#define CALL_MT "scenario.core.call"

enum { CALL_IDLE, CALL_RUNNING, CALL_DONE, CALL_CLOSED };

typedef struct sc_call sc_call;

/* The proxy option and the environment variables libcurl reads proxies
 * from: their credentials are kept out of libcurl's error messages, which
 * quote a proxy URL they cannot use. */
#define SC_PROXY_SOURCES 7
static const char *const proxy_env[SC_PROXY_SOURCES - 1] = {
  "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
};

typedef struct sc_client {
  CURLM *multi;
  sc_events ev;    /* the sockets and timeout that drive it (events.c), freed after the multi */
  int by_sockets;  /* ev drives the multi, rather than curl_multi_perform (see l_client_new) */
  int in_multi;    /* easy handles added to it: the transfers not done */
  sc_socks socks;  /* its connections' sockets (transport.c), freed after the multi */
  sc_config cfg;   /* its strings are the copies below */
  char *user, *password, *user_agent;
  char *ca_file, *ca_path, *proxy; /* proxy may hold credentials */
  char *base_url;  /* without a trailing '/' */
  sc_secrets secrets; /* what a server must never be seen to echo (redact.c) */
  sc_secret proxy_auth[SC_PROXY_SOURCES]; /* "user:pass" of each proxy it may use */
  int nproxy_auth;
  int strict;      /* shape problems in a 2xx are errors (strict_responses) */
  size_t max_request_bytes;
  sc_handle *pool;  /* easy handles no call holds, for the next to go on the wire */
  int npool, pool_cap;
  int attached;     /* easy handles calls hold */
  sc_call *calls;  /* the open calls, linked */
  int closed;
} sc_client;

struct sc_call {
  sc_request r;
  sc_client *client; /* NULL once closed */
  const sc_endpoint *ep; /* an entry of the table, or &raw */
  sc_endpoint raw;   /* a call of core.start_raw: its method, no schema */
  sc_call *prev, *next;
  int state;
  int busy;          /* in core.finish: a close meanwhile is deferred */
  int unloaded;      /* a reload failed: the body is partial, so not to be sent */
  int restarts;      /* stale connections refused in this attempt (collect_done) */
  CURLcode rc;
};

static sc_client *check_client(lua_State *L, int arg) {
  sc_client *c = (sc_client *)luaL_checkudata(L, arg, CLIENT_MT);
  if (c->closed) luaL_argerror(L, arg, "the client is closed");
  return c;
}

static sc_call *check_call(lua_State *L, int arg) {
  sc_call *call = (sc_call *)luaL_checkudata(L, arg, CALL_MT);
  if (call->state == CALL_CLOSED) luaL_argerror(L, arg, "the call is closed");
  return call;
}

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
  if (c->npool > 0) {
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

/* Gives the idle call's handle back to the client's pool (or frees it). */
static void call_release(sc_client *c, sc_call *call) {
  sc_handle h;
  if (call->r.easy == NULL) return;
  req_release(&call->r, &h);
  c->attached--;
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
  if (free_now) req_free(&call->r);
  call->state = CALL_CLOSED;
}

/* call:close(), also __gc and __close: idempotent. A call closed from a
 * finaliser while core.finish reads it is released when finish ends. */
static int l_call_close(lua_State *L) {
  sc_call *call = (sc_call *)luaL_checkudata(L, 1, CALL_MT);
  if (call->state != CALL_CLOSED || call->client != NULL) call_detach(call, !call->busy);
  return 0;
}

/* __gc: nothing can be reading a call the collector frees. */
static int l_call_gc(lua_State *L) {
  sc_call *call = (sc_call *)luaL_checkudata(L, 1, CALL_MT);
  call->busy = 0;
  call_detach(call, 1);
  return 0;
}

static const char *const call_states[] = { "idle", "running", "done", "closed" };

/* core.state(call) -> "idle" | "running" | "done" | "closed" */
static int l_call_state(lua_State *L) {
  sc_call *call = (sc_call *)luaL_checkudata(L, 1, CALL_MT);
  lua_pushstring(L, call_states[call->state]);
  return 1;
}

static int l_call_tostring(lua_State *L) {
  sc_call *call = (sc_call *)luaL_checkudata(L, 1, CALL_MT);
  lua_pushfstring(L, "scenario.core.call (%s, %s)", call->ep ? call->ep->name : "?",
                  call_states[call->state]);
  return 1;
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
  if (!(v > 0 && v <= 1e6))
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
 * *len 0 when it has none. */
static const char *proxy_userinfo(const char *url, size_t *len) {
  const char *start = strstr(url, "://"), *at;
  start = start != NULL ? start + 3 : url;
  at = strchr(start, '@');
  *len = 0;
  if (at == NULL || memchr(start, '/', (size_t)(at - start)) != NULL) return NULL;
  *len = (size_t)(at - start);
  return *len > 0 ? start : NULL;
}

/* Keeps the credentials of the proxy option and of the environment's
 * proxies, to take them out of libcurl's messages. Returns 0 when memory
 * runs out. */
static int collect_proxy_auth(sc_client *c) {
  for (int i = 0; i < SC_PROXY_SOURCES; i++) {
    const char *url = i == 0 ? c->proxy : getenv(proxy_env[i - 1]);
    size_t len;
    const char *ui = url != NULL ? proxy_userinfo(url, &len) : NULL;
    if (ui == NULL) continue;
    c->proxy_auth[c->nproxy_auth].s = dup_bytes(ui, len);
    if (c->proxy_auth[c->nproxy_auth].s == NULL) return 0;
    c->proxy_auth[c->nproxy_auth++].len = len;
  }
  return 1;
}

/* Pushes libcurl's message text, with any proxy credentials in it (it
 * quotes a proxy URL it cannot use, whole) replaced by a marker: those
 * the client knows of, and any "scheme://user:pass@" it finds. */
static void push_curl_message(lua_State *L, const sc_client *c, const char *text) {
  luaL_Buffer b;
  const char *p = text;
  luaL_buffinit(L, &b);
  while (*p) {
    size_t hit = 0;
    for (int i = 0; c != NULL && i < c->nproxy_auth; i++)
      if (hit < c->proxy_auth[i].len && strncmp(p, c->proxy_auth[i].s, c->proxy_auth[i].len) == 0)
        hit = c->proxy_auth[i].len;
    if (hit == 0 && p[0] == ':' && p[1] == '/' && p[2] == '/') {
      size_t len;
      const char *ui = proxy_userinfo(p, &len);
      if (ui != NULL) {
        luaL_addlstring(&b, "://", 3);
        p = ui;
        hit = len;
      }
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
  if (version != NULL && strcmp(version, "1.1") != 0 && strcmp(version, "2") != 0)
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
  if (version != NULL && strcmp(version, "1.1") != 0 && strcmp(version, "2") != 0)
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

/* ---- one exchange ------------------------------------------------------------ */

/* Whether rc says the server could not be trusted (its certificate, or
 * the CA bundle to check it with): trying again cannot help. */
static int tls_verify_failed(CURLcode rc) {
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return 1;
    default:
      return 0;
  }
}

/* Sets err.method and err.url (no credentials: base_url may not carry
 * any) on the error table on top. */
static void set_where(lua_State *L, const sc_request *r, const sc_endpoint *ep) {
  lua_pushstring(L, ep->method);
  lua_setfield(L, -2, "method");
  lua_pushlstring(L, r->url.data, r->url.len > 0 ? r->url.len - 1 : 0); /* less its NUL */
  lua_setfield(L, -2, "url");
}

/* Pushes the error for a transfer libcurl could not complete. */
static void push_transfer_error(lua_State *L, sc_request *r, const sc_client *c, CURLcode rc) {
  long sent = 0, status = 0;
  const char *kind = "connection";
  curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_createtable(L, 0, 9);
  if (r->nomem) {
    kind = "internal";
    lua_pushliteral(L, "not enough memory to receive the response");
  } else if (r->overflow) {
    kind = "invalid_response";
    char mt[24];
    lua_pushfstring(L, "the response is larger than max_response_bytes (%s bytes)",
                    int_text((lua_Integer)r->max_bytes, mt));
  } else if (r->head_overflow) {
    kind = "invalid_response";
    lua_pushfstring(L, "the response headers are larger than %d KiB",
                    (int)(SC_MAX_HEADER_BYTES / 1024));
  } else if (rc == CURLE_SEND_FAIL_REWIND || (rc == CURLE_ABORTED_BY_CALLBACK && r->resent)) {
    /* libcurl wanted to send it again on a new connection: refuse_seek,
     * or on_prereq for a request without a body */
    lua_pushliteral(L, "the connection was lost after the request went out, before any "
                       "answer; it was not sent again, since the server may have acted on it");
  } else {
    const char *text = r->errbuf != NULL && r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
    push_curl_message(L, c, text);
    if (tls_verify_failed(rc)) {
      lua_pushliteral(L, " (if a proxy inspects TLS, pass its CA certificate as ca_file)");
      lua_concat(L, 2);
      lua_pushboolean(L, 1);
      lua_setfield(L, -3, "certificate");
    } else if (status >= 200 && status < 300) {
      /* The server said it did it, then the answer broke off: the call
       * happened (a model was made), so this is no lost connection to be
       * tried again, but an answer that cannot be read. */
      char st[24];
      kind = "invalid_response";
      lua_pushfstring(L, "the answer (HTTP %s) broke off: ", int_text((lua_Integer)status, st));
      lua_insert(L, -2);
      lua_concat(L, 2);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      kind = "timeout";
    }
  }
  lua_setfield(L, -2, "message");
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  lua_pushinteger(L, (lua_Integer)rc);
  lua_setfield(L, -2, "curl_code");
  /* Whether the server may have acted on it: if not, even a call that is
   * not idempotent may be tried again. A request with a body cannot be
   * acted on before its body, so that counts, when it goes through
   * on_read; else any byte that left. */
  lua_pushboolean(L, r->resent || (r->once && r->body.len > 0 ? r->body_handed > 0 : sent > 0));
  lua_setfield(L, -2, "sent");
  if (status > 0) {
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
  }
}

/* Ends the walk of a call's arguments: with problems, pushes nil and the
 * validation error and returns 0; else drops the walk's two stack slots
 * (its problems and cache) and returns 1. */
static int walk_passed(lua_State *L, sc_walk *w) {
  if (w->nerr > 0) {
    lua_pushnil(L);
    push_problems(L, w, "validation");
    return 0;
  }
  lua_pop(L, 2);
  return 1;
}

/* Whether the URL built in u fits what a call may send; if not, pushes
 * nil and the validation error, as walk_passed does. */
static int url_fits(lua_State *L, const sc_buf *u) {
  sc_walk w;
  if (u->len - 1 <= SC_MAX_URL_BYTES) return 1;
  walk_begin(L, &w, NULL);
  check_url_length(&w, u);
  return walk_passed(L, &w);
}

/* Checks the path parameters (np of them from stack slot params), the
 * body (with pass-through extra) and the query against ep and, when they
 * pass, loads r with the URL and body of the exchange. Returns 1, or 0
 * with nil, err pushed. body, query and extra are stack indices or 0. */
static int call_check(lua_State *L, sc_request *r, const sc_client *c, const sc_endpoint *ep,
                      int body, int query, int extra, int params, int np) {
  sc_walk w;
  buf_reset(&r->body);
  walk_begin(L, &w, &r->body);
  w.max_bytes = c->max_request_bytes;
  check_path_params(&w, ep, params, np);
  if (takes_body(ep)) {
    walk_body(&w, ep, body, extra);
  } else if (ep->fixed_body != NULL && !buf_adds(&r->body, ep->fixed_body)) {
    luaL_error(L, "not enough memory");
  }
  r->has_body = ep->body != NULL || ep->fixed_body != NULL;
  r->untyped = 0;
  if (query && ep->query == NULL) {
    w.out = NULL;
    path_key(&w, "query", 5);
    walk_fail(&w, "%s takes no query", ep->name);
    path_pop(&w);
  } else if (query) {
    w.out = NULL;
    path_key(&w, "query", 5);
    if (lua_type(L, query) != LUA_TTABLE) {
      walk_fail(&w, "expected a table, got %s", describe(L, query));
    } else {
      check_object(&w, query, ep->query, 0);
      check_query_values(&w, ep->query, query);
    }
    path_pop(&w);
  }
  if (!walk_passed(L, &w)) return 0;
  build_url(L, &r->url, c->base_url, ep, params, query);
  return url_fits(L, &r->url);
}

/* Whether the NUL-terminated text s is empty or white space: a raw call's
 * 2xx without a document (a 204) returns true, as SC_RETURNS_NOTHING does. */
static int blank(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
  return 1;
}

/* Pushes what the finished exchange on r gave, and returns the count:
 * result, status, headers, raw body and the shape problems (nil if none);
 * or nil, err. Needs the module upvalues (for the decoder). A value of the
 * client's secrets that the server echoes is redacted first, wherever it
 * would reach: headers, body, the decoded result, the error. */
static int call_finish(lua_State *L, sc_request *r, const sc_client *c, const sc_endpoint *ep,
                       CURLcode rc) {
  long status = 0;
  if (rc != CURLE_OK) {
    lua_pushnil(L);
    push_transfer_error(L, r, c, rc);
    set_where(L, r, ep);
    return 2;
  }
  if (!scrub(&r->resp, &c->secrets) || !scrub(&r->head, &c->secrets))
    luaL_error(L, "not enough memory");
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_pushinteger(L, status);                      /* status */
  /* A success hands its header lines over as they came: most callers
   * never read them, and core.parse_headers makes the table of the
   * first who does. A failure's error carries the table. */
  if (status >= 200 && status < 300)
    lua_pushlstring(L, r->head.data != NULL ? r->head.data : "", r->head.len);
  else
    push_headers(L, r);                            /* status headers */
  lua_pushlstring(L, r->resp.data ? r->resp.data : "", r->resp.len);
  buf_reset(&r->resp);
  buf_reset(&r->head);                             /* status headers body */
  if (status >= 200 && status < 300 &&
      (ep->returns == SC_RETURNS_NOTHING || (ep->response == NULL && blank(lua_tostring(L, -1), lua_rawlen(L, -1))))) {
    /* Done, whatever the answer holds (often nothing at all). */
    lua_pushboolean(L, 1);
    lua_insert(L, -4);                             /* true status headers body */
    lua_pushnil(L);
    return 5;
  }
  if (status >= 200 && status < 300) {
    if (decode_response(L, ep, lua_gettop(L), c->strict)) {
      /* status headers body result problems */
      lua_insert(L, -5);                           /* problems status headers body result */
      lua_insert(L, -5);                           /* result problems status headers body */
      lua_pushvalue(L, -4);
      lua_remove(L, -5);                           /* result status headers body problems */
      return 5;
    }
  } else {
    lua_createtable(L, 0, 6);
    lua_pushliteral(L, "http");
    lua_setfield(L, -2, "kind");
  }
  /* status headers body err */
  set_where(L, r, ep);
  lua_insert(L, -4);
  lua_setfield(L, -4, "body");
  if (lua_type(L, -1) == LUA_TSTRING) { /* a 2xx that cannot be read: its error has the table */
    size_t hl;
    const char *h = lua_tolstring(L, -1, &hl);
    push_header_table(L, h, hl);
    lua_remove(L, -2);
  }
  lua_setfield(L, -3, "headers");
  lua_setfield(L, -2, "status");
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* The stack slot of core.start's call argument, and of its first path
 * parameter: core.start(handle, endpoint, body, query, extra, call,
 * params...). */
#define START_CALL 6
#define START_PARAMS 7

/* Checks core.start's path parameters, body, query and extra against ep
 * into the idle call of client c, and returns whether they passed (with
 * nil, err pushed if not). Raises if a finaliser closed the client
 * meanwhile. */
static int call_load(lua_State *L, sc_call *call, sc_client *c, const sc_endpoint *ep) {
  int ok;
  call->ep = ep;
  req_drop_options(&call->r); /* a reused call keeps nothing of its last exchange */
  /* The walk allocates, so a finaliser may close the client meanwhile:
   * busy keeps the buffers until the walk is over. The walk also writes
   * the body as it goes: until it passes, nothing may be sent. */
  call->unloaded = 1;
  call->busy = 1;
  ok = call_check(L, &call->r, c, ep, 3, opt_index(L, 4), opt_index(L, 5), START_PARAMS,
                  path_params(ep));
  call->busy = 0;
  if (call->state == CALL_CLOSED) {
    call_detach(call, 1);
    luaL_argerror(L, 1, "the client was closed during the call");
  }
  call->unloaded = !ok;
  return ok;
}

/* Loads the idle call at START_CALL, of client c, with a new exchange
 * (core.start with a call to reuse). */
static int restart(lua_State *L, sc_client *c, const sc_endpoint *ep) {
  sc_call *call = check_call(L, START_CALL);
  if (call->client != c) return luaL_argerror(L, START_CALL, "the call belongs to another client");
  if (call->state != CALL_IDLE || call->busy)
    return luaL_argerror(L, START_CALL, "the call is not idle");
  if (!call_load(L, call, c, ep)) return 2; /* ... nil err; idle, to be reloaded */
  lua_settop(L, START_CALL);
  return 1;
}

/* Makes an idle call of client c with an easy handle, into stack slot
 * slot (the client at slot 1), linked into the client's list. Raises if
 * the client is closed or no handle can be had. */
static sc_call *new_call(lua_State *L, sc_client *c, int slot) {
  sc_call *call = (sc_call *)lua_newuserdatauv(L, sizeof *call, 1); /* ... call */
  memset(call, 0, sizeof *call);
  call->state = CALL_CLOSED;
  luaL_setmetatable(L, CALL_MT); /* from here __gc releases whatever is set */
  lua_replace(L, slot);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, slot, 1); /* the client outlives its calls */
  /* Both allocated: a finaliser may have closed the client. */
  if (c->closed) luaL_argerror(L, 1, "the client is closed");
  req_config(&call->r, &c->cfg); /* the handle comes at the first send */
  call->client = c;
  call->state = CALL_IDLE;
  call->next = c->calls;
  if (c->calls) c->calls->prev = call;
  c->calls = call;
  return call;
}

/* core.start(handle, endpoint, body, query, extra, call, params...) -> call | nil, err
 * Checks the path parameters, body and query and, when they pass, makes
 * an idle call holding the exchange's URL and body; core.submit sends it.
 * Given an idle call of the same client (call), loads that one instead of
 * making one. body is ignored by an endpoint that takes none. */
static int l_start(lua_State *L) {
  sc_client *c = check_client(L, 1);
  const sc_endpoint *ep = check_endpoint(L, 2);
  sc_call *call;
  lua_settop(L, START_PARAMS - 1 + path_params(ep));
  if (!lua_isnil(L, START_CALL)) return restart(L, c, ep);
  call = new_call(L, c, START_CALL);
  if (!call_load(L, call, c, ep)) {
    call_detach(call, 1);        /* ... nil err */
    return 2;
  }
  lua_settop(L, START_CALL);
  return 1;
}

/* ---- calls outside the table (client:request) ------------------------------ */

/* The methods core.start_raw takes; POST and PATCH are not idempotent. */
static const char *const raw_methods[] = { "GET", "PUT", "DELETE", "POST", "PATCH", NULL };

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
  }
  memset(&call->raw, 0, sizeof call->raw);
  call->raw.name = "request";
  call->raw.method = raw_methods[m];
  call->raw.returns = SC_RETURNS_DOCUMENT;
  call->raw.idempotent = m < 3;
  call->ep = &call->raw;
  req_drop_options(&call->r);
  call->unloaded = 1;
  call->busy = 1;
  ok = raw_check(L, &call->r, c, path, plen, opt_index(L, 4), opt_index(L, 5), m != 0 && m != 2);
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

/* core.options(call, timeout, headers): this call's own timeout (seconds,
 * per attempt) and extra headers ({name = value}), until its next load.
 * nil leaves the client's. Raises on a header it cannot send. */
static int l_call_options(lua_State *L) {
  sc_call *call = check_call(L, 1);
  if (call->client == NULL || call->state != CALL_IDLE || call->busy)
    return luaL_argerror(L, 1, "the call is not idle");
  if (!lua_isnoneornil(L, 2)) {
    double t = luaL_checknumber(L, 2);
    if (!(t > 0 && t <= 1e6)) return luaL_argerror(L, 2, "a number of seconds in (0, 1e6]");
    call->r.call_timeout_ms = (long)ceil(t * 1000);
  }
  if (!lua_isnoneornil(L, 3)) {
    const char *lines[SC_MAX_CALL_HEADERS];
    int n = 0;
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    lua_newtable(L); /* 4: the lines, kept alive until libcurl has copied them */
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      size_t nlen, vlen;
      const char *name, *value;
      char lower[32];
      if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        return luaL_argerror(L, 3, "header names and values must be strings");
      name = lua_tolstring(L, -2, &nlen);
      value = lua_tolstring(L, -1, &vlen);
      if (!is_token(name, nlen)) return luaL_argerror(L, 3, "a header name must be a token");
      for (size_t i = 0; i < vlen; i++)
        if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
          return luaL_argerror(L, 3, "a header value must not hold a control character");
      if (nlen < sizeof lower) {
        for (size_t i = 0; i <= nlen; i++)
          lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
        for (int i = 0; reserved_headers[i] != NULL; i++)
          if (strcmp(lower, reserved_headers[i]) == 0)
            return luaL_argerror(L, 3, lua_pushfstring(L, "the header '%s' is the client's", name));
      }
      if (n == SC_MAX_CALL_HEADERS) return luaL_argerror(L, 3, "too many headers");
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

/* core.release(call): gives an idle call's easy handle back to its
 * client's pool, until its next send: a request waiting out a backoff,
 * or done, then holds none. */
static int l_call_release(lua_State *L) {
  sc_call *call = check_call(L, 1);
  if (call->client != NULL && call->state == CALL_IDLE && !call->busy) call_release(call->client, call);
  return 0;
}

/* core.handles(handle) -> attached, pooled, opened, handed: the easy
 * handles the client's calls hold, those in its pool, how many connections
 * (sockets) libcurl has opened for the client so far, and how many times
 * a round has handed libcurl a socket that was ready (events.c). */
static int l_client_handles(lua_State *L) {
  sc_client *c = check_client(L, 1);
  lua_pushinteger(L, c->attached);
  lua_pushinteger(L, c->npool);
  lua_pushinteger(L, (lua_Integer)c->socks.opened);
  lua_pushinteger(L, (lua_Integer)c->ev.handed);
  return 4;
}

/* core.submit(call) -> key | nil, message: sends an idle call (again,
 * for a retry); the key names it in what core.perform reports done. */
static int l_submit(lua_State *L) {
  sc_call *call = check_call(L, 1);
  sc_client *c = call->client;
  if (c == NULL || c->closed) return luaL_argerror(L, 1, "the client is closed");
  if (call->state != CALL_IDLE) return luaL_argerror(L, 1, "the call is not idle");
  if (call->unloaded) return luaL_argerror(L, 1, "the call's last reload failed; reload it");
  call->restarts = 0;
  if (call->r.easy == NULL) {
    const char *err = call_acquire(c, call);
    if (err != NULL) {
      lua_pushnil(L);
      lua_pushfstring(L, "libcurl could not start the transfer: %s", err);
      return 2;
    }
  }
  {
    /* A failure here is libcurl's, at run time (memory, an option it
     * refuses): a value for the request machine to end the request with. */
    const char *why = req_prepare(&call->r, call->ep->method, !call->ep->idempotent);
    CURLMcode mc = CURLM_OK;
    if (why == NULL && (mc = curl_multi_add_handle(c->multi, call->r.easy)) != CURLM_OK)
      why = curl_multi_strerror(mc);
    if (why != NULL) {
      lua_pushnil(L);
      lua_pushfstring(L, "libcurl could not start the transfer: %s", why);
      return 2;
    }
  }
  c->in_multi++;
  call->state = CALL_RUNNING;
  lua_pushlightuserdata(L, (void *)call); /* its key in core.perform's list */
  return 1;
}

/* How many connections with stale input in a row a transfer may refuse
 * before it fails: each refused one is closed, so this bounds the work
 * when many pooled connections went bad at once. */
#define SC_MAX_STALE 16

/* Marks the calls that libcurl reports finished, appending each one's key
 * (core.submit's) to the table at out if out is not 0; returns how many.
 * A transfer that on_prereq stopped before it sent anything (a stale
 * connection) starts again at once, on another connection: the request
 * has not been made, so this is not an attempt. */
static int collect_done(lua_State *L, sc_client *c, int out) {
  CURLMsg *m;
  int left, n = 0;
  while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
    CURL *easy = m->easy_handle;
    CURLcode rc = m->data.result;
    char *priv = NULL;
    if (m->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    if (rc == CURLE_OK) socks_note_done(&c->socks, easy);
    curl_multi_remove_handle(c->multi, easy); /* m is invalid from here */
    c->in_multi--;
    if (priv != NULL) {
      sc_call *call = (sc_call *)(void *)priv;
      if (rc == CURLE_ABORTED_BY_CALLBACK && call->r.stale && call->restarts < SC_MAX_STALE) {
        call->restarts++;
        if (req_prepare(&call->r, call->ep->method, !call->ep->idempotent) == NULL &&
            curl_multi_add_handle(c->multi, easy) == CURLM_OK) {
          c->in_multi++;
          continue;
        }
      }
      call->rc = rc;
      call->state = CALL_DONE;
      n++;
      if (out) { /* the call is done whatever this costs: a raise here loses only the news */
        lua_pushlightuserdata(L, (void *)call);
        lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
      }
    }
  }
  return n;
}

/* One look at the client's transfers, after waiting up to ms for one to
 * move. Returns 0, or -1 when libcurl fails. By sockets (events.c) where
 * the client's transfers cannot be HTTP/2, and until a socket goes
 * unwatched; else curl_multi_perform, which asks every transfer. */
static int drive_client(sc_client *c, int ms) {
  int running;
  if (c->by_sockets && !c->ev.lost) {
    ev_drive(c->multi, &c->ev, ms);
    if (!c->ev.lost) return 0;
    ms = 0; /* went astray: the sweep below catches up at once */
  }
  if (ms > 0) {
#if LIBCURL_VERSION_NUM >= 0x074200
    curl_multi_poll(c->multi, NULL, 0, ms, NULL);
#else
    curl_multi_wait(c->multi, NULL, 0, ms, NULL);
#endif
  }
  return curl_multi_perform(c->multi, &running) == CURLM_OK ? 0 : -1;
}

/* core.perform(handle [, wait [, done]]) -> running, finished
 * Moves every running call of the client forward without blocking; with
 * wait (seconds) and nothing finished yet, first waits up to that long
 * for network activity. The keys of the calls that finished are appended
 * to the table done, in the order they finished: a round then visits
 * those, not every call in flight. */
static int l_perform(lua_State *L) {
  sc_client *c = check_client(L, 1);
  double wait = luaL_optnumber(L, 2, 0);
  int done, out = 0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    out = 3;
  }
  lua_settop(L, 3);
  if (drive_client(c, 0) != 0) return luaL_error(L, "curl_multi_perform failed");
  done = collect_done(L, c, out);
  if (done == 0 && c->in_multi > 0 && wait > 0) {
    if (drive_client(c, wait >= 3600 ? 3600000 : (int)ceil(wait * 1000)) != 0)
      return luaL_error(L, "curl_multi_perform failed");
    done = collect_done(L, c, out);
  }
  lua_pushinteger(L, c->in_multi);
  lua_pushinteger(L, done);
  return 2;
}

/* call_finish for the call given as a light userdata, under lua_pcall
 * from l_finish; it has the module's upvalues. */
static int finish_protected(lua_State *L) {
  sc_call *call = (sc_call *)lua_touserdata(L, 1);
  if (call->client == NULL) {
    /* Closed by a finaliser as the call began (calling into C can run the
     * collector): what arrived is not for anyone now, and must not be
     * handed out, as the client's secrets are gone that would redact it. */
    lua_pushnil(L);
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "cancelled");
    lua_setfield(L, -2, "kind");
    lua_pushliteral(L, "the client was closed while the response was read");
    lua_setfield(L, -2, "message");
    return 2;
  }
  return call_finish(L, &call->r, call->client, call->ep, call->rc);
}

/* core.finish(call) -> result, status, header_lines, raw_body, problems | nil, err
 * Takes the result of a done call, which becomes idle. What call_finish
 * raises (running out of memory while decoding) is raised again once the
 * call is consistent: idle and reusable, or released if it was closed
 * meanwhile. */
static int l_finish(lua_State *L) {
  sc_call *call = check_call(L, 1);
  int failed;
  if (call->state != CALL_DONE) return luaL_argerror(L, 1, "the call is not done");
  lua_settop(L, 1);
  lua_pushvalue(L, UV_FINISH);
  lua_pushlightuserdata(L, call);
  call->state = CALL_IDLE;
  call->busy = 1;
  failed = lua_pcall(L, 1, LUA_MULTRET, 0) != 0;
  call->busy = 0;
  if (call->state == CALL_CLOSED) call_detach(call, 1); /* closed meanwhile */
  else buf_reset(&call->r.resp);
  if (failed) return lua_error(L);
  return lua_gettop(L) - 1;
}

/* core.sent(call) -> body | nil: the request body the call sends (for a
 * recording), or nil when it sends none. */
static int l_call_sent(lua_State *L) {
  sc_call *call = (sc_call *)luaL_checkudata(L, 1, CALL_MT);
  if (call->state == CALL_CLOSED || !call->r.has_body) return 0;
  lua_pushlstring(L, call->r.body.data != NULL ? call->r.body.data : "", call->r.body.len);
  return 1;
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

/* core.target(call) -> method, url: what the call sends, for log lines. */
static int l_call_target(lua_State *L) {
  sc_call *call = (sc_call *)luaL_checkudata(L, 1, CALL_MT);
  /* Asked for log lines, which may come after a finaliser closed the call:
   * nothing, rather than a raise. */
  if (call->state == CALL_CLOSED || call->ep == NULL || call->r.url.len == 0) return 0;
  lua_pushstring(L, call->ep->method);
  lua_pushlstring(L, call->r.url.data, call->r.url.len - 1);
  return 2;
}

#endif
