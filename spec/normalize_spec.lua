-- Decoding and normalising responses (csrc/normalize.c) through the
-- core's decoder; the same code runs inside create_model.
local core = require "scenario.core"
local cjson = require "cjson"
local replay = require "spec.support.replay"
local compat = require "spec.support.compat"

local function decode(json)
  return core.decode("create_model", json)
end

local function body_of(name)
  return replay.fixture(name).response.body
end

local function problem_list(err)
  local out = {}
  for i, p in ipairs(err.errors or {}) do out[i] = p.path .. ": " .. p.message end
  return out
end

describe("decoding the page's example", function()
  local model = assert(decode(body_of("model_example")))

  it("returns the model object as a plain table", function()
    assert.equal("id", model.id)
    assert.is_nil(getmetatable(model))
    assert.same({ "3d23d" }, model.capabilities)
    assert.equal("published", model.class.status)
    assert.equal("bar", model.inputs[1].inputs[1].foo)
    assert.equal("bottom", model.uiConfig.triggerGenerate.position)
  end)

  it("turns integral numbers into integers", function()
    assert.equal("integer", compat.number_type(model.trainingImagesNumber))
    assert.equal("integer", compat.number_type(model.concepts[1].scale))
    assert.equal(-2, model.concepts[1].scale)
    assert.equal("integer", compat.number_type(model.accessRestrictions))
    assert.equal("integer", compat.number_type(model.parameters.rank))
    assert.equal("integer", compat.number_type(model.uiConfig.resolutionComponent.presets[1].height))
  end)

  it("keeps fractional numbers as floats", function()
    assert.equal("float", compat.number_type(model.parameters.learningRateTextEncoder))
    assert.equal(0.0005, model.parameters.learningRateTextEncoder)
  end)
end)

describe("decoding a realistic model", function()
  local model = assert(decode(body_of("model_realistic")))

  it("keeps millisecond timestamps and 2^53-1 exact", function()
    assert.equal(1764261727318, model.trainingProgress.updatedAt)
    assert.equal("integer", compat.number_type(model.trainingProgress.updatedAt))
    assert.equal(9007199254740991, model.parameters.seed)
    assert.equal("integer", compat.number_type(model.parameters.seed))
  end)

  it("keeps the values", function()
    assert.equal("model_eyVcnFJcR92BxBkz7N6g5w", model.id)
    assert.equal("Cinematic Realism", model.name)
    assert.equal("new", model.status)
    assert.same({}, model.tags)
    assert.equal(0.0001, model.parameters.learningRate)
  end)
end)

describe("decoding a model from a newer API", function()
  local model = assert(decode(body_of("model_evolved")))

  it("makes null members absent, in known and unknown objects alike", function()
    assert.is_nil(rawget(model, "class"))
    assert.is_nil(rawget(model, "thumbnail"))
    assert.is_nil(rawget(model, "newThing"))
    assert.is_nil(rawget(model.futureScore, "note"))
  end)

  it("keeps enum values it does not know", function()
    assert.equal("team-only", model.privacy)
    assert.equal("archived", model.status)
    assert.equal("flux.3-lora", model.type)
    assert.same({ "txt2img", "txt2mesh" }, model.capabilities)
  end)

  it("keeps fields it does not know, with their nulls and exact integers", function()
    assert.equal(4.5, model.futureScore.value)
    assert.equal(120, model.futureScore.samples)
    assert.equal("integer", compat.number_type(model.futureScore.samples))
    assert.equal(1, model.futureScore.history[1])
    assert.equal(cjson.null, model.futureScore.history[2])
    assert.equal(3, model.futureScore.history[3])
    assert.equal(7, model.parameters.newKnob)
    assert.equal(32, model.parameters.rank)
  end)

  it("leaves numbers from 2^53 up as floats, since they may be rounded", function()
    assert.equal("float", compat.number_type(model.bigCount))
    assert.equal(2 ^ 53, model.bigCount)
  end)
end)

