--- A stand-in for the Scenario API's /models resource, for your tests
-- and demos: it holds models in memory, answers every endpoint of the
-- client's table with the documented shapes, and trains models through
-- their stages as they are polled.
--
--     local s = require("scenario.testing").start()   -- a server on 127.0.0.1
--     local client = scenario.new { base_url = s.base_url, api_key = "k", api_secret = "s" }
--     ...
--     s:stop()
--
-- `start` runs the server as a separate process (with LuaSocket, Debian's
-- lua-socket, in that process), so that blocking calls work against it;
-- it needs no credentials and no network beyond loopback. Without a
-- server, `new():handle(method, path, query, body)` answers one request.
--
-- It refuses what the API refuses, with a 400 in the API's error shape
-- (`{status = "error", code = "INVALID_PARAMETER", message = ...}`), so
-- that a test does not pass on a request the API would turn down: a path
-- or query that cannot be read (not percent-encoded ASCII, or not UTF-8
-- once decoded), a body that is not a JSON object of UTF-8 text, a
-- `pageSize` outside the page's range (1 to 500) or a `paginationToken`
-- that is not of its kind (a whole number from 1; one past the last
-- model is an empty page), an image whose `data` is not a
-- `data:image/<type>;base64,<base64>` URL, and a training of a model
-- with no training images (a dry run may say `trainingImagesCount`
-- instead). Served, it answers every request, whatever
-- the bytes: a request head over 64 KiB gets a 431, a body over 16 MiB
-- (the client's default `max_request_bytes`) a 413 as soon as its head
-- says so, and a handler that raises a 500 whose message says why.
-- @module scenario.testing
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

--- Makes a stand-in with no models.
-- @tparam[opt] table opts `delay`: seconds before every answer (through a
--   server: `start`, `serve`); `training`: how trainings go (see `plan`);
--   `base_path` (default `"/v1"`): where the API's
--   paths start; `model`: a model object that every new model starts as a
--   copy of (its id, timestamps and what the create body sets are the new
--   model's own); `replay`: a directory recorded with `record` (see
--   `scenario.recording`), whose answers it gives instead, each request
--   the next one recorded with its method, path and query
-- @treturn table the stand-in
-- @raise when `training` is not a plan's options (see `plan`)
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

local plan_fields = { outcome = true, queue = true, progress = true, seconds_per_step = true }
local outcomes = { trained = true, failed = true, ["training-canceled"] = true }

-- Why opts cannot be a plan's options, or nil.
local function plan_problem(opts)
  if opts == nil then return nil end
  if type(opts) ~= "table" then return ("table expected, got %s"):format(type_name(opts)) end
  local why = unknown_field(opts, plan_fields)
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

--- The stages a training goes through, one per poll of the model (or,
-- with `seconds_per_step`, one per that many seconds).
-- @tparam[opt] table opts `outcome` (`"trained"`, `"failed"` or
--   `"training-canceled"`; default `"trained"`), `queue` (the queue
--   positions to go through, whole numbers, default `{2, 1}`), `progress`
--   (the progress values of running-train, each from 0 to 1, default
--   `{0.25, 0.5, 0.75}`), `seconds_per_step` (advance on a clock instead
--   of per poll)
-- @treturn table the plan
-- @raise when `opts` is not a table of those fields, each as said
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

--- Answers one request. What the API would refuse gets a 400: a path or
-- query that cannot be read, a body that is not a JSON object of UTF-8
-- text, and each handler's own refusals (see the module's summary).
-- @tparam string method
-- @tparam string path such as `"/v1/models/model_x"`, percent-encoded
-- @tparam[opt] string query without the `?`
-- @tparam[opt] string body the request's JSON
-- @treturn int status
-- @treturn table headers
-- @treturn string body
-- @raise when an answer cannot be written as JSON (a `model` template
--   holding a function, say); the server answers that with a 500
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

