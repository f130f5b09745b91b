-- Every numeric and length limit of the schema, checked against the
-- reference pages rather than against the schema itself: the table below
-- is transcribed from the pages (which CI does not have), each row naming
-- its page and field, and the validators must refuse each limit's first
-- refused value and accept its edge. A bound moved in csrc/schema_*.c
-- moves the validator but not this table, so it fails here.
local scenario = require "scenario"
local core = require "scenario.core"
local compat = require "spec.support.compat"

local POST = "POST-models.md"
local LIST = "reference/models.list.md"
local TRIGGER = "reference/models.train.trigger.md"
local TRAINED = { "train_model", "update_model" } -- models.train.trigger.md and models.update.md: parameters
local TXT2IMG = "reference/generate.txt2img.md"
local IMG2IMG = "reference/generate.img2img.md"

-- key: the field as "<schema class>.<path inside it>" (core.schema's type
-- names); page and field: where the limit is printed; min (exclusive when
-- `exclusive`), max, max_length: the page's numbers; sent_by: the
-- endpoints whose request carries the field (none: it is only ever read).
local rows = {
  { key = "CreateModelBody.name", page = POST, field = "name: maxLength64",
    max_length = 64, sent_by = { "create_model" } },
  { key = "CreateModelBody.shortDescription", page = POST, field = "shortDescription: maxLength256",
    max_length = 256, sent_by = { "create_model" } },
  -- models.update.md prints no limits; these are the same fields of the same model.
  { key = "UpdateModelBody.name", page = POST, field = "name: maxLength64",
    max_length = 64, sent_by = { "update_model" } },
  { key = "UpdateModelBody.shortDescription", page = POST, field = "shortDescription: maxLength256",
    max_length = 256, sent_by = { "update_model" } },
  -- generate.txt2img.md and generate.img2img.md print the same: "(minimum: -2.0; maximum: 2.0)".
  { key = "Concept.scale", page = POST, field = "concepts[].scale: maximum2 minimum-2",
    min = -2, max = 2, sent_by = { "create_model", "update_model", "generate_txt2img", "generate_img2img" } },
  { key = "TrainingParameters.batchSize", page = POST, field = "parameters.batchSize: maximum4 minimum1",
    min = 1, max = 4, sent_by = TRAINED },
  { key = "TrainingParameters.learningRate", page = POST,
    field = "parameters.learningRate: exclusiveMinimum minimum0",
    min = 0, exclusive = true, sent_by = TRAINED },
  { key = "TrainingParameters.learningRateTextEncoder", page = POST,
    field = "parameters.learningRateTextEncoder: exclusiveMinimum maximum0.001 minimum0",
    min = 0, exclusive = true, max = 0.001, sent_by = TRAINED },
  { key = "TrainingParameters.learningRateUnet", page = POST,
    field = "parameters.learningRateUnet: exclusiveMinimum minimum0",
    min = 0, exclusive = true, sent_by = TRAINED },
  { key = "TrainingParameters.maxTrainSteps", page = POST,
    field = "parameters.maxTrainSteps: maximum40000 minimum0", min = 0, max = 40000, sent_by = TRAINED },
  { key = "TrainingParameters.nbEpochs", page = POST, field = "parameters.nbEpochs: maximum30 minimum1",
    min = 1, max = 30, sent_by = TRAINED },
  { key = "TrainingParameters.nbRepeats", page = POST, field = "parameters.nbRepeats: maximum30 minimum1",
    min = 1, max = 30, sent_by = TRAINED },
  { key = "TrainingParameters.numTextTrainSteps", page = POST,
    field = "parameters.numTextTrainSteps: maximum40000 minimum0", min = 0, max = 40000, sent_by = TRAINED },
  { key = "TrainingParameters.numUNetTrainSteps", page = POST,
    field = "parameters.numUNetTrainSteps: maximum40000 minimum0", min = 0, max = 40000, sent_by = TRAINED },
  -- The page prints "maximum1.7976931348623157": DBL_MAX with its "e+308"
  -- lost in rendering (a weight of 2 is not out of range).
  { key = "TrainingParameters.priorLossWeight", page = POST,
    field = "parameters.priorLossWeight: exclusiveMinimum maximum1.7976931348623157 minimum0",
    min = 0, exclusive = true, max = 1.7976931348623157e308, sent_by = TRAINED },
  { key = "TrainingParameters.randomCropRatio", page = POST,
    field = "parameters.randomCropRatio: maximum1 minimum0", min = 0, max = 1, sent_by = TRAINED },
  { key = "TrainingParameters.randomCropScale", page = POST,
    field = "parameters.randomCropScale: maximum1 minimum0", min = 0, max = 1, sent_by = TRAINED },
  { key = "TrainingParameters.rank", page = POST, field = "parameters.rank: maximum128 minimum2",
    min = 2, max = 128, sent_by = TRAINED },
  { key = "TrainingParameters.seed", page = POST, field = "parameters.seed: maximum9007199254740991 minimum0",
    min = 0, max = 9007199254740991, sent_by = TRAINED },
  { key = "TrainingParameters.textEncoderTrainingRatio", page = POST,
    field = "parameters.textEncoderTrainingRatio: maximum0.99 minimum0", min = 0, max = 0.99, sent_by = TRAINED },
  { key = "TrainingParameters.validationFrequency", page = POST,
    field = "parameters.validationFrequency: minimum0", min = 0, sent_by = TRAINED },
  { key = "TrainingParameters.wandbKey", page = POST,
    field = "parameters.wandbKey: \"The maximum length is 40 characters\"", max_length = 40, sent_by = TRAINED },
  { key = "ListModelsQuery.pageSize", page = LIST,
    field = "pageSize: \"maximum value is 500, minimum value is 1\"", min = 1, max = 500, sent_by = { "list_models" } },
  { key = "Txt2imgBody.guidance", page = TXT2IMG,
    field = "guidance: \"(minimum: 0.0; maximum: 20.0)\"", min = 0, max = 20, sent_by = { "generate_txt2img" } },
  { key = "Txt2imgBody.height", page = TXT2IMG,
    field = "height: \"(minimum: 64.0; maximum: 2048.0)\"", min = 64, max = 2048, sent_by = { "generate_txt2img" } },
  { key = "Txt2imgBody.negativePromptStrength", page = TXT2IMG,
    field = "negativePromptStrength: \"(minimum: 0.0; maximum: 10.0)\"",
    min = 0, max = 10, sent_by = { "generate_txt2img" } },
  { key = "Txt2imgBody.numInferenceSteps", page = TXT2IMG,
    field = "numInferenceSteps: \"(minimum: 1.0; maximum: 150.0)\"",
    min = 1, max = 150, sent_by = { "generate_txt2img" } },
  { key = "Txt2imgBody.numSamples", page = TXT2IMG,
    field = "numSamples: \"(minimum: 1.0; maximum: 128.0)\"", min = 1, max = 128, sent_by = { "generate_txt2img" } },
  { key = "Txt2imgBody.width", page = TXT2IMG,
    field = "width: \"(minimum: 64.0; maximum: 2048.0)\"", min = 64, max = 2048, sent_by = { "generate_txt2img" } },
  { key = "Img2imgBody.guidance", page = IMG2IMG,
    field = "guidance: \"(minimum: 0.0; maximum: 20.0)\"", min = 0, max = 20, sent_by = { "generate_img2img" } },
  { key = "Img2imgBody.height", page = IMG2IMG,
    field = "height: \"(minimum: 64.0; maximum: 2048.0)\"", min = 64, max = 2048, sent_by = { "generate_img2img" } },
  { key = "Img2imgBody.negativePromptStrength", page = IMG2IMG,
    field = "negativePromptStrength: \"(minimum: 0.0; maximum: 10.0)\"",
    min = 0, max = 10, sent_by = { "generate_img2img" } },
  { key = "Img2imgBody.numInferenceSteps", page = IMG2IMG,
    field = "numInferenceSteps: \"(minimum: 1.0; maximum: 150.0)\"",
    min = 1, max = 150, sent_by = { "generate_img2img" } },
  { key = "Img2imgBody.numSamples", page = IMG2IMG,
    field = "numSamples: \"(minimum: 1.0; maximum: 128.0)\"", min = 1, max = 128, sent_by = { "generate_img2img" } },
  { key = "Img2imgBody.width", page = IMG2IMG,
    field = "width: \"(minimum: 64.0; maximum: 2048.0)\"", min = 64, max = 2048, sent_by = { "generate_img2img" } },
  { key = "Img2imgBody.strength", page = IMG2IMG,
    field = "strength: \"(minimum: 0.01; maximum: 1.0)\"", min = 0.01, max = 1, sent_by = { "generate_img2img" } },
  { key = "ListJobsQuery.pageSize", page = "reference/jobs.list.md",
    field = "pageSize: \"maximum value is 200, minimum value is 1\"", min = 1, max = 200, sent_by = { "list_jobs" } },
  -- Only in answers, which are read without enforcing limits: their rows
  -- are checked against the schema's declared limits (the editor types).
  { key = "Model.inputs[].step", page = POST, field = "inputs[].step: minimum1", min = 1, sent_by = {} },
  { key = "Model.trainingProgress.progress", page = POST,
    field = "trainingProgress.progress: maximum1 minimum0", min = 0, max = 1, sent_by = {} },
  -- jobs.retrieve.md prints the same for the same Job object: "Progress of the job (between 0 and 1)".
  { key = "Job.progress", page = TRIGGER, field = "job.progress: \"Progress of the job (between 0 and 1)\"",
    min = 0, max = 1, sent_by = {} },
  -- The inference the two generations echo (img2img's: "the same shape as for txt2img").
  { key = "Inference.guidance", page = TXT2IMG,
    field = "guidance: \"(minimum: 0.0; maximum: 20.0)\"", min = 0, max = 20, sent_by = {} },
  { key = "Inference.height", page = TXT2IMG,
    field = "height: \"(minimum: 64.0; maximum: 2048.0)\"", min = 64, max = 2048, sent_by = {} },
  { key = "Inference.negativePromptStrength", page = TXT2IMG,
    field = "negativePromptStrength: \"(minimum: 0.0; maximum: 10.0)\"", min = 0, max = 10, sent_by = {} },
  { key = "Inference.numInferenceSteps", page = TXT2IMG,
    field = "numInferenceSteps: \"(minimum: 1.0; maximum: 150.0)\"", min = 1, max = 150, sent_by = {} },
  { key = "Inference.numSamples", page = TXT2IMG,
    field = "numSamples: \"(minimum: 1.0; maximum: 128.0)\"", min = 1, max = 128, sent_by = {} },
  { key = "Inference.width", page = TXT2IMG,
    field = "width: \"(minimum: 64.0; maximum: 2048.0)\"", min = 64, max = 2048, sent_by = {} },
  { key = "Asset.outputIndex", page = "reference/assets.retrieve.md",
    field = "outputIndex: \"This index is an positive integer that starts at 0\"", min = 0, sent_by = {} },
  { key = "Finding.confidence", page = TRIGGER,
    field = "ipDetection.findings[].confidence: \"Confidence score from 0 (low) to 1 (high).\"",
    min = 0, max = 1, sent_by = {} },
}

-- ---- the schema, as the generators read it (core.schema) --------------------

-- Every field of every endpoint's types, by key, with each place it occurs:
-- {ep, role, steps}, steps leading from the role's type to the field
-- ({obj = type, field = name} or {array = true}).
local function schema_fields()
  local found, order = {}, {}
  local function walk(t, owner, rel, ep, role, steps, stack)
    if stack[t] then return end
    stack[t] = true
    if t.kind == "object" and t.name then owner, rel = t.name, "" end
    if t.items then
      steps[#steps + 1] = { array = true }
      walk(t.items, owner, rel .. "[]", ep, role, steps, stack)
      steps[#steps] = nil
    end
    for _, f in ipairs(t.fields or {}) do
      local key = owner .. rel .. "." .. f.name
      if not found[key] then
        found[key] = { type = f.type, at = {} }
        order[#order + 1] = key
      end
      steps[#steps + 1] = { obj = t, field = f.name }
      local copy = {}
      for i, s in ipairs(steps) do copy[i] = s end
      local at = found[key].at
      at[#at + 1] = { ep = ep, role = role, steps = copy }
      walk(f.type, owner, rel .. "." .. f.name, ep, role, steps, stack)
      steps[#steps] = nil
    end
    stack[t] = nil
  end
  for _, ep in ipairs(core.schema()) do
    for _, role in ipairs { "body", "query", "response" } do
      if ep[role] then walk(ep[role], "?", "", ep.name, role, {}, {}) end
    end
  end
  return found, order
end

local fields, field_order = schema_fields()

local row_of = {}
for _, row in ipairs(rows) do row_of[row.key] = row end

-- ---- values at and beyond a limit --------------------------------------------

-- The double next to x towards dir (1 or -1).
local function next_double(x, dir)
  if x == 0 then return dir * 2 ^ -1074 end
  local a, e = math.abs(x), 0
  while 2 ^ e > a do e = e - 1 end
  while 2 ^ (e + 1) <= a do e = e + 1 end
  local toward_zero = (x > 0) ~= (dir > 0)
  local step = 2 ^ math.max(e - ((toward_zero and a == 2 ^ e) and 53 or 52), -1074)
  local n = x + dir * step
  assert(n ~= x and ((x + n) / 2 == x or (x + n) / 2 == n or n == dir * math.huge), "no next double")
  return n
end

-- How fmt_double prints a bound in a message: the shortest %.Ng from 15 on.
local function shortest(x)
  for digits = 15, 17 do
    local s = ("%." .. digits .. "g"):format(x)
    if tonumber(s) == x then return s end
  end
end

-- x as each kind of Lua number it can be (an integer and a float on 5.3+).
local function as_numbers(x)
  local list = { x + 0.0 }
  local i = math.tointeger and math.abs(x) < 2 ^ 53 and math.tointeger(x)
  if i then list[#list + 1] = i end
  return list
end

-- A value the validator takes for a required field the test does not aim at.
local function filler(t, key)
  if t.kind == "string" then return t.enum and scenario.enums[t.enum][1] or "x" end
  if t.kind == "boolean" then return true end
  if t.kind == "number" then
    local row = row_of[key]
    if row and row.min and not row.exclusive then return row.min end
    return row and row.max or 1
  end
  error("no filler for a required " .. t.kind .. " (" .. key .. "): add one")
end

-- The request value with v at steps[i..], every required field on the way set.
local function build(steps, i, v, owner)
  local s = steps[i]
  if not s then return v end
  if s.array then return { build(steps, i + 1, v, owner) } end
  local obj, name = {}, s.obj.name or owner
  for _, f in ipairs(s.obj.fields) do
    if f.required and f.name ~= s.field then obj[f.name] = filler(f.type, name .. "." .. f.name) end
  end
  obj[s.field] = build(steps, i + 1, v, name)
  return obj
end

local function path_of(at)
  local p = at.role == "query" and "query" or ""
  for _, s in ipairs(at.steps) do
    p = s.array and (p .. "[1]") or (p == "" and s.field or (p .. "." .. s.field))
  end
  return p
end

local endpoint = {}
for _, ep in ipairs(core.endpoints) do endpoint[ep.name] = ep end

-- scenario.validate_<ep> with v at the occurrence `at`.
local function validate(at, v)
  local ep = endpoint[at.ep]
  local args, n = {}, 0
  for _ = 1, #ep.params do
    n = n + 1
    args[n] = "model_x"
  end
  local value = build(at.steps, 1, v, "?")
  if ep.takes_body then
    n = n + 1
    args[n] = at.role == "body" and value or nil
  end
  n = n + 1
  args[n] = at.role == "query" and value or nil
  return scenario["validate_" .. at.ep](compat.unpack(args, 1, n))
end

local function describe_value(v)
  if type(v) == "string" then return #v .. " bytes" end
  return ("%s (%s)"):format(shortest(v) or tostring(v), math.type and math.type(v) or "number")
end

local function accepted(row, at, v)
  local ok, err = validate(at, v)
  assert(ok, ("%s (%s: %s): %s at %s is refused: %s"):format(row.key, row.page, row.field,
    describe_value(v), at.ep, tostring(err)))
end

local function refused(row, at, v, message)
  local ok, err = validate(at, v)
  assert(not ok, ("%s (%s: %s): %s at %s is accepted"):format(row.key, row.page, row.field, describe_value(v), at.ep))
  assert.equal("validation", err.kind)
  assert.equal(path_of(at), err.errors[1].path)
  local got = err.errors[1].message
  assert(got:sub(1, #message) == message, ("%s at %s: expected %q..., got %q"):format(row.key, at.ep, message, got))
end

-- The message that refuses v for being beyond bound.
local function beyond(rel, bound, v)
  if v ~= v or v == math.huge or v == -math.huge then return "must be a finite number, got " end
  return ("must be %s %s, got "):format(rel, shortest(bound))
end

local function requests(row)
  local list = {}
  for _, at in ipairs(fields[row.key] and fields[row.key].at or {}) do
    if at.role ~= "response" then list[#list + 1] = at end
  end
  return list
end

describe("the pages' limits", function()
  it("every bounded field of the schema has a row, and every row a field with the page's limits", function()
    local missing = {}
    for _, key in ipairs(field_order) do
      local t = fields[key].type
      if (t.min or t.max or t.max_length) and not row_of[key] then missing[#missing + 1] = key end
    end
    assert.same({}, missing)
    for _, row in ipairs(rows) do
      local f = fields[row.key]
      assert(f, row.key .. ": not a field of the schema")
      local t = f.type
      local declared = { min = t.min, max = t.max, exclusive = t.exclusive_min or nil, max_length = t.max_length }
      local page = { min = row.min, max = row.max, exclusive = row.exclusive, max_length = row.max_length }
      assert.same(page, declared, ("%s (%s: %s)"):format(row.key, row.page, row.field))
    end
  end)

  it("every row is in the requests its pages say, and only there", function()
    for _, row in ipairs(rows) do
      local eps, seen = {}, {}
      for _, at in ipairs(requests(row)) do
        if not seen[at.ep] then
          seen[at.ep] = true
          eps[#eps + 1] = at.ep
        end
      end
      table.sort(eps)
      local want = {}
      for i, e in ipairs(row.sent_by) do want[i] = e end
      table.sort(want)
      assert.same(want, eps, row.key)
    end
  end)

  it("finds the next double on both sides", function()
    assert.equal(1 + 2 ^ -52, next_double(1, 1))
    assert.equal(1 - 2 ^ -53, next_double(1, -1))
    assert.equal(2 - 2 ^ -52, next_double(2, -1))
    assert.equal(-2 - 2 ^ -51, next_double(-2, -1))
    assert.equal(2 ^ -1074, next_double(0, 1))
    assert.equal(math.huge, next_double(1.7976931348623157e308, 1))
    assert.is_true(next_double(0.99, 1) > 0.99 and next_double(0.001, 1) > 0.001)
  end)

  for _, row in ipairs(rows) do
    if #row.sent_by > 0 then
      it(("%s: %s, %s"):format(row.key, row.page, row.field), function()
        local places = requests(row)
        assert.is_true(#places > 0)
        for _, at in ipairs(places) do
          if row.min and row.exclusive then
            for _, v in ipairs(as_numbers(row.min)) do refused(row, at, v, beyond("greater than", row.min, v)) end
            accepted(row, at, next_double(row.min, 1))
          elseif row.min then
            for _, v in ipairs(as_numbers(row.min)) do accepted(row, at, v) end
            local below = next_double(row.min, -1)
            refused(row, at, below, beyond("at least", row.min, below))
            if row.min == math.floor(row.min) then
              for _, v in ipairs(as_numbers(row.min - 1)) do refused(row, at, v, beyond("at least", row.min, v)) end
            end
          end
          if row.max then
            for _, v in ipairs(as_numbers(row.max)) do accepted(row, at, v) end
            local above = next_double(row.max, 1)
            refused(row, at, above, beyond("at most", row.max, above))
            if row.max == math.floor(row.max) and row.max + 1 ~= row.max then
              for _, v in ipairs(as_numbers(row.max + 1)) do refused(row, at, v, beyond("at most", row.max, v)) end
            end
          end
          if row.max_length then
            for _, unit in ipairs { "a", "é", "漢" } do
              accepted(row, at, unit:rep(row.max_length))
              refused(row, at, unit:rep(row.max_length + 1),
                ("is %d characters long; the limit is %d"):format(row.max_length + 1, row.max_length))
            end
          end
        end
      end)
    end
  end
end)