describe("decoding deeply nested unknown data", function()
  it("keeps it intact up to the parser's depth limit", function()
    local depth = 95 -- two JSON levels each; lua-cjson stops at 200
    local json = body_of("model_realistic"):gsub('"status":"new"',
      '"status":"new","deep":' .. ('{"a":['):rep(depth) .. "1" .. ("]}"):rep(depth), 1)
    local model = assert(decode(json))
    local v = model.deep
    for _ = 1, depth do v = v.a[1] end
    assert.equal(1, v)
    assert.equal("integer", compat.number_type(v))
  end)
end)

describe("responses that are not the documented JSON", function()
  local function refused(json)
    local model, err = decode(json)
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    return err
  end

  it("refuses broken JSON", function()
    local err = refused(body_of("ok_broken_json"))
    assert.truthy(err.message:find("not valid JSON", 1, true), err.message)
  end)

  it("refuses NaN, Infinity and hex even if the host's cjson allows them", function()
    local good = body_of("model_realistic")
    cjson.decode_invalid_numbers(true)
    local ok_shared = pcall(cjson.decode, '{"x":NaN}')
    for _, literal in ipairs { "NaN", "Infinity", "-Infinity", "0x10" } do
      local json = good:gsub('"trainingImagesNumber":0', '"trainingImagesNumber":' .. literal, 1)
      local err = refused(json)
      assert.truthy(err.message:find("not valid JSON", 1, true), literal .. ": " .. tostring(err.message))
    end
    cjson.decode_invalid_numbers(false)
    assert.is_true(ok_shared)
    assert.is_table(decode(good))
  end)

  it("refuses a document that is not an object holding a model", function()
    for _, json in ipairs { "[]", "[1,2]", "42", '"model"', "null", "true", '{"model":[1]}',
      '{"model":"x"}', '{"models":{}}', "" } do
      refused(json)
    end
  end)

  it("names every field of the wrong type", function()
    local err = refused(body_of("ok_wrong_shape"))
    local list = problem_list(err)
    table.sort(list)
    assert.same({
      "model.capabilities: expected an array, got a string",
      "model.id: expected a string, got a number",
      "model.trainingImagesNumber: expected a number, got a string",
    }, list)
  end)

  it("requires the model's required fields", function()
    local err = refused('{"model":{"id":"m"}}')
    assert.equal(12, err.error_count)
    assert.truthy(problem_list(err)[1]:find("is required but missing", 1, true))
  end)

  it("refuses objects where arrays belong and arrays where objects belong", function()
    local base = cjson.decode(body_of("model_realistic"))
    base.model.tags = { a = 1 }
    base.model.trainingProgress = { 1, 2 }
    local list = problem_list(refused(cjson.encode(base)))
    table.sort(list)
    assert.same({ "model.tags: expected an array, got an object",
      "model.trainingProgress: expected an object, got an array" }, list)
  end)

  it("refuses null inside a typed array", function()
    local base = cjson.decode(body_of("model_realistic"))
    base.model.tags = { "a", cjson.null }
    assert.same({ "model.tags[2]: is null" }, problem_list(refused(cjson.encode(base))))
  end)

  it("refuses invalid UTF-8 in any string", function()
    local json = body_of("model_realistic"):gsub('"Cinematic Realism"', '"Cine\255matic"', 1)
    assert.same({ "model.name: is not valid UTF-8 (bad byte at offset 4)" },
      problem_list(refused(json)))
    local unknown = body_of("model_realistic"):gsub('"status":"new"', '"status":"new","z":"\237\160\128"', 1)
    assert.same({ "model.z: is not valid UTF-8 (bad byte at offset 0)" },
      problem_list(refused(unknown)))
  end)

  it("refuses very deep nesting without crashing", function()
    local err = refused('{"model":' .. ("["):rep(100000) .. ("]"):rep(100000) .. "}")
    assert.truthy(err.message:find("not valid JSON", 1, true), err.message)
  end)
end)
