--- The client: one per set of credentials, holding its options and its
-- core handle, with a method for every endpoint of the table, blocking
-- and async, `request` for the others, and the waits for a training.
-- Made by @{scenario.new}; the methods are called with `:`.
-- @classmod scenario.Client
local core = require "scenario.core"
local errors = require "scenario.errors"
local retry = require "scenario.retry"
local Request = require "scenario.request"
local Scheduler = require "scenario.scheduler"
local Wait = require "scenario.wait"
local recording = require "scenario.recording"


local Client = {}
-- Each open client's request machine, by client: what poll checks its
-- receiver by. Weak, so that a client dropped unclosed is still collected.
local open_scheds = setmetatable({}, { __mode = "kv" })
Client.__index = Client
Client.__name = "scenario.Client"

local download = require "scenario.download"
local generation = require "scenario.generation"
local methods = require "scenario.methods"
local options = require "scenario.options"
local pages = require "scenario.pages"
local tasks = require "scenario.tasks"
local argerror = options.argerror
Client.option_names = options.option_names -- for the generated editor definitions' spec

--- Creates a client. See @{scenario.new} for the options.
-- @local
function Client.new(opts)
  local o = options
  opts = o.check_options(opts)
  for _, name in ipairs { "timeout", "connect_timeout", "max_retry_after" } do
    o.check_seconds(opts, name)
  end
  o.check_count(opts, "max_retries", 0)
  o.check_count(opts, "max_response_bytes", 1)
  o.check_count(opts, "max_request_bytes", 1)
  o.check_count(opts, "max_concurrent", 1)

  local base_url = opts.base_url or o.nonempty_env("SCENARIO_BASE_URL") or o.DEFAULT_BASE_URL
  local loopback, scheme = o.check_base_url(base_url, opts.allow_insecure)
  local proxy = o.core_proxy(opts.proxy, loopback)
  o.check_http_version(opts.http_version, scheme)
  o.check_ca_file(opts.ca_file)
  local api_key = opts.api_key or o.nonempty_env("SCENARIO_SDK_API_KEY")
  local api_secret = opts.api_secret or o.nonempty_env("SCENARIO_SDK_API_SECRET")
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
  if record == nil then record = o.nonempty_env("SCENARIO_RECORD") end -- false: not even the environment's
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
  open_scheds[self] = self._sched
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
  open_scheds[self] = nil
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

local NO_OPTIONS = options.NO_OPTIONS
Client.NO_OPTIONS = NO_OPTIONS
Client.check_call_options = options.check_call

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
  if ep.download then -- a file's transfer (scenario.download): its URL checked already
    call = t.start_download(self._handle, ep.url, ep.path, ep.max_bytes, reuse)
  elseif ep.raw then
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
  -- A host polls every frame, mostly with nothing going on: the receiver
  -- is checked by one lookup (getmetatable alone would cost more than the
  -- rest), and with nothing come in since a poll found the machine idle
  -- (sched.quiet) no round or drain is run.
  local sched = open_scheds[self]
  if sched == nil then
    -- Not an open client (check_self raises), or one a finaliser reaches:
    -- the collector takes such an object out of weak values first.
    check_self(self, "poll")
    sched = self._sched
    open_scheds[self] = sched
  end
  if sched.quiet then return 0 end
  sched:round(0)
  sched:drain()
  if sched:idle() then sched.quiet = true end
  return sched:unfinished()
end

-- Whether a blocking call should yield here rather than block.
-- (coroutine's functions are read at each call: a wrapper such as
-- coxpcall may replace them after this module is loaded.)
function Client:_yields()
  local co, main = coroutine.running()
  if co == nil or main or not (tasks.spawned(co) or self._yield) then return false end
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
    local reuse = sched.direct_call -- the idle call the last one left, if any: taken
    sched.direct_call = false
    local call, err = self:_call(ep, body, query, opts, reuse or nil, p1, p2)
    local a, b
    if call == nil then
      if reuse then sched.direct_call = reuse end -- not loaded: idle still, for the next
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
-- where the endpoint takes one (scenario.methods); scenario.validate_<name>
-- comes from the same record (init.lua), and so does the reference
-- (tools/ldoc_endpoints.lua writes it for make docs).

