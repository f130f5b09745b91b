--- A stand-in for the Scenario API, for your tests and demos: it holds
-- models, jobs and assets in memory, answers every endpoint of the
-- client's table with the documented shapes, trains models and runs
-- generation jobs through their stages as they are polled, and serves
-- the generated images (real PNG files) from a CDN of its own, at signed
-- URLs that expire as the test says.
--
--     local s = require("scenario.testing").start()   -- a server on 127.0.0.1
--     local client = scenario.new { base_url = s.base_url, api_key = "k", api_secret = "s" }
--     ...
--     s:stop()
--
-- `start` runs the server as a separate process (with LuaSocket, Debian's
-- lua-socket, in that process), so that blocking calls work against it;
-- it needs no credentials and no network beyond loopback (the API on
-- 127.0.0.1, its CDN on 127.0.0.2). Without a server,
-- `new():handle(method, path, query, body)` answers one request, and
-- `new():cdn(method, path, query, headers)` one request for a file.
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
-- instead). Generations are refused as the live API refuses them, with
-- its `{"reason": ...}` bodies: a LoRA or a composition in generate's
-- path (400), an input past its model's limits (400, such as `Input
-- lorasScale must be at most 2`), a model in `loras` that the stand-in
-- does not know (404). Served, it answers every request, whatever
-- the bytes: a request head over 64 KiB gets a 431, a body over 16 MiB
-- (the client's default `max_request_bytes`) a 413 as soon as its head
-- says so, and a handler that raises a 500 whose message says why.
-- @module scenario.testing
local core = require "scenario.core"
local api = require "scenario.standin_api"
local http = require "scenario.standin_http"
local process = require "scenario.standin_process"

-- This module is the stand-in's face: the stand-in itself (its routes,
-- faults and replay) is scenario.standin_api, over its resources
-- (scenario.standin_models, standin_jobs, standin_assets, with
-- standin_png and standin_common); its HTTP server is
-- scenario.standin_http, and the process it runs in
-- scenario.standin_process. What they do for a test is documented here.
local M = {}

--- Makes a stand-in with no models of the test's (but the two Flux base
-- models, `model_bfl-flux-1-dev` and `model_bfl-flux-2-dev`, which
-- `get_model` answers with their `inputs`), no jobs and no assets.
-- @tparam[opt] table opts `delay`: seconds before every answer (through a
--   server: `start`, `serve`); `training`: how trainings go (see `plan`);
--   `jobs`: how jobs go (see `job_plan`); `urls`: how asset URLs expire
--   (see `StandIn:script_urls`); `cdn_origin` (default
--   `"http://127.0.0.2"`; a server sets its own): where asset URLs point;
--   `base_path` (default `"/v1"`): where the API's
--   paths start; `model`: a model object that every new model starts as a
--   copy of (its id, timestamps and what the create body sets are the new
--   model's own); `replay`: a directory recorded with `record` (see
--   `scenario.recording`), whose answers it gives instead, each request
--   the next one recorded with its method, path and query
-- @treturn table the stand-in
-- @raise when `training`, `jobs` or `urls` is not what `plan`,
--   `job_plan` or `StandIn:script_urls` takes
-- @function new
M.new = api.new

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
-- @function plan
M.plan = api.plan

--- The statuses a generation job goes through, one per poll of the job
-- (`get_job`), or, with `seconds_per_step`, one per that many seconds:
-- `queued`, `warming-up`, `in-progress` with each progress value, and
-- `finalizing` (for a success), then its outcome. A success makes the
-- job's assets (one per output asked for: `numOutputs`, or txt2img's
-- `numSamples`) and lists them in `metadata.assetIds`; a failure sets
-- `metadata.error`.
-- @tparam[opt] table opts `outcome` (`"success"`, `"failure"` or
--   `"canceled"`; default `"success"`), `error` (the failure's
--   `metadata.error`), `progress` (the progress values of in-progress,
--   each from 0 to 1, default `{0.25, 0.5, 0.75}`), `seconds_per_step`
-- @treturn table the plan
-- @raise when `opts` is not a table of those fields, each as said
-- @function job_plan
M.job_plan = api.job_plan

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
-- @function StandIn:handle

--- Answers one request for an asset's file, as the CDN does at the URL
-- `get_asset` gives: 200 with the file (its `Content-Type`, and a
-- `Content-Length`) to a GET or a HEAD of a URL exactly as given; 403
-- (CloudFront's `AccessDenied`, in XML) to a request that carries an
-- `Authorization` header, whatever its URL, to a URL whose `Policy`,
-- `Signature` or `Key-Pair-Id` is not exactly as given (re-encoded, say),
-- and to a URL that has expired (see `StandIn:script_urls`).
-- @tparam string method
-- @tparam string path such as `"/assets/asset_x.png"`
-- @tparam[opt] string query as sent, without the `?`
-- @tparam[opt] table headers by lower-case name
-- @treturn int status
-- @treturn table headers
-- @treturn string body
-- @function StandIn:cdn

--- The endpoint a request goes to, or nil.
-- @tparam string method
-- @tparam string path
-- @treturn string|nil the endpoint's name
-- @function StandIn:route

--- Queues a fault: the next request to `fault.endpoint` (any of the
-- API's, if nil; `"cdn"` for the asset files) gets it instead of its
-- answer, `fault.count` times (default 1). A
-- fault is `status` (an answer with that status, and `body` or `code`),
-- `delay` (seconds before the answer) or `drop = true` (the connection
-- closed with no answer); the last two only through a server (`start`).
-- @tparam table fault
-- @raise when `fault` is not a table of those fields, with a known
--   endpoint, a status from 100 to 599, a delay of at least 0 and a whole
--   count of at least 1, or has none of `status`, `delay` and `drop`
-- @function StandIn:fault

--- Sets how the trainings started from now on go (see `plan`).
-- @tparam table opts as for `plan`
-- @raise as `plan` does
-- @function StandIn:script

--- Sets how the jobs started from now on go (see `job_plan`).
-- @tparam table opts as for `job_plan`
-- @raise as `job_plan` does
-- @function StandIn:script_jobs

--- Sets how the asset URLs given from now on expire: `ttl`, the seconds
-- a URL is good for once given (default 86400: the CDN guide's shortest,
-- 24 hours; it is good for between `ttl` and `ttl` + 1 s), and `expired`,
-- how many of the next URLs are given expired already (default 0): a
-- test of a client that fetches the asset again for a fresh URL once.
-- @tparam table opts
-- @raise when `opts` is not a table of those fields, whole numbers
-- @function StandIn:script_urls

--- Expires every asset URL given so far, as if their time had passed:
-- the CDN's clock moves past the last of them. URLs given afterwards
-- are good for their `ttl`.
-- @function StandIn:expire_urls

--- Serves a stand-in over HTTP on 127.0.0.1 (and its CDN, as `start`
-- says) until told to stop, or until the process `opts.parent` is gone.
-- Prints `READY <port> <pid> <cdn host> <cdn port>` on standard output
-- once it listens: what `start` runs in its process.
-- @tparam[opt] table opts as for `new`, and `port` (default: any free
--   one), `parent` (a process id)
function M.serve(opts)
  opts = opts or {}
  http.serve(M.new(opts), opts)
end

local Server = {}
Server.__index = Server
Server.__gc = function(self) self:stop() end

--- Starts a stand-in server in a process of its own, on 127.0.0.1, with
-- its CDN on 127.0.0.2 (at the same port when it is free there; on
-- 127.0.0.1 at another port where 127.0.0.2 cannot be bound).
-- @tparam[opt] table opts as for `new` (`model`, `training`, `jobs`,
--   `urls`, `delay`, `replay`), and `lua` (the interpreter command;
--   default this one's Debian name: `lua5.4`, `luajit`...)
-- @treturn table the server: `base_url` (`http://127.0.0.1:PORT/v1`, for
--   `scenario.new`), `port`, `pid` (its process, where `/proc` tells),
--   `cdn_host` and `cdn_port` (where the asset URLs point), `fault(f)`,
--   `script(training)`, `script_jobs(opts)`, `script_urls(opts)`,
--   `expire_urls()`, `requests()` (what it was asked, in order), `stop()`
-- @raise when the server does not start (LuaSocket missing, say)
function M.start(opts)
  opts = opts or {}
  local socket = require "socket"
  local config = { model = opts.model, training = opts.training, jobs = opts.jobs, urls = opts.urls,
                   delay = opts.delay, replay = opts.replay, parent = process.my_pid() }
  -- proc is nil when it did not start, and port the line it gave instead.
  local proc, port, pid, cdn_host, cdn_port = process.spawn(opts.lua or process.interpreter(),
    ("package.path = %q; package.cpath = %q; local core = require 'scenario.core'; "
    .. "require('scenario.testing').serve(core.parse_json(%q))\n")
    :format(package.path, package.cpath, assert(core.to_json(config))))
  if not proc then error("scenario.testing: the stand-in did not start: " .. tostring(port), 2) end
  local server = setmetatable({ port = port, pid = pid, cdn_host = cdn_host, cdn_port = cdn_port,
    base_url = ("http://127.0.0.1:%d/v1"):format(port), proc = proc, socket = socket, stopped = false }, Server)
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

