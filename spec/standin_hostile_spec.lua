-- The stand-in (scenario.testing) against what any local process can send
-- it over a raw socket: unreadable paths, malformed control bodies, page
-- sizes that would loop for ever, bodies larger than it takes, heads with
-- no end. Each spec checks the answer it got, that the stand-in still
-- answers a normal create_model afterwards, and that stop() returns in
-- bounded time; and that it refuses what the API refuses (an image that
-- is not a data URL, a training with no images).
local helper = require "spec.helper"
local scenario = require "scenario"
local testing = require "scenario.testing"
local core = require "scenario.core"
local socket = require "socket"

local IMAGE = assert(scenario.data_url("examples/assets/leaf.png"))

local function client(s)
  return scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
    max_retries = 0, timeout = 5 }
end

--- Sends bytes on a fresh connection and reads one answer, each wait
-- bounded by `wait` seconds (default 5). Returns the status (nil when
-- no answer came), the body, and how long the answer took.
local function raw(s, bytes, wait)
  local sk = socket.tcp()
  sk:settimeout(wait or 5)
  assert(sk:connect("127.0.0.1", s.port))
  local t0 = socket.gettime()
  sk:send(bytes) -- the stand-in may answer and close before it has all
  local line = sk:receive("*l")
  local status = line and tonumber(line:match("^HTTP/1%.1 (%d%d%d) "))
  local len = 0
  while line and line ~= "" do
    line = sk:receive("*l")
    local n = line and line:lower():match("^content%-length:%s*(%d+)$")
    if n then len = tonumber(n) end
  end
  local body = status and len > 0 and sk:receive(len) or nil
  local took = socket.gettime() - t0
  sk:close()
  return status, body, took
end

--- The peak resident memory of process pid, in KiB.
local function peak_kb(pid)
  return tonumber(helper.read("/proc/" .. pid .. "/status"):match("VmHWM:%s*(%d+) kB"))
end

-- Whether the stand-in grew by less than kib at its peak since before.
-- Under make test-asan the stand-in's process has AddressSanitizer's
-- runtime preloaded too, whose allocator holds freed memory back in
-- quarantine: its peak measures that, not the stand-in, so only the
-- other checks of these specs hold there.
local SANITIZED = (os.getenv("LD_PRELOAD") or ""):find("asan", 1, true) ~= nil
local function assert_grew_less(pid, before, kib)
  if SANITIZED then return end
  local grew = peak_kb(pid) - before
  assert.truthy(grew < kib, ("its peak memory grew by %d KiB"):format(grew))
end

local function get(path)
  return ("GET %s HTTP/1.1\r\nHost: stand-in\r\n\r\n"):format(path)
end

