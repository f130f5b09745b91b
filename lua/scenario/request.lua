--- A request in flight: what `client:create_model_async` returns.
-- The blocking `client:create_model` is the same object, waited on.
--
-- A request is queued until the client has a free slot
-- (`max_concurrent`), then running; a failure the retry policy accepts
-- puts it in backoff until a not-before time, which `poll` checks (never a
-- sleep); it ends done. Every step happens inside `poll`, `wait` or
-- `client:poll`: nothing runs behind the caller's back. Its `on_done`
-- runs from one of those too, never inside the call that started it.
-- Its state is its client's machine's to write (scenario.scheduler).
-- @classmod scenario.Request
local core = require "scenario.core"
local errors = require "scenario.errors"
local retry = require "scenario.retry"
local recording = require "scenario.recording"
local Pollable = require "scenario.pollable"

-- A success's meta makes its headers table when it is first read: the
-- core hands the header lines over as they came (core.finish), and most
-- callers never look at them.
local lazy_headers = setmetatable({}, { __mode = "k" })
local Meta = {
  __index = function(meta, k)
    local lines = lazy_headers[meta]
    if k ~= "headers" or lines == nil then return nil end
    local h = core.parse_headers(lines)
    lazy_headers[meta] = nil
    rawset(meta, "headers", h)
    return h
  end,
}
local Request = {}
Request.__index = Request
Request.__name = "scenario.Request"

-- (Re)makes t a request of client for endpoint ep (an entry of
-- core.endpoints) with its validated core call. Every field is set, so
-- that a table made here is made once at its full size, and one reused
-- (the client's direct calls) keeps nothing of before.
function Request.reset(t, client, ep, call, on_done, max_retries, headers)
  t.client = client
  t.sched = client._sched
  t.headers = headers -- the call's own request headers, for a recording
  t.ep = ep
  t.endpoint = ep.name
  t.idempotent = ep.idempotent
  t.call = call
  t.on_done = on_done
  t.attempts = 0
  t.max_retries = max_retries or client.max_retries -- the call's own, or the client's
  t.state = "queued"
  t.r1, t.r2, t.t0, t.not_before = false, false, false, false
  t.keep_call = false -- on completion, the call stays the caller's (a direct call)
  t.key = false -- its call's key while it runs (the machine's inflight list)
  t.callback_error = nil
  t.inputs_unchecked = false -- why a generation's body went unchecked (scenario.generation), for its meta
  return setmetatable(t, Request)
end

-- Made by Client:_start once the call has passed validation.
function Request.new(client, ep, call, on_done, max_retries, headers)
  return Request.reset({
    client = false, sched = false, ep = false, endpoint = false, idempotent = false, call = false,
    on_done = false, attempts = 0, max_retries = 0, state = false, r1 = false, r2 = false, t0 = false,
    not_before = false, keep_call = false, headers = false, key = false, inputs_unchecked = false,
  }, client, ep, call, on_done, max_retries, headers)
end

function Request:__tostring()
  return ("scenario.Request (%s, %s)"):format(self.endpoint, self.state)
end

-- What its log lines name it by.
function Request:_what()
  return self.endpoint
end

-- The meta of a success: what core.finish returned beside the result.
function Request:_meta(status, headers, raw, problems)
  local meta = { status = status, body = raw, attempts = self.attempts, problems = problems,
                 inputs_unchecked = self.inputs_unchecked or nil }
  if type(headers) == "string" then
    lazy_headers[meta] = headers
    return setmetatable(meta, Meta)
  end
  meta.headers = headers
  return meta
end

-- " in 12.3 ms", or "" when the attempt was not timed (no logger).
local function took(t0)
  return t0 and (" in %.1f ms"):format((core.now() - t0) * 1000) or ""
end

