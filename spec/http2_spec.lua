-- HTTP/2 against a server we did not write: Debian's nghttpd (package
-- nghttp2-server), over TLS with a self-signed certificate given as
-- ca_file, and over plain TCP with prior knowledge. Connections are
-- counted on both sides: the sockets libcurl opened for the client
-- (core.handles) and the sessions nghttpd logged.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local core = require "scenario.core"

local free_port, wait_listening = helper.free_port, helper.wait_listening

local fixture = replay.fixture("get_model")
local ID = fixture.request.path:match("([^/]+)$")

-- One nghttpd serving the fixture's answer at /v1/models/<ID>, logging
-- every frame (-v) to a file: its "[id=N]" is the session, one a
-- connection.
local function start_nghttpd(dir, tls)
  local port = free_port()
  local args = tls and (dir .. "/key.pem " .. dir .. "/cert.pem") or "--no-tls"
  -- -m 128: nghttpd's default of 100 streams a connection would have
  -- libcurl open a second one for the 128 calls, as it should.
  local _, pid = helper.sh(("nghttpd -v -m 128 -a 127.0.0.1 -d %s/htdocs %d %s > %s/log%s 2>&1 < /dev/null & echo $!")
    :format(dir, port, args, dir, tls and "-tls" or ""))
  wait_listening(port)
  return port, assert(tonumber(pid:match("%d+")))
end

-- The sessions nghttpd has logged, and the requests it saw.
local function server_log(path)
  local sessions, n, requests = {}, 0, 0
  for line in io.lines(path) do
    local id = line:match("^%[id=(%d+)%]")
    if id and not sessions[id] then sessions[id], n = true, n + 1 end
    if line:find("recv HEADERS frame", 1, true) then requests = requests + 1 end
  end
  return n, requests
end

