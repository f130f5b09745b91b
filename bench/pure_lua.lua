-- What a Lua user would write instead of scenario.core: the same checks
-- on a create body in plain Lua, then cjson.encode. Used as the peer in
-- the validate+encode benchmark.
local cjson = require "cjson"

local model_types = {}
for _, t in ipairs(require("scenario").enums.model_type) do model_types[t] = true end

local function is_sequence(t)
  local n = #t
  local count = 0
  for k in next, t do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local function check_string(errs, path, v, max)
  if type(v) ~= "string" then errs[#errs + 1] = { path = path, message = "expected a string" } return end
  local n = utf8.len(v)
  if not n then errs[#errs + 1] = { path = path, message = "is not valid UTF-8" } return end
  if v:find("\0", 1, true) then errs[#errs + 1] = { path = path, message = "contains a NUL byte" } return end
  if max and n > max then errs[#errs + 1] = { path = path, message = "too long" } end
end

local function check_table(errs, path, v)
  if type(v) ~= "table" then errs[#errs + 1] = { path = path, message = "expected a table" } return false end
  if getmetatable(v) then errs[#errs + 1] = { path = path, message = "has a metatable" } return false end
  return true
end

local body_keys = { baseModelId = true, classSlug = true, collectionIds = true, concepts = true,
  name = true, shortDescription = true, type = true }
local concept_keys = { modelId = true, scale = true, modelEpoch = true }

local function validate(body)
  local errs = {}
  if not check_table(errs, "", body) then return errs end
  for k in next, body do
    if not body_keys[k] then errs[#errs + 1] = { path = tostring(k), message = "unknown field" } end
  end
  if body.baseModelId ~= nil then check_string(errs, "baseModelId", body.baseModelId) end
  if body.classSlug ~= nil and body.classSlug ~= cjson.null then check_string(errs, "classSlug", body.classSlug) end
  if body.name ~= nil then check_string(errs, "name", body.name, 64) end
  if body.shortDescription ~= nil then check_string(errs, "shortDescription", body.shortDescription, 256) end
  if body.type ~= nil then
    check_string(errs, "type", body.type)
    if not model_types[body.type] then errs[#errs + 1] = { path = "type", message = "unknown value" } end
  end
  local ids = body.collectionIds
  if ids ~= nil and check_table(errs, "collectionIds", ids) then
    if not is_sequence(ids) then errs[#errs + 1] = { path = "collectionIds", message = "not an array" } end
    for i = 1, #ids do check_string(errs, "collectionIds[" .. i .. "]", ids[i]) end
  end
  local concepts = body.concepts
  if concepts ~= nil and check_table(errs, "concepts", concepts) then
    if not is_sequence(concepts) then errs[#errs + 1] = { path = "concepts", message = "not an array" } end
    for i = 1, #concepts do
      local c, p = concepts[i], "concepts[" .. i .. "]"
      if check_table(errs, p, c) then
        for k in next, c do
          if not concept_keys[k] then
            errs[#errs + 1] = { path = p .. "." .. tostring(k), message = "unknown field" }
          end
        end
        check_string(errs, p .. ".modelId", c.modelId)
        local s = c.scale
        if type(s) ~= "number" or s ~= s or s < -2 or s > 2 then
          errs[#errs + 1] = { path = p .. ".scale", message = "must be a number in [-2, 2]" }
        end
        if c.modelEpoch ~= nil then check_string(errs, p .. ".modelEpoch", c.modelEpoch) end
      end
    end
  end
  return errs
end

--- Validates, then encodes with cjson: the JSON, or nil and the problems.
return function(body)
  local errs = validate(body)
  if #errs > 0 then return nil, errs end
  return cjson.encode(body)
end
