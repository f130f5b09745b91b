/*
 * The response engine: takes the table lua-cjson decoded and brings it in
 * line with the schema, in place:
 *   - integral numbers become Lua integers (lua-cjson 2.1 decodes every
 *     number as a float), so counts and millisecond timestamps are exact;
 *   - a null member of any object becomes an absent field (nulls in
 *     arrays stay, as scenario.null, to keep the positions);
 *   - strings must be valid UTF-8.
 * Fields and enum values the schema does not know are kept, normalised
 * the same way: the API grows, and a client must not drop what it does
 * not understand yet. A value of the wrong type for a known field is a
 * problem, reported with its path.
 */
#include <math.h>
#include <stdint.h>

#define SC_EXACT_LIMIT 9007199254740992.0 /* 2^53 */

/* lua-cjson refuses documents nested deeper than SC_JSON_MAX_DEPTH, so a
 * path never has more segments than that: the walk needs no depth check. */
typedef char sc_path_fits_json_depth[SC_JSON_MAX_DEPTH < SC_PATH_MAX ? 1 : -1];

static int norm_value(sc_walk *w, int idx, int type, const sc_type *t, lua_Integer *iv);

/* Whether the number at idx is an integral float that a double holds
 * exactly (below 2^53); if so, *iv receives it. */
static int integral(lua_State *L, int idx, lua_Integer *iv) {
  lua_Number d;
  if (lua_isinteger(L, idx)) return 0;
  d = lua_tonumber(L, idx);
  if (d != floor(d) || fabs(d) >= SC_EXACT_LIMIT) return 0; /* may be rounded */
  *iv = (lua_Integer)d;
  return 1;
}

/* Strings are scanned one by one only when the raw body failed its
 * UTF-8 check (see decode_response): lua-cjson refuses escapes that would
 * decode to invalid UTF-8, so a valid body has only valid strings. */
static void norm_string(sc_walk *w, int idx) {
  size_t len, chars;
  long nul, bad;
  const char *s;
  if (!w->check_utf8) return;
  s = lua_tolstring(w->L, idx, &len);
  bad = utf8_scan(s, len, &chars, &nul);
  if (bad >= 0) walk_fail(w, "is not valid UTF-8 (bad byte at offset %d)", (int)bad);
}

/* An empty table may be either; otherwise lua-cjson gives arrays a
 * positive length and objects (string keys only) a length of 0. */
static int looks_like_array(lua_State *L, int idx) {
  if (lua_rawlen(L, idx) > 0) return 1;
  lua_pushnil(L);
  if (lua_next(L, idx)) {
    lua_pop(L, 2);
    return 0;
  }
  return 1;
}

static int looks_like_object(lua_State *L, int idx) {
  return lua_rawlen(L, idx) == 0;
}

static void norm_items(sc_walk *w, int idx, const sc_type *items, int nulls_ok) {
  lua_State *L = w->L;
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx), iv;
  int v = lua_gettop(L) + 1;
  for (lua_Integer i = 1; i <= n; i++) {
    int type = lua_rawgeti(L, idx, i);
    path_index(w, i);
    if (type == LUA_TLIGHTUSERDATA && lua_touserdata(L, v) == NULL) {
      if (!nulls_ok) walk_fail(w, "is null");
    } else if (norm_value(w, v, type, items, &iv)) {
      lua_pushinteger(L, iv);
      lua_rawseti(L, idx, i);
    }
    path_pop(w);
    lua_pop(L, 1);
  }
}

/* The members of the object at idx: known ones (t != NULL and found in
 * lookup, else NULL) against their field types, the rest as unknown data.
 * Null members are removed. Returns how many required fields were seen. */
