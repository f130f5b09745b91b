-- The retry policy (lua/scenario/retry.lua) as a create sees it, and the
-- backoff arithmetic.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local replay = require "spec.support.replay"
local retry = require "scenario.retry"

local server = replay.server()

local function run(responses, opts)
  server.reset()
  server.enqueue(compat.unpack(responses))
  local client = helper.client(opts)
  local model, err_or_meta = client:create_model { name = "retry me" }
  return model, err_or_meta, client.slept, #server.requests()
end

local function inline(status, headers)
  return { status = status, headers = headers or {}, body = "" }
end

describe("a create", function()
  it("is retried after 429, honouring Retry-After", function()
    local model, meta, slept, sent = run { "error_429_retry_after", "model_example" }
    assert.is_table(model)
    assert.equal(2, meta.attempts)
    -- The rest of the not-before time: the delay, less the microseconds
    -- between deciding it and sleeping.
    assert.equal(1, #slept)
    assert.near(2, slept[1], 0.05)
    assert.equal(2, sent)
  end)

  it("stops a 429 storm at max_retries and says how many attempts it made", function()
    local storm = {}
    for i = 1, 6 do storm[i] = "error_429_retry_after" end
    local model, err, slept, sent = run(storm, { max_retries = 3 })
    assert.is_nil(model)
    assert.equal("rate_limit", err.kind)
    assert.equal(4, err.attempts)
    assert.equal(4, sent)
    assert.equal(3, #slept)
  end)

  it("is retried twice by default", function()
    local model, err, _, sent = run { "error_429_retry_after", "error_429_retry_after",
      "error_429_retry_after", "model_example" }
    assert.is_nil(model)
    assert.equal(3, err.attempts)
    assert.equal(3, sent)
  end)

  it("does not sleep through a Retry-After beyond the cap, and reports it", function()
    local model, err, slept, sent = run { inline(429, { ["Retry-After"] = "3600" }), "model_example" }
    assert.is_nil(model)
    assert.equal(3600, err.retry_after)
    assert.same({}, slept)
    assert.equal(1, sent)
  end)

  it("honours a longer Retry-After when max_retry_after allows it", function()
    local model, _, slept = run({ inline(429, { ["Retry-After"] = "90" }), "model_example" },
      { max_retry_after = 120 })
    assert.is_table(model)
    assert.equal(1, #slept)
    assert.near(90, slept[1], 0.05)
  end)

  it("is not retried on a plan ceiling (QUOTA_EXCEEDED)", function()
    local model, err, _, sent = run { "error_429_quota", "model_example" }
    assert.is_nil(model)
    assert.equal("QUOTA_EXCEEDED", err.code)
    assert.equal(1, sent)
  end)

  it("is retried after 408", function()
    local model, meta = run { inline(408), "model_example" }
    assert.is_table(model)
    assert.equal(2, meta.attempts)
  end)

  it("is not retried after 5xx, since the model may exist", function()
    for _, fx in ipairs { "error_500", "error_502_html" } do
      local model, err, _, sent = run { fx, "model_example" }
      assert.is_nil(model)
      assert.equal("server", err.kind)
      assert.equal(1, sent)
    end
  end)

  it("is retried after 5xx with retry_unsafe", function()
    local model, meta, slept = run({ "error_500", "error_502_html", "model_example" },
      { retry_unsafe = true })
    assert.is_table(model)
    assert.equal(3, meta.attempts)
    assert.equal(2, #slept)
  end)

  it("is not retried after a timeout, unless retry_unsafe", function()
    local slow = replay.fixture("model_example").response
    slow.delay = 2
    local model, err, _, sent = run({ slow, "model_example" }, { timeout = 0.2 })
    assert.is_nil(model)
    assert.equal("timeout", err.kind)
    assert.equal(1, sent)
    local model2, meta = run({ slow, "model_example" }, { timeout = 0.2, retry_unsafe = true })
    assert.is_table(model2)
    assert.equal(2, meta.attempts)
  end)

  it("is not retried after a connection lost once the request was sent", function()
    local model, err, _, sent = run { { raw = "" }, "model_example" }
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    assert.equal(1, sent)
  end)

  it("is retried after a connection that failed before sending", function()
    local client = helper.client { base_url = "http://127.0.0.1:1/v1" }
    local model, err = client:create_model()
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    assert.equal(3, err.attempts)
    assert.equal(2, #client.slept)
  end)

  it("is never retried for other client errors", function()
    for _, fx in ipairs { "error_400_status_code_message", "error_401", "error_403_amzn", "error_404" } do
      local model, err, slept, sent = run { fx, "model_example" }
      assert.is_nil(model)
      assert.equal(1, err.attempts)
      assert.equal(1, sent)
      assert.same({}, slept)
    end
  end)

  it("is not retried at all with max_retries = 0", function()
    local model, err, _, sent = run({ "error_429_retry_after", "model_example" }, { max_retries = 0 })
    assert.is_nil(model)
    assert.equal(1, err.attempts)
    assert.equal(1, sent)
  end)
end)

describe("the logger", function()
  it("hears each attempt, the retry and the final failure", function()
    local lines = {}
    server.reset()
    server.enqueue("error_429_retry_after", "error_401")
    local client = helper.client { logger = function(level, line) lines[#lines + 1] = level .. " " .. line end }
    assert.is_nil(client:create_model())
    assert.equal("debug POST /v1/models: attempt 1 of 3", lines[1])
    assert.truthy(lines[2]:match("^info POST /v1/models: retrying in 2%.00 s after attempt 1 in %d+%.%d ms: "
      .. "scenario: rate_limit %(HTTP 429, RATE_LIMIT_EXCEEDED%) on POST /v1/models: slow down$"), lines[2])
    assert.equal("debug POST /v1/models: attempt 2 of 3", lines[3])
    assert.truthy(lines[4]:match("^warn POST /v1/models: failed after 2 attempt%(s%) in %d+%.%d ms: "
      .. "scenario: authentication %(HTTP 401, AUTHENTICATION_FAILED%) on POST /v1/models: "
      .. "Invalid API key or secret$"), lines[4])
    assert.equal(4, #lines)
  end)

  it("hears the status and timing of a success", function()
    local lines = {}
    server.reset()
    server.enqueue("model_example")
    assert(helper.client { logger = function(_, line) lines[#lines + 1] = line end }:create_model())
    assert.truthy(lines[2]:match("^POST /v1/models: HTTP 200 in %d+%.%d ms$"), lines[2])
  end)
end)

describe("backoff", function()
  local function at(v) return function() return v end end

  it("doubles from 0.5 s, with jitter in its upper half", function()
    assert.equal(0.25, retry.delay(1, {}, 60, at(0)))
    assert.equal(0.5, retry.delay(2, {}, 60, at(0)))
    assert.equal(1, retry.delay(3, {}, 60, at(0)))
    assert.near(0.5, retry.delay(1, {}, 60, at(0.999999)), 1e-5)
    assert.near(1, retry.delay(2, {}, 60, at(0.999999)), 1e-5)
  end)

  it("is capped at 8 s", function()
    assert.near(8, retry.delay(30, {}, 60, at(0.999999)), 1e-4)
    assert.equal(4, retry.delay(30, {}, 60, at(0)))
  end)

  it("is used when there is no Retry-After", function()
    local model, meta, slept = run({ inline(408), "model_example" }, { random = at(0) })
    assert.is_table(model)
    assert.equal(2, meta.attempts)
    assert.equal(1, #slept)
    assert.near(0.25, slept[1], 0.05)
  end)
end)

describe("retryable", function()
  it("retries 5xx and timeouts for idempotent methods", function()
    assert.is_true(retry.retryable({ kind = "server", status = 503 }, true, false))
    assert.is_true(retry.retryable({ kind = "timeout" }, true, false))
    assert.is_true(retry.retryable({ kind = "connection", sent = true }, true, false))
    assert.is_false(retry.retryable({ kind = "server", status = 503 }, false, false))
    assert.is_false(retry.retryable({ kind = "not_found", status = 404 }, true, true))
    assert.is_false(retry.retryable({ kind = "validation" }, true, true))
  end)
end)

describe("the transport seam", function()
  -- A stub in place of scenario.core's call API: scripted results, no
  -- network. Every attempt of a request reuses its one call.
  local function stub(results)
    local calls, t = {}, {}
    t.calls = calls
    function t.start(handle, endpoint, body, query, extra)
      if results[1] and results[1].err and results[1].err.kind == "validation" then
        return nil, table.remove(results, 1).err
      end
      return { handle = handle, endpoint = endpoint, body = body, query = query, extra = extra }
    end
    function t.submit(c)
      calls[#calls + 1] = { handle = c.handle, body = c.body, query = c.query, extra = c.extra }
      c.state = "done"
    end
    function t.perform() return 0, 1 end
    function t.state(c) return c.state end
    function t.finish(c)
      c.state = "idle"
      local r = table.remove(results, 1)
      if r.model then return r.model, 201, { ["x-n"] = tostring(#calls) }, "raw" end
      return nil, r.err
    end
    function t.cancel(c) c.state = "closed" end
    return t
  end

  it("passes the same arguments on every attempt and builds meta from the last", function()
    local t = stub {
      { err = { kind = "connection", sent = false, message = "refused" } },
      { err = { kind = "http", status = 429, headers = { ["retry-after"] = "1" }, body = "" } },
      { model = { id = "m1" } },
    }
    local client = helper.client { transport = t }
    local body, query, extra = { name = "n" }, { originalAssets = true }, { x = 1 }
    local model, meta = client:create_model(body, query, { extra_body = extra })
    assert.same({ id = "m1" }, model)
    assert.same({ status = 201, headers = { ["x-n"] = "3" }, body = "raw", attempts = 3 }, meta)
    assert.equal(3, #t.calls)
    for _, c in ipairs(t.calls) do
      assert.equal(client._handle, c.handle)
      assert.equal(body, c.body)
      assert.equal(query, c.query)
      assert.equal(extra, c.extra)
    end
    assert.equal(2, #client.slept)
    assert.near(1, client.slept[2], 0.05)
  end)

  it("retries a timeout that struck before anything was sent, not one after", function()
    local t = stub { { err = { kind = "timeout", sent = false, message = "connect timed out" } },
      { model = { id = "m" } } }
    local model, meta = helper.client { transport = t }:create_model()
    assert.same({ id = "m" }, model)
    assert.equal(2, meta.attempts)
    local t2 = stub { { err = { kind = "timeout", sent = true, message = "timed out" } }, { model = {} } }
    local model2, err = helper.client { transport = t2 }:create_model()
    assert.is_nil(model2)
    assert.equal(1, err.attempts)
  end)

  it("never retries a validation error", function()
    local t = stub { { err = { kind = "validation", errors = {}, error_count = 0 } }, { model = {} } }
    local model, err = helper.client { transport = t }:create_model()
    assert.is_nil(model)
    assert.equal("validation", err.kind)
    assert.equal(0, #t.calls) -- refused before anything was sent
  end)
end)
