-- The runnable scripts in examples/: each through run_demo.lua against the
-- local stand-in server, as a user without credentials would run them.
local helper = require "spec.helper"
local socket = require "socket"

local NO_CREDENTIALS = "env -u SCENARIO_SDK_API_KEY -u SCENARIO_SDK_API_SECRET -u SCENARIO_BASE_URL "

local function demo(name, env)
  return helper.sh(("%s%s%s examples/run_demo.lua examples/%s.lua")
    :format(NO_CREDENTIALS, env or "", helper.LUA, name))
end

-- Runs an example straight from the checkout, with no server behind it.
local function direct(name, env)
  return helper.sh(("%s%s LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='%s;;' %s examples/%s.lua")
    :format(NO_CREDENTIALS, env or "", helper.CPATH, helper.LUA, name))
end

describe("examples/create_lora.lua", function()
  it("creates a Flux LoRA and prints its id, name, type and status", function()
    local ok, out = demo("create_lora")
    assert.is_true(ok, out)
    assert.truthy(out:find("Created LoRA model model_standin%d+\n"), out)
    assert.truthy(out:find("name%s+Watercolor Botanicals\n"), out)
    assert.truthy(out:find("type%s+flux%.1%-lora\n"), out)
    assert.truthy(out:find("status%s+new\n"), out)
    assert.truthy(out:find("base models%s+flux%.1%-dev, flux%.1%-schnell\n"), out)
  end)

  it("prints the error and exits non-zero when the create fails", function()
    local probe = assert(socket.bind("127.0.0.1", 0)) -- a port nobody listens on
    local _, port = probe:getsockname()
    probe:close()
    local ok, out = direct("create_lora", ("SCENARIO_BASE_URL=http://127.0.0.1:%d/v1 "
      .. "SCENARIO_SDK_API_KEY=k SCENARIO_SDK_API_SECRET=s "):format(port))
    assert.is_false(ok, out)
    assert.truthy(out:find("scenario: connection"), out)
    assert.falsy(out:find("Created"), out)
  end)
end)

describe("examples/create_composition.lua", function()
  it("creates a Flux composition and prints both concepts", function()
    local ok, out = demo("create_composition")
    assert.is_true(ok, out)
    assert.truthy(out:find("Created composition model model_standin%d+\n"), out)
    assert.truthy(out:find("name%s+Ink Portraits\n"), out)
    assert.truthy(out:find("type%s+flux%.1%-composition\n"), out)
    assert.truthy(out:find("1%. model_eyVcnFJcR92BxBkz7N6g5w  scale 0%.8\n"), out)
    assert.truthy(out:find("2%. model_Xq7RmT2pLk9aVwHc3NdB5e  scale 0%.55\n"), out)
  end)
end)

describe("examples/validate_body.lua", function()
  local function check(ok, out)
    assert.is_true(ok, out)
    assert.truthy(out:find("valid body: ok\n"), out)
    assert.truthy(out:find("kind%s+validation\n"), out)
    assert.truthy(out:find("message%s+5 problems in the request: "), out)
    for _, line in ipairs {
      "- concepts[1].modelId: is required\n",
      "- concepts[2].scale: must be at most 2, got 3\n",
      "- name: is 65 characters long; the limit is 64\n",
      '- type: unknown value "flux.1-lroa" (did you mean "flux.1-lora"?)\n',
      '- shortDescripton: unknown field (did you mean "shortDescription"?)\n',
    } do
      assert.truthy(out:find(line, 1, true), line .. " in:\n" .. out)
    end
  end

  it("accepts the valid body and lists every problem of the invalid one", function()
    check(demo("validate_body"))
  end)

  it("needs no server and no credentials", function()
    check(direct("validate_body"))
  end)
end)

-- The stand-in answers each create a second after it arrives: one create
-- after another would take a second each.
local SLOW = "SCENARIO_DEMO_DELAY=1 "

local function summary(out, label)
  return tonumber(out:match("\n  " .. label .. "%s+([%d.]+)[^\n]*\n"))
end

