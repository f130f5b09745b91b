/*
 * Redaction: finds the client's secrets (the Basic token, the key and
 * the secret) in what a server sends back, in every spelling a JSON
 * writer or a URL gives them, and replaces each with a marker.
 *
 * A spelling is read one character at a time, and a character may be
 * written as itself, as a percent-escape (%2F), or as a JSON escape
 * (\/, \", \u00e4, a surrogate pair \ud83d\ude00 for one code point past
 * U+FFFF) at any depth up to SC_JSON_DEPTH: JSON text inside a JSON
 * string escapes the backslashes of its own escapes again (\\u00e4 at
 * depth 2, \\\\u00e4 at depth 3, \\\" for a quote at depth 2). Every
 * reading is followed at once, each place once (a bitmap: the frontier),
 * so a byte of the secret that is itself '%' or '\\' may stand as itself
 * where it would start an escape. A scan stops only at bytes a spelling
 * can start with, and costs at each a few steps per byte of a secret for
 * a secret without a run of backslashes or '%': it stays linear in the
 * text. A secret with such a run can be read in many ways at once, each
 * followed, at a cost that grows with the square of its length.
 */
#ifndef SCENARIO_REDACT_C
#define SCENARIO_REDACT_C

#include "common.h"

#include <stdlib.h>
#include <string.h>

#include "buf.c"

/* What a redacted spelling becomes. */
#define SC_REDACTED "[redacted]"

/* The credentials token, the key and the secret. */
#define SC_SECRETS 3

/* Shorter keys or secrets are not searched for: a two-letter test key
 * would otherwise blank out every match in a response. Real ones are far
 * longer, and the token always is. */
#define SC_SECRET_MIN 8

/* How deep JSON text may be nested in JSON strings for its escapes to
 * be read: 1 is a JSON document, 2 a JSON document inside a string of
 * one (an error that quotes the request), 3 once more. */
#define SC_JSON_DEPTH 3

/* The most ways one character can be read (readings_at): itself, a
 * percent-escape, and three at each depth. */
#define SC_READINGS (2 + 3 * SC_JSON_DEPTH)

typedef struct sc_secret {
  char *s;
  size_t len;
} sc_secret;

/* The places a spelling has reached, as offsets from where it started,
 * after i bytes of the secret: slot i % 5 of a ring (a character's
 * reading is at most 4 bytes), a bit per offset. A reading takes at most
 * SC_BYTES_PER_BYTE bytes of text a byte of the secret (\\\\u0041 at
 * depth 3), so a slot needs that many bits a byte of the longest secret. */
#define SC_BYTES_PER_BYTE 9

typedef struct sc_frontier {
  unsigned char *bits; /* 5 slots of nbits bits; NULL until the first scan needs it */
  size_t nbits;
  size_t lo[5], hi[5]; /* the set offsets of each slot lie in [lo, hi]; lo > hi: none */
} sc_frontier;

typedef struct sc_secrets {
  sc_secret list[SC_SECRETS];
  int n;
  unsigned char starts[SC_SECRETS + 2]; /* bytes a spelling can start with, each once */
  int nstarts;
  sc_frontier fr;
} sc_secrets;

/* Takes s (len bytes, owned by the caller until the secrets are freed)
 * as a secret to look for, if it is long enough and there is room. */
static void secrets_note(sc_secrets *ss, char *s, size_t len) {
  if (len < SC_SECRET_MIN || ss->n == SC_SECRETS) return;
  ss->list[ss->n].s = s;
  ss->list[ss->n++].len = len;
  /* Its first byte, or a backslash or a '%', which start every escape. */
  for (int k = 0; k < 3; k++) {
    unsigned char b = k == 0 ? (unsigned char)s[0] : (unsigned char)"\\%"[k - 1];
    if (memchr(ss->starts, b, (size_t)ss->nstarts) == NULL) ss->starts[ss->nstarts++] = b;
  }
}

/* The code unit of the four hex digits at p (before end), or -1. */
static long hex_unit(const char *p, const char *end) {
  long v = 0;
  if (end - p < 4) return -1;
  for (int i = 0; i < 4; i++) {
    if (!is_hex((unsigned char)p[i])) return -1;
    v = (v << 4) | hex_value(p[i]);
  }
  return v;
}

/* One way to read the text at a place as a character: its bytes (the
 * UTF-8 of a code point, at most 4) and the place after it. */
typedef struct sc_reading {
  unsigned char b[4];
  int n;
  const char *next;
} sc_reading;

