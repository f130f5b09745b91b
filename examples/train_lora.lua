-- Trains a Flux LoRA from a folder of images, the whole job: creates the
-- model, uploads the images, shows what the training will cost, trains
-- it with a progress bar through its stages, prints the trained model
-- and deletes it.
--
--   SCENARIO_SDK_API_KEY=... SCENARIO_SDK_API_SECRET=... lua5.4 examples/train_lora.lua DIR
--
-- DIR defaults to examples/assets. Without the credentials it runs against
-- the local stand-in, as make demo EXAMPLE=train_lora does. SCENARIO_POLL_INTERVAL sets the
-- seconds between progress polls (default 5; the stand-in's demo uses less).
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"

local dir = arg[1] or (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/assets"
local interval = tonumber(os.getenv("SCENARIO_POLL_INTERVAL") or "") or 5

local client = scenario.new()

local function check(value, err)
  if value == nil then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  return value, err
end

-- The image files of dir, in name order.
local function images(path)
  local list = {}
  local p = assert(io.popen("ls -1 '" .. path:gsub("'", "'\\''") .. "' 2>/dev/null"))
  for name in p:lines() do
    if name:lower():match("%.png$") or name:lower():match("%.jpe?g$") or name:lower():match("%.webp$") then
      list[#list + 1] = name
    end
  end
  p:close()
  table.sort(list)
  return list
end

local files = images(dir)
if #files == 0 then
  io.stderr:write("train_lora: no images in " .. dir .. "\n")
  os.exit(1)
end

local model = check(client:create_model { name = "Demo LoRA", type = "flux.1-lora",
  shortDescription = "Trained by examples/train_lora.lua" })
print(("1. Created %s (%s)"):format(model.id, model.type))

for i, name in ipairs(files) do
  local data = check(scenario.data_url(dir .. "/" .. name))
  local image = check(client:add_training_images(model.id, { data = data, name = name }))
  print(("2. Uploaded %d/%d: %s as %s"):format(i, #files, name, image.id))
end

local parameters = { nbEpochs = 10, rank = 16, learningRate = 0.0001, lrScheduler = "constant" }
local dry = check(client:train_model(model.id, { parameters = parameters },
  { dryRun = true, trainingImagesCount = #files }))
print(("3. A training would cost %s creative units"):format(tostring(dry.creativeUnitsCost)))

check(client:train_model(model.id, { parameters = parameters }))
print("4. Training started")

-- One line per change: the bar, the stage, and what the stage says.
local function bar(m)
  -- What the server sends is read as it may come: a field of another type
  -- (a lenient answer) must not break the bar.
  local p = type(m.trainingProgress) == "table" and m.trainingProgress or {}
  local done = m.status == "trained" and 1 or math.max(0, math.min(1, tonumber(p.progress) or 0))
  local width = 20
  local filled = math.floor(done * width + 0.5)
  local detail = ""
  local position, left = tonumber(p.position), tonumber(p.remainingTimeMs)
  if position then detail = ("  (position %s in the queue)"):format(math.floor(position)) end
  if left then detail = ("  (about %s s left)"):format(math.floor(left / 1000)) end
  return ("   [%s%s] %3d%%  %s%s"):format(("#"):rep(filled), ("-"):rep(width - filled), math.floor(done * 100 + 0.5),
    m.status == "training" and tostring(p.stage or "training") or tostring(m.status), detail)
end

local trained, err = client:wait_for_training(model.id, { interval = interval,
  on_progress = function(m) print(bar(m)) end })
if not trained then
  io.stderr:write(tostring(err), "\n")
  client:delete_model(model.id)
  os.exit(1)
end

print(("5. Trained: %s, %d training images, epoch %s"):format(trained.id, trained.trainingImagesNumber or #files,
  tostring(trained.epoch)))

check(client:delete_model(model.id))
print("6. Deleted " .. model.id)
