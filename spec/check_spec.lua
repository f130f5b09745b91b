-- Validation and encoding of request bodies (csrc/encode.c), through the
-- public validate_create_model and the core's encoder.
local scenario = require "scenario"
local core = require "scenario.core"
local cjson = require "cjson"
local helper = require "spec.helper"
local compat = require "spec.support.compat"

local function encode(body, extra)
  return core.encode("create_model", body, extra)
end

-- The problems of an invalid body, as "path: message" strings.
local function problems(body, extra)
  local ok, err = scenario.validate_create_model(body, nil, { extra_body = extra })
  assert.is_nil(ok, "expected the body to be refused")
  assert.equal("validation", err.kind)
  local out = {}
  for i, p in ipairs(err.errors) do
    out[i] = p.path ~= "" and (p.path .. ": " .. p.message) or p.message
  end
  return out, err
end

local function problem(body, extra)
  local list = problems(body, extra)
  assert.equal(1, #list, table.concat(list, "\n"))
  return list[1]
end

describe("encoding", function()
  it("writes the fields in the page's order", function()
    assert.equal('{"baseModelId":"flux.1-dev","classSlug":"art-style","collectionIds":["c1","c2"],'
      .. '"concepts":[{"modelId":"m1","scale":1,"modelEpoch":"000001"}],"name":"N",'
      .. '"shortDescription":"S","type":"flux.1-lora"}',
      encode { type = "flux.1-lora", shortDescription = "S", name = "N",
        concepts = { { modelEpoch = "000001", scale = 1, modelId = "m1" } },
        collectionIds = { "c1", "c2" }, classSlug = "art-style", baseModelId = "flux.1-dev" })
  end)

  it("sends {} for a nil or empty body", function()
    assert.equal("{}", encode(nil))
    assert.equal("{}", encode {})
  end)

  it("writes an empty table in an array field as []", function()
    assert.equal('{"collectionIds":[],"concepts":[]}', encode { collectionIds = {}, concepts = {} })
  end)

  it("writes scenario.null as null where the page allows it", function()
    assert.equal('{"classSlug":null}', encode { classSlug = scenario.null })
  end)

  it("writes integers exactly up to 2^53, in every Lua", function()
    assert.equal('{"concepts":[{"modelId":"m","scale":-2}]}',
      encode { concepts = { { modelId = "m", scale = -2 } } })
    assert.equal('{"seed":9007199254740992}', encode({}, { seed = 2 ^ 53 }))
    assert.equal('{"seed":-9007199254740991}', encode({}, { seed = 1 - 2 ^ 53 }))
    assert.equal('{"ms":1732752000123}', encode({}, { ms = 1732752000123 }))
  end)

  it("writes a float past 2^53 as the double it is, since it may be rounded", function()
    assert.equal('{"n":1.152921504606847e+18}', encode({}, { n = 2 ^ 60 }))
  end)

  if compat.has_integers then
    it("writes 64-bit integers exactly past 2^53 (Lua 5.3 on)", function()
      assert.equal('{"seed":9007199254740993}', encode({}, { seed = 9007199254740993 }))
      assert.equal('{"n":' .. math.maxinteger .. '}', encode({}, { n = math.maxinteger }))
      assert.equal('{"n":' .. math.mininteger .. '}', encode({}, { n = math.mininteger }))
    end)
  end

  it("writes integral floats without a fraction", function()
    assert.equal('{"concepts":[{"modelId":"m","scale":2}]}',
      encode { concepts = { { modelId = "m", scale = 2.0 } } })
  end)

  it("writes floats in their shortest form that reads back exactly", function()
    assert.equal('{"concepts":[{"modelId":"m","scale":0.1}]}',
      encode { concepts = { { modelId = "m", scale = 0.1 } } })
    math.randomseed(7)
    for _ = 1, 500 do
      local x = math.random() * 4 - 2
      local json = encode { concepts = { { modelId = "m", scale = x } } }
      assert.equal(x, cjson.decode(json).concepts[1].scale)
    end
    for _, case in ipairs { { 0.30000000000000004, "0.30000000000000004" }, { -1 / 3, "-0.3333333333333333" },
      { 1e-300, "1e-300" }, { 5e-324, "5e-324" }, { 1e-310, "1e-310" }, { 2.5e-320, "2.5e-320" },
      { 1.7976931348623157e308, "1.7976931348623157e+308" }, { 2.0 ^ 60, "1.152921504606847e+18" },
      { 123456.789, "123456.789" } } do
      local x, text = case[1], case[2]
      local json = encode({}, { x = x })
      assert.equal('{"x":' .. text .. "}", json)
      assert.equal(x, cjson.decode(json).x)
    end
  end)

  -- A double with a few decimals is written without snprintf (fmt_short in
  -- csrc/json.c); every double must still come out as the loop over
  -- "%.15g" to "%.17g" writes it, subnormals from "%.1g". The model here
  -- is that loop, with Lua's own format and tonumber.
  it("writes every float as the shortest %.Ng that reads back, short decimals and the rest alike", function()
    local function shortest(x)
      local from = (x ~= 0 and math.abs(x) < 2.2250738585072014e-308) and 1 or 15
      for p = from, 17 do
        local s = ("%." .. p .. "g"):format(x)
        if tonumber(s) == x then return s end
      end
      error("no %.Ng reads back as " .. ("%.17g"):format(x))
    end
    -- Before 5.3 an integral double below 2^53 is written as an integer.
    local function float(x)
      if math.type then return math.type(x) == "float" end
      return not (x == math.floor(x) and math.abs(x) < 2 ^ 53 and not (x == 0 and 1 / x < 0))
    end
    local values = {}
    local function add(x)
      if x == x and x ~= math.huge and x ~= -math.huge and float(x) then values[#values + 1] = x end
    end
    -- The doubles next to x, one unit in the last place away, where
    -- string.pack can tell.
    local function neighbours(x)
      if not string.pack or x == 0 then return end
      local bits = string.unpack("<i8", string.pack("<d", x))
      add((string.unpack("<d", string.pack("<i8", bits + 1))))
      add((string.unpack("<d", string.pack("<i8", bits - 1))))
    end
    for _, x in ipairs { 0.0, -0.0, 0.1, 0.8, -0.8, 0.5, 1e-4, 1e-5, 9.9999999999999e-5, 0.00010000000000001,
      0.00012345678, 123456.789, 2 ^ 53, -(2 ^ 53), 2 ^ 53 + 2, 2 ^ 52 + 0.5, 1e15, -1e15, 999999999999999.9,
      999999999999999.0, 99999999999999.99, 1e16, 1e14 + 0.5, 0.30000000000000004, 1 / 3, -2 / 3, 5e-324,
      2.2250738585072014e-308, 2.225073858507201e-308, 1e-310, 1.7976931348623157e308, 12.5, 0.05, 0.000123,
      0.12345678, 0.123456789, 1.23456789012345, 4503599627370495.5, 100000.0, 1e21, 3.0, -7.25 } do
      add(x)
      neighbours(x)
    end
    math.randomseed(20)
    local function digits(n)
      local t = {}
      for i = 1, n do t[i] = math.random(0, 9) end
      return table.concat(t)
    end
    for _ = 1, 30000 do
      -- a decimal of up to 17 digits, the point anywhere in it or before
      -- it, read as the double nearest to it
      local int, frac = digits(math.random(0, 9)), digits(math.random(0, 10))
      local text = (math.random(2) == 1 and "-" or "") .. (int == "" and "0" or int) .. "." .. frac .. "0"
      local x = tonumber(text)
      add(x)
      if math.random(4) == 1 then neighbours(x) end
      -- a decimal made by division, and an arbitrary double near it
      add(math.random(0, 999999) / 10 ^ math.random(0, 10))
      add((math.random() - 0.5) * 10 ^ math.random(-12, 18))
    end
    if string.pack then
      for _ = 1, 20000 do
        add((string.unpack("<d", string.pack("<I4I4", math.random(0, 2 ^ 32 - 1), math.random(0, 2 ^ 32 - 1)))))
      end
    end
    assert.truthy(#values > 80000, #values)
    for i = 1, #values, 1000 do
      local batch, want = {}, {}
      for j = i, math.min(i + 999, #values) do
        batch[#batch + 1] = values[j]
        want[#want + 1] = shortest(values[j])
      end
      if core.to_json(batch) ~= "[" .. table.concat(want, ",") .. "]" then
        for j, x in ipairs(batch) do
          local got = core.to_json({ x }):sub(2, -2)
          if jit and got ~= want[j] then
            -- LuaJIT formats numbers itself, not with the C library, and
            -- rounds an exact tie in the last digit up where C rounds it to
            -- even (1503142598073086.25 at "%.17g"): the model's text is
            -- then another of the same length that reads back the same.
            assert.equal(#want[j], #got, ("%.17g"):format(x))
            assert.equal(x, tonumber(got), ("%.17g"):format(x))
          else
            assert.equal(want[j], got, ("%.17g"):format(x))
          end
        end
      end
    end
    -- and through the request encoder, as a concept's scale
    assert.equal('{"concepts":[{"modelId":"m","scale":-0.85}]}',
      encode { concepts = { { modelId = "m", scale = -0.85 } } })
  end)

  it("escapes every string correctly", function()
    local s = 'q"b\\s/n\nr\rt\tb\bf\fc\1\31del\127é漢🙂'
    local json = encode { name = s }
    assert.equal('{"name":"q\\"b\\\\s/n\\nr\\rt\\tb\\bf\\fc\\u0001\\u001fdel\127é漢🙂"}', json)
    assert.equal(s, cjson.decode(json).name)
  end)

  it("escapes, counts and checks a character wherever it falls in a string", function()
    -- Strings are read 16 and 8 bytes at a time; each special byte must be
    -- seen at every offset, and at every distance from the end.
    local escaped = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\1"] = "\\u0001",
      ["\127"] = "\127", ["é"] = "é", ["🙂"] = "🙂" }
    for k = 0, 40 do
      for tail = 0, 20, 5 do
        local pre, post = ("a"):rep(k), ("b"):rep(tail)
        for c, e in pairs(escaped) do
          local extra = { x = pre .. c .. post }
          assert.equal('{"x":"' .. pre .. e .. post .. '"}', encode(nil, extra))
        end
        local chars = k + 1 + tail
        if chars <= 64 then
          assert.is_true(scenario.validate_create_model { name = pre .. "é" .. post })
        else
          assert.equal(("name: is %d characters long; the limit is 64"):format(chars),
            problem { name = pre .. "é" .. post })
        end
        assert.equal(("name: is not valid UTF-8 (bad byte at offset %d)"):format(k),
          problem { name = pre .. "\255" .. post })
        assert.equal(("name: contains a NUL byte at offset %d"):format(k), problem { name = pre .. "\0" .. post })
      end
    end
  end)

  it("writes pass-through values of every JSON type", function()
    local json = encode({ name = "x" }, { flag = true, off = false, none = scenario.null,
      list = { 1, "two", { 3 } }, obj = { k = "v" }, empty = {} })
    local back = cjson.decode(json)
    assert.equal("x", back.name)
    assert.equal(true, back.flag)
    assert.equal(false, back.off)
    assert.equal(cjson.null, back.none)
    assert.same({ 1, "two", { 3 } }, back.list)
    assert.same({ k = "v" }, back.obj)
    assert.truthy(json:find('"empty":{}', 1, true))
  end)

  it("is unaffected by the host's numeric locale", function()
    -- A locale whose decimal point is ',' must not leak into the JSON.
    local out = helper.run_lua_decimal_comma([[
      local core = require "scenario.core"
      io.write(core.encode("create_model", { concepts = { { modelId = "m", scale = 1.5 } } }, { x = 0.25 }))
    ]])
    assert.equal('{"concepts":[{"modelId":"m","scale":1.5}],"x":0.25}', out)
  end)
end)

describe("validation", function()
  it("accepts a full valid body and every model type", function()
    for _, t in ipairs(scenario.enums.model_type) do
      assert.is_true(scenario.validate_create_model {
        baseModelId = "flux.1-dev", classSlug = "characters-npcs-mobs-characters",
        collectionIds = { "c" }, concepts = { { modelId = "m", scale = 0.5, modelEpoch = "000002" } },
        name = "Cinematic Realism", shortDescription = "Detailed scenes.", type = t,
      })
    end
  end)

  it("refuses an unknown model type, with a suggestion", function()
    assert.equal('type: unknown value "flux.1-lroa" (did you mean "flux.1-lora"?)',
      problem { type = "flux.1-lroa" })
    assert.equal('type: unknown value "sdxl-lora" (did you mean "sd-xl-lora"?)',
      problem { type = "sdxl-lora" })
    assert.equal('type: unknown value "banana" (see scenario.enums.model_type)',
      problem { type = "banana" })
    -- Separators and case are ignored: four substitutions away, yet the same name.
    assert.equal('type: unknown value "FLUX_1_1_PRO_ULTRA" (did you mean "flux.1.1-pro-ultra"?)',
      problem { type = "FLUX_1_1_PRO_ULTRA" })
  end)

  it("refuses unknown keys, with a suggestion", function()
    assert.equal('nmae: unknown field (did you mean "name"?)', problem { nmae = "x" })
    assert.equal('collection_ids: unknown field (did you mean "collectionIds"?)',
      problem { collection_ids = {} })
    assert.equal('concepts[1].weight: unknown field', problem {
      concepts = { { modelId = "m", scale = 1, weight = 2 } } })
    assert.equal("foo: unknown field", problem { foo = 1 })
  end)

  it("counts maxLength in characters", function()
    assert.is_true(scenario.validate_create_model { name = ("é"):rep(64) })
    assert.is_true(scenario.validate_create_model { name = ("a"):rep(64) })
    assert.equal("name: is 65 characters long; the limit is 64", problem { name = ("é"):rep(65) })
    assert.is_true(scenario.validate_create_model { shortDescription = ("🙂"):rep(256) })
    assert.equal("shortDescription: is 257 characters long; the limit is 256",
      problem { shortDescription = ("x"):rep(257) })
  end)

  it("refuses strings that are not valid UTF-8 or hold NUL", function()
    assert.equal("name: is not valid UTF-8 (bad byte at offset 1)", problem { name = "a\255b" })
    assert.equal("name: is not valid UTF-8 (bad byte at offset 0)", problem { name = "\192\175" })
    assert.equal("name: is not valid UTF-8 (bad byte at offset 0)", problem { name = "\237\160\128" })
    assert.equal("name: is not valid UTF-8 (bad byte at offset 2)", problem { name = "ab\226\130" })
    assert.equal("name: contains a NUL byte at offset 3", problem { name = "abc\0def" })
  end)

  it("keeps scale within [-2, 2]", function()
    local function body(s) return { concepts = { { modelId = "m", scale = s } } } end
    assert.is_true(scenario.validate_create_model(body(-2)))
    assert.is_true(scenario.validate_create_model(body(2)))
    assert.is_true(scenario.validate_create_model(body(0)))
    assert.equal("concepts[1].scale: must be at most 2, got 2.0000000000000004",
      problem(body(2.0000000000000004)))
    assert.equal("concepts[1].scale: must be at least -2, got -3", problem(body(-3)))
    assert.equal("concepts[1].scale: must be a finite number, got nan", problem(body(0 / 0)))
    assert.equal("concepts[1].scale: must be a finite number, got inf", problem(body(math.huge)))
    assert.equal("concepts[1].scale: must be a finite number, got -inf", problem(body(-math.huge)))
  end)

  it("requires the required fields of nested objects", function()
    assert.same({ "concepts[2].modelId: is required", "concepts[2].scale: is required" },
      problems { concepts = { { modelId = "a", scale = 1 }, { modelEpoch = "x" } } })
  end)

  it("names the type it expected and the one it got", function()
    assert.equal("name: expected a string, got " .. compat.an_integer, problem { name = 42 })
    assert.equal("name: expected a string, got a number", problem { name = 4.5 })
    assert.equal("classSlug: expected a string, got a boolean", problem { classSlug = true })
    assert.equal("collectionIds: expected an array (a sequence table), got a string",
      problem { collectionIds = "c1" })
    assert.equal("collectionIds[2]: expected a string, got a table",
      problem { collectionIds = { "a", {} } })
    assert.equal("concepts[1]: expected a table, got a string", problem { concepts = { "m" } })
    assert.equal("concepts[1].scale: expected a number, got a string",
      problem { concepts = { { modelId = "m", scale = "1" } } })
    assert.equal("type: expected one of scenario.enums.model_type, got a function",
      problem { type = print })
  end)

  it("allows null only where the page does", function()
    assert.equal("name: may not be null", problem { name = scenario.null })
  end)

  it("refuses sparse and mixed tables where an array is expected", function()
    assert.equal("collectionIds: sparse array: index 2 is nil but index 3 is set",
      problem { collectionIds = { "a", nil, "c" } })
    assert.equal('collectionIds: expected an array, got a table with key "x"',
      problem { collectionIds = { "a", x = "b" } })
    assert.equal("collectionIds: expected an array, got a table with key 1.5",
      problem { collectionIds = { [1.5] = "a" } })
    assert.equal("collectionIds: expected an array, got a table with key 0",
      problem { collectionIds = { [0] = "a" } })
  end)

  it("refuses an array where the body's object is expected", function()
    assert.equal("unexpected key 1 (fields are named by strings)", problem { "name" })
  end)

  it("refuses a body that is not a table", function()
    for _, v in ipairs { 42, "body", true } do
      assert.equal("the body must be a table, got " .. (type(v) == "number" and compat.an_integer
        or type(v) == "string" and "a string" or "a boolean"), problem(v))
    end
  end)

  it("refuses tables with metatables, at any depth", function()
    local proxy = setmetatable({}, { __index = { name = "hidden" } })
    assert.equal("tables with a metatable are not accepted (they are read raw, "
      .. "so a proxy would lose its fields)", problem(proxy))
    local concept = setmetatable({ modelId = "m", scale = 1 }, {})
    assert.truthy(problem({ concepts = { concept } }):find("^concepts%[1%]: tables with a metatable"))
  end)

  it("runs no user code while describing a bad key", function()
    local called = false
    local key = setmetatable({}, { __tostring = function() called = true return "boom" end })
    assert.equal("unexpected key (a table) (fields are named by strings)", problem { [key] = 1 })
    assert.is_false(called)
  end)

  it("refuses cycles and excessive depth without crashing", function()
    local cyc = {}
    cyc.self = cyc
    assert.equal("extra_body.loop.self: this table contains itself (a cycle)",
      problem({}, { loop = cyc }))
    local deep = {}
    local t = deep
    for _ = 1, 10000 do
      t.next = {}
      t = t.next
    end
    local msg = problem({}, { deep = deep })
    assert.truthy(msg:find("nested deeper than 64 levels", 1, true), msg)
  end)

  it("accepts deep nesting below the limit and writes it intact", function()
    local root = {}
    local t = root
    for i = 1, 60 do
      t.n = { i = i }
      t = t.n
    end
    local json = assert(encode({}, { root = root }))
    local back = cjson.decode(json).root
    for i = 1, 60 do
      back = back.n
      assert.equal(i, back.i)
    end
  end)

  it("collects every problem before answering", function()
    local list, err = problems {
      name = 1, type = "nope", concepts = { { scale = 9 } }, extra = true, collectionIds = { 1 },
    }
    assert.same({
      "collectionIds[1]: expected a string, got " .. compat.an_integer,
      "concepts[1].modelId: is required",
      "concepts[1].scale: must be at most 2, got 9",
      "name: expected a string, got " .. compat.an_integer,
      'type: unknown value "nope" (see scenario.enums.model_type)',
      "extra: unknown field",
    }, list)
    assert.equal(6, err.error_count)
    assert.equal("scenario: validation: 6 problems in the request: " .. table.concat(list, "; "),
      tostring(err))
  end)

  it("caps the list but keeps the count", function()
    local body = {}
    for i = 1, 100 do body["k" .. i] = i end
    local list, err = problems(body)
    assert.equal(64, #list)
    assert.equal(100, err.error_count)
    assert.truthy(tostring(err):find("; and 36 more$"))
  end)
end)

describe("pass-through fields (extra_body)", function()
  it("are off by default: an unknown field is refused", function()
    assert.equal('baseModelID: unknown field (did you mean "baseModelId"?)',
      problem { baseModelID = "x" })
  end)

  it("send fields and enum values this version does not know, unvalidated", function()
    assert.equal('{"name":"n","type":"flux.3-lora"}',
      encode({ name = "n" }, { type = "flux.3-lora" }))
    assert.is_true(scenario.validate_create_model({}, nil, { extra_body = { newField = { 1, 2 } } }))
  end)

  it("refuse a field set in both places", function()
    assert.equal("extra_body.name: is also set in the body; set it in one place",
      problem({ name = "a" }, { name = "b" }))
  end)

  it("must still be encodable as JSON", function()
    assert.equal("extra_body.f: a function cannot be sent as JSON", problem({}, { f = print }))
    assert.equal("extra_body.x: must be a finite number, got nan", problem({}, { x = 0 / 0 }))
    assert.equal("extra_body.m: cannot be sent as JSON: a table needs all string keys (an object) "
      .. "or the keys 1..n (an array)", problem({}, { m = { 1, k = 2 } }))
    assert.equal("extra_body.f: cannot be sent as JSON: a table needs all string keys (an object) "
      .. "or the keys 1..n (an array)", problem({}, { f = { [1.5] = 1 } }))
    assert.equal("extra_body.s: sparse array: index 2 is nil but index 3 is set",
      problem({}, { s = { 1, nil, 3 } }))
    assert.equal("extra_body.u: is not valid UTF-8 (bad byte at offset 0)",
      problem({}, { u = "\255" }))
  end)
end)
