/*
 * Matching table keys to schema fields, shared by encode.c and decode.c.
 */
#ifndef SCENARIO_LOOKUP_C
#define SCENARIO_LOOKUP_C

#include "common.h"

#include <stdint.h>
#include <string.h>

#include "schema.h"
#include "walk.c"

/*
 * Lookup by string identity. Lua interns short strings (up to 40 bytes;
 * every field name and enum value is shorter), so within one state every
 * string "name" is the same object: a key can be matched to a field, or a
 * value to an enum, by comparing the address of its text, with no Lua
 * call. A lookup keeps its own copies of the names alive (its user
 * value), so those addresses stay valid. Identity is only the fast path:
 * a miss is confirmed by comparing bytes, so a Lua built to intern fewer
 * strings is slower here, never wrong.
 */
#define SC_LOOKUP_SLOTS 128 /* a power of two, at least twice any list */
#define SC_LOOKUP_MAX (SC_LOOKUP_SLOTS / 2)

typedef struct sc_lookup {
  const char *key[SC_LOOKUP_SLOTS];
  int index[SC_LOOKUP_SLOTS];
  unsigned char by_bytes[SC_LOOKUP_SLOTS]; /* 1 + index, by content_slot; 0: empty */
  const char *name[SC_LOOKUP_MAX]; /* by index */
  size_t len[SC_LOOKUP_MAX];
  int n;
  int first; /* name i is item first + i of the cache's anchor table */
  int size_hint; /* members the decoder last found in an object of this type */
  uint64_t required; /* for an object type: a bit per required field */
  int required_set;  /* whether required has been worked out */
} sc_lookup;

static size_t lookup_slot(const char *k) {
  return (size_t)(((uintptr_t)k >> 3) * 0x9E3779B97F4A7C15u >> 32) & (SC_LOOKUP_SLOTS - 1);
}

/* The index of the name k (len bytes, a string of the same Lua state),
 * or -1. */
static int lookup_find(const sc_lookup *lk, const char *k, size_t len) {
  for (size_t h = lookup_slot(k);; h = (h + 1) & (SC_LOOKUP_SLOTS - 1)) {
    if (lk->key[h] == k) return lk->index[h];
    if (lk->key[h] == NULL) break;
  }
  for (int i = 0; i < lk->n; i++) /* not interned, or not a name */
    if (lk->len[i] == len && memcmp(lk->name[i], k, len) == 0) return i;
  return -1;
}

/* A slot from a few of the bytes of s: cheap, and enough to tell apart
 * the names of one object or enum. */
static size_t content_slot(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t h = len * 0x9E3779B1u;
  if (len > 0) h += (size_t)p[0] * 31u + (size_t)p[len / 2] * 131u + (size_t)p[len - 1] * 7u;
  return (h ^ (h >> 7)) & (SC_LOOKUP_SLOTS - 1);
}

/* The index of the name whose bytes are s (len bytes, not necessarily a
 * Lua string), or -1. The decoder uses it to match text it has not made
 * into a Lua string yet: on a hit it pushes the interned name instead. */
static int lookup_bytes(const sc_lookup *lk, const char *s, size_t len) {
  for (size_t h = content_slot(s, len);; h = (h + 1) & (SC_LOOKUP_SLOTS - 1)) {
    int i = lk->by_bytes[h] - 1;
    if (i < 0) return -1;
    if (lk->len[i] == len && memcmp(lk->name[i], s, len) == 0) return i;
  }
}

/*
 * The cache of lookups, one per Lua state: a userdata mapping each owner
 * (an object type or an enum) to its lookup, which the userdata's user
 * value table anchors. Finding a built lookup costs no Lua call.
 */
#define SC_OWNERS 256 /* a power of two; schema_fits keeps the schema under half */

typedef struct sc_lookups {
  const void *owner[SC_OWNERS];
  sc_lookup *lookup[SC_OWNERS];
  int count;
  int items; /* anchor table items handed out to lookups' names so far */
} sc_lookups;

/* Pushes a new, empty cache. */
static void push_lookup_cache(lua_State *L) {
  memset(lua_newuserdatauv(L, sizeof(sc_lookups), 1), 0, sizeof(sc_lookups));
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
}

/* The lookup for the n names that name(owner, i) gives, built on first
 * use and kept in the cache (at stack slot w->cache). The cache's user
 * value, the anchor table, holds each lookup and its names as items (so
 * the decoder can push a name with lua_rawgeti). */
