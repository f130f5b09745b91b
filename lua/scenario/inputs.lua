--- A generation's body checked against the model's `inputs` (the list
-- its record carries, from `get_model`): every key the name of an input,
-- every value of its input's type, within its `min` and `max`, its
-- `maxLength` (characters of a string, items of an array) and its
-- `allowedValues`, and every required input given. A body that passes
-- may still be refused by the API (inputs that depend on each other);
-- one that fails would be, and costs nothing when caught here.
-- @module scenario.inputs
-- @local
local core = require "scenario.core"
local errors = require "scenario.errors"

local M = {}

-- The type an element of an array input has.
local element = {
  file_array = "file", model_array = "model", number_array = "number", string_array = "string",
  inputs_array = "object",
}

-- How many characters a string holds (UTF-8), on every Lua.
local function chars(s)
  return select(2, s:gsub("[^\128-\191]", ""))
end

local function is_array(v)
  if type(v) ~= "table" then return false end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  for i = 1, n do
    if v[i] == nil then return false end
  end
  return true, n
end

-- A bound from the server, as text: 3, not 3.0, and 1.5 as it is.
local function num(x)
  return ("%.14g"):format(x)
end

local function number_ok(v)
  return type(v) == "number" and v == v and v > -math.huge and v < math.huge
end

-- Problems of the value v of input at path, into out.
local function check_value(out, path, input, v, typ)
  local function fail(fmt, ...) out[#out + 1] = { path = path, message = fmt:format(...) } end
  if typ == "boolean" then
    if type(v) ~= "boolean" then fail("expected a boolean, got %s", type(v)) end
  elseif typ == "number" then
    if not number_ok(v) then
      return fail("expected a finite number, got %s", type(v) == "number" and tostring(v) or type(v))
    end
    local min, max = input.min, input.max
    if type(min) == "number" and v < min then fail("must be at least %s, got %s", num(min), num(v)) end
    if type(max) == "number" and v > max then fail("must be at most %s, got %s", num(max), num(v)) end
  elseif typ == "string" or typ == "file" or typ == "model" then
    if type(v) ~= "string" then return fail("expected a string, got %s", type(v)) end
    if typ == "string" and type(input.maxLength) == "number" and chars(v) > input.maxLength then
      fail("is %d characters long; at most %s", chars(v), num(input.maxLength))
    end
  elseif typ == "object" then
    if type(v) ~= "table" then fail("expected an object, got %s", type(v)) end
    return
  else
    return
  end
  -- models.retrieve.md: allowedValues, for string or number types.
  if type(input.allowedValues) == "table" and input.allowedValues[1] ~= nil then
    for _, a in ipairs(input.allowedValues) do
      if a == v then return end
    end
    local names = {}
    for i, a in ipairs(input.allowedValues) do names[i] = tostring(a) end
    local hint = type(v) == "string" and core.suggest(v, names)
    fail("%s is not one of %s%s", type(v) == "string" and ("%q"):format(v) or tostring(v), table.concat(names, ", "),
      hint and ("; did you mean '" .. hint .. "'?") or "")
  end
end

--- The problems of body against inputs: a list of `{path, message}`
-- (empty when it passes). An input of a type not known here is taken as
-- it is.
-- @tparam table inputs the model's `inputs`
-- @tparam table body the generation's body
-- @treturn table problems
function M.problems(inputs, body)
  local out, by_name, names = {}, {}, {}
  for _, input in ipairs(inputs) do
    if type(input) == "table" and type(input.name) == "string" then
      by_name[input.name] = input
      names[#names + 1] = input.name
    end
  end
  table.sort(names)
  if type(body) ~= "table" then
    return { { path = "", message = ("expected a table, got %s"):format(type(body)) } }
  end
  local keys = {}
  for k in pairs(body) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local v, input = body[k], by_name[k]
    if type(k) ~= "string" then
      out[#out + 1] = { path = "", message = ("unexpected key %s (inputs are named by strings)"):format(tostring(k)) }
    elseif not input then
      local hint = core.suggest(k, names)
      out[#out + 1] = { path = k, message = ("is not an input of this model%s"):format(
        hint and ("; did you mean '" .. hint .. "'?") or "") }
    elseif v ~= core.null then
      local typ = input.type
      if element[typ] then
        local ok, n = is_array(v)
        if not ok then
          out[#out + 1] = { path = k, message = ("expected an array, got %s"):format(type(v)) }
        else
          if type(input.maxLength) == "number" and n > input.maxLength then
            out[#out + 1] = { path = k, message = ("has %d items; at most %s"):format(n, num(input.maxLength)) }
          end
          for i = 1, n do check_value(out, ("%s[%d]"):format(k, i), input, v[i], element[typ]) end
        end
      else
        check_value(out, k, input, v, typ)
      end
    end
  end
  for _, name in ipairs(names) do
    local req = by_name[name].required
    local required = req == true or (type(req) == "table" and req.always == true)
    if required and (body[name] == nil or body[name] == core.null) then
      out[#out + 1] = { path = name, message = "is required but missing" }
    end
  end
  return out
end

--- The validation error for problems (M.problems), as the core makes one
-- for a body that breaks the schema: nothing was sent.
function M.error(problems)
  local shown = {}
  for i = 1, math.min(#problems, 64) do shown[i] = problems[i] end
  return errors.new("validation", ("%d problem%s in the request (the model's inputs): %s"):format(#problems,
    #problems == 1 and "" or "s", errors.list_problems(shown, #problems)),
    { errors = shown, error_count = #problems, attempts = 0 })
end

return M
