-- The stand-in's models: those a test makes (held in memory, trained a
-- stage per poll or on a clock, to the end its plan says), the base
-- models it knows for generations (the two Flux models, with their
-- inputs), and the handlers of the /models endpoints. scenario.testing
-- documents what they do.
local core = require "scenario.core"
local common = require "scenario.standin_common"

local M = {}

local json, bad_request, not_found, array = common.json, common.bad_request, common.not_found, common.array
local whole, finite, not_list, count_param = common.whole, common.finite, common.not_list, common.count_param
local now_iso, copy = common.now_iso, common.copy

-- The base models of ../shared/api/live/models.retrieve.flux-*-dev-base.json
-- as GET /models/{id} gave them, with their inputs' rules (name, type,
-- default, limits, model types) and labels, not their descriptions, nor
-- uiConfig and complianceMetadata; spec/standin_generation_spec.lua checks
-- them against the recorded ones. cost is the stand-in's price of one
-- output (the recorded dry runs': 9 and 16 creative units, and 1.75 for
-- the quality gate), not a field of the model.
local function bases()
  local function base(id, name, capabilities, created, cost, inputs)
    return { id = id, name = name, type = "custom", custom = true, privacy = "public", source = "other",
      status = "trained", capabilities = capabilities, tags = array { "Black Forest Labs", "Flux" },
      collectionIds = array(), exampleAssetIds = array(), trainingImagesNumber = 0, createdAt = created,
      updatedAt = "2026-06-28T10:15:25.245Z", accessRestrictions = 0, inputs = inputs }, cost
  end
  local list, cost = {}, {}
  local function add(model, price) list[model.id], cost[model.id] = model, price end
  add(base("model_bfl-flux-1-dev", "FLUX.1 Dev", { "txt2img", "img2img", "controlnet", "outpaint" },
    "2024-09-20T12:01:00.000Z", 9, {
    { name = "modelId", type = "model", label = "LoRA or Composition Model", default = "",
      modelTypes = { "flux.1-lora", "flux.1-composition" } },
    { name = "loras", type = "model_array", label = "Flux LoRA", default = array(), maxLength = 6,
      modelTypes = { "flux.1-lora" } },
    { name = "lorasScale", type = "number_array", label = "LoRA Scale", min = 0, max = 2, step = 0.05 },
    { name = "prompt", type = "string", label = "Prompt", maxLength = 2048, required = { always = true } },
    { name = "image", type = "file", label = "Reference Image", kind = "image" },
    { name = "strength", type = "number", label = "Strength", default = 0.8, min = 0.01, max = 1, step = 0.01 },
    { name = "controlImage", type = "file", label = "Control Image", kind = "image" },
    { name = "controlModality", type = "string", label = "Control Modality", default = "canny",
      allowedValues = { "canny", "tile", "depth", "blur", "pose", "gray", "low-quality" } },
    { name = "controlStrength", type = "number", label = "Control Strength", default = 0.7, min = 0, max = 1,
      step = 0.01 },
    { name = "controlStart", type = "number", label = "Control Start", default = 0, min = 0, max = 1, step = 0.01 },
    { name = "controlEnd", type = "number", label = "Control End", default = 1, min = 0, max = 1, step = 0.01 },
    { name = "numOutputs", type = "number", label = "Image Count", default = 1, min = 1, max = 4, step = 1 },
    { name = "numInferenceSteps", type = "number", label = "Inference Steps", default = 28, min = 1, max = 50,
      step = 1 },
    { name = "width", type = "number", label = "Width", default = 1104, min = 128, max = 2048, step = 16 },
    { name = "height", type = "number", label = "Height", default = 832, min = 128, max = 2048, step = 16 },
    { name = "guidance", type = "number", label = "Guidance", default = 3.5, min = 0, max = 10, step = 0.1 },
    { name = "seed", type = "number", label = "Seed", min = 0, max = 2147483647 },
  }))
  local flux2_loras = { "flux.2-dev-lora", "flux.2-dev-edit-lora" }
  add(base("model_bfl-flux-2-dev", "FLUX 2 (Dev)", { "txt2img", "img2img" }, "2025-11-25T17:57:36.871Z", 16, {
    { name = "modelId", type = "model", label = "LoRA Model", default = "", modelTypes = flux2_loras },
    { name = "loras", type = "model_array", label = "Flux LoRA", default = array(), maxLength = 6,
      modelTypes = flux2_loras },
    { name = "lorasScale", type = "number_array", label = "LoRA Scale", min = 0, max = 2, step = 0.05 },
    { name = "prompt", type = "string", label = "Prompt", maxLength = 2048, required = { always = true } },
    { name = "referenceImages", type = "file_array", label = "Reference images", maxLength = 5, kind = "image" },
    { name = "numOutputs", type = "number", label = "Image Count", default = 1, min = 1, max = 4, step = 1 },
    { name = "numInferenceSteps", type = "number", label = "Inference Steps", default = 28, min = 1, max = 100,
      step = 1 },
    { name = "width", type = "number", label = "Width", min = 128, max = 2048, step = 16 },
    { name = "height", type = "number", label = "Height", min = 128, max = 2048, step = 16 },
    { name = "guidance", type = "number", label = "Guidance", default = 4, min = 1, max = 10, step = 0.1 },
    { name = "seed", type = "number", label = "Seed", min = 0, max = 2147483647 },
  }))
  return list, cost
