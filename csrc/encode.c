/*
 * The request engine: walks a Lua value against an sc_type, recording
 * every problem, and writes the JSON for it at the same time. Output stops
 * at the first problem (the bytes would be thrown away) but checking goes
 * on, so the caller hears about everything at once.
 *
 * Tables are untrusted: they are read raw, and a table with a metatable
 * is refused, since a proxy read raw would silently lose its fields.
 */
#ifndef SCENARIO_ENCODE_C
#define SCENARIO_ENCODE_C

#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.c"
#include "lookup.c"
#include "schema.h"
#include "suggest.c"

#define W_WRITING(w) ((w)->out != NULL && (w)->nerr == 0)

static void check_value(sc_walk *w, int idx, const sc_type *t);
static void check_generic(sc_walk *w, int idx);

static void put(sc_walk *w, const char *s, size_t n) {
  if (W_WRITING(w) && !buf_add(w->out, s, n)) luaL_error(w->L, "not enough memory");
}
static void putc1(sc_walk *w, char c) {
  if (W_WRITING(w) && !buf_addc(w->out, c)) luaL_error(w->L, "not enough memory");
}
/* Writes "key": for a key of the caller's table (extra_body, a map, an
 * untyped object), which key_ok has checked. */
static void put_key(sc_walk *w, int *first, const char *k, size_t n) {
  if (!W_WRITING(w)) return;
  if (!*first) putc1(w, ',');
  *first = 0;
  if (!json_put_string(w->out, k, n) || !buf_addc(w->out, ':'))
    luaL_error(w->L, "not enough memory");
}

/* Whether the string key at stack slot idx can be a JSON member name: it
 * must be valid UTF-8. If not, records why, at the path with that key
 * shown escaped (its bytes are not text), and the caller skips it. */
static int key_ok(sc_walk *w, int idx) {
  lua_State *L = w->L;
  size_t len, chars;
  long nul, bad;
  const char *k = lua_tolstring(L, idx, &len);
  bad = utf8_scan(k, len, &chars, &nul);
  if (bad < 0) return 1;
  {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char)k[i];
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        luaL_addlstring(&b, k + i, 1);
      } else {
        char e[5];
        (void)snprintf(e, sizeof e, "\\x%02x", c);
        luaL_addlstring(&b, e, 4);
      }
    }
    luaL_pushresult(&b);
  }
  path_key_at(w, lua_gettop(L));
  walk_fail(w, "the key is not valid UTF-8 (bad byte at offset %d)", (int)bad);
  path_pop(w);
  lua_pop(L, 1);
  return 0;
}

/* lua_next over the table at idx, past the keys a JSON object cannot
 * have: one that is not a string is a problem (keys: what they must be),
 * one key_ok refuses is one too. Leaves the key and value of the next
 * good member on the stack, as lua_next does; 0 at the end. */
static int next_member(sc_walk *w, int idx, const char *keys) {
  lua_State *L = w->L;
  while (lua_next(L, idx)) { /* key value */
    if (lua_type(L, -2) != LUA_TSTRING) {
      walk_fail(w, "unexpected key %s (%s)", push_text(L, -2), keys);
      lua_pop(L, 2);
      continue;
    }
    if (!key_ok(w, lua_gettop(L) - 1)) {
      lua_pop(L, 1);
      continue;
    }
    return 1;
  }
  return 0;
}


/* Counts one more value, and stops the walk for good once the values
 * walked or the bytes written pass w->max_bytes: each value takes at
 * least a byte, and a body of shared subtables ({t, t} nested n deep)
 * would otherwise be walked 2^n times. Returns 0 once stopped. */
static int walk_count(sc_walk *w) {
  if (w->stopped) return 0;
  if (++w->values > w->max_bytes || (w->out != NULL && w->out->len > w->max_bytes)) {
    int depth = w->depth;
    char mb[24];
    w->depth = 0; /* about the whole body, not the value it stopped at */
    walk_fail(w, "the request body is larger than max_request_bytes (%s bytes)",
              int_text((lua_Integer)w->max_bytes, mb));
    w->depth = depth;
    w->stopped = 1;
    return 0;
  }
  return 1;
}

