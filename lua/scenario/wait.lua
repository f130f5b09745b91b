--- Waiting for something the API works on to end: a model's training
-- (what `client:wait_for_training_async` returns) or a job, such as a
-- generation (`client:wait_for_job_async`). One mechanism for both: it
-- polls (`get_model`, `get_job`) until the status is one that ends it,
-- calling `on_progress` whenever the status or the progress changes. It
-- is driven by `client:poll()` (or its own `poll` and `wait`) like every
-- request, and never blocks a round: between polls it only checks the
-- time.
-- @classmod scenario.Wait
local core = require "scenario.core"
local errors = require "scenario.errors"
local retry = require "scenario.retry"
local Pollable = require "scenario.pollable"

local Wait = {}
Wait.__index = Wait
Wait.__name = "scenario.Wait"

Wait.INTERVAL = 5      -- seconds between polls at first, and after a change (a training's)
Wait.MAX_INTERVAL = 30 -- the cap the interval backs off to while nothing changes
Wait.BACKOFF = 1.5

-- A field's value as on_progress tells it apart: a string, number or
-- boolean as itself; anything else (an object from a server that
-- changed its shape) as its type, for a table is a new one each poll.
local function plain(v)
  local t = type(v)
  if t == "string" then return "s" .. v end
  if t == "number" or t == "boolean" then return tostring(v) end
  return t
end

-- What on_progress tells apart: the status and the training's stage,
-- queue position, progress and remaining time.
local function training_signature(model)
  local p = type(model.trainingProgress) == "table" and model.trainingProgress or {}
  return table.concat({ plain(model.status), plain(p.stage), plain(p.position), plain(p.progress),
    plain(p.remainingTimeMs) }, "|")
end

--- What is waited for, each its own: the call that polls it, what an
-- answer holds (`member`), how it names itself (`id`), what on_progress
-- tells apart (`signature`), and the statuses that end it: `ok`, or the
-- kind of error and its message (given the object and its id).
Wait.KINDS = {
  training = {
    what = "wait_for_training", endpoint = "get_model", member = "model", id = "id", interval = 5,
    signature = training_signature,
    ends = {
      trained = true,
      failed = { "training_failed", function(id) return ("the training of %s failed"):format(id) end },
      ["training-canceled"] = { "training_canceled",
        function(id) return ("the training of %s was canceled"):format(id) end },
    },
    timed_out = function(id, secs) return ("the training of %s had not ended after %g s"):format(id, secs) end,
  },
  job = {
    what = "wait_for_job", endpoint = "get_job", member = "job", id = "jobId", interval = 3,
    signature = function(job) return plain(job.status) .. "|" .. plain(job.progress) end,
    ends = {
      success = true,
      failure = { "job_failed", function(id, job)
        local why = type(job.metadata) == "table" and job.metadata.error
        return ("the job %s failed%s"):format(id, type(why) == "string" and ": " .. why or "")
      end },
      canceled = { "job_canceled", function(id) return ("the job %s was canceled"):format(id) end },
    },
    timed_out = function(id, secs) return ("the job %s had not ended after %g s"):format(id, secs) end,
  },
}

--- Made by client:wait_for_training_async and wait_for_job_async once
-- their options have passed; kind is an entry of Wait.KINDS.
-- @local
function Wait.new(client, kind, id, opts)
  local now = core.now()
  local interval = opts.interval or kind.interval
  return setmetatable({
    client = client,
    kind = kind,
    id = id,       -- the id of what is waited for (a model's or a job's)
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
    seen = false,  -- what is waited for, as last seen (a model, a job)
    polls = 0,
    failures = 0,  -- polls in a row that failed for a while (a 5xx, a lost connection)
    last = false,  -- the signature on_progress last saw
    state = "waiting",
    r1 = false, r2 = false,
  }, Wait)
end

function Wait:__tostring()
  return ("scenario.Wait (%s, %s)"):format(tostring(self.id), self.state)
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
  return self.kind.what .. " " .. tostring(self.id)
end

-- Ends the wait; its on_done runs at the next drain of the client's machine.
function Wait:_finish(a, b)
  if self.state == "done" then return end
  -- What on_progress raised, where the caller of the blocking form sees it.
  if self.callback_error ~= nil and type(b) == "table" then b.callback_error = self.callback_error end
  return Pollable.finish(self, a, b)
end

local function ended(self, kind, message)
  return errors.new(kind, message, { attempts = self.polls, [self.kind.member] = self.seen or nil,
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
  local kind = self.kind
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
      self.client:_log("info", "%s: poll failed (%s), polling again in %.2f s", self:_what(), tostring(meta), delay)
      return
    end
    meta[kind.member] = self.seen or nil
    return self:_finish(nil, meta)
  end
  self.failures, self.last_error = 0, nil
  if type(model) ~= "table" or model[kind.id] ~= self.id then
    -- Not the one asked for: its status says nothing of this one.
    return self:_finish(nil, ended(self, "invalid_response", ("a poll of %s answered with the %s %s")
      :format(self.id, kind.member, type(model) == "table" and tostring(model[kind.id]) or type(model))))
  end
  self.polls = self.polls + 1
  self.seen = model
  local delay
  local sig = kind.signature(model)
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
  local ends = kind.ends[model.status]
  if ends == true then return self:_finish(model, meta) end
  if ends then return self:_finish(nil, ended(self, ends[1], ends[2](self.id, model))) end
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
    return self:_finish(nil, ended(self, "timeout", self.kind.timed_out(self.id, self.timeout)))
  end
  if not self.req and now >= self.next_at then
    -- Queued, not started: this step runs at the start of a round, whose
    -- sends then take it (starting it would run a round inside this one).
    local c = self.client
    local req, err = c:_start(c.endpoints[self.kind.endpoint], nil, c:_query(self.query), nil, false, self.id)
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

--- What `wait_for_training` (or `wait_for_job`) returns, once it has ended.
-- @function result
-- @treturn[1] table the trained model (the finished job)
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

Wait._idle = Pollable.idle

function Wait:_attempts()
  return self.polls
end

--- Stops waiting: it ends with an error of kind `cancelled`. The training
-- (or the job) goes on, server-side.
-- @treturn boolean whether it was still waiting
function Wait:cancel()
  check_self(self, "cancel")
  if self.state == "done" then return false end
  self:_finish(nil, ended(self, "cancelled", ("the wait was cancelled; the %s goes on")
    :format(self.kind.member == "job" and "job" or "training")))
  self.client._sched:drain() -- its on_done, now unless a round is in progress
  return true
end

return Wait
