-- Packaging: make install and the rockspec ship every module.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local sh = helper.sh

-- Runs the shell command that installs the rock into dir/tree, then asks
-- luarocks where the rock's directory is: ok, output, that directory.
local function install(cmd, v, dir)
  local ok, out = sh(("%s >/dev/null && luarocks --lua-version=%s --tree %s/tree show --rock-dir scenario")
    :format(cmd, v, dir))
  return ok, out, out:match("([^\n]*)\n*$")
end

local function lua_modules()
  local list = {}
  for file in io.popen("ls lua/scenario"):lines() do
    local name = file:match("^(.-)%.lua$")
    if name then list[#list + 1] = name == "init" and "scenario" or ("scenario." .. name) end
  end
  table.sort(list)
  return list
end

describe("make install", function()
  it("installs a tree from which every module loads", function()
    local prefix = os.tmpname()
    os.remove(prefix)
    local v = _VERSION:match("%d+%.%d+") -- LuaJIT's is 5.1, as its module paths
    local ok, out = sh(("make -s install PREFIX=%s LUA=%s"):format(prefix, helper.LUA))
    assert.is_true(ok, out)
    local code = ("package.path = '%s/share/lua/%s/?.lua;%s/share/lua/%s/?/init.lua'; "
      .. "package.cpath = '%s/lib/lua/%s/?.so;' .. package.cpath; "
      .. "for _, m in ipairs { '%s' } do require(m) end; "
      -- package.searchpath, which 5.1 lacks: the file require found
      .. "for t in package.cpath:gmatch('[^;]+') do "
      .. "  local f = io.open((t:gsub('%%?', 'scenario/core')), 'rb') "
      .. "  if f then f:close() io.write((t:gsub('%%?', 'scenario/core'))) break end "
      .. "end")
      :format(prefix, v, prefix, v, prefix, v, table.concat(lua_modules(), "', '"))
    local out2, ok2 = helper.run_lua(code, "cd / &&") -- away from the checkout
    -- The command, with the shebang of the interpreter, finds the
    -- installed modules from anywhere, whatever LUA_PATH says.
    local shebang = helper.read(prefix .. "/bin/scenario"):match("^([^\n]*)")
    local ok3, out3 = sh(("cd / && env -u LUA_PATH -u LUA_CPATH %s/bin/scenario models --help"):format(prefix))
    sh("rm -rf " .. prefix)
    assert.is_true(ok2, out2)
    assert.equal(prefix .. "/lib/lua/" .. v .. "/scenario/core.so", out2)
    assert.equal("#!/usr/bin/env " .. helper.LUA, shebang)
    assert.is_true(ok3, out3)
    assert.truthy(out3:find("scenario models SUBCOMMAND", 1, true), out3)
  end)
end)

describe("luarocks make", function()
  it("builds and installs into a local tree, offline, from which require works", function()
    local v = _VERSION:match("%d+%.%d+") -- LuaJIT loads 5.1 modules
    local dir = os.tmpname()
    os.remove(dir)
    -- A copy of the sources: luarocks builds in the current directory.
    local ok, out = sh(("mkdir -p %s/src && cp -r csrc lua types tools LICENSE scenario-0.1.0-1.rockspec %s/src && "
      .. "cd %s/src && "
      .. "luarocks --lua-version=%s make --tree %s/tree scenario-0.1.0-1.rockspec")
      :format(dir, dir, dir, v, dir))
    assert.is_true(ok, out)
    local code = ([[
      package.path = '%s/tree/share/lua/%s/?.lua;%s/tree/share/lua/%s/?/init.lua;' .. package.path
      package.cpath = '%s/tree/lib/lua/%s/?.so;' .. package.cpath
      local scenario = require "scenario"
      assert(scenario.validate_create_model { name = "n", type = "flux.1-lora" })
      io.write(package.loaded["scenario.core"] and debug.getinfo(scenario.new, "S").source)
    ]]):format(dir, v, dir, v, dir, v)
    local out2, ok2 = helper.run_lua(code, "cd / &&")
    -- The command luarocks installs in the tree's bin, with the tree's
    -- paths as luarocks path gives them.
    local ok3, out3 = sh(("cd / && eval \"$(luarocks --lua-version=%s path --tree %s/tree)\" && "
      .. "%s/tree/bin/scenario --stand-in --json models list"):format(v, dir, dir))
    sh("rm -rf " .. dir)
    assert.is_true(ok2, out2)
    assert.equal("@" .. dir .. "/tree/share/lua/" .. v .. "/scenario/init.lua", out2)
    assert.is_true(ok3, out3)
    assert.truthy(out3:find('\n{"models":[]}\n', 1, true), out3) -- after the stand-in's line on stderr
  end)

  it("installs the LuaLS definitions, types/scenario.lua, and the LICENSE into the rock's directory", function()
    local v = _VERSION:match("%d+%.%d+")
    local dir = os.tmpname()
    os.remove(dir)
    local ok, out, rock_dir = install(("mkdir -p %s/src && cp -r csrc lua types tools LICENSE "
      .. "scenario-0.1.0-1.rockspec %s/src && cd %s/src && "
      .. "luarocks --lua-version=%s make --deps-mode=none --tree %s/tree scenario-0.1.0-1.rockspec")
      :format(dir, dir, dir, v, dir), v, dir)
    local types_same = ok and (sh(("cmp types/scenario.lua %s/types/scenario.lua"):format(rock_dir)))
    local license_same = ok and (sh(("cmp LICENSE %s/conf/LICENSE"):format(rock_dir)))
    sh("rm -rf " .. dir)
    assert.is_true(ok, out)
    assert.equal(dir .. "/tree/lib/luarocks/rocks-" .. v .. "/scenario/0.1.0-1", rock_dir)
    assert.is_true(types_same)
    assert.is_true(license_same)
  end)
end)

-- make rock packs HEAD, so these check the committed rockspec and files.
describe("make rock", function()
  local rock = "build/scenario-0.1.0-1.src.rock"
  local made, made_out

  setup(function()
    made, made_out = sh("make -s rock")
  end)

  it("packs the rockspec and the committed sources, with the LICENSE and the definitions", function()
    assert.is_true(made, made_out)
    assert.equal(rock, made_out:match("([^\n]*)\n*$"))
    local ok, list = sh("unzip -Z1 " .. rock)
    assert.is_true(ok, list)
    local files, committed = {}, {}
    for name in list:gmatch("[^\n]+") do files[name] = true end
    for name in select(2, sh("git ls-tree -r --name-only HEAD")):gmatch("[^\n]+") do
      committed["scenario/" .. name] = true
    end
    assert.is_true(files["scenario-0.1.0-1.rockspec"])
    assert.is_true(files["scenario/scenario-0.1.0-1.rockspec"])
    assert.is_true(files["scenario/LICENSE"])
    assert.is_true(files["scenario/types/scenario.lua"])
    assert.is_true(files["scenario/csrc/core.c"])
    for name in pairs(files) do
      -- Committed files only: no build outputs, nothing untracked.
      assert.is_true(name == "scenario-0.1.0-1.rockspec" or name:sub(-1) == "/" or committed[name] or false, name)
      assert.is_nil(name:match("^scenario/build/"), name)
    end
  end)

  it("installs offline into a fresh tree, from which require works, with the definitions in the rock's directory",
    function()
    assert.is_true(made, made_out)
    local v = _VERSION:match("%d+%.%d+")
    local dir = os.tmpname()
    os.remove(dir)
    -- Offline: a proxy that is not there fails any download, or clone.
    local ok, out, rock_dir = install(("mkdir -p %s && abs=$(pwd)/%s && cd %s && "
      .. "http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 "
      .. "luarocks --lua-version=%s install --tree %s/tree \"$abs\""):format(dir, rock, dir, v, dir),
      v, dir)
    local code = ([[
      package.path = '%s/tree/share/lua/%s/?.lua;%s/tree/share/lua/%s/?/init.lua;' .. package.path
      package.cpath = '%s/tree/lib/lua/%s/?.so;' .. package.cpath
      local scenario = require "scenario"
      assert(scenario.validate_create_model { name = "n", type = "flux.1-lora" })
      io.write(package.loaded["scenario.core"] and debug.getinfo(scenario.new, "S").source)
    ]]):format(dir, v, dir, v, dir, v)
    local out2, ok2 = helper.run_lua(code, "cd / &&")
    local _, installed = sh(("cd %s/tree && find . -type f"):format(dir))
    local _, types = sh(("head -n 1 %s/types/scenario.lua"):format(rock_dir))
    local has_license = (sh(("test -f %s/conf/LICENSE"):format(rock_dir)))
    sh("rm -rf " .. dir)
    assert.is_true(ok, out)
    assert.is_true(ok2, out2)
    assert.equal("@" .. dir .. "/tree/share/lua/" .. v .. "/scenario/init.lua", out2)
    assert.equal(dir .. "/tree/lib/luarocks/rocks-" .. v .. "/scenario/0.1.0-1", rock_dir)
    assert.truthy(types:match("^%-%-%-@meta"), types)
    assert.is_true(has_license)
    for file in installed:gmatch("[^\n]+") do
      assert.is_nil(file:match("/spec/") or file:match("_spec%.lua$") or file:match("/build/"), file)
    end
    assert.truthy(installed:find("/scenario/core.so\n", 1, true), installed)
  end)
end)

describe("the rockspec", function()
  it("lists every Lua module and builds the C module from csrc/core.c", function()
    local spec = {}
    assert(compat.loadfile("scenario-0.1.0-1.rockspec", spec))()
    local listed = {}
    for name, src in pairs(spec.build.modules) do
      if type(src) == "string" then listed[#listed + 1] = name end
    end
    table.sort(listed)
    assert.same(lua_modules(), listed)
    assert.same({ "csrc/core.c" }, spec.build.modules["scenario.core"].sources)
    assert.equal("builtin", spec.build.type)
    assert.is_table(spec.external_dependencies.CURL)
  end)
end)

describe("make demo", function()
  it("prints a created model from the local stand-in without credentials", function()
    local ok, out = sh("env -u SCENARIO_SDK_API_KEY -u SCENARIO_SDK_API_SECRET -u SCENARIO_BASE_URL "
      .. helper.LUA .. " examples/run_demo.lua examples/create_model.lua")
    assert.is_true(ok, out)
    assert.truthy(out:find("Created model model_standin%d+"), out)
    assert.truthy(out:find("name%s+Cinematic Realism"), out)
    assert.truthy(out:find("type%s+flux.1%-lora"), out)
  end)
end)

describe("the C sources", function()
  it("each compile on their own: every file includes what it uses", function()
    local cflags = select(2, sh("pkg-config --cflags " .. (helper.LUA == "luajit" and "luajit" or helper.LUA)
      .. " libcurl")):gsub("%s+$", "")
    local n = 0
    for file in io.popen("ls csrc"):lines() do
      if file:match("%.[ch]$") then
        n = n + 1
        -- Unused statics are expected: each file is a part of one unit.
        local ok, out = sh(("cc -std=c99 -Wall -Wextra -Werror -Wno-unused-function -Wno-unused-const-variable "
          .. "-Wno-unused-variable -fsyntax-only %s -x c csrc/%s"):format(cflags, file))
        assert.is_true(ok, file .. ": " .. out)
      end
    end
    assert.truthy(n >= 19, n) -- and not an empty listing
  end)
end)

describe("an endpoint", function()
  it("is one entry in the table: a test build with one more gets its three functions", function()
    local replay = require "spec.support.replay"
    local server = replay.server()
    server.reset()
    local dir = os.tmpname()
    os.remove(dir)
    local pc = helper.LUA == "luajit" and "luajit" or helper.LUA
    -- GET /models/{modelId}/ping, PUT /models/{modelId}/images/{imageId}
    -- with a body, and PUT /models/{modelId}/price, which returns a member
    -- but has a dry run: in no table but this build's.
    local entry = '{ .name = "ping_model", .method = "GET", .path = "/models/{modelId}/ping", '
      .. '.query = &t_project_query, .response = &t_delete_response, .returns = SC_RETURNS_NOTHING, '
      .. '.idempotent = 1, .summary = "Pings a model." }, '
      .. '{ .name = "tag_image", .method = "PUT", .path = "/models/{modelId}/images/{imageId}", '
      .. '.body = &t_tags_body, .query = &t_project_query, .response = &t_tags_response, '
      .. '.returns = SC_RETURNS_DOCUMENT, .idempotent = 0, .summary = "Tags an image." }, '
      .. '{ .name = "price_model", .method = "PUT", .path = "/models/{modelId}/price", '
      .. '.query = &t_generate_custom_query, .response = &t_model_envelope, .quote = &t_dry_run, '
      .. '.returns = SC_RETURNS_MEMBER, .member = "model", .idempotent = 1, .summary = "Prices a model." }'
    -- The one answer queued, for the first request: price_model's dry run.
    server.enqueue { status = 269, headers = {}, body = '{"creativeUnitsCost":3,"model":{"id":"m1"}}' }
    local ok, out = sh(("mkdir -p %s/scenario && cc -std=c99 -Wall -Wextra -Werror -fPIC -shared "
      .. "$(pkg-config --cflags %s libcurl) '-DSC_TEST_ENDPOINT=%s' csrc/core.c -o %s/scenario/core.so "
      .. "$(pkg-config --libs libcurl)"):format(dir, pc, entry, dir))
    assert.is_true(ok, out)
    local code = ([[
      package.cpath = %q
      local scenario = require "scenario"
      local c = scenario.new { api_key = "k", api_secret = "s", base_url = %q, max_retries = 0 }
      local ok, verr = scenario.validate_ping_model("", { projectId = 7 })
      print(ok, verr.errors[1].path, verr.errors[2].path)
      print(scenario.validate_ping_model("m1", { projectId = "p" }))
      -- A dry run's quote is returned whole, even where the answer is a member.
      local quote, qmeta = c:price_model("m1", { dryRun = true })
      print(quote.creativeUnitsCost, quote.model.id, qmeta.status, qmeta.problems)
      -- The replay server has no route for it, so the API's 404 comes back.
      local done, err = c:ping_model("m 1", { projectId = "p" })
      print(done, err.kind, err.message)
      local req = assert(c:ping_model_async("m1"))
      print(select(2, req:wait(5)).message)
      local _, terr = c:tag_image("m1", "i/2", { add = { "x" } }, { projectId = "p" })
      print(terr.message)
      local ok2, verr2 = scenario.validate_tag_image("m1", "", { add = 5 })
      print(ok2, verr2.errors[1].path, verr2.errors[2].path)
      print(pcall(c.tag_image, c, "m1", "i", {}, nil, { nope = 1 }))
    ]]):format(dir .. "/?.so", server.url)
    local out2, ok2 = helper.run_lua(code)
    sh("rm -rf " .. dir)
    assert.is_true(ok2, out2)
    assert.equal("nil\tmodelId\tquery.projectId\ntrue\n3\tm1\t269\tnil\n"
      .. "nil\tnot_found\tCannot GET /v1/models/m%201/ping\nCannot GET /v1/models/m1/ping\n"
      .. "Cannot PUT /v1/models/m1/images/i%2F2\n"
      .. "nil\timageId\tadd\n"
      .. "false\tbad argument #5 to 'tag_image' (unknown option 'nope')\n", (out2:gsub("[^\n]*: bad arg", "bad arg")))
    local reqs = server.requests()
    assert.equal("PUT /v1/models/m1/price?dryRun=true", reqs[1].method .. " " .. reqs[1].target)
    assert.equal("GET", reqs[2].method)
    assert.equal("projectId=p", reqs[2].query)
    assert.equal("", reqs[2].body)
    assert.equal("PUT", reqs[4].method)
    assert.equal('{"add":["x"]}', reqs[4].body)
    assert.equal("application/json", reqs[4].headers["content-type"])
  end)
end)

describe("the reference", function()
  it("is written from the endpoint table: every method, _async variant and validate_ function", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(sh("mkdir -p " .. dir))
    local _, ok = helper.run_lua("arg = { [0] = 'ldoc_endpoints.lua', " .. ("%q"):format(dir) .. " } "
      .. "dofile('tools/ldoc_endpoints.lua')")
    assert.is_true(ok)
    local f = assert(io.open(dir .. "/client_methods.lua"))
    local methods = f:read("*a")
    f:close()
    f = assert(io.open(dir .. "/validate_functions.lua"))
    local validates = f:read("*a")
    f:close()
    sh("rm -rf " .. dir)
    for _, ep in ipairs(require("scenario.core").endpoints) do
      assert.truthy(methods:find("\n-- @function " .. ep.name .. "\n", 1, true), ep.name)
      assert.truthy(methods:find("\n-- @function " .. ep.name .. "_async\n", 1, true), ep.name)
      assert.truthy(methods:find(ep.method .. " " .. ep.path, 1, true), ep.name)
      assert.truthy(validates:find("\n-- @function validate_" .. ep.name .. "\n", 1, true), ep.name)
    end
    assert.truthy(methods:find("\n-- @function each_model\n", 1, true))
  end)
end)

describe("make help", function()
  it("lists every target a user runs, each a real one, with a line of what it does", function()
    local ok, out = sh("make --no-print-directory help")
    assert.is_true(ok, out)
    local f = assert(io.open("Makefile"))
    local makefile = f:read("*a")
    f:close()
    local listed = {}
    for line in out:gmatch("[^\n]+") do
      local target, what = line:match("^make ?([%w-]*)%s+(%S.*)$")
      assert.truthy(target, line)
      listed[target] = what
      if target ~= "" then assert.truthy(makefile:find("\n" .. target .. ":", 1, true), target) end
    end
    assert.truthy(listed[""], "the bare make")
    -- The targets other targets run are not for users.
    local inner = { all = true, deps = true, ["check-lint"] = true, ["check-valgrind"] = true,
                    ["check-asan"] = true, ["fuzz-build"] = true, ["fuzz-run"] = true, ["deps-fuzz"] = true }
    for names in makefile:gmatch("\n%.PHONY:([^\n]*)") do
      for name in names:gmatch("%S+") do
        if not inner[name] then assert.truthy(listed[name], "make help does not list " .. name) end
      end
    end
  end)
end)