static int utf8_of(unsigned long cp, unsigned char *b) {
  if (cp < 0x80) {
    b[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    b[0] = (unsigned char)(0xC0 | (cp >> 6));
    b[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) { /* a lone surrogate too, as CESU-8 writes it */
    b[0] = (unsigned char)(0xE0 | (cp >> 12));
    b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  b[0] = (unsigned char)(0xF0 | (cp >> 18));
  b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  b[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

static void add_reading(sc_reading *out, int *m, const unsigned char *b, int n, const char *next) {
  memcpy(out[*m].b, b, (size_t)n);
  out[*m].n = n;
  out[(*m)++].next = next;
}

/* The \uXXXX at u (its 'u'), whose backslashes were `one` long, as a
 * reading: a surrogate pair takes the next escape, written the same way. */
static void add_unicode(sc_reading *out, int *m, const char *u, const char *end, size_t one) {
  unsigned char b[4];
  long hi = hex_unit(u + 1, end);
  const char *next = u + 5;
  unsigned long cp = (unsigned long)hi;
  int n;
  if (hi < 0) return;
  if (hi >= 0xD800 && hi <= 0xDBFF && (size_t)(end - next) >= one + 5) {
    size_t k = 0;
    long lo;
    while (k < one && next[k] == '\\') k++;
    lo = k == one && next[one] == 'u' ? hex_unit(next + one + 1, end) : -1;
    if (lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
      next += one + 5;
    }
  }
  n = utf8_of(cp, b);
  add_reading(out, m, b, n, next);
}

/* Every way to read the text at q (before end) as one character, into
 * out (SC_READINGS); returns how many. At depth d a JSON escape's
 * backslash is written 2^(d-1) times, a quote after 2^d - 1 of them, and
 * a backslash of the text itself 2^d times. */
static int readings_at(const char *q, const char *end, sc_reading *out) {
  static const unsigned char bslash = '\\', quote = '"', slash = '/';
  static const char simple[] = "b\bf\fn\nr\rt\t//";
  int m = 0;
  size_t run = 0;
  add_reading(out, &m, (const unsigned char *)q, 1, q + 1); /* itself */
  if (*q == '%' && end - q >= 3 && is_hex((unsigned char)q[1]) && is_hex((unsigned char)q[2])) {
    unsigned char v = (unsigned char)((hex_value(q[1]) << 4) | hex_value(q[2]));
    add_reading(out, &m, &v, 1, q + 3);
  }
  if (*q != '\\') return m;
  while (q + run < end && q[run] == '\\' && run <= ((size_t)1 << SC_JSON_DEPTH)) run++;
  for (int d = 1; d <= SC_JSON_DEPTH; d++) {
    size_t one = (size_t)1 << (d - 1), all = ((size_t)1 << d) - 1, lit = (size_t)1 << d;
    const char *e = q + run; /* the byte after the run */
    if (run >= lit) add_reading(out, &m, &bslash, 1, q + lit);
    if (e >= end) continue;
    if (run == one) {
      const char *s = *e != '\0' ? strchr(simple, *e) : NULL;
      if (*e == 'u') {
        add_unicode(out, &m, e, end, one);
      } else if (s != NULL && (s - simple) % 2 == 0) {
        add_reading(out, &m, (const unsigned char *)s + 1, 1, e + 1);
      }
    }
    /* A quote, or the '/' PHP escapes as \/ at every depth, after the
     * backslashes of every depth below. */
    if (run == all && *e == '"') add_reading(out, &m, &quote, 1, e + 1);
    if (run == all && *e == '/' && all != one) add_reading(out, &m, &slash, 1, e + 1);
  }
  return m;
}

/* Frees what the secrets hold besides the secrets themselves. */
static void secrets_free_frontier(sc_secrets *ss) {
  free(ss->fr.bits);
  ss->fr.bits = NULL;
}

/* Makes the frontier ready for the secrets; 0 when memory runs out. */
static int frontier_ready(sc_secrets *ss) {
  size_t longest = 0, bytes;
  sc_frontier *fr = &ss->fr;
  if (fr->bits != NULL) return 1;
  for (int i = 0; i < ss->n; i++)
    if (ss->list[i].len > longest) longest = ss->list[i].len;
  fr->nbits = SC_BYTES_PER_BYTE * longest + 16;
  bytes = (fr->nbits + 7) / 8;
  fr->bits = (unsigned char *)calloc(5, bytes);
  for (int k = 0; k < 5; k++) {
    fr->lo[k] = (size_t)-1;
    fr->hi[k] = 0;
  }
  return fr->bits != NULL;
}

/* Sets offset off in slot k; returns whether it was not set before. */
static int frontier_add(sc_frontier *fr, int k, size_t off) {
  unsigned char *slot = fr->bits + (size_t)k * ((fr->nbits + 7) / 8);
  unsigned char bit = (unsigned char)(1u << (off & 7));
  if (off >= fr->nbits || (slot[off >> 3] & bit) != 0) return 0;
  slot[off >> 3] |= bit;
  if (off < fr->lo[k]) fr->lo[k] = off;
  if (off > fr->hi[k]) fr->hi[k] = off;
  return 1;
}

/* The length of the longest text at p that spells the secret sc, one
 * character at a time in any of its readings (readings_at), or 0. Every
 * place a reading reaches is followed, each once (a bit in the frontier,
 * which is empty before and after). */
static size_t spells_at(const char *p, const char *end, const sc_secret *sc, sc_frontier *fr) {
  size_t longest = 0, plain = 0, pending;
  /* A byte that starts no escape reads only as itself: up to the first
   * '\\' or '%', the text spells the secret one way or none. */
  while (plain < sc->len && p + plain < end && p[plain] != '\\' && p[plain] != '%') {
    if (p[plain] != sc->s[plain]) return 0;
    plain++;
  }
  if (plain == sc->len) return plain;
  if (p + plain >= end) return 0;
  pending = (size_t)frontier_add(fr, (int)(plain % 5), plain);
  for (size_t i = plain; i < sc->len && pending > 0; i++) {
    int k = (int)(i % 5);
    size_t stride = (fr->nbits + 7) / 8, lo = fr->lo[k], hi = fr->hi[k];
    unsigned char *slot = fr->bits + (size_t)k * stride;
    fr->lo[k] = (size_t)-1;
    fr->hi[k] = 0;
    for (size_t off = lo; off <= hi && lo <= hi; off++) {
      sc_reading rd[SC_READINGS];
      const char *q = p + off;
      int m;
      if ((slot[off >> 3] & (1u << (off & 7))) == 0) continue;
      slot[off >> 3] &= (unsigned char)~(1u << (off & 7));
      pending--;
      if (q >= end) continue;
      m = readings_at(q, end, rd);
      for (int r = 0; r < m; r++) {
        size_t got = (size_t)rd[r].n;
        if (i + got > sc->len || memcmp(rd[r].b, sc->s + i, got) != 0) continue;
        if (i + got == sc->len) {
          if ((size_t)(rd[r].next - p) > longest) longest = (size_t)(rd[r].next - p);
          continue;
        }
        pending += (size_t)frontier_add(fr, (int)((i + got) % 5), (size_t)(rd[r].next - p));
      }
    }
  }
  /* Empty for the next: the slots a spelling that ended early left. */
  for (int k = 0; k < 5 && pending > 0; k++) {
    if (fr->lo[k] <= fr->hi[k]) {
      unsigned char *slot = fr->bits + (size_t)k * ((fr->nbits + 7) / 8);
      memset(slot + (fr->lo[k] >> 3), 0, (fr->hi[k] >> 3) - (fr->lo[k] >> 3) + 1);
      fr->lo[k] = (size_t)-1;
      fr->hi[k] = 0;
    }
  }
  return longest;
}

/* Whether the backslash at p is itself escaped: an odd run of them
 * before it. */
static int escaped_at(const char *start, const char *p) {
  int odd = 0;
  while (p > start && p[-1] == '\\') {
    odd = !odd;
    p--;
  }
  return odd;
}

/*
 * Where the scan stops next: at or after p, the first '\\' or '%', or
 * the first byte of a secret that the next byte does not rule out (it is the
 * secret's second byte, or starts an escape, or there is none). The scan
 * itself (scrub) tells which secret a stop may start, so a stop here
 * only has to be a superset of those; every backslash is one, as scrub
 * follows runs of them. SC_NO_SIMD builds the portable code on a
 * machine with SSE2, to test it.
 */
#if defined(__SSE2__) && defined(__GNUC__) && !defined(SC_NO_SIMD)
#include <emmintrin.h>

/* The bytes to compare with, each in all sixteen lanes, made once a
 * scan. Slots past the secrets repeat the first one's, so that the test
 * of a block has no loop: a slot tested twice adds nothing. */
typedef struct sc_stops {
  __m128i first[SC_SECRETS], second[SC_SECRETS], bslash, pct;
  char bytes[SC_SECRETS + 2]; /* the bytes a stop starts with, for skip_quiet */
  int avx2;                   /* whether this CPU runs skip_quiet */
} sc_stops;

/* x86-64 compilers that take a function's own target: AVX2 where the CPU
 * has it, chosen as the scan starts; SSE2 is in every x86-64. */
#if defined(__x86_64__) && !defined(__clang_analyzer__)
#include <immintrin.h>
#define SC_AVX2 1

/* From p, past every block of 32 bytes that holds none of the bytes a
 * stop starts with: where one does, or where fewer than 33 bytes are
 * left. Two thirds of next_stop's first test per byte, on a register
 * twice as wide: an answer whose stops are rare (its secrets start with
 * uncommon bytes) passes at the speed the C library's memchr had here. */
__attribute__((target("avx2"))) static const char *skip_quiet(const sc_stops *st, const char *p, const char *end) {
  const __m256i b0 = _mm256_set1_epi8(st->bytes[0]), b1 = _mm256_set1_epi8(st->bytes[1]),
                b2 = _mm256_set1_epi8(st->bytes[2]), b3 = _mm256_set1_epi8(st->bytes[3]),
                b4 = _mm256_set1_epi8(st->bytes[4]);
  for (; end - p > 32; p += 32) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i any = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, b0), _mm256_cmpeq_epi8(v, b1)),
                                  _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, b2), _mm256_cmpeq_epi8(v, b3)),
                                                  _mm256_cmpeq_epi8(v, b4)));
    if (_mm256_movemask_epi8(any) != 0) break;
  }
  return p;
}
#endif

