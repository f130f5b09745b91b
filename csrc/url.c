/*
 * The URL of an exchange: base_url, the endpoint's path with its path
 * parameters filled in, and the query. Path parameters and query values
 * are percent-encoded: everything but RFC 3986's unreserved characters,
 * so "/" becomes %2F and an id such as "../x" cannot climb out of its
 * place in the path, and "?", "#" or "&" cannot start a query of their
 * own. A parameter that is "." or ".." is refused outright: it is a dot
 * segment, which libcurl (and many servers) would remove from the path,
 * reaching another endpoint.
 */
#ifndef SCENARIO_URL_C
#define SCENARIO_URL_C

#include "common.h"

#include <stdio.h>
#include <string.h>

#include "buf.c"
#include "json.c"
#include "schema.h"
#include "walk.c"

/* n as decimal digits in out (24 bytes), for a message: lua_pushfstring
 * has no size_t conversion in every Lua. */
static const char *size_text(size_t n, char *out) {
  (void)snprintf(out, 24, "%lu", (unsigned long)n); /* 20 digits at most: never cut */
  return out;
}

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

/* Whether the text t (n bytes) has a segment that is "." or "..", a
 * segment ending at a '/' or a '\\' (which some servers take for one),
 * and read up to its first ';' (the start of a parameter, to Tomcat and
 * Spring, which then remove the segment it ends). */
static int dot_segment_in(const char *t, size_t n) {
  size_t i = 0;
  while (i <= n) {
    size_t j = i, name;
    while (j < n && t[j] != '/' && t[j] != '\\') j++;
    name = i;
    while (name < j && t[name] != ';') name++;
    name -= i;
    if ((name == 1 || name == 2) && t[i] == '.' && t[i + name - 1] == '.') return 1;
    i = j + 1;
  }
  return 0;
}

/* Whether the text p (len bytes) has a segment that a server may take
 * for "." or ".." and remove (RFC 3986 6.2.2), reaching another endpoint
 * (dot_segment_in): as it is, and percent-decoded once, twice or three
 * times, as a server may decode "%2F" or "%252e" before it removes them.
 * For a raw call's path, and for a path parameter, which is sent
 * percent-encoded but may be decoded so. */
static int dots_when_decoded(lua_State *L, const char *p, size_t len) {
  char *t = (char *)lua_newuserdatauv(L, len, 0); /* collected with the stack: no leak on a raise */
  size_t n = len;
  int found = 0;
  memcpy(t, p, len);
  for (int pass = 0; pass < 4 && !found; pass++) {
    size_t k = 0;
    int decoded = 0;
    found = dot_segment_in(t, n);
    for (size_t i = 0; i < n && !found; i++) {
      if (t[i] == '%' && i + 2 < n && is_hex((unsigned char)t[i + 1]) && is_hex((unsigned char)t[i + 2])) {
        t[k++] = (char)((hex_value(t[i + 1]) << 4) | hex_value(t[i + 2]));
        i += 2;
        decoded = 1;
      } else {
        t[k++] = t[i];
      }
    }
    n = k;
    if (!decoded) break;
  }
  lua_pop(L, 1);
  return found;
}

/* The name of path parameter i of ep, as a pointer into its path and a
 * length; 0 if there is no such parameter. */
static int path_param_name(const sc_endpoint *ep, int i, const char **name, size_t *len) {
  const char *p = ep->path;
  for (int k = 0; (p = strchr(p, '{')) != NULL; k++, p++) {
    if (k == i) {
      const char *e = strchr(p, '}');
      *name = p + 1;
      *len = e != NULL ? (size_t)(e - p - 1) : 0;
      return 1;
    }
  }
  return 0;
}

/* Checks the path parameters at stack slots params.. (one per {name} of
 * ep's path): each must be a non-empty string. Problems are recorded at
 * the parameter's name. */
static void check_path_params(sc_walk *w, const sc_endpoint *ep, int params, int np) {
  for (int i = 0; i < np; i++) {
    const char *name = "";
    size_t len = 0;
    int idx = params + i;
    if (!path_param_name(ep, i, &name, &len)) break;
    path_key(w, name, len);
    if (lua_type(w->L, idx) != LUA_TSTRING) {
      walk_fail(w, "expected a non-empty string, got %s", describe(w->L, idx));
    } else {
      const char *v = lua_tostring(w->L, idx);
      size_t vlen = lua_rawlen(w->L, idx);
      char n[24];
      if (vlen == 0)
        walk_fail(w, "expected a non-empty string, got an empty one");
      else if (vlen > SC_MAX_PARAM_BYTES)
        walk_fail(w, "is %s bytes long; a path parameter may have at most %d", size_text(vlen, n),
                  SC_MAX_PARAM_BYTES);
      else if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
        walk_fail(w, "\"%s\" cannot be a path segment (it would be removed, reaching another "
                     "endpoint)", v);
      else if (dots_when_decoded(w->L, v, vlen))
        walk_fail(w, "holds a '.' or '..' segment, however escaped (a server that decodes it would "
                     "reach another endpoint)");
    }
    path_pop(w);
  }
}

