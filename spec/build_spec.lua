-- Packaging: make install and the rockspec ship every module.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local sh = helper.sh

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
    sh("rm -rf " .. prefix)
    assert.is_true(ok2, out2)
    assert.equal(prefix .. "/lib/lua/" .. v .. "/scenario/core.so", out2)
  end)
end)

describe("luarocks make", function()
  it("builds and installs into a local tree, offline, from which require works", function()
    local v = _VERSION:match("%d+%.%d+") -- LuaJIT loads 5.1 modules
    local dir = os.tmpname()
    os.remove(dir)
    -- A copy of the sources: luarocks builds in the current directory.
    local ok, out = sh(("mkdir -p %s/src && cp -r csrc lua scenario-0.1.0-1.rockspec %s/src && cd %s/src && "
      .. "luarocks --lua-version=%s make --deps-mode=none --tree %s/tree scenario-0.1.0-1.rockspec")
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
    sh("rm -rf " .. dir)
    assert.is_true(ok2, out2)
    assert.equal("@" .. dir .. "/tree/share/lua/" .. v .. "/scenario/init.lua", out2)
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
