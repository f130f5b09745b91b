-- lua-cjson's array markers, as OpenResty's lua-cjson 2.1.0.x has them
-- (cjson.empty_array, a light userdata; cjson.array_mt and
-- cjson.empty_array_mt, metatables), in a body, extra_body and a raw
-- body; arrays decoded from a response sent back as arrays; any other
-- metatable refused with a message naming scenario.array(). The cjson is
-- OpenResty's own, built by make check from spec/support/openresty_cjson
-- (Debian's 2.1.0 has no markers); the library never requires it, so
-- each case sets package.loaded as a script's require would.
local helper = require "spec.helper"
local scenario = require "scenario"
local core = require "scenario.core"
local testing = require "scenario.testing"

local LUA = os.getenv("SCENARIO_TEST_LUA") or "lua5.4"
local CJSON_SO = ("build/%s/openresty/cjson.so"):format(LUA)

local function load(sym)
  local open = package.loadlib(CJSON_SO, sym)
  return open and open()
end

local cjson = load("luaopen_cjson")
local HINT = "; mark an array with scenario.array()"

-- The first problem of a validation error, as "path: message".
local function problem(err)
  assert.equal("validation", err.kind, tostring(err))
  local p = err.errors[1]
  return (p.path ~= "" and p.path .. ": " or "") .. p.message
end

if not cjson then
  pending("OpenResty's lua-cjson is not built (" .. CJSON_SO .. "): make check builds it")
  return
end

describe("lua-cjson's array markers", function()
  local saved
  before_each(function()
    saved = { package.loaded.cjson, package.loaded["cjson.safe"] }
    package.loaded.cjson, package.loaded["cjson.safe"] = cjson, nil
  end)
  after_each(function()
    package.loaded.cjson, package.loaded["cjson.safe"] = saved[1], saved[2]
  end)

  it("are OpenResty's: a light userdata and two metatables", function()
    assert.equal("userdata", type(cjson.empty_array))
    assert.equal("table", type(cjson.array_mt))
    assert.equal("table", type(cjson.empty_array_mt))
    assert.equal("[]", cjson.encode(cjson.empty_array))
  end)

  it("are written [] and [...] in a typed array, in extra_body and in an untyped value", function()
    local body = { name = "a", collectionIds = cjson.empty_array }
    for json, value in pairs {
      ["[]"] = cjson.empty_array, ["[[[]]]"] = { { cjson.empty_array } },
      ['{"m":[]}'] = { m = setmetatable({}, cjson.empty_array_mt) },
      ['["q",2]'] = setmetatable({ "q", 2 }, cjson.array_mt),
    } do
      assert.equal('{"collectionIds":[],"name":"a","x":' .. json .. "}",
        core.encode("create_model", body, { x = value }))
    end
    body.collectionIds = setmetatable({ "c1", "c2" }, cjson.array_mt)
    assert.equal('{"collectionIds":["c1","c2"],"name":"a"}', core.encode("create_model", body))
    body.collectionIds = setmetatable({}, cjson.empty_array_mt)
    assert.equal('{"collectionIds":[],"name":"a"}', core.encode("create_model", body))
  end)

  it("as cjson.decode marks them (decode_array_with_array_mt) go back out as arrays", function()
    local c = cjson.new()
    c.decode_array_with_array_mt(true)
    local doc = c.decode('{"collectionIds":[],"tags":["x"],"deep":{"list":[[],[1]]}}')
    assert.equal(cjson.array_mt, getmetatable(doc.collectionIds))
    assert.equal('{"collectionIds":[],"name":"a"}',
      core.encode("create_model", { name = "a", collectionIds = doc.collectionIds }))
    assert.equal('{"deep":{"list":[[],[1]]},"tags":["x"]}', core.to_json { tags = doc.tags, deep = doc.deep })
  end)

  it("as a query value, an empty list is no filter at all, as scenario.array() is", function()
    local s = testing.start()
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
                             timeout = 10 }
    assert(c:list_models { types = cjson.empty_array })
    assert(c:list_models { types = scenario.array(), pageSize = 2 })
    assert(c:list_models { types = setmetatable({ "flux.1-lora" }, cjson.array_mt) })
    local queries = {}
    for _, r in ipairs(s:requests()) do queries[#queries + 1] = r.query end
    assert.same({ "", "pageSize=2", "types=flux.1-lora" }, queries)
    c:close()
    s:stop()
  end)

  it("are found with only cjson.safe loaded, and not at all with neither", function()
    package.loaded.cjson, package.loaded["cjson.safe"] = nil, load("luaopen_cjson_safe")
    assert.equal('{"a":[]}', core.to_json { a = cjson.empty_array })
    assert.equal('{"collectionIds":[],"name":"a"}',
      core.encode("create_model", { name = "a", collectionIds = setmetatable({}, cjson.array_mt) }))
    -- Neither loaded: the light userdata and the metatable are nothing known.
    package.loaded["cjson.safe"] = nil
    local _, err = scenario.validate_create_model { name = "a", collectionIds = cjson.empty_array }
    assert.equal("collectionIds: expected an array (a sequence table), got light userdata" .. HINT, problem(err))
    _, err = scenario.validate_create_model { name = "a", collectionIds = setmetatable({}, cjson.array_mt) }
    assert.equal("collectionIds: tables with a metatable are not accepted (they are read raw, so a proxy would lose "
      .. "its fields)" .. HINT, problem(err))
    local none
    none, err = core.to_json { a = cjson.empty_array }
    assert.is_nil(none)
    assert.equal("a: light userdata cannot be sent as JSON" .. HINT,
      err.errors[1].path .. ": " .. err.errors[1].message)
  end)

  it("never loads cjson itself", function()
    package.loaded.cjson = nil
    local out = helper.run_lua([[
      local core = require "scenario.core"
      assert(core.to_json { a = {} })
      assert(not core.to_json { a = setmetatable({}, {}) })
      io.write(tostring(package.loaded.cjson), " ", tostring(package.loaded["cjson.safe"]))
    ]])
    assert.equal("nil nil", out)
  end)

  it("leaves any other metatable refused, naming scenario.array()", function()
    local other = setmetatable({}, { __index = function() return 1 end })
    for _, case in ipairs {
      { { name = "a", collectionIds = other }, nil, "collectionIds: tables with a metatable are not accepted" },
      { { name = "a" }, { x = other }, "extra_body.x: tables with a metatable are not accepted" },
      { { name = "a" }, { x = { setmetatable({}, {}) } }, "extra_body.x[1]: tables with a metatable are not accepted" },
    } do
      local _, err = scenario.validate_create_model(case[1], nil, { extra_body = case[2] })
      local text = problem(err)
      assert.equal(case[3], text:sub(1, #case[3]))
      assert.equal(HINT, text:sub(-#HINT))
    end
    -- An object is no place for an array: no hint there.
    local _, err = scenario.validate_update_model("model_x", { parameters = setmetatable({}, {}) })
    assert.equal("parameters: tables with a metatable are not accepted (they are read raw, so a proxy would lose "
      .. "its fields)", problem(err))
  end)
end)

describe("an array decoded from a response", function()
  it("is written back as an array: an empty one marked as scenario.array marks one", function()
    local doc = core.parse_json('{"tags":[],"list":[1,[]],"obj":{}}')
    assert.equal("scenario.array", getmetatable(doc.tags))
    assert.equal("scenario.array", getmetatable(doc.list[2]))
    assert.is_nil(getmetatable(doc.obj))
    assert.equal('{"list":[1,[]],"obj":{},"tags":[]}', core.to_json(doc))
    -- A full one is a plain table, which a script may give a metatable of its own.
    assert.is_nil(getmetatable(doc.list))
    assert.equal(doc.list, setmetatable(doc.list, { __index = table }))
  end)

  it("goes back out as [] through update_model's extra_body and client:request, against the stand-in", function()
    local s = testing.start()
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
                             timeout = 10 }
    local model = assert(c:create_model { name = "round trip", type = "flux.1-lora" })
    local got = assert(c:get_model(model.id))
    assert.same({}, got.tags)
    assert.equal("scenario.array", getmetatable(got.tags))
    assert(c:update_model(model.id, { name = "again" }, nil, { extra_body = { tags = got.tags } }))
    assert(c:request("PUT", "/models/" .. model.id, { body = { name = "raw", tags = got.tags } }))
    -- The stand-in logs each body as it read it: `[]` an array, `{}` not.
    local bodies = {}
    for _, r in ipairs(s:requests()) do
      if r.method == "PUT" then bodies[#bodies + 1] = core.to_json(r.body) end
    end
    assert.same({ '{"name":"again","tags":[]}', '{"name":"raw","tags":[]}' }, bodies)
    c:close()
    s:stop()
  end)
end)