--- The endpoint a request goes to, or nil.
-- @tparam string method
-- @tparam string path
-- @treturn string|nil the endpoint's name
function StandIn:route(method, path)
  for _, r in ipairs(self.routes) do
    if r.method == method and path:match(r.pattern) then return r.name end
  end
end

local fault_fields = { endpoint = true, status = true, body = true, code = true, delay = true, drop = true,
  count = true }

-- Why f cannot be a fault, or nil.
local function fault_problem(f)
  if type(f) ~= "table" then return ("table expected, got %s"):format(type_name(f)) end
  local why = unknown_field(f, fault_fields)
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

--- Queues a fault: the next request to `fault.endpoint` (any, if nil)
-- gets it instead of its answer, `fault.count` times (default 1). A
-- fault is `status` (an answer with that status, and `body` or `code`),
-- `delay` (seconds before the answer) or `drop = true` (the connection
-- closed with no answer); the last two only through a server (`start`).
-- @tparam table fault
-- @raise when `fault` is not a table of those fields, with a known
--   endpoint, a status from 100 to 599, a delay of at least 0 and a whole
--   count of at least 1, or has none of `status`, `delay` and `drop`
function StandIn:fault(fault)
  local why = fault_problem(fault)
  if why then error(("bad argument #1 to 'fault' (%s)"):format(why), 2) end
  self.faults[#self.faults + 1] = { endpoint = fault.endpoint, status = fault.status, body = fault.body,
    code = fault.code, delay = fault.delay, drop = fault.drop, count = fault.count or 1 }
end

--- Sets how the trainings started from now on go (see `plan`).
-- @tparam table opts as for `plan`
-- @raise as `plan` does
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

-- ---- the server ---------------------------------------------------------------

-- What a request may bring before the server answers instead of reading
-- on: a head (request line and headers) of 64 KiB, and a body of the
-- client's default max_request_bytes (16 MiB), the largest body a client
-- sends unless told to.
local HEAD_MAX = 64 * 1024
local BODY_MAX = core.limits.default_max_bytes
-- Connections held at once; past it, the one idle longest is closed for
-- the new one. Well under select()'s FD_SETSIZE (1024), past which
-- LuaSocket's select raises.
local CONNS_MAX = 256

-- Whether the process pid is there (always, when pid is nil).
local function parent_alive(pid)
  if not pid then return true end
  local f = io.open("/proc/" .. pid .. "/stat")
  if f then f:close() return true end
  return false
end

local function my_pid()
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  return pid
end