/* What an array is called in messages; table_enter knows it by its address. */
static const char array_what[] = "an array (a sequence table)";
static const char any_what[] = "a table";

static void expected(sc_walk *w, int idx, const char *what) {
  int t = lua_type(w->L, idx);
  walk_fail(w, "expected %s, got %s%s", what, describe(w->L, idx),
            what == array_what && (t == LUA_TLIGHTUSERDATA || t == LUA_TUSERDATA) ? SC_ARRAY_HINT : "");
}

/* Whether the table at idx, untyped, could be meant as an array: empty,
 * or with an item 1. Only then does a refusal name scenario.array(). */
static int may_be_array(lua_State *L, int idx) {
  int empty;
  if (lua_rawlen(L, idx) > 0) return 1;
  lua_pushnil(L);
  empty = !lua_next(L, idx);
  if (!empty) lua_pop(L, 2);
  return empty;
}

/* Checks what every table must satisfy and marks it open on the path,
 * and makes room for `slots` more stack slots. Returns 0 (after recording
 * why) if the walk must not descend into it. */
static int table_enter(sc_walk *w, int idx, const char *what, int slots) {
  lua_State *L = w->L;
  const void *p;
  if (lua_type(L, idx) != LUA_TTABLE) {
    expected(w, idx, what);
    return 0;
  }
  if (lua_getmetatable(L, idx)) {
    int marked = walk_is_array_mt(w);
    lua_pop(L, 1);
    if (!marked) {
      walk_fail(w, "tables with a metatable are not accepted (they are read raw, "
                   "so a proxy would lose its fields)%s",
                what == array_what || (what == any_what && may_be_array(L, idx)) ? SC_ARRAY_HINT : "");
      return 0;
    }
  }
  if (w->depth >= SC_MAX_DEPTH) {
    walk_fail(w, "nested deeper than %d levels", SC_MAX_DEPTH);
    return 0;
  }
  p = lua_topointer(L, idx);
  for (int i = 0; i < w->depth; i++) {
    if (w->open[i] == p) {
      walk_fail(w, "this table contains itself (a cycle)");
      return 0;
    }
  }
  w->open[w->depth] = p;
  /* Each level keeps a key, a value and a temporary or two on the stack;
   * a C function is only promised LUA_MINSTACK slots. */
  luaL_checkstack(L, slots, "nested too deeply");
  return 1;
}

/* ---- scalars -------------------------------------------------------------- */

/* The string at idx (known to be one) against t. */
static void string_value(sc_walk *w, int idx, const sc_type *t, int allow_nul) {
  lua_State *L = w->L;
  size_t len, chars = 0;
  long bad, nul;
  const char *s = lua_tolstring(L, idx, &len);
  if (t->enm && lookup_find(get_enum_lookup(w, t->enm), s, len) >= 0) {
    /* An enum value is a plain identifier: nothing to scan or escape. */
    if (W_WRITING(w)) {
      if (!buf_reserve(w->out, len + 2)) luaL_error(L, "not enough memory");
      w->out->data[w->out->len++] = '"';
      memcpy(w->out->data + w->out->len, s, len);
      w->out->len += len;
      w->out->data[w->out->len++] = '"';
    }
    return;
  }
  if (w->out != NULL && len > w->max_bytes - (w->out->len < w->max_bytes ? w->out->len : w->max_bytes)) {
    /* Not written, only to be thrown away: one string alone passes the cap. */
    w->values = w->max_bytes;
    walk_count(w);
    return;
  }
  if (W_WRITING(w) && !t->enm) {
    bad = json_put_checked(w->out, s, len, &chars, &nul);
    if (bad == -2) luaL_error(L, "not enough memory");
  } else {
    bad = utf8_scan(s, len, &chars, &nul);
  }
  if (bad >= 0) {
    walk_fail(w, "is not valid UTF-8 (bad byte at offset %d)", (int)bad);
    return;
  }
  if (nul >= 0 && !allow_nul) {
    walk_fail(w, "contains a NUL byte at offset %d", (int)nul);
    return;
  }
  if (t->max_length > 0 && chars > (size_t)t->max_length) {
    walk_fail(w, "is %d characters long; the limit is %d", (int)chars, t->max_length);
    return;
  }
  if (t->enm) { /* not a member: found above otherwise */
    const char *hint = suggest(s, len, t->enm->strings, t->enm->count);
    if (len > SC_SUGGEST_MAX)
      walk_fail(w, "unknown value (a %d-byte string; see scenario.enums.%s)", (int)len,
                t->enm->name);
    else if (hint)
      walk_fail(w, "unknown value \"%s\" (did you mean \"%s\"?)", s, hint);
    else
      walk_fail(w, "unknown value \"%s\" (see scenario.enums.%s)", s, t->enm->name);
  }
}

