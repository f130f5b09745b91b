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

#define SC_EXACT_LIMIT 9007199254740992.0 /* 2^53 */

/* lua-cjson refuses documents nested deeper than SC_JSON_MAX_DEPTH, so a
 * path never has more segments than that: the walk needs no depth check. */
typedef char sc_path_fits_json_depth[SC_JSON_MAX_DEPTH < SC_PATH_MAX ? 1 : -1];

static void norm_value(sc_walk *w, int idx, const sc_type *t);

/* If the number at idx is an integral float that a double holds exactly,
 * pushes it as an integer and returns 1. */
static int push_if_integral(lua_State *L, int idx) {
  lua_Number d;
  if (lua_isinteger(L, idx)) return 0;
  d = lua_tonumber(L, idx);
  if (d != floor(d) || fabs(d) >= SC_EXACT_LIMIT) return 0; /* may be rounded */
  lua_pushinteger(L, (lua_Integer)d);
  return 1;
}

static void norm_string(sc_walk *w, int idx) {
  size_t len, chars;
  long nul;
  const char *s = lua_tolstring(w->L, idx, &len);
  long bad = utf8_scan(s, len, &chars, &nul);
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

/* Normalises the value at the top of the stack, stored under the key just
 * below it in the table at tbl; writes back an integer if it became one. */
static void norm_member(sc_walk *w, int tbl, const sc_type *t) {
  lua_State *L = w->L;
  int v = lua_gettop(L);
  norm_value(w, v, t);
  if (lua_type(L, v) == LUA_TNUMBER && push_if_integral(L, v)) {
    lua_pushvalue(L, v - 1); /* key */
    lua_insert(L, -2);
    lua_rawset(L, tbl);      /* assigning an existing field: safe mid-next */
  }
}

static void norm_items(sc_walk *w, int idx, const sc_type *items, int nulls_ok) {
  lua_State *L = w->L;
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    path_index(w, i);
    if (is_null(L, -1)) {
      if (!nulls_ok) walk_fail(w, "is null");
    } else {
      norm_value(w, lua_gettop(L), items);
      if (lua_type(L, -1) == LUA_TNUMBER && push_if_integral(L, -1))
        lua_rawseti(L, idx, i);
    }
    path_pop(w);
    lua_pop(L, 1);
  }
}

/* Pushes the name -> field-index table for the object type t, built on
 * first use and kept in the cache table at w->cache. */
static void push_lookup(sc_walk *w, const sc_type *t) {
  lua_State *L = w->L;
  if (lua_rawgetp(L, w->cache, t) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, t->nfields);
  for (int i = 0; i < t->nfields; i++) {
    lua_pushinteger(L, i);
    lua_setfield(L, -2, t->fields[i].name);
  }
  lua_pushvalue(L, -1);
  lua_rawsetp(L, w->cache, t);
}

static void norm_object(sc_walk *w, int idx, const sc_type *t) {
  lua_State *L = w->L;
  int lookup, required = 0, seen_required = 0;
  for (int i = 0; i < t->nfields; i++) required += (t->fields[i].flags & SC_REQUIRED) != 0;
  push_lookup(w, t);
  lookup = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) { /* lookup key value */
    size_t klen;
    const char *k = lua_tolstring(L, -2, &klen); /* lua-cjson keys are strings */
    const sc_field *f = NULL;
    lua_pushvalue(L, -2);
    if (lua_rawget(L, lookup) == LUA_TNUMBER) f = &t->fields[lua_tointeger(L, -1)];
    lua_pop(L, 1);
    if (is_null(L, -1)) {
      lua_pushvalue(L, -2);
      lua_pushnil(L);
      lua_rawset(L, idx);    /* clearing a field during lua_next is allowed */
    } else {
      if (f != NULL && (f->flags & SC_REQUIRED)) seen_required++;
      path_key(w, k, klen);
      norm_member(w, idx, f ? f->type : NULL);
      path_pop(w);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1); /* lookup */
  if (seen_required == required) return;
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

/* An object whose members all have the type items (NULL: unknown). */
static void norm_map(sc_walk *w, int idx, const sc_type *items) {
  lua_State *L = w->L;
  lua_pushnil(L);
  while (lua_next(L, idx)) { /* key value */
    size_t klen;
    const char *k = lua_tolstring(L, -2, &klen);
    if (is_null(L, -1)) {
      lua_pushvalue(L, -2);
      lua_pushnil(L);
      lua_rawset(L, idx);
    } else {
      path_key(w, k, klen);
      norm_member(w, idx, items);
      path_pop(w);
    }
    lua_pop(L, 1);
  }
}

/* Unknown content: numbers, strings and object nulls as above. */
static void norm_generic(sc_walk *w, int idx) {
  lua_State *L = w->L;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: norm_string(w, idx); return;
    case LUA_TTABLE: break;
    default: return;
  }
  if (lua_rawlen(L, idx) > 0) {
    norm_items(w, idx, NULL, 1);
    return;
  }
  norm_map(w, idx, NULL);
}

static void norm_value(sc_walk *w, int idx, const sc_type *t) {
  lua_State *L = w->L;
  int type = lua_type(L, idx);
  /* A level keeps a key, a value, a lookup table and a temporary on the
   * stack; a C function is only promised LUA_MINSTACK slots. */
  if (type == LUA_TTABLE) luaL_checkstack(L, 8, "nested too deeply");
  if (t == NULL || t->kind == SC_ANY) {
    norm_generic(w, idx);
    return;
  }
  switch (t->kind) {
    case SC_STRING:
      if (type != LUA_TSTRING) walk_fail(w, "expected a string, got %s", describe(L, idx));
      else norm_string(w, idx);
      break;
    case SC_NUMBER:
    case SC_INTENUM:
      if (type != LUA_TNUMBER) walk_fail(w, "expected a number, got %s", describe(L, idx));
      break;
    case SC_BOOLEAN:
      if (type != LUA_TBOOLEAN) walk_fail(w, "expected a boolean, got %s", describe(L, idx));
      break;
    case SC_ARRAY:
      if (type != LUA_TTABLE || !looks_like_array(L, idx))
        walk_fail(w, "expected an array, got %s",
                  type == LUA_TTABLE ? "an object" : describe(L, idx));
      else
        norm_items(w, idx, t->items, t->items == NULL || t->items->kind == SC_ANY);
      break;
    case SC_OBJECT:
    case SC_MAP:
      if (type != LUA_TTABLE || !looks_like_object(L, idx))
        walk_fail(w, "expected an object, got %s",
                  type == LUA_TTABLE ? "an array" : describe(L, idx));
      else if (t->kind == SC_OBJECT)
        norm_object(w, idx, t);
      else
        norm_map(w, idx, t->items);
      break;
    case SC_ANY: break;
  }
}
