/*
 * One HTTP exchange over a libcurl easy handle.
 *
 * No Lua code runs inside libcurl: the callbacks only copy bytes in and
 * out of buffers and report trouble through flags, so a Lua error can
 * never unwind through curl's frames. The Lua side reads the results
 * after the transfer ends.
 *
 * An sc_request is self-contained (handle, buffers, flags); call.c
 * drives it through the client's curl_multi handle.
 *
 * At most once. When a reused connection dies before any answer, libcurl
 * sends the request again on a fresh one by itself (Curl_retry_request).
 * It rewinds the body to do so: a CURLOPT_POSTFIELDS body always can be,
 * so a create would reach the server twice behind the retry policy's
 * back. A body that is not idempotent goes through on_read instead, and
 * refuse_seek makes that rewind fail (CURLE_SEND_FAIL_REWIND) once any of
 * it has been handed over. libcurl still starts again by itself when no
 * body byte was written, which is safe: the server cannot act on a half
 * request. on_prereq then hands the body out from its start again.
 *
 * Stale answers. libcurl 7.88 counts a pooled HTTP/1.x connection with
 * unread bytes waiting as alive, and reuses it: the next request then
 * takes those bytes (a duplicate answer, or the "408 Request Timeout" some
 * servers send before closing an idle connection) for its own answer, and
 * every answer after it is one behind. sc_socks keeps the client's sockets,
 * and on_prereq refuses a reused HTTP/1.x connection with input waiting,
 * before a byte of the request is written; call.c then starts the
 * transfer again, and libcurl, having closed that connection, takes
 * another. HTTP/2 connections are left alone: frames wait on them as a
 * matter of course, and they cannot fall out of step.
 */
#ifndef SCENARIO_TRANSPORT_C
#define SCENARIO_TRANSPORT_C

#include "common.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.c"

/* Header bytes kept per response; beyond this the response is refused. */
#define SC_MAX_HEADER_BYTES ((size_t)256 * 1024)

/* The longest a connection may have been idle for a request that is not
 * idempotent to reuse it (CURLOPT_MAXAGE_CONN: whole seconds, compared
 * with '>', so up to 2.999 s). A server that closes idle connections
 * (Node's default is 5 s) does so as a create goes out only in that
 * race, and the create then fails as "lost, maybe sent": rare, and never
 * a duplicate. Idempotent requests keep libcurl's default. */
#define SC_ONCE_MAX_IDLE 2L
#define SC_DEFAULT_MAX_IDLE 118L

/* CURLOPT_FORBID_RETRY_ON_REUSE (libcurl 8.16) where the libcurl loaded
 * at run time has it, else 0: the module may be built against older
 * headers than the library it is loaded with. Set once, at load. */
static CURLoption sc_forbid_retry_opt;

static void find_runtime_options(void) {
#if LIBCURL_VERSION_NUM >= 0x074900 /* curl_easy_option_by_name: 7.73 */
  const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  if (v->version_num >= 0x081000) {
    const struct curl_easyoption *o = curl_easy_option_by_name("FORBID_RETRY_ON_REUSE");
    if (o != NULL && o->type == CURLOT_LONG) sc_forbid_retry_opt = o->id;
  }
#endif
}

/* A socket libcurl opened for one of the client's connections. */
/* Room for an IPv6 address in text, as libcurl gives it (46 bytes). */
#define SC_IP_TEXT 48

typedef struct sc_sock {
  curl_socket_t fd;
  int http1;         /* a transfer over HTTP/1.x has finished on it */
  long local_port, peer_port; /* set with http1, as are the addresses */
  char local_ip[SC_IP_TEXT], peer_ip[SC_IP_TEXT];
} sc_sock;

/* The client's sockets (see the top of this file). */
typedef struct sc_socks {
  sc_sock *v;
  size_t n, cap;
  long opened; /* sockets libcurl has opened for the client, ever */
} sc_socks;

