-- From a folder of images to sprites on disk, the whole loop a game's
-- asset tool runs: trains a Flux LoRA on the images (create, upload,
-- train with progress), generates 4 images with it (the price first, then
-- the job with its progress), downloads them into a directory, prints
-- their paths and sizes, and deletes the model.
--
--   SCENARIO_SDK_API_KEY=... SCENARIO_SDK_API_SECRET=... lua5.4 examples/make_sprites.lua [IMAGES [OUT]]
--
-- IMAGES defaults to examples/assets; OUT, where the sprites go, to a new
-- temporary directory. make demo runs it against the local stand-in when
-- the credentials are unset. SCENARIO_POLL_INTERVAL sets the seconds
-- between progress polls (default 5; the stand-in's demo uses less).
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"

local images = arg[1] or (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/assets"
local interval = tonumber(os.getenv("SCENARIO_POLL_INTERVAL") or "") or 5
-- The trained LoRA runs through its base model, with the LoRA in the
-- body's modelId (docs/calls.md says why, and what else to try).
local BASE = "model_bfl-flux-1-dev"

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local out = arg[2]
if not out then
  out = os.tmpname()
  os.remove(out)
end
os.execute("mkdir -p " .. quote(out))

local client = scenario.new()
local model -- deleted on the way out, whatever happens

local function check(value, err)
  if value == nil then
    io.stderr:write(tostring(err), "\n")
    if model then client:delete_model(model.id) end
    os.exit(1)
  end
  return value, err
end

local function bar(done, what)
  done = math.max(0, math.min(1, tonumber(done) or 0))
  local filled = math.floor(done * 20 + 0.5)
  return ("   [%s%s] %3d%%  %s"):format(("#"):rep(filled), ("-"):rep(20 - filled), math.floor(done * 100 + 0.5), what)
end

local files = {}
for name in assert(io.popen("ls -1 " .. quote(images) .. " 2>/dev/null")):lines() do
  if name:lower():match("%.png$") or name:lower():match("%.jpe?g$") or name:lower():match("%.webp$") then
    files[#files + 1] = name
  end
end
table.sort(files)
if #files == 0 then check(nil, "make_sprites: no images in " .. images) end

model = check(client:create_model { name = "Sprites LoRA", type = "flux.1-lora" })
print(("1. Created %s"):format(model.id))
for _, name in ipairs(files) do
  check(client:add_training_images(model.id, { data = check(scenario.data_url(images .. "/" .. name)), name = name }))
end
print(("2. Uploaded %d images"):format(#files))

check(client:train_model(model.id, { parameters = { nbEpochs = 10, rank = 16 } }))
check(client:wait_for_training(model.id, { interval = interval, on_progress = function(m)
  local p = type(m.trainingProgress) == "table" and m.trainingProgress or {}
  print(bar(m.status == "trained" and 1 or p.progress, tostring(m.status)))
end }))
print("3. Trained " .. model.id)

local body = { prompt = "a red potion bottle, game sprite, plain background", numOutputs = 4, modelId = model.id }
local price = check(client:generate(BASE, body, { dryRun = true }))
print(("4. 4 images will cost %s creative units"):format(tostring(price.creativeUnitsCost)))

local doc = check(client:generate(BASE, body))
local job = check(client:wait_for_job(doc.job.jobId, { interval = interval, on_progress = function(j)
  print(bar(j.status == "success" and 1 or j.progress, tostring(j.status)))
end }))
print("5. Generated " .. job.jobId)

local paths, meta = check(client:download_job_assets(job, out, { on_progress = function(done, total, path)
  print(("   %d/%d %s"):format(done, total, path))
end }))
print(("6. Downloaded %d files, %d bytes in all:"):format(#paths, meta.bytes))
for i, path in ipairs(paths) do
  print(("   %s  %d bytes"):format(path, meta.assets[i].bytes))
end

check(client:delete_model(model.id))
print("7. Deleted " .. model.id)
