-- Creates an empty Flux LoRA model, ready for training images, and prints it.
--
--   SCENARIO_SDK_API_KEY=... SCENARIO_SDK_API_SECRET=... lua5.4 examples/create_lora.lua
--
-- Without credentials, against the local stand-in server (after make):
--
--   lua5.4 examples/run_demo.lua examples/create_lora.lua
--
-- The create body takes no training parameters or images (the model comes
-- back with status "new" and none yet); name and shortDescription may be
-- left out, and are then generated when training starts.
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"

local client = scenario.new()

local model, err = client:create_model {
  name = "Watercolor Botanicals",
  shortDescription = "Loose watercolor plant studies on textured paper.",
  type = "flux.1-lora",
}
if not model then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

local function row(label, value)
  print(("  %-14s %s"):format(label, tostring(value)))
end

print("Created LoRA model " .. model.id)
row("name", model.name or "(generated when training starts)")
row("type", model.type)
row("status", model.status)
row("images", model.trainingImagesNumber)
if model.compliantModelIds then
  row("base models", table.concat(model.compliantModelIds, ", "))
end