-- What the client's policy makes of the attempt that just ended: ok and
-- what core.finish returned, as pcall gives them. Returns nil and the
-- two values to end with, or the delay in seconds before the next
-- attempt. Logs as it decides.
function Request:_outcome(call, ok, result, status, headers, raw, problems)
  local c, endpoint, attempts, t0 = self.client, self.endpoint, self.attempts, self.t0
  if not ok and c._closed then
    -- A finaliser closed the client as the result was taken.
    return nil, nil, errors.new("cancelled", "the request was cancelled", { attempts = attempts })
  end
  if not ok then
    -- The response could not be taken in (memory ran out while decoding,
    -- say). The request ends: it may have succeeded, so it is not sent again.
    local t = c._transport
    local method, url
    if t.target then method, url = t.target(call) end
    local err = errors.new("internal", "the response could not be read: " .. tostring(result),
      { attempts = attempts, method = method, url = url })
    c:_log("warn", "%s: failed after %d attempt(s)%s: %s", c:_where(call, endpoint), attempts,
      took(t0), tostring(err))
    return nil, nil, err
  end
  if result ~= nil and self.ep.download then
    -- A file: its path (or its bytes), status, header lines, size and type.
    if t0 then c:_log("debug", "%s: HTTP %d, %d bytes%s", c:_where(call, endpoint), status, raw, took(t0)) end
    local meta = { status = status, bytes = raw, mime = problems, attempts = attempts }
    lazy_headers[meta] = headers
    return nil, result, setmetatable(meta, Meta)
  end
  if result ~= nil then
    if t0 then
      c:_log("debug", "%s: HTTP %d%s", c:_where(call, endpoint), status, took(t0))
      if problems then
        c:_log("warn", "%s: HTTP %d: the response does not match the documented shape "
          .. "(meta.problems): %s", c:_where(call, endpoint), status, errors.escape(errors.list_problems(problems)))
      end
    end
    return nil, result, self:_meta(status, headers, raw, problems)
  end
  local err = errors.from_core(status, { attempts = attempts, parse_date = core.parse_http_date })
  local delay
  if attempts <= self.max_retries and retry.retryable(err, self.idempotent, c.retry_unsafe) then
    delay = retry.delay(attempts, err, c.max_retry_after, c._random)
  end
  if delay == nil then
    c:_log("warn", "%s: failed after %d attempt(s)%s: %s", c:_where(call, endpoint), attempts,
      took(t0), tostring(err))
    return nil, nil, err
  end
  c:_log("info", "%s: retrying in %.2f s after attempt %d%s: %s", c:_where(call, endpoint), delay,
    attempts, took(t0), tostring(err))
  return delay
end

-- Writes the attempt that just ended to the client's recording, if it
-- got an answer (a failure without one has nothing to replay). A
-- recording that cannot be written is logged and kept in
-- client.record_error: the call's own result stands.
function Request:_record(call, result, status, headers, raw)
  local c = self.client
  local t = c._transport
  if result == nil then -- status is the error
    if type(status) ~= "table" or not status.status then return end
    status, headers, raw = status.status, status.headers, status.body
  elseif type(headers) == "string" then
    headers = core.parse_headers(headers)
  end
  local method, url
  if t.target then method, url = t.target(call) end
  if not method then return end
  local file, err = recording.write(c._recorder, c._handle, {
    endpoint = self.ep.raw and "request" or self.endpoint, method = method, url = url, attempt = self.attempts,
    request_headers = self.headers, request_body = t.sent and t.sent(call),
    status = status, headers = headers, body = raw,
  })
  if not file then
    c.record_error = err
    c:_log("warn", "%s: the exchange could not be recorded: %s", c:_where(call, self.endpoint),
      errors.escape(tostring(err)))
  end
end

-- poll, done, result and wait, as a training wait has them too.
local shared = Pollable.methods(Request, { noun = "request", var = "req",
  unfinished = "the request has not finished", pending = "still in flight after %g s" })
local check_self = shared.check_self

--- Moves this request, and every other one of its client, forward
-- without blocking; the callbacks of what ended run here.
-- @function poll
-- @treturn boolean whether the request has finished
Request.poll = shared.poll

--- Whether the request has finished, without moving anything.
-- @function done
-- @treturn boolean
Request.done = shared.done

--- The result of a finished request, exactly as the blocking call returns
-- it.
-- @function result
-- @treturn[1] table the model
-- @treturn[1] table meta
-- @return[2] nil
-- @treturn[2] scenario.Error err (kind `cancelled` after `cancel`)
-- @raise when the request has not finished
Request.result = shared.result

--- Blocks until the request finishes, or until `timeout` seconds pass.
-- Other requests of the client move forward meanwhile.
-- @function wait
-- @tparam[opt] number timeout seconds; none waits as long as it takes
-- @treturn[1] table the model
-- @treturn[1] table meta
-- @return[2] nil
-- @treturn[2] scenario.Error err; kind `pending` if the timeout passed first
--   (the request goes on, and can be waited on again)
Request.wait = shared.wait

-- How a wait spends a moment with nothing on the wire: backing off, it
-- sleeps (the client's sleep) until its retry is due, or until other
-- work is (a training wait's next poll), at most left seconds.
function Request:_idle(now, left)
  if self.state ~= "backoff" then return end
  local c, sched = self.client, self.sched
  local until_t = math.min(self.not_before, sched:due(now))
  local d = until_t - now
  if left and d > left then d = left end
  if d > 0 then c._sleep(d) end
  -- The sleep is the client's hook: what it did meanwhile (a cancel, a
  -- poll that sent this request again, a close) stands.
  if self.state == "backoff" and self.not_before == until_t and not c._closed and (not left or d < left) then
    sched:schedule(self, core.now()) -- served
  end
end

function Request:_attempts()
  return self.attempts
end

--- Stops the request. A request that has not finished ends with an error
-- of kind `cancelled` (its `on_done` runs with it); the transfer is
-- dropped and nothing is reported as succeeded. Cancelling a finished
-- request changes nothing.
-- @treturn boolean whether it was still in flight
function Request:cancel()
  check_self(self, "cancel")
  return self.sched:cancel(self)
end

return Request
