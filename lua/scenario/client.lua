--- The client: defaults, retries and error values over scenario.core.
-- Made by @{scenario.new}; the methods are called with `:`.
-- @classmod scenario.Client
local core = require "scenario.core"
local errors = require "scenario.errors"
local retry = require "scenario.retry"
local Request = require "scenario.request"
local Scheduler = require "scenario.scheduler"
local Wait = require "scenario.training"
local recording = require "scenario.recording"


local Client = {}
Client.__index = Client
Client.__name = "scenario.Client"

local DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"

-- Every option new() takes, with its check. Secrets are passed to the C
-- handle and never stored on the Lua object.
local option_types = {
  api_key = "string", api_secret = "string", base_url = "string",
  project_id = "string", user_agent = "string",
  timeout = "number", connect_timeout = "number", max_retries = "number",
  max_retry_after = "number", max_response_bytes = "number", max_request_bytes = "number",
  retry_unsafe = "boolean", allow_insecure = "boolean", max_concurrent = "number",
  yield_in_coroutines = "boolean", strict_responses = "boolean",
  ca_file = "string", ca_path = "string", proxy = "string or false",
  sleep = "function", random = "function", transport = "table", logger = "function",
  record = "string or false", http_version = "string",
}
local option_names = {}
for name in pairs(option_types) do option_names[#option_names + 1] = name end
table.sort(option_names)
Client.option_names = option_names -- for the generated editor definitions' spec

local function argerror(n, fname, msg, level)
  error(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), (level or 1) + 1)
end