end

-- ---- training plans ------------------------------------------------------------

local plan_fields = { outcome = true, queue = true, progress = true, seconds_per_step = true }
local outcomes = { trained = true, failed = true, ["training-canceled"] = true }

-- Why opts cannot be a plan's options, or nil.
local function plan_problem(opts)
  if opts == nil then return nil end
  local why = common.not_fields(opts, plan_fields)
  if why then return why end
  if opts.outcome ~= nil and not outcomes[opts.outcome] then
    return "field 'outcome' must be \"trained\", \"failed\" or \"training-canceled\""
  end
  if opts.queue ~= nil and not_list(opts.queue, function(v) return whole(v, 0) end) then
    return "field 'queue' must be a list of whole numbers, at least 0"
  end
  if opts.progress ~= nil and not_list(opts.progress, function(v) return finite(v, 0) and v <= 1 end) then
    return "field 'progress' must be a list of numbers from 0 to 1"
  end
  if opts.seconds_per_step ~= nil and not (finite(opts.seconds_per_step, 0) and opts.seconds_per_step > 0) then
    return "field 'seconds_per_step' must be a number of seconds, more than 0"
  end
end

-- The stages a training goes through: scenario.testing.plan, documented there.
function M.plan(opts)
  local why = plan_problem(opts)
  if why then error(("bad argument #1 to 'plan' (%s)"):format(why), 2) end
  opts = opts or {}
  local steps = {}
  for _, position in ipairs(opts.queue or { 2, 1 }) do
    steps[#steps + 1] = { stage = "queued-for-train", position = position }
  end
  steps[#steps + 1] = { stage = "starting-train" }
  local progress = opts.progress or { 0.25, 0.5, 0.75 }
  for i, p in ipairs(progress) do
    steps[#steps + 1] = { stage = "running-train", progress = p, remainingTimeMs = (#progress - i + 1) * 60000 }
  end
  return { steps = steps, outcome = opts.outcome or "trained", seconds = opts.seconds_per_step }
end

-- The stand-in's models: none made yet, and the base models.
function M.init(self, opts)
  self.template = opts.model
  self.training = {}  -- by model id: the training's plan and how far it went
  self.plan = M.plan(opts.training)
  self.models = {}    -- by id
  self.order = {}     -- ids, oldest first
  self.made = 0       -- models ever made, for their ids
  self.bases, self.costs = bases()
end

-- Moves a model's training on: a step per poll, or as far as its clock
-- says. At the end, the model takes the plan's outcome.
local function advance(self, model, polled)
  local t = self.training[model.id]
  if not t then return end
  local step = common.step(t, polled)
  self.clock = self.clock + 1
  if step then
    model.status = "training"
    model.trainingProgress = { stage = step.stage, position = step.position, progress = step.progress,
      remainingTimeMs = step.remainingTimeMs, updatedAt = self.clock }
    return
  end
  self.training[model.id] = nil
  model.status = t.plan.outcome
  model.trainingProgress = nil
  if t.plan.outcome == "trained" then model.epoch = "000010" end
end

-- The model id names, a test's or a base model; or nil.
function M.lookup(self, id)
  return self.models[id] or self.bases[id]
end

-- A new model, as POST /models makes one: every field the model object
-- requires, and what the body set.
local function new_model(self, body)
  self.made = self.made + 1
  local at = now_iso(self)
  local model = copy(self.template) or {
    capabilities = array { "txt2img" }, collectionIds = array(), custom = true, exampleAssetIds = array(),
    privacy = "private", source = "scenario", status = "new", tags = array(), trainingImagesNumber = 0,
    type = "custom",
  }
  model.id = ("model_standin%06d"):format(self.made)
  model.createdAt, model.updatedAt = at, at
  model.trainingImages = model.trainingImages or array()
  for k, v in pairs(body or {}) do
    if v ~= core.null then model[k] = v end
  end
  return model
end

M.handlers = {}
local handlers = M.handlers

function handlers.create_model(self, _, _, body)
  local model = new_model(self, body)
  self.models[model.id] = model
  self.order[#self.order + 1] = model.id
  return json(200, { model = model })
end

-- A model of the test's (the base models are the API's: not to change).
local function find(self, id)
  local model = self.models[id]
  if not model then return nil, not_found(("Model %s not found"):format(id)) end
  return model
end

function handlers.get_model(self, params)
  local model = M.lookup(self, params[1])
  if not model then return not_found(("Model %s not found"):format(params[1])) end
  advance(self, model, true)
  return json(200, { model = model })
end

function handlers.list_models(self, _, query)
  local page, next_token = common.page(query, self.order, self.models, 100, common.query_range("list_models",
    "pageSize"))
  if not page then return bad_request(next_token) end
  return json(200, { models = page, nextPaginationToken = next_token })
end

function handlers.update_model(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  for k, v in pairs(body or {}) do
    if v == core.null then model[k] = nil else model[k] = v end -- null unsets
  end
  model.updatedAt = now_iso(self)
  return json(200, { model = model })
end

function handlers.delete_model(self, params)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  self.models[model.id] = nil
  for i, id in ipairs(self.order) do
    if id == model.id then table.remove(self.order, i) break end
  end
  return json(200, {})
end

function handlers.update_model_tags(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  local added, deleted, has = array(), array(), {}
  for _, t in ipairs(type(model.tags) == "table" and model.tags or {}) do has[t] = true end
  body = body or {}
  for _, t in ipairs(type(body.add) == "table" and body.add or {}) do
    if not has[t] then has[t], added[#added + 1] = true, t end
  end
  for _, t in ipairs(type(body.delete) == "table" and body.delete or {}) do
    if has[t] then has[t], deleted[#deleted + 1] = nil, t end
  end
  local tags = array()
  for _, t in ipairs(type(model.tags) == "table" and model.tags or {}) do if has[t] then tags[#tags + 1] = t end end
  for _, t in ipairs(added) do tags[#tags + 1] = t end
  model.tags = tags
  return json(200, { added = added, deleted = deleted })
end

function handlers.add_training_images(self, params, _, body)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  body = body or {}
  if body.assetId ~= nil then -- the page: with an assetId, data and name are ignored
    if type(body.assetId) ~= "string" or body.assetId == "" then return bad_request("assetId must be an asset id") end
  elseif body.data == nil then
    return bad_request("data or assetId is required")
  elseif not common.image_data_url(body.data) then
    return bad_request("data must be an image as a data URL: data:image/<type>;base64,<base64>")
  end
  if body.name ~= nil and type(body.name) ~= "string" then return bad_request("name must be a string") end
  local image = {
    id = ("asset_standin%06d"):format(#model.trainingImages + 1), automaticCaptioning = "",
    createdAt = now_iso(self), description = "", downloadUrl = "https://example.invalid/image",
    name = body.assetId == nil and body.name or "image",
  }
  model.trainingImages[#model.trainingImages + 1] = image
  model.trainingImagesNumber = #model.trainingImages
  return json(200, { trainingImage = image })
end

function handlers.train_model(self, params, query)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  local dry = query.dryRun == "true"
  -- A dry run may name the number of images it prices (trainingImagesCount).
  local images = #model.trainingImages
  if dry and query.trainingImagesCount ~= nil then
    local why
    images, why = count_param(query, "trainingImagesCount", nil, 1)
    if not images then return bad_request(why) end
  end
  if images == 0 then return bad_request(("%s has no training images"):format(model.id)) end
  local job = { createdAt = now_iso(self), jobId = ("job_standin%06d"):format(self.made), jobType = "model-training",
    metadata = {}, progress = 0, status = "queued", statusHistory = {}, updatedAt = now_iso(self) }
  if not dry then
    if self.training[model.id] then return bad_request(("%s is training already"):format(model.id)) end
    self.training[model.id] = { plan = self.plan, step = 0, started = common.clock() }
    advance(self, model, true)
  end
  return json(200, { job = job, model = model, creativeUnitsCost = 10 })
end

function handlers.cancel_training(self, params)
  local model, status, headers, err = find(self, params[1])
  if not model then return status, headers, err end
  if not self.training[model.id] then return bad_request(("%s is not training"):format(model.id)) end
  self.training[model.id] = nil
  model.status = "training-canceled"
  model.trainingProgress = nil
  return json(200, { model = model })
end

-- The stand-in's method for its trainings: script.
M.methods = {}

function M.methods:script(opts)
  local why = plan_problem(opts)
  if why then error(("bad argument #1 to 'script' (%s)"):format(why), 2) end
  self.plan = M.plan(opts)
end

return M
