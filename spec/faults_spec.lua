-- Fault injection against the replay server: broken, slow, huge and
-- hostile responses. Each must end in an error value of the right kind,
-- within the timeout, without crashing.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local socket = require "socket"

local server = replay.server()
local MiB = 1024 * 1024

local function head(status, length, extra)
  return ("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n")
    :format(status, extra or "", length)
end

-- One attempt against the queued responses; returns model, err, seconds.
local function attempt(opts, ...)
  server.reset()
  server.enqueue(...)
  local o = { max_retries = 0, timeout = 2 }
  for k, v in pairs(opts or {}) do o[k] = v end
  local client = helper.client(o)
  local t0 = socket.gettime()
  local model, err = client:create_model { name = "fault" }
  return model, err, socket.gettime() - t0
end

-- Peak resident memory of this process, in bytes.
local function peak_rss()
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmHWM:%s+(%d+) kB")
    if kb then return tonumber(kb) * 1024 end
  end
end

local body = replay.fixture("model_realistic").response.body

describe("a broken transfer", function()
  it("reset in the middle of a 200's body is an answer that cannot be read, not a lost connection", function()
    -- The server said it made the model: retrying would make a second.
    local model, err = attempt({ retry_unsafe = true, max_retries = 2 },
      { chunks = { { data = head(200, #body) .. body:sub(1, 100) }, { delay = 0.05, data = "" } }, reset = true })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal(200, err.status)
    assert.is_true(err.sent)
    assert.equal(1, err.attempts)
    assert.truthy(err.message:find("^the answer %(HTTP 200%) broke off: "), err.message)
    assert.equal(1, #server.requests())
  end)

  it("reset in the middle of a 500's body is a connection error, with the status", function()
    local model, err = attempt(nil, { chunks = { { data = head(500, #body) .. body:sub(1, 100) },
      { delay = 0.05, data = "" } }, reset = true })
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    assert.equal(500, err.status)
    assert.is_true(err.sent)
  end)

  it("with a Content-Length shorter than the body is an invalid response", function()
    local model, err = attempt(nil, { raw = head(200, 20) .. body })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal(200, err.status)
    -- and the stray bytes do not leak into the next exchange
    local model2 = attempt(nil, "model_example")
    assert.equal("id", model2.id)
  end)

  it("with a Content-Length longer than the body times out if the server waits", function()
    local model, err, secs = attempt({ timeout = 0.5 }, { chunks = { { data = head(200, #body + 500) .. body },
      { delay = 3, data = "" } } })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind) -- after a 200
    assert.equal(28, err.curl_code) -- CURLE_OPERATION_TIMEDOUT
    assert.truthy(secs < 2.5, "took " .. secs .. " s")
  end)

  it("with a Content-Length longer than the body is an unreadable answer if the server closes", function()
    local model, err = attempt(nil, { chunks = { { data = head(200, #body + 500) .. body } } })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal(18, err.curl_code) -- CURLE_PARTIAL_FILE
  end)

  it("that sends 0 bytes is a connection error", function()
    local model, err = attempt(nil, { raw = "" })
    assert.is_nil(model)
    assert.equal("connection", err.kind)
  end)
end)

describe("slow headers", function()
  local function trickle(step)
    local chunks = { { data = "HTTP/1.1 200 OK\r\n" } }
    for _, line in ipairs { "Content-Type: application/json\r\n", "X-Slow: 1\r\n",
      "Content-Length: " .. #body .. "\r\n", "\r\n" .. body } do
      chunks[#chunks + 1] = { delay = step, data = line }
    end
    chunks[#chunks + 1] = { delay = 5, data = "" } -- hold the connection open
    return { chunks = chunks }
  end

  it("time out when they take longer than the timeout, an unreadable answer after a 200", function()
    local model, err, secs = attempt({ timeout = 0.5 }, trickle(0.3))
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal(28, err.curl_code) -- CURLE_OPERATION_TIMEDOUT
    assert.truthy(secs < 2.5, "took " .. secs .. " s")
  end)

  it("are read when they arrive within it", function()
    local model = attempt({ timeout = 3 }, trickle(0.05))
    assert.equal("model_eyVcnFJcR92BxBkz7N6g5w", model.id)
  end)
end)

describe("oversized responses", function()
  it("past the default 16 MiB cap get a clear error, in bounded memory", function()
    local before = peak_rss()
    local model, err = attempt({ timeout = 20 }, { status = 200, headers = { ["Content-Type"] = "application/json" },
      fill = { prefix = '{"model":{"id":"', unit = "x", count = 64 * MiB, suffix = '"}}' } })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal("the response is larger than max_response_bytes (16777216 bytes)", err.message)
    assert.truthy(peak_rss() - before < 40 * MiB, "peak RSS grew by " .. (peak_rss() - before))
  end)

  it("that inflate past the cap from gzip get the same error", function()
    local p = assert(io.popen("head -c " .. (256 * MiB) .. " /dev/zero | gzip -c"))
    local bomb = p:read("*a")
    p:close()
    assert.truthy(#bomb < MiB)
    local before = peak_rss()
    local model, err = attempt({ timeout = 20 }, { status = 200, body = bomb,
      headers = { ["Content-Type"] = "application/json", ["Content-Encoding"] = "gzip" } })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal("the response is larger than max_response_bytes (16777216 bytes)", err.message)
    assert.truthy(peak_rss() - before < 40 * MiB, "peak RSS grew by " .. (peak_rss() - before))
  end)
end)

describe("hostile JSON", function()
  it("nested 100,000 deep is an invalid response", function()
    local model, err = attempt(nil, { status = 200, headers = { ["Content-Type"] = "application/json" },
      fill = { prefix = '{"model":' .. ("["):rep(100000), unit = "]", count = 100000, suffix = "}" } })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.truthy(err.message:find("not valid JSON", 1, true), err.message)
  end)

  it("with invalid UTF-8 in a string is an invalid response naming the field", function()
    local bad = body:gsub('"Cinematic Realism"', '"Cinematic \192\175Realism"', 1)
    local model, err = attempt(nil, { status = 200, body = bad, headers = { ["Content-Type"] = "application/json" } })
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal("model.name", err.errors[1].path)
    assert.equal("is not valid UTF-8 (bad byte at offset 10)", err.errors[1].message)
  end)
end)

describe("a redirect to another host", function()
  it("is not followed, so the credentials go nowhere else", function()
    local elsewhere = ("http://localhost:%d/v1/steal"):format(server.port)
    local model, err = attempt(nil, { status = 307, headers = { Location = elsewhere }, body = "" })
    assert.is_nil(model)
    assert.equal("http", err.kind)
    assert.equal(307, err.status)
    local reqs = server.requests()
    assert.equal(1, #reqs)
    assert.equal("/v1/models", reqs[1].path)
  end)
end)

describe("running out of memory", function()
  -- In a fresh interpreter whose address space is capped: a 32 MB answer
  -- fits in the transfer buffers, but the 16 million items of its array
  -- do not fit in Lua tables, so the decoder runs out of memory half-way.
  -- The normal build even under make test-asan, and the cap set in a shell
  -- without ASan's runtime: it needs far more address space than that.
  local function run_capped(code)
    server.reset()
    server.enqueue({ status = 200, headers = { ["Content-Type"] = "application/json" },
      fill = { prefix = '{"model":{"id":"m","big":[', unit = "0,", count = 16 * MiB, suffix = '0]}}' } },
      "model_example", "model_example")
    local cpath = helper.CPATH:gsub("build/asan/", "build/")
    return helper.run_lua(([[
      package.cpath = %q .. ";" .. package.cpath
      local scenario = require "scenario"
      local client = scenario.new { api_key = "k", api_secret = "s", base_url = %q, timeout = 20,
        max_response_bytes = 64 * 1024 * 1024, max_retries = 0 }
    ]]):format(cpath, server.url) .. code, [[env -u LD_PRELOAD sh -c 'ulimit -v 250000; exec "$@"' sh env]])
  end

  it("while a blocking call decodes ends it with an error value; the client goes on", function()
    local out = run_capped([[
      local model, err = client:create_model()
      collectgarbage()
      print(tostring(model), err.kind, err.attempts, err.message)
      local again = client:create_model()
      print(again and again.id)
    ]])
    assert.truthy(out:find("^nil\tinternal\t1\tthe response could not be read: not enough memory\nid\n$"), out)
    assert.equal(2, #server.requests())
  end)

  it("while a request decodes ends it with an error value, and its on_done runs", function()
    local out = run_capped([[
      local seen
      local req = client:create_model_async(nil, nil, { on_done = function(m, e) seen = e.kind end })
      local model, err = req:wait(20)
      collectgarbage()
      print(tostring(model), err.kind, seen, req:done(), client:poll())
      local req2 = client:create_model_async()
      print(req2:wait(20).id)
    ]])
    assert.truthy(out:find("^nil\tinternal\tinternal\ttrue\t0\nid\n$"), out)
  end)
end)
