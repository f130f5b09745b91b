/*
 * The download of an asset file from a signed CDN URL (core.start_download):
 * a call of the client like any other, driven by the same request machine
 * (core.submit, perform, state, finish, cancel, release), whose body goes
 * to a temporary file beside its path as it arrives and is renamed over
 * the path only once the whole of it has come.
 *
 * Another host gets nothing of the API's: the easy handle of a download
 * is made for it, and never taken from nor given to the client's pool,
 * so it carries no credentials (no CURLOPT_USERNAME, no HTTPAUTH); it has
 * no cookie engine (a handle made fresh has none, and no share handle
 * lends one); and a proxy it goes through is the client's without the
 * user information (proxy_for). libcurl follows no redirect: a 3xx comes
 * back as an error of kind "redirect" with its Location, and the Lua
 * policy decides. The URL goes to libcurl as it was given, its signed
 * query byte for byte: nothing here encodes it again, and the path keeps
 * its dot segments (CURLOPT_PATH_AS_IS), since the signature covers them.
 *
 * The callbacks write to a file descriptor or a capped buffer and set
 * flags, as transport.c's do: no Lua runs inside libcurl, and memory
 * stays flat however large the file. The temporary file is removed on
 * any failure, and when the call is cancelled, closed or collected, or
 * its client closed: nothing is ever left at the path but a whole file,
 * and a file already there stays as it was until one replaces it.
 */
#ifndef SCENARIO_DOWNLOAD_C
#define SCENARIO_DOWNLOAD_C

#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.c"
#include "call.c"
#include "call_errors.c"
#include "client.c"
#include "files.c"
#include "handles.h"
#include "headers.c"
#include "transport.c"
#include "url.c"

/* The start of an error's body (a 403's "Request has expired") that is
 * kept for its message; the transfer stops when more comes. */
#define SC_DOWNLOAD_ERROR_BODY 4096

/* How many bytes libcurl reads at a time for a download
 * (CURLOPT_BUFFERSIZE): 128 KiB read 100 MB from a local server with 0.93×
 * the CPU of the curl command line (100 KB), where 16 KiB took 1.3×; 512
 * KiB gained little more, for 4 times the memory of each download in
 * flight (bench/download.lua). */
#define SC_DOWNLOAD_BUFFER 131072


/* How much of a file's name its temporary file's name keeps: 255 (the
 * usual NAME_MAX) less the 14 bytes of ".xxxxxxxx.part". */
#define SC_TMP_NAME_KEEP 241

/* What a download keeps beside its sc_request (sc_call.ext). */
typedef struct sc_download {
  char *path;          /* where the file goes; NULL: the body is kept in memory (r.resp) */
  char *tmp;           /* the temporary file beside path, while it exists */
  int fd;              /* open on tmp, or -1 */
  size_t max_bytes;
  /* this attempt's, reset by dl_reset */
  long status;         /* the final response's, once its headers have ended; 0 before */
  curl_off_t received; /* the bytes of a 2xx's body taken so far */
  curl_off_t total;    /* its Content-Length, or -1 */
  int file_errno;      /* a local failure (creating or writing the file), or 0 */
  int too_large;       /* the body passed max_bytes: 1, or 2 when Content-Length said it would */
  int error_cut;       /* an error's body passed SC_DOWNLOAD_ERROR_BODY: the rest was not read */
  /* this response's, reset at its status line */
  curl_off_t length_seen; /* the value its Content-Length lines agree on, or -1 before one */
  int bad_length;         /* they disagree, or one is not a length: the length to check is unknown */
} sc_download;

/* Closes and removes the temporary file, if there is one. */
static void dl_discard(sc_download *dl) {
  if (dl->fd >= 0) (void)close(dl->fd);
  dl->fd = -1;
  if (dl->tmp != NULL) (void)unlink(dl->tmp); /* ours: O_EXCL made it */
  free(dl->tmp);
  dl->tmp = NULL;
}

