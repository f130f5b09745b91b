--- The request machine of one client: the one owner of its requests'
-- states, of its queue, backoffs and transfers in flight with their
-- counts, and of the moment user code runs.
--
-- A round (`round`) moves the machine: it steps the training waits,
-- sends queued requests into free slots, moves the transfers and takes
-- the results of those that ended. It never runs user code. What user
-- code a round owes (`on_done`, `on_progress`, the logger) is queued as
-- an event, and `drain` runs the queue from `poll`, `wait` or a blocking
-- call once no round is in progress. A request a callback starts is
-- queued and sent by a round: a trampoline, so that the depth of the
-- stack never grows with the number of requests a script chains, and a
-- nested `poll` in a callback leaves the events to the drain running.
-- @classmod scenario.Scheduler
-- @local
local core = require "scenario.core"
local errors = require "scenario.errors"
local Request = require "scenario.request"

local Scheduler = {}
Scheduler.__index = Scheduler

--- A request's states, each with where the request is and what its
-- core call (`core.state`) is meanwhile. Only this module writes
-- `req.state`.
--
--   queued     in the queue, waiting for a free slot       idle, holding no handle
--   running    in `inflight`: its transfer is on the wire  running, then done
--   finishing  in no list: its result is being taken       done
--   backoff    in the heap, until `not_before`             idle, its handle given back
--   done       in no list: `r1`, `r2` hold how it ended    closed (kept idle by a direct call)
--
-- A direct call (a blocking call with nothing else in flight) goes
-- through the same states without the lists: it takes no slot.
Scheduler.STATES = {
  queued = "idle", running = "running", finishing = "done", backoff = "idle", done = "closed",
}

local function cancelled(attempts)
  return errors.new("cancelled", "the request was cancelled", { attempts = attempts })
end

-- The key of the main thread before 5.2, where coroutine.running() gives nil.
local MAIN = {}

--- Makes the machine of client (which keeps its options: `max_concurrent`,
-- `_transport`, `_handle`, `_logger`, `_recorder`).
function Scheduler.new(client)
  return setmetatable({
    client = client,
    -- Every structure is kept so that a round costs what moved in it,
    -- not what is pending.
    live = {},       -- unfinished requests -> the order they were made in
    nlive = 0,
    seq = 0,
    queue = {}, qhead = 1, qtail = 0, -- waiting for a slot, first in first out
    nqueued = 0,
    heap = {},       -- {t, req} entries of backoffs, earliest first
    inflight = {},   -- a running call's key -> its request
    running = 0,     -- how many requests have a transfer in flight
    done = {},       -- keys of calls the core reported done, not yet taken
    spare_done = false, -- an empty list for the next `done`
    scan = false,    -- a transport that names no calls: rounds ask each one
    reap_failed = false, -- a round raised while taking results: the next asks every call
    waiters = {},    -- unfinished waits for a training (scenario.Wait)
    -- User code owed, first in first out: event i is efn[i](self, ea[i], eb[i]).
    efn = {}, ea = {}, eb = {}, ehead = 1, etail = 0,
    rounds = 0,      -- rounds in progress: no user code runs until none is
    draining = setmetatable({}, { __mode = "k" }), -- coroutines running the events
    inside = setmetatable({}, { __mode = "k" }),   -- owners whose event is running -> how many
    direct_call = false, -- an idle core call that the next direct call reuses
    direct_req = false,  -- and its request table
    -- Nothing has come in since a poll last found the machine idle
    -- (Scheduler:idle): what client:poll reads, every frame, instead of
    -- five fields. Whatever adds work (add, add_wait, defer, a failed
    -- reap) clears it; only that poll sets it.
    quiet = true,
  }, Scheduler)
end

-- ---- user code: events and their drain ------------------------------------

--- Queues fn(self, a, b) to run at the next drain.
function Scheduler:defer(fn, a, b)
  self.quiet = false
  local i = self.etail + 1
  self.etail = i
  self.efn[i], self.ea[i], self.eb[i] = fn, a, b
