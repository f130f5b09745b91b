/*
 * JSON output primitives and UTF-8 checking, shared by the request
 * encoder (encode.c) and the response decoder (decode.c).
 */
#ifndef SCENARIO_JSON_C
#define SCENARIO_JSON_C

#include "common.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.c"

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

/* The offset of the lowest flagged byte of the mask m (not 0), which is
 * always a true one: a borrow only flags bytes above a true one. -1
 * where the byte order or the compiler does not let us tell. */
static int first_flagged(uint64_t m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return __builtin_ctzll(m) >> 3;
#else
  (void)m;
  return -1;
#endif
}

/* The flags of the bytes of v that are not clean ASCII: 0x80 and above,
 * and NUL or, with json set, any byte JSON must escape. */
static uint64_t unclean8(uint64_t v, int json) {
  return (v & SC_HIGHS) | (json ? needs_escape8(v) : HAS_ZERO(v));
}

/* SC_NO_SIMD: the portable code, for a test of it on a machine with SSE2. */
#if defined(__SSE2__) && defined(__GNUC__) && !defined(SC_NO_SIMD)
#include <emmintrin.h>
#define SC_SSE2 1
/* unclean8 for the sixteen bytes at p, as a mask of bits (bit k: byte k). */
static unsigned unclean16(const unsigned char *p, int json) {
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p), bad;
  if (json)  /* a signed compare: below 0x20 is a control, below 0 is 0x80 and above */
    bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                       _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  else       /* NUL, or the high bit set */
    bad = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), v);
  return (unsigned)_mm_movemask_epi8(bad);
}
#endif

/* Where the run of clean ASCII (see unclean8) that starts at i ends, or
 * i itself, reading eight bytes at a time; the last eight bytes of s are
 * read as one word, rereading bytes already passed. Never beyond the
 * first byte that is not clean. */
static size_t clean_run(const unsigned char *p, size_t i, size_t len, int json) {
  uint64_t v, m;
  int k;
#ifdef SC_SSE2
  while (len - i >= 16) {
    unsigned m16 = unclean16(p + i, json);
    if (m16 != 0) return i + (size_t)__builtin_ctz(m16);
    i += 16;
  }
  if (i < len && len >= 16) {
    /* The last sixteen bytes as one load; the bytes already passed are
     * masked out, as one of them may be part of a multi-byte character. */
    size_t at = len - 16;
    unsigned m16 = unclean16(p + at, json) & (0xFFFFu << (i - at));
    return m16 != 0 ? at + (size_t)__builtin_ctz(m16) : len;
  }
#endif
  while (len - i >= 8) {
    memcpy(&v, p + i, 8);
    m = unclean8(v, json);
    if (m != 0) {
      k = first_flagged(m);
      return k >= 0 ? i + (size_t)k : i;
    }
    i += 8;
  }
  if (i == len || len < 8) return i;
  memcpy(&v, p + len - 8, 8);
  m = unclean8(v, json);
  if (m == 0) return len;
  /* The flagged byte may be one already passed (part of a multi-byte
   * character, say): then the run ends at i as far as we can tell. */
  k = first_flagged(m);
  return k >= 0 && len - 8 + (size_t)k > i ? len - 8 + (size_t)k : i;
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
    size_t end = clean_run(p, i, len, 0);
    n += end - i;
    i = end;
    if (i == len) break;
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
    size_t end = clean_run(p, i, len, 1);
    n += end - i;
    i = end;
    if (i == len) break;
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

/* The largest k for which fmt_short tries d * 10^k: most doubles in a
 * request (a scale, a strength, a guidance) have a few decimals, and a
 * double that has none of these few pays 9 multiplications more. */
#define SC_SHORT_DECIMALS 8

/*
 * fmt_double for a double that is the nearest one to a decimal
 * m / 10^k with m below 10^15 and k at most SC_SHORT_DECIMALS, whose
 * "%g" form has no exponent (from 1e-4 up): out of snprintf's and
 * strtod's way, which cost thousands of instructions. Returns the length
 * written, or 0 when d is not such a double.
 *
 * Why the text is the one fmt_double's loop would print: IEEE division
 * rounds correctly and m and 10^k are exact doubles, so m / 10^k == |d|
 * means |d| is the double nearest to the decimal. A decimal of at most
 * 15 significant digits (DBL_DIG) comes back unchanged from its nearest
 * double at "%.15g", which reads back as d: the loop stops at 15 and
 * prints the decimal's digits, trailing zeros dropped, in "%f" style as
 * its exponent lies in [-4, 15). Two such decimals cannot share a double
 * (both would be its "%.15g"), so whichever k passes gives that text.
 */
static int fmt_short(double d, char out[32]) {
  static const double p10[SC_SHORT_DECIMALS + 1] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
  double a = d < 0 ? -d : d;
  char digits[20];
  int k, nd = 0, n = 0, point;
  uint64_t m = 0;
  if (d == 0) {
    if (signbit(d)) out[n++] = '-';
    out[n++] = '0';
    out[n] = '\0';
    return n;
  }
  /* Outside, "%g" may take the exponent form: left to the loop. NaN too. */
  if (!(a >= 1e-4 && a < 1e15)) return 0;
  for (k = 0; k <= SC_SHORT_DECIMALS; k++) {
    double t = a * p10[k];
    if (t >= 1e15) return 0;
    m = (uint64_t)(t + 0.5);
    if ((double)m / p10[k] == a) break;
  }
  if (k > SC_SHORT_DECIMALS || m == 0) return 0;
  while (k > 0 && m % 10 == 0) {
    m /= 10;
    k--;
  }
  for (; m > 0; m /= 10) digits[nd++] = (char)('0' + m % 10); /* least significant first */
  /* The exponent "%g" sees, nd - 1 - k, must be -4 or more for "%f" style. */
  if (nd - 1 - k < -4) return 0;
  if (d < 0) out[n++] = '-';
  point = nd - k; /* digits before the point; 0 or less: "0." and zeros */
  if (point <= 0) {
    out[n++] = '0';
    out[n++] = '.';
    for (int z = point; z < 0; z++) out[n++] = '0';
  }
  for (int j = nd - 1; j >= 0; j--) {
    out[n++] = digits[j];
    if (j == k && k > 0 && point > 0) out[n++] = '.';
  }
  out[n] = '\0';
  return n;
}

/*
 * The shortest "%.Ng" that reads back as the same double, with the
 * locale's decimal point (a host may have called setlocale) turned into
 * '.'. d must be finite. Returns the length written into out[32].
 */
static int fmt_double(double d, char out[32]) {
  int prec, n = fmt_short(d, out);
  const char *dp;
  if (n > 0) return n;
  dp = localeconv()->decimal_point;
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

#endif
