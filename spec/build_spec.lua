-- Packaging: make install and the rockspec ship every module.
local helper = require "spec.helper"
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
    local ok, out = sh("make -s install PREFIX=" .. prefix)
    assert.is_true(ok, out)
    local code = ("package.path = '%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua'; "
      .. "package.cpath = '%s/lib/lua/5.4/?.so;' .. package.cpath; "
      .. "for _, m in ipairs { '%s' } do require(m) end; "
      .. "io.write(package.searchpath('scenario.core', package.cpath))")
      :format(prefix, prefix, prefix, table.concat(lua_modules(), "', '"))
    local out2, ok2 = helper.run_lua(code, "cd / &&") -- away from the checkout
    sh("rm -rf " .. prefix)
    assert.is_true(ok2, out2)
    assert.equal(prefix .. "/lib/lua/5.4/scenario/core.so", out2)
  end)
end)

describe("the rockspec", function()
  it("lists every Lua module and builds the C module from csrc/core.c", function()
    local spec = {}
    assert(loadfile("scenario-0.1.0-1.rockspec", "t", spec))()
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
      .. "lua5.4 examples/run_demo.lua examples/create_model.lua")
    assert.is_true(ok, out)
    assert.truthy(out:find("Created model model_standin%d+"), out)
    assert.truthy(out:find("name%s+Cinematic Realism"), out)
    assert.truthy(out:find("type%s+flux.1%-lora"), out)
  end)
end)
