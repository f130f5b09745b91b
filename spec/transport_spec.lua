-- The HTTP exchange over libcurl (csrc/transport.c), against the replay
-- server: what goes on the wire, and what comes back.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local scenario = require "scenario"

local server = replay.server()

local function gzip(s)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
  local p = assert(io.popen("gzip -c < " .. path, "r"))
  local out = p:read("*a")
  p:close()
  os.remove(path)
  return out
end

describe("the request on the wire", function()
  before_each(function() server.reset() end)

  it("is exactly the recorded request", function()
    local fx = replay.fixture("model_realistic")
    server.enqueue("model_realistic")
    local client = helper.client { project_id = "proj_Qm4uTt2hVZ8a" }
    local model = assert(client:create_model {
      name = "Cinematic Realism", type = "flux.1-lora",
      shortDescription = "Moody, film-grain stills with anamorphic flares.",
      collectionIds = { "collection_9xKcJ2m4RbT7WqYp" },
    })
    assert.equal("model_eyVcnFJcR92BxBkz7N6g5w", model.id)
    local req = server.requests()[1]
    assert.equal(fx.request.method, req.method)
    assert.equal(fx.request.path, req.path)
    assert.equal(fx.request.query, req.query)
    assert.equal(fx.request.body, req.body)
    assert.equal(helper.basic_auth(helper.API_KEY, helper.API_SECRET), req.headers.authorization)
    assert.equal("application/json", req.headers["content-type"])
    assert.equal("application/json", req.headers.accept)
    assert.equal(tostring(#fx.request.body), req.headers["content-length"])
  end)

  it("names the library in User-Agent and accepts compressed bodies", function()
    server.enqueue("model_example")
    assert(helper.client():create_model())
    local req = server.requests()[1]
    assert.truthy(req.headers["user-agent"]:match("^scenario%-lua/" .. scenario._VERSION:gsub("%.", "%%.")
      .. " libcurl/%d"), req.headers["user-agent"])
    assert.truthy(req.headers["accept-encoding"]:find("gzip", 1, true))
  end)

  it("sends large bodies at once, without Expect: 100-continue", function()
    server.enqueue("model_example")
    local ids = {}
    for i = 1, 20000 do ids[i] = ("collection_%050d"):format(i) end
    assert(helper.client():create_model { collectionIds = ids })
    local req = server.requests()[1]
    assert.is_nil(req.headers.expect)
    assert.truthy(#req.body > 1024 * 1024)
  end)

  it("percent-encodes query values", function()
    server.enqueue("model_example")
    assert(helper.client():create_model(nil, { projectId = "a b&c=d/é", originalAssets = true }))
    assert.equal("originalAssets=true&projectId=a%20b%26c%3Dd%2F%C3%A9", server.requests()[1].query)
  end)

  it("sends nothing when the body is invalid", function()
    local model, err = helper.client():create_model { name = 1 }
    assert.is_nil(model)
    assert.equal("validation", err.kind)
    assert.equal(0, #server.requests())
  end)
end)

describe("the connection", function()
  before_each(function() server.reset() end)

  it("is kept alive and reused across calls", function()
    server.enqueue("model_example", "model_example", "model_example")
    local client = helper.client()
    for _ = 1, 3 do assert(client:create_model()) end
    assert.equal(1, server.stats().connections)
    local reqs = server.requests()
    assert.equal(reqs[1].connection, reqs[3].connection)
  end)

  it("is replaced when the server closes it", function()
    local closing = replay.fixture("model_example").response
    closing.close = true
    server.enqueue(closing, "model_example")
    local client = helper.client()
    assert(client:create_model())
    assert(client:create_model())
    assert.equal(2, server.stats().connections)
  end)
end)

describe("the response", function()
  before_each(function() server.reset() end)

  it("comes back with its status, lower-cased headers and raw body", function()
    server.enqueue("model_realistic")
    local model, meta = helper.client():create_model()
    assert.is_table(model)
    assert.equal(200, meta.status)
    assert.equal("req_5bd1f0c2a7e94e1b", meta.headers["x-request-id"])
    assert.equal("application/json; charset=utf-8", meta.headers["content-type"])
    assert.equal(replay.fixture("model_realistic").response.body, meta.body)
    assert.equal(1, meta.attempts)
  end)

  it("carries only the final response's headers after an interim 1xx", function()
    local body = replay.fixture("model_example").response.body
    server.enqueue { raw = "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
      .. "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Final: yes\r\n"
      .. "Content-Length: " .. #body .. "\r\n\r\n" .. body }
    local model, meta = helper.client():create_model()
    assert.equal("id", model.id)
    assert.equal("yes", meta.headers["x-final"])
    assert.is_nil(meta.headers["x-interim"])
  end)

  it("joins repeated headers and trims their values", function()
    local body = replay.fixture("model_example").response.body
    server.enqueue { raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Tag: a\r\n"
      .. "x-tag:b  \r\nX-Spaced: \t padded \t\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body }
    local _, meta = helper.client():create_model()
    assert.equal("a, b", meta.headers["x-tag"])
    assert.equal("padded", meta.headers["x-spaced"])
  end)

  it("keeps names with space before the colon, and names of any length, lower-cased", function()
    local body = replay.fixture("model_example").response.body
    local long = ("X-Long-"):rep(50)
    server.enqueue { raw = "HTTP/1.1 200 OK\r\nContent-Type : application/json\r\nX-Spaced\t: yes\r\n"
      .. long .. ": kept\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body }
    local _, meta = helper.client():create_model()
    assert.equal("application/json", meta.headers["content-type"])
    assert.equal("yes", meta.headers["x-spaced"])
    assert.equal("kept", meta.headers[long:lower()])
    assert.is_nil(meta.headers["content-type "])
  end)

  it("joins a header repeated thousands of times in linear memory", function()
    -- Joining as the repeats come costs O(n^2) bytes: about 100 MB for
    -- these 8,000 (each join copies all before it). With the collector
    -- stopped, everything the call allocates stays counted.
    local n = 8000
    local body = replay.fixture("model_example").response.body
    local client = helper.client()
    server.enqueue({ raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      .. ("X-Many: abc\r\n"):rep(n) .. "Content-Length: " .. #body .. "\r\n\r\n" .. body })
    local meta
    local grew = helper.allocated(function() meta = select(2, client:create_model()) end) / 1024
    assert.equal(n * 5 - 2, #meta.headers["x-many"])
    assert.equal("abc, abc", meta.headers["x-many"]:sub(1, 8))
    assert.truthy(grew < 4 * 1024, ("the call allocated %.0f KiB"):format(grew))
  end)

  it("is inflated when gzip-encoded", function()
    local plain = replay.fixture("model_realistic").response.body
    server.enqueue { status = 200, body = gzip(plain),
      headers = { ["Content-Type"] = "application/json", ["Content-Encoding"] = "gzip" } }
    local model, meta = helper.client():create_model()
    assert.equal("model_eyVcnFJcR92BxBkz7N6g5w", model.id)
    assert.equal(plain, meta.body)
  end)

  it("is refused past max_response_bytes, with a clear error", function()
    local body = replay.fixture("model_realistic").response.body
    server.enqueue { status = 200, body = body, headers = { ["Content-Type"] = "application/json" } }
    local model, err = helper.client { max_response_bytes = 100 }:create_model()
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal("the response is larger than max_response_bytes (100 bytes)", err.message)
  end)

  it("is refused when its headers pass 256 KiB", function()
    local headers = { ["Content-Type"] = "application/json" }
    for i = 1, 40 do headers["X-Filler-" .. i] = ("f"):rep(8000) end
    server.enqueue { status = 200, headers = headers, body = replay.fixture("model_example").response.body }
    local model, err = helper.client { max_retries = 0 }:create_model()
    assert.is_nil(model)
    assert.equal("invalid_response", err.kind)
    assert.equal("the response headers are larger than 256 KiB", err.message)
  end)

  it("is not followed when it redirects, and nothing is sent to the new host", function()
    server.enqueue { status = 302, headers = { Location = "http://127.0.0.2:1/steal" }, body = "" }
    local model, err = helper.client():create_model()
    assert.is_nil(model)
    assert.equal("http", err.kind)
    assert.equal(302, err.status)
    assert.equal(1, #server.requests())
  end)
end)

describe("transport failures", function()
  before_each(function() server.reset() end)

  it("report a timeout as kind timeout", function()
    local slow = replay.fixture("model_example").response
    slow.delay = 3
    server.enqueue(slow)
    local model, err = helper.client { timeout = 0.3 }:create_model()
    assert.is_nil(model)
    assert.equal("timeout", err.kind)
    assert.equal(1, err.attempts)
  end)

  it("time out even when the timeout is under a millisecond", function()
    local slow = replay.fixture("model_example").response
    slow.delay = 1
    server.enqueue(slow)
    local model, err = helper.client { timeout = 0.0004, max_retries = 0 }:create_model()
    assert.is_nil(model)
    assert.equal("timeout", err.kind)
  end)

  it("report a refused connection as kind connection, not sent", function()
    local client = helper.client { base_url = "http://127.0.0.1:1/v1", max_retries = 0 }
    local model, err = client:create_model()
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    assert.is_false(err.sent)
    assert.truthy(err.message:find("127.0.0.1", 1, true), err.message)
  end)

  it("report a connection dropped without an answer as sent", function()
    server.enqueue { raw = "" }
    local model, err = helper.client { max_retries = 0 }:create_model()
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    assert.is_true(err.sent)
  end)
end)
