-- Decoding responses against the schema (csrc/decode.c) through
-- core.decode; the same code runs inside create_model.
local core = require "scenario.core"
local cjson = require "cjson"
local replay = require "spec.support.replay"
local compat = require "spec.support.compat"
local helper = require "spec.helper"

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

  it("keeps integer literals past 2^53 exact where Lua has 64-bit integers", function()
    if compat.has_integers then
      assert.equal("integer", compat.number_type(model.bigCount))
      assert.equal("9007199254740993", tostring(model.bigCount))
    else
      assert.equal(2 ^ 53, model.bigCount) -- the nearest double: a number is one
    end
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

-- A model body with `member` (JSON text) spliced in after "status":"new".
local function with_member(member)
  return (body_of("model_realistic"):gsub('"status":"new"', '"status":"new",' .. member, 1))
end

-- A model body whose "name" member is replaced by members (JSON text).
local function with_name(members)
  return (body_of("model_realistic"):gsub('"name":"Cinematic Realism"', function() return members end, 1))
end

-- The unknown member x decoded from JSON text.
local function x_of(text)
  local model, err = decode(with_member('"x":' .. text))
  assert(model, err and err.message)
  return model.x
end

local function refused_json(json)
  local model, err = decode(json)
  assert.is_nil(model, json)
  assert.equal("invalid_response", err.kind)
  return err
end

local function broken(json)
  local model, err = decode(json)
  assert.is_nil(model, json)
  assert.equal("invalid_response", err.kind)
  assert.is_nil(err.errors)
  assert.truthy(err.message:find("the response is not valid JSON (", 1, true), err.message)
  return err.message
end

describe("decoding numbers", function()
  it("reads integer literals as integers, exactly, to the ends of 64 bits", function()
    assert.equal(0, x_of("0"))
    assert.equal("integer", compat.number_type(x_of("-0")))
    assert.equal(-17, x_of("-17"))
    assert.equal("integer", compat.number_type(x_of("1764261727318")))
    if compat.has_integers then
      assert.equal(math.maxinteger, x_of("9223372036854775807"))
      assert.equal(math.mininteger, x_of("-9223372036854775808"))
      assert.equal("integer", math.type(x_of("-9223372036854775808")))
    end
  end)

  it("reads integer literals beyond 64 bits as the nearest float", function()
    assert.equal("float", compat.number_type(x_of("9223372036854775808")))
    assert.equal(2 ^ 63, x_of("9223372036854775808"))
    assert.equal(-(2 ^ 63) * 10, x_of("-92233720368547758080"))
    assert.equal(1e30, x_of("1000000000000000000000000000000"))
  end)

  it("makes integral values written with a fraction or exponent integers below 2^53", function()
    assert.equal("integer", compat.number_type(x_of("5.0")))
    assert.equal(1000, x_of("1e3"))
    assert.equal("integer", compat.number_type(x_of("1E+3")))
    assert.equal(150, x_of("1.5e2"))
    assert.equal("integer", compat.number_type(x_of("1.5e2")))
    assert.equal("float", compat.number_type(x_of("1e16")))
    assert.equal(1e16, x_of("1e16"))
  end)

  it("reads fractions as the same double Lua's own reader gives", function()
    local texts = { "0.1", "-0.0005", "4.5", "1e-7", "2.2250738585072014e-308", "5e-324",
      "1.7976931348623157e308", "0.30000000000000004", "123456789.123456789",
      "3.141592653589793238462643383279", "1e400", "-1e400", "1e-400", "9007199254740993.5" }
    math.randomseed(7)
    for _ = 1, 2000 do
      local m, e = math.random(0, 2 ^ 30) * math.random(0, 2 ^ 23), math.random(-40, 40)
      texts[#texts + 1] = ("%d.%de%d"):format(m, math.random(0, 999), e)
      texts[#texts + 1] = ("%.17g"):format(math.random() * 10 ^ math.random(-30, 30))
      texts[#texts + 1] = ("%.6f"):format(math.random() * 1000)
    end
    for _, text in ipairs(texts) do
      local want = tonumber(text)
      local got = x_of(text)
      assert(got == want, text .. " read as " .. ("%.17g"):format(got) .. ", not " .. ("%.17g"):format(want))
    end
  end)

  it("reads '.' as the decimal point whatever the host's numeric locale", function()
    local out = helper.run_lua_decimal_comma([[
      local core = require "scenario.core"
      local json = io.read("*a")
      local cases = { ["0.5"] = 0.5, ["3.141592653589793238462643383279"] = 3.141592653589793,
        ["1.25e-300"] = 1.25e-300, ["-2.5E2"] = -250 }
      for text, want in pairs(cases) do
        local with_x = json:gsub('"status":"new"', '"status":"new","x":' .. text, 1)
        local model = assert(core.decode("create_model", with_x))
        io.write(model.x == want and "ok " or text .. " read wrong ")
      end
    ]], body_of("model_realistic"))
    assert.equal(("ok "):rep(4), out)
  end)

  it("refuses what JSON's number grammar does not allow", function()
    for _, text in ipairs { "01", "-01", "+1", "1.", ".5", "1e", "1e+", "-", "--1", "0x10", "1.e3",
      "NaN", "Infinity", "-Infinity", "1_000" } do
      broken(with_member('"x":' .. text))
    end
  end)
end)

describe("decoding strings", function()
  it("reads every escape", function()
    assert.equal('a"b\\c/d\b\f\n\r\t', x_of([["a\"b\\c\/d\b\f\n\r\t"]]))
    assert.equal("\0", x_of([["\u0000"]]))
    assert.equal("é€", x_of([["\u00e9\u20AC"]]))
    assert.equal("\240\159\152\128", x_of([["\ud83d\ude00"]]))
    assert.equal(("x"):rep(40) .. "\n" .. ("y"):rep(40), x_of('"' .. ("x"):rep(40) .. [[\n]] .. ("y"):rep(40) .. '"'))
  end)

  it("reads keys with escapes as the field they spell", function()
    local model = assert(decode(with_name([["n\u0061me2":1,"\u006eame":"Renamed"]])))
    assert.equal("Renamed", model.name)
    assert.equal(1, model.name2)
  end)

  it("checks UTF-8 wherever a sequence falls, and gives the offset of the first bad byte", function()
    for k = 0, 19 do
      local pad = ("a"):rep(k)
      assert.equal(pad .. "é€\240\159\152\128" .. pad, x_of('"' .. pad .. "é€\240\159\152\128" .. pad .. '"'))
      for _, bad in ipairs { "\255", "\192\175", "\237\160\128", "\244\144\128\128", "\226\130" } do
        local _, err = decode(with_member('"x":"' .. pad .. bad .. 'tail"'))
        assert.same({ ("model.x: is not valid UTF-8 (bad byte at offset %d)"):format(k) }, problem_list(err))
      end
    end
  end)

  it("finds quotes, escapes and control characters wherever they fall", function()
    for k = 0, 40 do
      local pad = ("a"):rep(k)
      assert.equal(pad, x_of('"' .. pad .. '"'))
      assert.equal(pad .. '"' .. pad, x_of('"' .. pad .. '\\"' .. pad .. '"'))
      assert.equal(pad .. "\n" .. pad .. "é", x_of('"' .. pad .. "\\n" .. pad .. 'é"'))
      broken(with_member('"x":"' .. pad .. "\1" .. pad .. '"'))
      broken('{"model":{"x":"' .. pad)
    end
  end)

  it("checks UTF-8 in strings with escapes and in member names", function()
    local _, err = decode(with_member('"x":"a\\n\255"'))
    assert.same({ "model.x: is not valid UTF-8 (bad byte at offset 2)" }, problem_list(err))
    _, err = decode(with_member('"k\255":1'))
    assert.same({ "model.k\255: is not valid UTF-8 (bad byte at offset 1)" }, problem_list(err))
  end)

  it("tells a field from a name that shares its length, first, middle and last bytes", function()
    local model = assert(decode(with_member('"nbme":"not the name","iD":"not the id"')))
    assert.equal("not the name", model.nbme)
    assert.equal("Cinematic Realism", model.name)
    assert.equal("model_eyVcnFJcR92BxBkz7N6g5w", model.id)
    -- a known enum value and an unknown one of the same shape
    local json = body_of("model_realistic"):gsub('"status":"new"', '"status":"nxw"', 1)
    assert.equal("nxw", assert(decode(json)).status)
  end)

  it("refuses lone surrogates, bad escapes, raw control characters and open strings", function()
    for _, text in ipairs { [["\ud800"]], [["\ud800x"]], [["\udc00"]], [["\ud800\u0041"]],
      [["\u12"]], [["\u12G4"]], [["\x41"]], '"a\nb"', '"a\tb"', '"a\0b"', '"abc' } do
      broken(with_member('"x":' .. text))
    end
    broken('{"model":{"id":"abc')
    broken('{"model":{"id":"abc\\')
  end)
end)

describe("decoding arrays and objects", function()
  it("keeps every item in order, across the items that wait on the stack", function()
    for _, n in ipairs { 0, 1, 15, 16, 17, 31, 32, 33, 100, 1000 } do
      local items = {}
      for i = 1, n do items[i] = (i % 5 == 0) and "null" or tostring(i * 3) end
      local got = x_of("[" .. table.concat(items, ",") .. "]")
      assert.equal(n, #got)
      for i = 1, n do
        if i % 5 == 0 then assert.equal(cjson.null, got[i]) else assert.equal(i * 3, got[i]) end
      end
    end
  end)

  it("names the index of each null in a typed array, however long", function()
    local tags = {}
    for i = 1, 40 do tags[i] = (i == 16 or i == 17 or i == 40) and "null" or '"t"' end
    local json = body_of("model_realistic"):gsub('"tags":%[%]', '"tags":[' .. table.concat(tags, ",") .. "]", 1)
    assert.same({ "model.tags[16]: is null", "model.tags[17]: is null", "model.tags[40]: is null" },
      problem_list(refused_json(json)))
  end)

  it("lets the last of duplicate members win, null included", function()
    local model = assert(decode(with_name('"name":"First","x":1,"x":2,"y":3,"y":null,"name":"Second"')))
    assert.equal(2, model.x)
    assert.is_nil(rawget(model, "y"))
    assert.equal("Second", model.name)
    local _, err = decode(with_member('"id":null'))
    assert.same({ "model.id: is required but missing" }, problem_list(err))
  end)

  it("takes an empty object for an empty array and the other way round", function()
    local json = body_of("model_realistic"):gsub('"tags":%[%]', '"tags":{ }', 1)
    assert.same({}, assert(decode(json)).tags)
    -- an optional object, empty: nothing to say, so nothing it lacks (the
    -- live API sends "trainingProgress": {} for every model not training)
    json = body_of("model_realistic"):gsub('"trainingProgress":{.-}', '"trainingProgress":[]', 1)
    assert.same({}, assert(decode(json)).trainingProgress)
    json = body_of("model_realistic"):gsub('"parameters":{.-}', '"parameters":[ ]', 1)
    assert.same({}, assert(decode(json)).parameters)
    assert.same({ "model: is required but missing" }, problem_list(refused_json("[]")))
    local list = problem_list(refused_json('{"model":[ ]}'))
    assert.equal(13, #list) -- as many as the model has required fields
    assert.truthy(list[1]:find("^model%.%a+: is required but missing$"), list[1])
  end)

  it("sizes tables from earlier responses, but not past twice the schema's fields", function()
    local members = {}
    for i = 1, 50000 do members[i] = ('"u%d":%d'):format(i, i) end
    assert(decode(with_member(table.concat(members, ","))))
    collectgarbage()
    collectgarbage()
    local before = collectgarbage("count")
    local model = assert(decode(body_of("model_realistic")))
    local grew = collectgarbage("count") - before
    assert.equal("Cinematic Realism", model.name)
    assert.truthy(grew < 64, ("a small model took %.0f KiB"):format(grew))
  end)

  it("allows whitespace between every token", function()
    -- Outside strings only: split at the quotes that are not escaped.
    local parts, from = {}, 1
    local text = body_of("model_realistic")
    assert(not text:find("\\", 1, true))
    for quoted, to in text:gmatch('()"[^"]*"()') do
      parts[#parts + 1] = text:sub(from, quoted - 1):gsub('([,:%[%]{}])', " \n\t\r%1 \r\n\t")
      parts[#parts + 1] = text:sub(quoted, to - 1)
      from = to
    end
    parts[#parts + 1] = text:sub(from)
    local spaced = table.concat(parts)
    assert.truthy(select(2, spaced:gsub(" \r\n\t", "")) > 50)
    assert.same(assert(decode(body_of("model_realistic"))), assert(decode(" \n" .. spaced .. "\t ")))
  end)

  it("refuses broken structure, and says where", function()
    assert.truthy(broken('{"model":{"id":01}}'):find("at byte 15)", 1, true))
    for _, json in ipairs { '{"model":{}}x', '{"model":{}},', '{"model":{},}', '{"model":[1,]}',
      '{"model":{"a":1,}}', '{"model":{"a" 1}}', '{"model":{a:1}}', '{"model":{"a":1 "b":2}}',
      '{"model":[1 2]}', '{"model":{', '{"model":[', '{"model":', '{', '  ', 'tru', 'nul',
      '{"model":{"x":truth}}', "{'model':{}}" } do
      broken(json)
    end
  end)

  it("parses up to 200 levels and refuses the 201st", function()
    local function nested(levels)
      return with_member('"deep":' .. ("["):rep(levels - 2) .. "1" .. ("]"):rep(levels - 2))
    end
    local model = assert(decode(nested(200)))
    local v = model.deep
    for _ = 1, 198 do v = v[1] end
    assert.equal(1, v)
    assert.truthy(broken(nested(201)):find("nested too deeply", 1, true))
  end)
end)

describe("core.parse_json", function()
  it("reads any JSON value, as the decoder reads data it has no schema for", function()
    assert.same({ a = 1, list = { 1, core.null, "x" }, nested = { ok = true } },
      core.parse_json(' {"a":1,"gone":null,"list":[1,null,"x"],"nested":{"ok":true}} '))
    assert.equal(core.null, core.parse_json("null"))
    assert.equal("integer", compat.number_type(core.parse_json("409")))
    assert.equal("é", core.parse_json('"\\u00e9"'))
    assert.is_false(core.parse_json("false"))
  end)

  it("returns nil and a message for anything else, never raising", function()
    for _, text in ipairs { "", "<html>", "{", '{"a":1}x', ("["):rep(300) .. ("]"):rep(300), "NaN" } do
      local v, msg = core.parse_json(text)
      assert.is_nil(v)
      assert.truthy(msg:find("^not valid JSON %("), msg)
    end
    assert.has_error(function() core.parse_json(nil) end)
  end)

  it("is all the JSON the Lua layer needs: scenario works without lua-cjson", function()
    -- Only the checkout's module on the C path: the system's cjson is out of reach.
    local out, ok = helper.run_lua([[
      package.cpath = package.cpath:match("^[^;]+") -- the checkout's build only
      assert(not pcall(require, "cjson"), "cjson is still reachable")
      local scenario = require "scenario"
      local errors = require "scenario.errors"
      local err = errors.from_core({ kind = "http", status = 409, headers = {},
        body = '{"status":"error","code":"CONFLICT","message":"already exists"}' }, { attempts = 1 })
      io.write(err.kind, " ", err.code, " ", err.message, " ", tostring(scenario.null))
    ]])
    assert(ok, out)
    assert.truthy(out:find("^conflict CONFLICT already exists userdata: "), out)
  end)
end)
