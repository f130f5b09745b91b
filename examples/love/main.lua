-- A LÖVE game that makes its own sprite while it keeps drawing: the job
-- runs in a scenario.spawn coroutine, resumed once a frame by
-- scenario.step(), so no call ever holds a frame up. It creates a LoRA,
-- uploads the PNG images of its assets/ folder, trains it (a progress
-- bar), generates an image with it (the bar again), downloads the image
-- into the save directory, loads it with love.graphics.newImage and
-- draws it, and deletes the model.
--
-- Beside this file: the scenario module (scenario/init.lua and the other
-- Lua files, and scenario/core.so; see the README's LÖVE section) and
-- assets/, the images, packed with the game like any other of its files.
-- The credentials come from SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET,
-- and SCENARIO_BASE_URL may point it at the local stand-in.
-- SCENARIO_LOVE_CHECK=1 (make test-love) makes it check, from a
-- screenshot, that the sprite is on the screen, print what it found and
-- quit.

-- From a .love archive (or a fused game), the C module cannot be loaded
-- where it is: the system loads it from a real file. LÖVE's C loader also
-- looks in the save directory, so it is copied there first.
-- Run as a folder, a copy left there by an earlier .love run would be
-- found first, however old: it goes.
if love.filesystem.isFused() or love.filesystem.getSource():match("%.love$") then
  love.filesystem.createDirectory("scenario")
  assert(love.filesystem.write("scenario/core.so", assert(love.filesystem.read("scenario/core.so"))))
elseif love.filesystem.getRealDirectory("scenario/core.so") == love.filesystem.getSaveDirectory() then
  love.filesystem.remove("scenario/core.so")
end

local scenario = require "scenario"

local state = { line = "starting", progress = 0, done = false, ok = false }
local frames, longest, started = 0, 0, nil
local training_from -- the frame count when the training was asked for
local headless = love.graphics == nil
local checking = os.getenv("SCENARIO_LOVE_CHECK") == "1"
local interval = tonumber(os.getenv("SCENARIO_POLL_INTERVAL") or "") or 5
-- The trained LoRA runs through its base model, with the LoRA in the
-- body's modelId (the library's docs/calls.md says why).
local BASE = "model_bfl-flux-1-dev"
local SPRITE_X, SPRITE_Y, SPRITE_SCALE = 40, 150, 4
local sprite, sprite_data, sprite_path, sprite_frames = nil, nil, nil, 0

local function say(line)
  state.line = line
  if headless or checking then print(line) end
end

