-- N calls on one scenario client, after one warm-up call that connects.
--   lua5.4 bench/client_scenario.lua CALL N URL [CHECKPOINT...]
-- CALL: create (create_model with the typical body) or get (get_model);
-- core:create and core:get make the same calls through scenario.core
-- alone, as the client's direct path does but with none of its Lua (no
-- retry policy, no meta, no request object): what is left between the
-- two is the cost of the request machine.
-- Prints "cpu_seconds wall_seconds" of the loop; at each checkpoint (a
-- call count) writes "rss <calls> <bytes>" to stderr.
local scenario = require "scenario"
local core = require "scenario.core"
local bodies = require "bench.bodies"

local call, n, url = arg[1], tonumber(arg[2]), arg[3]
local checkpoints = {}
for i = 4, #arg do checkpoints[tonumber(arg[i])] = true end

local status_kb = require("bench.stats").status_kb

local client = scenario.new { api_key = "bench-key", api_secret = "bench-secret", base_url = url, max_retries = 0 }
local body = bodies.typical
local once
if call:match("^core:") then
  local handle, reused, done = client._handle, nil, {}
  local start, submit, perform, state, finish = core.start, core.submit, core.perform, core.state, core.finish
  local create = call == "core:create"
  once = function()
    local c, err
    if create then
      c, err = start(handle, "create_model", body, nil, nil, reused)
    else
      c, err = start(handle, "get_model", nil, nil, nil, reused, "model_x")
    end
    if not c then return nil, err end
    reused = c
    submit(c)
    repeat perform(handle, 1, done) until state(c) ~= "running"
    done[1] = nil
    local ok, result, status = pcall(finish, c)
    if not ok then return nil, result end
    return result, status -- nil and the error when it failed
  end
else
  once = function()
    if call == "create" then return client:create_model(body) end
    return client:get_model("model_x")
  end
end
assert(once())
local c0, t0 = os.clock(), core.now()
for i = 1, n do
  local model, err = once()
  if not model then error(tostring(err)) end
  if checkpoints[i] then io.stderr:write(("rss %d %d\n"):format(i, status_kb("VmRSS"))) end
end
print(("%.6f %.6f"):format(os.clock() - c0, core.now() - t0))