end

-- Runs event fn of owner a, counted in `inside` while it runs, so that a
-- wait on a from inside it does not run a's next events nested.
local function run_event(self, fn, a, b)
  if a == nil then return fn(self, a, b) end
  local inside = self.inside
  inside[a] = (inside[a] or 0) + 1
  fn(self, a, b)
  local n = inside[a] - 1
  inside[a] = n > 0 and n or nil
end

local function run_events(self)
  local efn, ea, eb = self.efn, self.ea, self.eb
  while self.ehead <= self.etail do
    local i = self.ehead
    local fn, a, b = efn[i], ea[i], eb[i]
    efn[i], ea[i], eb[i] = nil, nil, nil
    self.ehead = i + 1
    run_event(self, fn, a, b)
  end
  self.ehead, self.etail = 1, 0
end

local function skip() end

-- Runs, in order, the events queued for owner (their first argument),
-- and leaves the others where they are. Inside an event of owner (its
-- on_progress waits on it), it runs none: each would run the next nested,
-- one stack frame deeper per chunk; they run after it, in order.
local function run_owned(self, owner)
  if self.inside[owner] then return end
  local efn, ea, eb = self.efn, self.ea, self.eb
  local i = self.ehead
  while i <= self.etail do
    if ea[i] == owner and efn[i] ~= skip then
      local fn, b = efn[i], eb[i]
      efn[i], ea[i], eb[i] = skip, false, false
      run_event(self, fn, owner, b)
    end
    i = i + 1
  end
end

--- Runs the events queued so far, and those they queue, in order. It
-- does nothing inside a round. Inside an event of the same coroutine (a
-- callback that polls or waits), it runs only the events of `owner`, the
-- request or wait being waited on there (its on_progress, its on_done):
-- the drain already running takes the others once that event returns.
-- Events run each user function under pcall, so one that raises stops
-- nothing.
function Scheduler:drain(owner)
  if self.ehead > self.etail or self.rounds > 0 then return end
  local co = coroutine.running() or MAIN
  local draining = self.draining
  if draining[co] then
    if owner ~= nil then run_owned(self, owner) end
    return
  end
  draining[co] = true
  local ok, err = pcall(run_events, self)
  draining[co] = nil
  if not ok then
    self.inside = setmetatable({}, { __mode = "k" }) -- the counts of the events it cut short
    error(err, 0)
  end
end

local function deliver_line(self, level, line)
  local logger = self.client._logger
  if not logger then return end
  -- A logger that raises must not break the request it reports on.
  local ok, err = pcall(logger, level, line)
  if not ok then self.client.logger_error = err end
end

--- What a callback raised, as text for a log line, even when its
-- __tostring raises in turn.
function Scheduler.describe(err)
  local ok, text = pcall(tostring, err)
  return ok and text or "(an error value whose __tostring raised)"
end

--- Queues a line for the client's logger, if it has one.
function Scheduler:log(level, fmt, ...)
  if self.client._logger then self:defer(deliver_line, level, fmt:format(...)) end
end

-- The event that runs the on_done of x, a request or a training wait that
-- has ended (r1, r2), once.
local function notify(self, x)
  local cb = x.on_done
  if not cb then return end
  x.on_done = nil
  local ok, err = pcall(cb, x.r1, x.r2)
  if not ok then
    x.callback_error = err
    self:log("warn", "%s: on_done raised: %s", x:_what(), Scheduler.describe(err))
  end
end

--- Queues the on_done of x (a request or a wait that has ended) for the
-- next drain.
function Scheduler:notify(x)
  if x.on_done then self:defer(notify, x) end
end

-- ---- the lists ----------------------------------------------------------------

-- Takes req out of the count of its state; its entry in the queue or
-- the heap, if any, is dropped when it comes up. A direct call is in none.
local function leave(self, req)
  if req.keep_call then return end
  local s = req.state
  if s == "queued" then
    self.nqueued = self.nqueued - 1
  elseif s == "running" then
    self.running = self.running - 1
    self.inflight[req.key] = nil
  end