static int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose) {
  sc_socks *ss = (sc_socks *)ud;
  (void)purpose;
  ss->opened++;
  for (size_t i = 0; i < ss->n; i++) {
    if (ss->v[i].fd == fd) { /* a number closed behind our back and reused */
      memset(&ss->v[i], 0, sizeof ss->v[i]);
      ss->v[i].fd = fd;
      return CURL_SOCKOPT_OK;
    }
  }
  if (ss->n == ss->cap) {
    size_t cap = ss->cap ? 2 * ss->cap : 8;
    sc_sock *v = (sc_sock *)realloc(ss->v, cap * sizeof *v);
    if (v == NULL) return CURL_SOCKOPT_OK; /* untracked: never checked, as before */
    ss->v = v;
    ss->cap = cap;
  }
  memset(&ss->v[ss->n], 0, sizeof ss->v[ss->n]);
  ss->v[ss->n++].fd = fd;
  return CURL_SOCKOPT_OK;
}

static int on_closesocket(void *ud, curl_socket_t fd) {
  sc_socks *ss = (sc_socks *)ud;
  for (size_t i = 0; i < ss->n; i++) {
    if (ss->v[i].fd == fd) {
      ss->v[i] = ss->v[--ss->n];
      break;
    }
  }
  return close(fd);
}

/* Copies the address text libcurl gives (NULL when it has none) into
 * out; returns whether there was one that fits. */
static int copy_ip(const char *ip, char out[SC_IP_TEXT]) {
  size_t n = ip != NULL ? strlen(ip) : 0;
  if (n == 0 || n >= SC_IP_TEXT) return 0;
  memcpy(out, ip, n + 1);
  return 1;
}

/* Notes that a transfer over HTTP/1.x has finished on the connection of
 * easy, with its addresses and ports, so that on_prereq knows it when it
 * is reused. */
static void socks_note_done(sc_socks *ss, CURL *easy) {
  curl_socket_t fd = CURL_SOCKET_BAD;
  long version = 0;
  if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) != CURLE_OK ||
      (version != CURL_HTTP_VERSION_1_0 && version != CURL_HTTP_VERSION_1_1) ||
      curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD)
    return;
  for (size_t i = 0; i < ss->n; i++) {
    sc_sock *k = &ss->v[i];
    if (k->fd == fd) {
      char *lip = NULL, *pip = NULL;
      /* A socket keeps its addresses for life, and every socket of the
       * client's transfers went through on_sockopt, which clears the
       * entry of a number used again: noted once, not once a transfer. */
      if (k->http1) return;
      k->http1 = curl_easy_getinfo(easy, CURLINFO_LOCAL_PORT, &k->local_port) == CURLE_OK &&
                 curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &k->peer_port) == CURLE_OK &&
                 curl_easy_getinfo(easy, CURLINFO_LOCAL_IP, &lip) == CURLE_OK &&
                 curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &pip) == CURLE_OK &&
                 copy_ip(lip, k->local_ip) && copy_ip(pip, k->peer_ip);
      return;
    }
  }
}

/* Whether the HTTP/1.x connection with these addresses and ports has
 * bytes (or its end) waiting to be read: nothing should, between two
 * exchanges. A socket that has not finished an HTTP/1.x exchange yet (a
 * new one) is never looked at. */
static int socks_stale(const sc_socks *ss, const char *local_ip, long local_port,
                       const char *peer_ip, long peer_port) {
  for (size_t i = 0; i < ss->n; i++) {
    const sc_sock *k = &ss->v[i];
    if (k->http1 && k->local_port == local_port && k->peer_port == peer_port &&
        local_ip != NULL && peer_ip != NULL && strcmp(k->local_ip, local_ip) == 0 &&
        strcmp(k->peer_ip, peer_ip) == 0) {
      struct pollfd pfd;
      pfd.fd = k->fd;
      pfd.events = POLLIN;
      pfd.revents = 0;
      return poll(&pfd, 1, 0) > 0;
    }
  }
  return 0;
}

