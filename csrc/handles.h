/*
 * The two handles the core gives the Lua layer: a client (one curl_multi
 * handle, its connections, options, secrets and pool of easy handles)
 * and a call (one request of it, sent and taken back as often as retries
 * need). client.c owns the first, call.c the second; both, and the
 * files that drive calls, read these structs.
 */
#ifndef SCENARIO_HANDLES_H
#define SCENARIO_HANDLES_H

#include "common.h"

#include <curl/curl.h>

#include "redact.c"
#include "rounds.c"
#include "schema.h"
#include "transport.c"

#define CLIENT_MT "scenario.core.client"

#define CALL_MT "scenario.core.call"

enum { CALL_IDLE, CALL_RUNNING, CALL_DONE, CALL_CLOSED };

typedef struct sc_call sc_call;

/* The proxy option and the environment variables libcurl reads proxies
 * from (client.c): their credentials are kept out of libcurl's error
 * messages, which quote a proxy URL they cannot use. */
#define SC_PROXY_SOURCES 7

typedef struct sc_client {
  CURLM *multi;
  sc_events ev;    /* the sockets and timeout that drive it (rounds.c), freed after the multi */
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

/* What a call of another kind than an API exchange does at the steps of
 * its life that client.c and call.c take every call through: a download
 * (download.c) is one. NULL for an API call, which needs none of them. */
typedef struct sc_call_kind {
  /* Gives the call an easy handle made for it: never one of the pool's,
   * whose options (credentials among them) are an API call's. */
  const char *(*acquire)(sc_client *c, sc_call *call);
  /* The call closes: what it made on disk is removed at once, its memory
   * freed with free_now (0 while core.finish still reads it). */
  void (*drop)(sc_call *call, int free_now);
  /* core.finish's results for the done call (under finish_protected). */
  int (*finish)(lua_State *L, sc_call *call);
} sc_call_kind;

struct sc_call {
  sc_request r;
  const sc_call_kind *kind; /* NULL: an API call */
  void *ext;         /* what the kind keeps (its own), or NULL */
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

/* Pushes {close = mt.close} for the metatable mt on top: methods are
 * looked up there, so that __gc cannot be called as a method. */
static void push_methods(lua_State *L) {
  lua_createtable(L, 0, 1);
  lua_getfield(L, -2, "close");
  lua_setfield(L, -2, "close");
}

/* Makes the metatable name of a handle: its close, also __close; __gc;
 * __tostring; and close as its only method. */
static void new_handle_mt(lua_State *L, const char *name, const luaL_Reg *mt) {
  if (luaL_newmetatable(L, name)) {
    luaL_setfuncs(L, mt, 0);
    /* The same function value, not a second closure: before 5.2 each
     * push of a C function makes a new one. */
    lua_getfield(L, -1, "close");
    lua_setfield(L, -2, "__close");
    push_methods(L);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
}

#endif
