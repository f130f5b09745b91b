--- The coroutines `scenario.spawn` runs and `scenario.step` resumes: the
-- one list of them, and the one set the client asks whether the
-- coroutine it runs in should yield rather than block.
-- @module scenario.tasks
-- @local
local M = {}

local unpack = table.unpack or unpack -- luacheck: ignore 143

local spawned = setmetatable({}, { __mode = "k" }) -- coroutines made by spawn
local list = {} -- spawned coroutines still running, in spawn order
local stepping = false

--- Whether co is a coroutine spawn made.
function M.spawned(co)
  return spawned[co] == true
end

--- A task running fn(...) in a new coroutine, resumed by step.
function M.spawn(fn, ...)
  local n, args = select("#", ...), { ... }
  local co = coroutine.create(function() return fn(unpack(args, 1, n)) end)
  spawned[co] = true
  local task = { co = co, done = false }
  list[#list + 1] = task
  return task
end

-- Takes what a resume of task gave: whether the task has ended. An end
-- keeps what the function returned (`results`, with its count `n`, as
-- table.pack makes it), or what it raised (`error`).
local function resumed(task, report, ok, ...)
  if ok and coroutine.status(task.co) ~= "dead" then return false end
  task.done, task.ok = true, ok
  if ok then
    task.results = { n = select("#", ...), ... }
  else
    local err = ...
    task.error = err
    -- The report must not end the round: what it raises is dropped.
    pcall(report, task, err)
  end
  return true
end

local function step_all(report)
  local i = 1
  while list[i] do
    local task = list[i]
    if resumed(task, report, coroutine.resume(task.co)) then
      table.remove(list, i)
    else
      i = i + 1
    end
  end
  return #list
end

--- Resumes each task once, in spawn order; report(task, err) hears what
-- one raised. Returns how many are still running. Raises when called
-- from inside a task.
function M.step(report)
  if stepping then
    error("scenario.step: called from inside a spawned task (yield instead)", 3)
  end
  stepping = true
  local ok, n = pcall(step_all, report)
  stepping = false
  if not ok then error(n, 0) end
  return n
end

return M
