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
  -- each secret whole, cut short, or with any character written as JSON
  -- escapes it at depth 1 to 3, or as a URL escapes it, among bytes that
  -- start a secret or an escape. The model follows every reading of
  -- every character, with no cap and no shortcut.
  local DEPTH = 3
  local function utf8_char(cp)
    if cp < 0x80 then return string.char(cp) end
    if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
    if cp < 0x10000 then
      return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
    end
    return string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
      0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  -- Every reading of the text at i as one character: {bytes, length}.
  local function readings(s, i)
    local out = { { s:sub(i, i), 1 } }
    local h = s:match("^%%(%x%x)", i)
    if h then out[#out + 1] = { string.char(tonumber(h, 16)), 3 } end
    local run = #s:match("^\\*", i)
    local simple = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ["/"] = "/" }
    for d = 1, DEPTH do
      local one, all, lit = 2 ^ (d - 1), 2 ^ d - 1, 2 ^ d
      local e = i + run
      if run >= lit then out[#out + 1] = { "\\", lit } end
      local c = s:sub(e, e)
      if run == one and c == "u" and s:match("^%x%x%x%x", e + 1) then
        local hi = tonumber(s:sub(e + 1, e + 4), 16)
        local lo = s:match("^" .. ("\\"):rep(one) .. "u(%x%x%x%x)", e + 5)
        lo = lo and tonumber(lo, 16)
        if hi >= 0xD800 and hi <= 0xDBFF and lo and lo >= 0xDC00 and lo <= 0xDFFF then
          out[#out + 1] = { utf8_char(0x10000 + (hi - 0xD800) * 1024 + (lo - 0xDC00)), run + 5 + one + 5 }
        else
          out[#out + 1] = { utf8_char(hi), run + 5 }
        end
      elseif run == one and simple[c] then
        out[#out + 1] = { simple[c], run + 1 }
      end
      if run == all and c == '"' then out[#out + 1] = { '"', run + 1 } end
      if run == all and c == "/" and all ~= one then out[#out + 1] = { "/", run + 1 } end
    end
    return out
  end
  -- The longest text from i that spells sec from byte k on, or nil.
  local function spells(s, i, sec, k)
    k = k or 1
    if k > #sec then return 0 end
    if i > #s then return nil end
    local best
    for _, r in ipairs(readings(s, i)) do
      local bytes, len = r[1], r[2]
      if sec:sub(k, k + #bytes - 1) == bytes then
        local rest = spells(s, i + len, sec, k + #bytes)
        if rest and (best == nil or len + rest > best) then best = len + rest end
      end
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
  -- The code points of a UTF-8 string, each with its bytes.
  local function chars(sec)
    local list = {}
    for ch in sec:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
      local b1 = ch:byte(1)
      local cp = b1
      if #ch == 2 then cp = (b1 - 0xC0) * 64 + ch:byte(2) - 0x80
      elseif #ch == 3 then cp = (b1 - 0xE0) * 4096 + (ch:byte(2) - 0x80) * 64 + ch:byte(3) - 0x80
      elseif #ch == 4 then
        cp = (b1 - 0xF0) * 262144 + (ch:byte(2) - 0x80) * 4096 + (ch:byte(3) - 0x80) * 64 + ch:byte(4) - 0x80
      end
      list[#list + 1] = { ch, cp }
    end
    return list
  end
  local function spell(sec) -- sec with some of its characters escaped, each at its own depth
    local out = {}
    for _, c in ipairs(chars(sec)) do
      local ch, cp = c[1], c[2]
      local d, r = math.random(DEPTH), math.random(12)
      local one, all = ("\\"):rep(2 ^ (d - 1)), ("\\"):rep(2 ^ d - 1)
      if r == 1 and #ch == 1 then
        out[#out + 1] = ("%%%02X"):format(cp)
      elseif r == 2 and #ch == 1 then
        out[#out + 1] = ("%%%02x"):format(cp)
      elseif r <= 4 and cp >= 0x10000 then
        local v = cp - 0x10000
        out[#out + 1] = ("%su%04x%su%04X"):format(one, 0xD800 + math.floor(v / 1024), one, 0xDC00 + v % 1024)
      elseif r <= 4 then
        out[#out + 1] = ("%su%04" .. (r == 3 and "x" or "X")):format(one, cp)
      elseif r == 5 and ch == "/" then
        out[#out + 1] = (math.random(2) == 1 and one or all) .. "/"
      elseif r == 5 and ch == '"' then
        out[#out + 1] = all .. '"'
      elseif r == 5 and ch == "\\" then
        out[#out + 1] = ("\\"):rep(2 ^ d)
      else
        out[#out + 1] = ch
      end
    end
    return table.concat(out)
  end

  it("are redacted in every spelling the rule names, as a plain model of it finds them", function()
    math.randomseed(15)
    -- the second pair holds the bytes that start escapes, raw: "%41" and
    -- "%25" read both ways, and backslashes; the third, characters past
    -- ASCII, one of them past U+FFFF
    for _, cred in ipairs { { "bench-key-0001", "s3cr/et+v4lue==" }, { "k%41y\\%25-0002", "\\sec%ret\\\\/2" },
                            { "cl\195\169-\240\159\152\128-0003", "p\195\164ssw\195\182rd-\"secret\"/" } } do
      local key, secret = cred[1], cred[2]
      local c = helper.client { api_key = key, api_secret = secret }
      local secrets = { key, secret, helper.basic_auth(key, secret):sub(#"Basic " + 1) }
      local filler = { "b", "Y", "s", "k", "c", "p", "\\", "%", "%2", "%25", "\\u00", "\\u005c", "\\\\u00", "e",
        "be", "bench-", "s3cr", "\\\\", "\\\\\\", "\"", "\\\"", "x", " ", "\195", "\\ud83d", "\\\\ud83d" }
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
      -- each secret echoed as it is, with nothing escaped, and each fully
      -- escaped at every depth
      for _, sec in ipairs(secrets) do
        assert.equal("<[redacted]>", core.redact(c._handle, "<" .. sec .. ">"), sec)
        for d = 1, DEPTH do
          local one = ("\\"):rep(2 ^ (d - 1))
          local all = {}
          for _, ch in ipairs(chars(sec)) do all[#all + 1] = ("%su%04x"):format(one, ch[2] % 0x10000) end
          local text = table.concat(all)
          if not sec:find("[\240-\244]") then
            assert.equal("<[redacted]>", core.redact(c._handle, "<" .. text .. ">"), text)
          end
        end
      end
    end
  end)

  -- The scan passes over text sixteen bytes at a time where it can
  -- (next_stop in csrc/redact.c): it may stop only less often than at
  -- every byte that starts a secret, never skip a place the model finds
  -- a spelling at. So spellings at every offset in and across the blocks,
  -- in the last bytes read one by one, in texts shorter than a block,
  -- after runs of backslashes, among bytes that start a secret or an
  -- escape or come second in one; the same cases again against a build
  -- with the portable code (SC_NO_SIMD).
  it("are redacted as the model finds them wherever they fall, by the vector scan and the portable one", function()
    math.randomseed(16)
    -- second bytes a backslash or a '%', first bytes shared, an escape
    -- byte first, first bytes a backslash also reads as, and the sets of
    -- the test above
    local creds = { { "bench-key-0001", "s3cr/et+v4lue==" }, { "k%41y\\%25-0002", "\\sec%ret\\\\/2" },
      { "cl\195\169-\240\159\152\128-0003", "p\195\164ssw\195\182rd-\"secret\"/" },
      { "a\\key-0004", "a%2secret-04" }, { "%ukey-0005", "uu\\u0041-sec\"5" }, { "/key/0006", "\"secret\"-06" } }
    local cases = {}
    for _, cred in ipairs(creds) do
      local key, secret = cred[1], cred[2]
      local c = helper.client { api_key = key, api_secret = secret }
      local secrets = { key, secret, helper.basic_auth(key, secret):sub(#"Basic " + 1) }
      -- the noise: each secret's first two bytes, escape bytes, hex digits
      local noise = { "\\", "%", "u", "0", "4", "d", "x", "\"", "/", " ", "\195" }
      for _, sec in ipairs(secrets) do
        noise[#noise + 1] = sec:sub(1, 1)
        noise[#noise + 1] = sec:sub(2, 2)
        noise[#noise + 1] = sec:sub(1, 2)
      end
      local function pad(n)
        local t = {}
        for i = 1, n do t[i] = noise[math.random(#noise)] end
        return table.concat(t):sub(1, n)
      end
      local function piece()
        local sec, r = secrets[math.random(#secrets)], math.random(4)
        if r == 1 then return spell(sec) end
        if r == 2 then return spell(sec:sub(1, math.random(1, #sec - 1))) end
        if r == 3 then return ("\\"):rep(math.random(0, 40)) .. spell(sec) end
        return sec
      end
      local texts = { "", "\\", "%", ("\\"):rep(17), ("\\"):rep(33) .. "u" }
      for n = 0, 40 do -- a spelling at each offset, then 0 to 2 bytes or more
        for _, sec in ipairs(secrets) do
          texts[#texts + 1] = pad(n) .. spell(sec) .. pad(math.random(0, 2))
          texts[#texts + 1] = pad(n) .. sec .. pad(math.random(0, 20))
          texts[#texts + 1] = pad(n) .. sec:sub(1, math.random(1, #sec - 1))
        end
      end
      -- After quiet text, which the AVX2 pass skips 32 bytes at a time
      -- (skip_quiet): a spelling at each offset from 0 to 100, each of its
      -- ways to start drawn many times over (spell escapes each character
      -- its own way: as it is, %xx, \uXXXX at a depth, \/ and \")
      for n = 0, 100 do
        for _, sec in ipairs(secrets) do
          texts[#texts + 1] = ("z"):rep(n) .. spell(sec) .. ("z"):rep(math.random(0, 40))
          texts[#texts + 1] = ("z"):rep(n) .. sec
        end
      end
      for _ = 1, 200 do texts[#texts + 1] = pad(math.random(0, 20)) end -- shorter than a block, mostly
      for _ = 1, 300 do -- longer, with a few spellings and noise around them
        local parts = {}
        for k = 1, math.random(1, 8) do parts[k] = math.random(2) == 1 and piece() or pad(math.random(0, 40)) end
        texts[#texts + 1] = table.concat(parts)
      end
      for _, text in ipairs(texts) do
        local want = model(text, secrets)
        assert.equal(want, core.redact(c._handle, text), text)
        cases[#cases + 1] = { key, secret, text, want }
      end
    end
    assert.truthy(#cases > 3000, #cases)
    -- The same cases, in a fresh interpreter, against the portable build.
    local dir = helper.tmpdir()
    local pc = helper.LUA == "luajit" and "luajit" or helper.LUA
    local ok, out = helper.sh(("mkdir -p %s/scenario && cc -std=c99 -Wall -Wextra -Werror -DSC_NO_SIMD -fPIC -shared "
      .. "$(pkg-config --cflags %s libcurl) csrc/core.c -o %s/scenario/core.so $(pkg-config --libs libcurl)")
      :format(dir, pc, dir))
    assert.is_true(ok, out)
    local data = {}
    for _, case in ipairs(cases) do
      for _, field in ipairs(case) do data[#data + 1] = #field .. ":" .. field end
    end
    helper.write(dir .. "/cases", table.concat(data))
    local got, ran = helper.run_lua(([[
      package.cpath = %q .. package.cpath
      local scenario = require "scenario"
      local core = require "scenario.core"
      local f = assert(io.open(%q, "rb"))
      local data = f:read("*a")
      f:close()
      local pos = 1
      local function field()
        local colon = data:find(":", pos, true)
        local n = tonumber(data:sub(pos, colon - 1))
        pos = colon + n + 1
        return data:sub(colon + 1, colon + n)
      end
      local clients, n, bad = {}, 0, 0
      while pos <= #data do
        local key, secret, text, want = field(), field(), field(), field()
        local id = key .. "\0" .. secret
        clients[id] = clients[id]
          or scenario.new { api_key = key, api_secret = secret, base_url = "http://127.0.0.1:1/v1" }
        local got = core.redact(clients[id]._handle, text)
        n = n + 1
        if got ~= want then
          bad = bad + 1
          if bad == 1 then io.write(("%%q became %%q, not %%q\n"):format(text, got, want)) end
        end
      end
      io.write(("%%d cases, %%d wrong"):format(n, bad))
    ]]):format(dir .. "/?.so;", dir .. "/cases"))
    helper.sh("rm -rf " .. dir)
    assert.is_true(ran, got)
    assert.equal(#cases .. " cases, 0 wrong", got)
  end)

  it("are redacted when echoed with \\u escapes past ASCII, as Python's json.dumps writes them", function()
    local key, secret = "key-\195\188nicode-01", "p\195\164ssw\195\182rd-secret"
    local c = helper.client { api_key = key, api_secret = secret, max_retries = 0 }
    server.reset()
    -- json.dumps({"name": secret}) with ensure_ascii, the default
    server.enqueue { status = 200, headers = { ["Content-Type"] = "application/json" },
      body = '{"model":{"id":"m1","name":"p\\u00e4ssw\\u00f6rd-secret",'
        .. '"description":"k\\u00fcnicode? key-\\u00fcnicode-01"}}' }
    local made = assert(c:create_model { name = "n" })
    assert.equal("[redacted]", made.name)
    assert.equal("k\195\188nicode? [redacted]", made.description)
  end)

  it("are redacted when a character past U+FFFF comes as a surrogate pair", function()
    local key, secret = "key-emoji-0001", "s3cret-\240\159\152\128-emoji"
    local c = helper.client { api_key = key, api_secret = secret, max_retries = 0 }
    server.reset()
    server.enqueue { status = 400, headers = { ["Content-Type"] = "application/json" },
      body = '{"message":"bad secret s3cret-\\ud83d\\ude00-emoji, or s3cret-\\uD83D\\uDE00-emoji"}' }
    local _, err = c:create_model { name = "n" }
    assert.equal("bad secret [redacted], or [redacted]", err.message)
    assert.falsy(err.body:find("emoji", 1, true), err.body)
  end)

  it("are redacted in JSON text quoted inside a JSON string, two and three levels deep", function()
    -- A token with a '/', as PHP's json_encode writes it ('\/'), quoted
    -- in an error that embeds the request as text, which embeds it again.
    local key, secret, token
    for i = 1, 1000 do
      key, secret = "key-nest-" .. i, "secr\"et/" .. i
      token = helper.basic_auth(key, secret):sub(#"Basic " + 1)
      if token:find("/", 1, true) then break end
    end
    local function php(v) return (assert(core.to_json(v)):gsub("/", "\\/")) end
    local request = php { headers = { Authorization = "Basic " .. token }, body = { secret = secret, key = key } }
    local level2 = php { message = "invalid request", request = request }
    local level3 = php { error = "upstream said: " .. level2 }
    -- Whether a credential shows in text, or in any string of it decoded
    -- as JSON, as often as it nests.
    local function holds_secret(text, depth)
      for _, sec in ipairs { token, secret, key } do
        if text:find(sec, 1, true) then return true end
      end
      local doc = depth < 4 and core.parse_json(text)
      if type(doc) ~= "table" then return false end
      for _, str in ipairs(strings(doc)) do
        if holds_secret(str, depth + 1) then return true end
      end
      return false
    end
    local c = helper.client { api_key = key, api_secret = secret, max_retries = 0 }
    for _, body in ipairs { level2, level3 } do
      assert.is_true(holds_secret(body, 0)) -- what the server sent does hold them
      server.reset()
      server.enqueue { status = 400, headers = { ["Content-Type"] = "application/json" }, body = body }
      local _, err = c:create_model { name = "n" }
      assert.is_false(holds_secret(err.body, 0), err.body)
      assert.is_false(holds_secret(err.message, 0), err.message)
    end
  end)

  it("are redacted whole when a secret with a run of backslashes comes nested three deep", function()
    -- Each of the secret's backslashes reads as 1, 2, 4 or 8 of the
    -- text's: hundreds of readings at once, every one followed.
    local bs = ("\\"):rep(1)
    local c = helper.client { api_key = "somekey-001", api_secret = "xy" .. bs:rep(6) .. "zwvutsr" }
    assert.equal("<[redacted]>", core.redact(c._handle, "<xy" .. bs:rep(48) .. "zwvutsr>"))
    -- a match cut short would leave the key (8 backslashes) in its tail
    local c2 = helper.client { api_key = bs:rep(8), api_secret = "secret-" .. bs:rep(7) }
    local out = core.redact(c2._handle, "secret-" .. bs:rep(57))
    assert.equal("[redacted]" .. bs, out)
    assert.equal(out, core.redact(c2._handle, out))
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
    for file in io.popen("find spec/fixtures -type f"):lines() do -- their bodies too
      local f = assert(io.open(file, "rb"))
      local text = f:read("*a")
      f:close()
      assert_clean(text, file)
      assert.falsy(text:lower():find("authorization", 1, true), file .. " records an Authorization header")
      n = n + 1
    end
    assert.truthy(n >= 40, n) -- the fixtures and their bodies
  end)
end)
