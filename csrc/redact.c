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
 * reading is followed at once, as a set of places (SC_SPELL_WAYS), so a
 * byte of the secret that is itself '%' or '\\' may stand as itself
 * where it would start an escape. A scan stops only at bytes a spelling
 * can start with, and costs at each a few steps per byte of a secret:
 * it stays linear in the text.
 */
#ifndef SCENARIO_REDACT_C
#define SCENARIO_REDACT_C

#include "common.h"

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

/* Places reached at once while spelling a secret out: more readings
 * than this at one byte of the secret are not followed. Each needs a
 * backslash or a '%' of the secret met where the text escapes it. */
#define SC_SPELL_WAYS 32

/* The most ways one character can be read (readings_at): itself, a
 * percent-escape, and three at each depth. */
#define SC_READINGS (2 + 3 * SC_JSON_DEPTH)

typedef struct sc_secret {
  char *s;
  size_t len;
} sc_secret;

typedef struct sc_secrets {
  sc_secret list[SC_SECRETS];
  int n;
  unsigned char starts[SC_SECRETS + 2]; /* bytes a spelling can start with, each once */
  int nstarts;
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

/* Adds q to the m places of set (once). */
static void add_place(const char **set, int *m, const char *q) {
  for (int i = 0; i < *m; i++)
    if (set[i] == q) return;
  if (*m < SC_SPELL_WAYS) set[(*m)++] = q;
}

/* The length of the longest text at p that spells the secret sc, one
 * character at a time in any of its readings (readings_at), or 0. The
 * places reached after i bytes of the secret wait in ring slot i % 5: a
 * character's reading is at most 4 bytes. */
static size_t spells_at(const char *p, const char *end, const sc_secret *sc) {
  const char *ring[5][SC_SPELL_WAYS];
  int nring[5] = { 0, 0, 0, 0, 0 }, pending = 1;
  size_t longest = 0, plain = 0;
  /* A byte that starts no escape reads only as itself: up to the first
   * '\\' or '%', the text spells the secret one way or none. */
  while (plain < sc->len && p + plain < end && p[plain] != '\\' && p[plain] != '%') {
    if (p[plain] != sc->s[plain]) return 0;
    plain++;
  }
  if (plain == sc->len) return plain;
  if (p + plain >= end) return 0;
  ring[plain % 5][0] = p + plain;
  nring[plain % 5] = 1;
  for (size_t i = plain; i < sc->len && pending > 0; i++) {
    int slot = (int)(i % 5), n = nring[slot];
    nring[slot] = 0;
    pending -= n;
    for (int j = 0; j < n; j++) {
      sc_reading rd[SC_READINGS];
      const char *q = ring[slot][j];
      int m;
      if (q >= end) continue;
      m = readings_at(q, end, rd);
      for (int k = 0; k < m; k++) {
        size_t got = (size_t)rd[k].n;
        int to;
        if (i + got > sc->len || memcmp(rd[k].b, sc->s + i, got) != 0) continue;
        if (i + got == sc->len) {
          if ((size_t)(rd[k].next - p) > longest) longest = (size_t)(rd[k].next - p);
          continue;
        }
        to = (int)((i + got) % 5);
        pending -= nring[to];
        add_place(ring[to], &nring[to], rd[k].next);
        pending += nring[to];
      }
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

/* The first place at or after p that holds one of the n bytes `starts`,
 * or end. next[i] is where starts[i] was last found (or end; NULL: not
 * looked for yet): only a byte found before p is looked for again. So
 * each start byte costs one memchr run over the answer, in the C
 * library's vector code, and one more call for each place it occurs:
 * most bytes of an answer start no secret. */
static const char *next_start(const unsigned char *starts, int n, const char **next, const char *p,
                              const char *end) {
  const char *first = end;
  for (int i = 0; i < n; i++) {
    if (next[i] == NULL || next[i] < p) {
      const void *q = memchr(p, starts[i], (size_t)(end - p));
      next[i] = q != NULL ? (const char *)q : end;
    }
    if (next[i] < first) first = next[i];
  }
  return first;
}

/* Replaces in b every text that spells one of the secrets with the
 * marker. Returns 0 when memory runs out (b is then unchanged). One
 * pass, stopping only at the bytes a spelling starts with; a backslash
 * that an odd run of them escapes starts none (it is read with the run). */
static int scrub(sc_buf *b, const sc_secrets *ss) {
  static const char marker[] = SC_REDACTED;
  sc_buf out = { NULL, 0, 0 };
  const char *d = b->data, *end = b->data + b->len, *copied = b->data, *p = b->data;
  const char *next[SC_SECRETS + 2] = { NULL };
  const char *bs = NULL; /* the last backslash looked at */
  int bs_escaped = 0;    /* ... and whether it was escaped */
  if (b->len == 0 || ss->n == 0) return 1;
  while ((p = next_start(ss->starts, ss->nstarts, next, p, end)) < end) {
    size_t hit = 0;
    int escape;
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
    for (int i = 0; i < ss->n; i++) {
      const sc_secret *sc = &ss->list[i];
      size_t n;
      /* The usual candidate is a byte of text that happens to start
       * some secret: its first two bytes, unless escaped, already tell. */
      if (!escape && (*p != sc->s[0] || (p + 1 < end && p[1] != sc->s[1] && p[1] != '\\' && p[1] != '%')))
        continue;
      n = spells_at(p, end, sc);
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