static void stops_init(sc_stops *st, const sc_secrets *ss) {
  for (int i = 0; i < SC_SECRETS; i++) {
    const char *s = ss->list[i < ss->n ? i : 0].s;
    st->first[i] = _mm_set1_epi8(s[0]);
    st->second[i] = _mm_set1_epi8(s[1]);
    st->bytes[i] = s[0];
  }
  st->bslash = _mm_set1_epi8('\\');
  st->pct = _mm_set1_epi8('%');
  st->bytes[SC_SECRETS] = '\\';
  st->bytes[SC_SECRETS + 1] = '%';
#ifdef SC_AVX2
  st->avx2 = __builtin_cpu_supports("avx2");
#else
  st->avx2 = 0;
#endif
}

/* Sixteen places at a time, each with the byte after it (a second load,
 * one byte on), while there are seventeen bytes to read; the rest one
 * by one. Most of an answer passes at a few instructions per sixteen
 * bytes, where a start byte as common as a letter would stop each time. */
static const char *next_stop(const sc_stops *st, const sc_secrets *ss, const char *p, const char *end) {
  for (; end - p > 16; p += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, st->bslash), _mm_cmpeq_epi8(v, st->pct));
    __m128i w, escapes;
    unsigned m;
    /* First the bytes alone: in most blocks of an answer none can start
     * a stop, and this costs a third of the test with the next byte. */
    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(hit, _mm_cmpeq_epi8(v, st->first[0])),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, st->first[1]),
                                                    _mm_cmpeq_epi8(v, st->first[2])))) == 0) {
#ifdef SC_AVX2
      /* A quiet block: the next ones may be too (-16: the loop adds it). */
      if (st->avx2) p = skip_quiet(st, p + 16, end) - 16;
#endif
      continue;
    }
    w = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    escapes = _mm_or_si128(_mm_cmpeq_epi8(w, st->bslash), _mm_cmpeq_epi8(w, st->pct));
    /* Written out, one line a secret: the compiler keeps a loop of three. */