/* Appends the query value at the top of the stack: a boolean, a number as
 * JSON writes it (exact integers), a string, or an array of those joined
 * with commas (the API's own lists, such as collectionIds, are written so).
 * Checked before (check_query). */
static int put_query_value(lua_State *L, sc_buf *u) {
  switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN: return buf_adds(u, lua_toboolean(L, -1) ? "true" : "false");
    case LUA_TNUMBER: {
      /* As JSON writes it, escaped: 1e+20's "+" would read as a space. */
      char t[32];
      int n = lua_isinteger(L, -1) ? (int)strlen(int_text(lua_tointeger(L, -1), t))
                                   : fmt_double((double)lua_tonumber(L, -1), t);
      return url_put_escaped(u, t, (size_t)n);
    }
    case LUA_TSTRING: {
      size_t len;
      const char *v = lua_tolstring(L, -1, &len);
      return url_put_escaped(u, v, len);
    }
    case LUA_TTABLE: {
      lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
      int ok = 1;
      for (lua_Integer i = 1; ok && i <= n; i++) {
        lua_rawgeti(L, -1, i);
        ok = (i == 1 || buf_addc(u, ',')) && put_query_value(L, u);
        lua_pop(L, 1);
      }
      return ok;
    }
    default: return 1;
  }
}

/* The length of the longest string of the query value at idx (a string,
 * or a list of them), if it is over SC_MAX_PARAM_BYTES; else 0. */
static size_t query_value_too_long(lua_State *L, int idx) {
  size_t longest = 0;
  if (lua_type(L, idx) == LUA_TSTRING) {
    longest = lua_rawlen(L, idx);
  } else if (lua_type(L, idx) == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, i);
      if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > longest) longest = lua_rawlen(L, -1);
      lua_pop(L, 1);
    }
  }
  return longest > SC_MAX_PARAM_BYTES ? longest : 0;
}

/* Records, at the current path, that the query value at idx is too long
 * (query_value_too_long), if it is. */
static void check_query_length(sc_walk *w, int idx) {
  size_t len = query_value_too_long(w->L, idx);
  if (len > 0) {
    char n[24];
    walk_fail(w, "is %s bytes long; a query value may have at most %d", size_text(len, n), SC_MAX_PARAM_BYTES);
  }
}

/* Records a problem for every query value that cannot go in a URL: a
 * field typed as any JSON (dryRun) may still only be a scalar, and no
 * string may be over SC_MAX_PARAM_BYTES. The query table at idx has
 * passed its schema. */
static void check_query_values(sc_walk *w, const sc_type *query, int idx) {
  lua_State *L = w->L;
  for (int i = 0; i < query->nfields; i++) {
    const sc_field *f = &query->fields[i];
    int t;
    lua_pushstring(L, f->name);
    t = lua_rawget(L, idx);
    path_key(w, f->name, strlen(f->name));
    if (f->type->kind == SC_ANY && t != LUA_TNIL && t != LUA_TBOOLEAN && t != LUA_TNUMBER &&
        t != LUA_TSTRING)
      walk_fail(w, "a query parameter must be a string, a number or a boolean, got %s", describe(L, -1));
    else
      check_query_length(w, lua_gettop(L));
    path_pop(w);
    lua_pop(L, 1);
  }
}

/* Records a problem when the URL in u (NUL-terminated) is longer than a
 * call may send: the values are each within their cap, but not all of
 * them together. */
static void check_url_length(sc_walk *w, const sc_buf *u) {
  if (u->len - 1 > SC_MAX_URL_BYTES) {
    char n[24];
    path_key(w, "query", 5);
    walk_fail(w, "the URL would be %s bytes long; a call may send at most %d", size_text(u->len - 1, n),
              SC_MAX_URL_BYTES);
    path_pop(w);
  }
}

/* Writes base_url, the endpoint's path with the path parameters at stack
 * slots params.. filled in, and the query at stack slot query (0: none),
 * all already checked, into u, NUL-terminated. */
