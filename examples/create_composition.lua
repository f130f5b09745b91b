-- Creates a Flux composition model from two LoRA concepts and prints it.
--
--   SCENARIO_SDK_API_KEY=... SCENARIO_SDK_API_SECRET=... \
--     lua5.4 examples/create_composition.lua LORA_MODEL_ID_1 LORA_MODEL_ID_2
--
-- (pass two of your own trained LoRA model IDs). Without credentials,
-- against the local stand-in server (after make), with example IDs:
--
--   lua5.4 examples/run_demo.lua examples/create_composition.lua
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"

local args = arg or {}
local style = args[1] or "model_eyVcnFJcR92BxBkz7N6g5w"
local subject = args[2] or "model_Xq7RmT2pLk9aVwHc3NdB5e"

local client = scenario.new()

-- concepts: {modelId, scale, modelEpoch}; scale is in [-2, 2].
local model, err = client:create_model {
  name = "Ink Portraits",
  shortDescription = "A character LoRA rendered in an ink-wash style.",
  type = "flux.1-composition",
  concepts = {
    { modelId = style, scale = 0.8 },
    { modelId = subject, scale = 0.55 },
  },
}
if not model then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

print("Created composition model " .. model.id)
print(("  %-14s %s"):format("name", tostring(model.name)))
print(("  %-14s %s"):format("type", tostring(model.type)))
print(("  %-14s %s"):format("status", tostring(model.status)))
print("  concepts")
for i, c in ipairs(model.concepts or {}) do
  print(("    %d. %s  scale %g%s"):format(i, c.modelId, c.scale,
    c.modelEpoch and ("  epoch " .. c.modelEpoch) or ""))
end
