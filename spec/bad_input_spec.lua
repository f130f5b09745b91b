-- Bad input from the caller: every field of the create body given every
-- wrong type, every bound at and around its limit, hostile tables. Each
-- gets a validation error naming the path, and nothing is sent.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local scenario = require "scenario"
local compat = require "spec.support.compat"

local server = replay.server()

-- Where each field lives, how to build a body with a value there, and
-- which kinds of value it takes.
local fields = {
  { path = "baseModelId", takes = { string = true }, set = function(v) return { baseModelId = v } end },
  { path = "classSlug", takes = { string = true, null = true }, set = function(v) return { classSlug = v } end },
  { path = "collectionIds", takes = { array = true }, set = function(v) return { collectionIds = v } end },
  { path = "collectionIds[1]", takes = { string = true }, set = function(v) return { collectionIds = { v } } end },
  { path = "concepts", takes = { array = true }, set = function(v) return { concepts = v } end },
  { path = "concepts[1]", takes = { object = true }, set = function(v) return { concepts = { v } } end },
  { path = "concepts[1].modelId", takes = { string = true },
    set = function(v) return { concepts = { { modelId = v, scale = 1 } } } end },
  { path = "concepts[1].scale", takes = { number = true },
    set = function(v) return { concepts = { { modelId = "m", scale = v } } } end },
  { path = "concepts[1].modelEpoch", takes = { string = true },
    set = function(v) return { concepts = { { modelId = "m", scale = 1, modelEpoch = v } } } end },
  { path = "name", takes = { string = true }, set = function(v) return { name = v } end },
  { path = "shortDescription", takes = { string = true }, set = function(v) return { shortDescription = v } end },
  { path = "type", takes = { enum = true }, set = function(v) return { type = v } end },
}

-- One value of every Lua kind, and what it counts as.
local values = {
  { "an integer", 42, "number" },
  { "a float", 0.5, "number" },
  { "an integer at the limit", compat.maxinteger, "number" },
  { "true", true },
  { "false", false },
  { "a string", "custom", "string" },
  { "an empty table", {}, "empty" },
  { "an array of integers", { 1, 2 } },
  { "an object", { x = 1 } },
  { "a function", print },
  { "a coroutine", coroutine.create(function() end) },
  { "a userdata", io.stdout },
  { "scenario.null", scenario.null, "null" },
}

local function accepts(field, kind)
  local t = field.takes
  if kind == "empty" then return t.array or false end
  if kind == "string" then return t.string or t.enum or false end
  return (kind and t[kind]) or false
end

local client

