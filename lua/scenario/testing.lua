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
-- @tparam[opt] table opts `delay`: seconds before every answer (through a
--   server: `start`, `serve`); `training`: how trainings go (see `plan`);
--   `base_path` (default `"/v1"`): where the API's
--   paths start; `model`: a model object that every new model starts as a
--   copy of (its id, timestamps and what the create body sets are the new
--   model's own); `replay`: a directory recorded with `record` (see
--   `scenario.recording`), whose answers it gives instead, each request
--   the next one recorded with its method, path and query
-- @treturn table the stand-in
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

--- The stages a training goes through, one per poll of the model (or,
-- with `seconds_per_step`, one per that many seconds).
-- @tparam[opt] table opts `outcome` (`"trained"`, `"failed"` or
--   `"training-canceled"`; default `"trained"`), `queue` (the queue
--   positions to go through, default `{2, 1}`), `progress` (the progress
--   values of running-train, default `{0.25, 0.5, 0.75}`),
--   `seconds_per_step` (advance on a clock instead of per poll)
-- @treturn table the plan
function M.plan(opts)
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
  for _, t in ipairs(type(model.tags) == "table" and model.tags or {}) do has[t] = true end
  body = type(body) == "table" and body or {}
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

--- Answers one request.
-- @tparam string method
-- @tparam string path such as `"/v1/models/model_x"`, percent-encoded
-- @tparam[opt] string query without the `?`
-- @tparam[opt] string body the request's JSON
-- @treturn int status
-- @treturn table headers
-- @treturn string body
function StandIn:handle(method, path, query, body)
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

--- Queues a fault: the next request to `fault.endpoint` (any, if nil)
-- gets it instead of its answer, `fault.count` times (default 1). A
-- fault is `status` (an answer with that status, and `body` or `code`),
-- `delay` (seconds before the answer) or `drop = true` (the connection
-- closed with no answer); the last two only through a server (`start`).
-- @tparam table fault
function StandIn:fault(fault)
  self.faults[#self.faults + 1] = { endpoint = fault.endpoint, status = fault.status, body = fault.body,
    code = fault.code, delay = fault.delay, drop = fault.drop, count = fault.count or 1 }
end

--- Sets how the trainings started from now on go (see `plan`).
-- @tparam table opts as for `plan`
function StandIn:script(opts)
  self.plan = M.plan(opts)
end

-- The answer a status fault gives.
function StandIn:_fault_answer(fault) -- luacheck: ignore 212 (self: a method, as the others)
  return fault.status, { ["Content-Type"] = "application/json" }, fault.body or assert(core.to_json {
    status = "error", code = fault.code or "STAND_IN_FAULT", message = "a fault the test asked for" })
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

local function parent_alive(pid)
  if not pid then return true end
  local f = io.open("/proc/" .. pid .. "/stat")
  if f then f:close() return true end
  return false
end

