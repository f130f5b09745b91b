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

/* The length of the valid multi-byte UTF-8 sequence at p (whose lead
 * byte is 0x80 or above), or 0: no overlongs, no surrogates, nothing
 * above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t avail) {
  unsigned c = p[0], cp;
  size_t k;
  if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; }
  else return 0;
  if (avail <= k) return 0;
  for (size_t j = 1; j <= k; j++) {
    if ((p[j] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[j] & 0x3F);
  }
  if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return k + 1;
}

#define SC_ONES 0x0101010101010101u
#define SC_HIGHS 0x8080808080808080u

/* Whether v has a zero byte. */
#define HAS_ZERO(v) (((v) - SC_ONES) & ~(v) & SC_HIGHS)

/* The high bit of each byte of v that is '"', '\\' or below 0x20. */
static uint64_t needs_escape8(uint64_t v) {
  uint64_t q = v ^ (SC_ONES * '"'), bs = v ^ (SC_ONES * '\\');
  return (HAS_ZERO(q) | HAS_ZERO(bs) | ((v - SC_ONES * 0x20) & ~v)) & SC_HIGHS;
}

/* Where a run of clean ASCII ends if the eight bytes at i are one (near
 * the end of s, the last eight are read instead, rereading bytes already
 * passed); i if they are not. Clean means no NUL, or with json set, no
 * byte that JSON must escape. */
static size_t ascii_word_end(const unsigned char *p, size_t i, size_t len, int json) {
  uint64_t v;
  size_t at;
  if (len < 8) return i;
  at = len - i >= 8 ? i : len - 8;
  memcpy(&v, p + at, 8);
  if ((v & SC_HIGHS) | (json ? needs_escape8(v) : HAS_ZERO(v))) return i;
  return at + 8;
}

/*
 * Scans s for UTF-8 validity. Returns the byte offset of the first bad
 * sequence, or -1. *chars receives the number of code points seen up to
 * that point; *nul the offset of the first NUL byte, or -1.
 */
static long utf8_scan(const char *s, size_t len, size_t *chars, long *nul) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, n = 0;
  *nul = -1;
  while (i < len) {
    size_t end = ascii_word_end(p, i, len, 0); /* eight bytes at a time */
    if (end != i) {
      n += end - i;
      i = end;
      continue;
    }
    if (p[i] < 0x80) {
      if (p[i] == 0 && *nul < 0) *nul = (long)i;
      i++;
    } else {
      size_t k = utf8_seq(p + i, len - i);
      if (k == 0) break;
      i += k;
    }
    n++;
  }
  *chars = n;
  return i < len ? (long)i : -1;
}


/* Appends the escape for the ASCII byte c ('"', '\\' or a control). */
static int json_put_escape(sc_buf *b, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
  switch (c) {
    case '"': return buf_add(b, "\\\"", 2);
    case '\\': return buf_add(b, "\\\\", 2);
    case '\n': return buf_add(b, "\\n", 2);
    case '\r': return buf_add(b, "\\r", 2);
    case '\t': return buf_add(b, "\\t", 2);
    case '\b': return buf_add(b, "\\b", 2);
    case '\f': return buf_add(b, "\\f", 2);
    default: return buf_add(b, u, 6);
  }
}

/*
 * Checks and writes s as a JSON string in one pass: the work of utf8_scan
 * and the escaping together. Returns what utf8_scan returns (the offset of
 * bad UTF-8, or -1), with *chars and *nul as there, or -2 when memory runs
 * out. On bad UTF-8 the buffer holds a partial string: the caller, which
 * records a problem, stops writing anyway.
 */
static long json_put_checked(sc_buf *b, const char *s, size_t len, size_t *chars, long *nul) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0, n = 0;
  *nul = -1;
  if (!buf_reserve(b, len + 2)) return -2;
  b->data[b->len++] = '"';
  while (i < len) {
    unsigned char c;
    size_t end = ascii_word_end(p, i, len, 1); /* eight bytes at a time */
    if (end != i) {
      n += end - i;
      i = end;
      continue;
    }
    c = p[i];
    n++;
    if (c >= 0x80) {
      size_t k = utf8_seq(p + i, len - i);
      if (k == 0) {
        *chars = n - 1;
        return (long)i;
      }
      i += k;
    } else if (c >= 0x20 && c != '"' && c != '\\') {
      i++;
    } else {
      if (c == 0 && *nul < 0) *nul = (long)i;
      if (!buf_add(b, s + run, i - run) || !json_put_escape(b, c)) return -2;
      run = ++i;
    }
  }
  *chars = n;
  return buf_add(b, s + run, len - run) && buf_addc(b, '"') ? -1 : -2;
}

/* Writes s, known to be valid UTF-8, as a JSON string. */
static int json_put_string(sc_buf *b, const char *s, size_t len) {
  size_t chars;
  long nul;
  return json_put_checked(b, s, len, &chars, &nul) == -1;
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

/* The decimal text of i, in out. lua_pushfstring has no integer format
 * before 5.3, so messages format integers with this and "%s". */
static const char *int_text(lua_Integer i, char out[24]) {
  (void)snprintf(out, 24, "%lld", (long long)i);
  return out;
}

static int json_put_integer(sc_buf *b, lua_Integer i) {
  char tmp[24];
  const char *s = int_text(i, tmp);
  return buf_add(b, s, strlen(s));
}

static int json_put_double(sc_buf *b, double d) {
  char tmp[32];
  int n = fmt_double(d, tmp);
  return buf_add(b, tmp, (size_t)n);
}
