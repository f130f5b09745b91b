/*
 * "Did you mean" for unknown keys and enum values. Names are compared
 * folded (lower case, without '_', '-' and '.'), so snake_case spellings
 * of camelCase keys and "sdxl" for "sd-xl" match at distance 0; beyond
 * that, optimal-string-alignment distance within a small budget.
 */
#ifndef SCENARIO_SUGGEST_C
#define SCENARIO_SUGGEST_C

#include "common.h"

#include <ctype.h>
#include <string.h>

#define SC_SUGGEST_MAX 64

static size_t fold(const char *s, size_t len, char out[SC_SUGGEST_MAX]) {
  size_t n = 0;
  for (size_t i = 0; i < len && n < SC_SUGGEST_MAX; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '_' || c == '-' || c == '.') continue;
    out[n++] = (char)tolower(c);
  }
  return n;
}

static size_t osa_distance(const char *a, size_t n, const char *b, size_t m) {
  size_t d[SC_SUGGEST_MAX + 1][SC_SUGGEST_MAX + 1];
  for (size_t i = 0; i <= n; i++) d[i][0] = i;
  for (size_t j = 0; j <= m; j++) d[0][j] = j;
  for (size_t i = 1; i <= n; i++) {
    for (size_t j = 1; j <= m; j++) {
      size_t cost = a[i - 1] != b[j - 1];
      size_t best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[n][m];
}

/* The closest of the n candidates to word, or NULL if none is close. */
static const char *suggest(const char *word, size_t len,
                           const char *const *cands, int n) {
  char fw[SC_SUGGEST_MAX], fc[SC_SUGGEST_MAX];
  size_t wn, budget, best_d = (size_t)-1;
  const char *best = NULL;
  if (len == 0 || len > SC_SUGGEST_MAX) return NULL;
  wn = fold(word, len, fw);
  budget = wn <= 3 ? 1 : (wn / 3 < 3 ? wn / 3 + 1 : 3);
  for (int i = 0; i < n; i++) {
    size_t cn = fold(cands[i], strlen(cands[i]), fc);
    size_t diff = cn > wn ? cn - wn : wn - cn, d;
    if (diff > budget) continue;
    d = osa_distance(fw, wn, fc, cn);
    if (d <= budget && d < best_d) {
      best_d = d;
      best = cands[i];
    }
  }
  return best;
}

/* core.suggest(word, candidates) -> closest candidate | nil */
static int l_suggest(lua_State *L) {
  size_t len;
  const char *word = luaL_checklstring(L, 1, &len);
  const char *cands[128];
  int n = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  for (lua_Integer i = 1; n < 128; i++) {
    int t = lua_rawgeti(L, 2, i);
    if (t == LUA_TSTRING) cands[n++] = lua_tostring(L, -1); /* table 2 holds it */
    lua_pop(L, 1);
    if (t != LUA_TSTRING) break;
  }
  {
    const char *hit = suggest(word, len, cands, n);
    if (hit) lua_pushstring(L, hit); else lua_pushnil(L);
  }
  return 1;
}

/* Registers core.suggest in the module at M. */
static void suggest_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "suggest", l_suggest },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
}

#endif