Client.endpoints = {} -- core.endpoints by name

for _, ep in ipairs(core.endpoints) do
  local name, async_name, n = ep.name, ep.name .. "_async", methods.opts_position(ep)
  local tb = ep.takes_body
  Client.endpoints[name] = ep
  -- A generation's body is checked against the model's inputs first
  -- (scenario.generation): the one endpoint whose body the schema leaves open.
  local checked = name == "generate"
  Client[name] = methods.positional(ep, function(self, body, query, opts, p1, p2)
    -- The checks of a call that uses no option cost a lookup each (poll's)
    if open_scheds[self] == nil then check_self(self, name) end
    opts = opts == nil and NO_OPTIONS or options.check_call(name, n, opts, false, tb, nil, ep)
    if checked then
      -- The schema's check first: a body it refuses needs no inputs fetched.
      local ok, raw = core.validate(name, body, opts.extra_body, nil, self:_query(query), p1)
      if not ok then return nil, errors.from_core(raw, { attempts = 0 }) end
      local list, why, stop = generation.inputs(self, p1)
      if stop then return nil, stop end
      local err = list and generation.check(list, body, opts.extra_body)
      if err then return nil, err end
      local a, b = self:_blocking(ep, body, self:_query(query), opts, p1)
      return generation.note(a, b, why)
    end
    if self.project_id ~= nil then query = self:_query(query) end
    return self:_blocking(ep, body, query, opts, p1, p2)
  end)
  Client[async_name] = methods.positional(ep, function(self, body, query, opts, p1, p2)
    check_self(self, async_name)
    opts = options.check_call(async_name, n, opts, true, tb, nil, ep)
    if checked then return generation.start(self, ep, body, self:_query(query), opts, p1) end
    return self:_start(ep, body, self:_query(query), opts, true, p1, p2)
  end)
end

-- ---- calls outside the table ----------------------------------------------------

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
  local ep, call_opts, body, query = options.check_raw("request", method, path, opts, false)
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
  local ep, call_opts, body, query = options.check_raw("request_async", method, path, opts, true)
  return self:_start(ep, body, self:_query(query), call_opts, true)
end

-- ---- waiting for a training or a job ----------------------------------------
-- One mechanism for both (scenario.Wait, lua/scenario/wait.lua), each
-- kind of wait an entry of Wait.KINDS.

local function start_wait(self, fname, kind, id, opts, async)
  check_self(self, fname)
  opts = options.check_wait(fname, kind, id, opts, async)
  local w = Wait.new(self, kind, id, opts)
  self._sched:add_wait(w)
  return w
end

-- The blocking form of what make() starts (a wait, a download): waited
-- on, or polled between yields in a coroutine that yields.
local function await(self, make)
  local yields = self:_yields()
  -- As _blocking: before 5.2 a yield can fail, so the first comes before
  -- the wait exists.
  if yields and not coroutine.isyieldable then coroutine.yield() end
  local w = make()
  if yields then -- not under pcall: before 5.2 a yield cannot cross it
    while not w:poll() do coroutine.yield(w) end
    return w:result()
  end
  -- What raises meanwhile (the client's sleep, an interrupt) must not
  -- leave it going on behind the caller's back.
  local ok, a, b = pcall(w.wait, w)
  if not ok then
    w:cancel()
    error(a, 0)
  end
  return a, b
end

local function run_wait(self, fname, kind, id, opts)
  check_self(self, fname)
  opts = options.check_wait(fname, kind, id, opts, false)
  return await(self, function()
    local w = Wait.new(self, kind, id, opts)
    self._sched:add_wait(w)
    return w
  end)
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
  return start_wait(self, "wait_for_training_async", Wait.KINDS.training, modelId, opts, true)
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
  local a, b = run_wait(self, "wait_for_training", Wait.KINDS.training, modelId, opts)
  return a, b
end

--- Waits for a job (a generation, say) to end, without blocking, as
-- `wait_for_training_async` waits for a training: polls `get_job` (3 s
-- apart at first, backing off to `max_interval` while nothing changes, never
-- sooner than a `Retry-After` asks), and calls `on_progress(job)` whenever
-- its `status` or `progress` changes.
-- @tparam string jobId
-- @tparam[opt] table opts `interval` (seconds, default 3), `max_interval`
--   (default 30), `timeout` (seconds; none by default), `on_progress`,
--   `on_done` (called once with what `wait_for_job` returns), `query`
--   (get_job's query: `projectId`)
-- @treturn scenario.Wait the wait: `poll`, `done`, `result`, `wait`, `cancel`
-- @raise on a jobId that is not a non-empty string, or a bad option
function Client:wait_for_job_async(jobId, opts)
  return start_wait(self, "wait_for_job_async", Wait.KINDS.job, jobId, opts, true)
end

--- Waits for a job to end, as `wait_for_job_async` does, and returns how
-- it ended. In a `scenario.spawn` coroutine (or any, with
-- `yield_in_coroutines`) it yields between rounds instead of blocking.
-- @tparam string jobId
-- @tparam[opt] table opts as for `wait_for_job_async`, without `on_done`
-- @treturn[1] table the job (`status == "success"`; its `metadata.assetIds`
--   are what it made)
-- @treturn[1] table meta of the last poll
-- @return[2] nil
-- @treturn[2] scenario.Error err: kind `job_failed` (with the job's
--   `metadata.error` in the message) or `job_canceled` (each with `err.job`,
--   as last seen), `timeout` when `opts.timeout` passed first, or the error
--   of a poll that failed for good
-- @raise as `wait_for_job_async`
function Client:wait_for_job(jobId, opts)
  local a, b = run_wait(self, "wait_for_job", Wait.KINDS.job, jobId, opts)
  return a, b
end

-- ---- downloads ----------------------------------------------------------------

--- Downloads an asset's file, without blocking. The file goes to disk as
-- it arrives, into a temporary file beside `path` that is renamed over it
-- once whole: a failed download leaves nothing at `path`. No credential
-- of the API goes to the file's host, whatever it is: the request carries
-- no Authorization, no cookie and no proxy credential, and the signed
-- query of the URL goes as given. Redirects are followed to https (or a
-- loopback host) only, at most 5; a URL that has expired (a 403) is
-- fetched again once, when the asset was given by id or table.
-- @param asset an asset table (its `url`), an asset id (fetched with
--   `get_asset` for its URL), or the URL itself (https, or http to a
--   loopback host)
-- @tparam[opt] string path where the file goes; nil returns its bytes
-- @tparam[opt] table opts `on_progress(done, total)` (bytes so far, and
--   the file's length when the server says it) between rounds,
--   `max_bytes` (default 1 GiB to a path, 64 MiB in memory: a larger file is refused), `timeout`,
--   `max_retries` (of each transfer), `on_done`
-- @return a download: `poll`, `done`, `result`, `wait`, `cancel`
-- @raise on an asset or URL it cannot take (an http URL to another host),
--   a bad path or a bad option
function Client:download_asset_async(asset, path, opts)
  check_self(self, "download_asset_async")
  opts = options.check_download("download_asset_async", asset, path, opts, true)
  return download.start(self, asset, path, opts)
end

--- Downloads an asset's file, as `download_asset_async` does, and returns
-- where it went. In a `scenario.spawn` coroutine it yields between rounds.
-- @param asset as for `download_asset_async`
-- @tparam[opt] string path as for `download_asset_async`
-- @tparam[opt] table opts as for `download_asset_async`, without `on_done`
-- @return[1] the path (or, with none, the file's bytes)
-- @treturn[1] table meta: `status`, `bytes`, `mime`, `path`, `attempts`
-- @return[2] nil
-- @treturn[2] scenario.Error err: the usual kinds, and `file` for the local
--   side (a directory missing or not writable, the disk full)
-- @raise as `download_asset_async`
function Client:download_asset(asset, path, opts)
  check_self(self, "download_asset")
  opts = options.check_download("download_asset", asset, path, opts, false)
  return await(self, function() return download.start(self, asset, path, opts) end)
end

--- Downloads every file a job made (its `metadata.assetIds`) into `dir`,
-- each named after its asset (`asset_x.png`), all at once on the
-- client's slots, and returns their paths in the job's order. The loop of
-- a game's asset tool in one call:
--
--     local doc = assert(client:generate(base, { prompt = "a red potion", numOutputs = 4 }))
--     local job = assert(client:wait_for_job(doc.job.jobId))
--     local paths = assert(client:download_job_assets(job, "assets/generated"))
--
-- @param job a job table (a finished one) or a job id (fetched with `get_job`)
-- @tparam string dir an existing directory
-- @tparam[opt] table opts `on_progress(done, total, path)` as each file
--   arrives, and `max_bytes`, `timeout`, `max_retries` of each file
-- @treturn[1] table the paths
-- @treturn[1] table meta: `bytes` in all, `assets` (each file's meta)
-- @return[2] nil
-- @treturn[2] scenario.Error err, the first failure, with `err.paths` (the
--   files that did arrive)
-- @raise on a bad job, dir or option
function Client:download_job_assets(job, dir, opts)
  check_self(self, "download_job_assets")
  opts = options.check_job_download("download_job_assets", job, dir, opts)
  if type(job) == "string" then
    local got, err = self:get_job(job)
    if not got then return nil, err end
    job = got
  end
  local ids = type(job.metadata) == "table" and job.metadata.assetIds or nil
  if type(ids) ~= "table" or ids[1] == nil then
    return nil, errors.new("invalid_response", ("the job %s lists no assets (metadata.assetIds)")
      :format(tostring(job.jobId)), { attempts = 0, job = job })
  end
  for i, id in ipairs(ids) do
    if type(id) ~= "string" then
      return nil, errors.new("invalid_response", ("the job %s lists an asset id that is a %s (metadata.assetIds[%d])")
        :format(tostring(job.jobId), type(id), i), { attempts = 0, job = job })
    end
  end
  -- As await does, before 5.2: the first yield comes before any download
  -- starts, so that one that fails leaves none going on.
  local yields = self:_yields()
  if yields and not coroutine.isyieldable then coroutine.yield() end
  local dls, done, progress = {}, 0, opts.on_progress
  for i, id in ipairs(ids) do
    local each = { max_bytes = opts.max_bytes, timeout = opts.timeout, max_retries = opts.max_retries }
    if progress then
      each.on_done = function(path)
        done = done + 1
        if path then progress(done, #ids, path) end
      end
    end
    dls[i] = download.start(self, id, nil, each, dir)
  end
  local paths, metas, bytes, first = {}, {}, 0, nil
  local function collect()
    for i, dl in ipairs(dls) do
      local path, meta = await(self, function() return dl end)
      if path then
        paths[#paths + 1], metas[i] = path, meta
        bytes = bytes + (meta.bytes or 0)
      elseif not first then
        first = meta
      end
    end
  end
  if yields then -- no pcall: before 5.2 a yield cannot cross it
    collect()
  else
    -- What raises meanwhile (an interrupt) leaves no file coming behind
    -- the caller's back.
    local ok, err = pcall(collect)
    if not ok then
      for _, dl in ipairs(dls) do dl:cancel() end
      error(err, 0)
    end
  end
  if first then
    first.paths = paths
    return nil, first
  end
  return paths, { bytes = bytes, assets = metas }
end

-- Iterators over every item of a list endpoint, across its pages
-- (scenario.pages).
--- How many pages in a row without an item an iterator (`each_model`)
-- reads before it ends with an `invalid_response` error: a server that
-- answers every page with no items and a fresh token would otherwise
-- keep it inside one call for ever. Read as the pages come: a program may
-- set it.
Client.MAX_EMPTY_PAGES = 100
for _, ep in ipairs(core.endpoints) do
  if ep.pages then Client[ep.pages.each] = pages.iterator(ep, check_self, Client) end
end

return Client
