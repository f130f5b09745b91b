/*
 * State shared by the two schema engines: the path from the root to the
 * value being looked at, and the list of problems found so far. A walk
 * never stops at the first problem; it records each one as
 * {path = "concepts[2].scale", message = "..."} and goes on.
 */
#ifndef SCENARIO_WALK_C
#define SCENARIO_WALK_C

#include "common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "json.c"

/* Responses may nest as deep as the JSON parser allows (see core.c). */
#define SC_PATH_MAX 260

typedef struct sc_seg {
  const char *key;  /* NULL: an array index, or the key at stack slot keyidx */
  size_t keylen;
  int keyidx;       /* a string key still on the stack; read only for messages */
  lua_Integer index;
} sc_seg;

typedef struct sc_walk {
  lua_State *L;
  sc_buf *out;      /* where JSON goes; NULL when only checking */
  int errslot;      /* stack slot holding nil, then the problems table */
  int nerr;
  int fatal;        /* problems that no leniency excuses (invalid UTF-8) */
  int stopped;      /* the walk passed max_bytes and gave up */
  size_t values;    /* values walked so far */
  size_t max_bytes; /* the cap on the values walked and the bytes written */
  int depth;        /* number of segments in path */
  int cache;        /* stack slot of the lookup cache (lookup.c) */
  void *lookups;    /* that cache's C side */
  sc_seg path[SC_PATH_MAX];
  const void *open[SC_MAX_DEPTH + 1]; /* tables on the path, for cycles */
  /* A body that is an object read from the API: its fields of this type
   * were reported as one problem (encode.c, report_read_object). */
  const void *read_table;
  const struct sc_type *read_type;
  /* What marks an array (find_marks), found at the first table with a
   * metatable or light userdata of the walk (walk_marks). A walk runs no
   * user code, so they hold until it ends. */
  int marks_ready;
  struct sc_marks {
    int nmt, nempty;
    const void *mt[5];    /* scenario.array's metatable; each cjson's array_mt and empty_array_mt */
    const void *empty[2]; /* each cjson's empty_array */
  } marks;
} sc_walk;

static void walk_init(sc_walk *w, lua_State *L, sc_buf *out) {
  w->L = L;
  w->out = out;
  lua_pushnil(L);
  w->errslot = lua_gettop(L);
  w->nerr = 0;
  w->fatal = 0;
  w->stopped = 0;
  w->values = 0;
  w->max_bytes = (size_t)-1;
  w->depth = 0;
  /* The root: a walk may start below it (a query, at "query", when there
   * is no body), and the cycle check reads every level above a table. */
  w->open[0] = NULL;
  w->cache = 0;
  w->lookups = NULL;
  w->read_table = NULL;
  w->read_type = NULL;
  w->marks_ready = 0;
}

static void path_key(sc_walk *w, const char *key, size_t len) {
  sc_seg *s = &w->path[w->depth++];
  s->key = key;
  s->keylen = len;
  s->keyidx = 0;
  s->index = 0;
}

/* A string key at stack slot idx, which stays there while the walk is
 * below it; its text is fetched only if a message needs the path. */
static void path_key_at(sc_walk *w, int idx) {
  sc_seg *s = &w->path[w->depth++];
  s->key = NULL;
  s->keylen = 0;
  s->keyidx = idx;
  s->index = 0;
}

static void path_index(sc_walk *w, lua_Integer i) {
  sc_seg *s = &w->path[w->depth++];
  s->key = NULL;
  s->keylen = 0;
  s->keyidx = 0;
  s->index = i;
}

static void path_pop(sc_walk *w) { w->depth--; }

/* Pushes the current path as a string: concepts[2].scale. */
static void push_path(sc_walk *w) {
  luaL_Buffer b;
  luaL_buffinit(w->L, &b);
  for (int i = 0; i < w->depth; i++) {
    const sc_seg *s = &w->path[i];
    if (s->key != NULL || s->keyidx != 0) {
      size_t len = s->keylen;
      const char *key = s->key != NULL ? s->key : lua_tolstring(w->L, s->keyidx, &len);
      if (i > 0) luaL_addchar(&b, '.'); /* NOLINT(bugprone-branch-clone): 5.1's macro */
      luaL_addlstring(&b, key, len);
    } else {
      char tmp[32];
      (void)snprintf(tmp, sizeof tmp, "[%lld]", (long long)s->index);
      luaL_addstring(&b, tmp);
    }
  }
  luaL_pushresult(&b);
}

/* Records a problem at the current path. fmt is lua_pushfstring's. */
static void walk_fail(sc_walk *w, const char *fmt, ...) {
  lua_State *L = w->L;
  va_list ap;
  if (++w->nerr > SC_MAX_ERRORS) return;
  if (lua_isnil(L, w->errslot)) {
    lua_createtable(L, 4, 0);
    lua_replace(L, w->errslot);
  }
  lua_createtable(L, 0, 2);      /* problem */
  push_path(w);
  lua_setfield(L, -2, "path");
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_setfield(L, -2, "message");
  lua_rawseti(L, w->errslot, w->nerr);
}

/* Pushes the problems table (or nil) and how many there were in all. */
static int walk_push_errors(sc_walk *w) {
  lua_pushvalue(w->L, w->errslot);
  return w->nerr;
}

/* A short description of the value at idx for "got ..." messages. */
static const char *describe(lua_State *L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) return "null";
      return "light userdata";
    case LUA_TNUMBER:
#if LUA_VERSION_NUM >= 503
      return lua_isinteger(L, idx) ? "an integer" : "a number";
#else
      return "a number"; /* one kind of number: 12 and 12.0 are the same value */