-- The images to train on, read with love.filesystem rather than io.open:
-- in a .love archive (or a fused game) they are no files of their own.
local function image_names()
  local names = {}
  for _, name in ipairs(love.filesystem.getDirectoryItems("assets")) do
    if name:match("%.png$") then names[#names + 1] = name end
  end
  table.sort(names)
  return names
end

-- A PNG packed with the game as a data URL, for add_training_images.
-- scenario.data_url wants a file's path, so here it is made from the
-- bytes, with LÖVE's base64 encoder.
local function png_data_url(path)
  local bytes = assert(love.filesystem.read(path))
  return "data:image/png;base64," .. love.data.encode("string", "base64", bytes)
end

local function bar(progress)
  state.progress = math.max(0, math.min(1, tonumber(progress) or 0))
end

local function job()
  local names = image_names()
  -- A model with no images would train on nothing: stop before making one.
  if #names == 0 then error("no PNG images in assets/", 0) end
  local client = scenario.new()
  local model = assert(client:create_model { name = "LÖVE demo", type = "flux.1-lora" })
  say("created " .. model.id)
  for _, name in ipairs(names) do
    assert(client:add_training_images(model.id, { name = name, data = png_data_url("assets/" .. name) }))
    say("uploaded " .. name)
  end
  training_from = frames
  assert(client:train_model(model.id, { parameters = { rank = 16, nbEpochs = 10 } }))
  local trained, err = client:wait_for_training(model.id, { interval = interval, on_progress = function(m)
    local p = type(m.trainingProgress) == "table" and m.trainingProgress or {}
    bar(m.status == "trained" and 1 or p.progress)
    say(("%s %s %d%%"):format(tostring(m.status), tostring(p.stage or ""), math.floor(state.progress * 100 + 0.5)))
  end })
  if not trained then
    client:delete_model(model.id)
    return say("failed: " .. tostring(err))
  end
  say("trained " .. trained.id)
  -- One sprite from the LoRA, into the save directory: a real file, which
  -- love.graphics.newImage then finds by its name there.
  local doc
  doc, err = client:generate(BASE, { prompt = "a red potion bottle, game sprite", numOutputs = 1, modelId = model.id })
  local done
  if doc then
    done, err = client:wait_for_job(doc.job.jobId, { interval = interval, on_progress = function(j)
      bar(j.status == "success" and 1 or j.progress)
      say(("generating: %s %d%%"):format(tostring(j.status), math.floor(state.progress * 100 + 0.5)))
    end })
  end
  if done then
    love.filesystem.createDirectory("sprites")
    local name = ("sprites/%s.png"):format(done.metadata.assetIds[1])
    done, err = client:download_asset(done.metadata.assetIds[1], love.filesystem.getSaveDirectory() .. "/" .. name)
    if done then sprite_path = name end
  end
  client:delete_model(model.id)
  state.ok = sprite_path ~= nil
  say(sprite_path and ("downloaded " .. sprite_path) or ("failed: " .. tostring(err)))
end

-- In check mode: whether the screen shows the sprite where it is drawn.
-- Each pixel sampled is the sprite's (scaled up without smoothing), over
-- the background, as the screen has it.
local function check_screen(shot)
  local w, h = sprite_data:getDimensions()
  local misses, samples = 0, 0
  for y = 0, h - 1, math.max(1, math.floor(h / 8)) do
    for x = 0, w - 1, math.max(1, math.floor(w / 8)) do
      local r, g, b = sprite_data:getPixel(x, y)
      local sr, sg, sb = shot:getPixel(SPRITE_X + x * SPRITE_SCALE + 1, SPRITE_Y + y * SPRITE_SCALE + 1)
      samples = samples + 1
      if math.abs(r - sr) > 0.02 or math.abs(g - sg) > 0.02 or math.abs(b - sb) > 0.02 then misses = misses + 1 end
    end
  end
  print(("sprite drawn: %d of %d pixels as in %s"):format(samples - misses, samples, sprite_path))
  love.event.quit(misses == 0 and 0 or 1)
end

local task

function love.load()
  started = love.timer.getTime()
  task = scenario.spawn(job)
end

function love.update(dt)
  frames = frames + 1
  if frames > 1 and dt > longest then longest = dt end
  scenario.step()
  if task.done and not state.done then
    state.done = true
    if not task.ok then say("the job raised: " .. tostring(task.error)) end
    print(("frames %d (%d while training) longest %.1f ms in %.2f s: %s"):format(frames,
      frames - (training_from or frames), longest * 1000, love.timer.getTime() - started,
      state.ok and "made a sprite" or "no sprite"))
    if not state.ok or headless then love.event.quit(state.ok and 0 or 1) end
  end
  if sprite_path and not sprite and not headless then
    sprite_data = love.image.newImageData(sprite_path)
    sprite = love.graphics.newImage(sprite_data)
    sprite:setFilter("nearest", "nearest")
    print(("sprite loaded: %dx%d from %s"):format(sprite:getWidth(), sprite:getHeight(), sprite_path))
  end
  if love.timer.getTime() - started > 60 then
    print("frames " .. frames .. ": gave up after 60 s")
    love.event.quit(1)
  end
end

function love.draw()
  local g = love.graphics
  g.clear(0.1, 0.1, 0.12)
  g.setColor(0.3, 0.3, 0.35)
  g.rectangle("fill", 40, 90, 560, 24)
  g.setColor(0.4, 0.8, 0.5)
  g.rectangle("fill", 40, 90, 560 * state.progress, 24)
  g.setColor(1, 1, 1)
  g.print(state.line, 40, 60)
  g.print(("frame %d, longest %.1f ms"):format(frames, longest * 1000), 40, 130)
  if sprite then
    g.draw(sprite, SPRITE_X, SPRITE_Y, 0, SPRITE_SCALE, SPRITE_SCALE)
    sprite_frames = sprite_frames + 1
    -- A few frames on, so that what is checked is what the loop keeps drawing.
    if checking and sprite_frames == 3 then g.captureScreenshot(check_screen) end
  end
end
