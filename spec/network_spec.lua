-- The network settings of scenario.new (ca_file, ca_path, proxy) against
-- real peers on 127.0.0.1: the replay server behind TLS with a
-- self-signed certificate (socat), and a listener standing in for a
-- proxy, which only counts who comes to it.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local scenario = require "scenario"
local socket = require "socket"

local server = replay.server()

local free_port, wait_listening = helper.free_port, helper.wait_listening

describe("TLS", function()
  local dir, pid, proc, url

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(helper.sh("mkdir -p " .. dir .. "/certs && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
      .. "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " .. dir .. "/key.pem -out "
      .. dir .. "/cert.pem >/dev/null 2>&1 && cp " .. dir .. "/cert.pem " .. dir
      .. "/certs/ && openssl rehash " .. dir .. "/certs"))
    local port = free_port()
    -- TLS in front of the replay server: every byte the client sends
    -- reaches it, so the specs see what arrived.
    proc = io.popen(("sh -c 'echo $$; exec socat OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,"
      .. "cert=%s/cert.pem,key=%s/key.pem,verify=0 TCP:127.0.0.1:%d' 2>&1"):format(port, dir, dir,
      server.port))
    pid = proc:read("*l")
    wait_listening(port)
    url = ("https://127.0.0.1:%d/v1"):format(port)
  end)

  teardown(function()
    helper.sh("kill " .. pid)
    proc:close()
    helper.sh("rm -rf " .. dir)
  end)

  before_each(function() server.reset() end)

  it("refuses a self-signed certificate by default, after one attempt", function()
    server.enqueue("model_example")
    local client = helper.client { base_url = url }
    local model, err = client:create_model()
    assert.is_nil(model)
    assert.equal("connection", err.kind)
    assert.is_true(err.certificate)
    assert.equal(1, err.attempts)
    assert.is_false(err.sent)
    assert.truthy(err.message:lower():find("certificate", 1, true), err.message)
    assert.truthy(err.message:find("ca_file", 1, true), err.message)
    assert.same({}, client.slept)
    assert.equal(0, #server.requests())
  end)

  it("trusts the server with ca_file pointing at its certificate", function()
    server.enqueue("model_realistic")
    local model, meta = helper.client({ base_url = url, ca_file = dir .. "/cert.pem" })
      :create_model { name = "over TLS" }
    assert.equal("model_eyVcnFJcR92BxBkz7N6g5w", model.id)
    assert.equal(1, meta.attempts)
    local req = server.requests()[1]
    assert.equal("/v1/models", req.path)
    assert.equal('{"name":"over TLS"}', req.body)
  end)

  it("trusts the server with ca_path pointing at a hashed directory holding it", function()
    server.enqueue("model_example")
    assert(helper.client({ base_url = url, ca_path = dir .. "/certs" }):create_model())
    assert.equal(1, #server.requests())
  end)

  it("raises at once when ca_file is a directory", function()
    assert.has_error(function() helper.client { base_url = url, ca_file = dir .. "/certs" } end,
      ("bad argument #1 to 'new' (ca_file is a directory (%s/certs); use ca_path for a directory of "
        .. "certificates)"):format(dir))
  end)

  it("raises at once when ca_file cannot be read", function()
    assert.has_error(function() helper.client { base_url = url, ca_file = dir .. "/missing.pem" } end,
      ("bad argument #1 to 'new' (ca_file cannot be read: %s/missing.pem: No such file or directory)")
        :format(dir))
  end)

  it("has no option that turns verification off", function()
    for _, name in ipairs { "insecure", "verify", "ssl_verify", "verify_peer", "tls_verify" } do
      assert.has_error(function() helper.client { base_url = url, [name] = false } end)
    end
  end)
end)

describe("proxies", function()
  local listener, lport

  setup(function()
    listener = assert(socket.bind("127.0.0.1", 0))
    lport = select(2, listener:getsockname())
    listener:settimeout(0)
  end)

  teardown(function() listener:close() end)

  before_each(function()
    server.reset()
    while listener:accept() do end -- forget whatever an earlier case left
  end)

  -- The request line of each connection the listener has been sent.
  local function proxied()
    local lines = {}
    while true do
      local c = listener:accept()
      if not c then break end
      c:settimeout(1)
      lines[#lines + 1] = c:receive("*l") or "(nothing)"
      c:close()
    end
    return lines
  end

  -- Runs a create in a fresh interpreter with env (environment settings)
  -- and the client options given as Lua source; returns what it printed:
  -- "ok <id>", or the error's kind.
  local function create_in_child(env, options)
    local out = helper.run_lua(([[
      local scenario = require "scenario"
      local client = scenario.new { api_key = %q, api_secret = %q, timeout = 1, max_retries = 0, %s }
      local model, err = client:create_model { name = "via" }
      io.write(model and ("ok " .. tostring(model.id)) or err.kind)
    ]]):format(helper.API_KEY, helper.API_SECRET, options), env)
    return out
  end

  local env_proxies = function(extra)
    local p = "http://127.0.0.1:" .. lport
    return ("http_proxy=%s HTTPS_PROXY=%s ALL_PROXY=%s %s"):format(p, p, p, extra or "")
  end

  it("from the environment are never used for a loopback base_url", function()
    server.enqueue("model_realistic")
    local out = create_in_child(env_proxies(), ("base_url = %q"):format(server.url))
    assert.equal("ok model_eyVcnFJcR92BxBkz7N6g5w", out)
    assert.equal(1, #server.requests())
    assert.same({}, proxied())
  end)

  it("from the environment carry a request to any other host", function()
    -- 0.0.0.0 reaches this host too, but is not a loopback name to the client.
    local base = ("http://0.0.0.0:%d/v1"):format(server.port)
    local out = create_in_child(env_proxies(), ("base_url = %q, allow_insecure = true"):format(base))
    assert.equal("timeout", out) -- the stand-in proxy never answers
    assert.same({ ("POST %s/models HTTP/1.1"):format(base) }, proxied())
    assert.equal(0, #server.requests())
  end)

  it("from the environment are skipped for NO_PROXY hosts", function()
    server.enqueue("model_example")
    local base = ("http://0.0.0.0:%d/v1"):format(server.port)
    local out = create_in_child(env_proxies("NO_PROXY=0.0.0.0"),
      ("base_url = %q, allow_insecure = true"):format(base))
    assert.equal("ok id", out)
    assert.same({}, proxied())
  end)

  it("are all off with proxy = false", function()
    server.enqueue("model_example")
    local base = ("http://0.0.0.0:%d/v1"):format(server.port)
    local out = create_in_child(env_proxies(), ("base_url = %q, allow_insecure = true, proxy = false")
      :format(base))
    assert.equal("ok id", out)
    assert.equal(1, #server.requests())
    assert.same({}, proxied())
  end)

  it("given as proxy carry every request, a loopback one too", function()
    local out = create_in_child("", ("base_url = %q, proxy = 'http://u:proxy-pw-5e1d@127.0.0.1:%d'")
      :format(server.url, lport))
    assert.equal("timeout", out)
    assert.same({ ("POST %s/models HTTP/1.1"):format(server.url) }, proxied())
    assert.equal(0, #server.requests())
  end)

  it("keep their credentials out of the errors of a proxy libcurl cannot use", function()
    -- Passwords with an '@' or a '/' their owner did not escape: all of
    -- the user information runs to the last '@'.
    for _, pw in ipairs { "s3cretpw", "s3c@retpw", "s3c/r@etpw", "s3c@@ret/pw" } do
      local lines = {}
      local client = helper.client { proxy = "http://user:" .. pw .. "@[bad:3128", max_retries = 0,
        logger = function(_, line) lines[#lines + 1] = line end }
      local _, err = client:create_model()
      assert.equal("connection", err.kind)
      for _, part in ipairs { "s3c", "pw", "ret" } do
        assert.falsy(tostring(err):find(part, 1, true), tostring(err))
        for _, line in ipairs(lines) do assert.falsy(line:find(part, 1, true), line) end
      end
      assert.truthy(err.message:find("[redacted]", 1, true), err.message)
    end
    -- and from the environment, which libcurl reads itself
    local out = create_in_child("HTTPS_PROXY='http://user:env pw 9f@[bad:1' http_proxy='http://u:envpw2@[x:1'",
      "base_url = 'http://0.0.0.0:1/v1', allow_insecure = true")
    assert.equal("connection", out)
    -- The password, and every part of it, as the error's text shows none.
    for proxy, parts in pairs {
      ["http://u:envpw2@[x:1"] = { "envpw2" },
      ["http://u:env@p/w 2@[x:1"] = { "env", "w 2" },
    } do
      local out2 = helper.run_lua([[
        local scenario = require "scenario"
        local c = scenario.new { api_key = "k", api_secret = "s", base_url = "http://0.0.0.0:1/v1",
          allow_insecure = true, max_retries = 0 }
        local _, err = c:create_model()
        io.write(tostring(err))
      ]], ("http_proxy='%s'"):format(proxy))
      assert.truthy(out2:find("[redacted]", 1, true), out2)
      for _, part in ipairs(parts) do assert.falsy(out2:find(part, 1, true), out2) end
    end
  end)

  it("keep their credentials out of the client's fields and text", function()
    local client = helper.client { proxy = "http://u:proxy-pw-5e1d@127.0.0.1:" .. lport }
    assert.falsy(tostring(client):find("proxy-pw", 1, true))
    for k, v in pairs(client) do
      assert.falsy(tostring(v):find("proxy-pw", 1, true), k)
    end
  end)

  it("must be URLs of a proxy scheme, or false", function()
    for _, bad in ipairs { "127.0.0.1:3128", "ftp://p:21", "http://p:1\r\nX: y", true, 3128 } do
      assert.has_error(function() helper.client { proxy = bad } end)
    end
    assert.is_table(scenario.new { api_key = "k", api_secret = "s", proxy = "socks5h://127.0.0.1:1080" })
  end)
end)