-- Whether the process pid runs (a zombie does not: it has exited).
local function running_pid(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local stat = f:read("*l") or ""
  f:close()
  local state = stat:match("%) (%a)")
  return state ~= "Z" and state ~= "X"
end

local reasons = { [200] = "OK", [400] = "Bad Request", [404] = "Not Found", [411] = "Length Required",
  [413] = "Content Too Large", [429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable" }

local function render(status, headers, body)
  local lines = { ("HTTP/1.1 %d %s"):format(status, reasons[status] or "Status") }
  for k, v in pairs(headers) do lines[#lines + 1] = k .. ": " .. v end
  lines[#lines + 1] = "Content-Length: " .. #body
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

-- The head at the front of buf, once it has all arrived: the request
-- ({method, path, query, len, size}: size is the head's), or one it
-- cannot take ({bad = status, why = ...}); nil while it is arriving.
local function read_head(buf)
  local head_end = buf:find("\r\n\r\n", 1, true)
  if (head_end or #buf) > HEAD_MAX then
    return { bad = 431, why = ("the request head is over %d bytes"):format(HEAD_MAX) }
  end
  if not head_end then return nil end
  local head = buf:sub(1, head_end + 1)
  local method, target = head:match("^(%S+) (%S+) HTTP/%d%.%d\r\n")
  if not method then return { bad = 400, why = "the request line cannot be read" } end
  local len
  for name, value in head:gmatch("\r\n([^:\r\n]*):[ \t]*([^\r\n]*)") do
    name = name:lower()
    if name == "transfer-encoding" then
      return { bad = 411, why = "the stand-in reads bodies with a Content-Length only" }
    elseif name == "content-length" then
      value = value:match("^(%d+)[ \t]*$")
      local n = value and (#value < 16 and tonumber(value) or math.huge)
      if not n or (len and n ~= len) then return { bad = 400, why = "the Content-Length cannot be read" } end
      len = n
    end
  end
  if (len or 0) > BODY_MAX then
    return { bad = 413, why = ("the body is over %d bytes"):format(BODY_MAX) }
  end
  local path, query = target:match("^([^?]*)%??(.*)$")
  return { method = method, path = path, query = query, len = len or 0, size = head_end + 3 }
end

-- The log's entry for a request: what it was asked, as text that goes
-- into JSON whatever the peer sent, and its body, decoded, or as text
-- when it is not JSON.
local function log_entry(req, endpoint)
  local entry = { method = text(req.method), path = text(req.path), query = text(req.query), endpoint = endpoint }
  if req.body ~= "" then
    local data = read_body(req.body)
    if data ~= nil then entry.body = data else entry.raw = text(req.body) end
  end
  return entry
end

--- Serves a stand-in over HTTP on 127.0.0.1 until told to stop, or until
-- the process `opts.parent` is gone. Prints `READY <port> <pid>` on
-- standard output once it listens: what `start` runs in its process.
-- @tparam[opt] table opts as for `new`, and `port` (default: any free
--   one), `parent` (a process id)
function M.serve(opts)
  opts = opts or {}
  local socket = require "socket" -- LuaSocket: only the server needs it
  local api = M.new(opts)
  local srv = assert(socket.bind("127.0.0.1", opts.port or 0))
  srv:settimeout(0)
  local conns, timers, log = {}, {}, {}
  io.stdout:write(("READY %d %s\n"):format(select(2, srv:getsockname()), my_pid() or "-"))
  io.stdout:flush()
  local function drop(c)
    c.sock:close()
    c.closed = true
    for i, x in ipairs(conns) do
      if x == c then table.remove(conns, i) break end
    end
  end
  -- Sends what it can now; the rest waits in c.out for the socket to be
  -- writable (an answer larger than the socket's buffers goes in parts).
  local function flush(c)
    while c.out ~= "" and not c.closed do
      local sent, err, partial = c.sock:send(c.out)
      local n = sent or partial or 0
      c.out = c.out:sub(n + 1)
      if err == "closed" then return drop(c) end
      if not sent then break end
    end
    if c.out == "" and c.close_after and not c.closed then drop(c) end
  end
  local function send(c, bytes)
    c.out = c.out .. bytes
    flush(c)
  end
  local ok_json = { ["Content-Type"] = "application/json" }
  local function error_answer(status, code, message)
    return render(status, ok_json, assert(core.to_json { status = "error", code = code, message = text(message) }))
  end
  -- The stand-in's own paths, under /__testing/: a test steers it there.
  -- Returns nil to stop.
  local function control(req)
    local what = req.path:match("^/__testing/(%w+)$")
    if what == "requests" then return render(200, ok_json, assert(core.to_json(log))) end
    if what == "stop" then return nil end
    if what ~= "fault" and what ~= "script" then
      return render(not_found("no such control: " .. text(req.path)))
    end
    local data, msg = {}, nil
    if req.body ~= "" then data, msg = core.parse_json(req.body) end
    if data == nil then return error_answer(400, "INVALID_PARAMETER", "the body is not JSON: " .. msg) end
    local ok, err = pcall(api[what], api, data) -- what they raise names what is wrong
    if not ok then return error_answer(400, "INVALID_PARAMETER", describe(err)) end
    return render(200, ok_json, "{}")
  end
  api.serving = true -- faults are taken here, a delay and a status together
  local running, next_check = true, 0
  local function serve_one(c, req, now)
    if req.bad then -- a request it cannot read or take: said so, and the connection closed
      c.close_after = true
      return send(c, error_answer(req.bad, "BAD_REQUEST", req.why))
    end
    if req.path:find("^/__testing/") then
      local answer = control(req)
      if answer == nil then
        send(c, render(200, ok_json, "{}"))
        running = false
      else
        send(c, answer)
      end
      return
    end
    local route = api:route(req.method, req.path)
    log[#log + 1] = log_entry(req, route)
    local fault = route and api:_take_fault(route, "any")
    -- A handler that raises (a template without a field it needs, say)
    -- answers 500 and the server goes on: later tests still reach it.
    local ok, status, headers, body
    if fault and fault.status then
      ok, status, headers, body = pcall(api._fault_answer, api, fault)
    else
      ok, status, headers, body = pcall(api.handle, api, req.method, req.path, req.query, req.body)
    end
    local bytes = ok and render(status, headers, body) or error_answer(500, "STAND_IN_ERROR", describe(status))
    local delay = fault and (fault.delay or 0) or api.delay
    if (fault and (fault.delay or fault.drop)) or (delay and delay > 0) then
      c.busy = true -- nothing more is read from it until this answer is out
      timers[#timers + 1] = { due = now + delay, conn = c, drop = fault and fault.drop, bytes = bytes }
    else
      send(c, bytes)
    end
  end
  -- Serves every whole request waiting on c, in order, each once the
  -- answer before it is out: a peer that pipelines requests and never
  -- reads holds one answer here, not all of them. A body still arriving
  -- is gathered in c.parts, not by concatenation.
  local function serve_buffered(c, now)
    while running and not c.busy and not c.closed and not c.close_after and c.out == "" do
      local req
      if c.want then
        if c.have < c.want.len then break end
        local all = table.concat(c.parts)
        req, c.want, c.parts, c.have = c.want, nil, nil, 0
        req.body, c.buf = all:sub(1, req.len), all:sub(req.len + 1)
      else
        req = read_head(c.buf)
        if not req then break end
        local rest = req.bad and "" or c.buf:sub(req.size + 1)
        c.buf = rest
        if not req.bad then
          if #rest < req.len then
            c.want, c.parts, c.have, c.buf = req, { rest }, #rest, ""
            break
          end
          req.body, c.buf = rest:sub(1, req.len), rest:sub(req.len + 1)
        end
      end
      serve_one(c, req, now)
    end
  end
  -- Takes what arrived on c.
  local function receive(c, now)
    local data, err, partial = c.sock:receive(65536)
    data = data or partial or ""
    c.seen = now
    if c.want then
      c.parts[#c.parts + 1], c.have = data, c.have + #data
    else
      c.buf = c.buf .. data
    end
    if err == "closed" then return drop(c) end
    serve_buffered(c, now)
  end
  -- What it did not foresee ends that connection only, with a 500 that
  -- says what, and the server goes on.
  local function guarded(c, fn, ...)
    local ok, err = pcall(fn, ...)
    if not ok and not c.closed then
      c.busy, c.close_after, c.want, c.buf = false, true, nil, ""
      pcall(send, c, error_answer(500, "STAND_IN_ERROR", describe(err)))
    end
  end
  local function accept(now)
    local cl = srv:accept()
    if not cl then return false end
    if #conns >= CONNS_MAX then
      local idle = conns[1]
      for _, c in ipairs(conns) do
        if c.seen < idle.seen then idle = c end
      end
      drop(idle)
    end
    cl:settimeout(0)
    cl:setoption("tcp-nodelay", true)
    conns[#conns + 1] = { sock = cl, buf = "", out = "", have = 0, seen = now }
    return true
  end
  while running do
    local now = socket.gettime()
    table.sort(timers, function(a, b) return a.due < b.due end)
    while timers[1] and timers[1].due <= now do
      local t = table.remove(timers, 1)
      local c = t.conn
      c.busy = false
      if t.drop then
        drop(c)
      elseif not c.closed then
        guarded(c, function()
          send(c, t.bytes)
          serve_buffered(c, now) -- what was pipelined behind it
        end)
      end
    end
    if now >= next_check then
      if not parent_alive(opts.parent) then break end
      next_check = now + 1
    end
    -- Read from a connection only once its last answer is out, as
    -- serve_buffered serves: its input waits in the kernel meanwhile.
    local watch, writing = { srv }, {}
    for _, c in ipairs(conns) do
      if not c.busy and not c.close_after and c.out == "" then watch[#watch + 1] = c.sock end
      if c.out ~= "" then writing[#writing + 1] = c.sock end
    end
    local wait = timers[1] and math.max(0, math.min(0.5, timers[1].due - now)) or 0.5
    local readable, writable = socket.select(watch, writing, wait)
    now = socket.gettime()
    for _, sk in ipairs(writable or {}) do
      for _, c in ipairs(conns) do
        if c.sock == sk then
          guarded(c, function()
            flush(c)
            serve_buffered(c, now) -- what waited for that answer to go
          end)
          break
        end
      end
    end
    for _, sk in ipairs(readable or {}) do
      if sk == srv then
        for _ = 1, 32 do -- a burst of connections is not taken one per turn
          if not accept(now) then break end
        end
      else
        for _, c in ipairs(conns) do
          if c.sock == sk then guarded(c, receive, c, now) break end
        end
      end
    end
  end
  for _, c in ipairs(conns) do c.sock:close() end
  srv:close()
end

local Server = {}
Server.__index = Server
Server.__gc = function(self) self:stop() end

-- The interpreter to run the server with: this one, by its Debian name.
local function interpreter()
  if rawget(_G, "jit") then return "luajit" end
  return "lua" .. _VERSION:match("%d+%.%d+")
end

--- Starts a stand-in server in a process of its own, on 127.0.0.1.
-- @tparam[opt] table opts as for `new` (`model`, `training`, `delay`, `replay`), and `lua`
--   (the interpreter command; default this one's Debian name: `lua5.4`,
--   `luajit`...)
-- @treturn table the server: `base_url` (`http://127.0.0.1:PORT/v1`, for
--   `scenario.new`), `port`, `pid` (its process, where `/proc` tells),
--   `fault(f)`, `script(training)`, `requests()` (what it was asked, in
--   order), `stop()`
-- @raise when the server does not start (LuaSocket missing, say)
function M.start(opts)
  opts = opts or {}
  local socket = require "socket"
  local config = { model = opts.model, training = opts.training, delay = opts.delay, replay = opts.replay,
                   parent = my_pid() }
  -- The server's script goes through a file, not the command line: the
  -- shell would expand a $ or a backquote in the config (a model
  -- template's text, a path).
  local script = os.tmpname()
  local f = assert(io.open(script, "wb"))
  f:write(("package.path = %q; package.cpath = %q; local core = require 'scenario.core'; "
    .. "require('scenario.testing').serve(core.parse_json(%q))\n")
    :format(package.path, package.cpath, assert(core.to_json(config))))
  f:close()
  local function quoted(a) return "'" .. a:gsub("'", "'\\''") .. "'" end
  local proc = assert(io.popen(("exec %s %s"):format(opts.lua or interpreter(), quoted(script)), "r"))
  local line = proc:read("*l")
  os.remove(script) -- read by then: the server prints READY once it runs
  local port, pid = (line or ""):match("^READY (%d+) (%S+)$")
  if not port then
    proc:close()
    error("scenario.testing: the stand-in did not start: " .. tostring(line), 2)
  end
  local server = setmetatable({ port = tonumber(port), pid = tonumber(pid),
    base_url = ("http://127.0.0.1:%s/v1"):format(port), proc = proc, socket = socket, stopped = false }, Server)
  -- A test that fails before its stop() must not hang its process at
  -- exit, with the pipe's close waiting for a server that waits for its
  -- parent: the server is stopped when collected (before the pipe, which
  -- was made earlier, is closed). Before 5.2 tables have no __gc: a proxy
  -- does it.
  if newproxy then -- luacheck: ignore 113 (5.1 and LuaJIT)
    local guard = newproxy(true) -- luacheck: ignore 113
    getmetatable(guard).__gc = function() server:stop() end
    server.guard = guard
  end
  return server
end

-- Asks the server's control path, each wait bounded by timeout seconds
-- (default 10); returns its answer's status and body, or nil and why.
function Server:_control(what, body, timeout)
  local sock = self.socket.tcp()
  sock:settimeout(timeout or 10)
  local line, err = sock:connect("127.0.0.1", self.port)
  if line then
    line, err = sock:send(("POST /__testing/%s HTTP/1.1\r\nHost: stand-in\r\nContent-Length: %d\r\n\r\n%s")
      :format(what, #body, body))
  end
  if line then line, err = sock:receive("*l") end
  local status = line and tonumber(line:match("^HTTP/1%.1 (%d+)"))
  local len = 0
  while line and line ~= "" do
    line, err = sock:receive("*l")
    local n = line and line:lower():match("^content%-length:%s*(%d+)")
    if n then len = tonumber(n) end
  end
  local answer
  if line and len > 0 then answer, err = sock:receive(len) elseif line then answer = "" end
  sock:close()
  if not (status and answer) then return nil, ("the stand-in did not answer: %s"):format(tostring(err)) end
  return status, answer
end

-- Sends opts to a control that takes them, and raises (at the test's
-- call) what the server says is wrong with them, or that it is gone.
function Server:_steer(what, opts)
  local body, problems = core.to_json(opts)
  if not body then error(("bad argument #1 to '%s' (%s)"):format(what, describe(problems)), 3) end
  local status, answer = self:_control(what, body)
  if status ~= 200 then
    local doc = status and core.parse_json(answer)
    error(type(doc) == "table" and doc.message or ("scenario.testing: " .. tostring(answer)), 3)
  end
end

--- Queues a fault (see the stand-in's `fault`).
-- @tparam table f
-- @raise as the stand-in's `fault` does, or when the server is gone
function Server:fault(f) self:_steer("fault", f) end

--- Sets how trainings started from now on go (see `plan`).
-- @tparam table opts
-- @raise as `plan` does, or when the server is gone
function Server:script(opts) self:_steer("script", opts) end

--- What the server was asked so far, in order: `{method, path, query,
-- endpoint, body, raw}` each. `body` is the request's body as decoded
-- JSON, a null member as `core.null` (`scenario.null`); a body that is
-- not JSON is `raw`, as text. Bytes of the method, path, query or `raw`
-- that are not UTF-8 are written `\xHH`. A request the server could not
-- read (no request line, a head or body too large) is not listed.
-- @treturn[1] table
-- @return[2] nil
-- @treturn[2] string why, when the server did not answer
function Server:requests()
  local status, answer = self:_control("requests", "")
  if status ~= 200 then return nil, status and answer or answer end
  return core.parse_json(answer, true)
end

-- How long stop() waits for the server to end once asked, and after a
-- SIGKILL.
local STOP_WAIT, KILL_WAIT = 0.8, 0.5

--- Stops the server and waits for its process: asked to stop, and killed
-- (SIGKILL) if it has not ended 0.8 s later, so that it returns within
-- 2 s whatever state the server is in (where `/proc` gives its `pid`).
-- Safe to call twice.
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  local socket, pid = self.socket, self.pid
  local deadline = socket.gettime() + STOP_WAIT
  pcall(self._control, self, "stop", "", STOP_WAIT / 2) -- no socket left, say: it is killed below
  if pid then
    while running_pid(pid) and socket.gettime() < deadline do socket.sleep(0.005) end
    if running_pid(pid) then
      -- Wedged, stopped or deaf to its control path: the pipe's close
      -- below would wait for it for ever.
      os.execute("kill -KILL " .. pid .. " 2>/dev/null")
      deadline = socket.gettime() + KILL_WAIT
      while running_pid(pid) and socket.gettime() < deadline do socket.sleep(0.005) end
    end
  end
  self.proc:close()
end

return M
