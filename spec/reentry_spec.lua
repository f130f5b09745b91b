-- User code never runs on the stack of the call that starts a request
-- (lua/scenario/scheduler.lua): on_done, on_progress and the logger run
-- from a poll, a wait or a blocking call, once the machine is
-- consistent, and a request a callback starts is queued and sent by the
-- next round. Written from the side of the script that chains requests
-- from callbacks, against the stand-in over real sockets.
local helper = require "spec.helper"
local scenario = require "scenario"
local core = require "scenario.core"
local testing = require "scenario.testing"

-- How deep the stack is here: the levels debug.getinfo can see.
local function depth()
  local n = 1
  while debug.getinfo(n + 1, "l") do n = n + 1 end
  return n
end

local function poll_all(client, limit)
  local deadline = core.now() + limit
  while client:poll() > 0 do
    assert(core.now() < deadline, ("requests still unfinished after %g s"):format(limit))
    core.sleep(0.0005)
  end
end

describe("requests chained from on_done", function()
  local s
  before_each(function() s = testing.start() end)
  after_each(function() s:stop() end)

  local function client(opts)
    local o = { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET, timeout = 30 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return scenario.new(o)
  end

  it("10,000 creates in 8 chains: each made once, reported ok once, none raises, and poll ends at 0", function()
    local c = client()
    local TOTAL, CHAINS = 10000, 8
    local started, reported = 0, 0
    local raised, failed, seen = {}, {}, {}
    local depths = {}
    local function start()
      if started >= TOTAL then return end
      started = started + 1
      local ok, req, err = pcall(c.create_model_async, c, { name = "chained " .. started }, nil, {
        on_done = function(model, e)
          reported = reported + 1
          if reported <= 16 or reported > TOTAL - 16 then depths[#depths + 1] = depth() end
          if model then
            seen[model.id] = (seen[model.id] or 0) + 1
          else
            failed[#failed + 1] = tostring(e)
          end
          start()
        end,
      })
      if not ok then
        raised[#raised + 1] = tostring(req)
      elseif not req then
        failed[#failed + 1] = tostring(err)
      end
    end
    for _ = 1, CHAINS do start() end
    poll_all(c, 600)
    assert.same({}, raised)
    assert.same({}, failed)
    assert.equal(TOTAL, reported)
    assert.equal(0, c:poll())
    -- Every create the server made is reported ok exactly once: the
    -- stand-in numbers its models 1, 2, ... in the order it made them.
    local made = 0
    for _, r in ipairs(s:requests()) do
      if r.endpoint == "create_model" then made = made + 1 end
    end
    assert.equal(TOTAL, made)
    for i = 1, made do
      local id = ("model_standin%06d"):format(i)
      assert(seen[id] == 1, ("%s reported %s times"):format(id, tostring(seen[id] or 0)))
    end
    -- The stack under the last callbacks is as deep as under the first.
    local least, most = math.huge, 0
    for _, d in ipairs(depths) do
      least, most = math.min(least, d), math.max(most, d)
    end
    assert.is_true(most - least <= 2, ("callback stack depth went from %d to %d levels"):format(least, most))
  end)

  it("never runs another request's on_done, nor the logger, inside create_model_async", function()
    local inside, broke = false, {}
    local c
    c = client { logger = function(_, line)
      if inside then broke[#broke + 1] = "logger: " .. line end
    end }
    local first_done = false
    assert(c:create_model_async({ name = "first" }, nil, { on_done = function()
      first_done = true
      if inside then broke[#broke + 1] = "on_done of the first" end
    end }))
    -- Let the first answer arrive without a poll to take it: the next
    -- start's round is what finds it done.
    core.sleep(0.2)
    inside = true
    local second = assert(c:create_model_async { name = "second" })
    inside = false
    assert.same({}, broke)
    assert.is_false(first_done) -- owed, not run: the next poll runs it
    poll_all(c, 10)
    assert.is_true(first_done)
    assert.equal("second", (second:result()).name)
  end)

  it("runs a callback's nested poll without running callbacks inside it", function()
    local c = client()
    local order, nested = {}, 0
    for i = 1, 4 do
      assert(c:create_model_async({ name = "n" .. i }, nil, { on_done = function()
        order[#order + 1] = i
        nested = nested + 1
        -- a callback that polls: callbacks owed meanwhile wait for this one to return
        local before = #order
        c:poll()
        assert(#order == before, "a callback ran inside another's poll")
        nested = nested - 1
      end }))
    end
    poll_all(c, 10)
    assert.equal(4, #order)
    assert.equal(0, nested)
  end)
end)

-- The client's own hooks (sleep, random) and the transport are user code
-- too: whatever they do, no request is left in a state nothing moves, and
-- no count drifts. Against the replay server, whose answers are queued.
describe("the machine under hooks that misbehave", function()
  local replay = require "spec.support.replay"
  local server = replay.server()
  before_each(function() server.reset() end)
  local ERR503 = { status = 503, headers = {}, body = "" }

  it("ends a request the client's sleep cancels during its backoff, at once", function()
    server.enqueue(ERR503, "get_model")
    local req
    local c = helper.client { max_retries = 2, sleep = function() req:cancel() end }
    req = assert(c:get_model_async("model_x"))
    local t0 = core.now()
    local model, err = req:wait(5)
    assert.is_nil(model)
    assert.equal("cancelled", err.kind)
    assert.is_true(core.now() - t0 < 2, "wait went on after the cancel")
    assert.equal(0, c:poll())
  end)

  it("takes a retry that the client's sleep sent itself by polling, without losing count", function()
    server.enqueue(ERR503, "get_model")
    local c
    c = helper.client { max_retries = 2, sleep = function(d)
      core.sleep(d)
      c:poll() -- the backoff is due by now: this round sends the retry
    end }
    local req = assert(c:get_model_async("model_x"))
    local model, err = req:wait(5)
    assert.is_table(model, tostring(err))
    assert.equal(0, c._sched.running)
    assert.equal(0, c:poll())
    assert.equal(2, #server.requests())
  end)

  it("ends a request whose retry delay the client's random raised in, and says so", function()
    server.enqueue(ERR503)
    local c = helper.client { max_retries = 2, random = function() error("rng broke") end }
    local req = assert(c:get_model_async("model_x"))
    local deadline = core.now() + 5
    local raised
    while not req:done() do
      assert(core.now() < deadline, "the request never ended")
      local ok, e = pcall(c.poll, c)
      if not ok then raised = e end
      core.sleep(0.001)
    end
    assert.matches("rng broke", tostring(raised))
    local _, err = req:result()
    assert.equal("internal", err.kind)
    assert.matches("rng broke", err.message)
    assert.equal(0, c:poll())
  end)

  it("ends a queued request whose send raised in a later round, and every count stays right", function()
    server.enqueue("get_model", "get_model")
    local sends = 0
    local flaky = setmetatable({
      submit = function(call)
        sends = sends + 1
        if sends == 2 then error("submit broke") end
        return core.submit(call)
      end,
    }, { __index = core })
    local c = helper.client { max_concurrent = 1, transport = flaky }
    local a = assert(c:get_model_async("a"))
    local b = assert(c:get_model_async("b")) -- queued behind a
    local deadline, raised = core.now() + 5, nil
    while not (a:done() and b:done()) do
      assert(core.now() < deadline, "a request never ended")
      local ok, e = pcall(c.poll, c)
      if not ok then raised = e end
      core.sleep(0.001)
    end
    assert.matches("submit broke", tostring(raised))
    assert.is_table((a:result()))
    assert.equal("internal", select(2, b:result()).kind)
    assert.equal(0, c:poll())
    assert.equal(0, c._sched.nqueued)
    assert.equal(0, c._sched.running)
  end)
end)

describe("a blocking wait for a training inside a callback", function()
  local IMAGE = assert(scenario.data_url("examples/assets/leaf.png"))
  local s
  before_each(function() s = testing.start() end)
  after_each(function() s:stop() end)

  it("runs its own on_progress while it waits, before it returns", function()
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
                             timeout = 10 }
    local progress_before_return, returned = nil, nil
    local seen = 0
    assert(c:create_model_async({ name = "to train", type = "flux.1-lora" }, nil, { on_done = function(model)
      assert(c:add_training_images(model.id, { data = IMAGE }))
      assert(c:train_model(model.id, { parameters = { rank = 8 } }))
      local trained = c:wait_for_training(model.id, { interval = 0.01, timeout = 10,
        on_progress = function() seen = seen + 1 end })
      progress_before_return = seen
      returned = trained and trained.status
    end }))
    poll_all(c, 20)
    assert.equal("trained", returned)
    assert.is_true(progress_before_return >= 3, tostring(progress_before_return))
  end)

  it("is stepped by a lone blocking call made meanwhile", function()
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
                             timeout = 10 }
    local model = assert(c:create_model { name = "to train", type = "flux.1-lora" })
    assert(c:add_training_images(model.id, { data = IMAGE }))
    assert(c:train_model(model.id, { parameters = { rank = 8 } }))
    local w = c:wait_for_training_async(model.id, { interval = 0.01, timeout = 10 })
    -- Blocking calls with nothing else in flight: each goes through the
    -- rounds, so the wait moves with them.
    local deadline = core.now() + 10
    while not w:done() do
      assert(core.now() < deadline, "the wait never ended")
      assert(c:list_models { pageSize = 1 })
      core.sleep(0.02)
    end
    assert.equal("trained", (w:result()).status)
  end)
end)

describe("a wait on a download or a job from inside its own on_progress", function()
  local cdn_server = require "spec.support.cdn_server"
  local s, cdn, dir
  setup(function()
    s = testing.start()
    cdn = cdn_server.start()
  end)
  teardown(function()
    s:stop()
    cdn:stop()
  end)
  before_each(function() dir = helper.tmpdir() end)
  after_each(function() helper.sh("rm -rf '" .. dir .. "'") end)

  local function client()
    return scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
                          timeout = 30 }
  end

  -- Each on_progress blocks on its own download until it ends. Run nested,
  -- each would run the next one a frame deeper: 2 MiB comes in 128
  -- pieces over many rounds, so the stack would grow with the file.
  it("runs the later calls after it, in order, as deep as the first, and the download ends whole", function()
    local c = client()
    local n = 2 * 1024 * 1024
    local dl
    local told, depths, inner = {}, {}, {}
    dl = c:download_asset_async(cdn:url("/slow/" .. n), dir .. "/big", { on_progress = function(done, total)
      told[#told + 1] = done
      depths[#depths + 1] = depth()
      if total ~= n then told[#told + 1] = "total " .. tostring(total) end
      local path, meta = dl:wait(30)
      inner[#inner + 1] = path or tostring(meta)
    end })
    local path, meta = dl:wait(60)
    assert.equal(dir .. "/big", path, tostring(meta))
    c:poll()
    local f = assert(io.open(path, "rb"))
    assert.equal(n, f:seek("end"))
    f:close()
    assert.truthy(#told >= 10, #told)
    for i = 2, #told do assert.truthy(told[i] > told[i - 1]) end
    assert.equal(n, told[#told])
    for i = 1, #told do
      assert.equal(dir .. "/big", inner[i])
      assert.equal(depths[1], depths[i], ("call %d of %d"):format(i, #told))
    end
    c:close()
  end)

  it("a job's wait: each on_progress waits on it, none nested, all after it in order", function()
    local c = client()
    s:script_jobs { progress = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9 } }
    local doc = assert(c:generate("model_bfl-flux-1-dev", { prompt = "a blue gem" }))
    local w
    local told, depths, inner = {}, {}, {}
    w = c:wait_for_job_async(doc.job.jobId, { interval = 0.001, timeout = 30, on_progress = function(job)
      told[#told + 1] = job.progress or 0
      depths[#depths + 1] = depth()
      local done, err = w:wait(30)
      inner[#inner + 1] = done and done.status or tostring(err)
    end })
    local job, err = w:wait(30)
    assert.equal("success", job and job.status, tostring(err))
    c:poll()
    assert.truthy(#told >= 9, #told)
    for i = 1, #told do
      assert.truthy(i == 1 or told[i] >= told[i - 1])
      assert.equal("success", inner[i])
      assert.equal(depths[1], depths[i], ("call %d of %d"):format(i, #told))
    end
    c:close()
    s:script_jobs {}
  end)
end)
