--- Lua client for the Scenario generative-AI API.
-- Runtime failures never raise: they return `nil, err`, with `err` an
-- @{Error}. Programmer mistakes (a wrong argument type, an unknown option)
-- raise.
-- @module scenario
-- @usage
-- local scenario = require "scenario"
-- local client = scenario.new()   -- SCENARIO_SDK_API_KEY / _SECRET
-- local model, err = client:create_model { name = "Cinematic Realism", type = "flux.1-lora" }
-- if not model then error(tostring(err)) end
-- print(model.id, model.status)
local core = require "scenario.core"
local errors = require "scenario.errors"
local Client = require "scenario.client"
local methods = require "scenario.methods"
local options = require "scenario.options"
local tasks = require "scenario.tasks"


local M = {
  --- The version of this library, such as `"0.1.0"`.
  _VERSION = core._VERSION,
  --- The JSON null sentinel (the same value as `cjson.null`):
  -- `classSlug = scenario.null` unsets the class.
  null = core.null,
  --- Marks a table as a JSON array, so that it is written `[]` when empty
  -- (an empty table is written `{}`): in `extra_body`, `client:request`'s
  -- `body`, and anywhere a value is sent without a schema. A typed array
  -- field needs no mark. It returns the table (a new one with no argument).
  -- @function array
  -- @tparam[opt] table t a table without a metatable
  -- @treturn table t
  array = core.array,
  -- Every enum of the reference pages, as arrays in the pages' order; its
  -- reference, every enum with its values, is written from the table
  -- itself (tools/ldoc_endpoints.lua), not listed here.
  enums = core.enums,
  -- The metatable of error values: documented as the Error type below.
  Error = errors.Error,
  --- Whether `v` is an error value made by this library.
  -- @function is_error
  -- @param v any value
  -- @treturn boolean
  is_error = errors.is_error,
}

