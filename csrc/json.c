/*
 * JSON output primitives and UTF-8 checking, shared by the request
 * encoder (check.c) and the response normaliser (normalize.c).
 */
#include <float.h>
#include <stdint.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Scans s for UTF-8 validity (no overlongs, no surrogates, nothing above
 * U+10FFFF). Returns the byte offset of the first bad sequence, or -1.
 * *chars receives the number of code points seen up to that point;
 * *nul the offset of the first NUL byte, or -1.
 */
static long utf8_scan(const char *s, size_t len, size_t *chars, long *nul) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, n = 0;
  *nul = -1;
  while (i < len) {
    unsigned c;
    size_t k;
    unsigned cp;
    /* Eight ASCII bytes, none of them NUL, at a time: most text is that. */
    while (len - i >= 8) {
      uint64_t v;
      memcpy(&v, p + i, 8);
      if ((v & 0x8080808080808080u) ||
          ((v - 0x0101010101010101u) & ~v & 0x8080808080808080u))
        break;
      i += 8;
      n += 8;
    }
    if (i == len) break;
    c = p[i];
    if (c < 0x80) {
      if (c == 0 && *nul < 0) *nul = (long)i;
      i++;
      n++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; }
    else { *chars = n; return (long)i; }
    if (len - i <= k) { *chars = n; return (long)i; }
    for (size_t j = 1; j <= k; j++) {
      if ((p[i + j] & 0xC0) != 0x80) { *chars = n; return (long)i; }
      cp = (cp << 6) | (p[i + j] & 0x3F);
    }
    if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (k == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      *chars = n;
      return (long)i;
    }
    i += k + 1;
    n++;
  }
  *chars = n;
  return -1;
}

/* Writes s as a JSON string. The caller has checked it is valid UTF-8, so
 * only '"', '\\' and control characters need escaping. */
static int json_put_string(sc_buf *b, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  size_t i, run = 0;
  if (!buf_reserve(b, len + 2)) return 0;
  b->data[b->len++] = '"';
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char u[6];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (!buf_add(b, s + run, i - run)) return 0;
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default:
        u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
        u[4] = hex[c >> 4]; u[5] = hex[c & 15];
        if (!buf_add(b, u, 6)) return 0;
    }
    if (esc && !buf_adds(b, esc)) return 0;
    run = i + 1;
  }
  return buf_add(b, s + run, len - run) && buf_addc(b, '"');
}

/*
 * The shortest "%.Ng" that reads back as the same double, with the
 * locale's decimal point (a host may have called setlocale) turned into
 * '.'. d must be finite. Returns the length written into out[32].
 */
static int fmt_double(double d, char out[32]) {
  int prec, n = 0;
  const char *dp = localeconv()->decimal_point;
  /* A normal double whose shortest form has at most 15 digits prints as
   * exactly that form at %.15g; subnormals carry fewer digits, so search
   * them from 1. */
  for (prec = (d != 0 && fabs(d) < DBL_MIN) ? 1 : 15; prec <= 17; prec++) {
    n = snprintf(out, 32, "%.*g", prec, d);
    if (strtod(out, NULL) == d) break;
  }
  if (dp[0] != '.' || dp[1] != '\0') {
    size_t dl = strlen(dp);
    char *at = strstr(out, dp);
    if (at != NULL) {
      *at = '.';
      memmove(at + 1, at + dl, strlen(at + dl) + 1);
      n -= (int)(dl - 1);
    }
  }
  return n;
}

static int json_put_integer(sc_buf *b, lua_Integer i) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, LUA_INTEGER_FMT, (LUAI_UACINT)i);
  return buf_add(b, tmp, (size_t)n);
}

static int json_put_double(sc_buf *b, double d) {
  char tmp[32];
  int n = fmt_double(d, tmp);
  return buf_add(b, tmp, (size_t)n);
}