static void check_string(sc_walk *w, int idx, const sc_type *t, int allow_nul) {
  if (lua_type(w->L, idx) == LUA_TSTRING) {
    string_value(w, idx, t, allow_nul);
  } else if (t->enm) {
    walk_fail(w, "expected one of scenario.enums.%s, got %s", t->enm->name,
              describe(w->L, idx));
  } else {
    expected(w, idx, "a string");
  }
}

static void fail_bound(sc_walk *w, const char *rel, double bound, int idx) {
  char b[32];
  fmt_double(bound, b);
  walk_fail(w, "must be %s %s, got %s", rel, b, push_text(w->L, idx));
  lua_pop(w->L, 1);
}

static void check_number(sc_walk *w, int idx, const sc_type *t) {
  lua_State *L = w->L;
  int isint;
  lua_Integer i = 0;
  double d;
  if (lua_type(L, idx) != LUA_TNUMBER) {
    expected(w, idx, "a number");
    return;
  }
  isint = lua_isinteger(L, idx);
  if (isint) i = lua_tointeger(L, idx);
  d = isint ? (double)i : (double)lua_tonumber(L, idx);
  if (!isint && !isfinite(d)) {
    walk_fail(w, "must be a finite number, got %s",
              isnan(d) ? "nan" : (d > 0 ? "inf" : "-inf"));
    return;
  }
  if (t->bounds & SC_HAS_MIN) {
    if ((t->bounds & SC_EXCL_MIN) ? !(d > t->min) : !(d >= t->min)) {
      fail_bound(w, (t->bounds & SC_EXCL_MIN) ? "greater than" : "at least", t->min, idx);
      return;
    }
  }
  if ((t->bounds & SC_HAS_MAX) && !(d <= t->max)) {
    fail_bound(w, "at most", t->max, idx);
    return;
  }
  if (!W_WRITING(w)) return;
  if (!(isint ? json_put_integer(w->out, i) : json_put_double(w->out, d)))
    luaL_error(L, "not enough memory");
}

static void check_intenum(sc_walk *w, int idx, const sc_type *t) {
  lua_State *L = w->L;
  int ok = 0;
  lua_Integer v = lua_tointegerx(L, idx, &ok);
  if (lua_type(L, idx) != LUA_TNUMBER || !ok) {
    walk_fail(w, "expected one of scenario.enums.%s, got %s", t->enm->name,
              describe(L, idx));
    return;
  }
  for (int k = 0; k < t->enm->count; k++) {
    if (t->enm->ints[k] == v) {
      if (W_WRITING(w) && !json_put_integer(w->out, v)) luaL_error(L, "not enough memory");
      return;
    }
  }
  char vt[24];
  walk_fail(w, "unknown value %s (see scenario.enums.%s)", int_text(v, vt), t->enm->name);
}

/* ---- arrays ---------------------------------------------------------------- */

/* Verifies the table at idx is a proper sequence 1..n and returns n, or
 * returns -1 after recording why not. */
