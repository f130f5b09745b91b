/*
 * The response engine: parses JSON straight into Lua values, checking and
 * normalising them against the response schema in the same pass.
 *   - A number written as an integer is a Lua integer, exact to 2^63 - 1
 *     (to 2^53 before Lua 5.3). A number written with a fraction or an
 *     exponent whose value is integral and below 2^53 becomes an integer
 *     too; any other stays a float.
 *   - A null member of any object is an absent field; nulls in arrays stay,
 *     as scenario.null, to keep the positions.
 *   - Strings must be valid UTF-8.
 * Fields and enum values the schema does not know are kept, normalised
 * the same way: the API grows, and a client must not drop what it does
 * not understand yet. A value of the wrong type for a known field is a
 * problem, reported with its path; the parse goes on, so every such
 * problem is reported at once. Broken JSON stops the parse.
 *
 * Tables are made at their final size where it is known: an array's first
 * SC_RD_CHUNK items wait on the stack, and an object of a known type gets
 * room for its fields.
 */
#ifndef SCENARIO_DECODE_C
#define SCENARIO_DECODE_C

#include "common.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.c"
#include "lookup.c"
#include "schema.h"
#include "walk.c"

#define SC_EXACT_LIMIT 9007199254740992.0 /* 2^53 */

/* Array items that wait on the stack before their table is made. Each
 * nesting level holds this many plus a few, and 5.1 gives one C call
 * 8000 slots: 200 levels * (16 + 4) stays well under. */
#define SC_RD_CHUNK 16

/* The path never has more segments than the parser allows levels. */
typedef char sc_path_fits_json_depth[SC_JSON_MAX_DEPTH < SC_PATH_MAX ? 1 : -1];

typedef struct sc_reader {
  sc_walk *w;                  /* path, problems and lookups */
  const unsigned char *start;  /* the body */
  const unsigned char *p;      /* next byte */
  const unsigned char *end;
  const char *syntax;          /* why the JSON is broken, or NULL */
  size_t syntax_at;            /* and at which byte offset */
  int depth;
  int names;                   /* stack slot of the lookups' anchor table */
  int keep_nulls;              /* a null member is core.null, not absent (core.parse_json's option) */
  int optional;                /* the value read next is an optional member's (rd_value takes it) */
} sc_reader;

/* What reading a value gave. RD_PUSHED: a string decoded onto the stack. */
enum { RD_BROKEN, RD_VALUE, RD_NULL, RD_PUSHED };

static int rd_value(sc_reader *r, const sc_type *t);

static int rd_broken(sc_reader *r, const char *why) {
  if (r->syntax == NULL) {
    r->syntax = why;
    r->syntax_at = (size_t)(r->p - r->start);
  }
  return RD_BROKEN;
}

static void rd_space(sc_reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

/* ---- strings ---------------------------------------------------------------- */

static int hex4(const unsigned char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i];
    if (c >= '0' && c <= '9') c -= '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') c = (c | 0x20) - 'a' + 10;
    else return 0;
    v = v << 4 | c;
  }
  *out = v;
  return 1;
}

static size_t utf8_put(unsigned cp, char out[4]) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes the escaped string whose body starts at r->p (just past the
 * opening quote) into a new Lua string. Lone surrogates are broken JSON:
 * they would make invalid UTF-8. */
