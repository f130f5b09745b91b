--[[
make test-love: runs examples/love/ in LÖVE (LuaJIT), headless, against
the local stand-in, and checks that the game trained its model while its
frame loop kept running. The game is put together as a user ships one
beside their main.lua: examples/love/* with scenario/*.lua and
scenario/core.so (the LuaJIT build) next to it.

  lua5.4 spec/support/love_run.lua BUILD_DIR    (BUILD_DIR: build/luajit)

Prints the game's output and a line of its own for each way of shipping it (a folder,
a .love archive): "test-love (game): N frames ...: ok"; exits non-zero on failure.
]]
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
local build = assert(arg[1], "usage: love_run.lua BUILD_DIR")
package.cpath = "./build/lua5.4/?.so;" .. package.cpath

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  local ok = p:close()
  return ok == true or ok == 0, out
end

local dir = os.tmpname()
os.remove(dir)
assert(sh(("mkdir -p %s/game/scenario %s/run && cp examples/love/*.lua %s/game/ && cp -r examples/assets %s/game/ "
  .. "&& cp lua/scenario/*.lua %s/game/scenario/ && cp %s/scenario/core.so %s/game/scenario/")
  :format(dir, dir, dir, dir, dir, build, dir)))

-- The game as a folder, then as a .love archive (which must copy core.so
-- to its save directory to load it).
assert(sh(("cd %s/game && zip -qr ../game.love ."):format(dir)))

local function play(game)
  local stand_in = require("scenario.testing").start { lua = "lua5.4" }
  local ok, out = sh(("cd / && XDG_RUNTIME_DIR=%s/run SCENARIO_LOVE_HEADLESS=1 SCENARIO_POLL_INTERVAL=0.1 "
    .. "SCENARIO_BASE_URL=%s SCENARIO_SDK_API_KEY=love-key SCENARIO_SDK_API_SECRET=love-secret "
    .. "timeout 90 love %s"):format(dir, stand_in.base_url, game))
  local asked = stand_in:requests()
  stand_in:stop()
  io.write(out)
  local frames, longest = out:match("frames (%d+) longest ([%d.]+) ms")
  local polls = 0
  for _, r in ipairs(asked) do
    if r.endpoint == "get_model" then polls = polls + 1 end
  end
  local problems = {}
  if not ok then problems[#problems + 1] = "love exited with a failure" end
  if not out:find(": trained\n", 1, true) then problems[#problems + 1] = "the model was not trained" end
  if not frames then problems[#problems + 1] = "the game did not report its frames" end
  -- The frame loop went on while the job waited: many more frames than polls.
  if frames and tonumber(frames) < 10 * polls then
    problems[#problems + 1] = ("only %s frames for %d polls: the loop was held up"):format(frames, polls)
  end
  if polls < 5 then problems[#problems + 1] = ("only %d polls of the training"):format(polls) end
  return problems, frames, polls, longest
end

local failed = false
for _, game in ipairs { dir .. "/game", dir .. "/game.love" } do
  local problems, frames, polls, longest = play(game)
  local what = game:match("[^/]*$")
  if #problems > 0 then
    print(("test-love (%s): FAILED: %s"):format(what, table.concat(problems, "; ")))
    failed = true
  else
    print(("test-love (%s): %s frames while the stand-in was polled %d times, longest frame %s ms: ok")
      :format(what, frames, polls, longest))
  end
end
sh("rm -rf " .. dir)
if failed then os.exit(1) end