end

--- Takes in a new request (validated, its call idle): queued.
function Scheduler:add(req)
  self.quiet = false
  self.seq = self.seq + 1
  self.live[req] = self.seq
  self.nlive = self.nlive + 1
  req.state = "queued"
  local i = self.qtail + 1
  self.qtail = i
  self.queue[i] = req
  self.nqueued = self.nqueued + 1
end

-- The next queued request, or nil. Entries of requests that left the
-- queue meanwhile (cancelled) are dropped as they come.
local function dequeue(self)
  local q = self.queue
  while self.qhead <= self.qtail do
    local r = q[self.qhead]
    q[self.qhead] = nil
    self.qhead = self.qhead + 1
    if r.state == "queued" then return r end
  end
  self.qhead, self.qtail = 1, 0
end

--- Backs req off until time t (a min-heap of {t, req}). An entry whose
-- request has moved on, or was scheduled again, is dropped when it comes
-- up: no entry is ever searched for.
function Scheduler:schedule(req, t)
  leave(self, req)
  req.state, req.not_before = "backoff", t
  local h = self.heap
  local i = #h + 1
  local e = { t, req }
  while i > 1 do
    local up = (i - i % 2) / 2
    if h[up][1] <= t then break end
    h[i] = h[up]
    i = up
  end
  h[i] = e
end

local function heap_pop(h)
  local n = #h
  local top, last = h[1], h[n]
  h[n] = nil
  n = n - 1
  if n > 0 then
    local i = 1
    while true do
      local l = 2 * i
      if l > n then break end
      if l < n and h[l + 1][1] < h[l][1] then l = l + 1 end
      if h[l][1] >= last[1] then break end
      h[i] = h[l]
      i = l
    end
    h[i] = last
  end
  return top
end

-- The earliest backoff still waiting: its entry, after dropping stale ones.
local function heap_top(self)
  local h = self.heap
  while h[1] do
    local e = h[1]
    local r = e[2]
    if r.state == "backoff" and r.not_before == e[1] then return e end
    heap_pop(h)
  end
end

-- Drops a finished request from the live ones.
local function forget(self, req)
  if self.live[req] then
    self.live[req] = nil
    self.nlive = self.nlive - 1
  end
end