--- Creates a client.
-- The key and secret go to the C handle only: they are not stored on the
-- client table and never appear in `tostring(client)`, an error or a log line.
-- @tparam[opt] table opts
-- @tparam[opt] string opts.api_key default: env `SCENARIO_SDK_API_KEY`; sent as HTTP Basic auth
-- @tparam[opt] string opts.api_secret default: env `SCENARIO_SDK_API_SECRET`
-- @tparam[opt] string opts.base_url default: env `SCENARIO_BASE_URL`, else
--   `https://api.cloud.scenario.com/v1`; must be https unless the host is
--   loopback or `allow_insecure` is set
-- @tparam[opt=false] boolean opts.allow_insecure allow a plain http `base_url` to any host
-- @tparam[opt=60] number opts.timeout seconds for a whole exchange, in (0, 1e6]
-- @tparam[opt=10] number opts.connect_timeout seconds to connect, in (0, 1e6]
-- @tparam[opt=2] int opts.max_retries retries after the first attempt
-- @tparam[opt] string opts.project_id sent as the `projectId` query parameter
-- @tparam[opt=false] boolean opts.retry_unsafe also retry 5xx answers, timeouts and
--   connections lost after sending, which may create a model twice
-- @tparam[opt=60] number opts.max_retry_after longest `Retry-After`, in seconds,
--   the client will wait out; a longer one is returned as `err.retry_after`
-- @tparam[opt=16 MiB] int opts.max_response_bytes larger responses are refused
-- @tparam[opt=16 MiB] int opts.max_request_bytes larger request bodies are refused,
--   nothing sent; it also bounds the walk of a body made of shared subtables
-- @tparam[opt=false] boolean opts.strict_responses a 2xx of another shape than the
--   documented one is an `invalid_response` error, instead of a success with
--   `meta.problems`
-- @tparam[opt] string opts.ca_file PEM certificates to trust instead of libcurl's
--   bundle (the CA of a proxy that inspects TLS, say); `new` raises if it cannot
--   be read
-- @tparam[opt] string opts.ca_path a directory of PEM certificates (`openssl rehash`)
-- @tparam[opt] string|false opts.proxy a proxy URL (http, https, socks4, socks4a,
--   socks5, socks5h), or false for none; by default libcurl's environment
--   variables (`http_proxy`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) apply, except
--   for a loopback `base_url`, which never goes through them
-- @tparam[opt] string opts.http_version `"1.1"`, or `"2"`; by default HTTP/2 when
--   TLS negotiates it (ALPN) and HTTP/1.1 otherwise. Over HTTP/2, concurrent
--   requests share one connection. `"2"` over plain http speaks HTTP/2 with prior
--   knowledge (h2c), for a local server known to speak it (libcurl 8.0 or later;
--   `new` raises on an older one)
-- @tparam[opt] string opts.user_agent default: `scenario-lua/VERSION libcurl/VERSION`
-- @tparam[opt] function opts.logger `function(level, line)`: `"debug"` lines for
--   each attempt and its status and duration, `"info"` for retries, `"warn"` for
--   failures and for responses with shape problems; each names the method and
--   path; built without headers, so never with credentials, and with server
--   text escaped
-- @tparam[opt=8] int opts.max_concurrent requests with a transfer in flight at
--   once; more wait their turn
-- @tparam[opt=false] boolean opts.yield_in_coroutines `create_model` yields
--   (the request) instead of blocking in any coroutine, not only in those of
--   `spawn`
-- @tparam[opt] function opts.sleep `function(seconds)`, default a blocking sleep;
--   `req:wait` and the blocking calls sleep out a retry's backoff with it
-- @tparam[opt] function opts.random `function()` returning a number in [0, 1),
--   default `math.random`; used for the jitter between retries
-- @tparam[opt] string opts.record a directory to record every exchange into, as
--   fixtures that `scenario.testing` replays (default: env `SCENARIO_RECORD`); the
--   Authorization header, the key and the secret are replaced by a marker in
--   every recorded byte (see `scenario.recording`)
-- @tparam[opt] table opts.transport a table with the call functions of
--   `scenario.core` (`start`, `submit`, `perform`, `state`, `finish`, `cancel`); for tests
-- @treturn scenario.Client
-- @raise on an unknown option or a wrong type, a bad `base_url` (not https
--   unless loopback, or with a query or fragment), an unreadable `ca_file`, or
--   missing credentials
function M.new(opts, ...)
  if opts == M then -- scenario:new{...}: the options are the next argument
    error(("bad argument #1 to 'new' (call it as scenario.new(%s), with a dot: scenario:new passes "
      .. "the module as the options)"):format(select("#", ...) > 0 and "opts" or ""), 2)
  end
  return Client.new(opts)
end

-- scenario.validate_<name>(path params..., [body,] query, opts) for every
-- endpoint of core.endpoints: what client:<name> checks before it sends
-- anything, with the same arguments, without a client. Documented with
-- the methods (tools/ldoc_endpoints.lua).
for _, ep in ipairs(core.endpoints) do
  local fname, name, tb, n = "validate_" .. ep.name, ep.name, ep.takes_body, methods.opts_position(ep)
  local validate = methods.positional(ep, function(_, body, query, opts, ...)
    opts = options.check_call(fname, n, opts, false, tb, nil, ep)
    local ok, raw = core.validate(name, body, opts.extra_body, nil, query, ...)
    if ok then return true end
    return nil, errors.from_core(raw, { attempts = 0 })
  end)
  M[fname] = function(...) return validate(nil, ...) end
end

-- An image file's data URL, for data_url and image_base64 (fname, for
-- their messages), or nil and a `file` error.
local function read_image(fname, path, opts)
  if type(path) ~= "string" then
    error(("bad argument #1 to '%s' (string expected, got %s)"):format(fname, type(path)), 3)
  end
  local max_bytes
  if opts ~= nil then
    if type(opts) ~= "table" then
      error(("bad argument #2 to '%s' (table expected, got %s)"):format(fname, type(opts)), 3)
    end
    for k, v in pairs(opts) do
      if k ~= "max_bytes" then
        error(("bad argument #2 to '%s' (unknown option '%s')"):format(fname, tostring(k)), 3)
      end
      if type(v) ~= "number" or v < 1 or v ~= math.floor(v) or v > 2 ^ 53 then
        error(("bad argument #2 to '%s' (option 'max_bytes' must be a positive integer, at most 2^53)"):format(fname),
          3)
      end
    end
    max_bytes = opts.max_bytes
  end
  if path:find("\0", 1, true) then
    error(("bad argument #1 to '%s' (the path contains a NUL byte)"):format(fname), 3)
  end
  local url, message = core.data_url(path, max_bytes)
  if url then return url end
  return nil, errors.new("file", message, { path = path })
