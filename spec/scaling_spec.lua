-- The request machine at scale (lua/scenario/client.lua): a queued
-- request holds no transfer handle, a round visits only the transfers
-- that progressed, and results come in the order the transfers ended.
-- Counted, not timed.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local core = require "scenario.core"

local server
before_each(function()
  server = replay.server()
  server.reset()
end)

local function answer(delay) return replay.answer("get_model", { delay = delay }) end

describe("a queued request", function()
  it("holds no transfer handle until it gets a slot, and gives it back when done", function()
    local c = helper.client { max_concurrent = 2 }
    for _ = 1, 40 do server.enqueue(answer(0.05)) end
    local reqs = {}
    for i = 1, 40 do reqs[i] = assert(c:get_model_async("m" .. i)) end
    local attached, pooled = core.handles(c._handle)
    assert.equal(2, attached) -- the two on the wire; 38 queued hold none
    assert.equal(38, c._sched.nqueued)
    assert.is_true(pooled <= 1, pooled)
    local most = 0
    local deadline = core.now() + 10
    while c:poll() > 0 do
      assert(core.now() < deadline, "gave up waiting")
      most = math.max(most, (core.handles(c._handle)))
      core.sleep(0.002)
    end
    assert.equal(2, most)
    attached, pooled = core.handles(c._handle)
    assert.equal(0, attached)
    assert.is_true(pooled >= 1 and pooled <= 2, pooled) -- reused, not one per request
    for _, r in ipairs(reqs) do assert.is_table((r:result())) end
  end)

  it("is made without a round once every slot is taken: a burst does not ask libcurl once a request", function()
    local performs = 0
    local counting = helper.watching(core, "perform", function() performs = performs + 1 end)
    local c = helper.client { max_concurrent = 2, transport = counting }
    for _ = 1, 40 do server.enqueue(answer(0.05)) end
    local reqs = {}
    for i = 1, 40 do reqs[i] = assert(c:get_model_async("m" .. i)) end
    -- the first two start at once (a round each); the 38 behind them wait
    -- for the next poll, which has to run a round anyway
    assert.equal(2, performs)
    assert.equal(38, c._sched.nqueued)
    for _, r in ipairs(reqs) do assert.is_table((r:wait(10))) end -- a request left unstarted fails, not hangs
  end)

  it("waiting out a backoff holds none either", function()
    local c = helper.client { max_retries = 1, sleep = function() end }
    server.enqueue({ status = 503, headers = {}, body = "" }, answer())
    local req = assert(c:get_model_async("m1"))
    local deadline = core.now() + 10
    while req.state ~= "backoff" do
      assert(core.now() < deadline, "gave up waiting")
      c:poll()
      core.sleep(0.001)
    end
    assert.equal(0, (core.handles(c._handle)))
    assert.is_table((req:wait(10)))
  end)
end)

describe("connections", function()
  it("a burst keeps one connection a slot for the next, not libcurl's four a transfer still running", function()
    local c = helper.client { max_concurrent = 8 }
    local stats0 = server.stats().connections
    for _ = 1, 3 do
      -- they end one by one, so that at the end few transfers are running
      for i = 1, 8 do server.enqueue(answer(0.03 * i)) end
      local reqs = {}
      for i = 1, 8 do reqs[i] = assert(c:get_model_async("m" .. i)) end
      for _, r in ipairs(reqs) do assert.is_table((r:wait(10))) end
    end
    -- both sides: libcurl's sockets, and the connections the server accepted
    assert.equal(8, select(3, core.handles(c._handle)))
    assert.equal(8, server.stats().connections - stats0)
  end)
end)

