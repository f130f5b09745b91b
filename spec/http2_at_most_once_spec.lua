-- A create is sent at most once over HTTP/2 too. spec/at_most_once_spec.lua
-- covers HTTP/1.1, where libcurl re-sends a request by itself when a
-- reused connection dies; over h2 libcurl has other ways to give up on a
-- stream (RST_STREAM, GOAWAY), and each is a chance to send a create twice.
-- The server (spec/support/h2_hostile.py, over TLS with ALPN h2) logs every
-- request it read whole before it misbehaves, so the counts below are the
-- server's, not the client's word.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local core = require "scenario.core"
local cjson = require "cjson"
local socket = require "socket"

-- Debian's python3-h2 is installed for Debian's interpreter: a python3
-- found earlier on PATH (pyenv, a virtualenv) may not have it.
local PYTHON = "/usr/bin/python3"
local ID = replay.fixture("get_model").request.path:match("([^/]+)$")
local CREATE_BODY = '{"name":"x"}'

-- Whether the process has exited: gone, or a zombie that nobody reaps
-- (it was started in the background of a shell that has exited).
local function exited(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return true end
  local state = (f:read("*l") or ""):match("^%d+ %b() (%a)")
  f:close()
  return state == nil or state == "Z"
end

local blocking = function(c) return c:create_model { name = "x" } end
local async = function(c)
  local req = assert(c:create_model_async { name = "x" })
  return req:wait(10)
end

describe("HTTP/2 at most once (a hostile h2 server)", function()
  local dir, runs, server = nil, 0, nil

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(helper.sh("mkdir -p " .. dir .. " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      .. "-nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " .. dir
      .. "/key.pem -out " .. dir .. "/cert.pem >/dev/null 2>&1"))
    helper.write(dir .. "/create.json", replay.fixture("model_example").response.body)
    helper.write(dir .. "/get.json", replay.fixture("get_model").response.body)
  end)

  teardown(function()
    helper.sh("rm -rf " .. dir)
  end)

  -- Each test has its own server, so no script or count leaks between them;
  -- a server still running after its test would fail the next one here.
  after_each(function()
    if not server then return end
    local pid = server.pid
    server = nil
    helper.sh("kill " .. pid)
    for _ = 1, 100 do
      if exited(pid) then return end
      socket.sleep(0.02)
    end
    error("h2_hostile.py (pid " .. pid .. ") outlived its SIGTERM")
  end)

  -- Starts a server whose n-th request gets the n-th action (past the
  -- last, "ok"); see spec/support/h2_hostile.py for what each does.
  local function start(...)
    runs = runs + 1
    local base = ("%s/run%d"):format(dir, runs)
    local _, pid = helper.sh(("%s spec/support/h2_hostile.py --cert %s/cert.pem --key %s/key.pem "
      .. "--port-file %s.port --log %s.log --create-body %s/create.json --get-body %s/get.json "
      .. "--script '%s' >%s.out 2>&1 </dev/null & echo $!")
      :format(PYTHON, dir, dir, base, base, dir, dir, table.concat({ ... }, ","), base))
    server = { pid = assert(tonumber(pid:match("%d+")), pid), log = base .. ".log" }
    for _ = 1, 250 do
      local f = io.open(base .. ".port")
      if f then
        server.port = assert(tonumber(f:read("*a")))
        f:close()
        return
      end
      if exited(server.pid) then break end
      socket.sleep(0.02)
    end
    error("h2_hostile.py did not start: " .. helper.read(base .. ".out"))
  end

  local function client(opts)
    local o = { base_url = ("https://127.0.0.1:%d/v1"):format(server.port), ca_file = dir .. "/cert.pem",
      max_retries = 2, timeout = 5 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return helper.client(o)
  end

  local function opened(c) return select(3, core.handles(c._handle)) end

  -- What the server read, in order: one table per request (method, path,
  -- body, connection, stream, action).
  local function requests()
    local reqs = {}
    for line in io.lines(server.log) do reqs[#reqs + 1] = cjson.decode(line) end
    return reqs
  end

  local function count(reqs, method, action)
    local n = 0
    for _, r in ipairs(reqs) do
      if r.method == method and (action == nil or r.action == action) then n = n + 1 end
    end
    return n
  end

  -- A client whose first call, a get_model answered in full, leaves a
  -- connection to reuse; then call. The actions are for the requests
  -- after that first one.
  local function on_reused(call, opts, ...)
    start("ok", ...)
    local c = client(opts)
    assert(c:get_model(ID))
    assert.equal(1, opened(c))
    local result, meta = call(c)
    return result, meta, requests(), c
  end

  -- The create went once, on the connection the first call had opened,
  -- and the client gave up at once: no backoff, no attempt of its own.
  local function assert_not_sent_again(model, err, reqs, c)
    assert.equal(1, count(reqs, "POST"))
    assert.equal(2, #reqs)
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    assert.is_true(err.sent)
    assert.equal(1, err.attempts)
    assert.same({}, c.slept)
    assert.equal(CREATE_BODY, reqs[2].body)
    assert.equal(reqs[1].connection, reqs[2].connection)
    assert.equal(3, reqs[2].stream)
  end

  for _, case in ipairs { { "create_model", blocking }, { "create_model_async", async } } do
    local name, call = case[1], case[2]

    describe(name, function()
      it("read whole, then its reused connection dropped: reaches the server once, not retried", function()
        local model, err, reqs, c = on_reused(call, nil, "drop")
        assert_not_sent_again(model, err, reqs, c)
        -- libcurl 7.88 does not start an h2 stream again by itself here:
        -- no rewind is asked for, and no second connection opened.
        assert.equal(18, err.curl_code) -- CURLE_PARTIAL_FILE
        assert.truthy(err.message:find("HTTP/2 stream 3 was not closed cleanly", 1, true), err.message)
        assert.equal(1, opened(c))
      end)

      it("read whole, then its fresh connection dropped: reaches the server once, not retried", function()
        start("drop")
        local c = client()
        local model, err = call(c)
        local reqs = requests()
        assert.equal(1, #reqs)
        assert.equal("POST", reqs[1].method)
        assert.is_nil(model)
        assert.equal("connection", err.kind)
        assert.is_true(err.sent)
        assert.equal(1, err.attempts)
        assert.equal(18, err.curl_code)
        assert.same({}, c.slept)
        assert.equal(1, opened(c))
      end)

      it("answered by a GOAWAY that counts it processed, then a close: reaches the server once", function()
        local model, err, reqs, c = on_reused(call, nil, "goaway")
        assert_not_sent_again(model, err, reqs, c)
        assert.equal(18, err.curl_code)
        assert.equal(1, opened(c))
      end)

      -- RFC 9113 8.7: a refused stream was not processed, so sending it
      -- again would be safe. libcurl does try to, on a new connection, but
      -- asks to rewind the body first; refuse_seek says no, and the client
      -- reports it as maybe sent (the server knows better).
      it("refused with RST_STREAM REFUSED_STREAM: an error, not sent again, none processed", function()
        local model, err, reqs, c = on_reused(call, nil, "refuse")
        assert_not_sent_again(model, err, reqs, c)
        assert.equal(65, err.curl_code) -- CURLE_SEND_FAIL_REWIND
        assert.truthy(err.message:find("it was not sent again", 1, true), err.message)
        assert.equal(0, count(reqs, "POST", "ok"))
        -- the connection libcurl opened for its own attempt, unused
        assert.equal(2, opened(c))
      end)

      -- last_stream_id below the create's stream: not processed either
      -- (RFC 9113 6.8), yet libcurl 7.88 fails the stream instead of
      -- calling it refused; nothing is started again.
      it("cut off by a GOAWAY that leaves it unprocessed: an error, not sent again, none processed", function()
        local model, err, reqs, c = on_reused(call, nil, "goaway-lower")
        assert_not_sent_again(model, err, reqs, c)
        assert.equal(16, err.curl_code) -- CURLE_HTTP2
        assert.equal(0, count(reqs, "POST", "ok"))
        assert.equal(1, opened(c))
      end)

      -- The server counts a second send when there is one: the counts
      -- above would catch a create sent again.
      it("is sent again with retry_unsafe, and the server counts both", function()
        local model, meta, reqs, c = on_reused(call, { retry_unsafe = true }, "drop")
        assert.equal("id", model.id)
        assert.equal(2, meta.attempts)
        assert.equal(1, #c.slept)
        assert.equal(2, count(reqs, "POST"))
        assert.equal(1, count(reqs, "POST", "ok"))
        assert.are_not.equal(reqs[2].connection, reqs[3].connection)
      end)

      it("refused, then sent again with retry_unsafe, is processed once", function()
        local model, meta, reqs = on_reused(call, { retry_unsafe = true }, "refuse")
        assert.equal("id", model.id)
        assert.equal(2, meta.attempts)
        assert.equal(2, count(reqs, "POST"))
        assert.equal(1, count(reqs, "POST", "ok"))
      end)
    end)
  end

  describe("get_model", function()
    local get = function(c) return c:get_model(ID) end
    local want = cjson.decode(replay.fixture("get_model").response.body).model.id

    it("read whole, then its reused connection dropped: sent again by the client, and answered", function()
      local model, meta, reqs, c = on_reused(get, nil, "drop")
      assert.equal(want, model.id)
      -- libcurl does not start it again (as for the create above): the
      -- retry policy does, after a backoff, on a new connection.
      assert.equal(2, meta.attempts)
      assert.equal(1, #c.slept)
      assert.equal(3, count(reqs, "GET"))
      assert.equal(reqs[1].connection, reqs[2].connection)
      assert.are_not.equal(reqs[2].connection, reqs[3].connection)
      assert.equal(2, opened(c))
    end)

    it("refused with REFUSED_STREAM: sent again by libcurl itself, within the attempt", function()
      local model, meta, reqs, c = on_reused(get, nil, "refuse")
      assert.equal(want, model.id)
      assert.equal(1, meta.attempts)
      assert.same({}, c.slept)
      assert.equal(3, count(reqs, "GET"))
      assert.are_not.equal(reqs[2].connection, reqs[3].connection)
      assert.equal(2, opened(c))
    end)
  end)
end)
