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
local api = require "scenario.standin_api"
local http = require "scenario.standin_http"
local process = require "scenario.standin_process"

-- This module is the stand-in's face: the stand-in itself (its models,
-- handlers, faults and plans) is scenario.standin_api, its HTTP server
-- scenario.standin_http, and the process it runs in
-- scenario.standin_process. What they do for a test is documented here.
local M = {}

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

--- The endpoint a request goes to, or nil.
-- @tparam string method
-- @tparam string path
-- @treturn string|nil the endpoint's name
-- @function StandIn:route

--- Queues a fault: the next request to `fault.endpoint` (any, if nil)
-- gets it instead of its answer, `fault.count` times (default 1). A
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

--- Serves a stand-in over HTTP on 127.0.0.1 until told to stop, or until
-- the process `opts.parent` is gone. Prints `READY <port> <pid>` on
-- standard output once it listens: what `start` runs in its process.
-- @tparam[opt] table opts as for `new`, and `port` (default: any free
--   one), `parent` (a process id)
function M.serve(opts)
  opts = opts or {}
  http.serve(M.new(opts), opts)
end

local Server = {}
Server.__index = Server
Server.__gc = function(self) self:stop() end

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
                   parent = process.my_pid() }
  -- proc is nil when it did not start, and port the line it gave instead.
  local proc, port, pid = process.spawn(opts.lua or process.interpreter(),
    ("package.path = %q; package.cpath = %q; local core = require 'scenario.core'; "
    .. "require('scenario.testing').serve(core.parse_json(%q))\n")
    :format(package.path, package.cpath, assert(core.to_json(config))))
  if not proc then error("scenario.testing: the stand-in did not start: " .. tostring(port), 2) end
  local server = setmetatable({ port = port, pid = pid,
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