local function post(path, body)
  return ("POST %s HTTP/1.1\r\nHost: stand-in\r\nContent-Length: %d\r\n\r\n%s"):format(path, #body, body)
end

local function message(body)
  local doc = body and core.parse_json(body)
  return type(doc) == "table" and doc.message or nil
end

--- What every hostile spec ends with: the stand-in still serves a normal
-- create_model, its request log still reads, and stop() returns within
-- 2 s.
local function survives(s)
  local c = client(s)
  local m, err = c:create_model { name = "after" }
  c:close()
  assert.is_table(m, tostring(err))
  assert.equal("after", m.name)
  assert.is_table((s:requests()))
  local t0 = socket.gettime()
  s:stop()
  local took = socket.gettime() - t0
  assert.truthy(took < 2, ("stop took %.2f s"):format(took))
end

describe("the stand-in, sent an unreadable request target", function()
  for _, case in ipairs {
    { "a path that is not UTF-8", "/v1/models/\255" },
    { "a percent-encoded path that is not UTF-8", "/v1/models/%FF%FE" },
    { "a bad percent-encoding", "/v1/models/%zz" },
    { "a percent sign at the end", "/v1/models/abc%4" },
    { "a control character", "/v1/models/a\1b" },
    { "a query that is not UTF-8", "/v1/models?privacy=%FF" },
    { "a query with a raw byte", "/v1/models?privacy=\255" },
    { "a target that is not a path", "models" },
  } do
    it("answers 400 to " .. case[1] .. ", and goes on", function()
      local s = testing.start { lua = helper.LUA }
      local status, body = raw(s, get(case[2]))
      assert.equal(400, status)
      assert.is_string(message(body))
      assert.falsy(message(body):find("table: ", 1, true), message(body))
      survives(s)
    end)
  end

  it("logs such a request, escaped, and its log stays readable", function()
    local s = testing.start { lua = helper.LUA }
    assert.equal(400, (raw(s, get("/v1/models/\255"))))
    local log = assert(s:requests())
    assert.equal("GET", log[1].method)
    assert.equal("/v1/models/\\xFF", log[1].path)
    survives(s)
  end)
end)

describe("the stand-in, sent a malformed control body", function()
  for _, case in ipairs {
    { "fault", "5", "table expected" },
    { "fault", "null", "table expected" },
    { "fault", "not json", "not JSON" },
    { "fault", '{"count":"x"}', "count" },
    { "fault", '{"count":0,"status":503}', "count" },
    { "fault", '{"delay":"x"}', "delay" },
    { "fault", '{"delay":-1}', "delay" },
    { "fault", '{"status":"x"}', "status" },
    { "fault", '{"status":503.5}', "status" },
    { "fault", '{"status":503,"endpoint":"get_modle"}', "endpoint" },
    { "fault", '{"status":503,"code":5}', "code" },
    { "fault", '{"statuss":503}', "statuss" },
    { "fault", "{}", "status, a delay or drop" },
    { "script", '{"queue":5}', "queue" },
    { "script", '{"queue":["x"]}', "queue" },
    { "script", '{"progress":[2]}', "progress" },
    { "script", '{"outcome":"exploded"}', "outcome" },
    { "script", '{"seconds_per_step":0}', "seconds_per_step" },
    { "script", "[1]", "unknown field" },
  } do
    it(("answers 400 naming what is wrong to %s %s, and goes on"):format(case[1], case[2]), function()
      local s = testing.start { lua = helper.LUA }
      local status, body = raw(s, post("/__testing/" .. case[1], case[2]))
      assert.equal(400, status)
      assert.truthy((message(body) or ""):find(case[3], 1, true), body)
      survives(s) -- a create_model: it would meet a fault wrongly queued
    end)
  end

  it("raises with the server's reason in the test that asked (s:fault, s:script)", function()
    local s = testing.start { lua = helper.LUA }
    assert.has_error(function() s:fault { status = "x" } end,
      "bad argument #1 to 'fault' (field 'status' must be an HTTP status, a whole number from 100 to 599)")
    assert.has_error(function() s:script { queue = 5 } end,
      "bad argument #1 to 'script' (field 'queue' must be a list of whole numbers, at least 0)")
    assert.has_error(function() s:fault { status = 503, delay = function() end } end)
    survives(s)
  end)
end)

describe("the stand-in, sent a page size or token it cannot serve", function()
  for _, case in ipairs {
    { "pageSize=1000000000000&paginationToken=-1000000000000", 400 },
    { "pageSize=501", 400 },
    { "pageSize=0", 400 },
    { "pageSize=2.5", 400 },
    { "pageSize=abc", 400 },
    { "pageSize=99999999999999999999999999", 400 },
    { "paginationToken=-5", 400 },
    { "paginationToken=0", 400 },
    { "paginationToken=x", 400 },
    { "paginationToken=1e3", 400 },
    { "pageSize=500&paginationToken=1000000000000", 200 },
  } do
    it(("answers %d at once to ?%s, and goes on"):format(case[2], case[1]), function()
      local s = testing.start { lua = helper.LUA }
      local status, body, took = raw(s, get("/v1/models?" .. case[1]))
      assert.equal(case[2], status, body)
      assert.truthy(took < 1, ("took %.2f s"):format(took))
      if status == 200 then assert.same({ models = {} }, core.parse_json(body)) end
      survives(s)
    end)
  end

  it("still pages as it did: nextPaginationToken leads to the next page", function()
    local s = testing.start { lua = helper.LUA }
    local c = client(s)
    for i = 1, 3 do assert(c:create_model { name = "m" .. i }) end
    local names = {}
    for m in c:each_model { pageSize = 2 } do names[#names + 1] = m.name end
    c:close()
    assert.same({ "m1", "m2", "m3" }, names)
    survives(s)
  end)
end)

describe("the stand-in, sent more than it takes", function()
  it("answers 413 at once to a Content-Length over its cap, without reading the body", function()
    local s = testing.start { lua = helper.LUA }
    local status, _, took = raw(s, "POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n{")
    assert.equal(413, status)
    assert.truthy(took < 1, ("took %.2f s"):format(took))
    survives(s)
  end)

  it("answers 413 to a body one byte over 16 MiB, and takes one of 6 MB", function()
    local s = testing.start { lua = helper.LUA }
    local status = raw(s, ("POST /v1/models HTTP/1.1\r\nContent-Length: %d\r\n\r\n"):format(16 * 1024 * 1024 + 1))
    assert.equal(413, status)
    local blob = ('{"name":"%s"}'):format(("x"):rep(6000000))
    assert.equal(200, (raw(s, post("/v1/models", blob), 20)))
    survives(s)
  end)

  it("answers 413 while the body is still being sent, and does not keep what follows", function()
    local s = testing.start { lua = helper.LUA }
    local before = peak_kb(s.pid)
    local sk = socket.tcp()
    sk:settimeout(5)
    assert(sk:connect("127.0.0.1", s.port))
    assert(sk:send("POST /v1/models HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n"))
    local chunk = ("x"):rep(65536)
    for _ = 1, 384 do -- 24 MiB of the body it refused: read and dropped, or refused by a closed socket
      if not sk:send(chunk) then break end
    end
    assert.matches("^HTTP/1%.1 413 ", sk:receive("*l") or "")
    sk:close()
    assert_grew_less(s.pid, before, 8 * 1024)
    survives(s)
  end)

  it("answers the client's own 413 when it sends a body over 16 MiB", function()
    local s = testing.start { lua = helper.LUA }
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
      max_retries = 0, timeout = 10, max_request_bytes = 32 * 1024 * 1024 }
    local m, err = c:create_model({ name = "big" }, nil, { extra_body = { blob = ("x"):rep(20 * 1024 * 1024) } })
    c:close()
    assert.is_nil(m)
    assert.equal(413, err.status, tostring(err))
    survives(s)
  end)

  for _, case in ipairs {
    { "a negative Content-Length", "Content-Length: -1\r\n", 400 },
    { "a Content-Length that is not a number", "Content-Length: 12abc\r\n", 400 },
    { "two Content-Lengths that differ", "Content-Length: 2\r\nContent-Length: 3\r\n", 400 },
    { "a chunked body", "Transfer-Encoding: chunked\r\n", 411 },
  } do
    it(("answers %d to %s, and goes on"):format(case[3], case[1]), function()
      local s = testing.start { lua = helper.LUA }
      local status = raw(s, "POST /v1/models HTTP/1.1\r\nHost: x\r\n" .. case[2] .. "\r\n{}")
      assert.equal(case[3], status)
      survives(s)
    end)
  end

  it("answers 431 to a request head that goes on without its end, instead of buffering it", function()
    local s = testing.start { lua = helper.LUA }
    local status, _, took = raw(s, "GET /v1/models HTTP/1.1\r\nX-Long: " .. ("a"):rep(200 * 1024))
    assert.equal(431, status)
    assert.truthy(took < 2, ("took %.2f s"):format(took))
    survives(s)
  end)

  it("holds one answer at a time for a peer that pipelines requests and does not read", function()
    local s = testing.start { lua = helper.LUA }
    local status, body = raw(s, post("/v1/models", ('{"name":"big","blob":"%s"}'):format(("x"):rep(1000000))))
    assert.equal(200, status)
    local id = core.parse_json(body).model.id
    local before = peak_kb(s.pid)
    local sk = socket.tcp()
    sk:settimeout(5)
    assert(sk:connect("127.0.0.1", s.port))
    assert(sk:send(get("/v1/models/" .. id):rep(32))) -- 32 answers of 1 MB each
    -- Unread, it serves only as many as the sockets' buffers take (a few
    -- MB): waited on for a second, or until it has served all 32.
    local function served()
      local n = 0
      for _, r in ipairs(assert(s:requests())) do
        if r.method == "GET" then n = n + 1 end
      end
      return n
    end
    local deadline = socket.gettime() + 1
    while served() < 32 and socket.gettime() < deadline do socket.sleep(0.05) end
    assert.truthy(served() < 16, served())
    local got = 0
    for _ = 1, 32 do
      local line = sk:receive("*l")
      if not line then break end
      local len = 0
      while line and line ~= "" do
        line = sk:receive("*l")
        len = tonumber(line and line:lower():match("^content%-length:%s*(%d+)$")) or len
      end
      if not (line and sk:receive(len)) then break end
      got = got + 1
    end
    sk:close()
    assert.equal(32, got)
    assert_grew_less(s.pid, before, 12 * 1024)
    survives(s)
  end)

  it("serves a new connection when 300 idle ones are held open", function()
    local s = testing.start { lua = helper.LUA }
    local held = {}
    for i = 1, 300 do
      held[i] = socket.tcp()
      held[i]:settimeout(5)
      assert(held[i]:connect("127.0.0.1", s.port))
      held[i]:send("GET /v1/models HTTP/1.1\r\n") -- a head, never finished
    end
    survives(s)
    for _, sk in ipairs(held) do sk:close() end
  end)
end)