static lua_Integer sequence_length(sc_walk *w, int idx) {
  lua_State *L = w->L;
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) { /* key value */
    lua_pop(L, 1);
    if (lua_isinteger(L, -1)) {
      lua_Integer k = lua_tointeger(L, -1);
      if (k >= 1) {
        if (k > max) max = k;
        count++;
        continue;
      }
    }
    if (lua_type(L, -1) == LUA_TSTRING) {
      walk_fail(w, "expected an array, got a table with key \"%s\"", lua_tostring(L, -1));
      lua_pop(L, 1);
    } else {
      walk_fail(w, "expected an array, got a table with key %s",
                push_text(L, -1));
      lua_pop(L, 2);
    }
    return -1;
  }
  if (count != n || max != n) {
    lua_Integer hole = 1;
    while (hole <= max) {
      int t = lua_rawgeti(L, idx, hole);
      lua_pop(L, 1);
      if (t == LUA_TNIL) break;
      hole++;
    }
    char ht[24], mt[24];
    walk_fail(w, "sparse array: index %s is nil but index %s is set", int_text(hole, ht),
              int_text(max, mt));
    return -1;
  }
  return n;
}

static void check_array(sc_walk *w, int idx, const sc_type *t) {
  lua_State *L = w->L;
  lua_Integer n;
  if (walk_is_empty_array(w, idx)) {
    put(w, "[]", 2);
    return;
  }
  if (!table_enter(w, idx, array_what, 8)) return;
  n = sequence_length(w, idx);
  if (n < 0) return;
  putc1(w, '[');
  for (lua_Integer i = 1; i <= n && !w->stopped; i++) {
    if (i > 1) putc1(w, ',');
    lua_rawgeti(L, idx, i);
    path_index(w, i);
    check_value(w, lua_gettop(L), t->items);
    path_pop(w);
    lua_pop(L, 1);
  }
  putc1(w, ']');
}

/* ---- objects --------------------------------------------------------------- */

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "parent.name" where name (len bytes) is no field of t but a field of one
 * of its object fields (rank, in parameters), into out; else NULL. */
static const char *nested_field(sc_walk *w, const sc_type *t, const char *name, size_t len, char *out,
                                size_t size) {
  for (int i = 0; i < t->nfields; i++) {
    const sc_type *ft = t->fields[i].type;
    if (ft->kind != SC_OBJECT || ft->nfields == 0 || lookup_find(get_lookup(w, ft), name, len) < 0) continue;
    if (strlen(t->fields[i].name) + 1 + len >= size) return NULL;
    (void)snprintf(out, size, "%s.%s", t->fields[i].name, name);
    return out;
  }
  return NULL;
}

/* Reports the keys of the table at idx that its type t (its lookup lk)
 * does not know, in sorted order so the report is stable whatever the
 * hash order: with the field of that name one level down, or else the
 * closest name, as a hint. */
static void report_unknown_keys(sc_walk *w, int idx, const sc_type *t, const sc_lookup *lk) {
  lua_State *L = w->L;
  const char *names[SC_MAX_ERRORS];
  int n = 0, unlisted = 0;
  lua_newtable(L); /* keeps the unknown key strings alive while sorting */
  lua_pushnil(L);
  while (lua_next(L, idx)) { /* anchor key value */
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      size_t len;
      const char *k = lua_tolstring(L, -1, &len);
      if (lookup_find(lk, k, len) >= 0) continue;
      if (w->read_table == lua_topointer(L, idx) && lookup_find(get_lookup(w, w->read_type), k, len) >= 0) continue;
      if (n == SC_MAX_ERRORS) {
        unlisted++;
        continue;
      }
      lua_pushvalue(L, -1);
      lua_rawseti(L, -3, n + 1);
      names[n++] = k;
    } else {
      walk_fail(w, "unexpected key %s (fields are named by strings)",
                push_text(L, -1));
      lua_pop(L, 1);
    }
  }
  if (n > 1) qsort(names, (size_t)n, sizeof names[0], cmp_cstr);
  for (int i = 0; i < n; i++) {
    char down[128];
    const char *hint = nested_field(w, t, names[i], strlen(names[i]), down, sizeof down);
    if (hint == NULL) hint = suggest(names[i], strlen(names[i]), lk->name, lk->n);
    path_key(w, names[i], strlen(names[i]));
    if (hint)
      walk_fail(w, "unknown field (did you mean \"%s\"?)", hint);
    else
      walk_fail(w, "unknown field");
    path_pop(w);
  }
  w->nerr += unlisted; /* counted, not listed */
  lua_pop(L, 1);
}

