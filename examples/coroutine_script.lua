-- Create scripts as coroutines in a 60 fps frame loop. Inside
-- scenario.spawn, client:create_model reads like the blocking call, but
-- it yields to the loop until its answer is in, and scenario.step() (once
-- per frame) resumes every script.
--
--   SCENARIO_DEMO_DELAY=1 lua5.4 examples/run_demo.lua examples/coroutine_script.lua
--
-- It exits non-zero if any create failed.
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"
-- Internal clock and sleep of the C core, fine for a demo; a real host has
-- its own frame timer and calls scenario.step() from its update callback.
local core = require "scenario.core"

local client = scenario.new()
local t0 = core.now()
local created, failed = 0, 0

local function create(body)
  local model, err = client:create_model(body) -- yields until it is done
  if model then
    created = created + 1
    print(("  t=%.2fs  created %s  %s"):format(core.now() - t0, model.id, model.name))
  else
    failed = failed + 1
    print(("  t=%.2fs  FAILED %s: %s"):format(core.now() - t0, body.name, tostring(err)))
  end
  return model
end

-- One script makes a LoRA, then a composition from it: one after the other.
local tasks = {
  scenario.spawn(function()
    local lora = create { name = "Ink Portraits", type = "flux.1-lora" }
    if lora then
      create { name = "Ink Portraits Mix", type = "flux.1-composition",
               concepts = { { modelId = lora.id, scale = 0.8 } } }
    end
  end),
}
-- Two more scripts run meanwhile, one create each.
for _, name in ipairs { "Neon Robots", "Clay Castles" } do
  tasks[#tasks + 1] = scenario.spawn(create, { name = name, type = "flux.1-lora" })
end

local FRAME = 1 / 60
local frames, running = 0, #tasks
while running > 0 do
  local frame_start = core.now()
  running = scenario.step() -- resumes each script once
  frames = frames + 1       -- "draw" the frame
  if frames % 15 == 0 then
    print(("frame %d  t=%.2fs  scripts running %d"):format(frames, core.now() - t0, running))
  end
  local rest = FRAME - (core.now() - frame_start)
  if running > 0 and rest > 0 then core.sleep(rest) end
end
client:close()

for _, task in ipairs(tasks) do
  if not task.ok then failed = failed + 1 end -- the script raised (see stderr)
end
print("Summary")
print(("  %-14s %s"):format("frames drawn", frames))
print(("  %-14s %.2f s"):format("wall time", core.now() - t0))
print(("  %-14s %s"):format("created", created))
print(("  %-14s %s"):format("failed", failed))
if failed > 0 then os.exit(1) end
