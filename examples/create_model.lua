-- Creates a Flux LoRA model and prints it.
--
--   SCENARIO_SDK_API_KEY=... SCENARIO_SDK_API_SECRET=... lua5.4 examples/create_model.lua
--
-- Without those it runs against a local stand-in server, as make demo
-- EXAMPLE=create_model does.
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"

local client = scenario.new()

local model, meta = client:create_model {
  name = "Cinematic Realism",
  shortDescription = "Moody, film-grain stills with anamorphic flares.",
  type = "flux.1-lora",
}
if not model then
  io.stderr:write(tostring(meta), "\n") -- on failure, the second value is the error
  os.exit(1)
end

local function row(label, value)
  print(("  %-14s %s"):format(label, value))
end

print("Created model " .. model.id)
row("name", model.name or "(generated when training starts)")
row("type", model.type)
row("status", model.status)
row("privacy", model.privacy)
row("capabilities", table.concat(model.capabilities, ", "))
row("created", model.createdAt)
if model.trainingProgress then
  row("training", ("%s (updated at %d ms)"):format(model.trainingProgress.stage,
    model.trainingProgress.updatedAt))
end
row("answer", ("HTTP %d after %d attempt(s)"):format(meta.status, meta.attempts))