/* Drops what an attempt left, for the next. */
static void dl_reset(sc_download *dl) {
  dl_discard(dl);
  dl->status = 0;
  dl->received = 0;
  dl->total = -1;
  dl->file_errno = 0;
  dl->too_large = 0;
  dl->error_cut = 0;
  dl->length_seen = -1;
  dl->bad_length = 0;
}

/* Creates the temporary file beside dl->path: its name followed by a
 * random part and ".part", made with O_EXCL (so never an existing file,
 * nor through a symlink planted there), in the same directory so that
 * the rename that ends a download is atomic. Returns 0, with file_errno,
 * when it cannot be made. */
static int dl_open_tmp(sc_download *dl) {
  size_t n = strlen(dl->path) + 32;
  char *name = (char *)malloc(n);
  const char *base = strrchr(dl->path, '/');
  size_t keep;
  int err = ENOMEM;
  /* The 14 bytes added must not push a long name (up to 255 bytes) over
   * the file system's limit on a name: the name is cut to make room. */
  base = base != NULL ? base + 1 : dl->path;
  keep = (size_t)(base - dl->path) + (strlen(base) > SC_TMP_NAME_KEEP ? SC_TMP_NAME_KEEP : strlen(base));
  if (name != NULL) {
    for (int tries = 0; tries < 64; tries++) {
      struct timespec ts;
      unsigned long salt;
      int fd;
      clock_gettime(CLOCK_REALTIME, &ts);
      salt = ((unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 12) ^ (unsigned long)(uintptr_t)dl ^
              ((unsigned long)tries * 2654435761UL)) & 0xffffffffUL;
      (void)snprintf(name, n, "%.*s.%08lx.part", (int)keep, dl->path, salt);
      fd = open_retrying(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        dl->fd = fd;
        dl->tmp = name;
        return 1;
      }
      err = errno;
      if (err != EEXIST) break;
    }
  }
  free(name);
  dl->file_errno = err;
  return 0;
}

static sc_download *dl_of(const sc_call *call) {
  return (sc_download *)call->ext;
}

/* Only a 200 is the file: a 206 is a part of it (a cache or a proxy
 * answering a range nobody asked for), a 204 or another 2xx no file. */
static int is_file(long status) {
  return status == 200;
}

/* Reads a header line (len bytes at p) for the response's length: a
 * status line starts a response; a Content-Length line is a list of
 * digits (RFC 9110 8.6), each the same, and the same as any earlier line
 * of the response. libcurl takes the last one of several, so a response
 * with 108 bytes said first and 3 last would be cut at 3 and pass as
 * whole: such a response is marked bad_length. */
static void dl_read_length(sc_download *dl, const char *p, size_t len) {
  static const char name[] = "content-length:";
  size_t i = sizeof name - 1;
  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
    dl->length_seen = -1;
    dl->bad_length = 0;
    return;
  }
  if (len < i) return;
  for (size_t k = 0; k < i; k++)
    if (tolower((unsigned char)p[k]) != name[k]) return;
  for (;;) {
    curl_off_t v = 0;
    size_t digits = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
    while (i < len && p[i] >= '0' && p[i] <= '9' && digits < 18) {
      v = v * 10 + (p[i++] - '0');
      digits++;
    }
    while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
    if (digits == 0 || (i < len && p[i] >= '0' && p[i] <= '9') || (dl->length_seen >= 0 && v != dl->length_seen)) {
      dl->bad_length = 1;
      return;
    }
    dl->length_seen = v;
    if (i < len && p[i] == ',') {
      i++;
      continue;
    }
    while (i < len && (p[i] == '\r' || p[i] == '\n')) i++;
    if (i != len) dl->bad_length = 1;
    return;
  }
}

/* CURLOPT_HEADERFUNCTION: the header lines kept as an API call keeps them
 * (on_header); at the end of a final 200's headers, a Content-Length over
 * max_bytes stops the transfer before any of the body comes, and the
 * temporary file is made. */