static sc_lookup *get_lookup_of(sc_walk *w, const void *owner, int n,
                                const char *(*name)(const void *, int)) {
  lua_State *L = w->L;
  sc_lookups *cache = (sc_lookups *)w->lookups;
  sc_lookup *lk;
  int m;
  size_t h = lookup_slot((const char *)owner) & (SC_OWNERS - 1);
  for (; cache->owner[h] != NULL; h = (h + 1) & (SC_OWNERS - 1))
    if (cache->owner[h] == owner) return cache->lookup[h];
  if (cache->count >= SC_OWNERS / 2) luaL_error(L, "scenario.core: lookup cache full"); /* see schema_fits */
  lua_getiuservalue(L, w->cache, 1);        /* anchors */
  lk = (sc_lookup *)lua_newuserdatauv(L, sizeof *lk, 0);
  memset(lk, 0, sizeof *lk);                /* anchors lookup */
  /* Every allocation from here on may run a finaliser that builds a
   * lookup of its own. So this one's anchor items are claimed first, with
   * nothing in between: its names, then the lookup itself. */
  m = n < SC_LOOKUP_MAX ? n : SC_LOOKUP_MAX;
  lk->first = cache->items + 1;
  cache->items += m + 1;
  lk->size_hint = n;
  lua_rawseti(L, -2, lk->first + m);        /* anchors */
  for (int i = 0; i < m; i++) {
    const char *k;
    size_t slot;
    lua_pushstring(L, name(owner, i));
    k = lua_tolstring(L, -1, &lk->len[i]);
    lk->name[i] = k;
    lk->n = i + 1;
    lua_rawseti(L, -2, lk->first + i);       /* anchored */
    for (slot = lookup_slot(k); lk->key[slot] != NULL; slot = (slot + 1) & (SC_LOOKUP_SLOTS - 1)) {}
    lk->key[slot] = k;
    lk->index[slot] = i;
    for (slot = content_slot(k, lk->len[i]); lk->by_bytes[slot] != 0; slot = (slot + 1) & (SC_LOOKUP_SLOTS - 1)) {}
    lk->by_bytes[slot] = (unsigned char)(i + 1);
  }
  lua_pop(L, 1);
  /* Such a finaliser may also have built this very lookup, or taken the
   * slot found above: look again. (This copy then stays anchored, unused.) */
  for (h = lookup_slot((const char *)owner) & (SC_OWNERS - 1); cache->owner[h] != NULL;
       h = (h + 1) & (SC_OWNERS - 1))
    if (cache->owner[h] == owner) return cache->lookup[h];
  cache->owner[h] = owner;
  cache->lookup[h] = lk;
  cache->count++;
  return lk;
}

/* The distinct owners (object types) met while checking the schema. */
typedef struct sc_owners {
  const void *seen[SC_OWNERS];
  int n;
} sc_owners;

/* Counts owner once; returns 0 if it was already counted. */
static int owners_add(sc_owners *o, const void *owner) {
  for (int i = 0; i < o->n; i++)
    if (o->seen[i] == owner) return 0;
  if (o->n < SC_OWNERS) o->seen[o->n] = owner;
  o->n++;
  return 1;
}

/*
 * Whether the schema reachable from t fits the fixed capacities above: no
 * object or enum with more than SC_LOOKUP_MAX names. o collects the
 * distinct objects met: a type that many endpoints share (the model
 * object) needs one lookup, however often it appears. Checked once, when
 * the module loads, so a schema that outgrows the cache fails loudly.
 */
static int schema_fits(const sc_type *t, int depth, sc_owners *o) {
  if (t == NULL || depth > 32) return t == NULL;
  if (t->enm != NULL && t->enm->count > SC_LOOKUP_MAX) return 0;
  switch (t->kind) {
    case SC_OBJECT:
      if (t->nfields > SC_LOOKUP_MAX) return 0;
      if (!owners_add(o, t)) return 1; /* walked already */
      for (int i = 0; i < t->nfields; i++)
        if (!schema_fits(t->fields[i].type, depth + 1, o)) return 0;
      return 1;
    case SC_ARRAY:
    case SC_MAP:
      return t->items == NULL || schema_fits(t->items, depth + 1, o);
    default:
      return 1;
  }
}

static const char *field_name(const void *t, int i) {
  return ((const sc_type *)t)->fields[i].name;
}

static const char *enum_value(const void *e, int i) {
  return ((const sc_enum *)e)->strings[i];
}

/* The fields of the object type t, by name. */
static sc_lookup *get_lookup(sc_walk *w, const sc_type *t) {
  sc_lookup *lk = get_lookup_of(w, t, t->nfields, field_name);
  if (!lk->required_set) {
    for (int i = 0; i < lk->n; i++)
      if (t->fields[i].flags & SC_REQUIRED) lk->required |= (uint64_t)1 << i;
    lk->required_set = 1;
  }
  return lk;
}

/* The values of the string enum e. */
static const sc_lookup *get_enum_lookup(sc_walk *w, const sc_enum *e) {
  return get_lookup_of(w, e, e->count, enum_value);
}

/* Starts a walk: pushes its problems slot and the lookup cache (2 slots). */
static void walk_begin(lua_State *L, sc_walk *w, sc_buf *out) {
  walk_init(w, L, out);
  lua_pushvalue(L, UV_CACHE);
  w->cache = w->errslot + 1;
  w->lookups = lua_touserdata(L, w->cache);
}

#endif
