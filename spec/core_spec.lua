-- scenario.core as a C module: its exports, its constants, its handle.
local core = require "scenario.core"
local cjson = require "cjson"
local replay = require "spec.support.replay"
local helper = require "spec.helper"
local compat = require "spec.support.compat"

local SO = helper.CPATH:gsub("%?", "scenario/core")

local function command(cmd)
  return select(2, helper.sh(cmd))
end

-- One blocking exchange through the core's call API, as the Lua layer
-- drives it.
local function call(h, body, query, extra)
  local c, err = core.start(h, "create_model", body, query, extra)
  if not c then return nil, err end
  core.submit(c)
  local deadline = core.now() + 10
  while core.state(c) ~= "done" do
    assert(core.now() < deadline, "gave up waiting")
    core.perform(h, 1)
  end
  local r = { core.finish(c) }
  c:close()
  return compat.unpack(r, 1, 4)
end

describe("scenario.core binary", function()
  it("exports luaopen_scenario_core and nothing else", function()
    local out = command("nm -D --defined-only " .. SO)
    local exported = {}
    for name in out:gmatch("%x+ [TDBR] (%S+)") do exported[#exported + 1] = name end
    assert.same({ "luaopen_scenario_core" }, exported)
  end)

  it("does not link liblua", function()
    local needed = command("readelf -d " .. SO)
    assert.truthy(needed:find("libcurl", 1, true), needed)
    assert.falsy(needed:find("liblua", 1, true), needed)
  end)
end)

describe("scenario.core constants", function()
  it("uses cjson.null as its null", function()
    assert.equal(cjson.null, core.null)
  end)

  it("has every enum of the reference page, in the page's order", function()
    local e = core.enums
    assert.equal(37, #e.model_type)
    assert.equal("custom", e.model_type[1])
    assert.equal("flux.1-lora", e.model_type[9])
    assert.equal("flux1.1-pro", e.model_type[22])
    assert.equal("zimage-turbo-lora", e.model_type[37])
    assert.equal(32, #e.capability)
    assert.equal("3d23d", e.capability[1])
    assert.equal("txt2img", e.capability[24])
    assert.equal("video2video", e.capability[32])
    assert.same({ "copying", "failed", "new", "trained", "training", "training-canceled" }, e.status)
    assert.same({ "private", "public", "unlisted" }, e.privacy)
    assert.same({ "civitai", "huggingface", "other", "scenario" }, e.source)
    assert.same({ 0, 100, 25, 50, 75 }, e.access_restrictions)
    assert.equal("integer", compat.number_type(e.access_restrictions[2]))
    assert.same({ "published", "unpublished" }, e.class_status)
    assert.same({ "boolean", "file", "file_array", "inputs_array", "model", "model_array",
      "number", "number_array", "string", "string_array" }, e.input_type)
    assert.same({ "3d", "audio", "document", "image", "image-hdr", "json", "video" }, e.input_kind)
    assert.same({ "opaque", "transparent" }, e.background_behavior)
    assert.same({ "constant", "constant-with-warmup", "cosine", "cosine-with-restarts",
      "linear", "polynomial" }, e.lr_scheduler)
    assert.same({ "likeness" }, e.optimize_for)
    assert.same({ "pending", "pending-captcha", "queued-for-train", "running-train",
      "starting-train" }, e.training_stage)
    assert.same({ "bottom", "top" }, e.trigger_position)
    -- and those of the other endpoints' pages (../shared/api/reference/)
    assert.same({ "private", "public" }, e.list_privacy)
    assert.same({ "createdAt", "updatedAt", "score" }, e.list_sort_by)
    assert.same({ "asc", "desc" }, e.sort_direction)
    assert.same({ "new", "training", "trained", "failed", "deleted" }, e.list_status)
    assert.equal(40, #e.job_type)
    assert.equal("assets-download", e.job_type[1])
    assert.same({ "canceled", "failure", "finalizing", "in-progress", "pending", "queued", "success",
      "warming-up" }, e.job_status)
    assert.same({ "allowed", "blocked", "flagged" }, e.ip_detection_action)
    assert.same({ "artist-style", "brand-trademark", "celebrity-likeness", "custom", "fictional-character" },
      e.finding_category)
    assert.same({ "cancel" }, e.train_action)
    assert.same({ "default", "style", "subject" }, e.training_image_preset)
    -- and those of the pages of generations, jobs and assets
    assert.same({ "16:9", "1:1", "21:9", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "9:21" }, e.aspect_ratio)
    assert.equal(15, #e.scheduler)
    assert.equal("DDIMScheduler", e.scheduler[1])
    assert.equal("EulerAncestralDiscreteScheduler", e.scheduler[6])
    assert.equal("UniPCMultistepScheduler", e.scheduler[15])
    assert.equal(18, #e.inference_type)
    assert.equal("txt2img", e.inference_type[1])
    assert.equal("controlnet_texture", e.inference_type[18])
    assert.same({ "cancel" }, e.job_action)
    assert.same({ "DETECTION", "GENERATIVE_FILL", "PIXELATE", "PROMPT_EDITING", "REFINE", "REFRAME",
      "REMOVE_BACKGROUND", "SEGMENTATION", "UPSCALE", "UPSCALE_360", "VECTORIZATION" }, e.edit_capability)
    assert.equal(64, #e.asset_source)
    assert.equal("3d23d", e.asset_source[1])
    assert.equal("uploaded", e.asset_source[54])
    assert.equal("video2video", e.asset_source[64])
    assert.same({ "error", "pending", "success" }, e.asset_status)
    assert.same({ "effect", "interview", "music", "other", "sound", "speech", "text", "unknown" },
      e.audio_classification)
    local names = {}
    for k in pairs(e) do names[#names + 1] = k end
    assert.equal(32, #names)
  end)

  it("has no duplicate enum values", function()
    for name, list in pairs(core.enums) do
      local seen = {}
      for _, v in ipairs(list) do
        assert.is_nil(seen[v], name .. " repeats " .. tostring(v))
        seen[v] = true
      end
    end
  end)
end)

describe("scenario.core handle", function()
  local function handle()
    return core.new { base_url = "http://127.0.0.1:9/v1/", api_key = "k-secret-1", api_secret = "s-secret-2" }
  end

  it("closes idempotently, with __close pointing at close and __gc closing too", function()
    local h = handle()
    local mt = getmetatable(h)
    assert.equal(mt.close, mt.__close)
    h:close()
    h:close()
    mt.__gc(h)
    assert.equal("scenario.core.client (closed)", tostring(h))
    local h2 = handle()
    mt.__gc(h2)
    assert.equal("scenario.core.client (closed)", tostring(h2))
  end)

  if _VERSION == "Lua 5.4" then -- the syntax would not parse before 5.4
    it("is closed by a to-be-closed variable", function()
      local seen = assert(compat.load([[
        local handle = ...
        local seen
        do
          local h <close> = handle()
          seen = h
        end
        return seen
      ]]))(handle)
      assert.equal("scenario.core.client (closed)", tostring(seen))
    end)
  end

  it("raises when used after close", function()
    local h = handle()
    h:close()
    assert.has_error(function() core.start(h, "create_model", {}) end,
      "bad argument #1 to 'start' (the client is closed)")
    assert.has_error(function() core.perform(h) end, "bad argument #1 to 'perform' (the client is closed)")
  end)

  it("raises when not given a handle", function()
    assert.has_error(function() core.start({}, "create_model", {}) end,
      "bad argument #1 to 'start' (scenario.core.client expected, got table)")
  end)

  it("reads its options raw, ignoring metamethods", function()
    local opts = setmetatable({}, { __index = function() return "http://127.0.0.1:9/v1" end })
    assert.has_error(function() core.new(opts) end, "core.new: option 'base_url' is required")
  end)

  it("shows the base URL without its trailing slash, and no secrets", function()
    local h = handle()
    local s = tostring(h)
    assert.equal("scenario.core.client (http://127.0.0.1:9/v1)", s)
    h:close()
  end)

  -- Release is observed from the server: the kept-alive connection that
  -- the handle owns is closed.
  local function open_connections_after(release)
    local server = replay.server()
    server.reset()
    server.enqueue("model_example")
    local h = core.new { base_url = server.url, api_key = "k", api_secret = "s" }
    assert(call(h, {}))
    assert.equal(1, server.stats().open)
    release(h)
    h = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    return server.open_after_close()
  end

  it("releases its connection on close", function()
    assert.equal(0, open_connections_after(function(h) h:close() end))
  end)

  it("releases its connection when collected without close", function()
    assert.equal(0, open_connections_after(function() end))
  end)
end)

describe("re-entry from finalizers", function()
  -- A walk allocates the first time it meets a type; an allocation can run
  -- a finalizer, and the finalizer can call back in. Each fresh load of the
  -- module starts with no types met, so the race is retried many times.
  it("leaves core.encode's output intact", function()
    local out = helper.run_lua([[
      local compat = require "spec.support.compat"
      local wrong, inner = 0, 0
      for _ = 1, 3000 do
        package.loaded["scenario.core"] = nil
        local core = require "scenario.core"
        core.encode("create_model", { name = "warm" }) -- meets the body's type only
        compat.gc_busy()
        for _ = 1, 50 do
          compat.on_gc(function()
            inner = inner + 1
            core.encode("create_model", { name = "INNER" })
          end)
        end
        -- meets the model_type enum for the first time: allocates mid-walk
        if core.encode("create_model", { name = "outer", type = "flux.1" }) ~= '{"name":"outer","type":"flux.1"}' then
          wrong = wrong + 1
        end
      end
      compat.gc_normal()
      io.write(wrong, " ", inner)
    ]])
    local wrong, inner = out:match("^(%d+) (%d+)$")
    assert.equal("0", wrong, out)
    assert.truthy(tonumber(inner) > 0, out)
  end)
end)

describe("a client used from a finalizer in the middle of a call", function()
  -- Decoding a response allocates, so finalizers run in the middle of a
  -- call. Each call has its own handle and buffers, so a finalizer can
  -- make calls of its own, or close the client, without touching the
  -- running one's.
  local function race(on_gc, rounds)
    local server = replay.server()
    server.reset()
    local answer = replay.fixture("model_realistic").response
    answer.sticky = true
    server.enqueue(answer)
    local state = { h = core.new { base_url = server.url, api_key = "k", api_secret = "s" },
      in_call = false, landed = 0, other = {} }
    local ok, calls = 0, 0
    compat.gc_busy()
    -- Where the collector's phases fall against the calls depends on all
    -- that was allocated before (the specs before this one: a large heap
    -- makes a cycle, and so its finalizers, come seldom), so keep calling,
    -- with garbage of varying size, until finalizers have landed inside
    -- calls, up to ten times rounds.
    while state.landed < 5 and calls < 10 * rounds do
      calls = calls + 1
      for k = 1, calls % 17 do local _ = { k } end -- garbage
      for _ = 1, 20 do
        compat.on_gc(function()
          if not state.in_call then return end
          state.landed = state.landed + 1
          on_gc(state)
        end)
      end
      local body = { name = "outer" } -- allocated before the flag goes up
      state.in_call = true
      local good, model = pcall(call, state.h, body)
      state.in_call = false
      if good and model and model.id == "model_eyVcnFJcR92BxBkz7N6g5w" then ok = ok + 1
      elseif not good then state.other[#state.other + 1] = tostring(model) end
      if state.closed then
        state.h = core.new { base_url = server.url, api_key = "k", api_secret = "s" }
        state.closed = false
      end
    end
    compat.gc_normal()
    collectgarbage()
    state.h:close()
    return state, ok, calls
  end

  it("lets a finalizer make a whole call of its own, and completes both", function()
    local inner = 0
    local state, ok, calls = race(function(st)
      local good, model = pcall(call, st.h, {})
      if good and model and model.id == "model_eyVcnFJcR92BxBkz7N6g5w" then inner = inner + 1
      else st.other[#st.other + 1] = tostring(model) end
    end, 3000)
    assert.same({}, state.other)
    assert.equal(calls, ok)
    assert.truthy(state.landed >= 5, ("only %d finalizers ran during %d calls"):format(state.landed, calls))
    assert.equal(state.landed, inner)
  end)

  it("survives a finalizer that closes the client mid-call", function()
    local state = race(function(st)
      st.h:close()
      st.closed = true
    end, 3000)
    assert.truthy(state.landed >= 5, ("only %d finalizers ran"):format(state.landed))
    -- A call whose client closed under it either finished with its answer
    -- or raised "closed"; nothing else (valgrind and ASan watch the memory).
    for _, e in ipairs(state.other) do
      assert.truthy(e:find("closed", 1, true), e)
    end
  end)
end)

describe("lookups built while a finaliser builds others", function()
  -- A state builds each lookup on first use, and a finaliser run by one of
  -- that build's allocations may build others: each must keep its own
  -- names. Run in fresh interpreters, where nothing is built yet, with the
  -- inner build landing at a different point each time. (Before the fix,
  -- on 5.4, the later points left every decode failing.)
  it("keeps every lookup's names, wherever the inner build lands", function()
    for _, skip in ipairs { 0, 10, 30, 50, 60, 70, 80, 90, 100, 120 } do
      local out, ok = helper.run_lua(([[
        local core = require "scenario.core"
        local f = assert(io.open("spec/fixtures/bodies/model_example.json", "rb"))
        local json = f:read("*a")
        f:close()
        local armed, seen, fired = false, 0, false
        local function on_gc()
          if armed and not fired then
            seen = seen + 1
            if seen > %d then
              fired = true
              assert(core.decode("create_model", json))
            end
          end
        end
        local function arm()
          if newproxy then -- 5.1 and LuaJIT: tables have no __gc
            getmetatable(newproxy(true)).__gc = function() on_gc() if not fired then arm() end end
          else
            setmetatable({}, { __gc = function() on_gc() if not fired then arm() end end })
          end
        end
        for _ = 1, 50 do arm() end
        -- A collector step at nearly every allocation (the step size is 5.4's).
        if not pcall(collectgarbage, "incremental", 1, 1000, 1) then
          collectgarbage("setpause", 1)
          collectgarbage("setstepmul", 1000)
        end
        collectgarbage()
        armed = true
        assert(core.validate("create_model", { name = "x" }))
        armed = false
        if not pcall(collectgarbage, "incremental", 200, 100, 13) then
          collectgarbage("setpause", 200)
          collectgarbage("setstepmul", 200)
        end
        collectgarbage()
        collectgarbage()
        local model, err = core.decode("create_model", json)
        assert(model and model.id == "id", err and (err.message or tostring(err)) or "no model")
        assert(core.validate("create_model", { name = "x", type = "flux.1-lora" }))
        assert(not core.validate("create_model", { nmae = "x" }))
        io.write("ok")
      ]]):format(skip))
      assert(ok, out)
      assert.equal("ok", out)
    end
  end)
end)

describe("core.start with a call to reuse", function()
  it("loads an idle call with a new exchange, and refuses one it cannot take", function()
    local server = replay.server()
    server.reset()
    local answer = replay.fixture("model_example").response
    answer.sticky = true
    server.enqueue(answer)
    local h = core.new { base_url = server.url, api_key = "k", api_secret = "s" }
    local c = assert(core.start(h, "create_model", { name = "first" }))
    core.submit(c)
    -- Only an idle call of the same client can be reloaded.
    assert.has_error(function() core.start(h, "create_model", {}, nil, nil, c) end,
      "bad argument #6 to 'start' (the call is not idle)")
    local deadline = core.now() + 10
    while core.state(c) ~= "done" do
      assert(core.now() < deadline, "gave up waiting")
      core.perform(h, 1)
    end
    assert.has_error(function() core.start(h, "create_model", {}, nil, nil, c) end,
      "bad argument #6 to 'start' (the call is not idle)")
    assert.equal("id", core.finish(c).id)
    local other = core.new { base_url = server.url, api_key = "k", api_secret = "s" }
    assert.has_error(function() core.start(other, "create_model", {}, nil, nil, c) end,
      "bad argument #6 to 'start' (the call belongs to another client)")
    assert.has_error(function() core.start(h, "create_model", {}, nil, nil, {}) end)
    -- A body that fails leaves the call idle, but holding a partial body:
    -- it cannot be sent until it is reloaded.
    local none, err = core.start(h, "create_model", { shortDescription = "ok", name = 5 }, nil, nil, c)
    assert.is_nil(none)
    assert.equal("validation", err.kind)
    assert.equal("idle", core.state(c))
    assert.has_error(function() core.submit(c) end,
      "bad argument #1 to 'submit' (the call's last reload failed; reload it)")
    assert.equal(c, core.start(h, "create_model", { name = "second" }, nil, nil, c))
    core.submit(c)
    deadline = core.now() + 10
    while core.state(c) ~= "done" do
      assert(core.now() < deadline, "gave up waiting")
      core.perform(h, 1)
    end
    assert.equal("id", core.finish(c).id)
    local bodies = {}
    for i, r in ipairs(server.requests()) do bodies[i] = r.body end
    assert.same({ '{"name":"first"}', '{"name":"second"}' }, bodies)
    c:close()
    h:close()
    other:close()
  end)

  it("is how a blocking call with nothing else in flight keeps its call", function()
    local client = helper.client()
    local server = replay.server()
    server.reset()
    server.enqueue("model_example", "model_example")
    assert(client:create_model { name = "a" })
    local kept = client._sched.direct_call
    assert.equal("idle", core.state(kept))
    assert(client:create_model { name = "b" })
    assert.equal(kept, client._sched.direct_call)
    client:close()
    assert.equal("closed", core.state(kept))
  end)
end)

describe("a call that gave its handle back", function()
  it("is sent whole on a new handle when another call took the pooled one", function()
    local server = replay.server()
    server.reset()
    server.enqueue("model_example", "model_example", "model_example")
    local h = core.new { base_url = server.url, api_key = "k", api_secret = "s" }
    local function done(c)
      local deadline = core.now() + 10
      while core.state(c) ~= "done" do
        assert(core.now() < deadline, "gave up waiting")
        core.perform(h, 1)
      end
      return core.finish(c)
    end
    local a = assert(core.start(h, "create_model", { name = "a" }))
    core.submit(a)
    assert.equal("id", done(a).id)
    core.release(a) -- as a request waiting out a backoff does
    local b = assert(core.start(h, "create_model", { name = "b" }))
    core.submit(b) -- takes a's handle, the only one pooled
    core.submit(a) -- on a new one, which must be given a's URL
    local model, err = done(a)
    assert.equal("id", model and model.id, type(err) == "table" and err.message or nil)
    assert.equal("id", done(b).id)
    assert.equal(3, #server.requests())
    h:close()
  end)
end)

describe("scenario.core.suggest", function()
  it("finds the closest of many candidates", function()
    local cands = {}
    for i = 1, 200 do cands[i] = "candidate" .. i end
    assert.equal("candidate7", core.suggest("candidat7", cands))
    assert.equal("candidate128", core.suggest("candidate128x", cands))
    assert.is_nil(core.suggest("zzz", cands))
  end)
end)

describe("scenario.core.validate", function()
  it("raises on an unknown endpoint name", function()
    assert.has_error(function() core.validate("create_modle", {}) end,
      "bad argument #1 to 'validate' (unknown endpoint 'create_modle')")
  end)
end)