describe("libcurl", function()
  -- A round hands libcurl the sockets that are ready, and no other
  -- (csrc/rounds.c): curl_multi_perform asked every transfer on the wire,
  -- with a poll() each, whatever had moved. (Over HTTP/1.1 only; see
  -- spec/http2_spec.lua.) The answers wait 3 s, so that the 20 rounds
  -- below come before any on a slow machine.
  it("hears of no socket in a round in which nothing arrived, however many transfers wait", function()
    local c = helper.client { max_concurrent = 50 }
    for _ = 1, 50 do server.enqueue(answer(3)) end
    local reqs = {}
    for i = 1, 50 do reqs[i] = assert(c:get_model_async("m" .. i)) end
    local deadline = core.now() + 10
    while #server.requests() < 50 and core.now() < deadline do
      c:poll()
      core.sleep(0.005)
    end
    assert.equal(50, #server.requests()) -- every request is on the wire, none answered
    local handed = select(4, core.handles(c._handle))
    for _ = 1, 20 do
      c:poll()
      core.sleep(0.005)
    end
    assert.equal(handed, select(4, core.handles(c._handle)))
    for _, r in ipairs(reqs) do assert.is_table((r:wait(10))) end
    -- and then the 50 answers: a socket or two each, not 50 a round
    local per = (select(4, core.handles(c._handle)) - handed) / 50
    assert.is_true(per >= 1 and per <= 4, per)
  end)
end)

describe("a wait with every slot taken", function()
  -- Queued requests and due backoffs cannot go out until a transfer ends,
  -- and an ending transfer wakes the network wait: a round that did not
  -- wait for it would spin, at full CPU, for as long as the answers take.
  local function perform_waits(c, reqs)
    local waits = {}
    local orig = c._transport
    c._transport = helper.watching(orig, "perform", function(_, wait)
      if c._sched.running >= c.max_concurrent then waits[#waits + 1] = wait or 0 end
    end)
    for _, r in ipairs(reqs) do assert.is_table((r:wait(10))) end
    return waits
  end

  -- A round that filled the slot a transfer freed moves it without
  -- waiting (the wait was reckoned while the slot was free): at most one
  -- such round a request. A spin makes thousands.
  local function assert_no_spin(waits, requests)
    local zero = 0
    for _, w in ipairs(waits) do
      if w == 0 then zero = zero + 1 end
    end
    assert.is_true(#waits > zero, "no round waited for the network")
    assert.is_true(zero <= requests, ("%d of %d rounds with every slot taken did not wait"):format(zero, #waits))
  end

  it("blocks in the network while requests are queued, never polls in a spin", function()
    local c = helper.client { max_concurrent = 2 }
    for _ = 1, 8 do server.enqueue(answer(0.1)) end
    local reqs = {}
    for i = 1, 8 do reqs[i] = assert(c:get_model_async("m" .. i)) end
    assert.equal(6, c._sched.nqueued)
    assert_no_spin(perform_waits(c, reqs), #reqs)
  end)

  it("and while a backoff is due", function()
    local c = helper.client { max_concurrent = 1, max_retries = 1, sleep = function() end }
    -- the first answer is a 503 at once, so its retry is due while the
    -- second request holds the only slot for 0.3 s
    server.enqueue({ status = 503, headers = {}, body = "" }, answer(0.3), answer())
    local first = assert(c:get_model_async("m1"))
    local deadline = core.now() + 10
    while first.state ~= "backoff" do
      assert(core.now() < deadline, "gave up waiting")
      c:poll()
      core.sleep(0.001)
    end
    local second = assert(c:get_model_async("m2"))
    core.sleep(0.6) -- past any backoff: the retry is due, and no slot is free
    assert_no_spin(perform_waits(c, { second, first }), 2)
  end)
end)

describe("a round", function()
  it("visits only the transfers that progressed, however many are pending", function()
    local asked = 0
    local counting = helper.watching(core, "state", function() asked = asked + 1 end)
    local c = helper.client { max_concurrent = 300, transport = counting }
    local ended = 0
    for _ = 1, 200 do server.enqueue(answer(0.4)) end
    asked = 0
    for i = 1, 200 do
      assert(c:get_model_async("m" .. i, nil, { on_done = function() ended = ended + 1 end }))
    end
    -- 200 on the wire: each round asks about the transfers that ended in
    -- it and about no other, however many are still pending
    assert.equal(ended, asked)
    local rounds = 0
    local deadline = core.now() + 10
    while c:poll() > 0 do
      assert(core.now() < deadline, "gave up waiting")
      rounds = rounds + 1
      assert.equal(ended, asked) -- a round in which none ended asked about none
      core.sleep(0.002)
    end
    assert.equal(200, ended)
    assert.equal(200, asked)
    assert.is_true(rounds > 0)
  end)

  it("hands results over in the order the transfers ended", function()
    local c = helper.client { max_concurrent = 8 }
    local order = {}
    -- each request takes the next answer as it arrives; the delays make the
    -- first to arrive the last to end
    server.enqueue(answer(0.6), answer(0.2), answer(0.4))
    for i = 1, 3 do
      assert(c:get_model_async("m" .. i, nil, { on_done = function() order[#order + 1] = i end }))
      -- one at a time onto the wire, so that they reach the server in order
      local deadline = core.now() + 10
      while #server.requests() < i do
        assert(core.now() < deadline, "gave up waiting")
        c:poll()
        core.sleep(0.001)
      end
    end
    local deadline = core.now() + 10
    while c:poll() > 0 do
      assert(core.now() < deadline, "gave up waiting")
      core.sleep(0.005)
    end
    assert.same({ 2, 3, 1 }, order)
  end)
end)
