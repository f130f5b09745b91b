-- A create is sent at most once (csrc/transport.c): libcurl sends a
-- request again by itself when a reused connection dies before any
-- answer, and the server must never see one create twice behind the
-- retry policy's back. The replay server here reads the whole request
-- and then drops the connection without a byte of answer: the case
-- libcurl re-sends.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local core = require "scenario.core"
local socket = require "socket"

local server = replay.server()

local DROP = { raw = "" } -- read the request, answer nothing, close

-- Two creates on one client: the first answered on a kept-alive
-- connection, the second read whole and then dropped.
local function second_dropped(opts, call)
  server.reset()
  server.enqueue("model_example", DROP, "model_example")
  local client = helper.client(opts)
  assert(client:create_model { name = "first" })
  local model, err = call(client, { name = "second" })
  return model, err, server.requests()
end

local function bodies(reqs)
  local n = {}
  for _, r in ipairs(reqs) do n[r.body] = (n[r.body] or 0) + 1 end
  return n
end

local blocking = function(client, body) return client:create_model(body) end
local async = function(client, body)
  local req = assert(client:create_model_async(body))
  return req:wait(10)
end

for _, case in ipairs { { "create_model", blocking }, { "create_model_async", async } } do
  local name, call = case[1], case[2]

  describe(name .. " on a reused connection that dies after the body", function()
    it("reaches the server once and reports a lost connection, sent, 1 attempt", function()
      local model, err, reqs = second_dropped(nil, call)
      assert.is_nil(model)
      assert.equal("connection", err.kind)
      assert.is_true(err.sent)
      assert.equal(1, err.attempts)
      assert.equal(core.features.forbid_retry_on_reuse and 56 or 65, err.curl_code)
      assert.truthy(err.message:find("not sent again", 1, true) or core.features.forbid_retry_on_reuse,
        err.message)
      assert.equal(2, #reqs)
      assert.equal(1, bodies(reqs)['{"name":"second"}'])
      -- the first went out on a kept-alive connection that the second reused
      assert.equal(reqs[1].connection, reqs[2].connection)
    end)

    it("is sent again by the client itself with retry_unsafe, and says so", function()
      local model, meta, reqs = second_dropped({ retry_unsafe = true }, call)
      assert.equal("id", model.id)
      assert.equal(2, meta.attempts)
      assert.equal(3, #reqs)
      assert.equal(2, bodies(reqs)['{"name":"second"}'])
    end)
  end)
end

describe("a create", function()
  before_each(function() server.reset() end)

  it("keeps one TCP connection for 1,000 creates in a row", function()
    local answer = replay.fixture("model_realistic").response
    answer.sticky = true -- every request from here on
    server.enqueue(answer)
    local client = helper.client()
    for i = 1, 1000 do
      local model, meta = client:create_model { name = "n" }
      assert(model, meta)
      assert.equal(1, meta.attempts, "create " .. i)
    end
    assert.equal(1000, #server.requests())
    assert.equal(1, server.stats().connections)
  end)

  it("does not reuse a connection idle for 3 s or more", function()
    server.enqueue("model_example", "model_example", "model_example")
    local client = helper.client()
    assert(client:create_model())
    assert(client:create_model())
    assert.equal(1, server.stats().connections)
    socket.sleep(3.1)
    assert(client:create_model())
    assert.equal(2, server.stats().connections)
    local reqs = server.requests()
    assert.equal(reqs[1].connection, reqs[2].connection)
    assert.are_not.equal(reqs[2].connection, reqs[3].connection)
  end)

  it("is sent again by libcurl only when no byte of it was written", function()
    -- The server closes the kept-alive connection while it is idle; the
    -- next create finds it dead when it writes, before the server could
    -- read anything. That start again is libcurl's, and safe.
    local closing = replay.fixture("model_example").response
    closing.close = true
    server.enqueue(closing, "model_example")
    local client = helper.client()
    assert(client:create_model { name = "first" })
    local model, meta = client:create_model { name = "second" }
    assert.equal("id", model.id)
    assert.equal(1, meta.attempts)
    local n = bodies(server.requests())
    assert.equal(1, n['{"name":"second"}'])
  end)
end)

describe("the libcurl features", function()
  it("say whether CURLOPT_FORBID_RETRY_ON_REUSE is used, from the libcurl loaded", function()
    local major, minor = core.curl_version:match("^(%d+)%.(%d+)")
    local has = tonumber(major) > 8 or (tonumber(major) == 8 and tonumber(minor) >= 16)
    assert.equal(has, core.features.forbid_retry_on_reuse)
  end)
end)

describe("every endpoint that is not idempotent", function()
  before_each(function() server.reset() end)

  -- A call of each, with a body, on a connection a first call kept alive.
  local calls = {
    create_model = function(c) return c:create_model { name = "twice?" } end,
    train_model = function(c) return c:train_model("model_x", { parameters = { rank = 8 } }) end,
    add_training_images = function(c) return c:add_training_images("model_x", { assetId = "asset_x" }) end,
  }

  for _, ep in ipairs(core.endpoints) do
    if not ep.idempotent then
      it(ep.name .. " reaches the server once when its reused connection dies after the body", function()
        local call = assert(calls[ep.name], "no call for " .. ep.name)
        server.enqueue("model_example", DROP)
        local client = helper.client()
        assert(client:get_model("model_warm")) -- a first exchange keeps the connection alive
        local result, err = call(client)
        assert.is_nil(result)
        assert.equal("connection", err.kind)
        assert.is_true(err.sent)
        assert.equal(1, err.attempts)
        local reqs = server.requests()
        assert.equal(2, #reqs)
        assert.equal(ep.name, reqs[2].endpoint)
        assert.equal(reqs[1].connection, reqs[2].connection)
      end)
    end
  end

  it("are the ones with a call above", function()
    local n = 0
    for _, ep in ipairs(core.endpoints) do
      if not ep.idempotent then n = n + 1 end
    end
    assert.equal(3, n)
  end)

  it("leave idempotent ones as libcurl sends them: again on a fresh connection, harmlessly", function()
    server.enqueue("model_example", DROP, "model_example")
    local client = helper.client()
    assert(client:get_model("model_warm"))
    local model, meta = client:update_model("model_x", { name = "again" })
    assert.equal("id", model.id)
    assert.equal(1, meta.attempts) -- libcurl's own start again, within the attempt
    local reqs = server.requests()
    assert.equal(3, #reqs)
    assert.equal(reqs[2].body, reqs[3].body)
    assert.are_not.equal(reqs[2].connection, reqs[3].connection)
  end)
end)