static int rd_escaped(sc_reader *r) {
  luaL_Buffer b;
  const unsigned char *p = r->p;
  /* Before 5.2 a long buffer keeps up to about ten pieces on the stack. */
  luaL_checkstack(r->w->L, LUA_MINSTACK / 2 + 2, "nested too deeply");
  luaL_buffinit(r->w->L, &b);
  for (;;) {
    const unsigned char *run = p;
    while (p < r->end && *p != '"' && *p != '\\' && *p >= 0x20) p++;
    luaL_addlstring(&b, (const char *)run, (size_t)(p - run));
    if (p >= r->end) {
      r->p = p;
      return rd_broken(r, "unterminated string");
    }
    if (*p == '"') break;
    if (*p < 0x20) {
      r->p = p;
      return rd_broken(r, "control character in a string");
    }
    if (r->end - p < 2) {
      r->p = p;
      return rd_broken(r, "unterminated string");
    }
    switch (p[1]) {
      case '"':
      case '\\':
      case '/': luaL_addlstring(&b, (const char *)p + 1, 1); break;
      case 'b': luaL_addlstring(&b, "\b", 1); break;
      case 'f': luaL_addlstring(&b, "\f", 1); break;
      case 'n': luaL_addlstring(&b, "\n", 1); break;
      case 'r': luaL_addlstring(&b, "\r", 1); break;
      case 't': luaL_addlstring(&b, "\t", 1); break;
      case 'u': {
        unsigned cp, lo;
        char u8[4];
        if (r->end - p < 6 || !hex4(p + 2, &cp)) {
          r->p = p;
          return rd_broken(r, "invalid \\u escape");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (r->end - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &lo) ||
              lo < 0xDC00 || lo > 0xDFFF) {
            r->p = p;
            return rd_broken(r, "lone surrogate in a \\u escape");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          r->p = p;
          return rd_broken(r, "lone surrogate in a \\u escape");
        }
        luaL_addlstring(&b, u8, utf8_put(cp, u8));
        p += 4;
        break;
      }
      default:
        r->p = p;
        return rd_broken(r, "invalid escape in a string");
    }
    p += 2;
  }
  r->p = p + 1;
  luaL_pushresult(&b);
  return RD_VALUE;
}

/*
 * Scans the string at r->p (its opening quote) and checks its UTF-8 on
 * the way. A string with no escapes stays where it is: *s and *len give
 * its bytes, nothing is pushed, and the result is RD_VALUE. One with
 * escapes is decoded and pushed (RD_PUSHED). Either way *bad receives the
 * offset of its first invalid UTF-8 byte, or -1.
 */
static int rd_span(sc_reader *r, const char **s, size_t *len, long *bad) {
  const unsigned char *start = ++r->p, *p = start, *e = r->end;
  *s = NULL;
  *len = 0;
  *bad = -1;
  for (;;) {
    p = r->start + clean_run(r->start, (size_t)(p - r->start), (size_t)(e - r->start), 1);
    if (p >= e) {
      r->p = p;
      return rd_broken(r, "unterminated string");
    }
    if (*p == '"') break;
    if (*p >= 0x80) {
      size_t k = utf8_seq(p, (size_t)(e - p));
      if (k == 0 && *bad < 0) *bad = (long)(p - start);
      p += k ? k : 1;
    } else if (*p == '\\') {
      r->p = start;
      if (rd_escaped(r) == RD_BROKEN) return RD_BROKEN;
      {
        size_t n, chars;
        long nul;
        const char *d = lua_tolstring(r->w->L, -1, &n);
        *bad = utf8_scan(d, n, &chars, &nul);
      }
      return RD_PUSHED;
    } else if (*p < 0x20) {
      r->p = p;
      return rd_broken(r, "control character in a string");
    } else {
      p++;
    }
  }
  *s = (const char *)start;
  *len = (size_t)(p - start);
  r->p = p + 1;
  return RD_VALUE;
}

/* Pushes the string rd_span left in place: a name of lk, if it is one,
 * as the string already interned for it (no hashing, no lookup in the
 * string table); else a new string. Returns the name's index or -1. */
static int push_span(sc_reader *r, const sc_lookup *lk, const char *s, size_t len) {
  int i = lk != NULL ? lookup_bytes(lk, s, len) : -1;
  if (i >= 0) lua_rawgeti(r->w->L, r->names, lk->first + i);
  else lua_pushlstring(r->w->L, s, len);
  return i;
}

static void bad_utf8(sc_walk *w, long bad) {
  w->fatal++;
  walk_fail(w, "is not valid UTF-8 (bad byte at offset %d)", (int)bad);
}

/* ---- numbers ---------------------------------------------------------------- */

