--- Waiting for a training: what `client:wait_for_training_async` returns.
-- It polls `get_model` until the model's training ends, calling
-- `on_progress` whenever its status or progress changes. It is driven by
-- `client:poll()` (or its own `poll` and `wait`) like every request, and
-- never blocks a round: between polls it only checks the time.
-- @classmod scenario.Wait
local core = require "scenario.core"
local errors = require "scenario.errors"
local retry = require "scenario.retry"
local Pollable = require "scenario.pollable"

local Wait = {}
Wait.__index = Wait
Wait.__name = "scenario.Wait"

Wait.INTERVAL = 5      -- seconds between polls at first, and after a change
Wait.MAX_INTERVAL = 30 -- the cap the interval backs off to while nothing changes
Wait.BACKOFF = 1.5

-- What on_progress tells apart: the status and the training's stage,
-- queue position, progress and remaining time.
local function signature(model)
  local p = type(model.trainingProgress) == "table" and model.trainingProgress or {}
  return table.concat({ tostring(model.status), tostring(p.stage), tostring(p.position), tostring(p.progress),
    tostring(p.remainingTimeMs) }, "|")
end

--- Made by client:wait_for_training_async once its options have passed.
-- @local
function Wait.new(client, model_id, opts)
  local now = core.now()
  local interval = opts.interval or Wait.INTERVAL
  return setmetatable({
    client = client,
    model_id = model_id,
    query = opts.query,
    on_progress = opts.on_progress,
    on_done = opts.on_done,
    base_interval = interval,
    interval = interval,
    max_interval = opts.max_interval or math.max(Wait.MAX_INTERVAL, interval),
    deadline = opts.timeout and now + opts.timeout or false,
    timeout = opts.timeout,
    next_at = now, -- the first poll at once
    req = false,   -- the get_model in flight
    model = false, -- the model as last seen
    polls = 0,
    failures = 0,  -- polls in a row that failed for a while (a 5xx, a lost connection)
    last = false,  -- the signature on_progress last saw
    state = "waiting",
    r1 = false, r2 = false,
  }, Wait)
end

function Wait:__tostring()
  return ("scenario.Wait (%s, %s)"):format(tostring(self.model_id), self.state)
end

-- The event that runs a wait's on_progress with the model it saw.
local function progress(sched, self, model)
  local ok, err = pcall(self.on_progress, model)
  if not ok then
    self.callback_error = err
    -- Where the caller of the blocking form sees it, should the wait have
    -- ended meanwhile.
    if self.state == "done" and type(self.r2) == "table" then self.r2.callback_error = err end
    sched:log("warn", "%s: on_progress raised: %s", self:_what(), sched.describe(err))
  end
end

-- What its log lines name it by.
function Wait:_what()
  return "wait_for_training " .. tostring(self.model_id)
end

-- Ends the wait; its on_done runs at the next drain of the client's machine.
function Wait:_finish(a, b)
  if self.state == "done" then return end
  self.state = "done"
  -- What on_progress raised, where the caller of the blocking form sees it.
  if self.callback_error ~= nil and type(b) == "table" then b.callback_error = self.callback_error end
  self.r1, self.r2 = a, b
  if self.req and not self.req:done() then self.req:cancel() end
  self.req = false
  local sched = self.client._sched
  sched:forget_wait(self)
  sched:notify(self)
end

local function ended(self, kind, message)
  return errors.new(kind, message, { attempts = self.polls, model = self.model or nil,
    last_error = self.last_error })
end

