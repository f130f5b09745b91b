rockspec_format = "3.0"
package = "scenario"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/scenario-lua/scenario.git",
  tag = "v0.1.0",
}
description = {
  summary = "Lua client for the Scenario generative-AI API",
  detailed = [[
A Lua extension module for the Scenario REST API: the whole /models resource.
A small C core validates request tables against the API schema, writes the
JSON, parses responses straight into checked Lua tables and talks HTTP over
libcurl; a Lua layer adds environment defaults, retries and error values.
It needs no other Lua module.]],
  homepage = "https://github.com/scenario-lua/scenario",
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
}
external_dependencies = {
  -- A library check only: Debian keeps curl/curl.h under a multiarch
  -- include directory that luarocks does not search, but the compiler does.
  CURL = { library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    -- core.c includes the other csrc files: one translation unit.
    ["scenario.core"] = {
      sources = { "csrc/core.c" },
      libraries = { "curl" },
      incdirs = { "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
    },
    ["scenario"] = "lua/scenario/init.lua",
    ["scenario.cli"] = "lua/scenario/cli.lua",
    ["scenario.client"] = "lua/scenario/client.lua",
    ["scenario.download"] = "lua/scenario/download.lua",
    ["scenario.errors"] = "lua/scenario/errors.lua",
    ["scenario.generation"] = "lua/scenario/generation.lua",
    ["scenario.inputs"] = "lua/scenario/inputs.lua",
    ["scenario.methods"] = "lua/scenario/methods.lua",
    ["scenario.options"] = "lua/scenario/options.lua",
    ["scenario.pages"] = "lua/scenario/pages.lua",
    ["scenario.pollable"] = "lua/scenario/pollable.lua",
    ["scenario.request"] = "lua/scenario/request.lua",
    ["scenario.retry"] = "lua/scenario/retry.lua",
    ["scenario.scheduler"] = "lua/scenario/scheduler.lua",
    ["scenario.tasks"] = "lua/scenario/tasks.lua",
    ["scenario.standin_api"] = "lua/scenario/standin_api.lua",
    ["scenario.standin_assets"] = "lua/scenario/standin_assets.lua",
    ["scenario.standin_common"] = "lua/scenario/standin_common.lua",
    ["scenario.standin_http"] = "lua/scenario/standin_http.lua",
    ["scenario.standin_jobs"] = "lua/scenario/standin_jobs.lua",
    ["scenario.standin_models"] = "lua/scenario/standin_models.lua",
    ["scenario.standin_png"] = "lua/scenario/standin_png.lua",
    ["scenario.standin_process"] = "lua/scenario/standin_process.lua",
    ["scenario.recording"] = "lua/scenario/recording.lua",
    ["scenario.testing"] = "lua/scenario/testing.lua",
    ["scenario.wait"] = "lua/scenario/wait.lua",
  },
  -- The LuaLS definitions, for a workspace.library entry: they land in
  -- the rock's directory, $(luarocks show --rock-dir scenario)/types.
  -- Naming any directory here stops luarocks copying README and LICENSE
  -- into the rock's doc/ as it does by default, so the license goes in
  -- as a file of its own, <rock dir>/conf/LICENSE (conf files stay in
  -- the rock's directory: nothing is deployed from them).
  copy_directories = { "types" },
  -- The scenario command: luarocks installs a wrapper in the tree's bin
  -- that runs it with this interpreter and the tree's paths.
  install = {
    conf = { "LICENSE" },
    bin = { scenario = "tools/scenario" },
  },
}
