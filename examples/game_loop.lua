-- Creates 20 models from inside a 60 fps game loop without ever blocking
-- a frame: the creates run side by side in the background, the loop calls
-- client:poll() once per frame, and each result arrives in a callback.
--
--   SCENARIO_SDK_API_KEY=... SCENARIO_SDK_API_SECRET=... lua5.4 examples/game_loop.lua
--
-- Without credentials, against the local stand-in server answering each
-- create after a second, as a slow server would (after make):
--
--   SCENARIO_DEMO_DELAY=1 lua5.4 examples/run_demo.lua examples/game_loop.lua
--
-- It exits non-zero if any create failed.
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"
-- now() and sleep() of the C core are internal, but they do for a demo: a
-- monotonic clock and a blocking sleep, with no LuaSocket needed. A real
-- host (LÖVE, an engine, an editor) has its own frame timer and calls
-- client:poll() from its update callback instead of running this loop.
local core = require "scenario.core"

-- All 20 at once: the default max_concurrent of 8 would send them in
-- three waves (about 3 s against a server that takes 1 s for each). Lower
-- it to open fewer connections at a time, if the server rate-limits.
local client = scenario.new { max_concurrent = 20 }

local styles = { "Watercolor", "Ink", "Pixel Art", "Neon", "Clay" }
local subjects = { "Botanicals", "Portraits", "Castles", "Robots" }

local total, finished, succeeded, failed = 0, 0, 0, 0
local finished_this_frame = false
local t0 = core.now()

local function on_done_for(name)
  return function(model, err)
    finished = finished + 1
    finished_this_frame = true
    if model then
      succeeded = succeeded + 1
      print(("  done  %-22s %s  %.2fs"):format(name, model.id, core.now() - t0))
    else
      failed = failed + 1
      print(("  FAIL  %-22s %s"):format(name, tostring(err)))
    end
  end
end

for _, style in ipairs(styles) do
  for _, subject in ipairs(subjects) do
    local name = style .. " " .. subject
    total = total + 1
    local req, err = client:create_model_async(
      { name = name, type = "flux.1-lora", shortDescription = style .. " studies of " .. subject:lower() .. "." },
      nil, { on_done = on_done_for(name) })
    if not req then -- the body failed validation: nothing was sent
      finished, failed = finished + 1, failed + 1
      print(("  FAIL  %-22s %s"):format(name, tostring(err)))
    end
  end
end
print(("started %d creates"):format(total))

local FRAME = 1 / 60
local GIVE_UP = 120 -- seconds; each request ends by the client's timeout (60 s) anyway
local frames, longest_poll = 0, 0

while finished < total and core.now() - t0 < GIVE_UP do
  local frame_start = core.now()

  client:poll() -- moves every request forward; on_done runs in here
  local poll_time = core.now() - frame_start
  if poll_time > longest_poll then longest_poll = poll_time end

  frames = frames + 1 -- "draw" the frame
  if finished_this_frame or frames % 15 == 0 then
    print(("frame %d  t=%.2fs  finished %d/%d"):format(frames, core.now() - t0, finished, total))
    finished_this_frame = false
  end

  local rest = FRAME - (core.now() - frame_start)
  if rest > 0 then core.sleep(rest) end
end
client:close() -- cancels whatever is left, had the loop given up

failed = failed + (total - finished) -- given up on
local function row(label, value)
  print(("  %-14s %s"):format(label, value))
end
print("Summary")
row("frames drawn", frames)
row("wall time", ("%.2f s"):format(core.now() - t0))
row("longest poll", ("%.2f ms"):format(longest_poll * 1000))
row("succeeded", succeeded)
row("failed", failed)
if failed > 0 then os.exit(1) end