local function check_options(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    argerror(1, "new", "table expected, got " .. type(opts), 3)
  end
  for k, v in pairs(opts) do
    local want = option_types[k]
    if want == nil then
      local hint = type(k) == "string" and core.suggest(k, option_names)
      argerror(1, "new", ("unknown option '%s'%s"):format(tostring(k),
        hint and ("; did you mean '" .. hint .. "'?") or ""), 3)
    end
    if type(v) ~= want and not (want == "string or false" and (type(v) == "string" or v == false)) then
      argerror(1, "new", ("option '%s' must be a %s, got %s"):format(k, want, type(v)), 3)
    end
  end
  return opts
end

local function nonempty_env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then return nil end
  return v
end

-- Names and addresses that reach this host: localhost (with or without
-- its final dot), 127/8 in any form the resolver reads (127.1 too), and
-- ::1, also as an IPv4-mapped address.
local function is_loopback(host)
  host = host:lower()
  return host == "localhost" or host == "localhost." or host:match("^127%.[%d.]*$") ~= nil
    or host == "[::1]" or host == "[0:0:0:0:0:0:0:1]" or host:match("^%[::ffff:127%.[%d.]+%]$") ~= nil
end

-- Checks base_url and returns whether its host is loopback, and its
-- scheme ("https" or "http").
local function check_base_url(url, allow_insecure)
  if url:find("[%c%s]") then
    argerror(1, "new", "base_url contains whitespace or a control character", 4)
  end
  local scheme, host = url:match("^(%a[%w+.-]*)://([^/?#]*)")
  scheme = scheme and scheme:lower()
  if scheme ~= "https" and scheme ~= "http" then
    -- Echoed to help spot the mistake, unless it may hold credentials.
    local shown = url:find("@", 1, true) and "" or (", got '%s'"):format(url)
    argerror(1, "new", "base_url must start with https:// (or http:// for a loopback host)" .. shown, 4)
  end
  if host:find("@", 1, true) then
    argerror(1, "new", "base_url must not carry credentials; use api_key and api_secret", 4)
  end
  -- Paths are appended to it: a query or a fragment would end up in the middle.
  if url:find("[?#]") then
    argerror(1, "new", "base_url must not have a query or a fragment; use project_id, "
      .. "or the query argument of each call", 4)
  end
  local hostname = host:match("^(%[[^%]]*%])") or host:match("^[^:]*")
  local loopback = is_loopback(hostname)
  if scheme == "http" and not allow_insecure and not loopback then
    argerror(1, "new", "base_url must be https unless its host is loopback "
      .. "(or allow_insecure = true)", 4)
  end
  return loopback, scheme
end

-- What core.new takes as its proxy: nil leaves libcurl's environment
-- proxies (http_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY) in charge; ""
-- turns them off. A loopback base_url never goes through one of them:
-- the request, its credentials included, would cross the network (in
-- clear, for http) to reach this very host.
local function core_proxy(proxy, loopback)
  if proxy == false then return "" end
  if proxy == nil then return loopback and "" or nil end
  if proxy:find("%c") then
    argerror(1, "new", "proxy contains a control character", 4)
  end
  local scheme = proxy:match("^(%a[%w+.-]*)://")
  local known = { http = true, https = true, socks4 = true, socks4a = true, socks5 = true, socks5h = true }
  if not (scheme and known[scheme:lower()]) then
    argerror(1, "new", "proxy must be a URL such as http://proxy.example:3128 "
      .. "(http, https, socks4, socks4a, socks5 or socks5h), or false for none", 4)
  end
  return proxy
end

-- libcurl before 8.0 cannot reuse a cleartext HTTP/2 connection (curl
-- PR 10643): every call after the first would fail.
local H2C_REUSE = 0x080000

local function check_http_version(v, scheme)
  if v ~= nil and v ~= "1.1" and v ~= "2" then
    argerror(1, "new", ("http_version must be \"1.1\" or \"2\" (or nil, to negotiate), got %q"):format(v), 4)
  end
  if v == "2" and scheme == "http" and core.curl_version_num < H2C_REUSE then
    argerror(1, "new", ("http_version \"2\" over plain http needs libcurl 8.0 or later (this one is %s, "
      .. "which fails every call after the first on such a connection); use an https base_url")
      :format(core.curl_version), 4)
  end
end

-- A CA file given by mistake (a typo, a missing mount) would fail every
-- request with a certificate error: say so at once instead.
local function check_ca_file(path)
  if path == nil then return end
  local f, err = io.open(path, "rb")
  if not f then argerror(1, "new", ("ca_file cannot be read: %s"):format(err), 4) end
  local ok = f:read(0) -- fails on a directory, which io.open lets through
  f:close()
  if ok == nil and io.open(path .. "/.") then
    argerror(1, "new", ("ca_file is a directory (%s); use ca_path for a directory of certificates")
      :format(path), 4)
  end
end

local function check_count(opts, name, min)
  local v = opts[name]
  if v ~= nil and not (v >= min and v < math.huge and math.floor(v) == v) then
    argerror(1, "new", ("option '%s' must be an integer of at least %d"):format(name, min), 4)
  end
end

local function check_seconds(opts, name)
  local v = opts[name]
  if v ~= nil and not (v > 0 and v <= 1e6) then
    argerror(1, "new", ("option '%s' must be a number of seconds in (0, 1e6]"):format(name), 4)
  end
end

--- Creates a client. See @{scenario.new} for the options.
-- @local
function Client.new(opts)
  opts = check_options(opts)
  for _, name in ipairs { "timeout", "connect_timeout", "max_retry_after" } do
    check_seconds(opts, name)
  end
  check_count(opts, "max_retries", 0)
  check_count(opts, "max_response_bytes", 1)
  check_count(opts, "max_request_bytes", 1)
  check_count(opts, "max_concurrent", 1)

  local base_url = opts.base_url or nonempty_env("SCENARIO_BASE_URL") or DEFAULT_BASE_URL
  local loopback, scheme = check_base_url(base_url, opts.allow_insecure)
  local proxy = core_proxy(opts.proxy, loopback)
  check_http_version(opts.http_version, scheme)
  check_ca_file(opts.ca_file)
  local api_key = opts.api_key or nonempty_env("SCENARIO_SDK_API_KEY")
  local api_secret = opts.api_secret or nonempty_env("SCENARIO_SDK_API_SECRET")
  if api_key == nil or api_secret == nil then
    error("scenario.new: no credentials: pass api_key and api_secret, or set "
      .. "SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET", 3)
  end
  -- These end up in headers: a CR or LF would inject header lines.
  if api_key:find("%c") or api_secret:find("%c") then
    error("scenario.new: api_key or api_secret contains a control character", 3)
  end
  if opts.user_agent and opts.user_agent:find("%c") then
    argerror(1, "new", "user_agent contains a control character", 3)
  end

  local record = opts.record
  if record == nil then record = nonempty_env("SCENARIO_RECORD") end -- false: not even the environment's
  if record == "" then argerror(1, "new", "record must name a directory", 3) end
  local recorder
  if record then
    local rerr
    recorder, rerr = recording.recorder(record)
    if not recorder then argerror(1, "new", ("record: %s"):format(rerr), 3) end
  end

  local self = setmetatable({
    base_url = base_url,
    timeout = opts.timeout or 60,
    max_retries = opts.max_retries or 2,
    max_retry_after = opts.max_retry_after or retry.MAX_RETRY_AFTER,
    project_id = opts.project_id,
    retry_unsafe = opts.retry_unsafe == true,
    _sleep = opts.sleep or core.sleep,
    _random = opts.random or math.random,
    _transport = opts.transport or core,
    _logger = opts.logger,
    max_concurrent = opts.max_concurrent or 8,
    _yield = opts.yield_in_coroutines == true,
    _recorder = recorder or false, -- scenario.recording, with record
  }, Client)
  self._sched = Scheduler.new(self) -- the request machine: requests, their states and counts
  self._handle = core.new {
    base_url = base_url,
    api_key = api_key,
    api_secret = api_secret,
    timeout = self.timeout,
    connect_timeout = opts.connect_timeout,
    max_response_bytes = opts.max_response_bytes,
    max_request_bytes = opts.max_request_bytes,
    user_agent = opts.user_agent,
    ca_file = opts.ca_file,
    ca_path = opts.ca_path,
    proxy = proxy,
    http_version = opts.http_version,
    max_connections = self.max_concurrent,
    strict_responses = opts.strict_responses,
  }
  return self
end

function Client:__tostring()
  return ("scenario.Client (%s)"):format(self.base_url)
end

local function check_self(self, fname, closed_ok)
  if getmetatable(self) ~= Client then
    argerror(1, fname, ("scenario client expected, got %s; call it as client:%s(...)")
      :format(type(self), fname), 3)
  end
  if self._closed and not closed_ok then
    argerror(1, fname, "the client is closed", 3)
  end
end

--- Releases the connection and the C handle. Safe to call twice; any
-- other call on a closed client raises. It is also the `__close`
-- metamethod, so `local client <close> = scenario.new()` closes it at the
-- end of the block (Lua 5.4).
function Client:close()
  check_self(self, "close", true)
  if self._closed then return end
  self._closed = true
  self._sched:close()
  self._handle:close()
end
Client.__close = Client.close

-- Adds the client's project_id to a query that does not set its own.
function Client:_query(query)
  if self.project_id == nil then return query end
  if query == nil then return { projectId = self.project_id } end
  if type(query) ~= "table" or getmetatable(query) ~= nil or query.projectId ~= nil then
    return query -- the core reports what is wrong with it
  end
  local q = { projectId = self.project_id }
  for k, v in next, query do q[k] = v end
  return q
end

local call_options = {
  extra_body = "table", on_done = "function", timeout = "number", max_retries = "number", headers = "table",
}
local call_option_names = { "extra_body", "headers", "max_retries", "on_done", "timeout" }
local NO_OPTIONS = setmetatable({}, { __newindex = function() error("read-only", 2) end })
Client.NO_OPTIONS = NO_OPTIONS

-- Header names a call may not set: the transport's own (core.options
-- refuses them too).
local reserved_headers = {
  authorization = true, ["content-type"] = true, ["content-length"] = true,
  ["transfer-encoding"] = true, host = true,
}

