--[[
make test-love: runs examples/love/ in LÖVE (LuaJIT) under a virtual X
display (xvfb-run), against the local stand-in, and checks that the game
uploaded every image it ships, trained its model on them, generated a
sprite with it and downloaded it with no credential sent to the CDN,
loaded it with love.graphics.newImage and drew it (its own screenshot
check, SCENARIO_LOVE_CHECK=1), and kept its frame loop running
meanwhile. The game is put together as a user ships one beside their
main.lua: examples/love/* with assets/ (examples/assets), scenario/*.lua
and scenario/core.so (the LuaJIT build) next to it.

  lua5.4 spec/support/love_run.lua BUILD_DIR    (BUILD_DIR: build/luajit)

Prints the game's output and a line of its own for each way of shipping it (a folder,
a .love archive): "test-love (game): N images uploaded, N frames ...: ok", or
"test-love (game): FAILED: " and each problem; exits non-zero on failure.
]]
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
local build = assert(arg[1], "usage: love_run.lua BUILD_DIR")
package.cpath = "./build/lua5.4/?.so;" .. package.cpath

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  local ok = p:close()
  return ok == true or ok == 0, out
end

local dir = os.tmpname()
os.remove(dir)
assert(sh(("mkdir -p %s/game/scenario %s/run && cp examples/love/*.lua %s/game/ && cp -r examples/assets %s/game/ "
  .. "&& cp lua/scenario/*.lua %s/game/scenario/ && cp %s/scenario/core.so %s/game/scenario/")
  :format(dir, dir, dir, dir, dir, build, dir)))

-- The game as a folder, then as a .love archive (which must copy core.so
-- to its save directory to load it, and read its images from the archive).
assert(sh(("cd %s/game && zip -qr ../game.love ."):format(dir)))

-- The images the game ships: every file of its assets/.
local shipped = 0
do
  local p = assert(io.popen(("find %s/game/assets -type f"):format(dir)))
  for _ in p:lines() do shipped = shipped + 1 end
  p:close()
end
assert(shipped > 0, "love_run.lua: no images in examples/assets to ship with the game")

-- The model a request is about, from its path (/v1/models/{modelId}/...).
local function model_of(r)
  return r.path:match("/models/([^/?]+)")
end

local function play(game)
  local stand_in = require("scenario.testing").start { lua = "lua5.4" }
  -- Its save directory (XDG_DATA_HOME) is this run's, not the user's:
  -- nothing an earlier run left there is found.
  local data = ("%s/data-%s"):format(dir, game:match("[^/]*$"))
  local ok, out = sh(("cd / && XDG_RUNTIME_DIR=%s/run XDG_DATA_HOME=%s SCENARIO_LOVE_CHECK=1 "
    .. "SCENARIO_POLL_INTERVAL=0.1 SCENARIO_BASE_URL=%s SCENARIO_SDK_API_KEY=love-key "
    .. "SCENARIO_SDK_API_SECRET=love-secret timeout 90 xvfb-run -a love %s"):format(dir, data, stand_in.base_url, game))
  local asked = stand_in:requests()
  stand_in:stop()
  io.write(out)
  local frames, training, longest = out:match("frames (%d+) %((%d+) while training%) longest ([%d.]+) ms")
  local problems = {}
  local function problem(fmt, ...) problems[#problems + 1] = fmt:format(...) end
  -- From what the stand-in was asked: the polls, and for each model the
  -- images uploaded so far, checked when its training is asked for.
  local polls, uploads, trainings = 0, {}, 0
  for _, r in ipairs(asked) do
    if r.endpoint == "get_model" then polls = polls + 1 end
    if r.endpoint == "add_training_images" then
      uploads[model_of(r)] = (uploads[model_of(r)] or 0) + 1
    elseif r.endpoint == "train_model" then
      trainings = trainings + 1
      local n = uploads[model_of(r)] or 0
      if n == 0 then
        problem("%s was trained with no images uploaded to it", model_of(r))
      elseif n ~= shipped then
        problem("uploaded %d images to %s, but the game ships %d", n, model_of(r), shipped)
      end
    end
  end
  if trainings == 0 then problem("the game never asked for a training") end
  if not ok then problem("love exited with a failure") end
  if not out:find("\ntrained model_", 1, true) then problem("the model was not trained") end
  -- The sprite: generated with the trained LoRA, its file fetched from
  -- the CDN without a credential, loaded, and on the screen.
  local lora, files = nil, {}
  for _, r in ipairs(asked) do
    if r.endpoint == "train_model" then lora = model_of(r) end
    if r.endpoint == "generate" and not (type(r.body) == "table" and r.body.modelId == lora and lora) then
      problem("a generation not with the trained LoRA in its modelId")
    end
    if r.endpoint == "cdn" then
      files[#files + 1] = r.path:match("^/assets/([%w_]+)%.png$")
      if r.headers.authorization or r.headers.cookie then problem("the CDN was sent a credential") end
    end
  end
  local loaded = out:match("sprite loaded: %d+x%d+ from sprites/([%w_]+)%.png\n")
  if #files ~= 1 then problem("%d files fetched from the CDN, not 1", #files) end
  if not loaded then
    problem("no sprite was loaded with love.graphics.newImage")
  elseif loaded ~= files[1] then
    problem("the sprite loaded (%s) is not the file downloaded (%s)", loaded, tostring(files[1]))
  else
    local f = io.open(("%s/love/scenario-training-demo/sprites/%s.png"):format(data, loaded), "rb")
    local png = f and f:read("*a")
    if f then f:close() end
    if not (png and png:sub(1, 8) == "\137PNG\r\n\26\n") then problem("no PNG file in the save directory") end
  end
  local right, sampled = out:match("sprite drawn: (%d+) of (%d+) pixels as in sprites/")
  if not right then
    problem("the sprite was not checked on the screen")
  elseif right ~= sampled or tonumber(sampled) == 0 then
    problem("the screen showed %s of %s of the sprite's pixels sampled", right, sampled)
  end
  if not frames then problem("the game did not report its frames") end
  -- The frames between the training call and the end: the loop went on
  -- while the job waited for the training, at least a few each poll.
  if training and tonumber(training) < 10 * polls then
    problem("only %s frames while training, for %d polls: the loop was held up", training, polls)
  end
  -- The frame loop went on while the job waited: many more frames than polls.
  if frames and tonumber(frames) < 10 * polls then
    problem("only %s frames for %d polls: the loop was held up", frames, polls)
  end
  if polls < 5 then problem("only %d polls of the training", polls) end
  return problems, frames, training, polls, longest
end

local failed = false
for _, game in ipairs { dir .. "/game", dir .. "/game.love" } do
  local problems, frames, training, polls, longest = play(game)
  local what = game:match("[^/]*$")
  if #problems > 0 then
    print(("test-love (%s): FAILED: %s"):format(what, table.concat(problems, "; ")))
    failed = true
  else
    print(("test-love (%s): %d images uploaded, a sprite generated, downloaded and drawn, %s frames (%s while "
      .. "training) while the stand-in was polled %d times, longest frame %s ms: ok"):format(what, shipped, frames,
      training, polls, longest))
  end
end
sh("rm -rf " .. dir)
if failed then os.exit(1) end