local function refused(body, path)
  local model, err = client:create_model(body)
  assert.is_nil(model)
  assert.equal("validation", err.kind)
  local first = err.errors[1]
  local under = "^" .. path:gsub("[%[%]%.]", "%%%0") .. "[%.%[]" -- a path below it
  assert.truthy(first.path == path or first.path:sub(1, #path + 1):match(under),
    ("%s: problem at %s, expected at %s"):format(tostring(err), first.path, path))
  return err
end

describe("bad input", function()
  setup(function()
    server.reset()
    client = helper.client()
  end)

  for _, field in ipairs(fields) do
    for _, v in ipairs(values) do
      local name, value, kind = v[1], v[2], v[3]
      if not accepts(field, kind) then
        it(("%s given %s is refused"):format(field.path, name), function()
          refused(field.set(value), field.path)
        end)
      end
    end
  end

  it("refuses tables with metatables wherever they are", function()
    local mt = { __index = function() return "x" end }
    refused(setmetatable({}, mt), "")
    refused({ collectionIds = setmetatable({}, mt) }, "collectionIds")
    refused({ concepts = setmetatable({}, mt) }, "concepts")
    refused({ concepts = { setmetatable({ modelId = "m", scale = 1 }, mt) } }, "concepts[1]")
  end)

  it("every string field refuses an embedded NUL and invalid UTF-8", function()
    for _, field in ipairs(fields) do
      if field.takes.string then
        local err = refused(field.set("a\0b"), field.path)
        assert.equal("contains a NUL byte at offset 1", err.errors[1].message)
        err = refused(field.set("a\128b"), field.path)
        assert.equal("is not valid UTF-8 (bad byte at offset 1)", err.errors[1].message)
      end
    end
  end)

  it("checks maxLength at and around its limit", function()
    for _, case in ipairs { { "name", 64 }, { "shortDescription", 256 } } do
      local path, limit = case[1], case[2]
      for _, unit in ipairs { "a", "é", "漢", "🙂" } do
        assert.is_true(scenario.validate_create_model { [path] = unit:rep(limit - 1) })
        assert.is_true(scenario.validate_create_model { [path] = unit:rep(limit) })
        local err = refused({ [path] = unit:rep(limit + 1) }, path)
        assert.equal(("is %d characters long; the limit is %d"):format(limit + 1, limit), err.errors[1].message)
      end
    end
  end)

  it("checks scale at and around [-2, 2]", function()
    local eps = 2 ^ -51 -- one step of a double near 2
    local function body(s) return { concepts = { { modelId = "m", scale = s } } } end
    for _, ok in ipairs { -2, 2, -2.0, 2.0, -2 + eps, 2 - eps, 0, -0.0, 1e-300 } do
      assert.is_true(scenario.validate_create_model(body(ok)), tostring(ok))
    end
    for _, bad in ipairs { -2 - eps * 2, 2 + eps * 2, 3, -3, compat.maxinteger, compat.mininteger,
      math.huge, -math.huge, 0 / 0 } do
      refused(body(bad), "concepts[1].scale")
    end
  end)

  it("refuses a body that is not a table", function()
    for _, v in ipairs { 1, 2.5, "body", true, print, io.stdout } do
      local err = refused(v, "")
      assert.truthy(err.errors[1].message:find("^the body must be a table"))
    end
  end)

  it("refuses cycles through the schema's own fields", function()
    local body = {}
    body.concepts = { body }
    refused(body, "concepts[1]")
  end)

  it("refuses depth 10,000 in pass-through fields", function()
    local deep = {}
    local t = deep
    for _ = 1, 10000 do
      t[1] = {}
      t = t[1]
    end
    local model, err = client:create_model({}, nil, { extra_body = { deep = deep } })
    assert.is_nil(model)
    assert.truthy(err.errors[1].message:find("nested deeper than 64 levels", 1, true))
  end)

  it("refuses a pass-through key that is not UTF-8, at any depth, as validate does", function()
    for _, extra in ipairs {
      { ["bad\255"] = 1 },
      { nested = { deeper = { ["\192\175"] = "x" } } },
      { list = { { ok = 1 }, { ["\237\160\128"] = true } } },
    } do
      local model, err = client:create_model({ name = "n" }, nil, { extra_body = extra })
      assert.is_nil(model)
      assert.equal("validation", err.kind)
      local ok, verr = scenario.validate_create_model({ name = "n" }, nil, { extra_body = extra })
      assert.is_nil(ok)
      assert.same(verr.errors, err.errors)
      assert.equal(1, #err.errors)
      assert.truthy(err.errors[1].message:find("^the key is not valid UTF%-8 %(bad byte at offset %d+%)$"),
        err.errors[1].message)
    end
    local _, err = client:create_model({}, nil, { extra_body = { nested = { ["a\255\n"] = 1 } } })
    assert.equal([[extra_body.nested.a\xff\x0a]], err.errors[1].path)
  end)

  it("stops a body of shared subtables that would expand to 2^40 values", function()
    -- Refused in a fresh interpreter under a time limit: without the cap
    -- this walk would never end.
    local out = helper.run_lua([[
      local scenario = require "scenario"
      local t = { "leaf" }
      for _ = 1, 40 do t = { t, t } end
      local ok, verr = scenario.validate_create_model({}, nil, { extra_body = { bomb = t } })
      local client = scenario.new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:1/v1",
        max_request_bytes = 4096 }
      local model, err = client:create_model({ name = 7 }, nil, { extra_body = { bomb = t } })
      print(tostring(ok), verr.errors[1].path, verr.errors[1].message)
      print(tostring(model), err.errors[#err.errors].path, err.errors[#err.errors].message)
    ]], "timeout 60 env")
    assert.equal("nil\t\tthe request body is larger than max_request_bytes (16777216 bytes)\n"
      .. "nil\t\tthe request body is larger than max_request_bytes (4096 bytes)\n", out)
  end)

  it("refuses a body over max_request_bytes, and sends nothing", function()
    local ids = {}
    for i = 1, 100 do ids[i] = ("collection_%020d"):format(i) end
    local small = helper.client { max_request_bytes = 1000 }
    local model, err = small:create_model { collectionIds = ids }
    assert.is_nil(model)
    assert.equal("the request body is larger than max_request_bytes (1000 bytes)", err.errors[1].message)
    -- within the limit it is accepted (and sent: to a port where nothing
    -- listens, so that the server below sees only what bad input sent)
    local roomy = helper.client { max_request_bytes = 4000, base_url = "http://127.0.0.1:1/v1", max_retries = 0 }
    assert.is_table(roomy:create_model_async { collectionIds = ids })
    assert.has_error(function() helper.client { max_request_bytes = 0 } end)
  end)

  it("refuses one string longer than max_request_bytes without writing it out", function()
    local small = helper.client { max_request_bytes = 1000 }
    local model, err = small:create_model({}, nil, { extra_body = { blob = ("x"):rep(10 * 1024 * 1024) } })
    assert.is_nil(model)
    assert.equal("the request body is larger than max_request_bytes (1000 bytes)", err.errors[1].message)
  end)

  it("sent nothing for any of the above", function()
    assert.equal(0, #server.requests())
  end)
end)