local function check_headers(fname, n, headers, level)
  local count = 0
  for k, v in next, headers do
    count = count + 1
    -- Explicit classes: %w follows the C locale, which may take é for a letter.
    if type(k) ~= "string" or not k:find("^[A-Za-z0-9!#$%%&'*+%-.^_`|~]+$") then
      argerror(n, fname, ("option 'headers': %s is not a header name"):format(
        type(k) == "string" and ("'" .. errors.escape(k) .. "'") or type(k)), level)
    end
    if reserved_headers[k:lower()] then
      argerror(n, fname, ("option 'headers': '%s' is set by the client and cannot be overridden"):format(k), level)
    end
    if type(v) ~= "string" then
      argerror(n, fname, ("option 'headers': the value of '%s' must be a string, got %s"):format(k, type(v)), level)
    end
    if v:find("[%z\1-\8\10-\31\127]") then
      argerror(n, fname, ("option 'headers': the value of '%s' holds a control character (CR or LF "
        .. "would start a header of its own)"):format(k), level)
    end
  end
  if count > 64 then argerror(n, fname, "option 'headers': more than 64 headers", level) end
end

-- Checks the per-call options table, argument n of fname: on_done only
-- for an async call, extra_body only where there is a body to add to.
-- depth: how many calls deeper than the method it is made from.
function Client.check_call_options(fname, n, opts, async, takes_body, depth)
  local level = 3 + (depth or 0)
  if opts == nil then return NO_OPTIONS end -- no allocation on the usual path
  if type(opts) ~= "table" then
    argerror(n, fname, "table expected, got " .. type(opts), level)
  end
  for k, v in pairs(opts) do
    if call_options[k] == nil or (k == "on_done" and not async) or (k == "extra_body" and not takes_body) then
      local hint = type(k) == "string" and core.suggest(k, call_option_names)
      argerror(n, fname, ("unknown option '%s'%s"):format(tostring(k),
        hint and hint ~= k and ("; did you mean '" .. hint .. "'?") or ""), level)
    end
    if type(v) ~= call_options[k] then
      argerror(n, fname, ("option '%s' must be a %s, got %s"):format(k, call_options[k], type(v)), level)
    end
  end
  local t, m = opts.timeout, opts.max_retries
  if t ~= nil and not (t > 0 and t <= 1e6) then
    argerror(n, fname, "option 'timeout' must be a number of seconds in (0, 1e6]", level)
  end
  if m ~= nil and not (m >= 0 and m < math.huge and math.floor(m) == m) then
    argerror(n, fname, "option 'max_retries' must be an integer of at least 0", level)
  end
  if opts.headers ~= nil then check_headers(fname, n, opts.headers, level + 1) end
  return opts