describe("HTTP/2 (nghttpd)", function()
  local dir, tls_port, tls_pid, plain_port, plain_pid, log_tls

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    helper.sh("mkdir -p " .. dir .. "/htdocs/v1/models && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
      .. "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " .. dir .. "/key.pem -out "
      .. dir .. "/cert.pem >/dev/null 2>&1")
    helper.write(dir .. "/htdocs/v1/models/" .. ID, fixture.response.body)
    tls_port, tls_pid = start_nghttpd(dir, true)
    plain_port, plain_pid = start_nghttpd(dir, false)
    log_tls = dir .. "/log-tls"
  end)

  teardown(function()
    helper.sh(("kill %s %s; rm -rf %s"):format(tostring(tls_pid or ""), tostring(plain_pid or ""), dir))
  end)

  local function client(opts)
    local o = { base_url = ("https://127.0.0.1:%d/v1"):format(tls_port), ca_file = dir .. "/cert.pem",
      max_concurrent = 32, max_retries = 0 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return helper.client(o)
  end

  -- Starts n get_model calls at once, waits for all, and returns the
  -- models and the connections libcurl opened for them.
  local function concurrent(c, n)
    local reqs = {}
    for i = 1, n do reqs[i] = assert(c:get_model_async(ID)) end
    local models = {}
    for i, r in ipairs(reqs) do
      local model, err = r:wait(30)
      assert(model, tostring(err))
      models[i] = model
    end
    return models, select(3, core.handles(c._handle))
  end

  it("negotiates h2 by default and multiplexes 20 concurrent calls over one connection", function()
    local sessions0, requests0 = server_log(log_tls)
    local c = client()
    local models, opened = concurrent(c, 20)
    c:close()
    assert.equal(20, #models)
    local want = require("cjson").decode(fixture.response.body).model.id
    for _, m in ipairs(models) do assert.equal(want, m.id) end
    assert.equal(1, opened) -- the client's side: one socket for 20 calls
    local sessions, requests = server_log(log_tls)
    assert.equal(1, sessions - sessions0) -- the server's side: one session
    assert.equal(20, requests - requests0)
  end)

  -- Once the connection is up: before the server's SETTINGS arrive,
  -- libcurl 7.88 takes a connection to carry at most 100 streams, and
  -- calls past that in a first burst open connections of their own.
  -- libcurl also caps the streams of a connection at 100 of its own
  -- accord (CURLMOPT_MAX_CONCURRENT_STREAMS), which the client raises to
  -- max_concurrent. The server is stopped (SIGSTOP) while the calls go
  -- out, so that all 128 are on the wire at once: else the first answers
  -- free streams before the last calls look for one.
  it("128 concurrent calls on a connection that is up use it alone, all 128 in flight at once", function()
    local sessions0 = server_log(log_tls)
    local c = client { max_concurrent = 128 }
    assert(c:get_model(ID))
    helper.sh("kill -STOP " .. tls_pid)
    local ok, reqs = pcall(function()
      local reqs = {}
      for i = 1, 128 do reqs[i] = assert(c:get_model_async(ID)) end
      for _ = 1, 20 do c:poll() core.sleep(0.005) end -- every request written, none answered
      return reqs
    end)
    helper.sh("kill -CONT " .. tls_pid)
    assert(ok, reqs)
    local done = 0
    for _, r in ipairs(reqs) do
      assert(r:wait(30))
      done = done + 1
    end
    local opened = select(3, core.handles(c._handle))
    c:close()
    assert.equal(128, done)
    assert.equal(1, opened)
    assert.equal(1, (server_log(log_tls)) - sessions0)
  end)

  -- libcurl 7.88 can leave an HTTP/2 stream's data with no socket event
  -- nor timeout to wake for it, so rounds driven by sockets stalled now
  -- and then (64 concurrent 200 KB answers: a second, once in 60 rounds):
  -- a client that may speak HTTP/2 is driven by curl_multi_perform.
  it("drives a client that may speak HTTP/2 by asking every transfer, not by its sockets", function()
    local c = client()
    local models = concurrent(c, 20)
    assert.equal(20, #models)
    assert.equal(0, select(4, core.handles(c._handle))) -- no socket was handed to libcurl as ready
    c:close()
    local over_11 = client { http_version = "1.1" }
    assert.is_nil((over_11:get_model(ID))) -- this h2-only server refuses it, but by sockets
    assert.is_true(select(4, core.handles(over_11._handle)) > 0)
  end)

  it("reuses its connection for calls one after another", function()
    local sessions0 = server_log(log_tls)
    local c = client()
    for _ = 1, 30 do assert(c:get_model(ID)) end
    assert.equal(1, select(3, core.handles(c._handle)))
    c:close()
    assert.equal(1, (server_log(log_tls)) - sessions0)
  end)

  it("keeps to HTTP/1.1 with http_version = \"1.1\", which this h2-only server refuses", function()
    local sessions0, requests0 = server_log(log_tls)
    local c = client { http_version = "1.1" }
    local model, err = c:get_model(ID)
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    local sessions, requests = server_log(log_tls)
    assert.equal(0, requests - requests0) -- no request went over h2
    assert.is_true(sessions - sessions0 <= 1)
  end)

  if core.curl_version_num >= 0x080000 then
    it("speaks h2 with prior knowledge over plain http with http_version = \"2\"", function()
      local c = client { base_url = ("http://127.0.0.1:%d/v1"):format(plain_port), http_version = "2" }
      local models, opened = concurrent(c, 20)
      assert.equal(20, #models)
      for _ = 1, 5 do assert(c:get_model(ID)) end
      assert.equal(1, select(3, core.handles(c._handle)))
      assert.equal(1, opened)
    end)
  else
    it("refuses http_version = \"2\" over plain http on a libcurl that cannot reuse h2c", function()
      assert.error_matches(function()
        client { base_url = ("http://127.0.0.1:%d/v1"):format(plain_port), http_version = "2" }
      end, "http_version \"2\" over plain http needs libcurl 8.0 or later %(this one is "
        .. core.curl_version:gsub("%p", "%%%0"))
    end)
  end

  it("speaks HTTP/1.1 over plain http by default, which an h2c-only server does not answer", function()
    local c = client { base_url = ("http://127.0.0.1:%d/v1"):format(plain_port) }
    local model, err = c:get_model(ID)
    assert.is_nil(model, "an HTTP/1.1 request got an answer from an h2c-only server")
    assert.is_table(err)
  end)

  it("refuses an http_version it does not know, naming it", function()
    assert.error_matches(function() client { http_version = "3" } end,
      "bad argument #1 to 'new' %(http_version must be \"1.1\" or \"2\".*got \"3\"%)")
    assert.error_matches(function() client { http_version = 2 } end,
      "option 'http_version' must be a string, got number")
  end)
end)