#if SC_SECRETS != 3
#error "next_stop and skip_quiet test three secrets"
#endif
#define SC_PAIR(i) \
  _mm_and_si128(_mm_cmpeq_epi8(v, st->first[i]), _mm_or_si128(_mm_cmpeq_epi8(w, st->second[i]), escapes))
    hit = _mm_or_si128(_mm_or_si128(hit, SC_PAIR(0)), _mm_or_si128(SC_PAIR(1), SC_PAIR(2)));
#undef SC_PAIR
    m = (unsigned)_mm_movemask_epi8(hit);
    if (m != 0) return p + __builtin_ctz(m);
  }
  for (; p < end; p++) {
    if (*p == '\\' || *p == '%') return p;
    for (int i = 0; i < ss->n; i++) {
      const char *s = ss->list[i].s;
      if (*p == s[0] && (p + 1 == end || p[1] == s[1] || p[1] == '\\' || p[1] == '%')) return p;
    }
  }
  return end;
}
#else
/* Without SSE2: the bytes a spelling can start with, by memchr, which
 * is the C library's vector code where there is one. next[i] is where
 * starts[i] was last found (or end; NULL: not looked for yet): only a
 * byte found before p is looked for again. So each start byte costs one
 * memchr run over the answer, and one more call for each place it
 * occurs; scrub rules out most of those by the next byte. */
