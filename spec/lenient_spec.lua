-- A 2xx that is valid JSON is a success, whatever its shape: a server
-- that drops a documented field, or changes its type, must not turn a
-- create that happened into an error (the caller would retry it and make
-- a second model). Shape problems come back in meta.problems instead;
-- strict_responses = true makes them errors again.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local core = require "scenario.core"

local server = replay.server()

local function answer(body, opts)
  server.reset()
  server.enqueue { status = 201, headers = { ["Content-Type"] = "application/json" }, body = body }
  local o = { max_retries = 0 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return helper.client(o):create_model { name = "n" }
end

local function problem_at(problems, path)
  for _, p in ipairs(problems or {}) do
    if p.path == path then return p.message end
  end
end

describe("a 2xx of another shape", function()
  it("returns the model that is there, and says what is missing", function()
    local model, meta = answer('{"model":{"id":"m1"}}')
    assert.equal("m1", model.id)
    assert.equal(201, meta.status)
    assert.equal(1, meta.attempts)
    assert.is_table(meta.problems)
    assert.equal(12, #meta.problems) -- every other required field of the model
    assert.equal("is required but missing", problem_at(meta.problems, "model.capabilities"))
    assert.equal("is required but missing", problem_at(meta.problems, "model.updatedAt"))
  end)

  it("is invalid_response with strict_responses, as before", function()
    local model, err = answer('{"model":{"id":"m1"}}', { strict_responses = true })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal(201, err.status)
    assert.equal(12, #err.errors)
    assert.truthy(err.message:find("model.capabilities: is required but missing", 1, true), err.message)
  end)

  it("keeps a field of another type as it was decoded, with its path", function()
    local model, meta = answer(replay.fixture("ok_wrong_shape").response.body)
    assert.equal(42, model.id)
    assert.equal("txt2img", model.capabilities)
    assert.equal("zero", model.trainingImagesNumber)
    assert.same({
      { path = "model.id", message = "expected a string, got a number" },
      { path = "model.capabilities", message = "expected an array, got a string" },
      { path = "model.trainingImagesNumber", message = "expected a number, got a string" },
    }, meta.problems)
  end)

  it("stands in an empty model where the member is missing or null", function()
    for _, body in ipairs { "{}", '{"model":null}', "[]", '"created"', "null", "7" } do
      local model, meta = answer(body)
      assert.same({}, model, body)
      assert.is_table(meta.problems, body)
      assert.equal(body, meta.body)
    end
  end)

  it("keeps fields and enum values this version does not know, with no problem", function()
    local body = replay.fixture("model_evolved").response.body
    local model, meta = answer(body)
    assert.is_nil(meta.problems)
    assert.is_table(model)
  end)

  it("has no meta.problems when it is the documented response", function()
    for _, name in ipairs { "model_example", "model_realistic" } do
      local model, meta = answer(replay.fixture(name).response.body)
      assert.is_table(model)
      assert.is_nil(meta.problems, name)
    end
  end)

  it("is logged as a warning, once, with its problems", function()
    local lines = {}
    server.reset()
    server.enqueue { status = 200, headers = {}, body = '{"model":{"id":"m1","tags":"x"}}' }
    local client = helper.client { logger = function(level, line) lines[#lines + 1] = level .. " " .. line end }
    assert(client:create_model())
    local warns = {}
    for _, l in ipairs(lines) do if l:find("^warn") then warns[#warns + 1] = l end end
    assert.equal(1, #warns)
    assert.truthy(warns[1]:find("POST /v1/models: HTTP 200: the response does not match the documented "
      .. "shape (meta.problems): model.tags: expected an array, got a string", 1, true), warns[1])
  end)
end)

describe("a 2xx that cannot be read", function()
  it("is invalid_response when its JSON is broken", function()
    local model, err = answer('{"model":{"id":"m1"')
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.truthy(err.message:find("not valid JSON", 1, true))
  end)

  it("is invalid_response when a string is not UTF-8, even in a field it does not know", function()
    local model, err = answer('{"model":{"id":"m1","nickname":"\255"}}')
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal("the response is not valid UTF-8: model.nickname: is not valid UTF-8 (bad byte at offset 0)",
      err.message)
  end)

  it("is invalid_response when it is over max_response_bytes", function()
    local model, err = answer(replay.fixture("model_example").response.body, { max_response_bytes = 64 })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
  end)
end)

describe("core.decode", function()
  it("is strict unless asked to be lenient", function()
    local json = '{"model":{"id":"m1"}}'
    local model, err = core.decode("create_model", json)
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    local m, problems = core.decode("create_model", json, true)
    assert.equal("m1", m.id)
    assert.equal(12, #problems)
  end)

  it("returns no problems table for a documented response, lenient or not", function()
    local json = replay.fixture("model_example").response.body
    assert.equal(1, select("#", core.decode("create_model", json, true)))
    assert.equal(1, select("#", core.decode("create_model", json)))
  end)
end)