static size_t dl_on_header(char *p, size_t size, size_t n, void *ud) {
  sc_call *call = (sc_call *)ud;
  sc_download *dl = dl_of(call);
  size_t len = size * n;
  long status = 0;
  curl_off_t cl = -1;
  if (on_header(p, size, n, &call->r) != len) return 0;
  if (!((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n'))) {
    dl_read_length(dl, p, len);
    return len;
  }
  /* The blank line: a response's headers are over. An interim one (1xx)
   * is followed by another. */
  if (curl_easy_getinfo(call->r.easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status < 200) return len;
  dl->status = status;
  if (!is_file(status)) return len;
  if (dl->bad_length) return 0;
  if (curl_easy_getinfo(call->r.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) != CURLE_OK) cl = -1;
  dl->total = cl;
  if (cl > (curl_off_t)dl->max_bytes) {
    dl->too_large = 2;
    return 0;
  }
  if (dl->path != NULL && dl->fd < 0 && !dl_open_tmp(dl)) return 0;
  return len;
}

/* CURLOPT_WRITEFUNCTION: a 200's body to the file (or to memory, without
 * a path) as it comes, up to max_bytes; the start of any other body to
 * memory, for its message. */
static size_t dl_on_body(char *p, size_t size, size_t n, void *ud) {
  sc_call *call = (sc_call *)ud;
  sc_download *dl = dl_of(call);
  sc_request *r = &call->r;
  size_t len = size * n;
  if (!is_file(dl->status)) {
    size_t room = SC_DOWNLOAD_ERROR_BODY - r->resp.len;
    if (!buf_add(&r->resp, p, len > room ? room : len)) {
      r->nomem = 1;
      return 0;
    }
    if (len <= room) return len;
    dl->error_cut = 1;
    return 0;
  }
  if ((curl_off_t)len > (curl_off_t)dl->max_bytes - dl->received) {
    dl->too_large = 1;
    return 0;
  }
  if (dl->path != NULL) {
    if (dl->fd < 0 && !dl_open_tmp(dl)) return 0;
    if (write_all(dl->fd, p, len) != 0) {
      dl->file_errno = errno;
      return 0;
    }
  } else if (!buf_add(&r->resp, p, len)) {
    r->nomem = 1;
    return 0;
  }
  dl->received += (curl_off_t)len;
  return len;
}

/* ---- the URL ------------------------------------------------------------------ */

/* Splits the URL u (len bytes) as far as a download needs: whether its
 * scheme is https (1), http (0) or another (-1), and its authority (from
 * after "://" to the first '/', '?' or '#'). */
static int url_scheme(const char *u, size_t len, const char **auth, size_t *alen) {
  static const char *const schemes[] = { "http://", "https://" };
  for (int s = 1; s >= 0; s--) {
    size_t n = strlen(schemes[s]), i = 0;
    if (len < n) continue;
    while (i < n && (char)((u[i] >= 'A' && u[i] <= 'Z') ? u[i] + 32 : u[i]) == schemes[s][i]) i++;
    if (i < n) continue;
    *auth = u + n;
    *alen = 0;
    while (n + *alen < len && strchr("/?#", u[n + *alen]) == NULL) (*alen)++;
    return s;
  }
  return -1;
}

/* The host of the authority a (len bytes, without user information): an
 * IPv6 address with its brackets, else what comes before a ':'. */
static size_t auth_host(const char *a, size_t len) {
  size_t n = 0;
  if (len > 0 && a[0] == '[') {
    while (n < len && a[n] != ']') n++;
    return n < len ? n + 1 : 0;
  }
  while (n < len && a[n] != ':') n++;
  return n;
}

#define SC_STR_(x) #x
#define SC_STR(x) SC_STR_(x)

/* What is wrong with u (len bytes) as a download's URL, or NULL: it must
 * be https, or http to a loopback host (the same rule as base_url's:
 * loopback_host), with a host, and without user information (credentials
 * for another host), whitespace or a control character, and fit
 * SC_MAX_URL_BYTES. The one rule for core.start_download and the Lua
 * layer (core.download_url_problem). */
static const char *download_url_problem(const char *u, size_t len) {
  const char *auth = NULL;
  size_t alen = 0, hlen;
  int https;
  if (len == 0) return "the URL is empty";
  if (len > SC_MAX_URL_BYTES) return "the URL is longer than " SC_STR(SC_MAX_URL_BYTES) " bytes";
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f) return "the URL contains whitespace or a control character";
  https = url_scheme(u, len, &auth, &alen);
  if (https < 0) return "the URL must start with https:// (or http:// for a loopback host)";
  if (memchr(auth, '@', alen) != NULL)
    return "the URL must not carry user information (credentials before an '@')";
  hlen = auth_host(auth, alen);
  if (hlen == 0) return "the URL has no host";
  if (!https && !loopback_host(auth, hlen))
    return "the URL must be https unless its host is loopback (127.0.0.0/8, localhost, ::1)";
  return NULL;
}

/* core.download_url_problem(url) -> message | nil */
static int l_download_url_problem(lua_State *L) {
  size_t len;
  const char *u = luaL_checklstring(L, 1, &len);
  const char *why = download_url_problem(u, len);
  if (why == NULL) return 0;
  lua_pushstring(L, why);
  return 1;
}

/* ---- the proxy ----------------------------------------------------------------- */

/* The environment's proxy for a scheme, as libcurl picks it when no proxy
 * is set (its detect_proxy): <scheme>_proxy, then its upper-case form but
 * for http (a CGI server sets HTTP_PROXY from a request's Proxy header),
 * then all_proxy and ALL_PROXY, an empty one as unset. NULL when none is set. */
static const char *env_proxy(int https) {
  static const char *const for_https[] = { "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL };
  static const char *const for_http[] = { "http_proxy", "all_proxy", "ALL_PROXY", NULL };
  for (const char *const *v = https ? for_https : for_http; *v != NULL; v++) {
    const char *p = getenv(*v);
    if (p != NULL && *p != '\0') return p; /* curl_getenv takes "" as unset */
  }
  return NULL;
}

/* The proxy a download of the URL u (len bytes, checked) goes through,
 * as CURLOPT_PROXY takes it ("" for none), malloc'd into *out. None for
 * a loopback host, which a proxy would reach over the network, as for a
 * loopback base_url (options.lua). Else the client's: its proxy option
 * ("" for none, as for proxy = false), or without one the environment's,
 * as libcurl would pick it (NO_PROXY still applies: libcurl reads it for
 * a proxy set so too). Either way without its user information: those
 * credentials are the API's proxy's, for the API's requests. The proxy
 * itself stays: a machine that reaches the Internet only through one
 * would otherwise fail every download, and one that wants credentials
 * refuses with a 407, with no credential sent. Returns 0 when memory runs
 * out. */
static int proxy_for(const sc_client *c, const char *u, size_t len, char **out) {
  const char *auth = NULL, *p = "", *ui;
  size_t alen = 0, ulen = 0, n;
  int https = url_scheme(u, len, &auth, &alen);
  if (!loopback_host(auth, auth_host(auth, alen))) {
    p = c->proxy != NULL ? c->proxy : env_proxy(https == 1);
    if (p == NULL) p = "";
  }
  n = strlen(p);
  *out = (char *)malloc(n + 1);
  if (*out == NULL) return 0;
  ui = proxy_userinfo(p, &ulen, 0);
  if (ui == NULL) {
    memcpy(*out, p, n + 1);
  } else { /* "scheme://" or nothing, then what follows the '@' */
    size_t head = (size_t)(ui - p);
    memcpy(*out, p, head);
    memcpy(*out + head, ui + ulen + 1, n - head - ulen); /* its NUL too */
  }
  return 1;
}

/* ---- the call's kind ------------------------------------------------------------- */

/* How long a download may go without a byte before it fails as a
 * timeout: the client's timeout (CURLOPT_LOW_SPEED_TIME under 1 byte/s;
 * libcurl judges the speed over its last 5 seconds, so a stall after
 * bytes is seen up to 5 s later). A whole file may take far longer than
 * an API answer, so there is no cap on the whole transfer; core.options
 * sets one for a call that wants it. */
static long stall_seconds(const sc_client *c) {
  long s = (c->cfg.timeout_ms + 999) / 1000;
  return s > 0 ? s : 1;
}

/* sc_call_kind.acquire: a handle made for the download (see the top of
 * this file). */
static const char *dl_acquire(sc_client *c, sc_call *call) {
  sc_download *dl = dl_of(call);
  sc_request *r = &call->r;
  sc_config cfg = c->cfg;
  char *proxy = NULL;
  const char *err;
  cfg.user = cfg.password = NULL;
  /* No byte for the client's timeout is a stall in the TLS handshake
   * too, which CURLOPT_LOW_SPEED_TIME does not watch. */
  if (cfg.timeout_ms > 0 && cfg.timeout_ms < cfg.connect_timeout_ms) cfg.connect_timeout_ms = cfg.timeout_ms;
  cfg.timeout_ms = 0;
  cfg.max_bytes = dl->max_bytes;
  /* HTTP/2 where TLS offers it, but over HTTP/1.1 for a client driven by
   * sockets (client.c), which a stream of HTTP/2 can stall. */
  cfg.http_version = c->cfg.http_version == CURL_HTTP_VERSION_1_1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS;
  if (!proxy_for(c, r->url.data, r->url.len - 1, &proxy)) return "not enough memory";
  cfg.proxy = proxy;
  err = req_init(r, &cfg);
  free(proxy); /* libcurl keeps a copy */
  if (err != NULL) return err;
  /* libcurl's own Accept (any type), not the API's JSON one. */
  SETOPT(CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  curl_slist_free_all(r->headers);
  curl_slist_free_all(r->headers_plain);
  r->headers = r->headers_plain = NULL;
  r->headers_set = -1;
  r->once = 0; /* a new handle has libcurl's defaults, as for 0 */
  /* The bytes as they were sent, so that Content-Length counts them. */
  SETOPT(CURLOPT_ACCEPT_ENCODING, (char *)NULL);
  SETOPT(CURLOPT_HTTP_CONTENT_DECODING, 0L);
  SETOPT(CURLOPT_WRITEFUNCTION, dl_on_body);
  SETOPT(CURLOPT_WRITEDATA, (void *)call);
  SETOPT(CURLOPT_HEADERFUNCTION, dl_on_header);
  SETOPT(CURLOPT_HEADERDATA, (void *)call);
  SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
  SETOPT(CURLOPT_LOW_SPEED_TIME, stall_seconds(c));
  /* A file is read, and written, in pieces of this size rather than
   * libcurl's 16 KiB: a recv and a write each, and a poll before the
   * recv. The handle is the download's own, never pooled. */
  SETOPT(CURLOPT_BUFFERSIZE, (long)SC_DOWNLOAD_BUFFER);
  /* The header lines are the CDN's, not a proxy's answer to CONNECT. */
  SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SETOPT(CURLOPT_DISALLOW_USERNAME_IN_URL, 1L);
  return NULL;
}

/* sc_call_kind.drop */
static void dl_drop(sc_call *call, int free_now) {
  sc_download *dl = dl_of(call);
  if (dl == NULL) return;
  dl_discard(dl);
  if (!free_now) return;
  free(dl->path);
  free(dl);
  call->ext = NULL;
}

/* Puts the whole file in place: its bytes on the disk, then the temporary
 * file renamed over the path (atomically: a file there before stays whole
 * until then). Returns 0, or the errno of what failed. */
static int dl_keep(sc_download *dl) {
  int fd;
  if (dl->fd < 0 && !dl_open_tmp(dl)) return dl->file_errno; /* a 2xx with no body */
  if (fsync(dl->fd) != 0) return errno;
  fd = dl->fd;
  dl->fd = -1;
  if (close_checked(fd) != 0) return errno;
  if (rename(dl->tmp, dl->path) != 0) return errno;
  free(dl->tmp);
  dl->tmp = NULL;
  return 0;
}

/* Where an error says the download went: GET and its URL without the
 * query and fragment, which hold the signature (a credential for the
 * file, for as long as it lasts). */
static void dl_set_where(lua_State *L, const sc_request *r) {
  size_t len = r->url.len > 0 ? r->url.len - 1 : 0, cut = 0;
  while (cut < len && r->url.data[cut] != '?' && r->url.data[cut] != '#') cut++;
  lua_pushliteral(L, "GET");
  lua_setfield(L, -2, "method");
  lua_pushlstring(L, r->url.data, cut);
  lua_setfield(L, -2, "url");
}

/* Pushes the media type of a Content-Type value, lower-case and without
 * its parameters ("image/png"), or nil. */
static void push_media_type(lua_State *L, const char *ct) {
  size_t n = 0;
  luaL_Buffer b;
  if (ct == NULL) {
    lua_pushnil(L);
    return;
  }
  while (*ct == ' ' || *ct == '\t') ct++;
  while (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t') n++;
  if (n == 0) {
    lua_pushnil(L);
    return;
  }
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < n; i++) {
    char ch = (char)((ct[i] >= 'A' && ct[i] <= 'Z') ? ct[i] + 32 : ct[i]);
    luaL_addlstring(&b, &ch, 1);
  }
  luaL_pushresult(&b);
}

/* Starts an error table of kind with its message on top. */
static void dl_error(lua_State *L, const char *kind) {
  lua_pushnil(L);
  lua_createtable(L, 0, 8);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  lua_insert(L, -3);
  lua_insert(L, -3); /* nil err message */
  lua_setfield(L, -2, "message");
}

enum { DL_DONE, DL_FILE, DL_TOO_LARGE, DL_BAD_LENGTH, DL_TRANSFER, DL_SHORT, DL_REDIRECT, DL_NOT_FILE, DL_HTTP };

/* sc_call_kind.finish: core.finish on a done download. Whatever happens
 * on the disk (the rename, or the removal of the temporary file) happens
 * before any Lua allocation, which may run a finaliser that closes the
 * call: that then finds nothing to remove. */
static int dl_finish(lua_State *L, sc_call *call) {
  sc_download *dl = dl_of(call);
  sc_request *r = &call->r;
  CURLcode rc = call->rc;
  long status = dl->status;
  curl_off_t received = dl->received, total = dl->total;
  int outcome, err = 0, too_large = dl->too_large;
  char *location = NULL, *ctype = NULL;
  char n1[24], n2[24];
  if (dl->file_errno != 0) {
    outcome = DL_FILE;
    err = dl->file_errno;
  } else if (too_large) {
    outcome = DL_TOO_LARGE;
  } else if (dl->bad_length && is_file(status)) {
    outcome = DL_BAD_LENGTH;
  } else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && dl->error_cut)) {
    outcome = DL_TRANSFER;
  } else if (!is_file(status)) {
    if (status >= 300 && status < 400 && curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
        location != NULL)
      outcome = DL_REDIRECT;
    else
      outcome = status >= 200 && status < 300 ? DL_NOT_FILE : DL_HTTP;
  } else if (total >= 0 && received != total) {
    outcome = DL_SHORT;
  } else {
    outcome = DL_DONE;
    if (dl->path != NULL && (err = dl_keep(dl)) != 0) outcome = DL_FILE;
  }
  dl_reset(dl); /* what a failure left removed: nothing at the path */
  switch (outcome) {
    case DL_DONE:
      if (dl->path != NULL) lua_pushstring(L, dl->path);
      else lua_pushlstring(L, r->resp.data != NULL ? r->resp.data : "", r->resp.len);
      buf_free(&r->resp); /* a file in memory is the caller's now */
      lua_pushinteger(L, (lua_Integer)status);
      lua_pushlstring(L, r->head.data != NULL ? r->head.data : "", r->head.len);
      buf_reset(&r->head);
      lua_pushinteger(L, (lua_Integer)received);
      (void)curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ctype);
      push_media_type(L, ctype);
      return 5;
    case DL_FILE:
      lua_pushfstring(L, "%s: %s", dl->path, strerror(err));
      dl_error(L, "file");
      lua_pushstring(L, dl->path);
      lua_setfield(L, -2, "path");
      break;
    case DL_TOO_LARGE:
      lua_pushfstring(L, "the file is larger than max_bytes (%s bytes)", int_text((lua_Integer)dl->max_bytes, n1));
      if (too_large == 2) {
        lua_pushfstring(L, ": its Content-Length is %s", int_text((lua_Integer)total, n2));
        lua_concat(L, 2);
      }
      dl_error(L, "invalid_response");
      lua_pushinteger(L, (lua_Integer)dl->max_bytes);
      lua_setfield(L, -2, "max_bytes");
      break;
    case DL_TRANSFER: {
      long got = 0;
      lua_pushnil(L);
      push_transfer_error(L, r, call->client, rc);
      (void)curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &got);
      /* A GET that broke off mid-file changed nothing on the server: a
       * lost connection (or a stall), to be tried again, not an answer
       * that cannot be read as push_transfer_error has it for an API call. */
      if (is_file(got) && !r->nomem && !r->head_overflow) {
        lua_pushstring(L, rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "connection");
        lua_setfield(L, -2, "kind");
      }
      break;
    }
    case DL_SHORT:
      lua_pushfstring(L, "the file ended after %s of its %s bytes (Content-Length)", int_text((lua_Integer)received, n1),
                      int_text((lua_Integer)total, n2));
      dl_error(L, "connection");
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "sent");
      break;
    case DL_REDIRECT:
      lua_pushstring(L, location); /* first: a finaliser may not free the handle before, see l_finish */
      lua_pushfstring(L, "HTTP %s: the file is elsewhere (location)", int_text((lua_Integer)status, n1));
      dl_error(L, "redirect");
      lua_insert(L, -3);
      lua_insert(L, -3); /* nil err location */
      lua_setfield(L, -2, "location");
      push_headers(L, r);
      lua_setfield(L, -2, "headers");
      break;
    case DL_BAD_LENGTH:
      lua_pushstring(L, "HTTP 200 whose Content-Length cannot be read (two that differ, or not a number)");
      dl_error(L, "invalid_response");
      break;
    case DL_NOT_FILE:
      lua_pushfstring(L, "HTTP %s: not the whole file (a 200 was expected)", int_text((lua_Integer)status, n1));
      dl_error(L, "invalid_response");
      break;
    default: /* DL_HTTP: as an API call's, for the Lua layer's errors.from_core */
      lua_pushnil(L);
      lua_createtable(L, 0, 7);
      lua_pushliteral(L, "http");
      lua_setfield(L, -2, "kind");
      lua_pushlstring(L, r->resp.data != NULL ? r->resp.data : "", r->resp.len);
      lua_setfield(L, -2, "body");
      push_headers(L, r);
      lua_setfield(L, -2, "headers");
      break;
  }
  if (status > 0) {
    lua_pushinteger(L, (lua_Integer)status);
    lua_setfield(L, -2, "status");
  }
  dl_set_where(L, r);
  buf_reset(&r->resp);
  buf_reset(&r->head);
  return 2;
}