describe("examples/game_loop.lua", function()
  it("keeps drawing frames while 20 slow creates run side by side", function()
    local ok, out = demo("game_loop", SLOW)
    assert.is_true(ok, out)
    assert.truthy(out:find("answering after 1 s", 1, true), out)
    assert.truthy(out:find("started 20 creates\n", 1, true), out)
    local names, ids = {}, {} -- 20 different names, each with its own model
    for name, id in out:gmatch("\n  done  ([^\n]-)%s+(model_standin%d+)  ") do
      names[name], ids[id] = true, true
    end
    local function count(set)
      local n = 0
      for _ in pairs(set) do n = n + 1 end
      return n
    end
    assert.are.equal(20, count(names), out)
    assert.are.equal(20, count(ids), out)
    assert.truthy(out:find("  done  Watercolor Botanicals  ", 1, true), out)
    assert.truthy(out:find("  done  Clay Robots  ", 1, true), out)
    assert.truthy(out:find("finished 20/20\n", 1, true), out)
    assert.are.equal(20, summary(out, "succeeded"), out)
    assert.are.equal(0, summary(out, "failed"), out)
    -- About 60 frames at 60 fps during the 1 s wait, and 30 of them before
    -- the first answer: poll did not block.
    assert.is_true(summary(out, "frames drawn") > 30, out)
    assert.truthy(out:find("frame 30  t=[%d.]+s  finished 0/20\n"), out)
    assert.is_true(summary(out, "wall time") < 3, out)
    assert.is_true(summary(out, "longest poll") < 100, out)
  end)

  it("counts the creates that fail and exits non-zero", function()
    local probe = assert(socket.bind("127.0.0.1", 0)) -- a port nobody listens on
    local _, port = probe:getsockname()
    probe:close()
    local ok, out = direct("game_loop", ("SCENARIO_BASE_URL=http://127.0.0.1:%d/v1 "
      .. "SCENARIO_SDK_API_KEY=k SCENARIO_SDK_API_SECRET=s "):format(port))
    assert.is_false(ok, out)
    assert.truthy(out:find("  FAIL  Neon Robots%s+scenario: connection"), out)
    assert.are.equal(0, summary(out, "succeeded"), out)
    assert.are.equal(20, summary(out, "failed"), out)
  end)
end)

describe("examples/coroutine_script.lua", function()
  it("runs create scripts as coroutines stepped from the frame loop", function()
    local ok, out = demo("coroutine_script", SLOW)
    assert.is_true(ok, out)
    for _, name in ipairs { "Ink Portraits", "Neon Robots", "Clay Castles" } do
      local t = tonumber(out:match("t=([%d.]+)s  created model_standin%d+  " .. name .. "\n"))
      assert.truthy(t and t >= 0.9, name .. " in:\n" .. out)
    end
    -- The composition is made once the LoRA it uses is back: one more second.
    local t = tonumber(out:match("t=([%d.]+)s  created model_standin%d+  Ink Portraits Mix\n"))
    assert.truthy(t and t >= 1.9, out)
    assert.are.equal(4, summary(out, "created"), out)
    assert.are.equal(0, summary(out, "failed"), out)
    assert.is_true(summary(out, "frames drawn") > 30, out)
    assert.is_true(summary(out, "wall time") < 3, out) -- one after another: 4 s
  end)
end)

describe("examples/manage_models.lua", function()
  it("creates, lists, renames, tags, reads back and deletes a model", function()
    local ok, out = demo("manage_models")
    assert.is_true(ok, out)
    local id = out:match("Created (model_standin%d+) %(Scratch%)\n")
    assert.truthy(id, out)
    assert.truthy(out:find("Models, 2 to a page:\n  " .. id .. "%s+Scratch%s+new\n1 model%(s%)\n"), out)
    assert.truthy(out:find('Renamed to "Scratch, renamed"\n', 1, true), out)
    assert.truthy(out:find("Tagged: example, scratch\n", 1, true), out)
    assert.truthy(out:find('Read back: "Scratch, renamed", tags example, scratch\n', 1, true), out)
    assert.truthy(out:find("Deleted " .. id .. "\nGone: not_found\n", 1, true), out)
  end)
end)

