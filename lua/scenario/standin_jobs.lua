-- The stand-in's generations and jobs: generate (a model's inputs checked
-- as the live API checks them, refused with its {"reason": ...} bodies,
-- or priced with a dry run), txt2img and img2img, the jobs they start
-- (a step per poll or on a clock, to the end their plan says, making an
-- asset per output), and get_job, list_jobs and cancel_job.
-- scenario.testing documents what they do.
local core = require "scenario.core"
local common = require "scenario.standin_common"
local models = require "scenario.standin_models"
local assets = require "scenario.standin_assets"

local M = {}

local json, bad_request, not_found, reason, array = common.json, common.bad_request, common.not_found,
  common.reason, common.array
local whole, finite, not_list, number, copy = common.whole, common.finite, common.not_list, common.number, common.copy

-- ---- job plans -------------------------------------------------------------------

local plan_fields = { outcome = true, error = true, progress = true, seconds_per_step = true }
local outcomes = { success = true, failure = true, canceled = true }

-- Why opts cannot be a job plan's options, or nil.
local function plan_problem(opts)
  if opts == nil then return nil end
  local why = common.not_fields(opts, plan_fields)
  if why then return why end
  if opts.outcome ~= nil and not outcomes[opts.outcome] then
    return "field 'outcome' must be \"success\", \"failure\" or \"canceled\""
  end
  if opts.error ~= nil and not (type(opts.error) == "string" and core.to_json(opts.error)) then
    return "field 'error' must be a UTF-8 string"
  end
  if opts.progress ~= nil and not_list(opts.progress, function(v) return finite(v, 0) and v <= 1 end) then
    return "field 'progress' must be a list of numbers from 0 to 1"
  end
  if opts.seconds_per_step ~= nil and not (finite(opts.seconds_per_step, 0) and opts.seconds_per_step > 0) then
    return "field 'seconds_per_step' must be a number of seconds, more than 0"
  end
end