static int norm_members(sc_walk *w, int idx, const sc_type *t, const sc_lookup *lookup,
                        const sc_type *items) {
  lua_State *L = w->L;
  int seen_required = 0, v = lua_gettop(L) + 2;
  lua_Integer iv;
  lua_pushnil(L);
  while (lua_next(L, idx)) { /* ... key value */
    int type = lua_type(L, v);
    const sc_type *ft = items;
    if (type == LUA_TLIGHTUSERDATA && lua_touserdata(L, v) == NULL) {
      lua_pushvalue(L, v - 1);
      lua_pushnil(L);
      lua_rawset(L, idx);    /* clearing a field during lua_next is allowed */
      lua_pop(L, 1);
      continue;
    }
    if (lookup) {
      size_t klen;
      const char *k = lua_tolstring(L, v - 1, &klen); /* lua-cjson keys are strings */
      int i = lookup_find(lookup, k, klen);
      if (i >= 0) {
        const sc_field *f = &t->fields[i];
        ft = f->type;
        seen_required += (f->flags & SC_REQUIRED) != 0;
      }
    }
    path_key_at(w, v - 1);
    if (norm_value(w, v, type, ft, &iv)) {
      lua_pushvalue(L, v - 1);
      lua_pushinteger(L, iv);
      lua_rawset(L, idx);    /* assigning an existing field: safe mid-next */
    }
    path_pop(w);
    lua_pop(L, 1);
  }
  return seen_required;
}

static void norm_object(sc_walk *w, int idx, const sc_type *t) {
  lua_State *L = w->L;
  int required = 0, seen;
  for (int i = 0; i < t->nfields; i++) required += (t->fields[i].flags & SC_REQUIRED) != 0;
  seen = norm_members(w, idx, t, get_lookup(w, t), NULL);
  if (seen == required) return;
  for (int i = 0; i < t->nfields; i++) {
    const sc_field *f = &t->fields[i];
    if (!(f->flags & SC_REQUIRED)) continue;
    lua_pushstring(L, f->name);
    if (lua_rawget(L, idx) == LUA_TNIL) {
      path_key(w, f->name, strlen(f->name));
      walk_fail(w, "is required but missing");
      path_pop(w);
    }
    lua_pop(L, 1);
  }
}

/* Normalises the value at idx (of Lua type `type`) against t (NULL:
 * unknown data). Returns 1, with *iv set, if the caller must store the
 * value back as an integer. */
static int norm_value(sc_walk *w, int idx, int type, const sc_type *t, lua_Integer *iv) {
  lua_State *L = w->L;
  sc_kind kind = t == NULL ? SC_ANY : t->kind;
  switch (type) {
    case LUA_TNUMBER:
      if (kind == SC_NUMBER || kind == SC_INTENUM || kind == SC_ANY) return integral(L, idx, iv);
      break;
    case LUA_TSTRING:
      if (kind == SC_STRING || kind == SC_ANY) {
        norm_string(w, idx);
        return 0;
      }
      break;
    case LUA_TBOOLEAN:
      if (kind == SC_BOOLEAN || kind == SC_ANY) return 0;
      break;
    case LUA_TTABLE:
      /* A level keeps a key, a value, a lookup table and a temporary on
       * the stack; a C function is only promised LUA_MINSTACK slots. */
      luaL_checkstack(L, 8, "nested too deeply");
      switch (kind) {
        case SC_ANY:
          if (lua_rawlen(L, idx) > 0) norm_items(w, idx, NULL, 1);
          else norm_members(w, idx, NULL, NULL, NULL);
          return 0;
        case SC_ARRAY:
          if (!looks_like_array(L, idx)) {
            walk_fail(w, "expected an array, got an object");
            return 0;
          }
          norm_items(w, idx, t->items, t->items == NULL || t->items->kind == SC_ANY);
          return 0;
        case SC_OBJECT:
        case SC_MAP:
          if (!looks_like_object(L, idx)) {
            walk_fail(w, "expected an object, got an array");
            return 0;
          }
          if (kind == SC_OBJECT) norm_object(w, idx, t);
          else norm_members(w, idx, NULL, NULL, t->items);
          return 0;
        default:
          break;
      }
      break;
    default:
      if (kind == SC_ANY) return 0;
      break;
  }
  switch (kind) {
    case SC_STRING: walk_fail(w, "expected a string, got %s", describe(L, idx)); break;
    case SC_NUMBER:
    case SC_INTENUM: walk_fail(w, "expected a number, got %s", describe(L, idx)); break;
    case SC_BOOLEAN: walk_fail(w, "expected a boolean, got %s", describe(L, idx)); break;
    case SC_ARRAY: walk_fail(w, "expected an array, got %s", describe(L, idx)); break;
    default: walk_fail(w, "expected an object, got %s", describe(L, idx)); break;
  }
  return 0;
}
