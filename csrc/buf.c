/*
 * Growable byte buffer. The memory is malloc'd and always owned by a
 * userdata with __gc (a client or call handle, or a scratch buffer made
 * here), so a Lua error raised while a buffer is live can never leak it.
 */
#ifndef SCENARIO_BUF_C
#define SCENARIO_BUF_C

#include "common.h"

#include <stdlib.h>
#include <string.h>

typedef struct sc_buf {
  char *data;
  size_t len;
  size_t cap;
} sc_buf;

/* Above this capacity a buffer is released after use rather than kept for
 * the next call, so one huge response does not pin memory for the
 * lifetime of a client. */
#define SC_BUF_KEEP (1u << 20)

static void buf_free(sc_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static void buf_reset(sc_buf *b) {
  if (b->cap > SC_BUF_KEEP) buf_free(b);
  b->len = 0;
}

/* Makes room for extra more bytes; the slow path of buf_reserve. */
static int buf_grow(sc_buf *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (extra > (size_t)-1 - b->len - 1) return 0;
  need = b->len + extra;
  cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > (size_t)-1 / 2 ? need : cap * 2;
  p = (char *)realloc(b->data, cap);
  if (p == NULL) return 0;
  b->data = p;
  b->cap = cap;
  return 1;
}

/* Returns 0 when memory runs out; the buffer is left unchanged. The
 * check that there is room already is inline: most calls stop there. */
static inline int buf_reserve(sc_buf *b, size_t extra) {
  return extra <= b->cap - b->len || buf_grow(b, extra);
}

static int buf_add(sc_buf *b, const char *s, size_t n) {
  if (!buf_reserve(b, n)) return 0;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  return 1;
}

static int buf_addc(sc_buf *b, char c) {
  if (b->len == b->cap && !buf_reserve(b, 1)) return 0;
  b->data[b->len++] = c;
  return 1;
}

static int buf_adds(sc_buf *b, const char *s) {
  return buf_add(b, s, strlen(s));
}

#define SCRATCH_MT "scenario.core.scratch"

/* core.encode's buffer, one per state. A walk can allocate (the first
 * time it meets a type), an allocation can run a finalizer, and a
 * finalizer can call core.encode again: the inner call then takes a
 * buffer of its own rather than overwrite this one. */
typedef struct sc_scratch {
  sc_buf buf;
  int busy;
} sc_scratch;

static int scratch_gc(lua_State *L) {
  buf_free(&((sc_scratch *)luaL_checkudata(L, 1, SCRATCH_MT))->buf);
  return 0;
}

/* Pushes a new scratch buffer, released by __gc. */
static sc_scratch *push_scratch(lua_State *L) {
  sc_scratch *s = (sc_scratch *)lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  if (luaL_newmetatable(L, SCRATCH_MT)) { /* the first one makes it */
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return s;
}

#endif
