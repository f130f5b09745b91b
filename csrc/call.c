/*
 * One call's life (core.start, submit, perform, finish, cancel): the
 * arguments checked and the exchange's URL and body made, the transfer
 * put in the client's curl_multi handle, the rounds that move it, and
 * its result taken in, decoded and redacted.
 *
 * A call goes idle -> running (in the multi) -> done (its result kept in
 * C) -> idle again when its result is taken, so that the same call, with
 * the same body, can be sent again for a retry. The Lua request machine
 * (lua/scenario/scheduler.lua) maps its own states onto these.
 */
#ifndef SCENARIO_CALL_C
#define SCENARIO_CALL_C

#include "common.h"

#include <string.h>

#include <curl/curl.h>

#include "call_errors.c"
#include "client.c"
#include "decode.c"
#include "encode.c"
#include "endpoint_table.c"
#include "handles.h"
#include "headers.c"
#include "redact.c"
#include "rounds.c"
#include "transport.c"
#include "url.c"

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
static int call_finish(lua_State *L, sc_request *r, sc_client *c, const sc_endpoint *ep,
                       CURLcode rc) {
  long status = 0;
  int quote;
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
  /* A dry run's quote: a success, read against its own type. */
  quote = status == SC_STATUS_QUOTE && ep->quote != NULL;
  if (status >= 200 && status < 300 && !quote &&
      (ep->returns == SC_RETURNS_NOTHING || (ep->response == NULL && blank(lua_tostring(L, -1), lua_rawlen(L, -1))))) {
    /* Done, whatever the answer holds (often nothing at all). */
    lua_pushboolean(L, 1);
    lua_insert(L, -4);                             /* true status headers body */
    lua_pushnil(L);
    return 5;
  }
  if (status >= 200 && status < 300) {
    if (decode_response(L, ep, lua_gettop(L), c->strict, quote)) {
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
  call_make_plain(c, call);
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

/* core.release(call): gives an idle call's easy handle back to its
 * client's pool, until its next send: a request waiting out a backoff,
 * or done, then holds none. */
static int l_call_release(lua_State *L) {
  sc_call *call = check_call(L, 1);
  if (call->client != NULL && call->state == CALL_IDLE && !call->busy) call_release(call->client, call);
  return 0;
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
 * move. Returns 0, or -1 when libcurl fails. By sockets (rounds.c) where
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
  if (call->kind != NULL) return call->kind->finish(L, call);
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

static const luaL_Reg call_methods[] = {
  { "close", l_call_close },
  { "__gc", l_call_gc },
  { "__tostring", l_call_tostring },
  { NULL, NULL },
};

/* Registers the call's functions in the module at M, and its handle's
 * metatable. */
static void call_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "start", l_start },
    { "submit", l_submit },
    { "perform", l_perform },
    { "finish", l_finish },
    { "state", l_call_state },
    { "release", l_call_release },
    { "target", l_call_target },
    { "sent", l_call_sent },
    { "cancel", l_call_close },
    { NULL, NULL },
  };
  new_handle_mt(L, CALL_MT, call_methods);
  sc_register(L, M, funcs);
}

#endif
