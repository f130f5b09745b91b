-- Downloading asset files through the client (lua/scenario/download.lua):
-- client:download_asset and download_job_assets against the stand-in,
-- whose CDN on 127.0.0.2 refuses a request with an Authorization and a
-- URL not sent as signed, and against spec/support/cdn_server.lua, a CDN
-- that cuts, stalls, redirects and refuses cookies. Each failure leaves
-- nothing at the path and no temporary file beside it.
local helper = require "spec.helper"
local scenario = require "scenario"
local core = require "scenario.core"
local testing = require "scenario.testing"
local cdn_server = require "spec.support.cdn_server"
local compat = require "spec.support.compat"

local BASE = "model_bfl-flux-1-dev"

local s, cdn, dir
setup(function()
  s = testing.start()
  cdn = cdn_server.start()
end)
teardown(function()
  s:stop()
  cdn:stop()
end)
before_each(function() dir = helper.tmpdir() end)
after_each(function() helper.sh("rm -rf '" .. dir .. "'") end)

local function client(opts)
  local o = { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET, timeout = 10 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return scenario.new(o)
end

-- The names in directory d, sorted.
local function names(d)
  local list = {}
  local p = assert(io.popen("ls -A '" .. d .. "'"))
  for name in p:lines() do list[#list + 1] = name end
  p:close()
  table.sort(list)
  return list
end

-- The stand-in's requests to endpoint name (or "cdn") since mark.
local function asked(name, mark)
  local list, reqs = {}, s:requests()
  for i = (mark or 0) + 1, #reqs do
    if reqs[i].endpoint == name then list[#list + 1] = reqs[i] end
  end
  return list, #reqs
end

local function mark() return select(2, asked("none")) end

-- A finished job of n outputs.
local function job_of(c, n)
  local doc = assert(c:generate(BASE, { prompt = "a red potion", numOutputs = n }))
  return assert(c:wait_for_job(doc.job.jobId, { interval = 0.01 }))
end

describe("download_asset from the stand-in's CDN on 127.0.0.2", function()
  local c, id, a
  setup(function()
    c = client()
    id = job_of(c, 1).metadata.assetIds[1]
    a = assert(c:get_asset(id))
  end)
  teardown(function() c:close() end)

  it("puts the file at path by id, by asset table and by URL, with no credential sent to the CDN", function()
    local before = mark()
    local bytes
    for i, asset in ipairs { id, a, a.url } do
      local path = ("%s/%d.png"):format(dir, i)
      local got, meta = c:download_asset(asset, path)
      assert.equal(path, got, tostring(meta))
      assert.same({ 200, a.properties.size, "image/png", path }, { meta.status, meta.bytes, meta.mime, meta.path })
      bytes = bytes or helper.read(path)
      assert.equal(bytes, helper.read(path))
    end
    assert.equal("\137PNG\r\n\26\n", bytes:sub(1, 8))
    assert.equal(a.properties.size, #bytes)
    assert.same({ "1.png", "2.png", "3.png" }, names(dir))
    -- Only the id was looked up; the CDN, which refuses a credential with a 403, saw none.
    assert.equal(1, #asked("get_asset", before))
    local files = asked("cdn", before)
    assert.equal(3, #files)
    for _, r in ipairs(files) do
      assert.same({ "GET", "/assets/" .. id .. ".png" }, { r.method, r.path })
      assert.is_nil(r.headers.authorization)
      assert.is_nil(r.headers.cookie)
    end
  end)

  it("returns the bytes without a path, and writes nothing", function()
    local bytes, meta = c:download_asset(id)
    assert.equal("string", type(bytes), tostring(meta))
    assert.equal(a.properties.size, #bytes)
    assert.same({ 200, #bytes, "image/png" }, { meta.status, meta.bytes, meta.mime })
    assert.is_nil(meta.path)
    assert.same({}, names(dir))
  end)

  it("fetches an expired URL again once, for a fresh one, when given an id or a table", function()
    local path = dir .. "/f.png"
    s:script_urls { expired = 1 } -- the next URL given has expired
    local before = mark()
    assert.equal(path, (c:download_asset(id, path)))
    assert.equal(2, #asked("get_asset", before))
    assert.equal(2, #asked("cdn", before))
    os.remove(path)
    -- A table whose URL has since expired: one look-up, for a fresh one.
    s:script_urls { expired = 1 }
    local stale = assert(c:get_asset(id))
    before = mark()
    assert.equal(path, (c:download_asset(stale, path)))
    assert.same({ 1, 2 }, { #asked("get_asset", before), #asked("cdn", before) })
    os.remove(path)
    -- Once: a fresh URL that has expired too is the error.
    s:script_urls { expired = 2 }
    before = mark()
    local none, err = c:download_asset(id, path)
    assert.is_nil(none)
    assert.same({ "permission_denied", 403 }, { err.kind, err.status })
    assert.same({ 2, 2 }, { #asked("get_asset", before), #asked("cdn", before) })
    -- A URL alone cannot be refreshed.
    s:script_urls { expired = 1 }
    local url = assert(c:get_asset(id)).url
    before = mark()
    none, err = c:download_asset(url, path)
    assert.is_nil(none)
    assert.same({ "permission_denied", 403 }, { err.kind, err.status })
    assert.same({ 0, 1 }, { #asked("get_asset", before), #asked("cdn", before) })
    assert.same({}, names(dir))
    s:script_urls {}
  end)

  it("fails as the API's error when the asset cannot be had, or has no URL", function()
    local none, err = c:download_asset("asset_nothing", dir .. "/f")
    assert.is_nil(none)
    assert.same({ "not_found", 404 }, { err.kind, err.status })
    none, err = c:download_asset({ id = "asset_x" }, dir .. "/f")
    assert.is_nil(none)
    assert.same({ "invalid_response", "the asset asset_x has no url" }, { err.kind, err.message })
    assert.same({}, names(dir))
  end)
end)

describe("download_job_assets", function()
  it("puts each of a job's files in dir, named after its asset, in the job's order, with progress", function()
    local c = client()
    local job = job_of(c, 4)
    local ids = job.metadata.assetIds
    assert.equal(4, #ids)
    local told = {}
    local paths, meta = c:download_job_assets(job, dir, {
      on_progress = function(done, total, path) told[#told + 1] = { done, total, path } end })
    assert.is_table(paths, tostring(meta))
    local want, bytes, seen = {}, 0, {}
    for i, asset_id in ipairs(ids) do
      want[i] = ("%s/%s.png"):format(dir, asset_id)
      local body = helper.read(want[i])
      assert.equal(c:get_asset(asset_id).properties.size, #body)
      assert.is_nil(seen[body]) -- each asset's own image
      seen[body] = true
      bytes = bytes + #body
      assert.equal(#body, meta.assets[i].bytes)
    end
    assert.same(want, paths)
    assert.equal(bytes, meta.bytes)
    -- One call of on_progress per file, counting up; the paths, each once.
    assert.equal(4, #told)
    local got = {}
    for i, t in ipairs(told) do
      assert.same({ i, 4 }, { t[1], t[2] })
      got[#got + 1] = t[3]
    end
    table.sort(got)
    assert.same(want, got)
    local out = select(2, assert(helper.sh("file " .. table.concat(paths, " "))))
    local pngs = select(2, out:gsub("PNG image data", ""))
    assert.equal(4, pngs, out)
    c:close()
  end)

  it("takes a job id, and fails without sending for a job with no assets or an id naming no plain file", function()
    local c = client()
    local job = job_of(c, 2)
    local paths = assert(c:download_job_assets(job.jobId, dir))
    assert.equal(2, #paths)
    local none, err = c:download_job_assets({ jobId = "job_x", status = "queued", metadata = {} }, dir)
    assert.is_nil(none)
    assert.equal("invalid_response", err.kind)
    assert.equal("the job job_x lists no assets (metadata.assetIds)", err.message)
    -- An id from the server that would put a file elsewhere is not looked up.
    local before = mark()
    none, err = c:download_job_assets({ jobId = "job_y", metadata = { assetIds = { "../../escaped" } } }, dir)
    assert.is_nil(none)
    assert.same({ "invalid_response", 'the asset id "../../escaped" cannot name a file' }, { err.kind, err.message })
    assert.equal(0, #asked("get_asset", before))
    -- Ids that are not strings, from a server that sends numbers or objects.
    for _, bad in ipairs { 42, {}, true, 1.5 } do
      none, err = c:download_job_assets({ jobId = "job_z", metadata = { assetIds = { "asset_a", bad } } }, dir)
      assert.is_nil(none)
      assert.same({ "invalid_response",
        ("the job job_z lists an asset id that is a %s (metadata.assetIds[2])"):format(type(bad)) },
        { err.kind, err.message })
    end
    assert.equal(0, #asked("get_asset", before))
    assert.equal(2, #names(dir))
    c:close()
  end)

  it("returns the first failure with the paths of the files that did arrive, and no partial file", function()
    local c = client { max_retries = 0 }
    local job = job_of(c, 3)
    s:fault { endpoint = "cdn", status = 404 }
    local none, err = c:download_job_assets(job, dir)
    assert.is_nil(none)
    assert.same({ "not_found", 404 }, { err.kind, err.status })
    assert.equal(2, #err.paths)
    assert.same(2, #names(dir))
    for _, p in ipairs(err.paths) do assert.truthy(helper.read(p)) end
    c:close()
  end)
end)

describe("download_asset from a CDN that misbehaves", function()
  it("sends the signed query as given, and no Authorization or cookie, a second time either", function()
    local c = client()
    for i = 1, 2 do -- every answer sets a cookie
      local got, meta = c:download_asset(cdn:url("/ok/1000"), dir .. "/f" .. i)
      assert.equal(dir .. "/f" .. i, got, tostring(meta))
    end
    assert.equal(cdn_server.body(1000), helper.read(dir .. "/f2"))
    local seen = cdn:requests()
    for i = #seen - 1, #seen do
      local head = seen[i].head:lower()
      assert.equal(("get /ok/1000?" .. cdn_server.SIGNED .. " http/1.1\r\n"):lower(), head:match("^[^\n]*\n"))
      assert.falsy(head:find("authorization", 1, true), head)
      assert.falsy(head:find("cookie", 1, true), head)
    end
    c:close()
  end)

  it("cut off mid-body, short of its Content-Length or reset, leaves nothing, after its retry", function()
    local c = client { max_retries = 1, sleep = function() end }
    for _, route in ipairs { "/cut/200000", "/short/200000", "/reset/200000" } do
      local before = #cdn:requests()
      local path = dir .. "/asset.png"
      local none, err = c:download_asset(cdn:url(route), path)
      assert.is_nil(none, route)
      assert.same({ "connection", 2 }, { err.kind, err.attempts }, route)
      assert.equal(before + 2, #cdn:requests(), route)
      assert.same({}, names(dir), route)
    end
    c:close()
  end)

  it("an answer that is not 200 (206 with a part of the file, 204) is no file: it leaves nothing", function()
    local c = client { max_retries = 1, sleep = function() end }
    for route, status in pairs { ["/partial/200000"] = 206, ["/nocontent"] = 204 } do
      local before = #cdn:requests()
      for _, path in ipairs { dir .. "/asset.png", false } do
        local none, err = c:download_asset(cdn:url(route), path or nil)
        assert.is_nil(none, route)
        assert.same({ "invalid_response", status, ("HTTP %d: not the whole file (a 200 was expected)"):format(status) },
          { err.kind, err.status, err.message }, route)
      end
      assert.equal(before + 2, #cdn:requests(), route) -- not tried again
      assert.same({}, names(dir), route)
    end
    c:close()
  end)

  it("onto a full disk (ulimit -f) fails as kind file, and leaves nothing", function()
    local path = dir .. "/big.bin"
    local out, ok = helper.run_lua(([[
      local scenario = require "scenario"
      local c = scenario.new { base_url = %q, api_key = "k-key-1", api_secret = "s-secret-1", max_retries = 0 }
      local r, err = c:download_asset(%q, %q)
      io.write(tostring(r), "\n", tostring(err and err.kind), "\n", tostring(err and err.message))
    ]]):format(s.base_url, cdn:url("/big/1000000"), path), "ulimit -f 64; trap '' XFSZ;")
    assert.is_true(ok, out)
    assert.equal(("nil\nfile\n%s: File too large"):format(path), out)
    assert.same({}, names(dir))
  end)

  it("fails as kind file when its directory is missing, and over max_bytes as invalid_response", function()
    local c = client()
    local missing = dir .. "/no/such/f"
    local none, err = c:download_asset(cdn:url("/ok/100"), missing)
    assert.is_nil(none)
    assert.same({ "file", missing .. ": No such file or directory" }, { err.kind, err.message })
    none, err = c:download_asset(cdn:url("/ok/5000"), dir .. "/f", { max_bytes = 4999 })
    assert.is_nil(none)
    assert.same({ "invalid_response", 4999 }, { err.kind, err.max_bytes })
    assert.equal(dir .. "/f", (c:download_asset(cdn:url("/ok/5000"), dir .. "/f", { max_bytes = 5000 })))
    assert.same({ "f" }, names(dir))
    c:close()
  end)

  it("refuses a redirect to http on another host, sending nothing there", function()
    local c = client { max_retries = 0 }
    assert.truthy(core.download_url_problem(cdn_server.PLAIN)) -- not loopback: no http
    local before = #cdn:requests()
    local none, err = c:download_asset(cdn:url("/redirect-http"), dir .. "/f")
    assert.is_nil(none)
    assert.equal("http", err.kind)
    assert.equal(302, err.status)
    assert.equal("a redirect (HTTP 302) the download does not follow: the URL must be https unless its host is "
      .. "loopback (127.0.0.0/8, localhost, ::1)", err.message)
    assert.equal(before + 1, #cdn:requests())
    assert.falsy(tostring(err):find("Signature", 1, true)) -- the signed query stays out of the error
    assert.same({}, names(dir))
    c:close()
  end)

  it("follows redirects to loopback or https, at most 5", function()
    local c = client { max_retries = 0 }
    local before = #cdn:requests()
    local got, meta = c:download_asset(cdn:url("/hops/5"), dir .. "/f")
    assert.equal(dir .. "/f", got, tostring(meta))
    assert.equal(cdn_server.body(10), helper.read(dir .. "/f"))
    assert.equal(before + 6, #cdn:requests())
    before = #cdn:requests()
    local none, err = c:download_asset(cdn:url("/hops/6"), dir .. "/g")
    assert.is_nil(none)
    assert.same({ "http", "more than 5 redirects" }, { err.kind, err.message })
    assert.equal(before + 6, #cdn:requests())
    -- To https on another host: followed, and refused there (nothing listens on 0.0.0.0:1).
    none, err = c:download_asset(cdn:url("/redirect"), dir .. "/g")
    assert.is_nil(none)
    assert.equal("connection", err.kind)
    assert.same({ "f" }, names(dir))
    c:close()
  end)

  it("tells on_progress the bytes so far from poll, rising to the whole, never from the call", function()
    local c = client()
    local n = 3 * 1024 * 1024
    local told = {}
    local dl = c:download_asset_async(cdn:url("/big/" .. n), dir .. "/big", {
      on_progress = function(done, total) told[#told + 1] = { done, total } end })
    assert.equal(0, #told)
    local deadline = core.now() + 30
    while not dl:done() and core.now() < deadline do c:poll() end
    local got, meta = dl:result()
    assert.equal(dir .. "/big", got, tostring(meta))
    c:poll()
    assert.truthy(#told >= 1)
    local last = 0
    for _, t in ipairs(told) do
      assert.truthy(t[1] > last, t[1])
      assert.equal(n, t[2])
      last = t[1]
    end
    assert.equal(n, last)
    -- A file that arrives within one round is told of once, whole.
    told = {}
    assert(c:download_asset(cdn:url("/ok/100"), dir .. "/small", {
      on_progress = function(done, total) told[#told + 1] = { done, total } end }))
    assert.same({ { 100, 100 } }, told)
    c:close()
  end)

  it("cancelled mid-transfer ends as cancelled and removes its temporary file", function()
    local c = client()
    local path = dir .. "/held"
    local seen = 0
    local dl = c:download_asset_async(cdn:url("/hold/400000"), path, {
      on_progress = function(done) seen = done end })
    local deadline = core.now() + 20
    while seen < 100000 and core.now() < deadline do c:poll() end
    assert.equal(100000, seen)
    assert.equal(1, #names(dir)) -- its temporary file
    assert.is_true(dl:cancel())
    local none, err = dl:result()
    assert.is_nil(none)
    assert.equal("cancelled", err.kind)
    assert.same({}, names(dir))
    assert.is_false(dl:cancel())
    c:close()
  end)
end)

describe("a download from https (TLS in front of the CDN)", function()
  local tls, pid, proc, url
  setup(function()
    tls = helper.tmpdir()
    assert(helper.sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      .. "-addext subjectAltName=IP:127.0.0.1 -keyout " .. tls .. "/key.pem -out " .. tls .. "/cert.pem"))
    local port = helper.free_port()
    local cdn_port = cdn:url("/"):match("^http://127%.0%.0%.2:(%d+)/")
    proc = io.popen(("sh -c 'echo $$; exec socat OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,"
      .. "cert=%s/cert.pem,key=%s/key.pem,verify=0 TCP:127.0.0.2:%s' 2>&1"):format(port, tls, tls, cdn_port))
    pid = proc:read("*l")
    helper.wait_listening(port)
    url = function(path) return ("https://127.0.0.1:%d%s?%s"):format(port, path, cdn_server.SIGNED) end
  end)
  teardown(function()
    helper.sh("kill " .. pid)
    proc:close()
    helper.sh("rm -rf '" .. tls .. "'")
  end)

  it("refuses a redirect from https to http, even to loopback; from http on loopback it is followed", function()
    local c = client { ca_file = tls .. "/cert.pem", max_retries = 0 }
    local got, meta = c:download_asset(url("/ok/100"), dir .. "/f")
    assert.equal(dir .. "/f", got, tostring(meta))
    assert.equal(cdn_server.body(100), helper.read(dir .. "/f"))
    local before = #cdn:requests()
    local none, err = c:download_asset(url("/redirect-self"), dir .. "/g")
    assert.is_nil(none)
    assert.same({ "http", 302 }, { err.kind, err.status })
    assert.equal("a redirect (HTTP 302) the download does not follow: it leaves https for http", err.message)
    assert.equal(before + 1, #cdn:requests())
    got, meta = c:download_asset(cdn:url("/redirect-self"), dir .. "/g")
    assert.equal(dir .. "/g", got, tostring(meta))
    assert.equal(before + 3, #cdn:requests())
    assert.same({ "f", "g" }, names(dir))
    c:close()
  end)
end)

describe("download_job_assets in a coroutine whose yield fails (Lua 5.1: inside a pcall)", function()
  it("starts no download when the call fails, and downloads them all where it yields", function()
    local c = client { yield_in_coroutines = true }
    local job = job_of(c, 3)
    local co = coroutine.create(function() return pcall(c.download_job_assets, c, job, dir) end)
    local ok, pok, perr = coroutine.resume(co)
    assert.is_true(ok, tostring(pok))
    local deadline = core.now() + 20
    -- Dead at once and failed: the yield failed (Lua 5.1), and the call
    -- raised. Dead at once and done: the files came within the first
    -- rounds, with no yield needed (a slow process, such as under valgrind).
    if coroutine.status(co) == "dead" and not pok then
      assert.truthy(tostring(perr):find("yield", 1, true), tostring(perr))
      for _ = 1, 20 do c:poll() end
      assert.equal(0, c:poll())
      assert.same({}, names(dir))
    else
      while coroutine.status(co) ~= "dead" and core.now() < deadline do
        ok, pok, perr = coroutine.resume(co)
        assert.is_true(ok, tostring(pok))
      end
      assert.is_true(pok, tostring(perr))
      assert.equal(3, #perr)
      assert.equal(3, #names(dir))
    end
    c:close()
  end)
end)

describe("a download of 100 MiB through download_asset", function()
  -- VmRSS and VmHWM (the most since the mark was last reset), in KiB.
  local function memory()
    local f = assert(io.open("/proc/self/status"))
    local text = f:read("*a")
    f:close()
    return tonumber(text:match("VmRSS:%s*(%d+)")), tonumber(text:match("VmHWM:%s*(%d+)"))
  end

  it("goes to disk as it comes: the process grows by under 2 MiB", function()
    local n = 100 * 1024 * 1024
    local c = client()
    assert(c:download_asset(cdn:url("/big/1000"), dir .. "/warm")) -- the first allocations
    collectgarbage()
    collectgarbage()
    local f = assert(io.open("/proc/self/clear_refs", "w"))
    f:write("5") -- VmHWM back to VmRSS
    f:close()
    local base = memory()
    local got, meta = c:download_asset(cdn:url("/big/" .. n), dir .. "/big.bin", { max_bytes = n })
    local _, peak = memory()
    assert.equal(dir .. "/big.bin", got, tostring(meta))
    assert.equal(n, meta.bytes)
    if not (os.getenv("LD_PRELOAD") or ""):find("valgrind", 1, true) then
      assert.truthy(peak - base < 2048, ("grew by %d KiB"):format(peak - base))
    end
    local size = select(2, assert(helper.sh("stat -c %s '" .. dir .. "/big.bin'")))
    assert.equal(n, tonumber(size:match("%d+")))
    c:close()
  end)
end)

describe("download_asset's arguments", function()
  it("raise what is wrong and where, before anything is sent", function()
    local c = client()
    for _, case in ipairs {
      { { "http://cdn.example/a.png" }, "bad argument #1 to 'download_asset' (the URL must be https unless its "
        .. "host is loopback (127.0.0.0/8, localhost, ::1))" },
      { { "" }, "bad argument #1 to 'download_asset' (asset must be an asset table, an asset id or a URL, got an "
        .. "empty string)" },
      { { 12 }, "bad argument #1 to 'download_asset' (asset must be an asset table, an asset id or a URL, got "
        .. "number)" },
      { { { name = "x" } }, "bad argument #1 to 'download_asset' (an asset table needs its url (or its id))" },
      { { "asset_x", 5 }, "bad argument #2 to 'download_asset' (path must be a file's path, or nil for the bytes, "
        .. "got number)" },
      { { "asset_x", "f", { max_byte = 1 } }, "bad argument #3 to 'download_asset' (unknown option 'max_byte'; "
        .. "did you mean 'max_bytes'?)" },
      { { "asset_x", "f", { on_done = print } }, "bad argument #3 to 'download_asset' (unknown option 'on_done')" },
      { { "asset_x", "f", { max_bytes = 0 } }, "bad argument #3 to 'download_asset' (option 'max_bytes' must be a "
        .. "whole number of bytes, at least 1)" },
    } do
      local ok, err = pcall(c.download_asset, c, compat.unpack(case[1], 1, 3))
      assert.is_false(ok)
      assert.equal(case[2], err:gsub("^[^:]+:%d+: ", ""))
    end
    local ok, err = pcall(c.download_job_assets, c, { metadata = {} })
    assert.is_false(ok)
    assert.equal("bad argument #2 to 'download_job_assets' (dir must be a directory's path, got nil)",
      (err:gsub("^[^:]+:%d+: ", "")))
    assert.equal(0, #names(dir))
    c:close()
  end)
end)