#endif
    case LUA_TSTRING: return "a string";
    case LUA_TBOOLEAN: return "a boolean";
    case LUA_TTABLE: return "a table";
    case LUA_TFUNCTION: return "a function";
    case LUA_TUSERDATA: return "a userdata";
    case LUA_TTHREAD: return "a coroutine";
    default: return luaL_typename(L, idx);
  }
}

static int is_null(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
}

/* The metatable of scenario.array {}: a table that is a JSON array even
 * when empty (an untyped empty table is written {}). It has no
 * metamethods, so reading such a table raw loses nothing. */
#define ARRAY_MT "scenario.array"

/* What marks an array: scenario.array's metatable, and lua-cjson's
 * markers (OpenResty's 2.1.0.x marks arrays with cjson.array_mt and
 * cjson.empty_array_mt, and writes cjson.empty_array, a light userdata,
 * as []). lua-cjson is found where require left it, as cjson or
 * cjson.safe, read raw, never required: a script that has not loaded it
 * has none of its markers. */
static void find_marks(lua_State *L, struct sc_marks *m) {
  static const char *const modules[] = { "cjson", "cjson.safe" };
  static const char *const mts[] = { "array_mt", "empty_array_mt" };
  m->nmt = m->nempty = 0;
  luaL_getmetatable(L, ARRAY_MT);
  if (lua_type(L, -1) == LUA_TTABLE) m->mt[m->nmt++] = lua_topointer(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED"); /* loaded */
  for (int i = 0; i < 2 && lua_type(L, -1) == LUA_TTABLE; i++) {
    lua_pushstring(L, modules[i]);
    lua_rawget(L, -2);                           /* loaded mod */
    if (lua_type(L, -1) == LUA_TTABLE) {
      for (int k = 0; k < 2; k++) {
        lua_pushstring(L, mts[k]);
        lua_rawget(L, -2);
        if (lua_type(L, -1) == LUA_TTABLE) m->mt[m->nmt++] = lua_topointer(L, -1);
        lua_pop(L, 1);
      }
      lua_pushliteral(L, "empty_array");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) != NULL)
        m->empty[m->nempty++] = lua_touserdata(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* Whether the metatable on top of the stack is one of m's. */
static int marks_array_mt(lua_State *L, const struct sc_marks *m) {
  const void *p = lua_topointer(L, -1);
  for (int i = 0; i < m->nmt; i++)
    if (m->mt[i] == p) return 1;
  return 0;
}

/* Whether the value at idx is one of m's cjson.empty_array. */
static int marks_empty_array(lua_State *L, int idx, const struct sc_marks *m) {
  const void *p;
  if (lua_type(L, idx) != LUA_TLIGHTUSERDATA || (p = lua_touserdata(L, idx)) == NULL) return 0;
  for (int i = 0; i < m->nempty; i++)
    if (m->empty[i] == p) return 1;
  return 0;
}

/* Whether the metatable on top of the stack marks an array, outside a
 * walk (scenario.array's own check). */
static int is_array_mt(lua_State *L) {
  struct sc_marks m;
  find_marks(L, &m);
  return marks_array_mt(L, &m);
}

/* Whether the value at idx is lua-cjson's empty_array, outside a walk
 * (a query value, url.c). */
static int is_cjson_empty_array(lua_State *L, int idx) {
  struct sc_marks m;
  if (lua_type(L, idx) != LUA_TLIGHTUSERDATA) return 0;
  find_marks(L, &m);
  return marks_empty_array(L, idx, &m);
}

/* The walk's marks, found at its first need. */
static const struct sc_marks *walk_marks(sc_walk *w) {
  if (!w->marks_ready) {
    find_marks(w->L, &w->marks);
    w->marks_ready = 1;
  }
  return &w->marks;
}

/* Whether the metatable on top of the stack marks an array. */
static int walk_is_array_mt(sc_walk *w) {
  return marks_array_mt(w->L, walk_marks(w));
}

/* Whether the table at idx carries a metatable that marks an array. */
static int walk_is_marked(sc_walk *w, int idx) {
  int marked = 0;
  if (lua_getmetatable(w->L, idx)) {
    marked = walk_is_array_mt(w);
    lua_pop(w->L, 1);
  }
  return marked;
}

/* Whether the value at idx is lua-cjson's empty_array. */
static int walk_is_empty_array(sc_walk *w, int idx) {
  return lua_type(w->L, idx) == LUA_TLIGHTUSERDATA && marks_empty_array(w->L, idx, walk_marks(w));
}

/* What a message that refuses a table or a userdata where an array
 * belongs adds: how to mark one. */
#define SC_ARRAY_HINT "; mark an array with scenario.array()"


/* Pushes a short text for a key or scalar value, for messages. Unlike
 * luaL_tolstring it never calls a __tostring metamethod, so no user code
 * runs in the middle of a walk. */
static const char *push_text(lua_State *L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      {
        char tmp[32];
        if (lua_isinteger(L, idx)) return lua_pushstring(L, int_text(lua_tointeger(L, idx), tmp));
        double d = (double)lua_tonumber(L, idx);
        if (d != d) return lua_pushliteral(L, "nan");
        if (d == HUGE_VAL) return lua_pushliteral(L, "inf");
        if (d == -HUGE_VAL) return lua_pushliteral(L, "-inf");
        fmt_double(d, tmp);
        return lua_pushstring(L, tmp);
      }
    case LUA_TBOOLEAN:
      return lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
    default:
      return lua_pushfstring(L, "(%s)", describe(L, idx));
  }
}

/* Pushes {kind = kind, errors = problems, error_count = n}. */
static void push_problems(lua_State *L, sc_walk *w, const char *kind) {
  lua_createtable(L, 0, 4);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  walk_push_errors(w);
  lua_setfield(L, -2, "errors");
  lua_pushinteger(L, w->nerr);
  lua_setfield(L, -2, "error_count");
}

#endif