end

--- An image file as a data URL, for the `data` of
-- @{scenario.Client:add_training_images}: `"data:image/png;base64,..."`.
-- The type is read from the file's first bytes (PNG, JPEG, WebP or GIF),
-- never from its name; the encoding is done in C.
-- @tparam string path the file
-- @tparam[opt] table opts `max_bytes`: the largest file accepted, default
--   12 MiB less 4 KiB, so that the data URL and the rest of the body fit
--   the default `max_request_bytes`
-- @treturn[1] string the data URL
-- @return[2] nil
-- @treturn[2] scenario.Error err of kind `file`: the file is missing,
--   unreadable, not a regular file, too large, or not one of those images
-- @raise when `path` is not a string or `opts` is not a table of known options
function M.data_url(path, opts)
  return read_image("data_url", path, opts)
end

--- An image file in bare base64, for the `image` of
-- @{scenario.Client:upload_asset}, which the upload guide sends without
-- the `data:` prefix: `client:upload_asset { name = "leaf.png", image =
-- assert(scenario.image_base64("leaf.png")) }`. The file is checked as
-- @{data_url} checks it.
-- @tparam string path the file
-- @tparam[opt] table opts `max_bytes`, as for @{data_url} (the guide takes
--   images under 6 MB this way)
-- @treturn[1] string the base64
-- @treturn[1] string its media type (`"image/png"`)
-- @return[2] nil
-- @treturn[2] scenario.Error err of kind `file`, as @{data_url}'s
-- @raise as @{data_url}
function M.image_base64(path, opts)
  local url, err = read_image("image_base64", path, opts)
  if not url then return nil, err end
  local mime, b64 = url:match("^data:([^;,]+);base64,(.*)$")
  return b64, mime
end

--- Runs `fn(...)` in a coroutine in which the client's blocking calls
-- (`create_model`) yield instead of block. The host drives every spawned
-- coroutine with `scenario.step()` from its frame callback, so the script
-- reads like the blocking version:
--
--     scenario.spawn(function()
--       local model, err = client:create_model { name = "n", type = "flux.1-lora" }
--       print(model and model.id or tostring(err))
--     end)
--     function love.update(dt) scenario.step() end
--
-- A coroutine the host runs itself yields the same way if the client was
-- made with `yield_in_coroutines = true`; it yields the request, and the
-- host resumes it (each frame, say) until it ends. On Lua 5.1 and 5.2,
-- where a yield can fail unannounced (across `pcall` in 5.1), the first
-- yield comes before the request exists and passes nothing, so a failed
-- yield sends nothing.
-- @tparam function fn the script
-- @param ... its arguments
-- @treturn table the task: `task.done` (boolean), and once done
--   `task.ok`, and `task.results` (what `fn` returned, with its count
--   `n`, as `table.pack` makes it) or `task.error` (what it raised)
-- @raise when `fn` is not a function
function M.spawn(fn, ...)
  if type(fn) ~= "function" then
    error(("bad argument #1 to 'spawn' (function expected, got %s)"):format(type(fn)), 2)
  end
  return tasks.spawn(fn, ...)
end

--- What `step` does with the error of a task that raised: by default it
-- writes `scenario.step: a spawned task raised: ...` to stderr. Replace it
-- to send it to your host's log (or to keep tests quiet).
-- @tparam table task the task, its `error` set
-- @param err what it raised
function M.report_task_error(task, err) -- luacheck: ignore 212
  io.stderr:write("scenario.step: a spawned task raised: ", tostring(err), "\n")
end

