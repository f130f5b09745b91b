/*
 * The floors a Lua client stands on: libcurl on one reused easy handle,
 * in the smallest Lua C module that hands the answer to Lua as a string,
 * for bench/client_floor.lua to decode with lua-cjson or core.decode.
 * The request is the one scenario sends (same headers, User-Agent and
 * Basic auth), with a precomputed body for a POST.
 *
 *   local curl = require "benchcurl"
 *   local h = curl.new(url, user_agent, body_or_nil)  -- nil: a GET
 *   local status, answer = h:perform()
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

typedef struct {
  CURL *easy;
  struct curl_slist *headers;
  char *body;
  char *resp;
  size_t len, cap;
} bench_handle;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  bench_handle *h = (bench_handle *)ud;
  size_t k = size * n;
  if (h->len + k > h->cap) {
    size_t cap = h->cap ? h->cap : 4096;
    char *v;
    while (cap < h->len + k) cap *= 2;
    v = (char *)realloc(h->resp, cap);
    if (v == NULL) return 0;
    h->resp = v;
    h->cap = cap;
  }
  memcpy(h->resp + h->len, p, k);
  h->len += k;
  return k;
}

static int h_gc(lua_State *L) {
  bench_handle *h = (bench_handle *)luaL_checkudata(L, 1, "benchcurl");
  if (h->easy != NULL) curl_easy_cleanup(h->easy);
  curl_slist_free_all(h->headers);
  free(h->body);
  free(h->resp);
  memset(h, 0, sizeof *h);
  return 0;
}

static int h_perform(lua_State *L) {
  bench_handle *h = (bench_handle *)luaL_checkudata(L, 1, "benchcurl");
  long status = 0;
  CURLcode rc;
  h->len = 0;
  rc = curl_easy_perform(h->easy);
  if (rc != CURLE_OK) return luaL_error(L, "benchcurl: %s", curl_easy_strerror(rc));
  curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_pushinteger(L, (lua_Integer)status);
  lua_pushlstring(L, h->resp != NULL ? h->resp : "", h->len);
  return 2;
}

static int b_new(lua_State *L) {
  const char *url = luaL_checkstring(L, 1), *ua = luaL_checkstring(L, 2);
  size_t blen = 0;
  const char *body = luaL_optlstring(L, 3, NULL, &blen);
  bench_handle *h = (bench_handle *)lua_newuserdata(L, sizeof *h);
  memset(h, 0, sizeof *h);
  luaL_setmetatable(L, "benchcurl");
  h->easy = curl_easy_init();
  if (h->easy == NULL) return luaL_error(L, "benchcurl: curl_easy_init failed");
  h->headers = curl_slist_append(h->headers, "Accept: application/json");
  h->headers = curl_slist_append(h->headers, "Expect:");
  if (body != NULL) h->headers = curl_slist_append(h->headers, "Content-Type: application/json");
  curl_easy_setopt(h->easy, CURLOPT_URL, url);
  curl_easy_setopt(h->easy, CURLOPT_USERAGENT, ua);
  curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
  curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h->easy, CURLOPT_USERNAME, "bench-key");
  curl_easy_setopt(h->easy, CURLOPT_PASSWORD, "bench-secret");
  curl_easy_setopt(h->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
  curl_easy_setopt(h->easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, (void *)h);
  if (body != NULL) {
    h->body = (char *)malloc(blen + 1);
    if (h->body == NULL) return luaL_error(L, "not enough memory");
    memcpy(h->body, body, blen + 1);
    curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE, (long)blen);
    curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, h->body);
  }
  return 1;
}

int luaopen_benchcurl(lua_State *L) {
  static const luaL_Reg methods[] = { { "perform", h_perform }, { "__gc", h_gc }, { NULL, NULL } };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  luaL_newmetatable(L, "benchcurl");
  luaL_setfuncs(L, methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, b_new);
  lua_setfield(L, -2, "new");
  return 1;
}
