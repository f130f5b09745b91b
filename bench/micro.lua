-- Per-call cost of the C core against what a Lua user would do instead,
-- measured side by side in one process: each round runs every contender
-- once, in alternating order, and the figure is the median over rounds.
--   lua5.4 bench/micro.lua [rounds]   -> a Markdown table on stdout
local core = require "scenario.core"
local cjson = require "cjson"
local bodies = require "bench.bodies"
local pure = require "bench.pure_lua"

local ROUNDS = tonumber(arg and arg[1]) or 15
local now = core.now

local stats = require "bench.stats"
local median = stats.median

-- Iterations that take about 20 ms, found once per contender.
local function calibrate(fn)
  local k = 1
  while true do
    local t0 = now()
    for _ = 1, k do fn() end
    if now() - t0 > 0.02 then return k end
    k = k * 2
  end
end

-- Median seconds per call of each contender, measured in interleaved rounds.
local function race(contenders)
  local ks, samples = {}, {}
  for i, c in ipairs(contenders) do
    assert(c.fn(), c.name .. " failed")
    ks[i], samples[i] = calibrate(c.fn), {}
  end
  for r = 1, ROUNDS do
    for _, i in ipairs(stats.order(#contenders, r)) do
      local fn, k = contenders[i].fn, ks[i]
      collectgarbage()
      local t0 = now()
      for _ = 1, k do fn() end
      samples[i][r] = (now() - t0) / k
    end
  end
  local out = {}
  for i = 1, #contenders do out[i] = median(samples[i]) end
  return out
end

local function us(s) return ("%.2f µs"):format(s * 1e6) end

local rows = {}
-- faster: quote how many times faster scenario is; else its cost relative
-- to the peer (the decode rows, whose peer does less work).
local function compare(what, ours, peer, peer_name, faster)
  local t = race { { name = "scenario", fn = ours }, { name = peer_name, fn = peer } }
  local ratio = faster and ("%.2f× faster"):format(t[2] / t[1]) or ("%.2f× the cost"):format(t[1] / t[2])
  rows[#rows + 1] = ("| %s | %s | %s (%s) | %s |"):format(what, us(t[1]), us(t[2]), peer_name, ratio)
end

local typical, maximal = bodies.typical, bodies.maximal()
compare("validate + encode, typical body",
  function() return core.encode("create_model", typical) end,
  function() return pure(typical) end, "pure Lua + cjson.encode", true)
compare("validate + encode, maximal body",
  function() return core.encode("create_model", maximal) end,
  function() return pure(maximal) end, "pure Lua + cjson.encode", true)

local example, large = bodies.example_response, bodies.large_response()
compare(("decode + normalise, page example (%d B)"):format(#example),
  function() return core.decode("create_model", example) end,
  function() return cjson.decode(example) end, "cjson.decode")
compare(("decode + normalise, large model (%d KB)"):format(#large // 1024),
  function() return core.decode("create_model", large) end,
  function() return cjson.decode(large) end, "cjson.decode")

print("| per call | scenario | peer | scenario against the peer |")
print("|---|---|---|---|")
for _, r in ipairs(rows) do print(r) end
