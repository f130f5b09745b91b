-- The fake Scenario API behind scenario.testing: the routes, the checks
-- every request passes (a readable path and query, a JSON object body),
-- queued faults, the replay of a recording, and the dispatch to the
-- resources it serves: scenario.standin_models (models and trainings),
-- scenario.standin_jobs (generations and jobs) and
-- scenario.standin_assets (assets, and the CDN that serves their files).
-- It speaks no HTTP (scenario.standin_http serves it) and starts no
-- process (scenario.standin_process); scenario.testing is its public
-- face, and documents what it does.
local core = require "scenario.core"
local recording = require "scenario.recording"
local common = require "scenario.standin_common"
local models = require "scenario.standin_models"
local jobs = require "scenario.standin_jobs"
local assets = require "scenario.standin_assets"

local M = {}

local StandIn = {}
StandIn.__index = StandIn

local resources = { models, jobs, assets }
local handlers = {}
for _, r in ipairs(resources) do
  for name, fn in pairs(r.handlers) do handlers[name] = fn end
  for name, fn in pairs(r.methods) do StandIn[name] = fn end
end

local text, describe, json, not_found, bad_request = common.text, common.describe, common.json, common.not_found,
  common.bad_request
local whole, finite = common.whole, common.finite

-- Routes the stand-in serves that the endpoint table (core.endpoints)
-- does not have yet: issue #23's, whose entries come in a change of
-- their own. Each is used only while the table lacks its name; once the
-- table has them all, this list is to go (spec/standin_generation_spec.lua
-- checks that each agrees with the table's entry of its name).
M.PENDING = {
  { name = "generate", method = "POST", path = "/generate/custom/{modelId}", takes_body = true },
  { name = "generate_txt2img", method = "POST", path = "/generate/txt2img", takes_body = true },
  { name = "generate_img2img", method = "POST", path = "/generate/img2img", takes_body = true },
  { name = "get_job", method = "GET", path = "/jobs/{jobId}" },
  { name = "list_jobs", method = "GET", path = "/jobs" },
  { name = "cancel_job", method = "POST", path = "/jobs/{jobId}/action", takes_body = true },
  { name = "get_asset", method = "GET", path = "/assets/{assetId}" },
  { name = "upload_asset", method = "POST", path = "/assets", takes_body = true },
}

-- The endpoints: the table's, and those of PENDING it lacks.
local endpoints = {}
do
  local named = {}
  for _, ep in ipairs(core.endpoints) do
    endpoints[#endpoints + 1], named[ep.name] = ep, true
  end
  for _, ep in ipairs(M.PENDING) do
    if not named[ep.name] then endpoints[#endpoints + 1] = ep end
  end
end

-- The routes: each endpoint's method and path (under base_path) as a
-- pattern that captures its path parameters.
local function routes(base_path)
  local list = {}
  for _, ep in ipairs(endpoints) do
    local pattern = "^" .. (base_path .. ep.path):gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
      :gsub("{[^}]*}", "([^/]+)") .. "$"
    list[#list + 1] = { method = ep.method, pattern = pattern, name = ep.name, takes_body = ep.takes_body }
  end
  return list
end

-- The endpoints a fault may name: every route's, and "cdn" for the asset
-- files (which a fault with no endpoint leaves alone).
local endpoint_names = { cdn = true }
for _, ep in ipairs(endpoints) do endpoint_names[ep.name] = true end

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
  local self = setmetatable({
    faults = {},    -- answers to give instead, in turn (see fault)
    delay = opts.delay, -- seconds before every answer, through a server
    clock = 0,      -- a counter for the timestamps
    routes = routes(opts.base_path or "/v1"),
    replay = opts.replay and assert(recording.load(opts.replay)) or false, -- exchanges to answer with
  }, StandIn)
  for _, r in ipairs(resources) do r.init(self, opts) end
  return self
end

M.plan, M.job_plan = models.plan, jobs.job_plan

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
  local why = common.not_fields(f, fault_fields)
  if why then return why end
  if f.endpoint ~= nil and not endpoint_names[f.endpoint] then
    return "field 'endpoint' must name an endpoint of the table, such as \"get_model\", or \"cdn\""
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

-- Answers a request for an asset's file, on the CDN's address: the
-- stand-in's cdn, documented in scenario.testing. headers are by
-- lower-case name.
function StandIn:cdn(method, path, query, headers)
  local fault = not self.serving and self:_take_fault("cdn", "status")
  if fault then return self:_fault_answer(fault) end
  return assets.cdn(self, method, path, query or "", headers or {})
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
    if fits and (f.endpoint == endpoint or (f.endpoint == nil and endpoint ~= "cdn")) then
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