typedef struct sc_request {
  CURL *easy;
  struct curl_slist *headers;       /* with a body: Content-Type too */
  struct curl_slist *headers_plain; /* without one */
  /* The same two with a call's own headers added (core.options), or NULL. */
  struct curl_slist *x_headers, *x_headers_plain;
  int headers_set;                  /* which of the four the handle holds; -1: none */
  int has_body;                     /* the exchange sends r->body (set by the caller) */
  int untyped;                      /* ... without a Content-Type: an empty body, not JSON */
  sc_buf body;  /* request body */
  size_t body_pos; /* where on_read goes on from */
  size_t body_handed; /* all that on_read has handed to libcurl in this exchange */
  sc_buf url;   /* NUL-terminated */
  sc_buf url_set; /* the URL the handle holds: libcurl parses a URL each time it is set */
  sc_buf resp;  /* response body, decoded if it came compressed */
  sc_buf head;  /* header lines of the final response */
  size_t max_bytes;
  int overflow; /* the body passed max_bytes */
  int head_overflow; /* the headers passed SC_MAX_HEADER_BYTES */
  int nomem;
  int once;     /* the body goes through on_read (not idempotent) */
  int stale;    /* on_prereq refused a connection with input waiting */
  int prereqs;  /* on_prereq calls in this exchange: requests libcurl began */
  int resent;   /* on_prereq stopped libcurl sending a request again (once) */
  long timeout_ms;     /* the client's */
  long call_timeout_ms; /* this call's own (core.options), or 0 */
  long timeout_set;    /* what the handle holds */
  sc_socks *socks; /* the client's sockets */
  /* libcurl's message of the last failure (CURLOPT_ERRORBUFFER): it goes
   * with the easy handle (sc_handle), so that a queued call does not
   * carry its CURL_ERROR_SIZE bytes. */
  char *errbuf;
} sc_request;

typedef struct sc_config {
  const char *user;
  const char *password;
  const char *user_agent;
  const char *ca_file;  /* PEM bundle, or NULL for libcurl's own */
  const char *ca_path;  /* directory of PEM certificates, or NULL */
  const char *proxy;    /* NULL: libcurl's environment proxies; "": none */
  sc_socks *socks;      /* where the client's sockets are kept */
  long http_version;    /* CURLOPT_HTTP_VERSION */
  long timeout_ms;
  long connect_timeout_ms;
  size_t max_bytes;
} sc_config;

static size_t on_read(char *p, size_t size, size_t n, void *ud) {
  sc_request *r = (sc_request *)ud;
  size_t len = r->body.len - r->body_pos;
  if (len > size * n) len = size * n;
  if (len > 0) memcpy(p, r->body.data + r->body_pos, len);
  r->body_pos += len;
  r->body_handed += len;
  return len;
}

/* libcurl asks to rewind the body only to send it again: refused once
 * any of it was ever handed over in this exchange (see the top of this
 * file), whatever on_prereq did meanwhile, so that the rule does not hang
 * on the order in which a libcurl calls the two. */
static int refuse_seek(void *ud, curl_off_t offset, int origin) {
  const sc_request *r = (const sc_request *)ud;
  (void)offset;
  (void)origin;
  return r->body_handed == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/* Right before each request libcurl makes on a connection: a start again
 * that libcurl judged safe (no body byte written) reads from the top. */
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port,
                     int local_port) {
  sc_request *r = (sc_request *)ud;
  /* Without a body byte to refuse the rewind of, a request that is not
   * idempotent would go again whole when libcurl starts again by itself
   * (a reused connection that died after the request went out): its
   * second start is stopped here instead. */
  if (r->once && !(r->has_body && r->body.len > 0) && r->prereqs++ > 0) {
    r->resent = 1;
    return CURL_PREREQFUNC_ABORT;
  }
  r->body_pos = 0;
  if (r->socks != NULL && socks_stale(r->socks, local_ip, local_port, primary_ip, primary_port)) {
    r->stale = 1;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}
#endif

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  sc_request *r = (sc_request *)ud;
  size_t len = size * n;
  if (len > r->max_bytes - r->resp.len) {
    r->overflow = 1;
    return 0;
  }
  if (!buf_add(&r->resp, p, len)) {
    r->nomem = 1;
    return 0;
  }
  return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  sc_request *r = (sc_request *)ud;
  size_t len = size * n;
  /* A status line starts a new response (after a 100 Continue, say); only
   * the last response's headers are the answer. */
  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) r->head.len = 0;
  if (len > SC_MAX_HEADER_BYTES - r->head.len) {
    r->head_overflow = 1;
    return 0;
  }
  if (!buf_add(&r->head, p, len)) {
    r->nomem = 1;
    return 0;
  }
  return len;
}

