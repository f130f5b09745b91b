-- make demo: runs an example script. With SCENARIO_SDK_API_KEY and
-- SCENARIO_SDK_API_SECRET set it talks to the real API; without them it
-- starts the local stand-in server (the specs' replay server, answering
-- every create with a model built from the request) and points the
-- example at it.
--
--   lua5.4 examples/run_demo.lua examples/create_model.lua
--
-- The example runs under the interpreter that runs this script, with the
-- module make built for it (build/<interpreter>/).
--
-- SCENARIO_DEMO_DELAY=SECONDS makes the stand-in answer each create that
-- long after it arrives (requests wait side by side, not in turn), as a
-- slow real server would: examples/game_loop.lua uses it.
local script = assert(arg[1], "usage: lua5.4 examples/run_demo.lua SCRIPT")
local lua = arg[-1] or "lua5.4"
local cpath = os.getenv("SCENARIO_TEST_CPATH") or ("./build/" .. lua:match("[^/]*$") .. "/?.so")
local paths = ("LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='%s;;'"):format(cpath)

local function has(name)
  local v = os.getenv(name)
  return v ~= nil and v ~= ""
end

local env = ""
local server
if has("SCENARIO_SDK_API_KEY") and has("SCENARIO_SDK_API_SECRET") then
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
  package.path = "./?.lua;" .. package.path
  server = require("spec.support.replay").server("spec/fixtures/model_realistic.lua", { delay = delay })
  print("No SCENARIO_SDK_API_KEY / SCENARIO_SDK_API_SECRET: using the local stand-in at " .. server.url
    .. (delay and delay > 0 and (" (answering after %g s)"):format(delay) or "") .. ".")
  env = ("SCENARIO_BASE_URL='%s' SCENARIO_SDK_API_KEY=demo-key SCENARIO_SDK_API_SECRET=demo-secret "):format(server.url)
end

io.stdout:flush() -- before the example writes to the same terminal
local ok, how, code = os.execute(env .. paths .. " " .. lua .. " " .. script)
if server then server.guard = nil collectgarbage() end
if type(ok) == "number" then -- Lua 5.1 and LuaJIT: the wait status
  if ok ~= 0 then os.exit(1) end
elseif not ok then
  os.exit(how == "exit" and code or 1)
end
