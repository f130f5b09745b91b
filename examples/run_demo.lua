-- make demo: runs an example script. With SCENARIO_SDK_API_KEY and
-- SCENARIO_SDK_API_SECRET set it talks to the real API; without them it
-- starts the local stand-in (scenario.testing: the /models resource in
-- memory, training models as they are polled) and points the example at
-- it.
--
--   lua5.4 examples/run_demo.lua examples/train_lora.lua [ARGS...]
--
-- It works from any directory: the checkout is found from this script's
-- path. The example runs under the interpreter that runs this script, with
-- the module make built for it (build/<interpreter>/), and its arguments.
--
-- SCENARIO_DEMO_DELAY=SECONDS makes the stand-in answer each request that
-- long after it arrives (requests wait side by side, not in turn), as a
-- slow real server would: examples/game_loop.lua uses it.
local script = assert(arg[1], "usage: lua5.4 examples/run_demo.lua SCRIPT [ARGS...]")
local checkout = dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua")
local lua, root, shell_quote, has = checkout.lua, checkout.root, checkout.shell_quote, checkout.has

local env = ""
local stand_in
if checkout.has_credentials() then
  print("Credentials found: talking to " .. (os.getenv("SCENARIO_BASE_URL") or "the Scenario API") .. ".")
else
  local delay
  if has("SCENARIO_DEMO_DELAY") then
    delay = tonumber(os.getenv("SCENARIO_DEMO_DELAY"))
    if not (delay and delay >= 0 and delay < math.huge) then
      io.stderr:write("run_demo: SCENARIO_DEMO_DELAY must be a number of seconds, at least 0\n")
      os.exit(2)
    end
  end
  -- New models start as the recorded model of the reference page.
  local fixture = require("spec.support.fixtures").load(root .. "/spec/fixtures/model_realistic.lua")
  local core = require "scenario.core"
  stand_in = require("scenario.testing").start {
    lua = lua, delay = delay, model = core.parse_json(fixture.response.body).model,
  }
  print("No SCENARIO_SDK_API_KEY / SCENARIO_SDK_API_SECRET: using the local stand-in at " .. stand_in.base_url
    .. (delay and delay > 0 and (" (answering after %g s)"):format(delay) or "") .. ".")
  -- The stand-in trains a step per poll: no need to wait seconds between them.
  env = ("SCENARIO_BASE_URL=%s SCENARIO_SDK_API_KEY=demo-key SCENARIO_SDK_API_SECRET=demo-secret "
    .. "SCENARIO_POLL_INTERVAL=%s "):format(shell_quote(stand_in.base_url),
    os.getenv("SCENARIO_POLL_INTERVAL") or "0.2")
end

local args = {}
for i = 2, #arg do args[#args + 1] = shell_quote(arg[i]) end
io.stdout:flush() -- before the example writes to the same terminal
local ok, how, code = os.execute(("%sLUA_PATH=%s LUA_CPATH=%s %s %s %s"):format(env,
  shell_quote(checkout.lpath .. ";;"), shell_quote(checkout.cpath .. ";;"), shell_quote(lua), shell_quote(script),
  table.concat(args, " ")))
if stand_in then stand_in:stop() end
checkout.exit_as(ok, how, code)