-- Asks the server's control path (see standin_http's control).
function Server:_control(what, body, timeout)
  return http.control(self.port, what, body, timeout)
end

-- Sends opts to a control that takes them, and raises (at the test's
-- call) what the server says is wrong with them, or that it is gone.
function Server:_steer(what, opts)
  local body, problems = core.to_json(opts)
  if not body then error(("bad argument #1 to '%s' (%s)"):format(what, api.describe(problems)), 3) end
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

--- Sets how jobs started from now on go (see `job_plan`).
-- @tparam table opts
-- @raise as `job_plan` does, or when the server is gone
function Server:script_jobs(opts) self:_steer("script_jobs", opts) end

--- Sets how asset URLs given from now on expire (see the stand-in's
-- `script_urls`).
-- @tparam table opts `ttl`, `expired`
-- @raise as the stand-in's `script_urls` does, or when the server is gone
function Server:script_urls(opts) self:_steer("script_urls", opts) end

--- Expires every asset URL given so far (see the stand-in's `expire_urls`).
-- @raise when the server is gone
function Server:expire_urls() self:_steer("expire_urls", {}) end

--- What the server was asked so far, in order: `{method, path, query,
-- endpoint, host, headers, body, raw}` each. `endpoint` is `"cdn"` for a
-- request for an asset's file; `host` is the `Host` header, `headers`
-- the request's headers by lower-case name, with the values of those
-- that may carry a credential (`authorization`, or a name holding
-- `auth`, `cookie`, `key`, `token`, `secret` or `session`) written
-- `[redacted]`. `body` is the request's body as decoded JSON, a null
-- member as `core.null` (`scenario.null`); a body that is not JSON is
-- `raw`, as text. Bytes that are not UTF-8 are written `\xHH`. A request
-- the server could not read (no request line, a head or body too large)
-- is not listed.
-- @treturn[1] table
-- @return[2] nil
-- @treturn[2] string why, when the server did not answer
function Server:requests()
  local status, answer = self:_control("requests", "")
  if status ~= 200 then return nil, status and answer or answer end
  return core.parse_json(answer, true)
end

--- Stops the server and waits for its process: asked to stop, and killed
-- (SIGKILL) if it has not ended 0.8 s later, so that it returns within
-- 2 s whatever state the server is in (where `/proc` gives its `pid`).
-- Safe to call twice.
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  process.stop(self, function(wait)
    pcall(self._control, self, "stop", "", wait) -- no socket left, say: it is killed then
  end)
end

return M