-- Runs a stand-in in a fresh interpreter (killed after 20 s: a stop()
-- that hangs fails the spec rather than the suite), sends its process
-- `signal`, and times its stop(). Returns the stop's seconds and whether
-- the process was gone after it.
local function stop_after(signal)
  local out, ok = helper.run_lua(([[
    local socket = require "socket"
    local s = require("scenario.testing").start { lua = %q }
    print("PID " .. tostring(s.pid))
    io.stdout:flush()
    os.execute("kill -%s " .. s.pid)
    local t0 = socket.gettime()
    s:stop()
    s:stop() -- a second stop does nothing
    print(("TOOK %%.3f"):format(socket.gettime() - t0))
    print(io.open("/proc/" .. s.pid .. "/stat") and "ALIVE" or "GONE")
  ]]):format(helper.LUA, signal), "timeout 20 env")
  local pid = out:match("PID (%d+)")
  if pid and not ok then helper.sh("kill -KILL " .. pid) end -- a server the failed stop left behind
  assert.is_true(ok, out)
  return tonumber(out:match("TOOK ([%d.]+)")), out:match("\n(%u+)\n$")
end

describe("the stand-in's stop()", function()
  it("returns within 2 s from a stand-in that cannot answer (SIGSTOP), and ends its process", function()
    local took, after = stop_after("STOP")
    assert.truthy(took < 2, took)
    assert.equal("GONE", after)
  end)

  it("returns at once from a stand-in whose process is gone", function()
    local took, after = stop_after("KILL")
    assert.truthy(took < 1, took)
    assert.equal("GONE", after)
  end)
end)