--- Resumes each spawned coroutine once, in spawn order; each one polls
-- its request and yields again if it has not finished. Call it once per
-- frame. What a coroutine raises ends that task only (`task.error`), and
-- goes to `report_task_error` (stderr, by default); the others go on.
-- @treturn integer how many tasks are still running
function M.step()
  local n = tasks.step(M.report_task_error) -- looked up now: a host may replace it
  return n
end

local sets = {}

--- Whether `value` is one of the values of the enum `name`.
-- @tparam string name an enum name, such as `"model_type"`
-- @param value the value to look for
-- @treturn boolean
-- @raise if there is no enum `name`
function M.in_enum(name, value)
  local set = sets[name]
  if set == nil then
    local list = core.enums[name]
    if list == nil then
      error(("bad argument #1 to 'in_enum' (unknown enum '%s')"):format(tostring(name)), 2)
    end
    set = {}
    for _, v in ipairs(list) do set[v] = true end
    sets[name] = set
  end
  return set[value] == true
end

--- An error value, returned as `nil, err` by every call that can fail at
-- run time. Its metatable is `scenario.Error` (test with @{is_error}), and
-- `tostring(err)` reads like
-- `scenario: rate_limit (HTTP 429, RATE_LIMIT_EXCEEDED): slow down`.
-- Fields that do not apply to a failure are absent.
-- @type Error

--- What went wrong. One of:
-- `validation` (the body or query breaks the schema; nothing was sent),
-- `bad_request` (HTTP 400), `authentication` (401), `permission_denied` (403),
-- `not_found` (404), `conflict` (409), `unprocessable` (422),
-- `rate_limit` (429), `server` (500 and above),
-- `http` (any other non-2xx status, a redirect among them: redirects are not followed),
-- `connection` (no answer: refused, reset, DNS, TLS),
-- `timeout` (the exchange took longer than the `timeout` option, or
-- connecting longer than `connect_timeout`),
-- `invalid_response` (a 2xx that is not the documented JSON, or a response
-- over `max_response_bytes`),
-- `cancelled` (`req:cancel()`, or the client closed with the request in flight),
-- `internal` (the response arrived but could not be taken in: memory ran out;
-- not retried, since the call may have succeeded),
-- `pending` (`req:wait(timeout)` timed out; the request goes on),
-- `training_failed` (`wait_for_training`: the training ended as `failed`),
-- `training_canceled` (`wait_for_training`: the training was canceled),
-- `file` (`data_url`: the file is missing, unreadable or too large).
-- @tfield string kind

--- A readable description; for `validation`, every problem with its path.
-- Text from the server is kept as sent; `tostring(err)` escapes it.
-- @tfield string message

--- The HTTP method of the exchange, such as `"POST"`.
-- @tfield string method

--- The URL of the exchange, query included; it never holds credentials.
-- @tfield string url

--- The HTTP status, when one arrived.
-- @tfield int status

--- The API's error code, such as `"RATE_LIMIT_EXCEEDED"`, from the error
-- body or the `x-amzn-errortype` header, when there is one.
-- @tfield string code

--- The raw response body, when the whole response arrived.
-- @tfield string body

--- The response headers, with lower-case names, when the whole response
-- arrived.
-- @tfield table headers

--- Seconds the server asked to wait (`Retry-After` or `retry-after-ms`).
-- When that is longer than the `max_retry_after` option, the call returns
-- the error instead of waiting.
-- @tfield number retry_after

--- How many attempts were made: 0 when nothing was sent (from
-- @{validate_create_model}, or a `validation` error of a client method).
-- @tfield int attempts

--- For `validation` and `invalid_response`: the problems, each
-- `{path = "concepts[2].scale", message = "..."}` (paths use 1-based
-- indices); at most 64 of them.
-- @tfield {table,...} errors

--- With `errors`: how many problems there were in all.
-- @tfield int error_count

--- For `connection` and `timeout`: whether any byte of the request left,
-- that is whether the server may have acted on it.
-- @tfield boolean sent

--- For `connection`, `timeout` and an over-size `invalid_response`:
-- libcurl's `CURLcode`.
-- @tfield int curl_code

--- For `connection`: true when the server's certificate could not be
-- verified (or the CA file could not be read). Such a failure is not retried.
-- @tfield boolean certificate

return M
