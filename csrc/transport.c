/*
 * One HTTP exchange over a libcurl easy handle.
 *
 * No Lua code runs inside libcurl: the callbacks only append bytes to
 * buffers and report trouble through flags, so a Lua error can never
 * unwind through curl's frames. The Lua side reads the results after the
 * transfer ends.
 *
 * An sc_request is self-contained (handle, buffers, flags); client.c
 * drives it through the client's curl_multi handle.
 */
#include <curl/curl.h>

/* Header bytes kept per response; beyond this the response is refused. */
#define SC_MAX_HEADER_BYTES ((size_t)256 * 1024)

typedef struct sc_request {
  CURL *easy;
  struct curl_slist *headers;
  sc_buf body;  /* request body */
  sc_buf url;   /* NUL-terminated */
  sc_buf url_set; /* the URL the handle holds: libcurl parses a URL each time it is set */
  sc_buf resp;  /* response body, decoded if it came compressed */
  sc_buf head;  /* header lines of the final response */
  size_t max_bytes;
  int overflow; /* the body passed max_bytes */
  int head_overflow; /* the headers passed SC_MAX_HEADER_BYTES */
  int nomem;
  char errbuf[CURL_ERROR_SIZE];
} sc_request;

typedef struct sc_config {
  const char *user;
  const char *password;
  const char *user_agent;
  long timeout_ms;
  long connect_timeout_ms;
  size_t max_bytes;
} sc_config;

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
  SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
  return NULL;
}

/* Returns NULL, or what went wrong. On failure the caller still owns r
 * and releases it with req_free. */
static const char *req_init(sc_request *r, const sc_config *c) {
  static const char *const fixed[] = {
    "Content-Type: application/json", "Accept: application/json",
    "Expect:", /* no 100-continue round trip for larger bodies */
  };
  r->max_bytes = c->max_bytes;
  r->easy = curl_easy_init();
  if (r->easy == NULL) return "curl_easy_init failed";
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    struct curl_slist *h = curl_slist_append(r->headers, fixed[i]);
    if (h == NULL) return "not enough memory";
    r->headers = h;
  }
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
  SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
  SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
  SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  SETOPT(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl has */
  SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(CURLOPT_USERAGENT, c->user_agent);
  SETOPT(CURLOPT_TIMEOUT_MS, c->timeout_ms);
  SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  SETOPT(CURLOPT_HTTPHEADER, r->headers);
  SETOPT(CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
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

static void req_free(sc_request *r) {
  if (r->easy != NULL) curl_easy_cleanup(r->easy);
  r->easy = NULL;
  curl_slist_free_all(r->headers);
  r->headers = NULL;
  buf_free(&r->body);
  buf_free(&r->url);
  buf_free(&r->url_set);
  buf_free(&r->resp);
  buf_free(&r->head);
}

/* Points the handle at url/body for one exchange and clears the results
 * of the last one. r->url must be NUL-terminated. */
static const char *req_prepare(sc_request *r, const char *method) {
  buf_reset(&r->resp);
  buf_reset(&r->head);
  r->overflow = r->head_overflow = r->nomem = 0;
  r->errbuf[0] = '\0';
  if (r->url_set.len != r->url.len || memcmp(r->url_set.data, r->url.data, r->url.len) != 0) {
    SETOPT(CURLOPT_URL, r->url.data);
    r->url_set.len = 0;
    if (!buf_add(&r->url_set, r->url.data, r->url.len)) return "not enough memory";
  }
  SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
  SETOPT(CURLOPT_POSTFIELDS, r->body.data);
  SETOPT(CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 ? NULL : method);
  return NULL;
}

/* Pushes the final response's headers as a table: lower-case names,
 * repeated headers joined with ", ". */
static void push_headers(lua_State *L, const sc_request *r) {
  const char *d = r->head.data;
  size_t len = r->head.len, pos = 0;
  int lines = 0;
  for (const char *q = d; q != NULL && (q = memchr(q, '\n', len - (size_t)(q - d))) != NULL; q++)
    lines++;
  lua_createtable(L, 0, lines > 2 ? lines - 2 : 0); /* not the status line, nor the blank one */
  while (pos < len) {
    size_t start = pos, stop, colon, v, ve;
    char name[128];
    while (pos < len && d[pos] != '\n') pos++;
    stop = pos++;
    if (stop > start && d[stop - 1] == '\r') stop--;
    if (stop - start >= 5 && memcmp(d + start, "HTTP/", 5) == 0) continue;
    for (colon = start; colon < stop && d[colon] != ':'; colon++) {}
    if (colon == stop || colon == start || colon - start >= sizeof name) continue;
    for (size_t i = start; i < colon; i++)
      name[i - start] = (char)((d[i] >= 'A' && d[i] <= 'Z') ? d[i] + 32 : d[i]);
    for (v = colon + 1; v < stop && (d[v] == ' ' || d[v] == '\t'); v++) {}
    for (ve = stop; ve > v && (d[ve - 1] == ' ' || d[ve - 1] == '\t'); ve--) {}
    lua_pushlstring(L, name, colon - start);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TSTRING) { /* headers name old */
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, d + v, ve - v);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushlstring(L, d + v, ve - v);
    }
    lua_rawset(L, -3);
  }
}
