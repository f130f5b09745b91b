--- What a request and the waits share: the handle a caller moves
-- and reads (`poll`, `done`, `result`, `wait`), which the client's
-- machine (scenario.scheduler) drives. Each class takes the functions
-- made for it here, and says how it spends a wait while nothing is on
-- the wire (its `_idle`) and how many attempts a `pending` error counts
-- (its `_attempts`).
-- @module scenario.pollable
-- @local
local core = require "scenario.core"
local errors = require "scenario.errors"

local M = {}

--- poll, done, result and wait for the objects whose metatable is class,
-- and check_self. words: `noun` ("request"), `var` (what the methods are
-- called on: "req"), `unfinished` (what result says before the end) and
-- `pending` (the message of wait's timeout, with %g for its seconds).
function M.methods(class, words)
  -- level: 2 from a method, 3 from check_self, the caller's line either way
  local function argerror(fname, msg, level)
    error(("bad argument #1 to '%s' (%s)"):format(fname, msg), (level or 2) + 1)
  end
  local function check_self(self, fname)
    if getmetatable(self) ~= class then
      argerror(fname, ("scenario %s expected, got %s; call it as %s:%s(...)"):format(words.noun, type(self),
        words.var, fname), 3)
    end
  end
  local m = { check_self = check_self }

  --- Moves this one, and every other request of its client, forward
  -- without blocking; its callbacks run here. Returns whether it has ended.
  function m.poll(self)
    check_self(self, "poll")
    local sched = self.client._sched
    if self.state ~= "done" then sched:round(0) end
    sched:drain(self)
    return self.state == "done"
  end

  --- Whether it has ended, without moving anything.
  function m.done(self)
    check_self(self, "done")
    return self.state == "done"
  end

  --- What it ended with, exactly as the blocking call returns it; raises
  -- before the end.
  function m.result(self)
    check_self(self, "result")
    if self.state ~= "done" then argerror("result", words.unfinished .. "; poll it first") end
    return self.r1, self.r2
  end

  --- Blocks until it ends, or until `timeout` seconds pass: then nil and
  -- an error of kind `pending`, and it goes on. Every request of the
  -- client moves meanwhile, and the callbacks run between rounds.
  function m.wait(self, timeout)
    check_self(self, "wait")
    if timeout ~= nil and (type(timeout) ~= "number" or timeout ~= timeout or timeout < 0) then
      argerror("wait", "timeout must be a number of seconds, at least 0")
    end
    local sched = self.client._sched
    local deadline = timeout and core.now() + timeout
    sched:drain(self)
    while self.state ~= "done" do
      if sched.running == 0 then
        local now = core.now()
        self:_idle(now, deadline and math.max(0, deadline - now)) -- nothing on the wire: sleep out what is due
      end
      local now = core.now()
      sched:round(sched:next_wait(now, deadline and math.max(0, deadline - now)))
      sched:drain(self)
      -- Checked after a round, so wait(0) moves things as a poll does.
      if self.state ~= "done" and deadline and core.now() >= deadline then
        return nil, errors.new("pending", words.pending:format(timeout), { attempts = self:_attempts() })
      end
    end
    return self.r1, self.r2
  end

  return m
end

-- What the waits the machine steps (scenario.Wait, the generate chain,
-- scenario.Download) share: each holds its current request in `req`.

--- Ends w with (a, b): it drops the request it still waits on and leaves
-- the machine's waits, and its on_done runs at the next drain.
function M.finish(w, a, b)
  if w.state == "done" then return end
  w.state = "done"
  w.r1, w.r2 = a, b
  if w.req and not w.req:done() then w.req:cancel() end
  w.req = false
  local sched = w.client._sched
  sched:forget_wait(w)
  sched:notify(w)
end

--- When w next needs a round: once its request is done, to take it.
function M.due(w)
  return w.req and w.req:done() and 0 or math.huge
end

--- With nothing on the wire, sleeps (the client's sleep) until the
-- client's next work is due, at most left seconds.
function M.idle(w, now, left)
  local due = w.client._sched:due(now)
  if left and now + left < due then due = now + left end
  if due > now and due < math.huge then w.client._sleep(due - now) end
end

return M
