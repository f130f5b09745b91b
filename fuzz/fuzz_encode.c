/*
 * Arbitrary Lua values -> core.encode(endpoint, body, extra), for every
 * endpoint of the table that takes a body (the input's first byte picks
 * it).
 *
 * The input is a little program that builds values on the Lua stack:
 * strings (schema names, enum values, raw bytes, invalid UTF-8, NULs,
 * 100 KB strings), integers at the limits, any double (NaN, inf),
 * booleans, scenario.null, functions, tables, fields, array items,
 * cycles, deep nesting, and metatables with __index, __pairs and __len.
 * Nothing may crash; an encoded body must be JSON that lua-cjson parses,
 * and validate must agree with encode.
 */
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STACK 48

static const char *const names[] = {
  "baseModelId", "classSlug", "collectionIds", "concepts", "name", "shortDescription",
  "type", "modelId", "scale", "modelEpoch", "flux.1-lora", "sd-xl", "custom", "nmae",
  "collection_ids", "originalAssets", "projectId", "", "1",
  /* the other bodies: update, train, training images, tags */
  "epoch", "parameters", "learningRate", "lrScheduler", "nbEpochs", "rank", "seed",
  "promptEmbedding", "thumbnail", "add", "delete", "strict", "data", "assetId", "assetIds",
  "preset", "style", "constant", "cosine",
};

static const char oracle[] =
  "local cjson = require 'cjson'\n"
  "bodies = {}\n"
  "for _, ep in ipairs(core.endpoints) do\n"
  "  if ep.takes_body then bodies[#bodies + 1] = ep.name end\n"
  "end\n"
  "function check_encode(pick, body, extra)\n"
  "  local name = bodies[pick % #bodies + 1]\n"
  "  local json, err = core.encode(name, body, extra)\n"
  "  local ok = core.validate(name, body, extra, nil, nil, 'model_x', 'x')\n"
  "  assert((json ~= nil) == (ok == true), 'validate and encode disagree')\n"
  "  if json == nil then\n"
  "    assert(type(err) == 'table' and err.kind == 'validation' and err.error_count >= 1, 'bad error value')\n"
  "    for _, p in ipairs(err.errors) do assert(type(p.path) == 'string' and type(p.message) == 'string') end\n"
  "    return\n"
  "  end\n"
  "  local good, decoded = pcall(cjson.decode, json)\n"
  "  assert(good and type(decoded) == 'table', 'encoder wrote invalid JSON: ' .. json:sub(1, 200))\n"
  "end\n";

static int meta_fn(lua_State *L) {
  lua_pushnil(L);
  return 1;
}

static uint64_t take(const uint8_t **p, const uint8_t *end, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && *p < end; i++) v = (v << 8) | *(*p)++;
  return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_init();
  fuzz_define(oracle);
  fuzz_define("long_ascii = ('x'):rep(102400) long_utf8 = ('\\240\\159\\153\\130'):rep(25600)");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int pick = size > 0 ? data[0] : 0;
  static unsigned runs = 0;
  lua_State *L = fuzz_L;
  const uint8_t *p = data, *end = data + size;
  lua_settop(L, 0);
  if (!lua_checkstack(L, MAX_STACK + 8)) abort(); /* the ops push up to 2 past MAX_STACK */
  lua_newtable(L); /* the body is slot 1 */
  while (p < end) {
    int top = lua_gettop(L);
    uint8_t op = *p++ % 18;
    if (top >= MAX_STACK && op < 12) continue;
    switch (op) {
      case 0: { /* short raw string */
        size_t n = (size_t)take(&p, end, 1) % 48;
        if (n > (size_t)(end - p)) n = (size_t)(end - p);
        lua_pushlstring(L, (const char *)p, n);
        p += n;
        break;
      }
      case 1: lua_pushstring(L, names[take(&p, end, 1) % (sizeof names / sizeof names[0])]); break;
      case 2: lua_pushinteger(L, (lua_Integer)take(&p, end, 8)); break;
      case 3: { uint64_t bits = take(&p, end, 8); double d; memcpy(&d, &bits, sizeof d); lua_pushnumber(L, d); break; }
      case 4: lua_pushinteger(L, (lua_Integer)(int8_t)take(&p, end, 1)); break;
      case 5: lua_pushboolean(L, (int)(take(&p, end, 1) & 1)); break;
      case 6: lua_pushlightuserdata(L, NULL); break; /* scenario.null */
      case 7: lua_newtable(L); break;
      case 8: lua_pushcfunction(L, meta_fn); break;
      case 9: /* a 100 KB string: ASCII, or 4-byte UTF-8 characters */
        lua_getglobal(L, (take(&p, end, 1) & 1) ? "long_utf8" : "long_ascii");
        break;
      case 10: /* a table nested n deep (the walker gives up at 64) */
      {
        int n = (int)(take(&p, end, 1) % 200);
        lua_newtable(L);
        for (int i = 0; i < n; i++) {
          lua_newtable(L);
          lua_insert(L, -2);
          lua_setfield(L, -2, "n");
        }
        break;
      }
      case 11: lua_pushvalue(L, (int)(take(&p, end, 1) % (uint64_t)top) + 1); break; /* dup (cycles) */
      case 12: /* t[k] = v with t, k, v on top; only into tables */
        if (top >= 3 && lua_istable(L, -3) && !lua_isnil(L, -2) &&
            !(lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) != lua_tonumber(L, -2))) {
          lua_rawset(L, -3);
        }
        break;
      case 13: /* append v to the table below it */
        if (top >= 2 && lua_istable(L, -2)) lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        break;
      case 14: /* body[name] = v */
        if (top >= 2) lua_setfield(L, 1, names[take(&p, end, 1) % (sizeof names / sizeof names[0])]);
        break;
      case 15: /* a metatable on the top table */
        if (lua_istable(L, -1)) {
          lua_createtable(L, 0, 3);
          lua_pushcfunction(L, meta_fn);
          lua_setfield(L, -2, "__index");
          lua_pushcfunction(L, meta_fn);
          lua_setfield(L, -2, "__pairs");
          lua_pushcfunction(L, meta_fn);
          lua_setfield(L, -2, "__len");
          lua_setmetatable(L, -2);
        }
        break;
      case 16: if (top > 1) lua_pop(L, 1); break;
      case 17: /* t[i] = v at a sparse index */
        if (top >= 2 && lua_istable(L, -2)) lua_rawseti(L, -2, (lua_Integer)take(&p, end, 1) + 2);
        break;
    }
  }
  /* check_encode(pick, body, extra): extra is the top value if it is a table */
  if (lua_gettop(L) >= 2 && lua_istable(L, -1)) {
    lua_copy(L, -1, 2);
    lua_settop(L, 2);
  } else {
    lua_settop(L, 1);
    lua_pushnil(L);
  }
  lua_pushinteger(L, pick);
  lua_insert(L, 1);
  fuzz_call("check_encode", 0);
  if (++runs % 256 == 0) lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
