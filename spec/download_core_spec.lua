-- Downloads in the core (csrc/download.c): core.start_download driven by
-- core.submit, perform and finish as the request machine drives a call,
-- against a CDN on 127.0.0.2 (spec/support/cdn_server.lua) that refuses
-- any credential, cookie or signed query not sent as signed. Each failure
-- leaves nothing at the path and no temporary file beside it.
local core = require "scenario.core"
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local cdn_server = require "spec.support.cdn_server"

local SIGNED = cdn_server.SIGNED
local KEY, SECRET = helper.API_KEY, helper.API_SECRET
-- A password with an '@' and a '/' left unescaped, as people write them:
-- the user information runs to the last '@'.
local PROXY_USER, PROXY_PASS = "proxy-user-5d1", "proxy-pass@9b7/x"

-- The names in directory dir, sorted.
local function names(dir)
  local list = {}
  local p = assert(io.popen("ls -A '" .. dir .. "'"))
  for name in p:lines() do list[#list + 1] = name end
  p:close()
  table.sort(list)
  return list
end

-- The message of an error, for an assertion's.
local function msg(err)
  return type(err) == "table" and tostring(err.message) or nil
end

-- The easy handles the client's calls hold, and those in its pool.
local function handles(h)
  local attached, pooled = core.handles(h)
  return { attached, pooled }
end

local function client(opts)
  local o = { base_url = "http://127.0.0.1:9/v1", api_key = KEY, api_secret = SECRET, timeout = 10 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return core.new(o)
end

-- Drives the transfers of h until ready() holds, for at most limit seconds.
local function drive_until(h, ready, limit)
  local deadline = core.now() + (limit or 20)
  while not ready() do
    assert(core.now() < deadline, "gave up waiting")
    core.perform(h, 0.05)
  end
end

-- Sends the idle call and takes its result once it is done.
local function run(h, call, limit)
  assert(core.submit(call))
  drive_until(h, function() return core.state(call) == "done" end, limit)
  return core.finish(call)
end

local function download(h, url, path, max_bytes)
  local call = core.start_download(h, url, path, max_bytes or 10000000)
  local a, b, c, d, e = run(h, call)
  call:close()
  return a, b, c, d, e
end

describe("a download's URL (core.download_url_problem)", function()
  it("is https, or http to a loopback host, with a host and nothing else in the way", function()
    for _, url in ipairs {
      "https://cdn.example/a.png?" .. SIGNED, "HTTPS://CDN.EXAMPLE:8443/a", "http://127.0.0.1:8080/a",
      "http://127.0.0.2/a", "http://127.1/a", "http://localhost/a", "http://LocalHost/a", "http://[::1]:80/a",
      "http://[0:0:0:0:0:0:0:1]/a", "http://[::ffff:127.0.0.1]/a", "https://cdn.example",
    } do
      assert.is_nil(core.download_url_problem(url), url)
    end
    local refused = {
      [""] = "the URL is empty",
      ["http://cdn.example/a"] = "the URL must be https unless its host is loopback (127.0.0.0/8, localhost, ::1)",
      ["http://127.0.0.1.cdn.example/a"] = "the URL must be https unless its host is loopback (127.0.0.0/8, "
        .. "localhost, ::1)",
      ["http://[::2]/a"] = "the URL must be https unless its host is loopback (127.0.0.0/8, localhost, ::1)",
      ["http://localhost.cdn.example/a"] = "the URL must be https unless its host is loopback (127.0.0.0/8, "
        .. "localhost, ::1)",
      ["https://user:pass@cdn.example/a"] = "the URL must not carry user information (credentials before an '@')",
      ["http://user@127.0.0.1/a"] = "the URL must not carry user information (credentials before an '@')",
      ["https://cdn.example/a b"] = "the URL contains whitespace or a control character",
      ["https://cdn.example/a\r\nCookie: x"] = "the URL contains whitespace or a control character",
      ["https://cdn.example/a\0"] = "the URL contains whitespace or a control character",
      ["ftp://cdn.example/a"] = "the URL must start with https:// (or http:// for a loopback host)",
      ["//cdn.example/a"] = "the URL must start with https:// (or http:// for a loopback host)",
      ["https:///a"] = "the URL has no host",
      ["https://[::1/a"] = "the URL has no host",
      ["https://cdn.example/" .. ("x"):rep(core.limits.max_url_bytes)] = "the URL is longer than "
        .. core.limits.max_url_bytes .. " bytes",
    }
    for url, message in pairs(refused) do
      assert.equal(message, core.download_url_problem(url), url)
    end
  end)

  it("is refused by core.start_download, which makes no call of it", function()
    local h = client()
    assert.has_error(function() core.start_download(h, "http://cdn.example/a.png?" .. SIGNED, "/tmp/x", 10) end,
      "bad argument #2 to 'start_download' (the URL must be https unless its host is loopback "
      .. "(127.0.0.0/8, localhost, ::1))")
    assert.has_error(function() core.start_download(h, "https://u:p@cdn.example/a", nil, 10) end,
      "bad argument #2 to 'start_download' (the URL must not carry user information (credentials before an '@'))")
    assert.has_error(function() core.start_download(h, "https://cdn.example/a", "", 10) end,
      "bad argument #3 to 'start_download' (the path is empty)")
    assert.has_error(function() core.start_download(h, "https://cdn.example/a", "a\0b", 10) end,
      "bad argument #3 to 'start_download' (the path contains a NUL byte)")
    assert.has_error(function() core.start_download(h, "https://cdn.example/a", nil, 0) end,
      "bad argument #4 to 'start_download' (a positive integer number of bytes expected)")
    assert.has_error(function() core.start_download(h, "https://cdn.example/a", nil, 1.5) end,
      "bad argument #4 to 'start_download' (a positive integer number of bytes expected)")
    assert.equal(0, (core.handles(h)))
    h:close()
  end)

  it("has its loopback rule from the same place as base_url's", function()
    for host, loopback in pairs {
      ["127.0.0.1"] = true, ["127.1"] = true, ["127.0.1"] = true, ["127.16777215"] = true, ["127.255.65535"] = true,
      ["LOCALHOST"] = true, ["localhost."] = false, -- libcurl 7.88 asks DNS for that one
      -- What inet_aton does not read as an address goes to DNS: a name, anywhere.
      ["127."] = false, ["127.999.999.999"] = false, ["127.0.0.256"] = false, ["127.16777216"] = false,
      ["127.0.65536"] = false, ["127.0.0.1."] = false, ["127..1"] = false, ["127.0.01"] = false,
      ["127.0.0.1.2"] = false, ["127.0x1"] = false, ["[::ffff:127.1]"] = false, ["[::ffff:127.0.0.256]"] = false,
      ["[::1]"] = true, ["[::FFFF:127.0.0.9]"] = true, ["[::ffff:127.]"] = false, ["[::ffff:127.0.0.1]"] = true,
      ["128.0.0.1"] = false,
      ["127.0.0.1.example"] = false, ["localhost.example"] = false, ["[::ffff:]"] = false,
      ["[::ffff:10.0.0.1]"] = false, ["::1"] = false, [""] = false, ["127.0.0.1\0"] = false,
    } do
      assert.equal(loopback, core.loopback_host(host), host)
      local ok = pcall(require("scenario").new, { base_url = "http://" .. host .. "/v1", api_key = "k",
        api_secret = "s" })
      if host ~= "" and not host:find("\0", 1, true) then assert.equal(loopback, ok, host) end
    end
  end)
end)

describe("a download from a CDN on another host", function()
  local cdn, dir
  setup(function() cdn = cdn_server.start() end)
  teardown(function() cdn:stop() end)
  before_each(function() dir = helper.tmpdir() end)
  after_each(function() helper.sh("rm -rf '" .. dir .. "'") end)

  it("puts the file at path, asking with the signed query as signed and no credential", function()
    local h = client()
    local path = dir .. "/asset.png"
    local result, status, lines, size, mime = download(h, cdn:url("/ok/100000"), path)
    assert.equal(path, result, msg(status))
    assert.equal(200, status)
    assert.matches("^HTTP/1%.1 200 OK\r\n.*Content%-Type: Image/PNG; q=1\r\n", lines)
    assert.equal(100000, size)
    assert.equal("image/png", mime)
    assert.equal(cdn_server.body(100000), helper.read(path))
    assert.same({ "asset.png" }, names(dir))
    local seen = cdn:requests()
    local head = seen[#seen].head
    assert.equal("GET /ok/100000?" .. SIGNED .. " HTTP/1.1\r\n", head:match("^[^\n]*\n"))
    assert.falsy(head:lower():find("authorization", 1, true), head)
    assert.falsy(head:lower():find("cookie", 1, true), head)
    assert.falsy(head:lower():find("accept-encoding", 1, true), head)
    assert.truthy(head:find("\r\nAccept: */*\r\n", 1, true), head)
    h:close()
  end)

  it("sends a path's escapes and dot segments as given, and keeps a file in memory without a path", function()
    local h = client()
    local bytes, status, _, size, mime = download(h, cdn:url(cdn_server.DOTS), nil)
    assert.equal(cdn_server.body(10), bytes, msg(status))
    assert.same({ 200, 10, "image/png" }, { status, size, mime })
    local body, again = download(h, cdn:url("/chunked/30000"), nil)
    assert.equal(cdn_server.body(30000), body, msg(again))
    local empty, st = download(h, cdn:url("/ok/0"), dir .. "/empty")
    assert.equal(dir .. "/empty", empty, msg(st))
    assert.equal("", helper.read(dir .. "/empty"))
    local nolen = download(h, cdn:url("/nolen/5000"), dir .. "/nolen")
    assert.equal(dir .. "/nolen", nolen)
    assert.equal(cdn_server.body(5000), helper.read(dir .. "/nolen"))
    h:close()
  end)

  it("sends no cookie the CDN set when the same call goes again on the same handle", function()
    local h = client()
    local path = dir .. "/f"
    local call = core.start_download(h, cdn:url("/flaky/300"), path, 1000)
    local none, err = run(h, call)
    assert.is_nil(none)
    assert.same({ "http", 500, "try again" }, { err.kind, err.status, err.body })
    assert.equal("cdn=seen; Path=/", err.headers["set-cookie"])
    assert.same({}, names(dir))
    -- The retry the Lua policy makes: the same idle call, sent again.
    assert.equal(path, (run(h, call)))
    assert.equal(cdn_server.body(300), helper.read(path))
    local seen = cdn:requests()
    assert.falsy(seen[#seen].head:lower():find("\ncookie:", 1, true), seen[#seen].head)
    call:close()
    h:close()
  end)

  it("never takes a handle from the client's pool, nor gives one to it", function()
    local server = replay.server()
    server.reset()
    server.enqueue("model_example", "model_example")
    local h = client { base_url = server.url }
    assert.same({ 0, 1 }, handles(h))
    local d = core.start_download(h, cdn:url("/ok/10"), dir .. "/a", 100)
    assert(core.submit(d))
    assert.same({ 1, 1 }, handles(h)) -- a handle of its own: the pool's is still there
    drive_until(h, function() return core.state(d) == "done" end)
    assert.equal(dir .. "/a", (core.finish(d)))
    core.release(d)
    assert.same({ 0, 1 }, handles(h)) -- freed, not pooled
    -- An API call, with the pooled handle and its credentials, then
    -- reloaded as a download: its handle goes back to the pool first.
    local api = assert(core.start(h, "create_model", { name = "a" }))
    assert.equal("id", run(h, api).id)
    assert.same({ 1, 0 }, handles(h))
    assert.equal(api, core.start_download(h, cdn:url("/ok/20"), dir .. "/b", 100, api))
    assert.same({ 0, 1 }, handles(h))
    local got, err = run(h, api)
    assert.equal(dir .. "/b", got, msg(err))
    assert.equal("scenario.core.call (download, idle)", tostring(api))
    assert.same({ "GET", cdn:url("/ok/20") }, { core.target(api) })
    -- And back: an API call again, sent with the credentials.
    assert.equal(api, core.start(h, "create_model", { name = "b" }, nil, nil, api))
    assert.same({ 0, 1 }, handles(h))
    assert.equal("id", run(h, api).id)
    local reqs = server.requests()
    assert.equal(2, #reqs)
    assert.equal(helper.basic_auth(KEY, SECRET), reqs[2].headers.authorization)
    assert.has_error(function() core.progress(api) end, "bad argument #1 to 'progress' (the call is not a download)")
    api:close()
    h:close()
  end)

  it("does not follow a redirect: it returns it, with its Location as sent", function()
    local h = client()
    local before = #cdn:requests()
    local none, err = download(h, cdn:url("/redirect"), dir .. "/f")
    assert.is_nil(none)
    assert.same({ "redirect", 302, cdn_server.ELSEWHERE },
      { err.kind, err.status, err.location })
    assert.equal("HTTP 302: the file is elsewhere (location)", err.message)
    assert.equal(cdn_server.ELSEWHERE, err.headers.location)
    assert.same({ "GET", cdn:url("/redirect"):match("^[^?]*") }, { err.method, err.url })
    assert.equal(before + 1, #cdn:requests()) -- not followed
    assert.same({}, names(dir))
    -- A relative one, made absolute against the URL it came from, which
    -- the same call, reloaded, then follows as the Lua policy would.
    local call = core.start_download(h, cdn:url("/redirect-relative"), dir .. "/f", 100)
    none, err = run(h, call)
    assert.is_nil(none)
    assert.equal(cdn:url("/ok/10"), err.location)
    assert.equal(before + 2, #cdn:requests())
    assert.same({}, names(dir))
    assert.equal(call, core.start_download(h, err.location, dir .. "/f", 100, call))
    assert(core.submit(call))
    assert.has_error(function() core.start_download(h, err.location, dir .. "/f", 100, call) end,
      "bad argument #5 to 'start_download' (the call is not idle)")
    local other = client()
    assert.has_error(function() core.start_download(other, err.location, dir .. "/f", 100, call) end,
      "bad argument #5 to 'start_download' (the call belongs to another client)")
    other:close()
    drive_until(h, function() return core.state(call) == "done" end)
    assert.equal(dir .. "/f", (core.finish(call)))
    assert.equal(cdn_server.body(10), helper.read(dir .. "/f"))
    call:close()
    h:close()
  end)

  it("returns a 403 (an expired URL) as an API call's error, with the start of its body", function()
    local h = client()
    local call = core.start_download(h, cdn:url("/expired"), dir .. "/f", 1000)
    local none, err = run(h, call)
    assert.is_nil(none)
    assert.same({ "http", 403, "application/xml" }, { err.kind, err.status, err.headers["content-type"] })
    assert.matches("<Message>Request has expired</Message>", err.body)
    assert.equal(cdn:url("/expired"):match("^[^?]*"), err.url) -- no signature in the error
    assert.same({}, names(dir))
    -- The same call, reloaded with a fresh URL, as the Lua policy does.
    assert.equal(call, core.start_download(h, cdn:url("/ok/30"), dir .. "/f", 1000, call))
    assert.equal(dir .. "/f", (run(h, call)))
    call:close()
    os.remove(dir .. "/f")
    -- Of a long one it keeps the start, and reads no further.
    local t0 = core.now()
    none, err = download(h, cdn:url("/huge-error"), dir .. "/f")
    assert.is_nil(none)
    assert.same({ "http", 500, 4096 }, { err.kind, err.status, #err.body })
    assert.truthy(core.now() - t0 < 3, core.now() - t0)
    assert.same({}, names(dir))
    h:close()
  end)
end)

describe("a download that fails", function()
  local cdn, dir, path
  setup(function() cdn = cdn_server.start() end)
  teardown(function() cdn:stop() end)
  before_each(function()
    dir = helper.tmpdir()
    path = dir .. "/asset.bin"
  end)
  after_each(function() helper.sh("rm -rf '" .. dir .. "'") end)

  it("cut off mid-body leaves nothing: chunks without their end, a short Content-Length, a reset", function()
    local h = client()
    for route, code in pairs { ["/cut/200000"] = 18, ["/short/200000"] = 18, ["/reset/200000"] = 56 } do
      local none, err = download(h, cdn:url(route), path)
      assert.is_nil(none, route)
      assert.same({ "connection", 200, code, true }, { err.kind, err.status, err.curl_code, err.sent }, route)
      assert.same({}, names(dir), route)
    end
    h:close()
  end)

  -- A host that takes the connection and never answers the TLS
  -- handshake: no byte for the client's timeout (1 s) ends it, not the
  -- connect_timeout (10 s by default), which is for the API's calls.
  it("times out within the client's timeout in a TLS handshake that never ends", function()
    local socket = require "socket"
    local server = assert(socket.bind("127.0.0.1", 0))
    local _, port = server:getsockname()
    local h = client { timeout = 1 }
    local t0 = core.now()
    local none, err = download(h, ("https://localhost:%d/a.png"):format(port), path)
    local took = core.now() - t0
    server:close()
    assert.is_nil(none)
    assert.equal("timeout", err.kind, msg(err))
    assert.truthy(took < 5, took) -- 10 s when it waits for the connect_timeout
    assert.same({}, names(dir))
    h:close()
  end)

  it("leaves a file already at path as it was, until a whole one replaces it", function()
    helper.write(path, "the old one")
    local target = dir .. "/target"
    helper.write(target, "not to be written through")
    local h = client()
    assert.is_nil((download(h, cdn:url("/short/5000"), path)))
    assert.equal("the old one", helper.read(path))
    assert.same({ "asset.bin", "target" }, names(dir))
    assert.equal(path, (download(h, cdn:url("/ok/5000"), path)))
    assert.equal(cdn_server.body(5000), helper.read(path))
    -- A symlink at path is replaced, not followed.
    assert(helper.sh(("rm '%s' && ln -s '%s' '%s'"):format(path, target, path)))
    assert.equal(path, (download(h, cdn:url("/ok/70"), path)))
    assert.equal("not to be written through", helper.read(target))
    assert.is_true(helper.sh(("test -f '%s' && ! test -L '%s'"):format(path, path)))
    assert.same({ "asset.bin", "target" }, names(dir))
    h:close()
  end)

  -- The temporary file's name adds 14 bytes to the file's: a name near
  -- the 255 bytes a file system allows would fail with ENAMETOOLONG.
  it("to a name of 255 bytes works, and fails without leaving its temporary file", function()
    local h = client()
    local long = dir .. "/" .. ("n"):rep(251) .. ".png"
    local seen
    local call = core.start_download(h, cdn:url("/hold/400000"), long, 1000000)
    assert(core.submit(call))
    drive_until(h, function()
      seen = names(dir)
      return #seen == 1
    end)
    assert.equal(("n"):rep(241) .. ".", seen[1]:sub(1, 242))
    assert.equal(256, #seen[1] + 1) -- 255 bytes, ".xxxxxxxx.part" included
    call:close()
    assert.same({}, names(dir))
    assert.equal(long, (download(h, cdn:url("/ok/5000"), long)))
    assert.equal(cdn_server.body(5000), helper.read(long))
    assert.same({ ("n"):rep(251) .. ".png" }, names(dir))
    h:close()
  end)

  it("over max_bytes stops: before any byte when Content-Length says so, else as the body passes it", function()
    local h = client()
    local none, err = download(h, cdn:url("/ok/5000"), path, 4999)
    assert.is_nil(none)
    assert.same({ "invalid_response", 200, 4999 }, { err.kind, err.status, err.max_bytes })
    assert.equal("the file is larger than max_bytes (4999 bytes): its Content-Length is 5000", err.message)
    none, err = download(h, cdn:url("/chunked/50000"), path, 25000)
    assert.is_nil(none)
    assert.equal("the file is larger than max_bytes (25000 bytes)", err.message)
    assert.same({}, names(dir))
    none, err = download(h, cdn:url("/chunked/50000"), nil, 25000)
    assert.is_nil(none)
    assert.equal("the file is larger than max_bytes (25000 bytes)", err.message)
    -- At the cap exactly, it is whole.
    assert.equal(path, (download(h, cdn:url("/ok/5000"), path, 5000)))
    h:close()
  end)

  it("fails as kind file, with the path and the system's reason, when the file cannot be made", function()
    local h = client()
    local missing = dir .. "/no/such/dir/f"
    local none, err = download(h, cdn:url("/ok/100"), missing)
    assert.is_nil(none)
    assert.same({ "file", missing, missing .. ": No such file or directory" }, { err.kind, err.path, err.message })
    -- path is a directory: everything arrives, and the rename fails
    assert(helper.sh("mkdir '" .. path .. "'"))
    none, err = download(h, cdn:url("/ok/100"), path)
    assert.is_nil(none)
    assert.same({ "file", path .. ": Is a directory" }, { err.kind, err.message })
    assert.same({ "asset.bin" }, names(dir))
    assert.same({}, names(path))
    h:close()
  end)

  it("fails as kind file when the disk fills up (ulimit -f), and removes what it wrote", function()
    -- ulimit -f: the child's files end at 64 blocks of 512 bytes (EFBIG
    -- after a short write, as on a full disk); SIGXFSZ ignored, so write says so.
    local out, ok = helper.run_lua(([[
      local core = require "scenario.core"
      local h = core.new { base_url = "http://127.0.0.1:9/v1", api_key = "k-key-1", api_secret = "s-secret-1" }
      local call = core.start_download(h, %q, %q, 10000000)
      core.submit(call)
      local deadline = core.now() + 20
      while core.state(call) ~= "done" and core.now() < deadline do core.perform(h, 0.1) end
      local r, err = core.finish(call)
      io.write(tostring(r), "\n", tostring(err and err.kind), "\n", tostring(err and err.message))
    ]]):format(cdn:url("/big/1000000"), path), "ulimit -f 64; trap '' XFSZ;")
    assert.is_true(ok, out)
    assert.equal(("nil\nfile\n%s: File too large"):format(path), out)
    assert.same({}, names(dir))
  end)

  it("that stalls fails as a timeout once no byte has come for the client's timeout", function()
    local h = client { timeout = 1 }
    local t0 = core.now()
    local none, err = download(h, cdn:url("/hold/40000"), path)
    assert.is_nil(none)
    assert.same({ "timeout", 200, 28 }, { err.kind, err.status, err.curl_code })
    -- libcurl judges the speed over its last 5 seconds, which held the bytes that came
    local took = core.now() - t0
    assert.truthy(took >= 1 and took < 10, took)
    assert.same({}, names(dir))
    h:close()
  end)

  -- Starts a download of 400,000 bytes that stops after 100,000, and drives
  -- it until those are in its temporary file.
  local function started(h)
    local call = core.start_download(h, cdn:url("/hold/400000"), path, 1000000)
    assert(core.submit(call))
    assert.same({ 0, nil }, { core.progress(call) })
    drive_until(h, function() return core.progress(call) == 100000 end)
    assert.same({ 100000, 400000 }, { core.progress(call) })
    local left = names(dir)
    assert.equal(1, #left)
    assert.matches("^asset%.bin%.%x+%.part$", left[1])
    assert.equal(cdn_server.body(100000), helper.read(dir .. "/" .. left[1]))
    return call
  end

  it("cancelled mid-transfer removes its temporary file", function()
    local h = client()
    local call = started(h)
    core.cancel(call)
    assert.equal("closed", core.state(call))
    assert.same({}, names(dir))
    h:close()
  end)

  it("collected mid-transfer removes its temporary file", function()
    local h = client()
    started(h) -- the call is garbage once it returns
    collectgarbage()
    collectgarbage()
    assert.same({}, names(dir))
    assert.equal(0, (core.handles(h)))
    h:close()
  end)

  it("whose client is closed mid-transfer removes its temporary file", function()
    local h = client()
    local call = started(h)
    h:close()
    assert.equal("closed", core.state(call))
    assert.same({}, names(dir))
  end)
end)

describe("a download of 100 MiB", function()
  local cdn, dir
  setup(function() cdn = cdn_server.start() end)
  teardown(function() cdn:stop() end)
  before_each(function() dir = helper.tmpdir() end)
  after_each(function() helper.sh("rm -rf '" .. dir .. "'") end)

  -- VmRSS and VmHWM (the most it has been since the mark was last reset)
  -- of this process, in KiB.
  local function memory()
    local f = assert(io.open("/proc/self/status"))
    local s = f:read("*a")
    f:close()
    return tonumber(s:match("VmRSS:%s*(%d+)")), tonumber(s:match("VmHWM:%s*(%d+)"))
  end

  -- Resets VmHWM to the size now (Linux 4.0 on).
  local function reset_peak()
    local f = assert(io.open("/proc/self/clear_refs", "w"))
    f:write("5")
    f:close()
  end

  it("goes to disk as it comes: the process grows by under 2 MiB", function()
    local n = 100 * 1024 * 1024
    local path = dir .. "/big.bin"
    local h = client()
    assert(download(h, cdn:url("/big/1000"), dir .. "/warm")) -- libcurl's own first allocations
    collectgarbage()
    collectgarbage()
    local call = core.start_download(h, cdn:url("/big/" .. n), path, n)
    local deadline, last, totals = core.now() + 120, 0, n
    -- Nothing in the loop allocates but what it measures.
    reset_peak()
    local base = memory()
    assert(core.submit(call))
    while core.state(call) ~= "done" and core.now() < deadline do
      core.perform(h, 0.05)
      local got, total = core.progress(call)
      if got > 0 and total ~= n then totals = total end
      if got < last then last = math.huge end
      if last < math.huge then last = got end
    end
    assert.equal("done", core.state(call))
    assert.equal(n, totals)
    assert.equal(n, last) -- never going back
    local result, status, _, size = core.finish(call)
    local _, peak = memory()
    call:close()
    h:close()
    assert.equal(path, result, msg(status))
    assert.equal(n, size)
    -- valgrind's own bookkeeping (its queue of freed blocks) is in the
    -- process too: there the file is checked, not the size.
    if not (os.getenv("LD_PRELOAD") or ""):find("valgrind", 1, true) then
      assert.truthy(peak - base < 2048, ("grew by %d KiB"):format(peak - base))
    end
    local f = assert(io.open(path, "rb"))
    local block, blocks = cdn_server.BLOCK, 0
    while true do
      local piece = f:read(#block)
      if not piece then break end
      blocks = blocks + 1
      if piece ~= block then
        f:close()
        error(("block %d differs"):format(blocks))
      end
    end
    f:close()
    assert.equal(n / #block, blocks)
    assert.same({ "big.bin", "warm" }, names(dir))
  end)
end)

describe("a download through a proxy", function()
  local cdn, dir
  setup(function() cdn = cdn_server.start() end)
  teardown(function() cdn:stop() end)
  before_each(function() dir = helper.tmpdir() end)
  after_each(function() helper.sh("rm -rf '" .. dir .. "'") end)

  local remote = cdn_server.ELSEWHERE

  -- The proxy's requests since the first n the server saw.
  local function proxied(n)
    local list = {}
    for i, r in ipairs(cdn:requests()) do
      if i > n and r.via == "proxy" then list[#list + 1] = r.head end
    end
    return list
  end

  local function check_refused(heads, err)
    assert.equal(1, #heads)
    assert.equal("CONNECT 0.0.0.0:1 HTTP/1.1\r\n", heads[1]:match("^[^\n]*\n"))
    assert.falsy(heads[1]:lower():find("proxy-authorization", 1, true), heads[1])
    assert.falsy(heads[1]:lower():find("\nauthorization", 1, true), heads[1])
    assert.equal("connection", err.kind)
    for _, secret in ipairs { PROXY_USER, PROXY_PASS, KEY, SECRET } do
      assert.falsy(err.message:find(secret, 1, true), err.message)
    end
  end

  it("goes through the client's proxy without its credentials, and never for a loopback host", function()
    local h = client { proxy = ("http://%s:%s@%s"):format(PROXY_USER, PROXY_PASS, cdn.proxy) }
    local n = #cdn:requests()
    assert.equal(dir .. "/a", (download(h, cdn:url("/ok/10"), dir .. "/a")))
    assert.same({}, proxied(n))
    local none, err = download(h, remote, dir .. "/b")
    assert.is_nil(none)
    check_refused(proxied(n), err)
    assert.same({ "a" }, names(dir))
    h:close()
  end)

  it("goes through the environment's proxy without its credentials, and never for a loopback host", function()
    local auth = ("http://%s:%s@%s"):format(PROXY_USER, PROXY_PASS, cdn.proxy)
    -- An empty variable is unset to libcurl (curl_getenv): the next one
    -- names the proxy, for the API's calls and the downloads alike.
    for _, env in ipairs {
      ("http_proxy=%s https_proxy=%s ALL_PROXY=%s"):format(auth, auth, auth),
      ("-u http_proxy -u ALL_PROXY -u all_proxy https_proxy= HTTPS_PROXY=%s"):format(auth),
    } do
      os.remove(dir .. "/a")
      local n = #cdn:requests()
      local out, ok = helper.run_lua(([[
        local core = require "scenario.core"
        local h = core.new { base_url = "http://127.0.0.1:9/v1", api_key = %q, api_secret = %q, timeout = 5 }
        local function get(url, path)
          local call = core.start_download(h, url, path, 1000)
          core.submit(call)
          local deadline = core.now() + 20
          while core.state(call) ~= "done" and core.now() < deadline do core.perform(h, 0.1) end
          return core.finish(call)
        end
        local a, aerr = get(%q, %q)
        local b, berr = get(%q, %q)
        io.write(tostring(a or aerr.message), "\n", tostring(b), "\n", berr.kind, "\n", berr.message)
      ]]):format(KEY, SECRET, cdn:url("/ok/10"), dir .. "/a", remote, dir .. "/b"),
        "env -u no_proxy -u NO_PROXY " .. env)
      assert.is_true(ok, out)
      local a, b, kind, message = out:match("^(.-)\n(.-)\n(.-)\n(.*)$")
      assert.equal(dir .. "/a", a, env)
      assert.equal("nil", b, env)
      check_refused(proxied(n), { kind = kind, message = message })
      assert.same({ "a" }, names(dir))
    end
  end)
end)