describe("the stand-in refuses what the API refuses", function()
  local s, c
  before_each(function()
    s = testing.start { lua = helper.LUA }
    c = client(s)
  end)
  after_each(function()
    c:close()
    s:stop()
  end)

  it("an image whose data is not a data:image/<type>;base64 URL", function()
    local m = assert(c:create_model { name = "lora", type = "flux.1-lora" })
    for _, data in ipairs { "examples/assets/leaf.png", "/path/leaf.png", "not a data url", "",
        "data:image/png;base64,", "data:image/png;base64,@@@@", "data:image/png;base64,iVBORw0",
        "data:image/png;base64,iVBO=Rw0", "data:text/plain;base64,aGVsbG8=", "data:image/png,iVBORw0K",
        "data:;base64,iVBORw0K" } do
      local image, err = c:add_training_images(m.id, { data = data, name = "leaf.png" })
      assert.is_nil(image, data)
      assert.equal("bad_request", err.kind, data)
      assert.equal(400, err.status)
      assert.equal("INVALID_PARAMETER", err.code)
      assert.matches("data", err.message)
    end
    assert.equal(0, assert(c:get_model(m.id)).trainingImagesNumber)
    assert(c:add_training_images(m.id, { data = IMAGE, name = "leaf.png" }))
    assert.equal(1, assert(c:get_model(m.id)).trainingImagesNumber)
  end)

  it("a training of a model with no training images, dry run or not", function()
    local m = assert(c:create_model { name = "lora", type = "flux.1-lora" })
    local job, err = c:train_model(m.id, { parameters = { rank = 8 } })
    assert.is_nil(job)
    assert.equal("bad_request", err.kind)
    assert.equal(400, err.status)
    assert.matches("no training images", err.message)
    assert.equal("new", assert(c:get_model(m.id)).status)
    local _, dry_err = c:train_model(m.id, {}, { dryRun = true })
    assert.equal("bad_request", dry_err.kind)
    -- a dry run may say how many images it is for
    assert(c:train_model(m.id, {}, { dryRun = true, trainingImagesCount = 3 }))
    assert(c:add_training_images(m.id, { data = IMAGE }))
    assert(c:train_model(m.id, { parameters = { rank = 8 } }))
    assert.equal("trained", assert(c:wait_for_training(m.id, { interval = 0.01, timeout = 10 })).status)
  end)

  it("a body that is not a JSON object, or not UTF-8", function()
    for _, body in ipairs { "5", "[1]", '"x"', '{"name":"\255"}', "{" } do
      local status, answer = raw(s, post("/v1/models", body))
      assert.equal(400, status, body)
      assert.is_string(message(answer))
    end
    assert.same({}, assert(c:list_models()).models)
  end)
end)

describe("the stand-in's requests()", function()
  it("gives each request's body: decoded JSON, nulls kept, or the raw text", function()
    local s = testing.start { lua = helper.LUA }
    local c = client(s)
    local m = assert(c:create_model { name = "logged", type = "flux.1-lora" })
    assert(c:update_model(m.id, { name = "renamed", classSlug = scenario.null }))
    raw(s, post("/v1/models", "not json"))
    raw(s, post("/v1/models", "\255\254"))
    assert(c:get_model(m.id))
    c:close()
    local log = assert(s:requests())
    assert.equal(5, #log)
    assert.same({ name = "logged", type = "flux.1-lora" }, log[1].body)
    assert.equal("create_model", log[1].endpoint)
    assert.equal("renamed", log[2].body.name)
    assert.equal(scenario.null, log[2].body.classSlug)
    assert.is_nil(log[3].body)
    assert.equal("not json", log[3].raw)
    assert.equal("\\xFF\\xFE", log[4].raw)
    assert.is_nil(log[5].body) -- a GET: no body
    assert.is_nil(log[5].raw)
    assert.equal("get_model", log[5].endpoint)
    survives(s)
  end)
end)
