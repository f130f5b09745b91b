-- Waiting for a training (lua/scenario/wait.lua) against the
-- stand-in of scenario.testing, served by its own process: a model
-- trained through its stages as it is polled, trainings scripted to fail
-- or be cancelled, and faults on request.
local helper = require "spec.helper"
local scenario = require "scenario"
local testing = require "scenario.testing"
local core = require "scenario.core"

local stand_in

setup(function() stand_in = testing.start { lua = helper.LUA } end)
teardown(function() stand_in:stop() end)

local function client(opts)
  local o = { base_url = stand_in.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
    sleep = core.sleep }
  for k, v in pairs(opts or {}) do o[k] = v end
  return scenario.new(o)
end

local IMAGE = assert(scenario.data_url("examples/assets/leaf.png"))

-- A model whose training has started, under the plan given.
local function training(c, plan)
  stand_in:script(plan or {})
  local model = assert(c:create_model { name = "to train", type = "flux.1-lora" })
  assert(c:add_training_images(model.id, { data = IMAGE })) -- the stand-in trains no model without one
  assert(c:train_model(model.id, { parameters = { rank = 8, nbEpochs = 2 } }))
  return model.id
end

describe("wait_for_training", function()
  it("returns the trained model after on_progress saw every stage, progress rising", function()
    local c = client()
    local id = training(c)
    local seen = {}
    local model, meta = c:wait_for_training(id, { interval = 0.01, timeout = 10, on_progress = function(m)
      local p = m.trainingProgress or {}
      seen[#seen + 1] = { status = m.status, stage = p.stage, progress = p.progress }
    end })
    assert.equal("trained", model.status, tostring(meta))
    assert.equal(id, model.id)
    assert.equal(200, meta.status)
    assert.truthy(#seen >= 3, #seen)
    local last = -1
    local running = 0
    for _, s in ipairs(seen) do
      if s.stage == "running-train" then
        running = running + 1
        assert.truthy(s.progress > last, "progress did not rise")
        last = s.progress
      end
    end
    assert.equal(3, running)
    assert.equal("trained", seen[#seen].status)
    assert.equal("queued-for-train", seen[1].stage)
  end)

  it("ends as training_failed or training_canceled, with the model as last seen", function()
    local c = client()
    for outcome, kind in pairs { failed = "training_failed", ["training-canceled"] = "training_canceled" } do
      local id = training(c, { outcome = outcome, progress = { 0.5 } })
      local model, err = c:wait_for_training(id, { interval = 0.01, timeout = 10 })
      assert.is_nil(model)
      assert.equal(kind, err.kind)
      assert.equal(outcome, err.model.status)
      assert.equal(id, err.model.id)
      assert.truthy(tostring(err):find(id, 1, true), tostring(err))
    end
  end)

  it("gives up at its timeout on a training that has not ended", function()
    local c = client()
    local id = training(c, { seconds_per_step = 1000 })
    local t0 = core.now()
    local model, err = c:wait_for_training(id, { interval = 0.05, timeout = 0.3 })
    local took = core.now() - t0
    assert.is_nil(model)
    assert.equal("timeout", err.kind)
    assert.equal("training", err.model.status)
    assert.truthy(took < 2, ("took %.2f s"):format(took))
  end)

  it("is not ended by one 503 in the middle: the poll is retried", function()
    local c = client()
    local id = training(c)
    local polls = 0
    local model, meta = c:wait_for_training(id, { interval = 0.01, timeout = 10, on_progress = function()
      polls = polls + 1
      if polls == 2 then stand_in:fault { endpoint = "get_model", status = 503 } end
    end })
    assert.equal("trained", model.status, tostring(meta))
    local gets = 0
    for _, r in ipairs(stand_in:requests()) do
      if r.endpoint == "get_model" and r.path:find(id, 1, true) then gets = gets + 1 end
    end
    -- Six polls that moved the training on (queue position 1, starting,
    -- three progress values, trained), and the one the 503 answered.
    assert.equal(7, gets)
    assert.equal(6, polls)
  end)

  it("outlasts an outage longer than get_model's own retries, backing off, until it is trained", function()
    local c = client { max_retries = 1 }
    local id = training(c)
    local seen, logged = 0, {}
    c._logger = function(level, line) logged[#logged + 1] = level .. " " .. line end
    local model, meta = c:wait_for_training(id, { interval = 0.01, timeout = 10, on_progress = function()
      seen = seen + 1
      -- five 503s in a row: get_model gives up after two, twice; then a lost connection
      if seen == 2 then
        stand_in:fault { endpoint = "get_model", status = 503, count = 5 }
        stand_in:fault { endpoint = "get_model", drop = true }
      end
    end })
    assert.equal("trained", model.status, tostring(meta))
    assert.matches("poll failed %(scenario: server %(HTTP 503", table.concat(logged, "\n"))
  end)

  it("ends on a failure that will not clear, with the last transient one kept", function()
    local c = client { max_retries = 0 }
    local id = training(c)
    local seen = 0
    local model, err = c:wait_for_training(id, { interval = 0.01, timeout = 10, on_progress = function()
      seen = seen + 1
      if seen == 2 then
        stand_in:fault { endpoint = "get_model", status = 503 }
        stand_in:fault { endpoint = "get_model", status = 403 }
      end
    end })
    assert.is_nil(model)
    assert.equal("permission_denied", err.kind)
    assert.equal(id, err.model.id)
  end)

  it("ends as invalid_response when a poll answers with another model", function()
    local c = client()
    local other = assert(c:create_model { name = "other" })
    local id = training(c)
    -- A server that mixes models up: the poll asks for other.id, and the
    -- wait is then told it waits for id, so the answer is another model's.
    local w = c:wait_for_training_async(other.id, { interval = 0.01 })
    w:poll() -- the first poll goes out
    w.id = id
    local model, err = w:wait(10)
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.matches("answered with the model " .. other.id, err.message)
  end)

  it("leaves no wait behind when the blocking wait raises (the client's sleep, an interrupt)", function()
    local c = client { sleep = function() error("interrupted") end }
    local id = training(c)
    assert.has_error(function() c:wait_for_training(id, { interval = 5, timeout = 10 }) end, "interrupted")
    assert.equal(0, #c._sched.waiters)
    assert.equal(0, c:poll())
  end)

  it("does not step itself again while on_progress runs a round of its own", function()
    local c = client()
    local id = training(c)
    local depth, deepest, calls = 0, 0, 0
    local model = c:wait_for_training(id, { interval = 0.01, timeout = 10, on_progress = function()
      depth, calls = depth + 1, calls + 1
      if depth > deepest then deepest = depth end
      assert(c:get_model(id)) -- a blocking call: rounds of the client, inside the callback
      core.sleep(0.02)
      depth = depth - 1
    end })
    assert.equal("trained", model.status)
    assert.equal(1, deepest) -- (the callback's own get_model moves the stand-in on too: fewer calls)
    assert.is_true(calls >= 2, calls)
  end)

  it("gives what on_progress raised back with the result of the blocking form", function()
    local c = client()
    local id = training(c)
    local model, meta = c:wait_for_training(id, { interval = 0.01, timeout = 10,
      on_progress = function() error("boom") end })
    assert.equal("trained", model.status)
    assert.matches("boom", tostring(meta.callback_error))
  end)

  it("counts one pending item per wait in client:poll", function()
    local c = client()
    local id = training(c)
    local w = c:wait_for_training_async(id, { interval = 0.01 })
    assert.equal(1, c:poll())
    w:cancel()
    assert.equal(0, c:poll())
  end)

  it("yields in a scenario.spawn coroutine", function()
    local c = client()
    local id = training(c)
    local yields, result = 0, nil
    local task = scenario.spawn(function() result = { c:wait_for_training(id, { interval = 0.01, timeout = 10 }) } end)
    local deadline = core.now() + 20
    while not task.done do
      assert(core.now() < deadline, "the task did not end")
      scenario.step()
      yields = yields + 1
      core.sleep(0.002)
    end
    assert.is_true(task.ok, tostring(task.error))
    assert.equal("trained", result[1].status)
    assert.truthy(yields > 3, yields)
  end)

  it("refuses a bad model id or option at once", function()
    local c = client()
    assert.has_error(function() c:wait_for_training("") end,
      "bad argument #1 to 'wait_for_training' (modelId must be a non-empty string, got an empty one)")
    assert.has_error(function() c:wait_for_training("m", { intervall = 1 }) end,
      "bad argument #2 to 'wait_for_training' (unknown option 'intervall'; did you mean 'interval'?)")
    assert.has_error(function() c:wait_for_training("m", { on_done = print }) end,
      "bad argument #2 to 'wait_for_training' (unknown option 'on_done')")
    assert.has_error(function() c:wait_for_training("m", { timeout = 0 }) end,
      "bad argument #2 to 'wait_for_training' (option 'timeout' must be a number of seconds above 0)")
    assert.has_error(function() c:wait_for_training("m", { interval = 2, max_interval = 1 }) end,
      "bad argument #2 to 'wait_for_training' (option 'max_interval' (1 s) is below the interval (2 s))")
  end)

  it("ends with the error of a poll that fails for good", function()
    local model, err = client { max_retries = 0 }:wait_for_training("model_nowhere", { interval = 0.01, timeout = 10 })
    assert.is_nil(model)
    assert.equal("not_found", err.kind)
  end)
end)

describe("wait_for_training_async", function()
  it("never blocks a poll(), even while the stand-in takes its time to answer", function()
    local c = client()
    local id = training(c)
    stand_in:fault { endpoint = "get_model", delay = 0.3, count = 2 }
    local ended
    local w = c:wait_for_training_async(id, { interval = 0.01, on_done = function(m, e) ended = { m, e } end })
    local longest, rounds = 0, 0
    local deadline = core.now() + 20
    while not w:done() do
      assert(core.now() < deadline, "the wait did not end")
      local t0 = core.now()
      c:poll()
      local took = core.now() - t0
      if took > longest then longest = took end
      rounds = rounds + 1
      core.sleep(0.002)
    end
    local model = w:result()
    assert.equal("trained", model.status)
    assert.equal(model, ended[1])
    assert.truthy(longest < 0.05, ("a poll took %.1f ms"):format(longest * 1000))
    assert.truthy(rounds > 100, rounds) -- the two slow answers alone took 0.6 s of rounds
  end)

  it("ends as cancelled when cancelled, and the training goes on", function()
    local c = client()
    local id = training(c, { seconds_per_step = 1000 })
    local w = c:wait_for_training_async(id, { interval = 0.01 })
    for _ = 1, 5 do
      c:poll()
      core.sleep(0.01)
    end
    assert.is_true(w:cancel())
    assert.is_false(w:cancel())
    local model, err = w:result()
    assert.is_nil(model)
    assert.equal("cancelled", err.kind)
    assert.equal(0, c:poll())
    assert.equal("training", assert(c:get_model(id)).status)
  end)

  it("keeps what on_progress raises, and goes on", function()
    local c = client()
    local id = training(c)
    local w = c:wait_for_training_async(id, { interval = 0.01, on_progress = function() error("boom") end })
    local model = w:wait(10)
    assert.equal("trained", model.status)
    assert.truthy(tostring(w.callback_error):find("boom", 1, true))
  end)

  it("says pending when wait(timeout) passes first, and can be waited on again", function()
    local c = client()
    local id = training(c, { seconds_per_step = 0.4, progress = { 0.5 } })
    local w = c:wait_for_training_async(id, { interval = 0.05 })
    local model, err = w:wait(0.1)
    assert.is_nil(model)
    assert.equal("pending", err.kind)
    assert.equal("trained", assert(w:wait(10)).status)
  end)

  it("is cancelled when the client closes", function()
    local c = client()
    local id = training(c, { seconds_per_step = 1000 })
    local w = c:wait_for_training_async(id, { interval = 0.01 })
    c:poll()
    c:close()
    assert.is_true(w:done())
    assert.equal("cancelled", select(2, w:result()).kind)
  end)
end)

describe("scenario.testing, served", function()
  local function c2() return client { max_retries = 0 } end

  it("answers 500 when a handler raises, and goes on serving", function()
    local s = testing.start { lua = helper.LUA, model = { status = "new", tags = "not a list" } }
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
      max_retries = 0 }
    local m = assert(c:create_model { name = "x" })
    s:fault { endpoint = "get_model", status = 500 } -- and a handler that raises: a template the test broke
    local _, err = c:get_model(m.id)
    assert.equal("server", err.kind)
    assert(c:update_model_tags(m.id, { add = { "a" } })) -- a non-list tags field is taken as none
    assert(c:get_model(m.id))
    c:close()
    s:stop()
  end)

  it("sends answers larger than the socket's buffers whole", function()
    local c = c2()
    local m = assert(c:create_model { name = "big" })
    local blob = string.rep("0123456789", 600000) -- 6 MB, echoed back in the answer
    local got, err = c:update_model(m.id, { name = "big" }, nil, { extra_body = { blob = blob } })
    assert.is_table(got, tostring(err))
    assert.equal(#blob, #got.blob)
  end)

  it("delays a status fault when asked, and answers what was pipelined behind a delay", function()
    local c = c2()
    local m = assert(c:create_model { name = "late" })
    stand_in:fault { endpoint = "get_model", status = 503, delay = 0.3 }
    local t0 = core.now()
    local _, err = c:get_model(m.id)
    assert.equal("server", err.kind)
    assert.is_true(core.now() - t0 >= 0.3)
    -- two requests in one write, the first delayed
    stand_in:fault { endpoint = "get_model", delay = 0.2 }
    local socket = require "socket"
    local sk = assert(socket.connect("127.0.0.1", stand_in.port))
    local req = ("GET /v1/models/%s HTTP/1.1\r\nHost: x\r\n\r\n"):format(m.id)
    assert(sk:send(req .. req))
    sk:settimeout(5)
    local got = ""
    repeat
      local data, rerr, partial = sk:receive(4096)
      got = got .. (data or partial or "")
      local _, answers = got:gsub("HTTP/1.1 200", "")
    until answers >= 2 or rerr == "closed" or (rerr == "timeout" and (partial or "") == "")
    sk:close()
    assert.equal(2, select(2, got:gsub("HTTP/1.1 200", "")))
  end)

  it("refuses what it cannot read, and a chunked body, with the connection closed", function()
    local socket = require "socket"
    for _, raw in ipairs { "NOT A REQUEST\r\n\r\n",
        "POST /v1/models HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" } do
      local sk = assert(socket.connect("127.0.0.1", stand_in.port))
      sk:settimeout(5)
      assert(sk:send(raw))
      local status = sk:receive("*l")
      sk:close()
      assert.matches("^HTTP/1.1 4%d%d", status)
    end
    assert(c2():get_model(assert(c2():create_model {}).id)) -- still serving
  end)

  it("takes its config through a file, not the shell: $ and backquotes stay as written", function()
    local s = testing.start { lua = helper.LUA, model = { status = "new", name = "costs $5, `id`, $(id)" } }
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET }
    local m = assert(c:create_model {})
    c:close()
    s:stop()
    assert.equal("costs $5, `id`, $(id)", m.name)
  end)
end)

describe("scenario.testing", function()
  it("serves every endpoint of the table, and 404s others", function()
    local c = client()
    local m = assert(c:create_model { name = "a" })
    assert.equal("a", assert(c:get_model(m.id)).name)
    assert.equal("b", assert(c:update_model(m.id, { name = "b", classSlug = scenario.null })).name)
    assert.same({ "t" }, assert(c:update_model_tags(m.id, { add = { "t" } })).added)
    assert.equal("image", assert(c:add_training_images(m.id, { assetId = "asset_x" })).name)
    assert.equal(10, assert(c:train_model(m.id, {}, { dryRun = true })).creativeUnitsCost)
    local listed = false
    for x in c:each_model { pageSize = 1 } do listed = listed or x.id == m.id end
    assert.is_true(listed)
    assert.is_true(c:delete_model(m.id))
    local _, err = c:get_model(m.id)
    assert.equal("not_found", err.kind)
    local st, _, body = testing.new():handle("GET", "/v1/nowhere", "", "")
    assert.equal(404, st)
    assert.equal("Cannot GET /v1/nowhere", core.parse_json(body).message)
  end)

  it("answers without a server too", function()
    local api = testing.new()
    local st, headers, body = api:handle("POST", "/v1/models", "", '{"name":"x"}')
    assert.equal(200, st)
    assert.equal("application/json", headers["Content-Type"])
    local id = core.parse_json(body).model.id
    api:fault { status = 429, code = "RATE_LIMIT_EXCEEDED" }
    assert.equal(429, (api:handle("GET", "/v1/models/" .. id, "", "")))
    assert.equal(200, (api:handle("GET", "/v1/models/" .. id, "", "")))
  end)
end)