typedef struct sc_stops {
  const char *next[SC_SECRETS + 2];
} sc_stops;

static void stops_init(sc_stops *st, const sc_secrets *ss) {
  (void)ss;
  for (int i = 0; i < SC_SECRETS + 2; i++) st->next[i] = NULL;
}

static const char *next_stop(sc_stops *st, const sc_secrets *ss, const char *p, const char *end) {
  const char *first = end;
  for (int i = 0; i < ss->nstarts; i++) {
    if (st->next[i] == NULL || st->next[i] < p) {
      const void *q = memchr(p, ss->starts[i], (size_t)(end - p));
      st->next[i] = q != NULL ? (const char *)q : end;
    }
    if (st->next[i] < first) first = st->next[i];
  }
  return first;
}
#endif

/* Whether the text at p, a backslash, starts a \u escape at some depth
 * (its backslashes 1, 2 or 4, then a 'u'): the one reading of it that
 * can be any character (readings_at). */
static int unicode_at(const char *p, const char *end) {
  int run = 0;
  while (p + run < end && p[run] == '\\' && run < 5) run++;
  return (run == 1 || run == 2 || run == 4) && p + run < end && p[run] == 'u';
}

/* Whether c is the first byte of a reading of a backslash at some depth
 * other than a \u escape (readings_at): itself, what \b \f \n \r \t
 * and \/ stand for, and a quote. */
static int backslash_reads_as(char c) {
  switch (c) {
    case '\\': case '\b': case '\f': case '\n': case '\r': case '\t': case '/': case '"': return 1;
    default: return 0;
  }
}

/* Replaces in b every text that spells one of the secrets with the
 * marker. Returns 0 when memory runs out (b is then unchanged). One
 * pass, stopping only at the bytes a spelling starts with; a backslash
 * that an odd run of them escapes starts none (it is read with the run). */
static int scrub(sc_buf *b, sc_secrets *ss) {
  static const char marker[] = SC_REDACTED;
  sc_buf out = { NULL, 0, 0 };
  const char *d, *end, *copied, *p;
  sc_stops st;
  const char *bs = NULL; /* the last backslash looked at */
  int bs_escaped = 0;    /* ... and whether it was escaped */
  if (b->len == 0 || ss->n == 0) return 1; /* before any arithmetic: an empty buffer's data is NULL */
  if (!frontier_ready(ss)) return 0;
  d = copied = p = b->data;
  end = d + b->len;
  stops_init(&st, ss);
  while ((p = next_stop(&st, ss, p, end)) < end) {
    size_t hit = 0;
    int escape, unicode;
    if (*p == '\\') {
      /* A backslash right after the last one looked at is escaped if that
       * one was not: a run of them costs one step each, not the run. */
      int esc = p > d && bs == p - 1 ? !bs_escaped : escaped_at(d, p);
      bs = p;
      bs_escaped = esc;
      if (esc) {
        p++;
        continue;
      }
    }
    escape = *p == '\\' || *p == '%';
    unicode = *p == '\\' && unicode_at(p, end);
    for (int i = 0; i < ss->n; i++) {
      const sc_secret *sc = &ss->list[i];
      size_t n;
      /* The usual candidate is a byte of text that happens to start
       * some secret: its first two bytes, unless escaped, already tell. */
      if (!escape && (*p != sc->s[0] || (p + 1 < end && p[1] != sc->s[1] && p[1] != '\\' && p[1] != '%')))
        continue;
      /* A backslash (the '/' of "\/", say) reads as a few characters
       * only, unless a \u escape starts at it: a secret that starts with
       * none of them is not spelled here. */
      if (*p == '\\' && !unicode && !backslash_reads_as(sc->s[0])) continue;
      n = spells_at(p, end, sc, &ss->fr);
      if (n > hit) hit = n;
    }
    if (hit == 0) {
      p++;
      continue;
    }
    if (!buf_add(&out, copied, (size_t)(p - copied)) || !buf_add(&out, marker, sizeof marker - 1)) {
      buf_free(&out);
      return 0;
    }
    p += hit;
    copied = p;
  }
  if (copied == d) return 1; /* nothing found: the usual case */
  if (!buf_add(&out, copied, (size_t)(end - copied))) {
    buf_free(&out);
    return 0;
  }
  buf_free(b);
  *b = out;
  return 1;
}

#endif
