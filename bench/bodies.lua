-- The request bodies and responses the benchmarks use.
local M = {}

--- A typical create: what examples/create_model.lua sends.
M.typical = {
  name = "Cinematic Realism",
  shortDescription = "Moody, film-grain stills with anamorphic flares.",
  type = "flux.1-lora",
  collectionIds = { "collection_9xKcJ2m4RbT7WqYp" },
}

--- Every field, 50 concepts, 200 collection IDs, 64-character names.
function M.maximal()
  local concepts, ids = {}, {}
  for i = 1, 50 do
    concepts[i] = { modelId = ("model_%022d"):format(i), scale = (i % 9) / 4 - 1, modelEpoch = ("%06d"):format(i) }
  end
  for i = 1, 200 do ids[i] = ("collection_%053d"):format(i) end
  return {
    baseModelId = "flux.1-dev",
    classSlug = "characters-npcs-mobs-characters",
    collectionIds = ids,
    concepts = concepts,
    name = ("Cinematic Realism "):rep(4):sub(1, 64),
    shortDescription = ("Moody, film-grain stills with anamorphic flares. "):rep(6):sub(1, 256),
    type = "flux.1-composition",
  }
end

local fixture = require("spec.support.replay").fixture

M.realistic_response = fixture("model_realistic").response.body
M.example_response = fixture("model_example").response.body

--- About 200 KB: the page's example model with many inputs, epochs and
-- training images.
function M.large_response()
  local cjson = require "cjson"
  local doc = cjson.decode(M.example_response)
  local m = doc.model
  local input, epoch, image = m.inputs[1], m.epochs[1], m.trainingImages[1]
  m.inputs, m.epochs, m.trainingImages = {}, {}, {}
  for i = 1, 210 do m.inputs[i] = input end
  for i = 1, 210 do m.epochs[i] = epoch end
  for i = 1, 550 do m.trainingImages[i] = image end
  return cjson.encode(doc)
end

return M