static void build_url(lua_State *L, sc_buf *u, const char *base_url, const sc_endpoint *ep,
                      int params, int query) {
  int ok, i = 0;
  char sep = '?';
  const char *p = ep->path, *open;
  buf_reset(u);
  ok = buf_adds(u, base_url);
  while (ok && (open = strchr(p, '{')) != NULL) {
    size_t len;
    const char *v = lua_tolstring(L, params + i++, &len);
    const char *close = strchr(open, '}');
    ok = buf_add(u, p, (size_t)(open - p)) && url_put_escaped(u, v, len);
    p = close != NULL ? close + 1 : open + strlen(open);
  }
  ok = ok && buf_adds(u, p);
  for (i = 0; ok && query && i < ep->query->nfields; i++) {
    const sc_field *f = &ep->query->fields[i];
    lua_pushstring(L, f->name);
    if (lua_rawget(L, query) == LUA_TNIL || (lua_type(L, -1) == LUA_TTABLE && lua_rawlen(L, -1) == 0) ||
        is_cjson_empty_array(L, -1)) { /* an empty list: none */
      lua_pop(L, 1);
      continue;
    }
    ok = buf_addc(u, sep) && buf_adds(u, f->name) && buf_addc(u, '=') && put_query_value(L, u);
    sep = '&';
    lua_pop(L, 1);
  }
  if (!ok || !buf_addc(u, '\0')) luaL_error(L, "not enough memory");
}

/* Whether the len bytes at h, which follow "127.", end an IPv4 address
 * that inet_aton reads as one, in decimal: 1 to 3 more parts (quad: 3
 * exactly), the last one filling the bits the parts before it leave
 * (127.1 is 127.0.0.1). A part with a leading zero (octal to inet_aton)
 * or anything else is a name, which goes to DNS: not loopback. */
static int loopback_tail(const char *h, size_t len, int quad) {
  unsigned long part[3];
  int n = 0;
  size_t i = 0;
  if (len == 0 || h[len - 1] == '.') return 0;
  while (n < 3) {
    size_t start = i;
    unsigned long v = 0;
    while (i < len && h[i] >= '0' && h[i] <= '9' && i - start < 9) v = v * 10 + (unsigned long)(h[i++] - '0');
    if (i == start || (h[start] == '0' && i - start > 1)) return 0;
    part[n++] = v;
    if (i == len) break;
    if (h[i++] != '.') return 0;
  }
  if (i != len || (quad && n != 3)) return 0;
  for (int k = 0; k < n - 1; k++)
    if (part[k] > 255) return 0;
  return part[n - 1] <= (n == 1 ? 0xFFFFFFUL : n == 2 ? 0xFFFFUL : 0xFFUL);
}

/* Whether the host h (len bytes, as a URL writes it: an IPv6 address in
 * brackets) names this very machine: localhost, an address of 127/8
 * (127.1 too), and ::1, also as an IPv4-mapped address. Not "localhost.":
 * libcurl 7.88 answers "localhost" itself but asks DNS for that one.
 * The one rule for base_url (options.lua, through core.loopback_host)
 * and for a download's URL (download.c): what needs no TLS, and never
 * goes through a proxy. */
static int loopback_host(const char *h, size_t len) {
  static const char *const names[] = { "localhost", "[::1]", "[0:0:0:0:0:0:0:1]", NULL };
  static const char mapped[] = "[::ffff:127.";
  char low[64];
  if (len >= sizeof low) return 0;
  for (size_t i = 0; i < len; i++) low[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
  low[len] = '\0';
  for (int i = 0; names[i] != NULL; i++)
    if (strcmp(low, names[i]) == 0) return 1;
  if (len >= 4 && memcmp(low, "127.", 4) == 0) return loopback_tail(low + 4, len - 4, 0);
  return len > sizeof mapped && memcmp(low, mapped, sizeof mapped - 1) == 0 && low[len - 1] == ']' &&
         loopback_tail(low + sizeof mapped - 1, len - sizeof mapped, 1);
}

/* core.loopback_host(host) -> boolean: loopback_host's answer. */
static int l_loopback_host(lua_State *L) {
  size_t len;
  const char *h = luaL_checklstring(L, 1, &len);
  lua_pushboolean(L, loopback_host(h, len));
  return 1;
}

/* Registers core.loopback_host in the module at M, and the caps on a
 * parameter and a URL. */
static void url_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "loopback_host", l_loopback_host },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
  sc_limit_int(L, M, "max_param_bytes", SC_MAX_PARAM_BYTES);
  sc_limit_int(L, M, "max_url_bytes", SC_MAX_URL_BYTES);
}

#endif