end

-- Hands a line to the logger, if there is one, at the next drain of the
-- request machine (never inside a round, nor inside the call that made
-- it). Lines are built from the method and path, statuses, timings and
-- error values only: never from headers, so the Authorization header
-- cannot reach a log. Text from the server is escaped (errors.escape)
-- before it gets here.
function Client:_log(level, fmt, ...)
  if self._logger then self._sched:log(level, fmt, ...) end
end

-- "POST /v1/models": what a call sends, for log lines; the endpoint name
-- where the transport cannot say (a stand-in transport in a test).
function Client:_where(call, endpoint)
  local t = self._transport
  local method, url
  if t.target then method, url = t.target(call) end
  if method == nil then return endpoint end
  return method .. " " .. errors.url_path(url)
end

-- Validates the call of endpoint ep (an entry of core.endpoints, or a
-- raw one of client:request) with the path parameters p1, p2 (as many as
-- it has: at most two, see SC_MAX_PARAMS), and makes its core call object
-- (or loads `reuse`, an idle one) with the call's own options, or
-- returns nil and the validation error.
function Client:_call(ep, body, query, opts, reuse, p1, p2)
  local t = self._transport
  local call, raw
  if ep.raw then
    call, raw = t.start_raw(self._handle, ep.method, ep.path, body, query, reuse)
  else
    call, raw = t.start(self._handle, ep.name, body, query, opts.extra_body, reuse, p1, p2)
  end
  if call == nil then
    local err = errors.from_core(raw, { attempts = 0 })
    self:_log("debug", "%s: not sent: %s", ep.name, tostring(err))
    return nil, err
  end
  if opts.timeout or opts.headers then t.options(call, opts.timeout, opts.headers) end
  return call
end

-- Validates and makes a request. With now, it starts at once if a slot
-- is free; a blocking call leaves that to its wait, which starts it and
-- waits in one round. No user code runs here: the request's on_done, and
-- those of others that end meanwhile, run from the next poll or wait.
function Client:_start(ep, body, query, opts, now, p1, p2)
  opts = opts or NO_OPTIONS
  local call, err = self:_call(ep, body, query, opts, nil, p1, p2)
  if call == nil then return nil, err end
  local req = Request.new(self, ep, call, opts.on_done, opts.max_retries, opts.headers)
  local sched = self._sched
  sched:add(req)
  if now then sched:kick(req) end
  return req