--- The unfinished requests, in the order they were made.
function Scheduler:live_list()
  local list = {}
  for r in pairs(self.live) do list[#list + 1] = r end
  local live = self.live
  table.sort(list, function(a, b) return live[a] < live[b] end)
  return list
end

--- Whether nothing is in the machine: no request live, no wait, no
-- finished call or event left to take, no reap owed. A round and a drain
-- would then do nothing, and unfinished() is 0.
function Scheduler:idle()
  return self.nlive == 0 and self.waiters[1] == nil and self.done[1] == nil and not self.reap_failed
    and self.ehead > self.etail
end

--- How many requests and training waits have not finished: what
-- `client:poll()` returns. A wait's poll in flight is the wait's, not one more.
function Scheduler:unfinished()
  local n = self.nlive + #self.waiters
  for _, w in ipairs(self.waiters) do
    if w.req and w.req.state ~= "done" then n = n - 1 end
  end
  return n
end

--- Adds a training wait (scenario.Wait), stepped at the start of each round.
function Scheduler:add_wait(w)
  self.quiet = false
  self.waiters[#self.waiters + 1] = w
end

--- Drops an ended wait.
function Scheduler:forget_wait(w)
  local list = self.waiters
  for i = 1, #list do
    if list[i] == w then
      table.remove(list, i)
      return
    end
  end
end

-- ---- one request's steps ------------------------------------------------------

--- Ends req with a, b (the model and meta, or nil and the error). Its
-- call goes back to the client unless the caller keeps it (a direct
-- call); its on_done is queued for the next drain.
function Scheduler:complete(req, a, b)
  leave(self, req)
  req.state = "done"
  req.r1, req.r2 = a, b
  local call = req.call
  req.call = nil
  forget(self, req)
  self:notify(req)
  -- Last: should the transport raise, the books are already right.
  if call and not req.keep_call then self.client._transport.cancel(call) end
end

-- Ends req, which a step could not take further because `err` was raised,
-- with an `internal` error, and raises err again: the caller hears of the
-- mistake (a transport or a hook that raised), and no request is left in
-- a state nothing moves.
local function ended_by_raise(self, req, what, err)
  if req.state ~= "done" then
    self:complete(req, nil, errors.new("internal", ("%s: %s"):format(what, tostring(err)),
      { attempts = req.attempts }))
  end
  error(err, 0)
end

--- Sends req's call (the first time, or again after a backoff). A
-- transfer libcurl cannot start ends the request with an `internal`
-- error, nothing sent; a transport that raises ends it so too, and the
-- raise goes on to the caller.
function Scheduler:send(req)
  local c = self.client
  local t = c._transport
  local ok, key, why = pcall(t.submit, req.call)
  if not ok then return ended_by_raise(self, req, "the request could not be sent", key) end
  if key == nil and why ~= nil then
    local method, url
    if t.target then method, url = t.target(req.call) end
    local err = errors.new("internal", "the request could not be sent: " .. tostring(why),
      { attempts = req.attempts, sent = false, method = method, url = url })
    self:log("warn", "%s: not sent: %s", c:_where(req.call, req.endpoint), tostring(err))
    return self:complete(req, nil, err)
  end
  leave(self, req)
  req.attempts = req.attempts + 1
  req.state = "running"
  if not req.keep_call then
    self.running = self.running + 1
    if key == nil then -- a transport that names no calls: rounds ask each one
      key = req
      self.scan = true
    end
    req.key = key
    self.inflight[key] = req
  end
  if c._logger then
    self:log("debug", "%s: attempt %d of %d", c:_where(req.call, req.endpoint), req.attempts,
      req.max_retries + 1)
    req.t0 = core.now()
  end
end

-- What the policy makes of req's attempt (record it, then end it or back
-- it off): the part of `finished` that runs the Lua layer's own code and
-- the client's hooks (its random), any of which may raise.
local function decide(self, req, call, ok, result, status, headers, raw, problems)
  local c = self.client
  if c._recorder and ok and not req.ep.download then req:_record(call, result, status, headers, raw) end
  local delay, a, b = req:_outcome(call, ok, result, status, headers, raw, problems)
  -- The policy logs, and allocates: a cancel made meanwhile stands.
  if req.state == "done" then return end
  if delay == nil then return self:complete(req, a, b) end
  if req.keep_call then
    req.state, req.not_before = "backoff", core.now() + delay
    return
  end
  -- Waiting out a backoff holds no transfer handle: it goes back to the
  -- client's pool until the next attempt.
  local release = c._transport.release
  if release then release(call) end
  self:schedule(req, core.now() + delay)
end

--- The call of req is done: take its result, then end it or back it
-- off. Taking the result allocates, so a finaliser may cancel the
-- request meanwhile ("finishing" is in no count); the cancellation then
-- stands.
function Scheduler:finished(req)
  leave(self, req)
  req.state = "finishing"
  local call = req.call
  return self:took(req, call, pcall(self.client._transport.finish, call))
end

--- What finished does once the result of req's call is taken (ok and
-- what core.finish returned, as pcall gives them).
function Scheduler:took(req, call, ok, result, status, headers, raw, problems)
  if req.state == "done" then return end
  local done, err = pcall(decide, self, req, call, ok, result, status, headers, raw, problems)
  if not done then return ended_by_raise(self, req, "the result could not be handled", err) end
end

--- Stops req: unless it has finished, it ends as `cancelled` and its
-- on_done runs, at once when no round is in progress (else at the next
-- drain). Returns whether it was still in flight.
function Scheduler:cancel(req)
  if req.state == "done" then return false end
  self:complete(req, nil, cancelled(req.attempts))
  self:drain()
  return true