-- The delay a server's Retry-After asks for, capped as the client caps
-- it for retries (and never below the wait's own interval).
local function asked_delay(self, headers)
  local ra = errors.retry_after(headers, core.parse_http_date)
  if not ra then return nil end
  return math.min(ra, math.max(self.max_interval, self.client.max_retry_after))
end

-- Takes the answer of the poll that finished.
function Wait:_took(now)
  local model, meta = self.req:result()
  self.req = false
  if model == nil then
    if self.state == "done" then return end
    -- get_model's own policy has given up on this poll. A failure that
    -- may clear (a 5xx, a lost connection, a timeout, a 429) does not end
    -- the wait: it polls again later, backing off, until opts.timeout.
    if meta.kind ~= "cancelled" and retry.retryable(meta, true, false) then
      self.failures = self.failures + 1
      self.last_error = meta
      self.interval = math.min(self.interval * Wait.BACKOFF, self.max_interval)
      local delay = self.interval
      local ra = meta.retry_after and math.min(meta.retry_after, math.max(self.max_interval,
        self.client.max_retry_after))
      if ra and ra > delay then delay = ra end
      self.next_at = now + delay
      self.client:_log("info", "wait_for_training %s: poll failed (%s), polling again in %.2f s", self.model_id,
        tostring(meta), delay)
      return
    end
    meta.model = self.model or nil
    return self:_finish(nil, meta)
  end
  self.failures, self.last_error = 0, nil
  if type(model) ~= "table" or model.id ~= self.model_id then
    -- Not the model asked for: its status says nothing of this training.
    return self:_finish(nil, ended(self, "invalid_response", ("a poll of %s answered with the model %s")
      :format(self.model_id, type(model) == "table" and tostring(model.id) or type(model))))
  end
  self.polls = self.polls + 1
  self.model = model
  local delay
  local sig = signature(model)
  if sig ~= self.last then
    self.last = sig
    self.interval = self.base_interval
    self.next_at = now + self.interval
    -- Run after the round, by the machine's drain: a round it makes then
    -- steps this wait as any other.
    if self.on_progress then self.client._sched:defer(progress, self, model) end
  else
    self.interval = math.min(self.interval * Wait.BACKOFF, self.max_interval)
  end
  local status = model.status
  if status == "trained" then return self:_finish(model, meta) end
  if status == "failed" then
    return self:_finish(nil, ended(self, "training_failed", ("the training of %s failed"):format(self.model_id)))
  end
  if status == "training-canceled" then
    return self:_finish(nil, ended(self, "training_canceled",
      ("the training of %s was canceled"):format(self.model_id)))
  end
  delay = self.interval
  local ra = asked_delay(self, meta.headers)
  if ra and ra > delay then delay = ra end -- the server asks for fewer polls
  self.next_at = now + delay
end

-- One step, at the start of each of the client's rounds: take a finished
-- poll, end on the deadline, or start the next poll when it is due.
function Wait:_step(now)
  if self.state == "done" then return end
  if self.req and self.req:done() then self:_took(now) end
  if self.state == "done" then return end
  if self.deadline and now >= self.deadline then
    return self:_finish(nil, ended(self, "timeout", ("the training of %s had not ended after %g s")
      :format(self.model_id, self.timeout)))
  end
  if not self.req and now >= self.next_at then
    -- Queued, not started: this step runs at the start of a round, whose
    -- sends then take it (starting it would run a round inside this one).
    local c = self.client
    local req, err = c:_start(c.endpoints.get_model, nil, c:_query(self.query), nil, false, self.model_id)
    if not req then return self:_finish(nil, err) end
    self.req = req
  end
end

-- When this wait next needs a round: its poll's answer, its next poll or
-- its deadline.
function Wait:_due()
  local due = self.next_at
  if self.req then -- a poll in flight: due when it is done, to be taken
    due = self.req.state == "done" and 0 or math.huge
  end
  if self.deadline and self.deadline < due then due = self.deadline end
  return due
end

-- poll, done, result and wait, as a request has them too.
local shared = Pollable.methods(Wait, { noun = "wait", var = "wait",
  unfinished = "the wait has not ended", pending = "still waiting after %g s" })
local check_self = shared.check_self

--- Moves this wait, and every other request of its client, forward
-- without blocking; its callbacks run here.
-- @function poll
-- @treturn boolean whether it has ended
Wait.poll = shared.poll

--- Whether it has ended, without moving anything.
-- @function done
-- @treturn boolean
Wait.done = shared.done

--- What `wait_for_training` returns, once it has ended.
-- @function result
-- @treturn[1] table the trained model
-- @treturn[1] table meta of the last poll
-- @return[2] nil
-- @treturn[2] scenario.Error err
-- @raise when it has not ended
Wait.result = shared.result

--- Blocks until it ends, or until `timeout` seconds pass (then `nil,
-- err` with kind `pending`; it goes on). Between polls it sleeps with
-- the client's `sleep`.
-- @function wait
-- @tparam[opt] number timeout seconds
-- @return as `result`
Wait.wait = shared.wait

-- With nothing on the wire, sleeps (the client's sleep) until the
-- client's next work is due, at most left seconds.
function Wait:_idle(now, left)
  local due = self.client._sched:due(now)
  if left and now + left < due then due = now + left end
  if due > now and due < math.huge then self.client._sleep(due - now) end
end

function Wait:_attempts()
  return self.polls
end

--- Stops waiting: it ends with an error of kind `cancelled`. The training
-- goes on, server-side.
-- @treturn boolean whether it was still waiting
function Wait:cancel()
  check_self(self, "cancel")
  if self.state == "done" then return false end
  self:_finish(nil, ended(self, "cancelled", "the wait was cancelled; the training goes on"))
  self.client._sched:drain() -- its on_done, now unless a round is in progress
  return true
end

return Wait