end

--- Moves every request of this client forward without blocking: call it
-- from the host's frame callback (`love.update`, an editor timer). The
-- callbacks of what ended (`on_done`, `on_progress`) and the logger run
-- here, after the round.
-- @treturn integer how many requests have not finished
function Client:poll()
  check_self(self, "poll")
  local sched = self._sched
  sched:round(0)
  sched:drain()
  return sched:unfinished()
end

local spawned = setmetatable({}, { __mode = "k" })
Client._spawned = spawned -- coroutines made by scenario.spawn

-- Whether a blocking call should yield here rather than block.
function Client:_yields()
  local co, main = coroutine.running()
  if co == nil or main or not (spawned[co] or self._yield) then return false end
  if coroutine.isyieldable then return coroutine.isyieldable() end
  return true
end

-- A blocking call, on the request machine: started and waited on, or in
-- a coroutine that yields, started and polled between yields (each yield
-- passes the request). Before 5.3 a yield can fail (across pcall in 5.1,
-- or a C function), and nothing tells in advance: so there the first
-- yield comes before the request exists, and a failure sends nothing.
-- With nothing else in flight, it is a direct call (Scheduler:direct).
function Client:_blocking(ep, body, query, opts, p1, p2)
  local yields = self:_yields()
  local sched = self._sched
  -- Training waits need rounds too: with one going, even a lone call
  -- goes through the machine.
  if not yields and sched.nlive == 0 and sched.waiters[1] == nil then
    local reuse = sched:take_idle_call()
    local call, err = self:_call(ep, body, query, opts, reuse or nil, p1, p2)
    local a, b
    if call == nil then
      sched:give_back(reuse)
      a, b = nil, err
    else
      a, b = sched:direct(ep, call, opts)
    end
    sched:drain()
    return a, b
  end
  if yields and not coroutine.isyieldable then coroutine.yield() end
  local req, err = self:_start(ep, body, query, opts, yields, p1, p2)
  if req == nil then
    sched:drain()
    return nil, err
  end
  if yields then
    while not req:poll() do coroutine.yield(req) end
    return req:result()
  end
  return req:wait()
end

-- ---- the methods: made from core.endpoints ----------------------------------
-- Each endpoint of the C table becomes client:<name>(path params...,
-- body, query, opts) and client:<name>_async(...), the body argument only
-- where the endpoint takes one; scenario.validate_<name> comes from the
-- same record (init.lua), and so does the reference (spec/support/
-- ldoc_endpoints.lua writes it for make docs). There is no code of any
-- one endpoint here.

-- The position of the opts argument of ep's methods, for messages.
local function opts_position(ep)
  return #ep.params + (ep.takes_body and 3 or 2)
end

-- client:<name> and client:<name>_async for ep, whose arguments come as
-- (path params..., [body,] query, opts): one pair of bodies per shape of
-- arguments, none per endpoint.
local function methods(ep)
  local name, async_name = ep.name, ep.name .. "_async"
  local np, tb, n = #ep.params, ep.takes_body, opts_position(ep)
  local function run(self, body, query, opts, p1, p2)
    check_self(self, name)
    opts = Client.check_call_options(name, n, opts, false, tb)
    return self:_blocking(ep, body, self:_query(query), opts, p1, p2)
  end
  local function start(self, body, query, opts, p1, p2)
    check_self(self, async_name)
    opts = Client.check_call_options(async_name, n, opts, true, tb)
    return self:_start(ep, body, self:_query(query), opts, true, p1, p2)
  end
  if np == 0 and tb then
    return run, start -- the same order of arguments
  elseif np == 0 then
    return function(self, query, opts) return run(self, nil, query, opts) end,
      function(self, query, opts) return start(self, nil, query, opts) end
  elseif np == 1 and tb then
    return function(self, p1, body, query, opts) return run(self, body, query, opts, p1) end,
      function(self, p1, body, query, opts) return start(self, body, query, opts, p1) end
  elseif np == 1 then
    return function(self, p1, query, opts) return run(self, nil, query, opts, p1) end,
      function(self, p1, query, opts) return start(self, nil, query, opts, p1) end
  elseif np == 2 and tb then
    return function(self, p1, p2, body, query, opts) return run(self, body, query, opts, p1, p2) end,
      function(self, p1, p2, body, query, opts) return start(self, body, query, opts, p1, p2) end
  end
  return function(self, p1, p2, query, opts) return run(self, nil, query, opts, p1, p2) end,
    function(self, p1, p2, query, opts) return start(self, nil, query, opts, p1, p2) end