/* Writes the pass-through fields of the table at extra into the open
 * object, refusing any that the body sets as well. */
static void put_extra(sc_walk *w, int body, int extra, int *first) {
  lua_State *L = w->L;
  path_key(w, "extra_body", 10);
  if (!table_enter(w, extra, "a table of extra body fields", 8)) {
    path_pop(w);
    return;
  }
  lua_pushnil(L);
  while (next_member(w, extra, "fields are named by strings")) { /* key value */
    size_t len;
    const char *k = lua_tolstring(L, -2, &len);
    path_key(w, k, len);
    lua_pushvalue(L, -2);
    if (lua_rawget(L, body) != LUA_TNIL) {
      walk_fail(w, "is also set in the body; set it in one place");
    } else {
      put_key(w, first, k, len);
      check_generic(w, lua_gettop(L) - 1);
    }
    lua_pop(L, 2);
    path_pop(w);
    if (w->stopped) {
      lua_pop(L, 1);
      break;
    }
  }
  path_pop(w);
}

/* Writes "name": for a schema field (a plain identifier: no escaping). */
static void put_name(sc_walk *w, int *first, const char *name, size_t n) {
  if (!W_WRITING(w)) return;
  if (!buf_reserve(w->out, n + 4)) luaL_error(w->L, "not enough memory");
  if (!*first) w->out->data[w->out->len++] = ',';
  *first = 0;
  w->out->data[w->out->len++] = '"';
  memcpy(w->out->data + w->out->len, name, n);
  w->out->len += n;
  w->out->data[w->out->len++] = '"';
  w->out->data[w->out->len++] = ':';
}

/* One pass over the table's keys finds each field's value and counts the
 * keys the schema does not know; the fields are then checked and written
 * in schema order. extra: stack index of unvalidated fields to add, or 0. */
static void check_object(sc_walk *w, int idx, const sc_type *t, int extra) {
  lua_State *L = w->L;
  int slot[SC_LOOKUP_SLOTS / 2] = { 0 }; /* each field's value on the stack, or 0 */
  int first = 1, unknown = 0, base, top, vt;
  const sc_lookup *lk;
  if (!table_enter(w, idx, "a table", 2 * t->nfields + 8)) return;
  if (walk_is_marked(w, idx)) {
    walk_fail(w, "expected an object, got a table marked as an array");
    return;
  }
  lk = get_lookup(w, t);
  base = lua_gettop(L);
  top = base + 1;             /* the key; kept by count, not asked for */
  lua_pushnil(L);
  while (lua_next(L, idx)) { /* ... key value */
    int i = -1;
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t klen;
      const char *k = lua_tolstring(L, -2, &klen);
      i = lookup_find(lk, k, klen);
    }
    if (i < 0) {
      unknown++;
      lua_pop(L, 1);
      continue;
    }
    slot[i] = top + 1;
    lua_pushvalue(L, -2);     /* ... key value key: the value stays put */
    top += 2;
  }
  putc1(w, '{');
  for (int i = 0; i < t->nfields && !w->stopped; i++) {
    const sc_field *f = &t->fields[i];
    if (slot[i] == 0) {
      if (f->flags & SC_REQUIRED) {
        path_key(w, f->name, strlen(f->name));
        walk_fail(w, "is required");
        path_pop(w);
      }
      continue;
    }
    path_key(w, f->name, lk->len[i]);
    vt = lua_type(L, slot[i]);
    if (vt == LUA_TSTRING && f->type->kind == SC_STRING) { /* the usual case, typed once */
      put_name(w, &first, f->name, lk->len[i]);
      if (walk_count(w)) string_value(w, slot[i], f->type, 0);
    } else if (vt != LUA_TLIGHTUSERDATA || lua_touserdata(L, slot[i]) != NULL) {
      put_name(w, &first, f->name, lk->len[i]);
      check_value(w, slot[i], f->type);
    } else if (f->flags & SC_NULLABLE) {
      put_name(w, &first, f->name, lk->len[i]);
      put(w, "null", 4);
    } else {
      walk_fail(w, "may not be null");
    }
    path_pop(w);
  }
  lua_settop(L, base);
  if (extra && !w->stopped) put_extra(w, idx, extra, &first);
  if (unknown && !w->stopped) report_unknown_keys(w, idx, t, lk);
  putc1(w, '}');
}

