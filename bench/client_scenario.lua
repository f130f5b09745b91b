-- N calls on one scenario client, after one warm-up call that connects.
--   lua5.4 bench/client_scenario.lua CALL N URL [CHECKPOINT...]
-- CALL: create (create_model with the typical body) or get (get_model).
-- Prints "cpu_seconds wall_seconds" of the loop; at each checkpoint (a
-- call count) writes "rss <calls> <bytes>" to stderr.
local scenario = require "scenario"
local core = require "scenario.core"
local bodies = require "bench.bodies"

local call, n, url = arg[1], tonumber(arg[2]), arg[3]
local checkpoints = {}
for i = 4, #arg do checkpoints[tonumber(arg[i])] = true end

local function rss()
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmRSS:%s+(%d+) kB")
    if kb then return tonumber(kb) * 1024 end
  end
end

local client = scenario.new { api_key = "bench-key", api_secret = "bench-secret", base_url = url, max_retries = 0 }
local body = bodies.typical
local function once()
  if call == "create" then return client:create_model(body) end
  return client:get_model("model_x")
end
assert(once())
local c0, t0 = os.clock(), core.now()
for i = 1, n do
  local model, err = once()
  if not model then error(tostring(err)) end
  if checkpoints[i] then io.stderr:write(("rss %d %d\n"):format(i, rss())) end
end
print(("%.6f %.6f"):format(os.clock() - c0, core.now() - t0))