-- The statuses a job goes through: scenario.testing.job_plan, documented there.
function M.job_plan(opts)
  local why = plan_problem(opts)
  if why then error(("bad argument #1 to 'job_plan' (%s)"):format(why), 2) end
  opts = opts or {}
  local steps = { { status = "queued", progress = 0 }, { status = "warming-up", progress = 0 } }
  for _, p in ipairs(opts.progress or { 0.25, 0.5, 0.75 }) do
    steps[#steps + 1] = { status = "in-progress", progress = p }
  end
  local outcome = opts.outcome or "success"
  if outcome == "success" then steps[#steps + 1] = { status = "finalizing", progress = 1 } end
  return { steps = steps, outcome = outcome, seconds = opts.seconds_per_step,
    error = opts.error or "the test's job plan ends in failure" }
end

-- The stand-in's jobs: none yet.
function M.init(self, opts)
  self.jobs = {}      -- by id: the job object
  self.job_order = {} -- ids, oldest first
  self.job_runs = {}  -- by id, while a job runs: its plan, how far it went, what it makes
  self.job_plan = M.job_plan(opts.jobs)
end

-- A job's status, and its history when that changed.
local function set_status(self, job, status, progress)
  if job.status ~= status then
    job.statusHistory[#job.statusHistory + 1] = { status = status, date = common.now_iso(self) }
  end
  job.status, job.progress, job.updatedAt = status, progress, common.now_iso(self)
end

-- Moves a job on: a step per poll, or as far as its clock says. At the
-- end, it takes its plan's outcome: success makes its assets.
local function advance(self, job, polled)
  local run = self.job_runs[job.jobId]
  if not run then return end
  local step = common.step(run, polled)
  if step then return set_status(self, job, step.status, step.progress) end
  self.job_runs[job.jobId] = nil
  local plan = run.plan
  if plan.outcome == "success" then
    local ids = array()
    for i = 0, run.outputs - 1 do
      ids[#ids + 1] = assets.generated(self, job.jobId, i, run.source, copy(run.asset_metadata))
    end
    job.metadata.assetIds = ids
    set_status(self, job, "success", 1)
  elseif plan.outcome == "failure" then
    job.metadata.error = plan.error
    set_status(self, job, "failure", job.progress)
  else
    set_status(self, job, "canceled", job.progress)
  end
end

-- Starts a job of job_type under the stand-in's job plan, to make
-- outputs assets of source with asset_metadata. Returns the job object.
local function start(self, job_type, input, outputs, source, asset_metadata)
  local id = ("job_standingen%06d"):format(#self.job_order + 1)
  local at = common.now_iso(self)
  local job = { jobId = id, jobType = job_type, status = "queued", progress = 0, createdAt = at, updatedAt = at,
    authorId = "standin_author", ownerId = "proj_standin", metadata = { input = copy(input) },
    statusHistory = array { { status = "queued", date = at } } }
  self.jobs[id], self.job_order[#self.job_order + 1] = job, id
  self.job_runs[id] = { plan = self.job_plan, step = 1, started = common.clock(), outputs = outputs,
    source = source, asset_metadata = asset_metadata }
  return job
end

-- ---- generate: a model's inputs --------------------------------------------------

-- The inputs a model without any is checked against: a prompt, and the
-- outputs the base models allow.
local GENERIC_INPUTS = {
  { name = "prompt", type = "string", required = { always = true } },
  { name = "numOutputs", type = "number", default = 1, min = 1, max = 4, step = 1 },
}

-- The refusal of models named by an input of type model or model_array
-- whose modelTypes they are not (the live API's wording); nil if each is
-- a model the stand-in knows, of those types.
local function check_models(self, input, ids)
  local bad, allowed = {}, {}
  for _, t in ipairs(type(input.modelTypes) == "table" and input.modelTypes or {}) do allowed[t] = true end
  for _, id in ipairs(ids) do
    local model = models.lookup(self, id)
    if not model then return reason(404, ("Model %s not found"):format(id)) end
    if input.modelTypes and not allowed[model.type] then bad[#bad + 1] = id end
  end
  if #bad > 0 then
    return reason(400, ("Invalid model(s): %s.\nAllowed model types: %s"):format(table.concat(bad, ", "),
      table.concat(input.modelTypes, ", ")))
  end
end

local function check_assets(self, ids)
  for _, id in ipairs(ids) do
    if not assets.exists(self, id) then return reason(404, ("Asset %s not found"):format(id)) end
  end
end

local function is_string(v) return type(v) == "string" end
local function is_number(v) return type(v) == "number" end

-- The refusal of value as the input input (one of inputs), or nil. The
-- live API's own messages where it was recorded refusing (at most, items
-- long, not found, invalid models); the stand-in's wording for the
-- others.
local function check_input(self, inputs, input, value)
  local name, kind = input.name, input.type
  if value == nil or value == core.null then
    if type(input.required) == "table" and input.required.always then
      return reason(400, ("Input %s is required"):format(name))
    end
    return nil
  end
  local function refuse(fmt, ...) return reason(400, ("Input %s " .. fmt):format(name, ...)) end
  if kind == "number" then
    if type(value) ~= "number" then return refuse("must be a number") end
    if input.max and value > input.max then return refuse("must be at most %s", number(input.max)) end
    if input.min and value < input.min then return refuse("must be at least %s", number(input.min)) end
    if input.step == 1 and value ~= math.floor(value) then return refuse("must be a whole number") end
  elseif kind == "number_array" then
    -- Below its min was let through in the recordings: only the max is checked.
    if not_list(value, is_number) then return refuse("must be a list of numbers") end
    for _, v in ipairs(value) do
      if input.max and v > input.max then return refuse("must be at most %s", number(input.max)) end
    end
  elseif kind == "string" or kind == "model" or kind == "file" then
    if type(value) ~= "string" then return refuse("must be a string") end
    if input.maxLength and #value > input.maxLength then
      return refuse("must be at most %d characters long", input.maxLength)
    end
    if input.allowedValues then
      local ok = false
      for _, v in ipairs(input.allowedValues) do ok = ok or v == value end
      if not ok then return refuse("must be one of: %s", table.concat(input.allowedValues, ", ")) end
    end
    if kind == "model" and value ~= "" then return check_models(self, input, { value }) end
    if kind == "file" then return check_assets(self, { value }) end
  elseif kind == "model_array" or kind == "file_array" or kind == "string_array" then
    if not_list(value, is_string) then return refuse("must be a list of strings") end
    if input.maxLength and #value > input.maxLength then
      return refuse("must be at most %d items long", input.maxLength)
    end
    if kind == "model_array" then
      -- As recorded: a flux.2 LoRA in flux-1's loras was refused naming
      -- the types of its modelId input (LoRA or composition), and a
      -- composition there naming the loras' own (LoRA).
      for _, other in ipairs(inputs) do
        if other.type == "model" then
          local status, headers, answer = check_models(self, other, value)
          if status then return status, headers, answer end
        end
      end
      return check_models(self, input, value)
    end
    if kind == "file_array" then return check_assets(self, value) end
  elseif kind == "boolean" then
    if type(value) ~= "boolean" then return refuse("must be a boolean") end
  end
end

-- The value of the input named name: the body's, or the input's default.
local function value_of(inputs, body, name)
  if body[name] ~= nil and body[name] ~= core.null then return body[name] end
  for _, input in ipairs(inputs) do
    if input.name == name then return input.default end
  end
end

M.handlers = {}
local handlers = M.handlers

-- The model types that are not run through their own path: the live API
-- refused LoRAs and compositions there.
local function adapter(model_type)
  return type(model_type) == "string" and (model_type:find("lora", 1, true) or model_type:find("composition", 1, true))
end

function handlers.generate(self, params, query, body)
  local model = models.lookup(self, params[1])
  if not model then return reason(404, ("Model %s not found"):format(params[1])) end
  if adapter(model.type) then return reason(400, "Custom models only are supported for this endpoint") end
  body = body or {}
  local inputs = type(model.inputs) == "table" and model.inputs or GENERIC_INPUTS
  for _, input in ipairs(inputs) do
    local status, headers, answer = check_input(self, inputs, input, body[input.name])
    if status then return status, headers, answer end
  end
  local outputs = value_of(inputs, body, "numOutputs") or 1
  local each = self.costs[model.id] or 9
  local cost = each * outputs + 1.75
  if query.dryRun == "true" then
    return json(269, { creativeUnitsCost = cost, creativeUnitsDiscount = 0,
      costDetails = { ["custom-generation"] = each * outputs, ["quality-gate"] = 1.75 } })
  end
  local image = body.image ~= nil or body.referenceImages ~= nil
  local job = start(self, "custom", body, outputs, image and "img2img" or "txt2img", {
    type = image and "inference-img2img" or "inference-txt2img", modelId = model.id, prompt = body.prompt,
    width = value_of(inputs, body, "width"), height = value_of(inputs, body, "height") })
  return json(200, { job = job, creativeUnitsCost = cost, creativeUnitsDiscount = 0 })
end

-- ---- txt2img and img2img ------------------------------------------------------------

-- POST /generate/txt2img and /generate/img2img (generate.txt2img.md,
-- generate.img2img.md): modelId and prompt required, numSamples from 1
-- to 128 (default 4, the Swagger export's), width and height from 64 to
-- 2048; img2img's image a data URL or an asset id, its strength from
-- 0.01 to 1.
local function inference(self, kind, query, body)
  body = body or {}
  if type(body.modelId) ~= "string" or body.modelId == "" then return bad_request("modelId is required") end
  if type(body.prompt) ~= "string" or body.prompt == "" then return bad_request("prompt is required") end
  local model = models.lookup(self, body.modelId)
  if not model then return not_found(("Model %s not found"):format(body.modelId)) end
  local samples = body.numSamples == nil and 4 or body.numSamples
  if not (whole(samples, 1) and samples <= 128) then
    return bad_request("numSamples must be a whole number from 1 to 128")
  end
  for _, side in ipairs { "width", "height" } do
    local v = body[side]
    if v ~= nil and not (type(v) == "number" and v >= 64 and v <= 2048) then
      return bad_request(side .. " must be a number from 64 to 2048")
    end
  end
  if kind == "img2img" then
    local image = body.image
    if not (common.image_data_url(image) or (type(image) == "string" and assets.exists(self, image))) then
      return bad_request("image must be an image as a data URL, or the id of an asset")
    end
    if body.strength ~= nil and not (type(body.strength) == "number" and body.strength >= 0.01
      and body.strength <= 1) then
      return bad_request("strength must be a number from 0.01 to 1")
    end
  end
  local cost = samples * 5
  if query.dryRun == "true" then return json(269, { creativeUnitsCost = cost, creativeUnitsDiscount = 0 }) end
  local job = start(self, "inference", body, samples, kind, { type = "inference-" .. kind, modelId = model.id,
    prompt = body.prompt, width = body.width, height = body.height })
  local record = copy(body)
  if kind == "img2img" then record.image = nil end -- not echoed: it may be megabytes
  record.id, record.type, record.numSamples = ("inf_standin%06d"):format(#self.job_order), kind, samples
  job.metadata.inferenceId = record.id
  return json(200, { inference = record, job = job, creativeUnitsCost = cost, creativeUnitsDiscount = 0 })
end

function handlers.generate_txt2img(self, _, query, body) return inference(self, "txt2img", query, body) end
function handlers.generate_img2img(self, _, query, body) return inference(self, "img2img", query, body) end

-- ---- jobs -------------------------------------------------------------------------

local function find(self, id)
  local job = self.jobs[id]
  if not job then return nil, not_found(("Job %s not found"):format(id)) end
  return job
end

function handlers.get_job(self, params)
  local job, status, headers, err = find(self, params[1])
  if not job then return status, headers, err end
  advance(self, job, true)
  return json(200, { job = job })
end

-- list_jobs' pageSize, until the endpoint table has list_jobs to read it
-- from (jobs.list.md: 1 to 200).
local PAGE = { min = 1, max = 200 }

function handlers.list_jobs(self, _, query)
  local order = {}
  local types = query.types or query.type
  local wanted = types and {}
  for t in (types or ""):gmatch("[^,]+") do wanted[t] = true end
  for _, id in ipairs(self.job_order) do
    local job = self.jobs[id]
    advance(self, job, false) -- a clock's plan moves on however the job is seen
    if (query.status == nil or job.status == query.status) and (not wanted or wanted[job.jobType]) then
      order[#order + 1] = id
    end
  end
  local page, next_token = common.page(query, order, self.jobs, 10, common.query_range("list_jobs", "pageSize")
    or PAGE)
  if not page then return bad_request(next_token) end
  return json(200, { jobs = page, nextPaginationToken = next_token })
end

-- A job that is still running is canceled; one that has ended is
-- answered as it is (the plugin's notes: an action may race the job's
-- end, and the answer says which won).
function handlers.cancel_job(self, params, _, body)
  if type(body) ~= "table" or body.action ~= "cancel" then return bad_request("action must be \"cancel\"") end
  local job, status, headers, err = find(self, params[1])
  if not job then return status, headers, err end
  if self.job_runs[job.jobId] then
    self.job_runs[job.jobId] = nil
    set_status(self, job, "canceled", job.progress)
  end
  return json(200, { job = job })
end

-- The stand-in's method for its jobs: script_jobs.
M.methods = {}

function M.methods:script_jobs(opts)
  local why = plan_problem(opts)
  if why then error(("bad argument #1 to 'script_jobs' (%s)"):format(why), 2) end
  self.job_plan = M.job_plan(opts)
end

return M