/* Pushes v as an integer where this Lua has one that holds it. */
static void push_int64(lua_State *L, int64_t v) {
#if LUA_VERSION_NUM >= 503
  if (v >= (int64_t)LUA_MININTEGER && v <= (int64_t)LUA_MAXINTEGER) {
    lua_pushinteger(L, (lua_Integer)v);
    return;
  }
#endif
  lua_pushnumber(L, (lua_Number)v);
}

/* Pushes d, as an integer if it is integral and a double holds every
 * integer up to it exactly. */
static void push_double(lua_State *L, double d) {
  if (d == floor(d) && fabs(d) < SC_EXACT_LIMIT) push_int64(L, (int64_t)d);
  else lua_pushnumber(L, (lua_Number)d);
}

/* strtod on the n bytes at s, which hold a valid JSON number, into *d:
 * through a copy with '.' turned into the locale's decimal point (a host
 * may have called setlocale). Returns 0 when memory runs out. */
static int json_strtod(const unsigned char *s, size_t n, double *d) {
  char small[64], *buf = small;
  const char *dp = localeconv()->decimal_point;
  size_t dl = strlen(dp), k = 0;
  if (n + dl >= sizeof small) {
    buf = (char *)malloc(n + dl + 1);
    if (buf == NULL) return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '.') buf[k++] = (char)s[i];
    else for (size_t j = 0; j < dl; j++) buf[k++] = dp[j];
  }
  buf[k] = '\0';
  *d = strtod(buf, NULL);
  if (buf != small) free(buf);
  return 1;
}

/* Reads the number at r->p and pushes it. The grammar is JSON's: no
 * leading zeros, no '+', no hex, no NaN or Infinity. */
static int rd_number(sc_reader *r) {
  static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
  const unsigned char *s = r->p, *p = s, *e = r->end;
  uint64_t mant = 0;
  int neg = 0, digits = 0, frac = 0, exp = 0, exact = 1;
  if (*p == '-') { neg = 1; p++; }
  if (p >= e || *p < '0' || *p > '9') return rd_broken(r, "invalid number");
  if (*p == '0') {
    p++;
    if (p < e && *p >= '0' && *p <= '9') return rd_broken(r, "invalid number (leading zero)");
  } else {
    for (; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
      if (digits < 19) mant = mant * 10 + (uint64_t)(*p - '0');
      else exact = 0;
    }
  }
  if (p < e && *p == '.') {
    p++;
    if (p >= e || *p < '0' || *p > '9') {
      r->p = p;
      return rd_broken(r, "invalid number");
    }
    for (; p < e && *p >= '0' && *p <= '9'; p++, frac++) {
      if (digits + frac < 19) mant = mant * 10 + (uint64_t)(*p - '0');
      else exact = 0;
    }
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    int exp_neg = 0;
    p++;
    if (p < e && (*p == '+' || *p == '-')) exp_neg = *p++ == '-';
    if (p >= e || *p < '0' || *p > '9') {
      r->p = p;
      return rd_broken(r, "invalid number");
    }
    for (; p < e && *p >= '0' && *p <= '9'; p++)
      if (exp < 100000) exp = exp * 10 + (*p - '0');
    if (exp_neg) exp = -exp;
  } else if (frac == 0 && exact && digits <= 19) {
    /* An integer literal: exact whenever it fits 64 bits. */
    r->p = p;
    if (!neg && mant <= (uint64_t)INT64_MAX) {
      push_int64(r->w->L, (int64_t)mant);
      return RD_VALUE;
    }
    if (neg && mant <= (uint64_t)INT64_MAX + 1) {
      push_int64(r->w->L, mant == 0 ? 0 : -(int64_t)(mant - 1) - 1);
      return RD_VALUE;
    }
  }
  r->p = p;
  {
    /* Exact operands give a correctly rounded quotient or product
     * (Clinger's fast path); anything else goes to strtod. */
    int e10 = exp - frac;
    double d;
    if (exact && mant <= (1ull << 53) && e10 >= -22 && e10 <= 22) {
      d = e10 < 0 ? (double)mant / pow10[-e10] : (double)mant * pow10[e10];
      if (neg) d = -d;
    } else {
      if (!json_strtod(s, (size_t)(p - s), &d)) /* s has the sign */
        return rd_broken(r, "not enough memory for a number");
    }
    push_double(r->w->L, d);
  }
  return RD_VALUE;
}