local reasons = { [200] = "OK", [400] = "Bad Request", [404] = "Not Found", [411] = "Length Required",
  [429] = "Too Many Requests",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable" }

local function render(status, headers, body)
  local lines = { ("HTTP/1.1 %d %s"):format(status, reasons[status] or "Status") }
  for k, v in pairs(headers) do lines[#lines + 1] = k .. ": " .. v end
  lines[#lines + 1] = "Content-Length: " .. #body
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

-- One request off the front of c.buf, if it has all arrived.
local function parse(c)
  local head_end = c.buf:find("\r\n\r\n", 1, true)
  if not head_end then return nil end
  local head = c.buf:sub(1, head_end - 1)
  local method, target = head:match("^(%S+) (%S+) HTTP/%d%.%d")
  if not method then
    c.buf = ""
    return { bad = 400, why = "the request line cannot be read" }
  end
  if head:lower():find("\r\ntransfer%-encoding:") then
    c.buf = ""
    return { bad = 411, why = "the stand-in reads bodies with a Content-Length only" }
  end
  local len = tonumber(head:lower():match("\r\ncontent%-length:%s*(%d+)") or "0")
  if #c.buf < head_end + 3 + len then return nil end
  local body = c.buf:sub(head_end + 4, head_end + 3 + len)
  c.buf = c.buf:sub(head_end + 4 + len)
  local path, query = (target or ""):match("^([^?]*)%??(.*)$")
  return { method = method, path = path, query = query, body = body }
end

--- Serves a stand-in over HTTP on 127.0.0.1 until told to stop, or until
-- the process `opts.parent` is gone. Prints `READY <port>` on standard
-- output once it listens: what `start` runs in its process.
-- @tparam[opt] table opts as for `new`, and `port` (default: any free
--   one), `parent` (a process id)
function M.serve(opts)
  opts = opts or {}
  local socket = require "socket" -- LuaSocket: only the server needs it
  local api = M.new(opts)
  local srv = assert(socket.bind("127.0.0.1", opts.port or 0))
  srv:settimeout(0)
  local conns, timers, log = {}, {}, {}
  io.stdout:write(("READY %d\n"):format(select(2, srv:getsockname())))
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
    if c.out == "" and c.close_after then drop(c) end
  end
  local function send(c, bytes)
    c.out = c.out .. bytes
    flush(c)
  end
  local ok_json = { ["Content-Type"] = "application/json" }
  -- The stand-in's own paths, under /__testing/: a test steers it there.
  -- Returns nil to stop.
  local function control(req)
    local what = req.path:match("^/__testing/(%w+)$")
    local data = req.body ~= "" and core.parse_json(req.body) or {}
    if what == "fault" then api:fault(data)
    elseif what == "script" then api:script(data)
    elseif what == "requests" then return render(200, ok_json, assert(core.to_json(log)))
    elseif what == "stop" then return nil
    else return render(not_found("no such control: " .. req.path)) end
    return render(200, ok_json, "{}")
  end
  api.serving = true -- faults are taken here, a delay and a status together
  local running, next_check = true, 0
  local function serve_one(c, req, now)
    if req.bad then -- a request it cannot read: said so, and the connection closed
      c.close_after = true
      return send(c, render(req.bad, ok_json, assert(core.to_json { status = "error", code = "BAD_REQUEST",
        message = req.why })))
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
    log[#log + 1] = { method = req.method, path = req.path, query = req.query, endpoint = route }
    local fault = route and api:_take_fault(route, "any")
    local bytes
    if fault and fault.status then
      bytes = render(api:_fault_answer(fault))
    else
      -- A handler that raises (a template without a field it needs, say)
      -- answers 500 and the server goes on: later tests still reach it.
      local ok, status, headers, body = pcall(api.handle, api, req.method, req.path, req.query, req.body)
      if ok then
        bytes = render(status, headers, body)
      else
        bytes = render(500, ok_json, assert(core.to_json { status = "error", code = "STAND_IN_ERROR",
          message = tostring(status) }))
      end
    end
    local delay = fault and (fault.delay or 0) or api.delay
    if (fault and (fault.delay or fault.drop)) or (delay and delay > 0) then
      c.busy = true -- nothing more is read from it until this answer is out
      timers[#timers + 1] = { due = now + delay, conn = c, drop = fault and fault.drop, bytes = bytes }
    else
      send(c, bytes)
    end
  end
  -- Serves every whole request waiting in c.buf, in order.
  local function serve_buffered(c, now)
    while running and not c.busy and not c.closed and not c.close_after do
      local req = parse(c)
      if not req then break end
      serve_one(c, req, now)
    end
  end
  while running do
    local now = socket.gettime()
    table.sort(timers, function(a, b) return a.due < b.due end)
    while timers[1] and timers[1].due <= now do
      local t = table.remove(timers, 1)
      t.conn.busy = false
      if t.drop then
        drop(t.conn)
      elseif not t.conn.closed then
        send(t.conn, t.bytes)
        serve_buffered(t.conn, now) -- what was pipelined behind it
      end
    end
    if now >= next_check then
      if not parent_alive(opts.parent) then break end
      next_check = now + 1
    end
    local watch, writing = { srv }, {}
    for _, c in ipairs(conns) do
      if not c.busy then watch[#watch + 1] = c.sock end
      if c.out ~= "" then writing[#writing + 1] = c.sock end
    end
    local wait = timers[1] and math.max(0, math.min(0.5, timers[1].due - now)) or 0.5
    local readable, writable = socket.select(watch, writing, wait)
    for _, sk in ipairs(writable or {}) do
      for _, c in ipairs(conns) do
        if c.sock == sk then flush(c) break end
      end
    end
    for _, sk in ipairs(readable or {}) do
      if sk == srv then
        local cl = srv:accept()
        if cl then
          cl:settimeout(0)
          cl:setoption("tcp-nodelay", true)
          conns[#conns + 1] = { sock = cl, buf = "", out = "" }
        end
      else
        for _, c in ipairs(conns) do
          if c.sock == sk then
            local data, err, partial = c.sock:receive(65536)
            c.buf = c.buf .. (data or partial or "")
            if err == "closed" then
              drop(c)
            else
              serve_buffered(c, now)
            end
            break
          end
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

local function my_pid()
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  return pid
end

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
--   `scenario.new`), `fault(f)`, `script(training)`, `requests()` (what
--   it was asked, in order), `stop()`
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
  local port = line and line:match("^READY (%d+)$")
  if not port then
    proc:close()
    error("scenario.testing: the stand-in did not start: " .. tostring(line), 2)
  end
  local server = setmetatable({ port = tonumber(port), base_url = ("http://127.0.0.1:%s/v1"):format(port),
    proc = proc, socket = socket, stopped = false }, Server)
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

-- Asks the server's control path; returns its answer's body.
function Server:_control(what, value)
  local sock = assert(self.socket.connect("127.0.0.1", self.port))
  sock:settimeout(10)
  local body = value ~= nil and assert(core.to_json(value)) or ""
  assert(sock:send(("POST /__testing/%s HTTP/1.1\r\nHost: stand-in\r\nContent-Length: %d\r\n\r\n%s")
    :format(what, #body, body)))
  local len = 0
  repeat
    local l = sock:receive("*l")
    local n = l and l:lower():match("^content%-length:%s*(%d+)")
    if n then len = tonumber(n) end
  until l == nil or l == ""
  local answer = len > 0 and sock:receive(len) or ""
  sock:close()
  return answer
end

--- Queues a fault (see the stand-in's `fault`).
-- @tparam table f
function Server:fault(f) self:_control("fault", f) end

--- Sets how trainings started from now on go (see `plan`).
-- @tparam table opts
function Server:script(opts) self:_control("script", opts) end

--- What the server was asked so far, in order: `{method, path, query, endpoint}` each.
-- @treturn table
function Server:requests() return core.parse_json(self:_control("requests")) end

--- Stops the server and waits for its process. Safe to call twice.
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  pcall(self._control, self, "stop")
  self.proc:close()
end

return M
