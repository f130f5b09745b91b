-- The LuaLS definitions (types/scenario.lua): current with the endpoint
-- table and its schema, loadable as Lua, and complete. The completeness
-- checks walk core.schema themselves, so a generator that drops a field
-- or an enum value fails them.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local core = require "scenario.core"
local Client = require "scenario.client"

local read = helper.read

local committed = read("types/scenario.lua")

-- The lines of the ---@class block named name, as a list.
local function class_block(name)
  local lines, inside = {}, false
  for line in committed:gmatch("([^\n]*)\n") do
    if line:match("^%-%-%-@class ") then
      inside = line:match("^%-%-%-@class ([%w_.]+)") == name or line:match("^%-%-%-@class %(exact%) ([%w_.]+)") == name
    elseif inside and not line:match("^%-%-%-") then
      inside = false
    end
    if inside then lines[#lines + 1] = line end
  end
  return lines
end

describe("types/scenario.lua", function()
  it("is what tools/write_types.lua writes from the schema now (make types)", function()
    local tmp = os.tmpname()
    local ok, out = helper.sh(("SCENARIO_TEST_CPATH='%s' %s -e \"package.cpath='%s;'..package.cpath\" "
      .. "tools/write_types.lua %s"):format(helper.CPATH, helper.LUA, helper.CPATH, tmp))
    assert.is_true(ok, out)
    local fresh = read(tmp)
    os.remove(tmp)
    assert.is_true(fresh == committed, "types/scenario.lua is stale: run make types")
  end)

  it("loads and runs as Lua, defining nothing global", function()
    local env = setmetatable({}, { __index = _G })
    local chunk = assert(compat.loadfile("types/scenario.lua", env))
    local m = chunk()
    assert.is_table(m)
    assert.is_function(m.new)
    assert.is_nil(rawget(env, "scenario"))
    assert.is_true(committed:find("^%-%-%-@meta scenario\n") ~= nil)
  end)

  it("has every field of every object of the schema, in its class, optional where the schema says", function()
    local seen, fields = {}, 0
    local function walk(t, class)
      if seen[t] then return end
      seen[t] = true
      if t.items then walk(t.items, nil) end
      if t.kind ~= "object" then return end
      if class then
        local block = class_block(class)
        assert.is_true(#block > 0, "no class " .. class)
        for _, f in ipairs(t.fields) do
          local pat = "^%-%-%-@field " .. f.name:gsub("%p", "%%%0") .. (f.required and " " or "%? ")
          local found = false
          for _, l in ipairs(block) do found = found or l:find(pat) ~= nil end
          assert.is_true(found, ("%s.%s is not in types/scenario.lua as %s"):format(class, f.name,
            f.required and "required" or "optional"))
          fields = fields + 1
        end
      end
      for _, f in ipairs(t.fields) do
        local ft = f.type.kind == "array" and f.type.items or f.type
        if ft.kind == "object" then
          -- the class the field is typed with, read from the file
          local block = class_block(class)
          local name
          for _, l in ipairs(block) do
            name = name or l:match("^%-%-%-@field " .. f.name:gsub("%p", "%%%0") .. "%??%s+([%w_.]+)")
          end
          walk(ft, assert(name, "no class for " .. tostring(class) .. "." .. f.name))
        else
          walk(f.type, nil)
        end
      end
    end
    for _, s in ipairs(core.schema()) do
      for _, role in ipairs { "body", "query", "response" } do
        local t = s[role]
        if t and t.kind == "object" then walk(t, "scenario." .. t.name) end
      end
    end
    assert.is_true(fields > 250, "only " .. fields .. " fields walked")
  end)

  it("has every enum value, as a union of literals", function()
    local values = 0
    for name, list in pairs(core.enums) do
      local alias = "scenario." .. name:gsub("^%l", string.upper):gsub("_(%w)", string.upper)
      local line = committed:match("\n%-%-%-@alias " .. alias:gsub("%p", "%%%0") .. " ([^\n]*)")
      assert.is_string(line, "no alias " .. alias)
      local listed = {}
      for v in (line .. "|"):gmatch("(.-)|") do listed[v] = true end
      for _, v in ipairs(list) do
        local lit = type(v) == "string" and ("%q"):format(v) or tostring(v)
        assert.is_true(listed[lit] == true, ("%s lacks %s"):format(alias, lit))
        values = values + 1
      end
    end
    assert.is_true(values > 150, values .. " enum values")
  end)

  it("has every method of the client, every option of scenario.new and every validate_", function()
    local scenario = require "scenario"
    for name, v in pairs(Client) do
      if type(v) == "function" and not name:find("^_") and name ~= "new" and name ~= "check_call_options"
          and not name:find("^__") then
        assert.is_truthy(committed:find("\nfunction Client:" .. name .. "(", 1, true), "no Client:" .. name)
      end
    end
    local options = class_block("scenario.Options")
    for _, name in ipairs(Client.option_names) do
      local found = false
      for _, l in ipairs(options) do found = found or l:find("^%-%-%-@field " .. name .. "%? ") ~= nil end
      assert.is_true(found, "scenario.Options lacks " .. name)
    end
    for name, v in pairs(scenario) do
      if type(v) == "function" and name ~= "report_task_error" then
        assert.is_truthy(committed:find("\nfunction scenario." .. name .. "(", 1, true), "no scenario." .. name)
      end
    end
  end)
end)
