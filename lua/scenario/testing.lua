--- A stand-in for the Scenario API's /models resource, for tests and
-- demos: it holds models in memory and answers every endpoint of the
-- client's table with the documented shapes.
--
-- `stand_in:handle(method, path, query, body)` answers one request; it
-- needs no network. The specs' replay server (and `make demo`) serve it
-- over HTTP on 127.0.0.1.
-- @module scenario.testing
local core = require "scenario.core"

local M = {}

local StandIn = {}
StandIn.__index = StandIn

-- The routes: each endpoint's method and path (under base_path) as a
-- pattern that captures its path parameters.
local function routes(base_path)
  local list = {}
  for _, ep in ipairs(core.endpoints) do
    local pattern = "^" .. (base_path .. ep.path):gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
      :gsub("{[^}]*}", "([^/]+)") .. "$"
    list[#list + 1] = { method = ep.method, pattern = pattern, name = ep.name }
  end
  return list
end

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function parse_query(q)
  local t = {}
  for k, v in (q or ""):gmatch("([^&=]+)=?([^&]*)") do t[unescape(k)] = unescape(v) end
  return t
end

--- Makes a stand-in with no models.
-- @tparam[opt] table opts `base_path` (default `"/v1"`): where the API's
--   paths start; `model`: a model object that every new model starts as a
--   copy of (its id, timestamps and what the create body sets are the new
--   model's own)
-- @treturn table the stand-in
function M.new(opts)
  opts = opts or {}
  return setmetatable({
    template = opts.model,
    models = {},    -- by id
    order = {},     -- ids, oldest first
    made = 0,       -- models ever made, for their ids
    clock = 0,      -- a counter for the timestamps
    routes = routes(opts.base_path or "/v1"),
  }, StandIn)
end

local function now_iso(self)
  self.clock = self.clock + 1
  return ("2026-01-01T00:00:%02d.%03dZ"):format(math.floor(self.clock / 1000) % 60, self.clock % 1000)
end

local function json(status, value)
  return status, { ["Content-Type"] = "application/json" }, assert(core.to_json(value))
end

local function not_found(message)
  return json(404, { statusCode = 404, error = "Not Found", message = message })
end

local function bad_request(message)
  return json(400, { status = "error", code = "INVALID_PARAMETER", message = message })
end

-- A new model, as POST /models makes one: every field the model object
-- requires, and what the body set.
local function copy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = copy(x) end
  return c
end

local function new_model(self, body)
  self.made = self.made + 1
  local at = now_iso(self)
  local model = copy(self.template) or {
    capabilities = { "txt2img" }, collectionIds = {}, custom = true, exampleAssetIds = {},
    privacy = "private", source = "scenario", status = "new", tags = {}, trainingImagesNumber = 0,
    type = "custom",
  }
  model.id = ("model_standin%06d"):format(self.made)
  model.createdAt, model.updatedAt = at, at
  model.trainingImages = model.trainingImages or {}
  for k, v in pairs(type(body) == "table" and body or {}) do
    if v ~= core.null then model[k] = v end
  end
  return model
end

local handlers = {}

function handlers.create_model(self, _, _, body)
  local model = new_model(self, body)
  self.models[model.id] = model
  self.order[#self.order + 1] = model.id
  return json(200, { model = model })
end

local function find(self, id)
  local model = self.models[id]
  if not model then return nil, not_found(("Model %s not found"):format(id)) end
  return model
end

function handlers.get_model(self, params)
  local model, status, headers, body = find(self, params[1])
  if not model then return status, headers, body end
  return json(200, { model = model })
end

function handlers.list_models(self, _, query)
  local size = tonumber(query.pageSize) or 100
  local from = tonumber(query.paginationToken) or 1
  local page = {}
  for i = from, math.min(#self.order, from + size - 1) do page[#page + 1] = self.models[self.order[i]] end
  local doc = { models = page }
  if from + size <= #self.order then doc.nextPaginationToken = tostring(from + size) end
  return json(200, doc)
end

function handlers.update_model(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  for k, v in pairs(type(body) == "table" and body or {}) do
    if v == core.null then model[k] = nil else model[k] = v end -- null unsets
  end
  model.updatedAt = now_iso(self)
  return json(200, { model = model })
end

function handlers.delete_model(self, params)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  self.models[model.id] = nil
  for i, id in ipairs(self.order) do
    if id == model.id then table.remove(self.order, i) break end
  end
  return json(200, {})
end

function handlers.update_model_tags(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  local added, deleted, has = {}, {}, {}
  for _, t in ipairs(model.tags) do has[t] = true end
  body = type(body) == "table" and body or {}
  for _, t in ipairs(type(body.add) == "table" and body.add or {}) do
    if not has[t] then has[t], added[#added + 1] = true, t end
  end
  for _, t in ipairs(type(body.delete) == "table" and body.delete or {}) do
    if has[t] then has[t], deleted[#deleted + 1] = nil, t end
  end
  local tags = {}
  for _, t in ipairs(model.tags) do if has[t] then tags[#tags + 1] = t end end
  for _, t in ipairs(added) do tags[#tags + 1] = t end
  model.tags = tags
  return json(200, { added = added, deleted = deleted })
end

function handlers.add_training_images(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  if type(body) ~= "table" or (body.data == nil and body.assetId == nil) then
    return bad_request("data or assetId is required")
  end
  local image = {
    id = ("asset_standin%06d"):format(#model.trainingImages + 1), automaticCaptioning = "",
    createdAt = now_iso(self), description = "", downloadUrl = "https://example.invalid/image",
    name = body.name or "image",
  }
  model.trainingImages[#model.trainingImages + 1] = image
  model.trainingImagesNumber = #model.trainingImages
  return json(200, { trainingImage = image })
end

function handlers.train_model(self, params, query)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  local job = { createdAt = now_iso(self), jobId = ("job_standin%06d"):format(self.made), jobType = "model-training",
    metadata = {}, progress = 0, status = "queued", statusHistory = {}, updatedAt = now_iso(self) }
  if query.dryRun ~= "true" then
    model.status = "training"
    model.trainingProgress = { stage = "queued-for-train", updatedAt = self.clock, position = 1, progress = 0 }
  end
  return json(200, { job = job, model = model, creativeUnitsCost = 10 })
end

function handlers.cancel_training(self, params)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  model.status = "training-canceled"
  model.trainingProgress = nil
  return json(200, { model = model })
end

--- Answers one request.
-- @tparam string method
-- @tparam string path such as `"/v1/models/model_x"`, percent-encoded
-- @tparam[opt] string query without the `?`
-- @tparam[opt] string body the request's JSON
-- @treturn int status
-- @treturn table headers
-- @treturn string body
function StandIn:handle(method, path, query, body)
  for _, r in ipairs(self.routes) do
    if r.method == method then
      local caps = { path:match(r.pattern) }
      if caps[1] ~= nil then
        for i, c in ipairs(caps) do caps[i] = unescape(c) end
        if #caps == 1 and caps[1] == path then caps = {} end -- no captures: match gives the whole path
        local data
        if body and body ~= "" then
          local msg
          data, msg = core.parse_json(body, true) -- null members kept: they unset fields
          if data == nil then return bad_request("the body is not JSON: " .. msg) end
        end
        return handlers[r.name](self, caps, parse_query(query), data)
      end
    end
  end
  return not_found(("Cannot %s %s"):format(method, path))
end

return M