static const sc_call_kind download_kind = { dl_acquire, dl_drop, dl_finish };

/* ---- the functions --------------------------------------------------------------- */

/* The stack slots of core.start_download's arguments. */
enum { SD_URL = 2, SD_PATH, SD_MAX, SD_CALL };

/* core.start_download(handle, url, path, max_bytes [, call]) -> call
 * An idle call of the client that downloads url (GET, the URL as given)
 * into the file at path, or into memory with path nil, refusing a file
 * over max_bytes; core.submit sends it, core.finish takes its result:
 *   path (or the bytes), status, header_lines, size, media_type
 *   | nil, err  (kind redirect with location; http; file with path;
 *               invalid_response over max_bytes; connection, timeout)
 * Given an idle call of the client (call), loads that one instead. A URL
 * download_url_problem refuses, an empty path or one with a NUL, and a
 * max_bytes that is not a positive integer raise. */
static int l_start_download(lua_State *L) {
  sc_client *c = check_client(L, 1);
  size_t ulen;
  const char *url = luaL_checklstring(L, SD_URL, &ulen);
  const char *why = download_url_problem(url, ulen);
  const char *path = NULL;
  lua_Integer max;
  int isint = 0;
  sc_call *call;
  sc_download *dl;
  char *path_copy = NULL;
  if (why != NULL) return luaL_argerror(L, SD_URL, why);
  if (!lua_isnoneornil(L, SD_PATH)) {
    path = check_path(L, SD_PATH);
    luaL_argcheck(L, path[0] != '\0', SD_PATH, "the path is empty");
  }
  max = lua_tointegerx(L, SD_MAX, &isint);
  luaL_argcheck(L, isint && max > 0, SD_MAX, "a positive integer number of bytes expected");
  lua_settop(L, SD_CALL);
  if (lua_isnil(L, SD_CALL)) {
    call = new_call(L, c, SD_CALL);
  } else {
    call = check_call(L, SD_CALL);
    if (call->client != c) return luaL_argerror(L, SD_CALL, "the call belongs to another client");
    if (call->state != CALL_IDLE || call->busy) return luaL_argerror(L, SD_CALL, "the call is not idle");
  }
  /* From here no Lua allocation: nothing can close the call meanwhile. */
  call->unloaded = 1;
  /* Its handle goes: a pooled one back to the pool, a download's (made
   * for its last URL, whose host chose its proxy) freed. */
  call_release(c, call);
  dl = call->kind == &download_kind ? dl_of(call) : NULL;
  if (dl == NULL) {
    dl = (sc_download *)calloc(1, sizeof *dl);
    if (dl == NULL) return luaL_error(L, "not enough memory");
    dl->fd = -1;
  }
  if (path != NULL && (path_copy = (char *)malloc(strlen(path) + 1)) == NULL) {
    if (call->ext != dl) free(dl);
    return luaL_error(L, "not enough memory");
  }
  if (path_copy != NULL) memcpy(path_copy, path, strlen(path) + 1);
  if (call->ext != dl) {
    call_make_plain(c, call);
    call->kind = &download_kind;
    call->ext = dl;
  }
  dl_reset(dl);
  free(dl->path);
  dl->path = path_copy;
  dl->max_bytes = (size_t)max;
  req_drop_options(&call->r);
  buf_reset(&call->r.body);
  call->r.has_body = call->r.untyped = 0;
  buf_reset(&call->r.url);
  if (!buf_add(&call->r.url, url, ulen) || !buf_addc(&call->r.url, '\0'))
    return luaL_error(L, "not enough memory"); /* unloaded: not to be sent */
  memset(&call->raw, 0, sizeof call->raw);
  call->raw.name = "download";
  call->raw.method = "GET";
  call->raw.returns = SC_RETURNS_DOCUMENT;
  call->raw.idempotent = 1;
  call->ep = &call->raw;
  call->unloaded = 0;
  return 1;
}

/* core.progress(call) -> received, total | nil: the bytes of the file a
 * running download has taken so far, and its Content-Length when the
 * server gave one; 0, nil before its headers, after an error's, and once
 * its result is taken. For the Lua layer's progress events, between
 * rounds. */
static int l_progress(lua_State *L) {
  sc_call *call = check_call(L, 1);
  sc_download *dl = call->kind == &download_kind ? dl_of(call) : NULL;
  if (dl == NULL) return luaL_argerror(L, 1, "the call is not a download");
  lua_pushinteger(L, (lua_Integer)dl->received);
  if (dl->total >= 0) lua_pushinteger(L, (lua_Integer)dl->total);
  else lua_pushnil(L);
  return 2;
}

/* Registers the download's functions in the module at M. */
static void download_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "start_download", l_start_download },
    { "download_url_problem", l_download_url_problem },
    { "progress", l_progress },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
}

#endif