/* ---- arrays and objects ----------------------------------------------------- */

static const char *json_kind(unsigned char c) {
  switch (c) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

/* Moves the n values on top of the stack into the table at tbl, as its
 * items first+1 .. first+n. */
static void rd_flush(lua_State *L, int tbl, lua_Integer first, int n) {
  for (int i = n; i >= 1; i--) lua_rawseti(L, tbl, first + i);
}

/* Marks the empty table on top of the stack as scenario.array {} marks
 * one, so that sent back in a body it is [] again, not {}. Only an empty
 * array needs it: a full one is written as an array by its keys, and
 * stays a plain table a script may give a metatable of its own. The
 * metatable is kept at item 0 of the names' anchor table, one rawgeti
 * away, rather than looked up by name in the registry each time. */
static void rd_mark_array(sc_reader *r) {
  lua_State *L = r->w->L;
  if (lua_rawgeti(L, r->names, 0) == LUA_TNIL) {
    lua_pop(L, 1);
    luaL_getmetatable(L, ARRAY_MT);
    lua_pushvalue(L, -1);
    lua_rawseti(L, r->names, 0);
  }
  lua_setmetatable(L, -2);
}

/* Reads the array at r->p (its '[') and pushes it. items: the type of
 * every item, or NULL for unknown data. */
static int rd_array(sc_reader *r, const sc_type *items) {
  lua_State *L = r->w->L;
  int nulls_ok = items == NULL || items->kind == SC_ANY;
  int base = lua_gettop(L), tbl = 0, waiting = 0;
  lua_Integer n = 0;
  luaL_checkstack(L, SC_RD_CHUNK + 8, "nested too deeply");
  r->p++;
  rd_space(r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    lua_createtable(L, 0, 0);
    rd_mark_array(r);
    return RD_VALUE;
  }
  for (;;) {
    int got;
    path_index(r->w, n + 1);
    got = rd_value(r, items);
    if (got == RD_NULL) {
      if (!nulls_ok) walk_fail(r->w, "is null");
      lua_pushlightuserdata(L, NULL);
    }
    path_pop(r->w);
    if (got == RD_BROKEN) return RD_BROKEN;
    n++;
    if (++waiting == SC_RD_CHUNK) {  /* base [tbl] item... */
      if (tbl == 0) {
        lua_createtable(L, 2 * SC_RD_CHUNK, 0);
        lua_insert(L, base + 1);
        tbl = base + 1;
      }
      rd_flush(L, tbl, n - waiting, waiting);
      waiting = 0;
    }
    rd_space(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      rd_space(r);
      continue;
    }
    if (r->p < r->end && *r->p == ']') break;
    return rd_broken(r, r->p < r->end ? "expected ',' or ']'" : "unterminated array");
  }
  r->p++;
  if (tbl == 0) {
    lua_createtable(L, waiting, 0);
    lua_insert(L, base + 1);
    tbl = base + 1;
  }
  rd_flush(L, tbl, n - waiting, waiting);
  return RD_VALUE;
}

/* Reports the required fields of the object type t missing from seen (a
 * bit per field). */
static void check_required(sc_walk *w, const sc_type *t, const sc_lookup *lk, uint64_t seen) {
  if ((seen & lk->required) == lk->required) return;
  for (int i = 0; i < t->nfields; i++) {
    const sc_field *f = &t->fields[i];
    if ((f->flags & SC_REQUIRED) && !(seen & ((uint64_t)1 << i))) {
      path_key(w, f->name, strlen(f->name));
      walk_fail(w, "is required but missing");
      path_pop(w);
    }
  }
}

/* Reads the object at r->p (its '{') and pushes it. t: its SC_OBJECT or
 * SC_MAP type, or NULL for unknown data. empty_ok: it is an optional
 * member's value, which may come as {}: the live API sends
 * "trainingProgress": {} for every model not training, and the members
 * the schema requires are required of what it says, not of its absence. */
static int rd_object(sc_reader *r, const sc_type *t, int empty_ok) {
  lua_State *L = r->w->L;
  sc_lookup *lk = NULL;
  const sc_type *items = NULL;
  uint64_t seen = 0;
  int tbl, members = 0;
  if (t != NULL && t->kind == SC_OBJECT) lk = get_lookup(r->w, t);
  else if (t != NULL) items = t->items;
  luaL_checkstack(L, 8, "nested too deeply");
  /* Sized as the last object of this type was: responses repeat. */
  lua_createtable(L, 0, lk ? lk->size_hint : 0);
  tbl = lua_gettop(L);
  r->p++;
  rd_space(r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
  } else {
    for (;;) {
      const sc_type *ft = items;
      size_t klen;
      const char *k;
      int i = -1, got;
      long bad;
      if (r->p >= r->end || *r->p != '"')
        return rd_broken(r, r->p < r->end ? "expected a member name" : "unterminated object");
      got = rd_span(r, &k, &klen, &bad);
      if (got == RD_BROKEN) return RD_BROKEN;
      if (got == RD_VALUE) {
        i = push_span(r, lk, k, klen);                    /* tbl key */
      } else if (lk != NULL) {
        k = lua_tolstring(L, -1, &klen);
        i = lookup_find(lk, k, klen);
      }
      if (i >= 0 && t != NULL) ft = t->fields[i].type; /* i >= 0 only with a lookup, so a type */
      path_key_at(r->w, tbl + 1);
      if (bad >= 0) bad_utf8(r->w, bad);
      rd_space(r);
      if (r->p >= r->end || *r->p != ':') return rd_broken(r, "expected ':'");
      r->p++;
      rd_space(r);
      r->optional = i >= 0 && t != NULL && !(t->fields[i].flags & SC_REQUIRED);
      got = rd_value(r, ft);                              /* tbl key [value] */
      path_pop(r->w);
      if (got == RD_BROKEN) return RD_BROKEN;
      if (got == RD_NULL && r->keep_nulls) {
        lua_pushlightuserdata(L, NULL);
        got = RD_VALUE;
      }
      if (got == RD_VALUE) {
        lua_rawset(L, tbl);
        members++;
        if (i >= 0) seen |= (uint64_t)1 << i;
      } else {
        /* null: the field is absent, even if an earlier duplicate set it */
        lua_pushvalue(L, -1);
        if (lua_rawget(L, tbl) != LUA_TNIL) {
          lua_pop(L, 1);
          lua_pushnil(L);
          lua_rawset(L, tbl);
        } else {
          lua_pop(L, 2);
        }
        if (i >= 0) seen &= ~((uint64_t)1 << i);
      }
      rd_space(r);
      if (r->p < r->end && *r->p == ',') {
        r->p++;
        rd_space(r);
        continue;
      }
      if (r->p < r->end && *r->p == '}') {
        r->p++;
        break;
      }
      return rd_broken(r, r->p < r->end ? "expected ',' or '}'" : "unterminated object");
    }
  }
  if (lk != NULL) {
    /* Capped: one response with a flood of unknown members must not
     * make every later table of this type that big. */
    lk->size_hint = members < 2 * t->nfields ? members : 2 * t->nfields;
    if (members > 0 || !empty_ok) check_required(r->w, t, lk, seen);
  }
  return RD_VALUE;
}

/* ---- values ----------------------------------------------------------------- */

/* Whether a JSON value starting with c may stand where kind is expected. */
static int kind_accepts(sc_kind kind, unsigned char c) {
  switch (kind) {
    case SC_STRING: return c == '"';
    case SC_NUMBER:
    case SC_INTENUM: return c == '-' || (c >= '0' && c <= '9');
    case SC_BOOLEAN: return c == 't' || c == 'f';
    case SC_ARRAY: return c == '[';
    case SC_OBJECT:
    case SC_MAP: return c == '{';
    default: return 1;
  }
}

static const char *kind_wanted(sc_kind kind) {
  switch (kind) {
    case SC_STRING: return "a string";
    case SC_NUMBER:
    case SC_INTENUM: return "a number";
    case SC_BOOLEAN: return "a boolean";
    case SC_ARRAY: return "an array";
    default: return "an object";
  }
}

static int rd_literal(sc_reader *r, const char *word, size_t n) {
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
    return rd_broken(r, "unexpected character");
  r->p += n;
  return RD_VALUE;
}

/* An empty object and an empty array are the same empty Lua table, and
 * servers built on lua-cjson send {} for []: either stands for the other.
 * Reads and pushes the value at r->p if it is one, for the container type
 * t; returns whether it was. */
static int empty_container(sc_reader *r, const sc_type *t, int empty_ok) {
  const unsigned char *at = r->p;
  unsigned char close = *at == '{' ? '}' : *at == '[' ? ']' : 0;
  if (close == 0) return 0;
  r->p++;
  rd_space(r);
  if (r->p >= r->end || *r->p != close) {
    r->p = at;                   /* not empty: read from the bracket again */
    return 0;
  }
  r->p++;
  lua_createtable(r->w->L, 0, 0);
  if (t->kind == SC_ARRAY) rd_mark_array(r); /* an array, as the schema has it */
  if (t->kind == SC_OBJECT && !empty_ok) check_required(r->w, t, get_lookup(r->w, t), 0);
  return 1;
}

/* Reads one value of type t (NULL: unknown data) and pushes it; for null,
 * pushes nothing and returns RD_NULL. A value of the wrong type is
 * recorded as a problem, then read as unknown data. */
static int rd_value(sc_reader *r, const sc_type *t) {
  lua_State *L = r->w->L;
  int got, optional = r->optional;
  unsigned char c;
  r->optional = 0; /* this value's only, not its members' */
  if (r->p >= r->end) return rd_broken(r, "unexpected end");
  c = *r->p;
  if (t != NULL && c != 'n' && !kind_accepts(t->kind, c)) {
    int container = t->kind == SC_ARRAY || t->kind == SC_OBJECT || t->kind == SC_MAP;
    if (container && empty_container(r, t, optional)) return RD_VALUE;
    walk_fail(r->w, "expected %s, got %s", kind_wanted(t->kind), json_kind(c));
    t = NULL;
  }
  switch (c) {
    case '"': {
      const char *s;
      size_t len;
      long bad;
      got = rd_span(r, &s, &len, &bad);
      if (got == RD_BROKEN) return got;
      if (got == RD_VALUE) {
        const sc_lookup *lk = t != NULL && t->enm != NULL ? get_enum_lookup(r->w, t->enm) : NULL;
        push_span(r, lk, s, len);
      }
      if (bad >= 0) bad_utf8(r->w, bad);
      return RD_VALUE;
    }
    case '{':
    case '[':
      if (++r->depth > SC_JSON_MAX_DEPTH) return rd_broken(r, "nested too deeply");
      got = c == '{' ? rd_object(r, t, optional) : rd_array(r, t ? t->items : NULL);
      r->depth--;
      return got;
    case 't':
      got = rd_literal(r, "true", 4);
      if (got == RD_VALUE) lua_pushboolean(L, 1);
      return got;
    case 'f':
      got = rd_literal(r, "false", 5);
      if (got == RD_VALUE) lua_pushboolean(L, 0);
      return got;
    case 'n':
      got = rd_literal(r, "null", 4);
      if (got == RD_BROKEN) return got;
      if (t != NULL && r->depth == 0) walk_fail(r->w, "expected %s, got null", kind_wanted(t->kind));
      return RD_NULL;
    default:
      if (c == '-' || (c >= '0' && c <= '9')) return rd_number(r);
      return rd_broken(r, "unexpected character");
  }
}

/* Parses the JSON string at idx, against t (NULL: no schema). Pushes the
 * walk's two slots, the lookups' names and, unless the JSON is broken or
 * a null, the value. Returns what rd_value does. */
static int read_json(lua_State *L, sc_walk *w, sc_reader *r, int idx, const sc_type *t,
                     int keep_nulls) {
  size_t len;
  const char *json = lua_tolstring(L, idx, &len);
  int got;
  walk_begin(L, w, NULL);                    /* nil cache */
  memset(r, 0, sizeof *r);
  r->w = w;
  r->keep_nulls = keep_nulls;
  r->start = r->p = (const unsigned char *)json;
  r->end = r->start + len;
  lua_getiuservalue(L, w->cache, 1);         /* nil cache names */
  r->names = lua_gettop(L);
  rd_space(r);
  got = rd_value(r, t);                      /* nil cache names [value] */
  if (got != RD_BROKEN) {
    rd_space(r);
    if (r->p != r->end) got = rd_broken(r, "more data after the JSON value");
  }
  return got;
}

/* Pushes "<prefix>not valid JSON (<why> at byte <offset>)". */
static void push_syntax_error(lua_State *L, const sc_reader *r, const char *prefix) {
  char at[24];
  lua_pushfstring(L, "%snot valid JSON (%s at byte %s)", prefix, r->syntax,
                  int_text((lua_Integer)r->syntax_at, at));
}

/* Decodes the JSON string at idx against ep's response schema (with
 * quote, a dry run's answer: against ep->quote, the whole document, where
 * the endpoint has one). Returns 1 with the result and its shape problems
 * (a table, or nil if there are none) pushed, or 0 with an error table
 * pushed. Shape problems (a missing field, one of another type) are
 * errors only when strict: a server that drops or changes a documented
 * field must not turn a success into a failure, which the caller would
 * retry, making a second model. The result is then what the document
 * holds, as decoded: the member asked for, or an empty table where it is
 * missing or not an object. Broken JSON and invalid UTF-8 are always
 * errors. Needs the module upvalues. */
static int decode_response(lua_State *L, const sc_endpoint *ep, int idx, int strict, int quote) {
  int base = lua_gettop(L), got;
  const sc_type *t = ep->response;
  sc_returns returns = ep->returns;
  sc_walk w;
  sc_reader r;
  if (quote && ep->quote != NULL) {
    t = ep->quote;
    returns = SC_RETURNS_DOCUMENT;
  }
  got = read_json(L, &w, &r, idx, t, 0);     /* nil cache names [document] */
  if (got == RD_BROKEN) {
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "invalid_response");
    lua_setfield(L, -2, "kind");
    push_syntax_error(L, &r, "the response is ");
    lua_setfield(L, -2, "message");
  } else if (w.nerr > 0 && (strict || w.fatal > 0)) {
    push_problems(L, &w, "invalid_response");
    if (w.fatal > 0) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "utf8");
    }
  } else {
    if (t == NULL) {
      /* No schema (client:request): the document as it is, null too. */
      if (got == RD_VALUE) lua_pushvalue(L, -1);
      else lua_pushlightuserdata(L, NULL);
    } else if (got != RD_VALUE || lua_type(L, -1) != LUA_TTABLE) {
      lua_pushnil(L);
    } else if (returns == SC_RETURNS_MEMBER) {
      lua_pushstring(L, ep->member);
      lua_rawget(L, -2);                     /* nil cache names document result */
    } else {
      lua_pushvalue(L, -1);                  /* the whole document */
    }
    /* Missing, or not an object: reported, and {} stands in, so that the
     * caller's `if not model` never reads a success as a failure. */
    if (lua_type(L, -1) != LUA_TTABLE && t != NULL) {
      lua_pop(L, 1);
      lua_newtable(L);
    }
    walk_push_errors(&w);                    /* ... result problems|nil */
    lua_replace(L, base + 2);
    lua_replace(L, base + 1);
    lua_settop(L, base + 2);
    return 1;
  }
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
  return 0;
}

#endif