describe("examples/train_lora.lua", function()
  it("trains a LoRA end to end, from any directory, against the stand-in", function()
    local root = select(2, helper.sh("pwd")):gsub("%s+$", "")
    local ok, out = helper.sh(("cd /tmp && %s%s %s/examples/run_demo.lua %s/examples/train_lora.lua")
      :format(NO_CREDENTIALS, helper.LUA, root, root))
    assert.is_true(ok, out)
    local id = out:match("1%. Created (model_standin%d+) %(flux%.1%-lora%)\n")
    assert.truthy(id, out)
    for _, name in ipairs { "leaf.png", "stone.png", "sun.png" } do
      assert.truthy(out:find("Uploaded %d/3: " .. name:gsub("%.", "%%.") .. " as asset_standin"), out)
    end
    assert.truthy(out:find("3. A training would cost 10 creative units\n", 1, true), out)
    assert.truthy(out:find("4. Training started\n", 1, true), out)
    local bars = {}
    for pct, stage in out:gmatch("%] +(%d+)%%  ([%w%-]+)") do bars[#bars + 1] = { tonumber(pct), stage } end
    assert.truthy(#bars >= 5, out)
    for i = 2, #bars do assert.truthy(bars[i][1] >= bars[i - 1][1], out) end
    assert.same({ 100, "trained" }, bars[#bars])
    assert.truthy(out:find("5. Trained: " .. id .. ", 3 training images, epoch 000010\n", 1, true), out)
    assert.truthy(out:find("6. Deleted " .. id .. "\n", 1, true), out)
  end)
end)

describe("examples/make_sprites.lua (make demo)", function()
  it("trains, prices and makes 4 images with the LoRA, downloads them as PNG files and deletes the model", function()
    local dir = helper.tmpdir()
    local ok, out = helper.sh(("%s%s examples/run_demo.lua examples/make_sprites.lua examples/assets '%s'")
      :format(NO_CREDENTIALS, helper.LUA, dir))
    local listed = select(2, helper.sh("ls -A '" .. dir .. "'"))
    local files = {}
    for path, size in out:gmatch("\n   (%S+%.png)  (%d+) bytes") do files[#files + 1] = { path, tonumber(size) } end
    local described = {}
    for _, f in ipairs(files) do
      described[#described + 1] = select(2, helper.sh("file -b '" .. f[1] .. "'"))
      described[#described + 1] = helper.read(f[1])
    end
    helper.sh("rm -rf '" .. dir .. "'")
    assert.is_true(ok, out)
    local id = out:match("1%. Created (model_standin%d+)\n")
    assert.truthy(id, out)
    assert.truthy(out:find("2. Uploaded 3 images\n", 1, true), out)
    assert.truthy(out:find("\n   [####################] 100%  trained\n3. Trained " .. id .. "\n", 1, true), out)
    assert.truthy(out:find("4. 4 images will cost 37.75 creative units\n", 1, true), out)
    assert.truthy(out:find("\n   [####################] 100%  success\n5. Generated job_standin", 1, true), out)
    assert.equal(4, #files, out)
    local seen = {}
    for i, f in ipairs(files) do
      assert.equal(dir, f[1]:match("^(.*)/asset_[%w_]+%.png$"), out)
      assert.truthy(described[2 * i - 1]:find("^PNG image data"), described[2 * i - 1])
      assert.equal(f[2], #described[2 * i], f[1])
      assert.is_nil(seen[described[2 * i]]) -- four images, not one four times
      seen[described[2 * i]] = true
    end
    assert.equal(4, select(2, listed:gsub("%.png\n", "")), listed) -- and nothing else, no temporary file
    assert.truthy(out:find("7. Deleted " .. id .. "\n", 1, true), out)
  end)
end)

describe("the README's stand-in example", function()
  it("runs as a busted spec, and passes", function()
    local f = assert(io.open("README.md"))
    local readme = f:read("*a")
    f:close()
    local code = readme:match("<!%-%- stand%-in example %-%->\n```lua\n(.-)```")
    assert.truthy(code, "the example is not in the README")
    local lines = select(2, code:gsub("\n", ""))
    assert.truthy(lines <= 10, lines)
    -- os.tmpname() makes the file it names: busted takes only a name
    -- ending in _spec.lua, so that one is removed as well.
    local base = os.tmpname()
    local path = base .. "_spec.lua"
    local w = assert(io.open(path, "w"))
    w:write(code)
    w:close()
    local ok, out = helper.sh(("LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='%s;;' busted --lua=%s "
      .. "--cpath='%s' -o TAP %s"):format(helper.CPATH, helper.LUA, helper.CPATH, path))
    os.remove(path)
    os.remove(base)
    assert.is_true(ok, out)
    assert.truthy(out:find("ok 1 - trains a model", 1, true), out)
  end)
end)

describe("every example of make demo-all", function()
  -- The list make demo-all runs, read from the Makefile: one list.
  local f = assert(io.open("Makefile"))
  local makefile = f:read("*a")
  f:close()
  local list = assert(makefile:match("\nEXAMPLES :=%s*(.-[^\\])\n"), "no EXAMPLES in the Makefile")
  local pwd = assert(io.popen("pwd"))
  local root = pwd:read("*l")
  pwd:close()

  it("lists each script of examples/ but the helpers", function()
    local listed = {}
    for name in list:gmatch("[%w_]+") do listed[#listed + 1] = name .. ".lua" end
    table.sort(listed)
    local files = {}
    local p = assert(io.popen("cd examples && ls *.lua"))
    for name in p:lines() do
      if name ~= "run_demo.lua" and name ~= "checkout.lua" then files[#files + 1] = name end
    end
    p:close()
    assert.same(files, listed)
  end)

  -- No LUA_PATH, LUA_CPATH or credentials, from another directory: each
  -- finds this checkout from its own path and, without credentials, runs
  -- against the stand-in.
  for name in list:gmatch("[%w_]+") do
    it(("runs %s with plain %s from another directory"):format(name, helper.LUA), function()
      local dir = helper.tmpdir()
      local ok, out = helper.sh(("cd '%s' && env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 "
        .. "-u LUA_PATH_5_3 -u LUA_CPATH_5_3 -u LUA_PATH_5_2 -u LUA_CPATH_5_2 -u SCENARIO_TEST_CPATH "
        .. "-u SCENARIO_SDK_API_KEY -u SCENARIO_SDK_API_SECRET -u SCENARIO_BASE_URL %s '%s/examples/%s.lua'")
        :format(dir, helper.LUA, root, name))
      helper.sh("rm -rf '" .. dir .. "'")
      assert.is_true(ok, out)
      assert.truthy(out:find("using the local stand-in at http://127.0.0.1:", 1, true), out)
    end)
  end
end)