end

Client.endpoints = {} -- core.endpoints by name

for _, ep in ipairs(core.endpoints) do
  Client.endpoints[ep.name] = ep
  Client[ep.name], Client[ep.name .. "_async"] = methods(ep)
end

-- ---- calls outside the table ----------------------------------------------------

local raw_methods = { GET = true, PUT = true, DELETE = true, POST = true, PATCH = true }
local raw_idempotent = { GET = true, PUT = true, DELETE = true }
local raw_options = {
  body = true, query = true, timeout = true, max_retries = true, headers = true, on_done = true,
}
local raw_names = { "body", "headers", "max_retries", "on_done", "query", "timeout" }

-- Checks client:request's arguments, and returns its endpoint record and
-- the options as check_call_options takes them.
local function check_raw(fname, method, path, opts, async)
  if type(method) ~= "string" or not raw_methods[method] then
    local shown = type(method) == "string" and ("'" .. errors.escape(method) .. "'") or type(method)
    local upper = type(method) == "string" and raw_methods[method:upper()]
    argerror(1, fname, ("method must be GET, POST, PUT, PATCH or DELETE, got %s%s"):format(shown,
      upper and ("; did you mean '" .. method:upper() .. "'?") or ""), 3)
  end
  -- The rules of a path are the core's (core.path_problem), as start_raw
  -- checks them: here only so that the message names this call.
  local why = type(path) == "string" and core.path_problem(path)
  if type(path) ~= "string" or why then
    local shown = type(path) == "string" and ("'" .. errors.escape(path:sub(1, 80)) .. (#path > 80 and "...'" or "'"))
      or type(path)
    argerror(2, fname, ("%s, got %s"):format(why or "path must be a string starting with '/'", shown), 3)
  end
  local call_opts = NO_OPTIONS
  if opts ~= nil then
    if type(opts) ~= "table" then argerror(3, fname, "table expected, got " .. type(opts), 3) end
    call_opts = {}
    for k, v in pairs(opts) do
      if not raw_options[k] or (k == "on_done" and not async) then
        local hint = type(k) == "string" and core.suggest(k, raw_names)
        argerror(3, fname, ("unknown option '%s'%s"):format(tostring(k),
          hint and hint ~= k and ("; did you mean '" .. hint .. "'?") or ""), 3)
      end
      if k ~= "body" and k ~= "query" then call_opts[k] = v end
    end
    if opts.query ~= nil and type(opts.query) ~= "table" then
      argerror(3, fname, "option 'query' must be a table, got " .. type(opts.query), 3)
    end
    Client.check_call_options(fname, 3, call_opts, async, false, 1)
  end
  local ep = { name = method .. " " .. path, method = method, path = path, raw = true,
               idempotent = raw_idempotent[method] == true }
  return ep, call_opts, opts and opts.body, opts and opts.query
end

--- Calls an endpoint that the table does not have yet, with the same
-- credentials, transport, errors, logging and retry policy as the
-- methods: GET, PUT and DELETE are idempotent and retried as get_model
-- is; POST and PATCH are sent at most once, as create_model is.
-- `client:request("GET", "/collections", { query = { pageSize = 5 } })`.
-- @tparam string method `GET`, `POST`, `PUT`, `PATCH` or `DELETE`
-- @tparam string path after base_url, from `/`; bytes a path cannot hold
--   are percent-encoded, `.` and `..` segments are refused
-- @tparam[opt] table opts `body` (any Lua value JSON can hold, written
--   without a schema: `scenario.null` as null, an empty table as `{}` and
--   `scenario.array()` as `[]`; none sends no body), `query` (strings,
--   numbers, booleans or lists of them, percent-encoded; `projectId`
--   defaults to the client's `project_id`), `timeout`, `max_retries`,
--   `headers`
-- @return[1] the decoded document (`true` for a 2xx without one)
-- @treturn[1] table meta
-- @return[2] nil
-- @treturn[2] scenario.Error err
-- @raise on a bad method, path or option
function Client:request(method, path, opts)
  check_self(self, "request")
  local ep, call_opts, body, query = check_raw("request", method, path, opts, false)
  return self:_blocking(ep, body, self:_query(query), call_opts)
end

--- `client:request` without blocking.
-- @tparam string method as for `request`
-- @tparam string path as for `request`
-- @tparam[opt] table opts as for `request`, and `on_done`
-- @treturn[1] scenario.Request req
-- @return[2] nil
-- @treturn[2] scenario.Error err a `validation` error
function Client:request_async(method, path, opts)
  check_self(self, "request_async")
  local ep, call_opts, body, query = check_raw("request_async", method, path, opts, true)
  return self:_start(ep, body, self:_query(query), call_opts, true)
end

-- ---- waiting for a training -------------------------------------------------

local wait_options = {
  interval = "number", max_interval = "number", timeout = "number", on_progress = "function",
  on_done = "function", query = "table",
}
local wait_names = { "interval", "max_interval", "timeout", "on_progress", "on_done", "query" }

local function check_wait(fname, model_id, opts, async)
  if type(model_id) ~= "string" or model_id == "" then
    argerror(1, fname, ("modelId must be a non-empty string, got %s"):format(
      model_id == "" and "an empty one" or type(model_id)), 3)
  end
  if opts == nil then return NO_OPTIONS end
  if type(opts) ~= "table" then argerror(2, fname, "table expected, got " .. type(opts), 3) end
  for k, v in pairs(opts) do
    if wait_options[k] == nil or (k == "on_done" and not async) then
      local hint = type(k) == "string" and core.suggest(k, wait_names)
      argerror(2, fname, ("unknown option '%s'%s"):format(tostring(k),
        hint and hint ~= k and ("; did you mean '" .. hint .. "'?") or ""), 3)
    end
    if type(v) ~= wait_options[k] then
      argerror(2, fname, ("option '%s' must be a %s"):format(k, wait_options[k]), 3)
    end
    if wait_options[k] == "number" and not (v > 0 and v < math.huge) then
      argerror(2, fname, ("option '%s' must be a number of seconds above 0"):format(k), 3)
    end
  end
  if opts.max_interval and opts.max_interval < (opts.interval or Wait.INTERVAL) then
    argerror(2, fname, ("option 'max_interval' (%g s) is below the interval (%g s)"):format(opts.max_interval,
      opts.interval or Wait.INTERVAL), 3)
  end
  return opts
end

--- Waits for the training of a model to end, without blocking: polls
-- `get_model` (a few seconds apart at first, backing off to
-- `max_interval` while nothing changes, and never sooner than a
-- `Retry-After` asks), and calls `on_progress(model)` whenever its
-- status or training progress changes. A poll that fails for a moment
-- (5xx, a lost connection) is retried by get_model's own policy.
-- @tparam string modelId
-- @tparam[opt] table opts `interval` (seconds, default 5), `max_interval`
--   (default 30), `timeout` (seconds; none by default), `on_progress`,
--   `on_done` (called once with what `wait_for_training` returns), `query`
--   (get_model's query: `projectId`, `originalAssets`)
-- @treturn scenario.Wait the wait: `poll`, `done`, `result`, `wait`, `cancel`
-- @raise on a modelId that is not a non-empty string, or a bad option
function Client:wait_for_training_async(modelId, opts)
  check_self(self, "wait_for_training_async")
  opts = check_wait("wait_for_training_async", modelId, opts, true)
  local w = Wait.new(self, modelId, opts)
  self._sched:add_wait(w)
  return w
end

--- Waits for the training of a model to end, as `wait_for_training_async`
-- does, and returns how it ended. In a `scenario.spawn` coroutine (or any,
-- with `yield_in_coroutines`) it yields between rounds instead of blocking.
-- @tparam string modelId
-- @tparam[opt] table opts as for `wait_for_training_async`, without `on_done`
-- @treturn[1] table the trained model (`status == "trained"`)
-- @treturn[1] table meta of the last poll
-- @return[2] nil
-- @treturn[2] scenario.Error err: kind `training_failed` or
--   `training_canceled` (with `err.model`, as last seen), `timeout` when
--   `opts.timeout` passed first, or the error of a poll that failed for good
-- @raise as `wait_for_training_async`
function Client:wait_for_training(modelId, opts)
  check_self(self, "wait_for_training")
  opts = check_wait("wait_for_training", modelId, opts, false)
  local yields = self:_yields()
  -- As _blocking: before 5.2 a yield can fail, so the first comes before
  -- the wait exists.
  if yields and not coroutine.isyieldable then coroutine.yield() end
  local w = Wait.new(self, modelId, opts)
  self._sched:add_wait(w)
  if yields then -- not under pcall: before 5.2 a yield cannot cross it
    while not w:poll() do coroutine.yield(w) end
    return w:result()
  end
  -- What raises meanwhile (the client's sleep, an interrupt) must not
  -- leave the wait polling behind the caller's back.
  local ok, a, b = pcall(w.wait, w)
  if not ok then
    w:cancel()
    error(a, 0)
  end
  return a, b
end

-- A copy of the query table q with key k set to v (q itself is the
-- caller's, and may be reused by it).
local function with(q, k, v)
  local c = {}
  if type(q) == "table" and getmetatable(q) == nil then
    for key, val in next, q do c[key] = val end
  end
  c[k] = v
  return c
end

--- How many pages in a row without an item an iterator (`each_model`)
-- reads before it ends with an `invalid_response` error: a server that
-- answers every page with no items and a fresh token would otherwise
-- keep it inside one call for ever.
Client.MAX_EMPTY_PAGES = 100

-- How many of the last tokens an iterator remembers, to tell a server
-- that sends one again.
local SEEN_TOKENS = 1024

-- Why an iterator cannot go on to the page of token, or nil.
local function bad_token(token, seen, empty)
  if type(token) ~= "string" then -- a lenient page: not to be taken for the last one
    return ("the server gave a pagination token that is not a string (%s)"):format(type(token))
  end
  if #token > core.limits.max_param_bytes then
    return ("the server gave a pagination token of %d bytes; a query value may have at most %d")
      :format(#token, core.limits.max_param_bytes)
  end
  if seen[token] then -- a server that sends the same cursor again would loop for ever
    return ("the server gave the pagination token %s twice"):format(errors.escape(("%q"):format(token)))
  end
  if empty >= Client.MAX_EMPTY_PAGES then
    return ("the server gave %d pages in a row without an item, each with a new pagination token")
      :format(empty)
  end
end

-- Iterators over every item of a list endpoint, across its pages.
for _, ep in ipairs(core.endpoints) do
  local pages = ep.pages
  if pages then
    local each, list = pages.each, ep.name
    Client[each] = function(self, query, opts)
      check_self(self, each)
      opts = Client.check_call_options(each, 2, opts, false, false)
      local page, i, token, seen, over = nil, 0, nil, {}, false
      local gave, empty = false, 0 -- whether this page gave an item; pages in a row that gave none
      local ring, nseen = {}, 0 -- the tokens in seen, by when they came
      return function()
        if over then return nil end
        while true do
          if page then
            local items = type(page[pages.items]) == "table" and page[pages.items] or {}
            repeat -- past anything on the page that is not an item (a null, say)
              i = i + 1
            until i > #items or type(items[i]) == "table"
            if items[i] ~= nil then
              gave = true
              return items[i]
            end
            empty = gave and 0 or empty + 1
            gave = false
            token = page[pages.next]
            if token == nil or token == "" then
              over = true
              return nil
            end
            local why = bad_token(token, seen, empty)
            if why then
              over = true
              return false, errors.new("invalid_response", why, { attempts = 1 })
            end
            -- The last SEEN_TOKENS tokens are kept: a cycle longer than that
            -- still yields items, so the caller can always break out.
            nseen = nseen + 1
            local slot = nseen % SEEN_TOKENS
            if ring[slot] then seen[ring[slot]] = nil end
            ring[slot], seen[token] = token, true
          end
          page = nil -- collectable while the next one is read: one page held at a time, not two
          local doc, err = self[list](self, token and with(query, pages.token, token) or query, opts)
          if not doc then
            over = true
            return false, err
          end
          page, i = doc, 0
        end
      end
    end
  end
end

return Client
