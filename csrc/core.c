/*
 * scenario.core: the mechanism under lua/scenario. Validation and JSON
 * encoding of request tables, decoding of responses, and HTTP over
 * libcurl; retries, defaults and error values are policy and live in Lua.
 *
 * This file makes the module: its table, whose functions each file
 * registers itself (its xxx_open), called here in layer order. It is the
 * only translation unit: it includes the files it opens, each of which
 * includes what it uses behind a guard, so every helper stays static.
 * The layers, from the ground up:
 *   data     common.h compat.h schema.h schema_models.c schema_endpoints.c
 *            schema_generate.c endpoint_table.c buf.c base64.c json.c
 *   engines  walk.c lookup.c encode.c decode.c url.c redact.c suggest.c
 *            dataurl.c files.c
 *   HTTP     transport.c (one exchange) headers.c rounds.c (the rounds)
 *   handles  handles.h client.c call.c call_errors.c call_options.c
 *            raw_call.c download.c
 *   bindings codec.c, and this file
 */
#include "common.h"

#include <curl/curl.h>

#include "call.c"
#include "call_options.c"
#include "client.c"
#include "codec.c"
#include "dataurl.c"
#include "download.c"
#include "files.c"
#include "headers.c"
#include "lookup.c"
#include "raw_call.c"
#include "rounds.c"
#include "suggest.c"
#include "url.c"

LUALIB_API int luaopen_scenario_core(lua_State *L) {
  static int curl_ready = 0;
  int M;
  check_schema(L);
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "scenario.core: curl_global_init failed");
    find_runtime_options();
    curl_ready = 1;
  }
  lua_newtable(L);                     /* M */
  M = lua_gettop(L);
  lua_newtable(L);
  lua_setfield(L, M, "limits");
  push_lookup_cache(L);                /* M cache */
  push_scratch(L);                     /* M cache scratch */
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -2);
  lua_pushnil(L);
  lua_pushcclosure(L, finish_protected, NUPVALUES); /* M cache scratch finish */
  /* engines */
  url_open(L, M);
  suggest_open(L, M);
  dataurl_open(L, M);
  files_open(L, M);
  /* HTTP */
  headers_open(L, M);
  rounds_open(L, M);
  /* handles */
  client_open(L, M);
  call_open(L, M);
  call_options_open(L, M);
  raw_call_open(L, M);
  download_open(L, M);
  /* bindings */
  codec_open(L, M);
  lua_settop(L, M);                    /* M */
  lua_pushliteral(L, SC_VERSION);
  lua_setfield(L, M, "_VERSION");
  /* curl_version() would initialise libldap/libsasl globals it never frees. */
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, M, "curl_version");
  /* 0xXXYYZZ, to compare: what the loaded libcurl can do is decided at run time. */
  lua_pushinteger(L, (lua_Integer)curl_version_info(CURLVERSION_NOW)->version_num);
  lua_setfield(L, M, "curl_version_num");
  /* What the linked libcurl offers that the module uses when it can. */
  lua_createtable(L, 0, 1);
  lua_pushboolean(L, sc_forbid_retry_opt != 0);
  lua_setfield(L, -2, "forbid_retry_on_reuse");
  lua_setfield(L, M, "features");
  return 1;
}
