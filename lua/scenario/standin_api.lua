-- The fake Scenario API behind scenario.testing: models held in memory,
-- a handler for every endpoint of the client's table, the checks that
-- refuse what the API refuses, queued faults, training plans and the
-- replay of a recording. It speaks no HTTP (scenario.standin_http serves
-- it) and starts no process (scenario.standin_process); scenario.testing
-- is its public face, and documents what it does.
local core = require "scenario.core"
local recording = require "scenario.recording"

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
    list[#list + 1] = { method = ep.method, pattern = pattern, name = ep.name, takes_body = ep.takes_body }
  end
  return list
end

local endpoint_names = {}
for _, ep in ipairs(core.endpoints) do endpoint_names[ep.name] = true end

-- s as it can go into JSON: itself if it is UTF-8, else with every byte
-- above 127 written \xHH, so that what a peer sent can be shown whatever
-- it was.
local function text(s)
  if core.to_json(s) then return s end
  return (s:gsub("[\128-\255]", function(c) return ("\\x%02X"):format(c:byte()) end))
end

-- What a raised value or a problem list says, as text.
local function describe(err)
  if type(err) == "table" then
    local first = type(err.errors) == "table" and err.errors[1]
    if type(first) == "table" then
      return ((first.path or "") ~= "" and first.path .. ": " or "") .. tostring(first.message)
    end
    if err.message ~= nil then return tostring(err.message) end
  end
  return tostring(err)
end

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- A path or query as a request target may hold them: RFC 3986's
-- unreserved and sub-delimiter characters, ':', '@', '/', '?' and whole
-- percent-encodings, which must decode to UTF-8. Returns the reason when
-- it cannot be read.
local function unreadable(s, what)
  if s:find("[^%w%-%._~!%$&'%(%)%*%+,;=:@/%?%%]") then
    return what .. " holds a byte that must be percent-encoded"
  end
  if s:gsub("%%%x%x", ""):find("%", 1, true) then return what .. " holds a bad percent-encoding" end
  if not core.to_json(unescape(s)) then return what .. " is not UTF-8 once percent-decoded" end
end

local function parse_query(q)
  local t = {}
  for k, v in (q or ""):gmatch("([^&=]+)=?([^&]*)") do t[unescape(k)] = unescape(v) end
  return t
end

-- A stand-in with no models: scenario.testing.new, documented there.
function M.new(opts)
  opts = opts or {}
  return setmetatable({
    template = opts.model,
    training = {},  -- by model id: the training's plan and how far it went
    plan = M.plan(opts.training),
    faults = {},    -- answers to give instead, in turn (see fault)
    delay = opts.delay, -- seconds before every answer, through a server
    models = {},    -- by id
    order = {},     -- ids, oldest first
    made = 0,       -- models ever made, for their ids
    clock = 0,      -- a counter for the timestamps
    routes = routes(opts.base_path or "/v1"),
    replay = opts.replay and assert(recording.load(opts.replay)) or false, -- exchanges to answer with
  }, StandIn)
end

local function now_iso(self)
  self.clock = self.clock + 1
  return ("2026-01-01T00:00:%02d.%03dZ"):format(math.floor(self.clock / 1000) % 60, self.clock % 1000)
end

-- Raises (a string: the server answers it as a 500) when the value
-- cannot be JSON, a template the test gave with a function in it, say.
local function json(status, value)
  local body, problems = core.to_json(value)
  if not body then error("the answer cannot be written as JSON: " .. describe(problems), 0) end
  return status, { ["Content-Type"] = "application/json" }, body
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
  for k, v in pairs(body or {}) do
    if v ~= core.null then model[k] = v end
  end
  return model
end

local function whole(v, low)
  return type(v) == "number" and v == math.floor(v) and v >= low and v < 2 ^ 53
end

local function finite(v, low)
  return type(v) == "number" and v >= low and v < math.huge
end

-- Why t is not a list whose every item passes ok, or nil.
local function not_list(t, ok)
  if type(t) ~= "table" then return true end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if not ok(t[i]) then return true end
  end
end

-- Why fields (a table) has a key that is not in known, or nil.
local function unknown_field(fields, known)
  for k in pairs(fields) do
    if not known[k] then return ("unknown field '%s'"):format(text(tostring(k))) end
  end
end

local function type_name(v)
  if v == core.null then return "null" end
  return type(v)
end

-- Why t is not a table of known fields only (a plan's or a fault's), or nil.
local function not_fields(t, known)
  if type(t) ~= "table" then return ("table expected, got %s"):format(type_name(t)) end
  return unknown_field(t, known)
end

local plan_fields = { outcome = true, queue = true, progress = true, seconds_per_step = true }
local outcomes = { trained = true, failed = true, ["training-canceled"] = true }

-- Why opts cannot be a plan's options, or nil.
local function plan_problem(opts)
  if opts == nil then return nil end
  local why = not_fields(opts, plan_fields)
  if why then return why end
  if opts.outcome ~= nil and not outcomes[opts.outcome] then
    return "field 'outcome' must be \"trained\", \"failed\" or \"training-canceled\""
  end
  if opts.queue ~= nil and not_list(opts.queue, function(v) return whole(v, 0) end) then
    return "field 'queue' must be a list of whole numbers, at least 0"
  end
  if opts.progress ~= nil and not_list(opts.progress, function(v) return finite(v, 0) and v <= 1 end) then
    return "field 'progress' must be a list of numbers from 0 to 1"
  end
  if opts.seconds_per_step ~= nil and not (finite(opts.seconds_per_step, 0) and opts.seconds_per_step > 0) then
    return "field 'seconds_per_step' must be a number of seconds, more than 0"
  end
end

-- The stages a training goes through: scenario.testing.plan, documented there.
function M.plan(opts)
  local why = plan_problem(opts)
  if why then error(("bad argument #1 to 'plan' (%s)"):format(why), 2) end
  opts = opts or {}
  local steps = {}
  for _, position in ipairs(opts.queue or { 2, 1 }) do
    steps[#steps + 1] = { stage = "queued-for-train", position = position }
  end
  steps[#steps + 1] = { stage = "starting-train" }
  local progress = opts.progress or { 0.25, 0.5, 0.75 }
  for i, p in ipairs(progress) do
    steps[#steps + 1] = { stage = "running-train", progress = p, remainingTimeMs = (#progress - i + 1) * 60000 }
  end
  return { steps = steps, outcome = opts.outcome or "trained", seconds = opts.seconds_per_step }
end

local function clock()
  local ok, socket = pcall(require, "socket")
  return ok and socket.gettime() or os.time()
end

-- Moves a model's training on: a step per poll, or as far as its clock
-- says. At the end, the model takes the plan's outcome.
local function advance(self, model, polled)
  local t = self.training[model.id]
  if not t then return end
  local plan = t.plan
  if plan.seconds then
    t.step = math.floor((clock() - t.started) / plan.seconds) + 1
  elseif polled then
    t.step = t.step + 1
  end
  local step = plan.steps[t.step]
  self.clock = self.clock + 1
  if step then
    model.status = "training"
    model.trainingProgress = { stage = step.stage, position = step.position, progress = step.progress,
      remainingTimeMs = step.remainingTimeMs, updatedAt = self.clock }
    return
  end
  self.training[model.id] = nil
  model.status = plan.outcome
  model.trainingProgress = nil
  if plan.outcome == "trained" then model.epoch = "000010" end
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
  advance(self, model, true)
  return json(200, { model = model })
end

local page_size -- list_models' pageSize in the client's schema: {min, max}

-- A query parameter that must be a whole number from low to high (or
-- more, with no high): the number, or nil and why not. An API reads
-- nothing else there, and a number of 16 digits or more is past what
-- the stand-in could count to.
local function count_param(query, name, default, low, high)
  local v = query[name]
  if v == nil then return default end
  local n = v:match("^%d+$") and #v < 16 and tonumber(v)
  if not n or n < low or (high and n > high) then
    return nil, ("%s must be a whole number from %d%s, got \"%s\""):format(name, low,
      high and (" to %d"):format(high) or " up", text(v:sub(1, 40)))
  end
  return n
end

function handlers.list_models(self, _, query)
  if not page_size then
    for _, ep in ipairs(core.schema()) do
      for _, f in ipairs(ep.name == "list_models" and ep.query.fields or {}) do
        if f.name == "pageSize" then page_size = f.type end
      end
    end
  end
  local size, why = count_param(query, "pageSize", 100, page_size.min, page_size.max)
  if not size then return bad_request(why) end
  -- The tokens it gives are the position of the page's first model; one
  -- past the end (models deleted since) is an empty page.
  local from, bad = count_param(query, "paginationToken", 1, 1)
  if not from then return bad_request(bad) end
  local page = {}
  for i = from, math.min(#self.order, from + size - 1) do page[#page + 1] = self.models[self.order[i]] end
  local doc = { models = page }
  if from + size <= #self.order then doc.nextPaginationToken = tostring(from + size) end
  return json(200, doc)
end

function handlers.update_model(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  for k, v in pairs(body or {}) do
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
  for _, t in ipairs(type(model.tags) == "table" and model.tags or {}) do has[t] = true end
  body = body or {}
  for _, t in ipairs(type(body.add) == "table" and body.add or {}) do
    if not has[t] then has[t], added[#added + 1] = true, t end
  end
  for _, t in ipairs(type(body.delete) == "table" and body.delete or {}) do
    if has[t] then has[t], deleted[#deleted + 1] = nil, t end
  end
  local tags = {}
  for _, t in ipairs(type(model.tags) == "table" and model.tags or {}) do if has[t] then tags[#tags + 1] = t end end
  for _, t in ipairs(added) do tags[#tags + 1] = t end
  model.tags = tags
  return json(200, { added = added, deleted = deleted })
end

-- Whether data is what the API takes as a training image: a data URL of
-- an image type, in base64 (whole groups of four, padding only at the
-- end), with something in it.
local function image_data_url(data)
  if type(data) ~= "string" then return false end
  local payload = data:match("^data:image/[%w%.%+%-]+;base64,(.+)$")
  return payload ~= nil and #payload % 4 == 0 and payload:find("^[%w%+/]+=?=?$") ~= nil
end

function handlers.add_training_images(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  body = body or {}
  if body.assetId ~= nil then -- the page: with an assetId, data and name are ignored
    if type(body.assetId) ~= "string" or body.assetId == "" then return bad_request("assetId must be an asset id") end
  elseif body.data == nil then
    return bad_request("data or assetId is required")
  elseif not image_data_url(body.data) then
    return bad_request("data must be an image as a data URL: data:image/<type>;base64,<base64>")
  end
  if body.name ~= nil and type(body.name) ~= "string" then return bad_request("name must be a string") end
  local image = {
    id = ("asset_standin%06d"):format(#model.trainingImages + 1), automaticCaptioning = "",
    createdAt = now_iso(self), description = "", downloadUrl = "https://example.invalid/image",
    name = body.assetId == nil and body.name or "image",
  }
  model.trainingImages[#model.trainingImages + 1] = image
  model.trainingImagesNumber = #model.trainingImages
  return json(200, { trainingImage = image })
end

function handlers.train_model(self, params, query)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  local dry = query.dryRun == "true"
  -- A dry run may name the number of images it prices (trainingImagesCount).
  local images = #model.trainingImages
  if dry and query.trainingImagesCount ~= nil then
    local why
    images, why = count_param(query, "trainingImagesCount", nil, 1)
    if not images then return bad_request(why) end
  end
  if images == 0 then return bad_request(("%s has no training images"):format(model.id)) end
  local job = { createdAt = now_iso(self), jobId = ("job_standin%06d"):format(self.made), jobType = "model-training",
    metadata = {}, progress = 0, status = "queued", statusHistory = {}, updatedAt = now_iso(self) }
  if not dry then
    if self.training[model.id] then return bad_request(("%s is training already"):format(model.id)) end
    self.training[model.id] = { plan = self.plan, step = 0, started = clock() }
    advance(self, model, true)
  end
  return json(200, { job = job, model = model, creativeUnitsCost = 10 })
end

function handlers.cancel_training(self, params)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  if not self.training[model.id] then return bad_request(("%s is not training"):format(model.id)) end
  self.training[model.id] = nil
  model.status = "training-canceled"
  model.trainingProgress = nil
  return json(200, { model = model })
end

-- A request body as the handlers take it: the decoded JSON (null
-- members as core.null: they unset fields), or nil and why it cannot be
-- taken. The value must go back into JSON, which checks that its text
-- is UTF-8 and that it is not nested deeper than an answer can be.
local function read_body(body)
  if body == nil or body == "" then return nil end
  local data, msg = core.parse_json(body, true)
  if data == nil then return nil, "the body is not JSON: " .. msg end
  local ok, problems = core.to_json(data)
  if not ok then return nil, "the body cannot be read: " .. describe(problems) end
  return data
end

-- Answers one request: the stand-in's handle, documented in scenario.testing.
function StandIn:handle(method, path, query, body)
  query = query or ""
  local why = not method:find("^[%w!#%$%%&'%*%+%-%.%^_`|~]+$") and "the method cannot be read"
    or unreadable(path, "the path") or unreadable(query, "the query")
    or (path:sub(1, 1) ~= "/" and "the path does not start with /")
  if why then return bad_request(why) end
  local route = self:route(method, path)
  local fault = route and not self.serving and self:_take_fault(route, "status")
  if fault then return self:_fault_answer(fault) end
  if self.replay then return self:_replay(method, path, query) end
  for _, r in ipairs(self.routes) do
    if r.method == method then
      local caps = { path:match(r.pattern) }
      if caps[1] ~= nil then
        for i, c in ipairs(caps) do caps[i] = unescape(c) end
        if #caps == 1 and caps[1] == path then caps = {} end -- no captures: match gives the whole path
        local data, bad = read_body(body)
        if bad then return bad_request(bad) end
        if r.takes_body and data ~= nil and (type(data) ~= "table" or data[1] ~= nil) then
          return bad_request("the body must be a JSON object")
        end
        return handlers[r.name](self, caps, parse_query(query), data)
      end
    end
  end
  return not_found(("Cannot %s %s"):format(method, path))
end

-- The answer a recording gives: the first exchange not yet served with
-- this method, path and query, in the order they were recorded. A
-- request the recording has no (more) answer for gets a 404 that says so.
function StandIn:_replay(method, path, query)
  query = query or ""
  for _, x in ipairs(self.replay) do
    local r = x.request
    if not x.served and r.method == method and r.path == path and (r.query or "") == query then
      x.served = true
      local headers = {}
      for k, v in pairs(x.response.headers or {}) do
        local lk = k:lower()
        if lk ~= "content-length" and lk ~= "transfer-encoding" and lk ~= "connection" then headers[k] = v end
      end
      return x.response.status, headers, x.response.body or ""
    end
  end
  -- A 404, which no client retries: the test's setup is what is wrong.
  return json(404, { status = "error", code = "NOT_RECORDED", message = ("the recording has no (more) answer "
    .. "for %s %s%s"):format(method, path, query ~= "" and "?" .. query or "") })
end

-- The endpoint a request goes to, or nil: the stand-in's route.
function StandIn:route(method, path)
  for _, r in ipairs(self.routes) do
    if r.method == method and path:match(r.pattern) then return r.name end
  end
end

local fault_fields = { endpoint = true, status = true, body = true, code = true, delay = true, drop = true,
  count = true }

-- Why f cannot be a fault, or nil.
local function fault_problem(f)
  local why = not_fields(f, fault_fields)
  if why then return why end
  if f.endpoint ~= nil and not endpoint_names[f.endpoint] then
    return "field 'endpoint' must name an endpoint of the table, such as \"get_model\""
  end
  if f.status ~= nil and not (whole(f.status, 100) and f.status <= 599) then
    return "field 'status' must be an HTTP status, a whole number from 100 to 599"
  end
  if f.body ~= nil and type(f.body) ~= "string" then return "field 'body' must be a string" end
  if f.code ~= nil and not (type(f.code) == "string" and core.to_json(f.code)) then
    return "field 'code' must be a UTF-8 string"
  end
  if f.delay ~= nil and not finite(f.delay, 0) then return "field 'delay' must be a number of seconds, at least 0" end
  if f.drop ~= nil and type(f.drop) ~= "boolean" then return "field 'drop' must be a boolean" end
  if f.count ~= nil and not whole(f.count, 1) then return "field 'count' must be a whole number, at least 1" end
  if f.status == nil and f.delay == nil and not f.drop then return "a fault needs a status, a delay or drop = true" end
end

-- Queues a fault: the stand-in's fault, documented in scenario.testing.
function StandIn:fault(fault)
  local why = fault_problem(fault)
  if why then error(("bad argument #1 to 'fault' (%s)"):format(why), 2) end
  self.faults[#self.faults + 1] = { endpoint = fault.endpoint, status = fault.status, body = fault.body,
    code = fault.code, delay = fault.delay, drop = fault.drop, count = fault.count or 1 }
end

-- Sets how the trainings started from now on go: the stand-in's script.
function StandIn:script(opts)
  local why = plan_problem(opts)
  if why then error(("bad argument #1 to 'script' (%s)"):format(why), 2) end
  self.plan = M.plan(opts)
end

-- The answer a status fault gives.
function StandIn:_fault_answer(fault) -- luacheck: ignore 212 (self: a method, as the others)
  if fault.body then return fault.status, { ["Content-Type"] = "application/json" }, fault.body end
  return json(fault.status, { status = "error", code = fault.code or "STAND_IN_FAULT",
    message = "a fault the test asked for" })
end

-- The first fault of this sort ("status", or "any": a status, a delay, a
-- drop, or a status after a delay) queued for the endpoint, counted
-- down; or nil.
function StandIn:_take_fault(endpoint, sort)
  for i, f in ipairs(self.faults) do
    local fits = sort == "any" or (sort == "status" and f.status ~= nil)
    if fits and (f.endpoint == nil or f.endpoint == endpoint) then
      f.count = f.count - 1
      if f.count <= 0 then table.remove(self.faults, i) end
      return f
    end
  end
end

-- What the server (scenario.standin_http) answers and logs with, as the
-- handlers do.
M.text, M.describe, M.read_body, M.not_found = text, describe, read_body, not_found

return M