#define SETOPT(o, v) \
  do { if (curl_easy_setopt(r->easy, o, v) != CURLE_OK) return "cannot set " #o; } while (0)

/* Points the handle's callbacks at r, where it now lives: an sc_request
 * moves when a handle passes from one call to the next. */
static const char *req_bind(sc_request *r) {
  SETOPT(CURLOPT_WRITEDATA, (void *)r);
  SETOPT(CURLOPT_HEADERDATA, (void *)r);
  SETOPT(CURLOPT_READDATA, (void *)r);
  SETOPT(CURLOPT_SEEKDATA, (void *)r);
  SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
  /* Before 7.80 there is no such callback, and nothing to reset: such a
   * libcurl refuses the option, which is then done without. */
#if LIBCURL_VERSION_NUM >= 0x075000
  if (curl_easy_setopt(r->easy, CURLOPT_PREREQDATA, (void *)r) == CURLE_OK)
    (void)curl_easy_setopt(r->easy, CURLOPT_PREREQFUNCTION, on_prereq);
#endif
  return NULL;
}

/* The header lines every request sends, with a JSON body and without
 * one. Without JSON, no Content-Type at all: an empty POST body would
 * otherwise go as application/x-www-form-urlencoded. */
#define SC_FIXED_HEADERS 3
static const char *const sc_fixed_headers[2][SC_FIXED_HEADERS] = {
  { "Accept: application/json", "Expect:" /* no 100-continue round trip */, "Content-Type: application/json" },
  { "Accept: application/json", "Expect:", "Content-Type:" },
};

/* A call's settings from the client's, before it has a handle. */
static void req_config(sc_request *r, const sc_config *c) {
  r->max_bytes = c->max_bytes;
  r->socks = c->socks;
  r->timeout_ms = r->timeout_set = c->timeout_ms;
}

/* Makes r a new easy handle, with every option that is the same for all
 * its exchanges. Returns NULL, or what went wrong. On failure the caller
 * still owns r and releases it with req_free. */
static const char *req_init(sc_request *r, const sc_config *c) {
  struct curl_slist *h;
  req_config(r, c);
  r->easy = curl_easy_init();
  if (r->easy == NULL) return "curl_easy_init failed";
  /* What r says its handle holds is this new one's: no URL yet, and
   * libcurl's reuse rule (as for once = 0), whatever the handle r held
   * before (a call that gave its own back, and found the pool empty). */
  r->url_set.len = 0;
  r->once = 0;
  r->errbuf = (char *)malloc(CURL_ERROR_SIZE);
  if (r->errbuf == NULL) return "not enough memory";
  r->errbuf[0] = '\0';
  for (int k = 0; k < 2; k++) {
    struct curl_slist **list = k == 0 ? &r->headers : &r->headers_plain;
    for (int i = 0; i < SC_FIXED_HEADERS; i++) {
      h = curl_slist_append(*list, sc_fixed_headers[k][i]);
      if (h == NULL) return "not enough memory";
      *list = h;
    }
  }
  r->headers_set = 0;
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
  /* The path is ours, percent-encoded: not to be normalised (url.c). */
  SETOPT(CURLOPT_PATH_AS_IS, 1L);
  SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
  SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
  SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  SETOPT(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl has */
  SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(CURLOPT_HTTP_VERSION, c->http_version);
  /* Where a connection may multiplex, requests started together then
   * share the first one once it says it does, rather than each opening
   * its own. Over HTTP/1.1 waiting would only hold them back. */
  if (c->http_version != CURL_HTTP_VERSION_1_1) SETOPT(CURLOPT_PIPEWAIT, 1L);
  SETOPT(CURLOPT_USERAGENT, c->user_agent);
  SETOPT(CURLOPT_TIMEOUT_MS, c->timeout_ms);
  SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  SETOPT(CURLOPT_HTTPHEADER, r->headers);
  SETOPT(CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_READFUNCTION, on_read);
  SETOPT(CURLOPT_SEEKFUNCTION, refuse_seek);
  if (c->socks != NULL) {
    SETOPT(CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    SETOPT(CURLOPT_SOCKOPTDATA, (void *)c->socks);
    SETOPT(CURLOPT_CLOSESOCKETFUNCTION, on_closesocket);
    SETOPT(CURLOPT_CLOSESOCKETDATA, (void *)c->socks);
  }
  if (c->ca_file != NULL) {
    SETOPT(CURLOPT_CAINFO, c->ca_file);
    SETOPT(CURLOPT_PROXY_CAINFO, c->ca_file); /* an https proxy signed by the same CA */
  }
  if (c->ca_path != NULL) {
    SETOPT(CURLOPT_CAPATH, c->ca_path);
    SETOPT(CURLOPT_PROXY_CAPATH, c->ca_path);
  }
  /* "" turns libcurl's environment proxies off; NULL leaves them on. */
  if (c->proxy != NULL) SETOPT(CURLOPT_PROXY, c->proxy);
  {
    const char *err = req_bind(r);
    if (err != NULL) return err;
  }
  if (c->user != NULL) {
    SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    SETOPT(CURLOPT_USERNAME, c->user);
    SETOPT(CURLOPT_PASSWORD, c->password != NULL ? c->password : "");
  }
  return NULL;
}

/* Drops a call's own timeout and headers (core.options): the handle
 * then goes back to the client's at the next exchange. */
static void req_drop_headers(sc_request *r) {
  if (r->x_headers != NULL || r->x_headers_plain != NULL) {
    curl_slist_free_all(r->x_headers);
    curl_slist_free_all(r->x_headers_plain);
    r->x_headers = r->x_headers_plain = NULL;
    if (r->headers_set >= 2) r->headers_set = -1; /* it held one of them */
  }
}
static void req_drop_options(sc_request *r) {
  req_drop_headers(r);
  r->call_timeout_ms = 0;
}

/* Whether the header line starts with the name of the fixed line, in
 * any case: header names are case-insensitive. */
static int same_header(const char *line, const char *name, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char a = (unsigned char)line[i], b = (unsigned char)name[i];
    if (a >= 'A' && a <= 'Z') a = (unsigned char)(a + 32);
    if (b >= 'A' && b <= 'Z') b = (unsigned char)(b + 32);
    if (a != b) return 0;
  }
  return line[len] == ':' || line[len] == ';';
}

/* The fixed header lines, each with or without a body, plus the lines
 * "Name: value" in extra (n of them) for a call's own headers. A line of
 * extra whose name is one of the fixed ones (Accept, Expect) replaces it,
 * rather than libcurl sending both. Returns 0 when memory runs out. */
static int req_set_headers(sc_request *r, const char *const *extra, int n) {
  struct curl_slist *lists[2] = { NULL, NULL };
  for (int k = 0; k < 2; k++) {
    for (int f = 0; f < SC_FIXED_HEADERS; f++) {
      const char *line = sc_fixed_headers[k][f];
      const char *colon = strchr(line, ':');
      size_t len = colon != NULL ? (size_t)(colon - line) : strlen(line);
      int replaced = 0;
      for (int i = 0; i < n && !replaced; i++)
        replaced = same_header(extra[i], line, len);
      if (!replaced) {
        struct curl_slist *t = curl_slist_append(lists[k], line);
        if (t == NULL) goto fail;
        lists[k] = t;
      }
    }
    for (int i = 0; i < n; i++) {
      struct curl_slist *t = curl_slist_append(lists[k], extra[i]);
      if (t == NULL) goto fail;
      lists[k] = t;
    }
  }
  req_drop_headers(r);
  r->x_headers = lists[0];
  r->x_headers_plain = lists[1];
  return 1;
fail:
  curl_slist_free_all(lists[0]);
  curl_slist_free_all(lists[1]);
  return 0;
}

/* An easy handle with its header lists, between two calls: the client
 * keeps a pool of them, so that a call holds one only while its request
 * is on the wire (a queued request costs no handle). */
typedef struct sc_handle {
  CURL *easy;
  struct curl_slist *headers, *headers_plain;
  char *errbuf; /* the handle's CURLOPT_ERRORBUFFER */
} sc_handle;

/* Gives r the handle h, its callbacks pointed at r. What the handle holds
 * from its last call (URL, headers, timeout, reuse rule) is set again at
 * the next exchange. */
static const char *req_attach(sc_request *r, const sc_handle *h) {
  r->easy = h->easy;
  r->headers = h->headers;
  r->headers_plain = h->headers_plain;
  r->errbuf = h->errbuf;
  r->headers_set = -1;
  r->timeout_set = -1;
  r->once = -1;
  r->url_set.len = 0;
  return req_bind(r);
}

/* Takes r's handle out, into h. */
static void req_release(sc_request *r, sc_handle *h) {
  h->easy = r->easy;
  h->headers = r->headers;
  h->headers_plain = r->headers_plain;
  h->errbuf = r->errbuf;
  r->easy = NULL;
  r->headers = r->headers_plain = NULL;
  r->errbuf = NULL;
}

static void handle_free(sc_handle *h) {
  if (h->easy != NULL) curl_easy_cleanup(h->easy);
  curl_slist_free_all(h->headers);
  curl_slist_free_all(h->headers_plain);
  free(h->errbuf); /* after the cleanup: libcurl may write it until then */
  h->easy = NULL;
  h->headers = h->headers_plain = NULL;
  h->errbuf = NULL;
}

static void req_free(sc_request *r) {
  if (r->easy != NULL) curl_easy_cleanup(r->easy);
  r->easy = NULL;
  free(r->errbuf);
  r->errbuf = NULL;
  curl_slist_free_all(r->headers);
  curl_slist_free_all(r->headers_plain);
  r->headers = r->headers_plain = NULL;
  req_drop_options(r);
  buf_free(&r->body);
  buf_free(&r->url);
  buf_free(&r->url_set);
  buf_free(&r->resp);
  buf_free(&r->head);
}

/* Points the handle at url/body for one exchange of the given method and
 * clears the results of the last one. r->url must be NUL-terminated, and
 * r->has_body says whether r->body goes with it (then as JSON, with its
 * Content-Type; else no body, no Content-Type). once: the request is not
 * idempotent, so libcurl must never send it twice (see the top of this
 * file). The handle may come from any earlier exchange, of any method:
 * every option that depends on the request is set each time. */
static const char *req_prepare(sc_request *r, const char *method, int once) {
  buf_reset(&r->resp);
  buf_reset(&r->head);
  r->overflow = r->head_overflow = r->nomem = 0;
  r->body_pos = r->body_handed = 0;
  r->stale = 0;
  r->prereqs = r->resent = 0;
  if (r->errbuf != NULL) r->errbuf[0] = '\0';
  if (r->url_set.len != r->url.len || memcmp(r->url_set.data, r->url.data, r->url.len) != 0) {
    SETOPT(CURLOPT_URL, r->url.data);
    r->url_set.len = 0;
    if (!buf_add(&r->url_set, r->url.data, r->url.len)) return "not enough memory";
  }
  if (r->has_body) {
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
    if (once) {
      SETOPT(CURLOPT_POSTFIELDS, (char *)NULL);
      SETOPT(CURLOPT_POST, 1L); /* the body from on_read, its length known */
    } else {
      SETOPT(CURLOPT_POSTFIELDS, r->body.data);
    }
    /* libcurl's POST machinery with the method's name: PUT included. */
    SETOPT(CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 ? NULL : method);
  } else {
    SETOPT(CURLOPT_HTTPGET, 1L); /* out of any POST mode an earlier exchange left */
    SETOPT(CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") == 0 ? NULL : method);
  }
  {
    int which = (r->x_headers != NULL ? 2 : 0) + !(r->has_body && !r->untyped);
    if (which != r->headers_set) {
      struct curl_slist *const lists[4] = { r->headers, r->headers_plain, r->x_headers,
                                            r->x_headers_plain };
      SETOPT(CURLOPT_HTTPHEADER, lists[which]);
      r->headers_set = which;
    }
  }
  {
    long t = r->call_timeout_ms > 0 ? r->call_timeout_ms : r->timeout_ms;
    if (t != r->timeout_set) {
      SETOPT(CURLOPT_TIMEOUT_MS, t);
      r->timeout_set = t;
    }
  }
  if (once != r->once) { /* a new handle has libcurl's defaults, as for 0 */
    SETOPT(CURLOPT_MAXAGE_CONN, once ? SC_ONCE_MAX_IDLE : SC_DEFAULT_MAX_IDLE);
    if (sc_forbid_retry_opt != 0) SETOPT(sc_forbid_retry_opt, (long)once);
    r->once = once;
  }
  return NULL;
}

#endif
