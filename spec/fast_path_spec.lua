-- What a call that uses no feature still pays for, counted (never timed):
-- a blocking call with nothing in flight makes no request object and no
-- headers table until they are read, and an idle client:poll() asks
-- libcurl nothing and allocates nothing. The benchmarks (make bench) time
-- the same paths; these specs keep them from growing back unseen.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local core = require "scenario.core"
local Request = require "scenario.request"

local N = 100 -- calls per measurement

local server
before_each(function()
  server = replay.server()
  server.reset()
end)

local allocated = helper.allocated

-- Polls c until done() holds (by default: until nothing is unfinished),
-- for at most 10 s; what names what did not happen.
local function poll_until(c, what, done)
  local deadline = core.now() + 10
  while true do
    local left = c:poll()
    if done and done() or not done and left == 0 then return end
    assert(core.now() < deadline, what)
    core.sleep(0.001)
  end
end

-- Counts the calls of Request.new and Request.reset while fn runs.
local function requests_made(fn)
  local new, reset = Request.new, Request.reset
  local made = 0
  Request.new = function(...) made = made + 1; return new(...) end
  Request.reset = function(...) made = made + 1; return reset(...) end
  local ok, err = pcall(fn)
  Request.new, Request.reset = new, reset
  assert(ok, err)
  return made
end

