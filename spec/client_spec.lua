-- The public surface (lua/scenario/init.lua, lua/scenario/client.lua):
-- construction, defaults, the create_model contract, programmer errors.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local replay = require "spec.support.replay"
local scenario = require "scenario"
local cjson = require "cjson"

local server = replay.server()

-- Runs a Lua snippet in a fresh lua5.4 with the given environment and
-- returns what it printed.
local function run_with_env(env, code)
  local parts = { "env -u SCENARIO_SDK_API_KEY -u SCENARIO_SDK_API_SECRET -u SCENARIO_BASE_URL" }
  for k, v in pairs(env) do parts[#parts + 1] = ("%s='%s'"):format(k, v) end
  return (helper.run_lua(code, table.concat(parts, " ")))
end

describe("scenario.new", function()
  before_each(function() server.reset() end)

  it("takes credentials and base URL from the environment", function()
    server.enqueue("model_example")
    local out = run_with_env({ SCENARIO_SDK_API_KEY = "env-key", SCENARIO_SDK_API_SECRET = "env-secret",
      SCENARIO_BASE_URL = server.url }, [[
      local c = require("scenario").new()
      local m, err = c:create_model()
      print(m and m.id or tostring(err))
    ]])
    assert.equal("id\n", out)
    assert.equal(helper.basic_auth("env-key", "env-secret"), server.requests()[1].headers.authorization)
  end)

  it("prefers explicit options to the environment", function()
    server.enqueue("model_example")
    local out = run_with_env({ SCENARIO_SDK_API_KEY = "env-key", SCENARIO_SDK_API_SECRET = "env-secret",
      SCENARIO_BASE_URL = "http://127.0.0.1:1/v1" }, ([[
      local c = require("scenario").new { api_key = "opt-key", api_secret = "opt-secret", base_url = %q }
      local m, err = c:create_model()
      print(m and m.id or tostring(err))
    ]]):format(server.url))
    assert.equal("id\n", out)
    assert.equal(helper.basic_auth("opt-key", "opt-secret"), server.requests()[1].headers.authorization)
  end)

  it("defaults to the production API, a 60 s timeout and 2 retries", function()
    local out = run_with_env({ SCENARIO_SDK_API_KEY = "k", SCENARIO_SDK_API_SECRET = "s" }, [[
      local c = require("scenario").new()
      print(c.base_url, c.timeout, c.max_retries, c.retry_unsafe)
    ]])
    assert.equal("https://api.cloud.scenario.com/v1\t60\t2\tfalse\n", out)
  end)

  it("says to call it with a dot when called as scenario:new", function()
    assert.has_error(function() scenario:new { api_key = "k", api_secret = "s" } end,
      "bad argument #1 to 'new' (call it as scenario.new(opts), with a dot: scenario:new passes the module "
      .. "as the options)")
  end)

  it("raises without credentials, saying where they come from", function()
    local out = run_with_env({}, [[ print(pcall(require("scenario").new)) ]])
    assert.truthy(out:find("no credentials: pass api_key and api_secret, or set "
      .. "SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET", 1, true), out)
  end)

  it("raises on unknown options, with a suggestion, and on wrong types", function()
    assert.has_error(function() scenario.new { api_key = "k", api_secret = "s", timout = 5 } end,
      "bad argument #1 to 'new' (unknown option 'timout'; did you mean 'timeout'?)")
    assert.has_error(function() scenario.new { api_key = "k", api_secret = "s", timeout = "5" } end,
      "bad argument #1 to 'new' (option 'timeout' must be a number, got string)")
    assert.has_error(function() scenario.new { api_key = "k", api_secret = "s", max_retries = 1.5 } end,
      "bad argument #1 to 'new' (option 'max_retries' must be an integer of at least 0)")
    assert.has_error(function() scenario.new { api_key = "k", api_secret = "s", max_response_bytes = 0 } end,
      "bad argument #1 to 'new' (option 'max_response_bytes' must be an integer of at least 1)")
    for _, bad in ipairs { -1, 0, 0 / 0, math.huge, 2e6 } do
      assert.has_error(function() scenario.new { api_key = "k", api_secret = "s", timeout = bad } end,
        "bad argument #1 to 'new' (option 'timeout' must be a number of seconds in (0, 1e6])")
    end
    assert.has_error(function() scenario.new "key" end,
      "bad argument #1 to 'new' (table expected, got string)")
    assert.has_error(function() scenario.new { api_key = "k", api_secret = "s", user_agent = "x\r\nEvil: 1" } end,
      "bad argument #1 to 'new' (user_agent contains a control character)")
    assert.has_error(function() scenario.new { api_key = "k\n", api_secret = "s" } end,
      "scenario.new: api_key or api_secret contains a control character")
  end)

  it("wants https unless the host is loopback or allow_insecure is set", function()
    local base = { api_key = "k", api_secret = "s" }
    local function with(url, extra)
      local o = { base_url = url }
      for k, v in pairs(base) do o[k] = v end
      for k, v in pairs(extra or {}) do o[k] = v end
      return scenario.new(o)
    end
    assert.has_error(function() with("http://api.example.com/v1") end,
      "bad argument #1 to 'new' (base_url must be https unless its host is loopback (or allow_insecure = true))")
    assert.has_error(function() with("ftp://x/v1") end, "bad argument #1 to 'new' (base_url must start with "
      .. "https:// (or http:// for a loopback host), got 'ftp://x/v1')")
    assert.has_error(function() with("127.0.0.1:8080/v1") end, "bad argument #1 to 'new' (base_url must "
      .. "start with https:// (or http:// for a loopback host), got '127.0.0.1:8080/v1')")
    for _, url in ipairs { "https://api.example.com/v1?projectId=p", "https://api.example.com/v1#x",
      "http://127.0.0.1:8080/v1/?a=b" } do
      assert.has_error(function() with(url) end, "bad argument #1 to 'new' (base_url must not have a query "
        .. "or a fragment; use project_id, or the query argument of each call)")
    end
    assert.has_error(function() with("https://user:pw@api.example.com/v1") end)
    assert.has_error(function() with("https://api.example.com/v1\r\nX-Evil: 1") end)
    assert.is_table(with("http://api.example.com/v1", { allow_insecure = true }))
    assert.is_table(with("http://localhost:8080/v1"))
    assert.is_table(with("http://[::1]:8080/v1"))
    for _, host in ipairs { "LocalHost", "127.1", "127.0.0.2", "[::ffff:127.0.0.1]",
      "[0:0:0:0:0:0:0:1]" } do
      assert.is_table(with("http://" .. host .. ":8080/v1"), host)
    end
    for _, host in ipairs { "localhost.example", "localhost.", "127.0.0.1.example", "1127.0.0.1", "[::2]" } do
      assert.has_error(function() with("http://" .. host .. ":8080/v1") end, nil, host)
    end
    assert.is_table(with("https://api.example.com/v1"))
  end)

  it("keeps the key and secret out of the client object and its text", function()
    local client = helper.client()
    local text = tostring(client)
    assert.equal("scenario.Client (" .. server.url .. ")", text)
    for k, v in pairs(client) do
      for _, s in ipairs { tostring(k), tostring(v) } do
        assert.falsy(s:find(helper.API_KEY, 1, true))
        assert.falsy(s:find(helper.API_SECRET, 1, true))
      end
    end
  end)
end)

describe("client:create_model", function()
  before_each(function() server.reset() end)

  it("returns the model and meta {status, headers, attempts, body}", function()
    server.enqueue("model_example")
    local model, meta = helper.client():create_model()
    assert.equal("id", model.id)
    assert.equal(200, meta.status)
    assert.is_table(meta.headers)
    assert.equal(1, meta.attempts)
    assert.equal(replay.fixture("model_example").response.body, meta.body)
  end)

  it("makes meta.headers only when it is read, from the answer's header lines", function()
    server.enqueue("model_example", "model_example")
    local client = helper.client()
    local _, meta = assert(client:create_model())
    assert.is_nil(rawget(meta, "headers")) -- not made by the call
    local headers = meta.headers
    assert.equal("application/json; charset=utf-8", headers["content-type"])
    assert.equal(rawget(meta, "headers"), headers) -- made once, then kept
    assert.equal(headers, meta.headers)
    assert.is_nil(meta.nothing_else)
    -- the async form's meta too
    local _, meta2 = assert(client:create_model_async():wait(10))
    assert.is_nil(rawget(meta2, "headers"))
    assert.equal(headers["content-type"], meta2.headers["content-type"])
  end)

  it("sends project_id as projectId, unless the query sets its own", function()
    server.enqueue("model_example", "model_example", "model_example")
    local client = helper.client { project_id = "proj_1" }
    assert(client:create_model())
    assert(client:create_model(nil, { projectId = "proj_2", originalAssets = false }))
    local q = { originalAssets = true }
    assert(client:create_model(nil, q))
    local reqs = server.requests()
    assert.equal("projectId=proj_1", reqs[1].query)
    assert.equal("originalAssets=false&projectId=proj_2", reqs[2].query)
    assert.equal("originalAssets=true&projectId=proj_1", reqs[3].query)
    assert.same({ originalAssets = true }, q) -- the caller's table is not changed
  end)

  it("validates the query", function()
    local model, err = helper.client():create_model(nil, { originalAssets = "yes", page = 2 })
    assert.is_nil(model)
    assert.equal("validation", err.kind)
    assert.equal("query.originalAssets", err.errors[1].path)
    assert.equal("expected a boolean, got a string", err.errors[1].message)
    assert.equal("query.page", err.errors[2].path)
    assert.equal(0, #server.requests())
    local _, err2 = helper.client():create_model(nil, "originalAssets=true")
    assert.equal("query: expected a table, got a string", err2.errors[1].path .. ": " .. err2.errors[1].message)
  end)

  it("sends scenario.null as JSON null, to unset the class", function()
    server.enqueue("model_example")
    assert(helper.client():create_model { classSlug = scenario.null })
    assert.equal('{"classSlug":null}', server.requests()[1].body)
    assert.equal(cjson.null, scenario.null)
  end)

  it("sends pass-through fields only when asked (extra_body)", function()
    local model, err = helper.client():create_model { name = "n", newField = 1 }
    assert.is_nil(model)
    assert.equal("newField", err.errors[1].path)
    server.enqueue("model_example")
    assert(helper.client():create_model({ name = "n" }, nil, { extra_body = { newField = 1 } }))
    assert.equal('{"name":"n","newField":1}', server.requests()[1].body)
  end)

  it("raises when called without the client", function()
    local client = helper.client()
    assert.has_error(function() client.create_model { name = "x" } end,
      "bad argument #1 to 'create_model' (scenario client expected, got table; call it as client:create_model(...))")
    assert.has_error(function() client:create_model({}, nil, { extra = {} }) end,
      "bad argument #3 to 'create_model' (unknown option 'extra')")
  end)

  it("closes idempotently, and raises when used after close", function()
    local client = helper.client()
    local closed = "bad argument #1 to 'create_model' (the client is closed)"
    client:close()
    client:close()
    assert.has_error(function() client:create_model() end, closed)
  end)

  if _VERSION == "Lua 5.4" then -- the syntax would not parse before 5.4
    it("is closed by a to-be-closed variable", function()
      local closed = "bad argument #1 to 'create_model' (the client is closed)"
      local client = assert(compat.load([[
        local new = ...
        local client
        do
          local c <close> = new()
          client = c
        end
        return client
      ]]))(helper.client)
      assert.has_error(function() client:create_model() end, closed)
    end)
  end
end)

describe("scenario.validate_create_model", function()
  it("returns true for a valid body and sends nothing", function()
    server.reset()
    assert.is_true(scenario.validate_create_model { name = "n", type = "sd-xl-lora" })
    assert.equal(0, #server.requests())
  end)

  it("checks its options like create_model", function()
    assert.has_error(function() scenario.validate_create_model({}, nil, { extra = {} }) end,
      "bad argument #3 to 'validate_create_model' (unknown option 'extra')")
    assert.has_error(function() scenario.validate_create_model({}, nil, "x") end,
      "bad argument #3 to 'validate_create_model' (table expected, got string)")
    -- the query is checked as create_model checks it
    local ok, err = scenario.validate_create_model({}, { originalAssets = "yes" })
    assert.is_nil(ok)
    assert.equal("query.originalAssets", err.errors[1].path)
  end)

  it("returns nil and a validation error listing every problem", function()
    local ok, err = scenario.validate_create_model { name = 1, type = "x" }
    assert.is_nil(ok)
    assert.equal("validation", err.kind)
    assert.equal(2, #err.errors)
    assert.equal("name", err.errors[1].path)
    assert.equal("type", err.errors[2].path)
  end)
end)

describe("scenario.enums and in_enum", function()
  it("exposes the enums and tests membership", function()
    assert.equal(37, #scenario.enums.model_type)
    assert.is_true(scenario.in_enum("model_type", "flux.1-lora"))
    assert.is_false(scenario.in_enum("model_type", "flux.1-lroa"))
    assert.is_true(scenario.in_enum("access_restrictions", 25))
    assert.is_false(scenario.in_enum("access_restrictions", 30))
    assert.is_true(scenario.in_enum("capability", "txt2img"))
    for name, list in pairs(scenario.enums) do
      for _, v in ipairs(list) do assert.is_true(scenario.in_enum(name, v), name .. " " .. v) end
    end
    assert.has_error(function() scenario.in_enum("model_types", "x") end,
      "bad argument #1 to 'in_enum' (unknown enum 'model_types')")
  end)
end)