/* A member name to sort: its bytes, and its item in the table that keeps
 * its string alive. */
typedef struct sc_member_key {
  const char *s;
  size_t len;
  int at;
} sc_member_key;

static int cmp_member_key(const void *a, const void *b) {
  const sc_member_key *x = (const sc_member_key *)a, *y = (const sc_member_key *)b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, n);
  if (c != 0) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

/* Writes the table at idx as a JSON object: its members as next_member
 * walks them, each value of type items (NULL: any JSON value), then the
 * pass-through fields at extra (0: none). The members go in the order of
 * their names' bytes: the hash order of a table's keys changes from one
 * run to the next (Lua 5.4 seeds it), and the same table must be the same
 * bytes, for a spec, a recording or a server's cache. */
static void put_members(sc_walk *w, int idx, const sc_type *items, int extra) {
  lua_State *L = w->L;
  int first = 1, n = 0, keys;
  sc_member_key *ks;
  lua_newtable(L);                                       /* keys */
  keys = lua_gettop(L);
  lua_pushnil(L);
  while (next_member(w, idx, "keys must be strings")) { /* keys key value */
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  ks = (sc_member_key *)lua_newuserdatauv(L, (size_t)n * sizeof *ks + 1, 0); /* keys ks */
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, keys, i + 1);
    ks[i].s = lua_tolstring(L, -1, &ks[i].len); /* kept alive by keys */
    ks[i].at = i + 1;
    lua_pop(L, 1);
  }
  if (n > 1) qsort(ks, (size_t)n, sizeof *ks, cmp_member_key);
  putc1(w, '{');
  for (int i = 0; i < n && !w->stopped; i++) {
    lua_rawgeti(L, keys, ks[i].at);
    lua_pushvalue(L, -1);
    lua_rawget(L, idx);                                  /* keys ks key value */
    path_key(w, ks[i].s, ks[i].len);
    put_key(w, &first, ks[i].s, ks[i].len);
    check_value(w, lua_gettop(L), items);
    path_pop(w);
    lua_pop(L, 2);
  }
  lua_pop(L, 2);
  if (extra && !w->stopped) put_extra(w, idx, extra, &first);
  putc1(w, '}');
}

/* A map: string keys, each value of type t->items; extra as put_members. */
static void check_map(sc_walk *w, int idx, const sc_type *t, int extra) {
  if (!table_enter(w, idx, "a table", 8)) return;
  if (walk_is_marked(w, idx)) {
    walk_fail(w, "expected an object, got a table marked as an array");
    return;
  }
  put_members(w, idx, t->items, extra);
}

/* ---- values without a schema (SC_ANY, pass-through fields) ----------------- */