describe("a blocking call with nothing in flight", function()
  for _, case in ipairs {
    { name = "get_model", fixture = "get_model", call = function(c) return c:get_model("m1") end },
    { name = "create_model", fixture = "model_realistic",
      call = function(c) return c:create_model({ name = "n", type = "flux.1-lora" }) end },
  } do
    it(case.name .. " makes no request object: the one of the last direct call is used again", function()
      server.enqueue(replay.answer(case.fixture, { sticky = true }))
      local c = helper.client {}
      assert(case.call(c)) -- the first makes it
      local req = c._sched.direct_req
      assert.is_table(req)
      local made = requests_made(function()
        for _ = 1, N do assert(case.call(c)) end
      end)
      assert.equal(0, made)
      assert.equal(req, c._sched.direct_req)
      c:close()
    end)

    it(case.name .. " makes its meta's headers only when they are read", function()
      server.enqueue(replay.answer(case.fixture, { sticky = true }))
      local c = helper.client {}
      assert(case.call(c))
      local metas, headers = {}, {}
      for i = 1, N do
        metas[i] = select(2, assert(case.call(c)))
        headers[i] = false -- its slots made before the count
      end
      for _, meta in ipairs(metas) do assert.is_nil(rawget(meta, "headers")) end
      -- The first read makes the table (and its strings); were it made by
      -- the call, reading would make nothing.
      local read = allocated(function()
        for i = 1, N do headers[i] = metas[i].headers end
      end)
      assert.is_true(read / N >= allocated(function() return {} end), ("read %.0f B a call"):format(read / N))
      for i = 1, N do assert.equal(headers[i], metas[i].headers) end -- made once
      assert.is_string(headers[1]["content-type"])
      c:close()
    end)
  end

  it("allocates what it returns and not a request's worth more", function()
    server.enqueue(replay.answer("get_model", { sticky = true }))
    local c = helper.client {}
    local _, meta = assert(c:get_model("m1"))
    local body = meta.body
    local per_call = allocated(function()
      for _ = 1, N do c:get_model("m1") end
    end) / N
    -- What the call hands back: the model as core.decode makes it, and
    -- meta.body, a string of its own each call.
    local returned = allocated(function()
      for _ = 1, N do
        core.decode("get_model", body)
        local _ = ("x"):rep(#body)
      end
    end) / N
    -- What a request object costs, made the way a non-direct call makes it.
    local one_request = allocated(function() Request.new(c, c.endpoints.get_model, false) end)
    assert.is_true(one_request > 0)
    -- Beyond what it returns, a call keeps its meta table and the header
    -- lines (read lazily): less than one request object.
    assert.is_true(per_call - returned < one_request,
      ("a call allocates %.0f B, %.0f B beyond what it returns; a request object is %.0f B"):format(
        per_call, per_call - returned, one_request))
    c:close()
  end)
end)

describe("client:poll() with nothing in flight", function()
  it("asks libcurl nothing and allocates nothing", function()
    local performs = 0
    local counting = helper.watching(core, "perform", function() performs = performs + 1 end)
    local c = helper.client { transport = counting }
    assert.equal(0, c:poll())
    local results = {}
    for i = 1, 10 * N do results[i] = false end -- its slots made before the count
    local grew = allocated(function()
      -- no assertion in the loop: luassert's would allocate
      for i = 1, 10 * N do results[i] = c:poll() end
    end)
    for i = 1, 10 * N do assert.equal(0, results[i]) end
    assert.equal(0, performs)
    assert.equal(0, grew)
    -- Nor runs a round, a drain or any other function: each poll is one
    -- call, its own.
    local calls, sethook = 0, debug.sethook
    collectgarbage("collect")
    collectgarbage("stop") -- no finaliser of an earlier spec's objects in the count
    sethook(function() calls = calls + 1 end, "c")
    for i = 1, N do results[i] = c:poll() end
    sethook()
    collectgarbage("restart")
    assert.is_true(calls <= N + 1, ("%d function calls in %d polls"):format(calls, N)) -- + the sethook that ends it
    assert.is_true(calls >= N) -- the hook saw the polls
    c:close()
  end)

  it("after an idle poll, still drives a request that starts next", function()
    server.enqueue(replay.answer("get_model", { sticky = true }))
    local c = helper.client {}
    assert.equal(0, c:poll())
    local req = assert(c:get_model_async("m1"))
    poll_until(c, "the request was not driven")
    assert.is_true(req:done())
    assert.is_table((req:result()))
    assert.equal(0, c:poll())
    c:close()
  end)

  it("runs the on_done of a request whose result came in a blocking call, and what it starts", function()
    server.enqueue(replay.answer("get_model", { sticky = true }))
    local c = helper.client {}
    assert.equal(0, c:poll())
    local done, second = 0, nil
    assert(c:get_model_async("m1", nil, { on_done = function()
      done = done + 1
      second = assert(c:get_model_async("m2", nil, { on_done = function() done = done + 1 end }))
    end }))
    assert(c:get_model("m3")) -- the machine runs it; its on_done waits for a drain
    poll_until(c, "an on_done did not run", function() return done == 2 end)
    assert.is_true(second:done())
    assert.equal(0, c:poll())
    c:close()
  end)

  it("after an idle poll, still delivers a line owed to the logger", function()
    -- A call refused before it is sent queues its log line (defer) for
    -- the next drain: the poll after it must run one.
    local lines = {}
    local c = helper.client { logger = function(_, line) lines[#lines + 1] = line end }
    assert.equal(0, c:poll())
    assert.is_nil(c:get_model_async(42))
    assert.equal(0, #lines) -- not from inside the call
    assert.equal(0, c:poll())
    assert.equal(1, #lines)
    assert.matches("not sent", lines[1])
    c:close()
  end)

  it("after an idle poll, still steps a training wait that starts next", function()
    server.enqueue(replay.answer("get_model", { sticky = true }))
    local c = helper.client {}
    assert.equal(0, c:poll())
    local w = assert(c:wait_for_training_async("m1", { interval = 0.01, timeout = 10 }))
    poll_until(c, "the wait was not stepped")
    assert.is_true(w:done())
    c:close()
  end)

  it("is a client's still when a finaliser reaches the client", function()
    -- The collector takes an object it finalises out of weak values
    -- first, and the table poll checks its receiver by is one: poll must
    -- not read a missing entry as a closed client.
    local got
    do
      local c = helper.client {}
      local function finalise()
        local ok, n = pcall(c.poll, c)
        got = { ok, n, (pcall(c.poll, c)) } -- and again, as it is now
        c:close()
      end
      if newproxy then -- 5.1 and LuaJIT: tables have no __gc
        getmetatable(newproxy(true)).__gc = finalise
      else
        setmetatable({}, { __gc = finalise })
      end
    end
    for _ = 1, 10 do
      collectgarbage("collect")
      if got then break end
    end
    assert.is_table(got, "the finaliser did not run")
    assert.same({ true, 0, true }, got)
  end)

  it("still refuses what is not an open client", function()
    local c = helper.client {}
    assert.has_error(function() c.poll({}) end,
      "bad argument #1 to 'poll' (scenario client expected, got table; call it as client:poll(...))")
    assert.has_error(function() c.poll(42) end)
    c:close()
    assert.has_error(function() c:poll() end, "bad argument #1 to 'poll' (the client is closed)")
  end)
end)
