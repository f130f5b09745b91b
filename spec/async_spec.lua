-- Non-blocking requests (lua/scenario/scheduler.lua, request.lua; csrc/call.c) against
-- the replay server: many creates in flight on one client, polling that
-- never blocks, cancellation, callbacks, collection mid-flight, retries
-- as not-before times, and the coroutine helper.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local compat = require "spec.support.compat"
local scenario = require "scenario"
local core = require "scenario.core"

local server = replay.server()

-- The page example's response, answered after `delay` seconds.
local function delayed(delay, n)
  local list = {}
  for i = 1, n or 1 do
    local r = replay.fixture("model_example").response
    r.delay = delay
    list[i] = r
  end
  return list
end

local function poll_until(client, done, limit)
  local deadline = core.now() + (limit or 10)
  while not done() do
    assert(core.now() < deadline, "gave up waiting")
    client:poll()
    core.sleep(0.001)
  end
end

describe("create_model_async", function()
  before_each(function() server.reset() end)

  it("returns nil, err at once for a bad body, and sends nothing", function()
    local client = helper.client()
    local req, err = client:create_model_async { name = 42 }
    assert.is_nil(req)
    assert.equal("validation", err.kind)
    assert.equal(0, client:poll())
    assert.equal(0, #server.requests())
  end)

  it("gives the same model and meta as the blocking call", function()
    server.enqueue("model_example", delayed(0.1)[1])
    local client = helper.client()
    local m1, meta1 = client:create_model { name = "n" }
    local req = assert(client:create_model_async { name = "n" })
    assert.is_false(req:done())
    assert.has_error(function() req:result() end,
      "bad argument #1 to 'result' (the request has not finished; poll it first)")
    poll_until(client, function() return req:poll() end)
    local m2, meta2 = req:result()
    assert.same(m1, m2)
    assert.same(meta1, meta2)
    local reqs = server.requests()
    assert.equal(2, #reqs)
    assert.equal(reqs[1].body, reqs[2].body)
  end)

  it("runs 20 creates concurrently: each answered after 1 s, all done in under 2 s", function()
    server.enqueue(compat.unpack(delayed(1, 20)))
    local client = helper.client { max_concurrent = 20 }
    local reqs, t0 = {}, core.now()
    for i = 1, 20 do reqs[i] = assert(client:create_model_async { name = "n" .. i }) end
    poll_until(client, function() return client:poll() == 0 end)
    local elapsed = core.now() - t0
    assert.truthy(elapsed < 2, ("took %.2f s"):format(elapsed))
    for i = 1, 20 do
      local model, meta = reqs[i]:result()
      assert.equal("id", model.id)
      assert.equal(1, meta.attempts)
    end
    assert.equal(20, #server.requests())
  end)

  it("keeps at most max_concurrent transfers in flight, and finishes them all", function()
    server.enqueue(compat.unpack(delayed(0.05, 7)))
    local client = helper.client { max_concurrent = 2 }
    local reqs, most = {}, 0
    for i = 1, 7 do reqs[i] = assert(client:create_model_async { name = "n" .. i }) end
    poll_until(client, function()
      most = math.max(most, client._sched.running)
      return client:poll() == 0
    end)
    assert.equal(2, most)
    for i = 1, 7 do assert.equal("id", (reqs[i]:result()).id) end
  end)

  it("reuses one connection for requests one after another", function()
    server.enqueue("model_example", "model_example", "model_example")
    local client = helper.client()
    for _ = 1, 3 do
      local req = assert(client:create_model_async {})
      poll_until(client, function() return req:poll() end)
      assert.is_table((req:result()))
    end
    assert.equal(1, server.stats().connections)
  end)

  it("polls without blocking: a poll with nothing ready takes well under 1 ms", function()
    server.enqueue(compat.unpack(delayed(5, 3)))
    local client = helper.client()
    for i = 1, 3 do assert(client:create_model_async { name = "n" .. i }) end
    for _ = 1, 50 do client:poll() end -- connected, and waiting for answers
    local times = {}
    for i = 1, 201 do
      local t0 = core.now()
      client:poll()
      times[i] = core.now() - t0
    end
    table.sort(times)
    assert.truthy(times[101] < 0.001, ("median poll %.3f ms"):format(times[101] * 1000))
    client:close()
  end)

  it("waits with a timeout, and the request goes on after it", function()
    server.enqueue(compat.unpack(delayed(0.3)))
    local client = helper.client()
    local req = assert(client:create_model_async {})
    local model, err = req:wait(0.01)
    assert.is_nil(model)
    assert.equal("pending", err.kind)
    assert.is_false(req:done())
    model = req:wait(5)
    assert.equal("id", model.id)
  end)
end)

describe("cancel", function()
  before_each(function() server.reset() end)

  it("ends a request in flight as cancelled, never as succeeded, and frees its transfer", function()
    server.enqueue(compat.unpack(delayed(0.2, 2)))
    local client = helper.client()
    local seen = {}
    local req = assert(client:create_model_async({}, nil, {
      on_done = function(model, err) seen[#seen + 1] = { model = model, err = err } end,
    }))
    local other = assert(client:create_model_async {})
    client:poll()
    local call = req.call
    assert.is_true(req:cancel())
    assert.is_false(req:cancel())
    assert.equal("closed", core.state(call))
    local model, err = req:result()
    assert.is_nil(model)
    assert.equal("cancelled", err.kind)
    assert.equal(1, #seen)
    assert.equal("cancelled", seen[1].err.kind)
    -- The answer arrives later; the cancelled request never takes it.
    poll_until(client, function() return other:poll() end)
    core.sleep(0.3)
    client:poll()
    assert.is_nil((req:result()))
    assert.equal(1, #seen)
    assert.equal("id", (other:result()).id)
    assert.equal(0, client:poll())
  end)

  it("cancels every request when the client is closed", function()
    server.enqueue(compat.unpack(delayed(5, 2)))
    local client = helper.client()
    local a = assert(client:create_model_async {})
    local b = assert(client:create_model_async {})
    client:poll()
    client:close()
    assert.equal("cancelled", select(2, a:result()).kind)
    assert.equal("cancelled", select(2, b:result()).kind)
  end)
end)

describe("on_done", function()
  before_each(function() server.reset() end)

  it("runs once per request; one that raises breaks no other request", function()
    server.enqueue("model_example", "error_404", "model_example")
    local lines = {}
    -- One at a time, so that each request meets the answer queued for it.
    local client = helper.client { max_concurrent = 1,
      logger = function(level, line) lines[#lines + 1] = level .. " " .. line end }
    local got = {}
    local function record(i) return function(m, e) got[i] = (m and m.id) or e.kind end end
    local a = assert(client:create_model_async({}, nil, { on_done = record(1) }))
    local b = assert(client:create_model_async({}, nil, {
      on_done = function(_, e) got[2] = e.kind; error("boom in a callback") end,
    }))
    local c = assert(client:create_model_async({}, nil, { on_done = record(3) }))
    poll_until(client, function() return client:poll() == 0 end)
    assert.same({ "id", "not_found", "id" }, got)
    assert.truthy(tostring(b.callback_error):find("boom in a callback", 1, true))
    assert.is_nil(a.callback_error)
    assert.is_nil(c.callback_error)
    local warned = table.concat(lines, "\n")
    assert.truthy(warned:find("on_done raised", 1, true), warned)
  end)

  it("may cancel another request, and every other request still finishes", function()
    -- A answers first; its callback cancels B. C, behind them in the
    -- list, must still be seen through.
    server.enqueue(delayed(0.3)[1], delayed(0.05)[1], delayed(0.3)[1])
    local client = helper.client()
    local got = {}
    local b = assert(client:create_model_async({ name = "B" }, nil, {
      on_done = function(_, e) got.B = e.kind end,
    }))
    assert(client:create_model_async({ name = "A" }, nil, {
      on_done = function(m) got.A = m.id; b:cancel() end,
    }))
    local c = assert(client:create_model_async({ name = "C" }, nil, {
      on_done = function(m) got.C = m.id end,
    }))
    poll_until(client, function() return client:poll() == 0 end)
    assert.same({ A = "id", B = "cancelled", C = "id" }, got)
    assert.equal("id", (c:result()).id)
    assert.equal(0, client._sched.running)
  end)

  it("may start a follow-up request, which finishes like any other", function()
    server.enqueue(delayed(0.05)[1], delayed(0.1)[1], delayed(0.05)[1])
    local client = helper.client { max_concurrent = 1 }
    local order = {}
    assert(client:create_model_async({ name = "first" }, nil, {
      on_done = function()
        order[#order + 1] = "first"
        assert(client:create_model_async({ name = "follow-up" }, nil, {
          on_done = function() order[#order + 1] = "follow-up" end,
        }))
      end,
    }))
    assert(client:create_model_async({ name = "second" }, nil, {
      on_done = function() order[#order + 1] = "second" end,
    }))
    poll_until(client, function() return client:poll() == 0 end)
    table.sort(order)
    assert.same({ "first", "follow-up", "second" }, order)
    assert.equal(0, client._sched.running)
  end)

  it("is refused by the blocking call, which has no callback", function()
    local client = helper.client()
    assert.has_error(function() client:create_model({}, nil, { on_done = print }) end,
      "bad argument #3 to 'create_model' (unknown option 'on_done')")
  end)
end)

describe("collection mid-flight", function()
  before_each(function() server.reset() end)

  it("frees a core call dropped while its transfer runs; the client goes on", function()
    server.enqueue(compat.unpack(delayed(0.2, 2)))
    local client = helper.client()
    local h = client._handle
    do
      local call = assert(core.start(h, "create_model", {}))
      core.submit(call)
      core.perform(h)
    end
    collectgarbage()
    collectgarbage()
    assert.equal(0, (core.perform(h))) -- the dropped transfer is gone
    local req = assert(client:create_model_async {})
    assert.equal("id", (req:wait(5)).id)
  end)

  it("frees a client and its requests dropped while in flight", function()
    server.enqueue(compat.unpack(delayed(0.3, 3)))
    do
      local client = helper.client()
      for _ = 1, 3 do assert(client:create_model_async {}) end
      client:poll()
    end
    collectgarbage()
    collectgarbage()
    assert.equal(0, server.open_after_close())
  end)
end)

describe("re-entry and failures inside a round", function()
  before_each(function() server.reset() end)
  local started_by

  -- A transport whose finish cancels a request after the real one: what
  -- a finaliser run by finish's allocations could do.
  local victim
  local cancelling = setmetatable({
    finish = function(call)
      local a, b, c, d = core.finish(call)
      if victim then
        local v = victim
        victim = nil
        v:cancel()
      end
      return a, b, c, d
    end,
  }, { __index = core })

  it("lets a cancel made while the result is taken stand, and keeps the count", function()
    -- Answers that come late enough that the first round cannot take them.
    server.enqueue(delayed(0.1)[1], { status = 429, headers = { ["Retry-After"] = "0" }, body = "", delay = 0.1 },
      "model_example")
    local client = helper.client { transport = cancelling }
    local seen = {}
    local req = assert(client:create_model_async({}, nil, {
      on_done = function(m, e) seen[#seen + 1] = m and "model" or e.kind end,
    }))
    victim = req
    local model, err = req:wait(2)
    assert.is_nil(model)
    assert.equal("cancelled", err.kind)
    assert.same({ "cancelled" }, seen)
    assert.equal(0, client._sched.running)
    -- A retryable answer taken by a cancelled request does not revive it.
    local req2 = assert(client:create_model_async {})
    victim = req2
    assert.equal("cancelled", select(2, req2:wait(2)).kind)
    assert.equal(0, client._sched.running)
    assert.equal(0, client:poll())
    assert.equal("id", (client:create_model {}).id)
    assert.equal(3, #server.requests())
  end)

  it("takes, at the next round, a result a blocking call's wait collected for another request", function()
    -- A blocking call with nothing else in flight skips the request machine.
    -- Here a finaliser (stood in for by finish) starts a request while the
    -- first attempt's result is taken; the retry's wait then collects that
    -- request's answer, which the machine must still take.
    local fired, other = false, nil
    local starting = setmetatable({
      finish = function(call)
        local a, b, c, d = core.finish(call)
        if not fired then
          fired = true
          other = assert(started_by())
          -- Sent before the retry, so that the answers go where they should.
          local deadline = core.now() + 2
          while #server.requests() < 2 do
            assert(core.now() < deadline, "the other request was not sent")
            other:poll()
            core.sleep(0.001)
          end
        end
        return a, b, c, d
      end,
    }, { __index = core })
    server.enqueue({ status = 429, headers = { ["Retry-After"] = "0" }, body = "" }, delayed(0.1)[1],
      delayed(0.3)[1])
    local client = helper.client { transport = starting, max_retries = 1 }
    started_by = function() return client:create_model_async { name = "other" } end
    local model, meta = client:create_model {}
    assert.equal("id", model.id)
    assert.equal(2, meta.attempts)
    assert.equal(1, #client.slept) -- the blocking call's backoff
    assert.equal("running", other.state)
    assert.equal("done", core.state(other.call)) -- collected by the blocking call's wait
    local t0 = core.now()
    assert.equal("id", assert(other:wait(2)).id)
    assert.truthy(core.now() - t0 < 0.2, "the collected result was not taken")
    assert.equal(0, client._sched.running)
    local bodies = {}
    for i, r in ipairs(server.requests()) do bodies[i] = r.body end
    assert.same({ "{}", '{"name":"other"}', "{}" }, bodies)
  end)

  it("ends a request as cancelled when the client is closed while its retry is decided", function()
    -- The logger's retry line closes the client: the cancel must stand,
    -- not be turned back into a backoff that nothing will ever end.
    server.enqueue({ status = 429, headers = { ["Retry-After"] = "0" }, body = "" })
    local client
    client = helper.client { max_retries = 1, logger = function(level)
      if level == "info" then client:close() end
    end }
    local req = assert(client:create_model_async {})
    local model, err = req:wait(2)
    assert.is_nil(model)
    assert.equal("cancelled", err.kind)
    assert.equal(1, #server.requests())
  end)

  it("ends a blocking call as cancelled, not with a raise, when the client is closed meanwhile", function()
    -- Closed by the transport while the transfer runs (as a finaliser might)...
    server.enqueue(delayed(0.2)[1])
    local client
    local closing = setmetatable({
      perform = function(h, wait)
        local running, finished = core.perform(h, wait)
        client:close()
        return running, finished
      end,
    }, { __index = core })
    client = helper.client { transport = closing }
    local model, err = client:create_model {}
    assert.is_nil(model)
    assert.equal("cancelled", err.kind)
    assert.equal(1, err.attempts)
    -- ...and by the logger as it decides to retry.
    server.reset()
    server.enqueue({ status = 429, headers = { ["Retry-After"] = "0" }, body = "" }, "model_example")
    client = helper.client { max_retries = 1, logger = function(level)
      if level == "info" then client:close() end
    end }
    model, err = client:create_model {}
    assert.is_nil(model)
    assert.equal("cancelled", err.kind)
    assert.equal(1, #server.requests())
  end)

  it("survives a logger that raises", function()
    server.enqueue("model_example", "model_example")
    local client = helper.client { max_concurrent = 1, logger = function() error("logger broke") end }
    for _ = 1, 2 do
      local req = assert(client:create_model_async {})
      assert.equal("id", (req:wait(2)).id)
    end
    assert.truthy(tostring(client.logger_error):find("logger broke", 1, true))
    assert.equal(0, client._sched.running)
  end)

  it("keeps the slot count when sending raises, and leaves no request behind", function()
    server.enqueue("model_example")
    local fail = true
    local flaky = setmetatable({
      submit = function(call)
        if fail then error("submit failed") end
        return core.submit(call)
      end,
    }, { __index = core })
    local client = helper.client { max_concurrent = 1, transport = flaky }
    assert.has_error(function() client:create_model_async {} end, "submit failed")
    assert.equal(0, client._sched.running)
    assert.equal(0, client:poll())
    fail = false
    assert.equal("id", (client:create_model {}).id)
    assert.equal(1, #server.requests())
  end)

  it("handles more requests than unpack can take on 5.1", function()
    server.enqueue(compat.unpack(delayed(0, 1)))
    local client = helper.client { max_concurrent = 1 }
    local first = assert(client:create_model_async {})
    for _ = 1, 9000 do assert(client:create_model_async {}) end
    assert.equal("id", (first:wait(5)).id)
    client:close()
    assert.equal(0, client._sched.running)
  end)

  it("moves a request on wait(0), as a poll does", function()
    server.enqueue("model_example")
    local client = helper.client()
    local req = assert(client:create_model_async {})
    for _ = 1, 2000 do
      if req:done() then break end
      req:wait(0)
      core.sleep(0.001)
    end
    assert.is_true(req:done())
  end)
end)

describe("a response that cannot be taken in", function()
  before_each(function() server.reset() end)

  -- The real transport, but finishing the first call raises as running
  -- out of memory while decoding would, after the real finish has run.
  local function failing_once()
    local failed = false
    local t = setmetatable({}, { __index = core })
    t.finish = function(call)
      local r = { core.finish(call) }
      if not failed then
        failed = true
        error("not enough memory")
      end
      return compat.unpack(r, 1, 5)
    end
    return t
  end

  it("ends a blocking call with an error value, not sent again", function()
    server.enqueue("model_example", "model_example")
    local client = helper.client { transport = failing_once() }
    local model, err = client:create_model()
    assert.is_nil(model)
    assert.equal("internal", err.kind)
    assert.truthy(err.message:find("^the response could not be read: .*not enough memory$"), err.message)
    assert.equal(1, err.attempts)
    assert.equal(1, #server.requests())
    -- the client, and the call it keeps for the next blocking call, still work
    assert.equal("id", assert(client:create_model()).id)
  end)

  it("ends a request with an error value, and runs its on_done", function()
    server.enqueue("model_example")
    local client = helper.client { transport = failing_once() }
    local got
    local req = assert(client:create_model_async(nil, nil, { on_done = function(m, e) got = { m, e } end }))
    local model, err = req:wait(5)
    assert.is_nil(model)
    assert.equal("internal", err.kind)
    assert.is_true(req:done())
    assert.equal(err, got[2])
    assert.equal(0, client:poll())
  end)
end)

describe("a client closed by a finaliser as core.finish starts", function()
  it("ends the call cancelled or answered, at every stack depth, and never crashes", function()
    local answer = replay.fixture("model_example").response
    answer.sticky = true
    server.reset()
    server.enqueue(answer)
    -- One fresh interpreter per depth: only a new stack grows on the call
    -- into C, which is when the collector (and the finaliser) can run.
    local ok, out = helper.sh(("for d in $(seq 0 16); do for k in 0 1; do "
      .. "LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='%s;;' %s spec/support/finish_close.lua %s $d $k "
      .. "|| echo \"crashed at $d $k\"; done; done"):format(helper.CPATH, helper.LUA, server.url))
    assert.is_true(ok, out)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      n = n + 1
      assert.truthy(line == "true id" or line == "true cancelled" or line == "raised the call is closed", line)
    end
    assert.equal(34, n)
  end)
end)

describe("a logger that closes the client", function()
  before_each(function() server.reset() end)

  local function closing_logger(client_ref, when)
    return function(_, line)
      if line:find(when, 1, true) and client_ref[1] then client_ref[1]:close() end
    end
  end

  it("on the line of a success does not make the blocking call raise", function()
    -- A shape problem: another line, about the same call, follows.
    server.enqueue { status = 200, headers = {}, body = '{"model":{"id":"id"}}' }
    local ref = {}
    local client = helper.client { logger = closing_logger(ref, "HTTP 200 in") }
    ref[1] = client
    local model, meta = client:create_model()
    assert.truthy(model == nil or model.id == "id", tostring(meta))
    assert.truthy(client._closed)
  end)

  it("on the line of a success does not make req:wait() raise", function()
    server.enqueue { status = 200, headers = {}, body = '{"model":{"id":"id"}}' }
    local ref = {}
    local client = helper.client { logger = closing_logger(ref, "HTTP 200 in") }
    ref[1] = client
    local req = assert(client:create_model_async())
    local model, err = req:wait(5)
    assert.truthy(model == nil and err.kind == "cancelled" or model.id == "id", tostring(err))
  end)
end)

describe("random sequences of operations", function()
  before_each(function() server.reset() end)

  -- Model-based: random starts, polls, waits, cancels, collections and a
  -- final close, against answers of random kind and delay. After every
  -- step the client's books must balance, and at the end every request
  -- has ended exactly once, a cancelled one never with a model.
  local function answer(rnd)
    local pick = rnd(4)
    local r
    if pick == 1 then r = { status = 429, headers = { ["Retry-After"] = "0" }, body = "" }
    elseif pick == 2 then r = { status = 500, headers = {}, body = "" }
    else r = replay.fixture("model_example").response end
    r.delay = (rnd(5) - 1) * 0.01
    return r
  end

  local function balanced(client)
    local running, queued, live, inflight = 0, 0, 0, 0
    for r in pairs(client._sched.live) do
      live = live + 1
      if r.state == "running" then
        running = running + 1
        assert.equal(r, client._sched.inflight[r.key])
      end
      if r.state == "queued" then queued = queued + 1 end
      assert.are_not.equal("done", r.state)
    end
    for _ in pairs(client._sched.inflight) do inflight = inflight + 1 end
    assert.equal(running, client._sched.running)
    assert.equal(running, inflight)
    assert.equal(queued, client._sched.nqueued)
    assert.equal(live, client._sched.nlive)
    assert.truthy(client._sched.running <= client.max_concurrent)
    -- a transfer handle for each request on the wire, and for no other
    assert.equal(running, (core.handles(client._handle)))
  end

  for seed = 1, 6 do
    it("keeps its books with seed " .. seed, function()
      local state = seed
      local function rnd(n) -- a small LCG: the same sequence in every Lua
        state = (state * 1103515245 + 12345) % 2147483648
        return state % n + 1
      end
      local answers = {}
      for i = 1, 60 do answers[i] = answer(rnd) end
      server.enqueue(compat.unpack(answers))
      local client = helper.client { max_concurrent = rnd(3), max_retries = 1 }
      local reqs, ended, cancelled = {}, {}, {}
      for _ = 1, 80 do
        local op = rnd(6)
        if op == 1 or #reqs == 0 then
          local i = #reqs + 1
          reqs[i] = assert(client:create_model_async({ name = "r" .. i }, nil, {
            on_done = function() ended[i] = (ended[i] or 0) + 1 end,
          }))
        elseif op == 2 then
          client:poll()
        elseif op == 3 then
          reqs[rnd(#reqs)]:wait(0)
        elseif op == 4 then
          local i = rnd(#reqs)
          if reqs[i]:cancel() then cancelled[i] = true end
        elseif op == 5 then
          collectgarbage()
        else
          core.sleep(0.005)
          client:poll()
        end
        balanced(client)
      end
      for i = 1, #reqs do
        if not reqs[i]:done() then reqs[i]:wait(5) end
        balanced(client)
      end
      client:close()
      for i = 1, #reqs do
        assert.equal(1, ended[i], "request " .. i .. " ended " .. tostring(ended[i]) .. " times")
        local model, err = reqs[i]:result()
        if cancelled[i] then
          assert.is_nil(model)
          assert.equal("cancelled", err.kind)
        else
          assert.truthy(model ~= nil or err ~= nil)
        end
      end
      assert.equal(0, client._sched.running)
    end)
  end
end)

describe("retries without blocking", function()
  before_each(function() server.reset() end)

  it("retries a 429 with Retry-After as a not-before time, never a sleep", function()
    server.enqueue({ status = 429, headers = { ["Retry-After"] = "1" }, body = "" }, "model_example")
    local client = helper.client()
    local t0 = core.now()
    local req = assert(client:create_model_async {})
    local slowest, polls = 0, 0
    while not req:done() do
      local p0 = core.now()
      req:poll()
      slowest = math.max(slowest, core.now() - p0)
      polls = polls + 1
      assert(core.now() - t0 < 5, "gave up waiting")
      core.sleep(0.005)
    end
    local model, meta = req:result()
    assert.equal("id", model.id)
    assert.equal(2, meta.attempts)
    assert.truthy(core.now() - t0 >= 1, "the retry came before Retry-After")
    assert.same({}, client.slept)
    assert.truthy(polls > 50, "polled only " .. polls .. " times")
    assert.truthy(slowest < 0.05, ("a poll took %.1f ms"):format(slowest * 1000))
  end)
end)

describe("scenario.spawn", function()
  before_each(function() server.reset() end)

  -- Steps every task until none runs (10 s at most), with report as
  -- scenario.report_task_error meanwhile, if given.
  local function step_all(report)
    local saved = scenario.report_task_error
    scenario.report_task_error = report or saved
    local deadline = core.now() + 10
    local ok, err = pcall(function()
      while scenario.step() > 0 do
        assert(core.now() < deadline, "gave up waiting")
        core.sleep(0.001)
      end
    end)
    scenario.report_task_error = saved
    assert(ok, err)
  end

  it("lets create_model yield inside a spawned coroutine, driven by scenario.step", function()
    server.enqueue(compat.unpack(delayed(0.2, 2)))
    local client = helper.client()
    local results, frames = {}, 0
    for i = 1, 2 do
      scenario.spawn(function(name)
        local model, err = client:create_model { name = name }
        results[#results + 1] = model and model.id or tostring(err)
      end, "task" .. i)
    end
    while scenario.step() > 0 do
      frames = frames + 1
      assert(frames < 10000, "gave up waiting")
      core.sleep(0.001)
    end
    assert.same({ "id", "id" }, results)
    assert.truthy(frames > 20, "the frames did not go on while the creates ran: " .. frames)
  end)

  it("ends a task that raises, reports it, and keeps the others", function()
    server.enqueue("model_example")
    local client = helper.client()
    local reported = {}
    local bad = scenario.spawn(function() error("task failed") end)
    local good_id
    local good = scenario.spawn(function() good_id = (client:create_model {}).id end)
    step_all(function(task, err) reported[#reported + 1] = { task, err } end)
    assert.equal(1, #reported)
    assert.equal(bad, reported[1][1])
    assert.equal(bad.error, reported[1][2])
    assert.is_true(bad.done)
    assert.is_false(bad.ok)
    assert.truthy(tostring(bad.error):find("task failed", 1, true))
    assert.is_true(good.ok)
    assert.equal("id", good_id)
  end)

  it("keeps what the function returned on the task, nils and all, with their count", function()
    server.enqueue("model_example")
    local client = helper.client()
    local made = scenario.spawn(function(name)
      local model = client:create_model { name = name }
      return model.id, nil, name, nil
    end, "kept")
    local none = scenario.spawn(function() end)
    local bad = scenario.spawn(function() error("no results") end)
    step_all(function() end)
    assert.same({ n = 4, "id", nil, "kept", nil }, made.results)
    assert.same({ n = 0 }, none.results)
    assert.is_nil(bad.results)
  end)

  if _VERSION == "Lua 5.1" and not rawget(_G, "jit") then -- LuaJIT yields across pcall
    it("sends nothing when the first yield fails (across pcall, Lua 5.1)", function()
      local client = helper.client()
      local result
      local task = scenario.spawn(function()
        result = { pcall(client.create_model, client, {}) }
      end)
      step_all()
      assert.is_true(task.ok)
      assert.is_false(result[1])
      assert.truthy(tostring(result[2]):find("yield", 1, true), tostring(result[2]))
      assert.equal(0, #server.requests())
      assert.equal(0, client:poll())
    end)
  end

  it("refuses to be stepped from inside a task", function()
    local task = scenario.spawn(function() scenario.step() end)
    step_all(function() error("a report that raises ends nothing") end)
    assert.is_false(task.ok)
    assert.truthy(tostring(task.error):find("called from inside a spawned task", 1, true))
  end)

  it("yields in a host's own coroutine only when the client asks for it", function()
    server.enqueue("model_example", delayed(0.1)[1])
    local plain = helper.client()
    local co = coroutine.create(function() return (plain:create_model {}).id end)
    local ok, v = coroutine.resume(co) -- blocks, as outside a coroutine
    assert.is_true(ok)
    assert.equal("id", v)
    local yielding = helper.client { yield_in_coroutines = true }
    co = coroutine.create(function() return (yielding:create_model {}).id end)
    local yields = 0
    local deadline = core.now() + 10
    repeat
      assert(core.now() < deadline, "gave up waiting")
      ok, v = coroutine.resume(co)
      assert.is_true(ok, v)
      if coroutine.status(co) == "suspended" then
        yields = yields + 1
        -- Where a yield may fail unannounced (no coroutine.isyieldable),
        -- the first comes before the request exists, and passes nothing.
        if not (yields == 1 and coroutine.isyieldable == nil) then
          assert.equal("scenario.Request", getmetatable(v).__name)
        end
      end
    until coroutine.status(co) == "dead"
    assert.equal("id", v)
    assert.truthy(yields > 0)
  end)
end)
