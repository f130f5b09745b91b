-- Frame-time cost of client:poll() when nothing is ready: what a host pays
-- each frame for calling it from love.update or an editor timer.
--   lua5.4 bench/poll.lua [polls]   (LUA_PATH/LUA_CPATH as make bench sets them)
-- Prints a Markdown table; bench/README.md holds a copy with the machine.
--
-- The replay server (spec/support/replay_server.lua) answers every request
-- only after DELAY seconds, so the requests stay connected, sent and waiting
-- for their response for the whole measurement; this is checked before and
-- after. A client per case: with no request, and with 1, 8 and 64 in
-- flight (max_concurrent as many). Each poll is timed on its own with
-- core.now() (CLOCK_MONOTONIC); the cases take turns in blocks, as in
-- micro.lua, and an empty pair of now() calls is timed the same way: the
-- clock's own share of each figure.
local scenario = require "scenario"
local core = require "scenario.core"
local socket = require "socket"
local replay = require "spec.support.replay"
local bodies = require "bench.bodies"

-- `lua5.4 bench/poll.lua --idle N`: N polls of a client with nothing in
-- flight and nothing else, for callgrind to count (run.lua's method: a
-- run of N less a run of 1).
if arg and arg[1] == "--idle" then
  local c = scenario.new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:9/v1" }
  for _ = 1, tonumber(arg[2]) do c:poll() end
  return
end

local IN_FLIGHT = { 1, 8, 64 } -- the cases with requests, besides none
local N = tonumber(arg and arg[1]) or 100000 -- timed polls per case
local WARMUP = 2000                          -- untimed polls per case first
local BLOCK = 1000                           -- polls per case per turn
local DELAY = 30                             -- seconds the server holds each request
local FRAME = 1 / 60
local now = core.now

local server = replay.server()
local response = replay.fixture("model_realistic").response
response.delay, response.sticky = DELAY, true
server.enqueue(response)

local function new_client(opts)
  opts.api_key, opts.api_secret, opts.base_url = "bench-key", "bench-secret", server.url
  opts.max_retries = 0
  return scenario.new(opts)
end

-- ---- the requests in flight -------------------------------------------------

local idle = new_client {}
local busy, reqs, total = {}, {}, 0 -- busy[k]: the client with IN_FLIGHT[k] in flight
local started = now()
for k, n in ipairs(IN_FLIGHT) do
  busy[k] = new_client { max_concurrent = n }
  for _ = 1, n do reqs[#reqs + 1] = assert(busy[k]:create_model_async(bodies.typical)) end
  total = total + n
end

-- Every request is in flight when the server has read all of them, whole,
-- on as many open connections, and none has an answer.
local function check_in_flight(when)
  assert(idle:poll() == 0, when .. ": the idle client has work")
  for k, n in ipairs(IN_FLIGHT) do assert(busy[k]:poll() == n, when .. ": a request finished") end
  for _, r in ipairs(reqs) do assert(r.state == "running", when .. ": " .. tostring(r)) end
  local got, stats = #server.requests(), server.stats()
  assert(got == total and stats.open == total and stats.connections == total,
    ("%s: the server has %d requests on %d open connections (%d accepted); want %d"):format(
      when, got, stats.open, stats.connections, total))
end

local deadline = now() + 20
while #server.requests() < total or server.stats().open < total do
  assert(now() < deadline, "the requests did not reach the server")
  for _, c in ipairs(busy) do c:poll() end
  socket.sleep(0.002)
end
check_in_flight("before")

-- ---- the measurement --------------------------------------------------------

local cases = {
  { name = "now() pair alone (the clock)" },
  { name = "0 in flight", client = idle },
}
for k, n in ipairs(IN_FLIGHT) do cases[#cases + 1] = { name = ("%d in flight"):format(n), client = busy[k] } end
for _, c in ipairs(cases) do
  c.samples = {}
  for i = 1, N do c.samples[i] = 0 end -- allocated before the clock runs
  if c.client then
    for _ = 1, WARMUP do c.client:poll() end
  end
end

-- Times polls from+1 .. to of one case into its samples.
local function measure(c, from, to)
  local client, s = c.client, c.samples
  if client then
    for i = from + 1, to do
      local t0 = now()
      client:poll()
      s[i] = now() - t0
    end
  else
    for i = from + 1, to do
      local t0 = now()
      s[i] = now() - t0
    end
  end
end

collectgarbage()
local kb0 = collectgarbage("count")
local done, turn = 0, 0
while done < N do
  local to = math.min(done + BLOCK, N)
  turn = turn + 1
  for j = 1, #cases do
    measure(cases[turn % 2 == 1 and j or #cases + 1 - j], done, to) -- every other turn in reverse
  end
  done = to
end
local kb1 = collectgarbage("count")
local elapsed = now() - started

check_in_flight("after")
assert(elapsed < DELAY, ("the measurement took %.1f s, longer than the server's delay"):format(elapsed))

idle:close()
for _, c in ipairs(busy) do c:close() end

-- Instructions of an idle poll: callgrind over runs of 100,001 and 1 polls.
local instructions
if os.getenv("BENCH_NO_CALLGRIND") == nil then
  instructions = require("bench.stats").instructions(function(n)
    return ("%s bench/poll.lua --idle %d"):format(arg[-1] or "lua5.4", n)
  end, 100001)
end

-- ---- the table --------------------------------------------------------------

local function pct(s, p) -- nearest rank
  return s[math.max(1, math.ceil(p * #s))]
end

print(("client:poll() that finds nothing ready: %d timed polls per case after %d untimed, "
  .. "taking turns in blocks of %d; each poll timed alone with core.now()."):format(N, WARMUP, BLOCK))
print()
print("| case | median | p99 | max | p99 share of a 60 fps frame (16.7 ms) |")
print("|---|---|---|---|---|")
for _, c in ipairs(cases) do
  local s = c.samples
  table.sort(s)
  print(("| %s | %.2f µs | %.2f µs | %.1f µs | %.3f%% |"):format(c.name, pct(s, 0.5) * 1e6,
    pct(s, 0.99) * 1e6, s[#s] * 1e6, pct(s, 0.99) / FRAME * 100))
end
print()
print(("Every figure includes the now() pair that times it, which the first row measures alone. "
  .. "The %d requests stayed in flight throughout (%.1f s of the server's %d s delay, %d connections); "
  .. "Lua heap %+.1f KiB over the %d timed polls."):format(total, elapsed, DELAY, total, kb1 - kb0,
  (#cases - 1) * N))
local top = cases[#cases].samples -- sorted above
print()
print(("Targets: with %d in flight, median %.2f µs (target under 10 µs, %s)%s."):format(IN_FLIGHT[#IN_FLIGHT],
  pct(top, 0.5) * 1e6, pct(top, 0.5) < 10e-6 and "met" or "missed",
  instructions and ("; with nothing in flight, %.0f instructions a poll (callgrind; target under 1,000, %s)")
    :format(instructions, instructions < 1000 and "met" or "missed") or ""))