end

--- Cancels every request and wait (the client is closing), and runs
-- their callbacks.
function Scheduler:close()
  local waits = self.waiters
  self.waiters = {}
  for i = 1, #waits do waits[i]:cancel() end
  for _, r in ipairs(self:live_list()) do self:cancel(r) end
  self:drain()
end

-- ---- rounds -------------------------------------------------------------------

-- Takes the result of every call reported done. The list is swapped for
-- an empty one first: finalisers may cancel or start requests meanwhile,
-- and a nested round (from a finaliser) reports into the new one. A
-- transport that gives no keys, or a round that raised part-way, falls
-- back to asking every running call.
local function reap(self, scan)
  local t = self.client._transport
  local done = self.done
  self.done = self.spare_done or {}
  self.spare_done = false
  local inflight = self.inflight
  if scan or self.scan then
    local list = {}
    for _, r in pairs(inflight) do list[#list + 1] = r end
    local live = self.live
    table.sort(list, function(a, b) return (live[a] or 0) < (live[b] or 0) end)
    for _, r in ipairs(list) do
      if r.state == "running" and t.state(r.call) == "done" then self:finished(r) end
    end
  else
    for i = 1, #done do
      -- The key may be a call's that ended, its memory now another's: ask.
      local r = inflight[done[i]]
      if r and r.state == "running" and t.state(r.call) == "done" then self:finished(r) end
    end
  end
  for i = #done, 1, -1 do done[i] = nil end
  self.spare_done = done
end

local function round(self, wait)
  local c = self.client
  if self.waiters[1] ~= nil then
    -- Before the sends, so that a poll started here goes out in this round.
    local now, waits = core.now(), {}
    for i, w in ipairs(self.waiters) do waits[i] = w end
    for _, w in ipairs(waits) do w:_step(now) end
  end
  if self.nlive > 0 or self.done[1] ~= nil or self.reap_failed then
    local max = c.max_concurrent
    while self.running < max and self.nqueued > 0 do
      local r = dequeue(self)
      if not r then break end
      self:send(r)
    end
    if self.running < max and self.heap[1] then
      local now = core.now()
      while self.running < max do
        local e = heap_top(self)
        if not e or e[1] > now then break end
        heap_pop(self.heap)
        self:send(e[2])
      end
    end
    -- After a raise part-way through a round, calls that libcurl has
    -- already reported done may be in no list: the next round asks every
    -- running call.
    if self.running > 0 or self.done[1] ~= nil or self.reap_failed then
      local _, finished = c._transport.perform(c._handle, wait, self.done)
      if finished > 0 or self.done[1] ~= nil or self.reap_failed then
        local scan = self.reap_failed
        self.reap_failed = true
        self.quiet = false
        reap(self, scan)
        self.reap_failed = false
      end
    end
  end
end

--- One round: fill free slots (queued requests, then backoffs that are
-- due), move the transfers (waiting up to `wait` seconds for the
-- network), and take every call that finished. No user code runs in it.
function Scheduler:round(wait)
  self.rounds = self.rounds + 1
  local ok, err = pcall(round, self, wait)
  self.rounds = self.rounds - 1
  if not ok then error(err, 0) end
end

--- A request just added: sent at once if a slot is free, so that it
-- leaves in the call that made it. A round that raises cancels it, so
-- that none lingers behind the error the caller gets.
function Scheduler:kick(req)
  -- With every slot taken there is nothing to start, and a round would
  -- only move the transfers on the wire, which the next poll or wait does
  -- anyway (over HTTP/2 libcurl 7.88 asks every one of them each round):
  -- a burst of submissions would pay that once each.
  if self.running >= self.client.max_concurrent then return end
  local ok, err = pcall(self.round, self, 0)
  if not ok then
    -- Its on_done runs at the next drain: not on the stack of the call
    -- that started it.
    if req.state ~= "done" then self:complete(req, nil, cancelled(req.attempts)) end
    error(err, 0)
  end
end

--- When the next round has work that no transfer will wake it for: a
-- queued request (now), the end of a backoff, a wait's next poll or its
-- deadline; math.huge if nothing. With every slot taken, queued requests
-- and backoffs wait for a transfer to end, which wakes the round itself:
-- counting them would make a wait spin until then.
function Scheduler:due(now)
  local due = math.huge
  if self.running < self.client.max_concurrent then
    if self.nqueued > 0 then return now end
    local top = heap_top(self)
    if top then due = top[1] end
  end
  for _, w in ipairs(self.waiters) do
    local d = w:_due()
    if d < due then due = d end
  end
  return due
end

--- Seconds the next blocking wait may last: until the next backoff ends,
-- at most `left` and at most a second (so a wait stays responsive).
function Scheduler:next_wait(now, left)
  local w = left and left < 1 and left or 1
  local due = self:due(now)
  if due - now < w then w = due - now end
  return w > 0 and w or 0
end

-- ---- a direct call ------------------------------------------------------------

--- A blocking call with nothing else in flight: a request of its own,
-- in no list, driven by the same steps and policy as the others
-- (`send`, `finished`), without the rounds that sharing the client
-- needs. Its core call and request table are kept from one direct call
-- to the next; a nested one (from a finaliser) finds none and makes its
-- own. Requests a finaliser starts meanwhile move on in their own rounds.
function Scheduler:direct(ep, call, opts)
  local c = self.client
  local req = self.direct_req
  self.direct_req = false
  if req and req.ep == ep then -- the usual case: the same endpoint as the last direct call
    req.call, req.attempts, req.state, req.t0 = call, 0, "queued", false
    req.max_retries, req.headers = opts.max_retries or c.max_retries, opts.headers
  else
    req = Request.reset(req or {}, c, ep, call, nil, opts.max_retries, opts.headers)
    req.keep_call = true
  end
  local t, handle = c._transport, c._handle
  while true do
    self:send(req)
    if req.state == "done" then -- libcurl could not start it
      self.direct_call = call
      return req.r1, req.r2
    end
    -- These waits also collect what finished for any requests started
    -- meanwhile: into the list the next round takes.
    repeat t.perform(handle, 1, self.done) until t.state(call) ~= "running"
    if self.nlive == 0 then -- only this call's key: nothing for a round to take
      local done = self.done
      for i = #done, 1, -1 do done[i] = nil end
    end
    -- A finaliser, the transport or the logger may close the client at
    -- any of these steps; the call then ends as the machine's would.
    if c._closed then return nil, cancelled(req.attempts) end
    req.state = "finishing"
    local ok, result, status, headers, raw, problems = pcall(t.finish, call)
    -- The usual end: a success with nothing to record, log or save. Its
    -- meta is the one the policy would make (Request:_outcome), without
    -- the policy's steps, none of which has anything to do for it.
    if ok and result ~= nil and not req.t0 and not c._recorder and not req.ep.download then
      req.state = "done"
      self.direct_call, self.direct_req = call, req
      return result, req:_meta(status, headers, raw, problems)
    end
    self:took(req, call, ok, result, status, headers, raw, problems)
    if req.state == "done" then
      local a, b = req.r1, req.r2
      self.direct_call = call -- idle again, for the next direct call
      req.r1, req.r2 = false, false
      self.direct_req = req
      return a, b
    end
    -- Between attempts the machine is consistent: what the attempt owes
    -- the logger ("retrying in 2 s") comes out before the sleep, not after.
    self:drain()
    if c._closed then return nil, cancelled(req.attempts) end
    local delay = req.not_before - core.now()
    c._sleep(delay > 0 and delay or 0) -- the client's sleep hears every backoff, 0 s ones too
    if c._closed then return nil, cancelled(req.attempts) end
  end
end

return Scheduler
