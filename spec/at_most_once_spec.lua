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
    generate = function(c) return c:generate("model_bfl-flux-1-dev", { prompt = "twice?" }) end,
    generate_txt2img = function(c) return c:generate_txt2img { modelId = "model_x", prompt = "twice?" } end,
    generate_img2img = function(c)
      return c:generate_img2img { modelId = "model_x", prompt = "twice?", image = "asset_x" }
    end,
    upload_asset = function(c) return c:upload_asset { name = "twice.png", image = "iVBORw0KGgo=" } end,
  }

  for _, ep in ipairs(core.endpoints) do
    if not ep.idempotent then
      it(ep.name .. " reaches the server once when its reused connection dies after the body", function()
        local call = assert(calls[ep.name], "no call for " .. ep.name)
        server.enqueue("model_example", DROP)
        local client = helper.client()
        assert(client:get_model("model_warm")) -- a first exchange keeps the connection alive
        local before = 1 -- the warm exchange
        if ep.name == "generate" then -- it reads the model's inputs first, on the same connection
          server.enqueue(replay.answer("live_get_flux1_base", { endpoint = "get_model" }))
          before = 2
        end
        local result, err = call(client)
        assert.is_nil(result)
        assert.equal("connection", err.kind)
        assert.is_true(err.sent)
        assert.equal(1, err.attempts)
        local reqs = server.requests()
        assert.equal(before + 1, #reqs)
        assert.equal(ep.name, reqs[#reqs].endpoint)
        assert.equal(reqs[1].connection, reqs[#reqs].connection)
      end)
    end
  end

  it("are the ones with a call above", function()
    local n = 0
    for _, ep in ipairs(core.endpoints) do
      if not ep.idempotent then n = n + 1 end
    end
    assert.equal(7, n)
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

-- client:request, the raw call: its method alone decides. POST and PATCH
-- are sent at most once, as create_model is, over the same hostile
-- servers; GET, PUT and DELETE may be sent again. Each call goes on a
-- connection a first exchange kept alive, to a path outside the table.
local RAW_PATH = "/collections/c1"
local RAW_BODY = { name = "once" }
local RAW_SENT = '{"name":"once"}'
local RST = { raw = "", reset = true } -- read the request, answer nothing, reset
-- A 500 cut off in its body: a status the policy retries, for PUT.
local HALF_500 = { chunks = { { data = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
  .. "Content-Length: 100\r\n\r\n{\"status\":\"error\"," } } }

local raw_blocking = function(client, method, opts) return client:request(method, RAW_PATH, opts) end
local raw_async = function(client, method, opts)
  local req = assert(client:request_async(method, RAW_PATH, opts))
  return req:wait(10)
end

-- A raw call after a first exchange, its own request answered by
-- `answer`, then by a model for any start again; max_retries = 2 unless
-- opts says otherwise. Returns the result, the error or meta, what the
-- server received and the client (its sleeps in client.slept).
local function raw_after_warm(answer, opts, call, method, call_opts)
  server.reset()
  server.enqueue("model_example", answer, "model_example", "model_example")
  local o = { max_retries = 2 }
  for k, v in pairs(opts or {}) do o[k] = v end
  local client = helper.client(o)
  assert(client:get_model("model_warm")) -- a first exchange keeps the connection alive
  local result, err = call(client, method, call_opts)
  return result, err, server.requests(), client
end

-- What a raw call sent once and lost reports, and the server saw of it.
local function lost_once(method, result, err, reqs, client)
  assert.is_nil(result)
  assert.equal("connection", err.kind)
  assert.is_true(err.sent)
  assert.equal(1, err.attempts)
  assert.equal(method, err.method)
  assert.equal(2, #reqs)
  assert.equal(method, reqs[2].method)
  assert.equal("/v1" .. RAW_PATH, reqs[2].path)
  assert.is_nil(reqs[2].endpoint) -- a raw call: no endpoint of the table
  assert.equal(1, bodies(reqs)[RAW_SENT])
  assert.equal(reqs[1].connection, reqs[2].connection)
  assert.same({}, client.slept) -- no backoff: the policy did not try again
end

for _, method in ipairs { "POST", "PATCH" } do
  for _, case in ipairs { { "request", raw_blocking }, { "request_async", raw_async } } do
    local name, call = case[1], case[2]

    describe(("a raw %s (client:%s) on a reused connection"):format(method, name), function()
      it("that dies after the body reaches the server once, even with max_retries = 2", function()
        local result, err, reqs, client = raw_after_warm(DROP, nil, call, method, { body = RAW_BODY })
        lost_once(method, result, err, reqs, client)
        assert.equal(core.features.forbid_retry_on_reuse and 56 or 65, err.curl_code)
        assert.truthy(err.message:find("not sent again", 1, true) or core.features.forbid_retry_on_reuse,
          err.message)
      end)

      it("reset after the body reaches the server once", function()
        local result, err, reqs, client = raw_after_warm(RST, nil, call, method, { body = RAW_BODY })
        lost_once(method, result, err, reqs, client)
      end)

      it("cut off in a 500's body reaches the server once: a status PUT would retry", function()
        local result, err, reqs, client = raw_after_warm(HALF_500, nil, call, method, { body = RAW_BODY })
        lost_once(method, result, err, reqs, client)
        assert.equal(500, err.status)
      end)

      it("that dies after the body is sent again by the client itself with retry_unsafe", function()
        local result, meta, reqs, client = raw_after_warm(DROP, { retry_unsafe = true }, call, method,
          { body = RAW_BODY })
        assert.equal("id", assert(result, tostring(meta)).model.id)
        assert.equal(2, meta.attempts)
        assert.equal(3, #reqs)
        assert.equal(2, bodies(reqs)[RAW_SENT])
        assert.equal(1, #client.slept) -- the policy's backoff, not libcurl's start again
      end)
    end)
  end
end

describe("a raw call's method, not its path or body, decides whether it is sent again", function()
  for _, case in ipairs { { "PUT", { body = RAW_BODY } }, { "DELETE" }, { "GET" } } do
    local method, call_opts = case[1], case[2]
    it(method .. " on a reused connection that dies after the request is sent again by libcurl, "
      .. "on a fresh connection", function()
      local result, meta, reqs = raw_after_warm(DROP, nil, raw_blocking, method, call_opts)
      assert.equal("id", assert(result, tostring(meta)).model.id)
      assert.equal(1, meta.attempts) -- libcurl's own start again, within the attempt
      assert.equal(3, #reqs)
      assert.equal(method, reqs[2].method)
      assert.equal(method, reqs[3].method)
      assert.equal(reqs[2].target, reqs[3].target)
      assert.equal(reqs[2].body, reqs[3].body)
      assert.equal(reqs[1].connection, reqs[2].connection)
      assert.are_not.equal(reqs[2].connection, reqs[3].connection)
    end)
  end

  -- Without a body, libcurl sends an idempotent request again by itself
  -- (never a POST or PATCH: see the case at the end), so only the policy
  -- tells GET and DELETE apart.
  for _, case in ipairs { { "PUT", { body = RAW_BODY } }, { "DELETE" }, { "GET" } } do
    local method, call_opts = case[1], case[2]
    it(method .. " cut off in a 500's body is tried again by the policy, after a backoff", function()
      local result, meta, reqs, client = raw_after_warm(HALF_500, nil, raw_blocking, method, call_opts)
      assert.equal("id", assert(result, tostring(meta)).model.id)
      assert.equal(2, meta.attempts)
      assert.equal(3, #reqs)
      assert.equal(reqs[2].target, reqs[3].target)
      assert.equal(reqs[2].body, reqs[3].body)
      assert.equal(1, #client.slept)
    end)
  end
end)

describe("a raw call that is not idempotent, of which nothing was sent", function()
  before_each(function() server.reset() end)

  local answer_body = '{"id":"c1"}'
  local answer = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
    .. #answer_body .. "\r\n\r\n" .. answer_body

  -- A first call answered with `first`, then a second call on the same
  -- client: it must find the first connection unusable before it writes.
  local function second_after(first, method)
    server.enqueue(first, "model_example")
    local client = helper.client { max_retries = 2 }
    assert(client:request(method, RAW_PATH, { body = { name = "first" } }))
    socket.sleep(0.05) -- the server's close, or its stray bytes, reach the client
    local result, meta = client:request(method, RAW_PATH, { body = RAW_BODY })
    local reqs = server.requests()
    assert.equal("id", assert(result, tostring(meta)).model.id)
    assert.equal(1, meta.attempts)
    assert.same({}, client.slept)
    assert.equal(2, #reqs)
    assert.equal(1, bodies(reqs)[RAW_SENT])
    assert.are_not.equal(reqs[1].connection, reqs[2].connection)
    assert.equal(2, server.stats().connections)
    return meta
  end

  for _, method in ipairs { "POST", "PATCH" } do
    it(method .. " goes on a fresh connection when the server closed the kept-alive one, as it said", function()
      local closing = replay.fixture("model_example").response
      closing.close = true
      second_after(closing, method)
    end)

    it(method .. " goes on a fresh connection when the server closed the kept-alive one unannounced", function()
      second_after({ raw = answer }, method) -- raw: closed once written
    end)

    it(method .. " goes on a fresh connection when the kept-alive one holds a stray 408", function()
      -- Some servers send one before they close an idle connection: the
      -- second call must neither take it for its answer nor write.
      local meta = second_after({ chunks = { { data = answer },
        { delay = 0.01, data = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n" },
        { delay = 5 } } }, method) -- then the connection stays open
      assert.equal(200, meta.status)
    end)
  end
end)

-- A raw POST or PATCH without a body goes with Content-Length: 0: no
-- byte of a body is ever handed over, so there is nothing to refuse the
-- rewind of, and libcurl 7.88.1 sends the request again by itself on a
-- fresh connection when the reused one dies after it (the server got it
-- twice, and the call succeeded in 1 attempt). The transport stops that
-- second start in on_prereq.
describe("a raw call that is not idempotent, without a body", function()
  for _, method in ipairs { "POST", "PATCH" } do
    it(method .. " on a reused connection that dies after the request reaches the server once", function()
      local result, err, reqs, client = raw_after_warm(DROP, nil, raw_blocking, method, nil)
      local n = 0
      for _, r in ipairs(reqs) do
        if r.method == method then n = n + 1 end
      end
      assert.equal(1, n)
      assert.is_nil(result)
      assert.equal("connection", err.kind)
      assert.is_true(err.sent)
      assert.equal(1, err.attempts)
      assert.same({}, client.slept)
    end)
  end
end)