static void check_generic(sc_walk *w, int idx) {
  static const sc_type any_string = { .kind = SC_STRING };
  static const sc_type any_number = { .kind = SC_NUMBER };
  static const sc_type any_array = { .kind = SC_ARRAY, .items = NULL };
  lua_State *L = w->L;
  lua_Integer n = 0;
  int only_index = 1, only_string = 1;
  if (!walk_count(w)) return;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: check_string(w, idx, &any_string, 1); return;
    case LUA_TNUMBER: check_number(w, idx, &any_number); return;
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) put(w, "true", 4); else put(w, "false", 5);
      return;
    case LUA_TLIGHTUSERDATA:
      if (is_null(L, idx)) { put(w, "null", 4); return; }
      if (walk_is_empty_array(w, idx)) { put(w, "[]", 2); return; }
      break;
    default: break;
  }
  if (lua_type(L, idx) != LUA_TTABLE) {
    walk_fail(w, "%s cannot be sent as JSON%s", describe(L, idx),
              lua_type(L, idx) == LUA_TLIGHTUSERDATA ? SC_ARRAY_HINT : "");
    return;
  }
  if (!table_enter(w, idx, any_what, 8)) return;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    n++;
    if (lua_type(L, -1) != LUA_TSTRING) only_string = 0;
    if (!lua_isinteger(L, -1)) only_index = 0;
  }
  if (n == 0) {
    /* As lua-cjson: an untyped empty table is an object, unless marked. */
    if (walk_is_marked(w, idx)) put(w, "[]", 2);
    else put(w, "{}", 2);
  } else if (only_string && walk_is_marked(w, idx)) {
    walk_fail(w, "is marked as an array, but has string keys");
  } else if (only_string) {
    put_members(w, idx, NULL, 0);
  } else if (only_index) {
    check_array(w, idx, &any_array);
  } else {
    walk_fail(w, "cannot be sent as JSON: a table needs all string keys (an object) "
                 "or the keys 1..n (an array)");
  }
}

static void check_value(sc_walk *w, int idx, const sc_type *t) {
  if (t == NULL || t->kind == SC_ANY) {  /* items of an untyped array; it counts itself */
    check_generic(w, idx);
    return;
  }
  if (!walk_count(w)) return;
  switch (t->kind) {
    case SC_STRING: check_string(w, idx, t, 0); break;
    case SC_NUMBER: check_number(w, idx, t); break;
    case SC_INTENUM: check_intenum(w, idx, t); break;
    case SC_BOOLEAN:
      if (lua_type(w->L, idx) != LUA_TBOOLEAN) expected(w, idx, "a boolean");
      else if (lua_toboolean(w->L, idx)) put(w, "true", 4);
      else put(w, "false", 5);
      break;
    case SC_ARRAY: check_array(w, idx, t); break;
    case SC_OBJECT: check_object(w, idx, t, 0); break;
    case SC_MAP: check_map(w, idx, t, 0); break;
    case SC_ANY: check_generic(w, idx); break;
  }
}

/* Walks body (and pass-through extra, 0 if none) against the endpoint's
 * body schema. A nil body stands for an empty one. */
/* Stops the walk if what it wrote passed max_bytes: the last value may
 * have passed the cap on its own, after walk_count last looked. */
static void walk_check_size(sc_walk *w) {
  if (!w->stopped && w->out != NULL && w->out->len > w->max_bytes) {
    w->values = w->max_bytes;
    walk_count(w);
  }
}

/* How many fields of an object read from the API, which the body does not
 * take, make the body such an object (a model from get_model given to
 * update_model) rather than a few slips. */
#define SC_READ_FIELDS_MIN 3

/* The type of what ep answers with as its member (update_model's model),
 * or NULL. */
static const sc_type *member_type(const sc_endpoint *ep) {
  const sc_type *r = ep->response;
  if (ep->returns != SC_RETURNS_MEMBER || ep->member == NULL || r == NULL || r->kind != SC_OBJECT) return NULL;
  for (int i = 0; i < r->nfields; i++)
    if (strcmp(r->fields[i].name, ep->member) == 0)
      return r->fields[i].type->kind == SC_OBJECT ? r->fields[i].type : NULL;
  return NULL;
}

/* Whether the key k (len bytes) names the member's identity: "id", or
 * "<member>Id" (jobId), which only the API writes. */
