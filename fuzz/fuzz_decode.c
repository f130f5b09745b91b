/*
 * Response bytes -> core.decode(endpoint, bytes), the one-pass decoder
 * (csrc/decode.c) against the response type of every endpoint that
 * returns data (the input's first byte picks it), strict and lenient,
 * and core.parse_json(bytes),
 * the same decoder without a schema. Nothing may crash or raise; a strict
 * success must be a model whose id is a string; a lenient one a table, with
 * problems only as a list of {path, message}, and whenever the strict
 * decode succeeds the lenient one gives no problems. No object may hold a
 * null, and no integral float below 2^53 may be left.
 */
#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char oracle[] =
  "local null = core.null\n"
  "local function no_null_members(t, depth)\n"
  "  if depth > 300 then return end\n"
  "  local n = rawlen(t)\n"
  "  for k, v in next, t do\n"
  "    if v == null then assert(math.type(k) == 'integer' and k >= 1 and k <= n, 'null member ' .. tostring(k)) end\n"
  "    if type(v) == 'table' then no_null_members(v, depth + 1) end\n"
  "    if type(v) == 'number' and math.type(v) == 'float' and v == math.floor(v) and math.abs(v) < 2^53 then\n"
  "      error('integral float left: ' .. tostring(v))\n"
  "    end\n"
  "  end\n"
  "end\n"
  "decoding = {}\n"
  "for _, ep in ipairs(core.endpoints) do\n"
  "  if ep.returns ~= 'nothing' then decoding[#decoding + 1] = ep end\n"
  "end\n"
  "function endpoint(pick) return decoding[pick % #decoding + 1] end\n"
  "function check_decode(pick, bytes)\n"
  "  local ep = endpoint(pick)\n"
  "  local model, err = core.decode(ep.name, bytes)\n"
  "  if model == nil then\n"
  "    assert(type(err) == 'table' and err.kind == 'invalid_response', 'bad error value')\n"
  "    return\n"
  "  end\n"
  "  assert(type(model) == 'table', 'a result that is not a table')\n"
  "  if ep.member == 'model' then assert(type(model.id) == 'string', 'model without id') end\n"
  "  no_null_members(model, 0)\n"
  "end\n"
  "function check_lenient(pick, bytes)\n"
  "  local ep = endpoint(pick)\n"
  "  local strict = core.decode(ep.name, bytes)\n"
  "  local model, problems = core.decode(ep.name, bytes, true)\n"
  "  if model == nil then\n"
  "    assert(strict == nil and type(problems) == 'table' and problems.kind == 'invalid_response', 'bad error value')\n"
  "    return\n"
  "  end\n"
  "  assert(type(model) == 'table', 'lenient result not a table')\n"
  "  if strict ~= nil then assert(problems == nil, 'problems beside a strict success') end\n"
  "  if problems ~= nil then\n"
  "    assert(strict == nil and #problems >= 1, 'problems without a strict failure')\n"
  "    for _, p in ipairs(problems) do assert(type(p.path) == 'string' and type(p.message) == 'string') end\n"
  "  end\n"
  "  no_null_members(model, 0)\n"
  "end\n"
  "function check_parse(bytes)\n"
  "  local v, msg = core.parse_json(bytes)\n"
  "  if v == nil then assert(type(msg) == 'string', 'no message') return end\n"
  "  if type(v) == 'table' then no_null_members(v, 0) end\n"
  "end\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_init();
  fuzz_define(oracle);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned runs = 0;
  /* The endpoint, from a hash of the bytes: a valid document's first and
   * last bytes are nearly always the same braces. */
  unsigned pick = 2166136261u;
  for (size_t i = 0; i < size; i++) pick = (pick ^ data[i]) * 16777619u;
  pick %= 1024u;
  lua_pushinteger(fuzz_L, (lua_Integer)pick);
  lua_pushlstring(fuzz_L, (const char *)data, size);
  fuzz_call("check_decode", 0);
  lua_pushinteger(fuzz_L, (lua_Integer)pick);
  lua_pushlstring(fuzz_L, (const char *)data, size);
  fuzz_call("check_lenient", 0);
  lua_pushlstring(fuzz_L, (const char *)data, size);
  fuzz_call("check_parse", 0);
  if (++runs % 256 == 0) lua_gc(fuzz_L, LUA_GCCOLLECT, 0);
  return 0;
}
