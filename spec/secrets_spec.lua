-- The API key and secret never leave the C handle: not in errors, not in
-- tostring, not in log lines, not in the recorded fixtures.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local replay = require "spec.support.replay"
local core = require "scenario.core"

local server = replay.server()

local KEY, SECRET = helper.API_KEY, helper.API_SECRET
local TOKEN = helper.basic_auth(KEY, SECRET):sub(#"Basic " + 1)

local function assert_clean(text, what)
  assert.is_string(text)
  for _, secret in ipairs { KEY, SECRET, TOKEN } do
    assert.falsy(text:find(secret, 1, true), what .. " holds a secret: " .. text)
  end
end

-- Every string inside v, keys included.
local function strings(v, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then
    out[#out + 1] = v
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do
      strings(k, out, seen)
      strings(x, out, seen)
    end
  end
  return out
end

describe("secrets", function()
  local lines = {}
  local client

  setup(function()
    client = helper.client { logger = function(level, line) lines[#lines + 1] = level .. " " .. line end,
      max_retries = 1 }
  end)

  it("stay out of every error value, its text and the log", function()
    local cases = {
      { "error_401" }, { "error_403_amzn" }, { "error_429_retry_after", "error_429_retry_after" },
      { "error_502_html" }, { "ok_broken_json" }, { { raw = "" } }, { "model_realistic" },
    }
    local seen = 0
    for _, responses in ipairs(cases) do
      server.reset()
      server.enqueue(compat.unpack(responses))
      local model, err = client:create_model { name = "n" }
      if model == nil then
        seen = seen + 1
        assert_clean(tostring(err), "tostring(err)")
        for _, s in ipairs(strings(err)) do assert_clean(s, "an error field") end
      end
    end
    local _, verr = client:create_model { name = 5 }
    assert_clean(tostring(verr), "a validation error")
    local refused = helper.client { base_url = "http://127.0.0.1:1/v1", max_retries = 0 }
    local _, cerr = refused:create_model()
    assert_clean(tostring(cerr), "a connection error")
    assert.equal(6, seen)
    assert.truthy(#lines > 10)
    for _, line in ipairs(lines) do assert_clean(line, "a log line") end
  end)

  it("are redacted wherever a server echoes them back", function()
    local echo_lines = {}
    local echoing = helper.client { max_retries = 0,
      logger = function(level, line) echo_lines[#echo_lines + 1] = level .. " " .. line end }
    local auth = "Basic " .. TOKEN
    -- lua-cjson writes "/" as "\/": the token as such a server would echo it.
    local escaped = auth:gsub("/", "\\/")
    local echo = ("you sent %s (key %s, secret %s), raw %s"):format(escaped, KEY, SECRET, auth)
    local said = "you sent Basic [redacted] (key [redacted], secret [redacted]), raw Basic [redacted]"
    local headers = { ["Content-Type"] = "application/json", ["X-Echo-Authorization"] = auth,
      ["X-Echo-Key"] = KEY }
    for _, status in ipairs { 400, 401 } do
      server.reset()
      server.enqueue { status = status, headers = headers, body = ('{"message":"%s"}'):format(echo) }
      local _, err = echoing:create_model()
      for _, text in ipairs(strings(err)) do assert_clean(text, "a field of the error") end
      assert_clean(tostring(err), "tostring(err)")
      assert.equal("Basic [redacted]", err.headers["x-echo-authorization"])
      assert.equal("[redacted]", err.headers["x-echo-key"])
      assert.equal(said, err.message)
    end
    server.reset()
    server.enqueue { status = 200, headers = headers, body = ('{"model":{"id":"m","note":"%s"}}'):format(echo) }
    local model, meta = echoing:create_model()
    assert.equal(said, model.note)
    for _, text in ipairs(strings(meta)) do assert_clean(text, "a field of meta") end
    assert.truthy(#echo_lines >= 4)
    for _, line in ipairs(echo_lines) do assert_clean(line, "a log line") end
  end)

  it("are redacted when echoed as JSON writes them, \\/ for /", function()
    local key, secret, token
    for i = 1, 1000 do -- credentials whose Basic token has a '/'
      key, secret = "key-slash-" .. i, "secret~?>" .. i
      token = helper.basic_auth(key, secret):sub(#"Basic " + 1)
      if token:find("/", 1, true) then break end
    end
    assert.truthy(token:find("/", 1, true))
    local c = helper.client { api_key = key, api_secret = secret, max_retries = 0 }
    server.reset()
    server.enqueue { status = 401, headers = { ["Content-Type"] = "application/json" },
      body = ('{"message":"bad token %s"}'):format((token:gsub("/", "\\/"))) }
    local _, err = c:create_model()
    assert.equal("bad token [redacted]", err.message)
    assert.falsy(err.body:find(token:sub(1, 8), 1, true), err.body)
  end)

  it("are redacted when echoed percent-encoded, as a URL carries them", function()
    local c = helper.client { api_key = "key-pct-0001", api_secret = "s3cr/et+v4lue==", max_retries = 0 }
    server.reset()
    server.enqueue { status = 404, headers = { ["Content-Type"] = "application/json" },
      body = '{"message":"no /v1/x?k=key%2Dpct%2D0001&s=s3cr%2Fet%2bv4lue%3D%3D"}' }
    local _, err = c:request("GET", "/x")
    assert.equal("no /v1/x?k=[redacted]&s=[redacted]", err.message)
    assert.falsy(err.body:find("s3cr", 1, true), err.body)
  end)

  -- The scan for echoes (core.redact is the one answers go through)
  -- against a plain model of the rule, on texts made to trip a fast path:
  -- each secret whole, cut short, or with any byte written as JSON or a
  -- URL escapes it, among bytes that start a secret or an escape.
  it("are redacted in every spelling the rule names, as a plain model of it finds them", function()
    local function byte_at(s, i) -- the byte the text at i stands for, and its length
      local h = s:match("^%%(%x%x)", i)
      if h then return tonumber(h, 16), 3 end
      if s:byte(i) ~= 92 then return s:byte(i), 1 end
      local n = s:byte(i + 1)
      if n == 47 or n == 34 or n == 92 then return n, 2 end
      local u = s:match("^\\u(%x%x%x%x)", i)
      if u and tonumber(u, 16) < 128 then return tonumber(u, 16), 6 end
      return nil, 1
    end
    -- The longest spelling of sec from i, every reading followed: a '%' or
    -- '\\' of the secret may also stand as itself.
    local function spells(s, i, sec, k)
      k = k or 1
      if k > #sec then return 0 end
      if i > #s then return nil end
      local want, best = sec:byte(k), nil
      local b, len = byte_at(s, i)
      if b == want then
        local rest = spells(s, i + len, sec, k + 1)
        if rest then best = len + rest end
      end
      if (b == nil or len > 1) and s:byte(i) == want then
        local rest = spells(s, i + 1, sec, k + 1)
        if rest and (best == nil or 1 + rest > best) then best = 1 + rest end
      end
      return best
    end
    local function model(s, secrets)
      local out, i = {}, 1
      while i <= #s do
        local run = 0
        while i - run > 1 and s:byte(i - run - 1) == 92 do run = run + 1 end
        local hit = 0
        if not (s:byte(i) == 92 and run % 2 == 1) then
          for _, sec in ipairs(secrets) do hit = math.max(hit, spells(s, i, sec) or 0) end
        end
        if hit > 0 then
          out[#out + 1], i = "[redacted]", i + hit
        else
          out[#out + 1], i = s:sub(i, i), i + 1
        end
      end
      return table.concat(out)
    end
    local function spell(sec) -- sec with some of its bytes escaped
      local out = {}
      for k = 1, #sec do
        local b, r = sec:byte(k), math.random(10)
        if r == 1 then
          out[k] = ("%%%02X"):format(b)
        elseif r == 2 then
          out[k] = ("%%%02x"):format(b)
        elseif r == 3 then
          out[k] = ("\\u%04x"):format(b)
        elseif r == 4 and (b == 47 or b == 34 or b == 92) then
          out[k] = "\\" .. string.char(b)
        else
          out[k] = string.char(b)
        end
      end
      return table.concat(out)
    end
    math.randomseed(15)
    -- the second pair holds the bytes that start escapes, raw: "%41" and
    -- "%25" read both ways, and backslashes
    for _, cred in ipairs { { "bench-key-0001", "s3cr/et+v4lue==" }, { "k%41y\\%25-0002", "\\sec%ret\\\\/2" } } do
      local key, secret = cred[1], cred[2]
      local c = helper.client { api_key = key, api_secret = secret }
      local secrets = { key, secret, helper.basic_auth(key, secret):sub(#"Basic " + 1) }
      local filler = { "b", "Y", "s", "k", "\\", "%", "%2", "%25", "\\u00", "\\u005c", "e", "be", "bench-",
        "s3cr", "\\\\", "\"", "x", " " }
      local found = 0
      for _ = 1, 400 do
        local parts = {}
        for k = 1, math.random(1, 12) do
          local r, sec = math.random(3), secrets[math.random(#secrets)]
          if r == 1 then
            parts[k] = spell(sec)
          elseif r == 2 then
            parts[k] = spell(sec:sub(1, math.random(1, #sec - 1)))
          else
            parts[k] = filler[math.random(#filler)]
          end
        end
        local text = table.concat(parts)
        local want = model(text, secrets)
        assert.equal(want, core.redact(c._handle, text), text)
        if want ~= text then found = found + 1 end
      end
      assert.truthy(found > 100, "few texts held an echo: " .. found)
      -- each secret echoed as it is, with nothing escaped
      for _, sec in ipairs(secrets) do
        assert.equal("<[redacted]>", core.redact(c._handle, "<" .. sec .. ">"), sec)
      end
    end
  end)

  it("scan a run of backslashes in time that grows with the run, not its square", function()
    local c = helper.client { api_key = "bench-key-0001", api_secret = "s3cr/et+v4lue==" }
    -- Not a speed test: the scan takes milliseconds, and a scan that
    -- looked back over the run from each backslash would take 2^39 steps,
    -- hours; the bound only tells the two apart, on any machine.
    local run = ("\\"):rep(2 ^ 20)
    local t0 = os.clock()
    assert.equal(#run, #core.redact(c._handle, run))
    assert.is_true(os.clock() - t0 < 30, "the scan looked back over the run")
  end)

  it("reach the server only as the Authorization header", function()
    server.reset()
    server.enqueue("model_example")
    assert(client:create_model())
    local req = server.requests()[1]
    assert.equal("Basic " .. TOKEN, req.headers.authorization)
    assert_clean(req.body, "the request body")
    assert_clean(req.target, "the request target")
  end)

  it("stay out of the client's text and fields", function()
    assert_clean(tostring(client), "tostring(client)")
    assert_clean(tostring(client._handle), "tostring(handle)")
    for _, s in ipairs(strings(client)) do assert_clean(s, "a client field") end
  end)

  it("are not in any recorded fixture, nor is any Authorization header", function()
    local n = 0
    for file in io.popen("ls spec/fixtures"):lines() do
      local f = assert(io.open("spec/fixtures/" .. file, "rb"))
      local text = f:read("*a")
      f:close()
      assert_clean(text, file)
      assert.falsy(text:lower():find("authorization", 1, true), file .. " records an Authorization header")
      n = n + 1
    end
    assert.truthy(n >= 14)
  end)
end)