static int identity_key(const char *member, const char *k, size_t len) {
  size_t m = strlen(member);
  if (len == 2 && memcmp(k, "id", 2) == 0) return 1;
  return len == m + 2 && memcmp(k, member, m) == 0 && memcmp(k + m, "Id", 2) == 0;
}

/* When the body at idx holds its identity (identity_key) and, with it,
 * SC_READ_FIELDS_MIN or more fields of ep's member type that its own type
 * t does not take, it is an object read from the API sent back whole: one problem says so and names what the
 * body takes, instead of one "unknown field" per field (13 for a model
 * given to update_model), and the walk skips those fields. */
static void report_read_object(sc_walk *w, const sc_endpoint *ep, int idx, const sc_type *t) {
  enum { SHOWN = 6 };
  lua_State *L = w->L;
  const sc_type *rt = member_type(ep);
  const sc_lookup *lk, *rlk;
  const char *names[SC_MAX_ERRORS];
  int n = 0, count = 0, identity = 0;
  luaL_Buffer b;
  if (rt == NULL || rt == t || t->kind != SC_OBJECT || lua_type(L, idx) != LUA_TTABLE) return;
  lk = get_lookup(w, t);
  rlk = get_lookup(w, rt);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    size_t len;
    const char *k;
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;
    k = lua_tolstring(L, -1, &len);
    if (lookup_find(lk, k, len) >= 0 || lookup_find(rlk, k, len) < 0) continue;
    identity |= identity_key(ep->member, k, len);
    count++;
    if (n < SC_MAX_ERRORS) names[n++] = k; /* the body's keys: alive while it is */
  }
  if (count < SC_READ_FIELDS_MIN || !identity) return;
  qsort(names, (size_t)n, sizeof names[0], cmp_cstr);
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "the body is %s %s as the API answers it: %d of its fields cannot be sent to %s (",
                  ep->member[0] != '\0' && strchr("aeiou", ep->member[0]) != NULL ? "an" : "a", ep->member, count,
                  ep->name);
  luaL_addvalue(&b);
  for (int i = 0; i < n && i < SHOWN; i++) {
    if (i > 0) luaL_addstring(&b, ", ");
    luaL_addstring(&b, names[i]);
  }
  if (count > SHOWN) {
    char more[24];
    lua_pushfstring(L, " and %s more", int_text((lua_Integer)(count - SHOWN), more));
    luaL_addvalue(&b);
  }
  lua_pushfstring(L, "); %s takes only ", ep->name);
  luaL_addvalue(&b);
  for (int i = 0; i < t->nfields; i++) {
    if (i > 0) luaL_addstring(&b, i == t->nfields - 1 ? " and " : ", ");
    luaL_addstring(&b, t->fields[i].name);
  }
  luaL_pushresult(&b);
  walk_fail(w, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
  w->read_table = lua_topointer(L, idx);
  w->read_type = rt;
}

static void walk_body(sc_walk *w, const sc_endpoint *ep, int body, int extra) {
  lua_State *L = w->L;
  int type = lua_type(L, body);
  if (ep->body == NULL) {
    if (type != LUA_TNONE && type != LUA_TNIL) walk_fail(w, "%s takes no body", ep->name);
    return;
  }
  if (type == LUA_TNONE || type == LUA_TNIL) {
    lua_newtable(L);
    lua_replace(L, body);
  } else if (type != LUA_TTABLE) {
    walk_fail(w, "the body must be a table, got %s", describe(L, body));
    return;
  }
  /* A map body (generate's: the model's inputs by name) takes any member. */
  if (ep->body->kind == SC_MAP) {
    check_map(w, body, ep->body, extra);
  } else {
    report_read_object(w, ep, body, ep->body);
    check_object(w, body, ep->body, extra);
    w->read_table = NULL;
  }
  walk_check_size(w);
}

/* The stack index arg, or 0 where the argument is nil or absent. */
static int opt_index(lua_State *L, int arg) {
  return lua_isnoneornil(L, arg) ? 0 : arg;
}

#endif
