-- Hostile tests of issue #23's calls (generate and the inputs check,
-- get_job, list_jobs, each_job, cancel_job, wait_for_job, the downloads,
-- scenario.image_base64) against a server that answers what a test
-- scripts (spec/support/hostile23_server.lua). Each `it` states the
-- promised behaviour.
local helper = require "spec.helper"
local scenario = require "scenario"
local H = require "spec.support.hostile23_server"

local KEY, SECRET = helper.API_KEY, helper.API_SECRET
local ok, json = H.ok, H.json

local function client(url, opts)
  local o = { base_url = url, api_key = KEY, api_secret = SECRET, timeout = 5, max_retries = 1,
              sleep = function() end }
  for k, v in pairs(opts or {}) do o[k] = v end
  return scenario.new(o)
end

-- Calls f, and says whether it raised (and what) rather than returning.
local function no_raise(f, ...)
  local res = table.pack(pcall(f, ...))
  assert(res[1], "raised: " .. tostring(res[2]))
  return table.unpack(res, 2, res.n)
end

local function is_error(err, kind)
  assert.is_true(scenario.is_error(err), "not an error value: " .. tostring(err))
  if kind then assert.equal(kind, err.kind, tostring(err)) end
  assert.is_string(err.message)
  assert.is_string(tostring(err))
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function listing(dir)
  return select(2, helper.sh("ls -A " .. dir))
end

local servers, dirs = {}, {}
local function serve(routes, host)
  local s = H.start(routes, host)
  servers[#servers + 1] = s
  return s
end
local function tmpdir()
  local d = helper.tmpdir()
  dirs[#dirs + 1] = d
  return d
end
after_each(function()
  for _, s in ipairs(servers) do s:stop() end
  for _, d in ipairs(dirs) do helper.sh("chmod -R u+rwx " .. d .. "; rm -rf " .. d) end
  servers, dirs = {}, {}
end)

local MODEL = "model_h23"
local GEN = "/v1/generate/custom/" .. MODEL

local function model_with(inputs)
  return ok { model = { id = MODEL, status = "trained", type = "flux.1", inputs = inputs } }
end

local QUEUED = ok { job = { jobId = "job_1", jobType = "custom", status = "queued", progress = 0 },
                    creativeUnitsCost = 1 }

-- ---- generate: the model's inputs as a hostile server gives them -----------------

describe("generate against hostile inputs from get_model", function()
  it("returns a validation error, not a raise, when a string input's maxLength is not an integer", function()
    local s = serve { ["/v1/models/" .. MODEL] = model_with { { name = "prompt", type = "string", maxLength = 1.5 } },
                      [GEN] = QUEUED }
    local c = client(s.url)
    local doc, err = no_raise(c.generate, c, MODEL, { prompt = "abc" })
    assert.is_nil(doc)
    is_error(err, "validation")
    assert.equal(0, s:count(GEN))
  end)

  it("returns a validation error, not a raise, when an array input's maxLength is not an integer", function()
    local s = serve { ["/v1/models/" .. MODEL] = model_with {
      { name = "loras", type = "string_array", maxLength = 2.5 } }, [GEN] = QUEUED }
    local c = client(s.url)
    local doc, err = no_raise(c.generate, c, MODEL, { loras = { "a", "b", "c" } })
    assert.is_nil(doc)
    is_error(err, "validation")
  end)

  it("generate_async: poll does not raise on a non-integer maxLength, it ends with a validation error", function()
    local s = serve { ["/v1/models/" .. MODEL] = model_with { { name = "prompt", type = "string", maxLength = 0.5 } },
                      [GEN] = QUEUED }
    local c = client(s.url)
    local req = assert(c:generate_async(MODEL, { prompt = "ab" }))
    local a, err = no_raise(req.wait, req, 5)
    assert.is_nil(a)
    is_error(err, "validation")
    assert.equal(0, s:count(GEN))
  end)

  it("takes inputs of odd shapes (min > max, allowedValues not an array, unknown types) without raising", function()
    local s = serve { ["/v1/models/" .. MODEL] = model_with {
      { name = "n", type = "number", min = 10, max = 1 },
      { name = "a", type = "string", allowedValues = "abc" },
      { name = "o", type = "string", allowedValues = { x = 1 } },
      { name = "w", type = { "weird" } },
      { name = "m", type = "number", min = "zero", max = { 1 } },
      { name = 7, type = "string" },
      "not an input", 42, { type = "string" },
      { name = "r", type = "string", required = "yes" },
      { name = "deep", type = "inputs_array", maxLength = 2 },
    }, [GEN] = QUEUED }
    local c = client(s.url)
    local doc, err = no_raise(c.generate, c, MODEL, { n = 5 })
    assert.is_nil(doc)
    is_error(err, "validation") -- 5 < 10 and 5 > 1
    doc, err = no_raise(c.generate, c, MODEL, { a = "zzz", o = "q", w = 1, m = 3, deep = { {}, {} } })
    assert.is_table(doc, tostring(err))
    assert.equal(1, s:count(GEN))
  end)

  it("checks a body against 20000 inputs with long names in bounded time", function()
    local list = {}
    for i = 1, 20000 do list[i] = { name = ("input_%05d_"):format(i) .. ("x"):rep(100), type = "string" } end
    local s = serve { ["/v1/models/" .. MODEL] = model_with(list), [GEN] = QUEUED }
    local c = client(s.url)
    local t0 = os.clock()
    local doc, err = no_raise(c.generate, c, MODEL, { prompt_typo = "a" })
    assert.is_nil(doc)
    is_error(err, "validation")
    assert.is_true(os.clock() - t0 < 10, "took " .. (os.clock() - t0) .. " s")
  end)

  it("sends the body unchecked, once, when get_model answers with no model, and says so", function()
    local s = serve { ["/v1/models/" .. MODEL] = ok { nothing = true }, [GEN] = QUEUED }
    local c = client(s.url)
    local doc, meta = no_raise(c.generate, c, MODEL, { anything = 1 })
    assert.is_table(doc, tostring(meta))
    assert.is_string(meta.inputs_unchecked)
    assert.equal(1, s:count(GEN))
  end)

  it("sends a generation at most once when the connection drops after the body was sent", function()
    local s = serve { ["/v1/models/" .. MODEL] = model_with { { name = "prompt", type = "string" } },
                      [GEN] = { raw = "" } }
    local c = client(s.url, { max_retries = 3 })
    local doc, err = no_raise(c.generate, c, MODEL, { prompt = "x" })
    assert.is_nil(doc)
    is_error(err)
    assert.equal(1, s:count(GEN))
    local req = assert(c:generate_async(MODEL, { prompt = "x" }))
    doc, err = no_raise(req.wait, req, 10)
    assert.is_nil(doc)
    is_error(err)
    assert.equal(2, s:count(GEN))
  end)

  it("sends a generation at most once when the answer is a 503 with Retry-After", function()
    local s = serve { ["/v1/models/" .. MODEL] = { status = 500, body = "{}" },
                      [GEN] = { status = 503, headers = { "Retry-After: 0" }, body = "{}" } }
    local c = client(s.url, { max_retries = 3 })
    local doc, err = no_raise(c.generate, c, MODEL, { prompt = "x" })
    assert.is_nil(doc)
    is_error(err)
    assert.equal(1, s:count(GEN))
  end)

  it("puts no credential the server echoes into a validation message", function()
    local s = serve { ["/v1/models/" .. MODEL] = { status = 200, headers = { "Content-Type: application/json" },
      body = '{"model":{"id":"' .. MODEL .. '","inputs":[{"name":"style","type":"string",'
        .. '"allowedValues":["{{AUTH}}","' .. KEY .. '","' .. SECRET .. '"]}]}}' }, [GEN] = QUEUED }
    local c = client(s.url)
    local doc, err = no_raise(c.generate, c, MODEL, { style = "nope" })
    assert.is_nil(doc)
    is_error(err, "validation")
    local text = tostring(err) .. err.message
    assert.is_nil(text:find(KEY, 1, true), text)
    assert.is_nil(text:find(SECRET, 1, true), text)
    assert.is_nil(text:find(helper.basic_auth(KEY, SECRET):match("%S+$"), 1, true), text)
  end)
end)

-- ---- wait_for_job, get_job, each_job against hostile job documents --------------

local JOB = "/v1/jobs/job_1"

local function job(fields)
  local j = { jobId = "job_1", jobType = "custom", status = "in-progress", progress = 0.5 }
  for k, v in pairs(fields or {}) do j[k] = v end
  return ok { job = j }
end

describe("wait_for_job against hostile job documents", function()
  it("ends as timeout, without raising, when status and progress are of the wrong types", function()
    for _, fields in ipairs {
      { status = { "success" } }, { status = 3 }, { status = true, progress = "half" },
      { progress = { 1, 2 }, metadata = "none" }, { status = "SUCCESS" },
    } do
      local s = serve { [JOB] = job(fields) }
      local c = client(s.url)
      local a, err = no_raise(c.wait_for_job, c, "job_1", { interval = 0.01, timeout = 0.3 })
      assert.is_nil(a)
      is_error(err)
      assert.is_true(err.kind == "timeout" or err.kind == "invalid_response", tostring(err))
      s:stop()
    end
  end)

  -- A progress that is a JSON object is a new table each poll: told apart
  -- by its address, on_progress would run at every poll.
  it("calls on_progress once per change, when the job's progress is an object that does not change", function()
    local s = serve { [JOB] = { job { progress = { stage = "x" } }, job { progress = { stage = "x" } },
      job { progress = { stage = "x" } }, job { progress = { stage = "x" } }, job { status = "success", progress = 1,
      metadata = { assetIds = { "asset_a" } } } } }
    local c = client(s.url)
    local seen = 0
    local j, err = no_raise(c.wait_for_job, c, "job_1", { interval = 0.01, timeout = 5,
      on_progress = function() seen = seen + 1 end })
    assert.is_table(j, tostring(err))
    assert.equal(5, s:count(JOB))
    assert.equal(2, seen) -- in-progress once, then success
  end)

  it("ends as invalid_response when a poll answers with another job, or none", function()
    for _, doc in ipairs { ok { job = { jobId = "job_2", status = "success" } }, ok { job = {} }, ok { other = 1 },
                           ok { job = { jobId = 1 } }, { status = 200, body = "[]" } } do
      local s = serve { [JOB] = doc }
      local c = client(s.url)
      local a, err = no_raise(c.wait_for_job, c, "job_1", { interval = 0.01, timeout = 3 })
      assert.is_nil(a)
      is_error(err, "invalid_response")
      s:stop()
    end
  end)

  it("fails as an error value on a job nested 100000 deep, or 20 MB of assetIds", function()
    local deep = '{"job":{"jobId":"job_1","status":"success","metadata":' .. ("["):rep(100000)
      .. ("]"):rep(100000) .. "}}"
    local s = serve { [JOB] = { status = 200, body = deep } }
    local c = client(s.url)
    local a, err = no_raise(c.wait_for_job, c, "job_1", { interval = 0.01, timeout = 3 })
    assert.is_nil(a)
    is_error(err)
    s:stop()
    local ids = {}
    for i = 1, 100000 do ids[i] = ("asset_%06d"):format(i) .. ("z"):rep(180) end
    s = serve { [JOB] = job { status = "success", metadata = { assetIds = ids } } }
    c = client(s.url)
    local j
    j, err = no_raise(c.wait_for_job, c, "job_1", { interval = 0.01, timeout = 10 })
    if j then
      assert.equal(100000, #j.metadata.assetIds)
    else
      is_error(err)
    end
  end)

  it("names the job's metadata.error in job_failed, with no credential the server echoed", function()
    local s = serve { [JOB] = { status = 200, headers = { "Content-Type: application/json" },
      body = '{"job":{"jobId":"job_1","status":"failure","metadata":{"error":"NSFW; you sent {{AUTH}} with '
        .. KEY .. ":" .. SECRET .. '"}}}' } }
    local c = client(s.url)
    local a, err = no_raise(c.wait_for_job, c, "job_1", { interval = 0.01, timeout = 3 })
    assert.is_nil(a)
    is_error(err, "job_failed")
    local text = tostring(err) .. err.message
    assert.truthy(text:find("NSFW", 1, true))
    assert.is_nil(text:find(KEY, 1, true), text)
    assert.is_nil(text:find(SECRET, 1, true), text)
    assert.is_nil(text:find(helper.basic_auth(KEY, SECRET):match("%S+$"), 1, true), text)
  end)

  it("keeps to opts.timeout when the server asks for a Retry-After of a day", function()
    local s = serve { [JOB] = { status = 200, headers = { "Content-Type: application/json", "Retry-After: 86400" },
      body = json { job = { jobId = "job_1", status = "queued" } } } }
    local c = client(s.url, { sleep = require("socket").sleep })
    local t0 = require("socket").gettime()
    local a, err = no_raise(c.wait_for_job, c, "job_1", { interval = 0.01, timeout = 0.5 })
    assert.is_nil(a)
    is_error(err, "timeout")
    assert.is_true(require("socket").gettime() - t0 < 3)
  end)
end)

describe("each_job and list_jobs against hostile pages", function()
  it("ends with invalid_response on a page token sent twice, and skips items that are not jobs", function()
    local s = serve { ["/v1/jobs"] = ok { jobs = { 1, "two", { jobId = "job_1" }, false },
                                         nextPaginationToken = "again" } }
    local c = client(s.url)
    local got, last, n = {}, nil, 0
    for j, err in c:each_job() do
      n = n + 1
      assert.is_true(n < 50, "each_job goes on")
      if j == false then last = err break end
      got[#got + 1] = j
    end
    assert.equal(2, #got)
    is_error(last, "invalid_response")
  end)

  it("ends, with no raise, on pages whose jobs are not a list, with a token not a string", function()
    local s = serve { ["/v1/jobs"] = ok { jobs = "none", nextPaginationToken = { "t" } } }
    local c = client(s.url)
    local n, last = 0, nil
    for j, err in c:each_job() do
      n = n + 1
      assert.is_true(n < 50, "each_job goes on")
      if j == false then last = err break end
    end
    is_error(last, "invalid_response")
  end)

  it("cancel_job and get_job refuse ids that leave the path, sending nothing", function()
    local s = serve {}
    local c = client(s.url)
    for _, id in ipairs { "..", "../assets/x", "%2e%2e", "a/../../b" } do
      local a, err = no_raise(c.cancel_job, c, id)
      assert.is_nil(a)
      is_error(err, "validation")
      a, err = no_raise(c.get_job, c, id)
      assert.is_nil(a)
      is_error(err, "validation")
    end
    assert.equal(0, #s:requests())
  end)
end)

-- ---- downloads --------------------------------------------------------------------

local PNG = "\137PNG\r\n\26\n" .. ("p"):rep(100)

local function png(extra)
  local h = { "Content-Type: image/png" }
  for _, l in ipairs(extra or {}) do h[#h + 1] = l end
  return { status = 200, headers = h, body = PNG }
end

-- No file in dir but those named.
local function only(dir, names)
  local want = table.concat(names, "\n")
  assert.equal(want, (listing(dir):gsub("\n$", "")))
end

describe("download_asset onto hostile local paths", function()
  it("fails as kind file when path is a directory, leaving it and no temporary file", function()
    local s = serve { ["/f.png"] = png() }
    local d = tmpdir()
    assert(helper.sh("mkdir " .. d .. "/target && touch " .. d .. "/target/inside"))
    local c = client(s.url)
    local a, err = no_raise(c.download_asset, c, s.base .. "/f.png", d .. "/target")
    assert.is_nil(a)
    is_error(err, "file")
    only(d, { "target" })
    assert.is_true(exists(d .. "/target/inside"))
  end)

  it("replaces a symlink planted at path, never writing through it", function()
    local s = serve { ["/f.png"] = png(), ["/short.png"] = { status = 200, headers = { "Content-Length: 500" },
      body = PNG } }
    local d = tmpdir()
    helper.write(d .. "/victim", "precious")
    assert(helper.sh("ln -s " .. d .. "/victim " .. d .. "/out.png"))
    local c = client(s.url)
    local a, err = no_raise(c.download_asset, c, s.base .. "/short.png", d .. "/out.png")
    assert.is_nil(a)
    is_error(err)
    assert.equal("precious", helper.read(d .. "/victim"))
    only(d, { "out.png", "victim" })
    a, err = no_raise(c.download_asset, c, s.base .. "/f.png", d .. "/out.png")
    assert.equal(d .. "/out.png", a, tostring(err))
    assert.equal("precious", helper.read(d .. "/victim"))
    assert.equal(PNG, helper.read(d .. "/out.png"))
    assert.is_true(helper.sh("test ! -L " .. d .. "/out.png"))
  end)

  it("fails as kind file when the directory is missing or is a file, for one asset and a job's", function()
    local s = serve { ["/v1/assets/asset_a"] = ok { asset = { id = "asset_a", url = "{{BASE}}/f.png" } },
                      ["/f.png"] = png() }
    local d = tmpdir()
    helper.write(d .. "/file", "x")
    local c = client(s.url)
    for _, p in ipairs { d .. "/missing/out.png", d .. "/file/out.png" } do
      local a, err = no_raise(c.download_asset, c, s.base .. "/f.png", p)
      assert.is_nil(a)
      is_error(err, "file")
    end
    local jobdoc = { jobId = "job_1", status = "success", metadata = { assetIds = { "asset_a" } } }
    for _, dir in ipairs { d .. "/missing", d .. "/file" } do
      local a, err = no_raise(c.download_job_assets, c, jobdoc, dir)
      assert.is_nil(a)
      is_error(err, "file")
      assert.same({}, err.paths)
    end
    only(d, { "file" })
  end)

  it("fails as kind file, not a raise, for a file name too long (an extension of 300 characters)", function()
    local ext = ("e"):rep(300)
    local s = serve { ["/v1/assets/asset_a"] = ok { asset = { id = "asset_a", url = "{{BASE}}/f." .. ext } },
                      ["/f." .. ext] = png() }
    local d = tmpdir()
    local c = client(s.url)
    local a, err = no_raise(c.download_job_assets, c, { jobId = "j", metadata = { assetIds = { "asset_a" } } }, d)
    assert.is_nil(a)
    is_error(err, "file")
    only(d, {})
  end)

  it("refuses 3000 asset ids that are not plain names, at once, sending nothing", function()
    local s = serve {}
    local ids = {}
    for i = 1, 3000 do ids[i] = (i % 2 == 0) and "../x" .. i or ("a"):rep(201) end
    local c = client(s.url)
    local a, err = no_raise(c.download_job_assets, c, { jobId = "j", metadata = { assetIds = ids } }, tmpdir())
    assert.is_nil(a)
    is_error(err, "invalid_response")
    assert.equal(0, #s:requests())
  end)
end)

describe("download_asset from a hostile file host", function()
  it("leaves nothing when Content-Length lies or is not a number", function()
    local s = serve {
      ["/long.png"] = { status = 200, headers = { "Content-Length: 100000" }, body = PNG },
      ["/neg.png"] = { status = 200, headers = { "Content-Length: -5" }, body = PNG },
      ["/nan.png"] = { status = 200, headers = { "Content-Length: lots" }, body = PNG },
    }
    local d = tmpdir()
    local c = client(s.url)
    for _, p in ipairs { "/long.png", "/neg.png", "/nan.png" } do
      local a, err = no_raise(c.download_asset, c, s.base .. p, d .. "/out.png")
      assert.is_nil(a, p)
      is_error(err)
      only(d, {})
    end
  end)

  -- libcurl takes the last of two Content-Length lines: a 3-byte prefix
  -- would be kept as the whole file.
  it("refuses a file whose Content-Length headers disagree, leaving nothing (no truncated file)", function()
    local n = #PNG
    local s = serve {
      ["/two.png"] = { status = 200, headers = { "Content-Length: " .. n, "Content-Length: 3" }, body = PNG },
      ["/list.png"] = { status = 200, headers = { ("Content-Length: %d, 3"):format(n) }, body = PNG },
      ["/same.png"] = { status = 200, headers = { "Content-Length: " .. n, "content-length:  " .. n }, body = PNG },
      ["/samelist.png"] = { status = 200, headers = { ("Content-Length: %d ,%d"):format(n, n) }, body = PNG },
    }
    local d = tmpdir()
    local c = client(s.url)
    for _, p in ipairs { "/two.png", "/list.png" } do
      for _, path in ipairs { d .. "/out.png", false } do
        local a, err = no_raise(c.download_asset, c, s.base .. p, path or nil)
        if a and path then
          assert.equal(#PNG, #helper.read(path), "a truncated file was kept as whole")
        end
        assert.is_nil(a, p)
        assert.equal("invalid_response", err.kind, p)
        only(d, {})
      end
    end
    for _, p in ipairs { "/same.png", "/samelist.png" } do
      local a, meta = no_raise(c.download_asset, c, s.base .. p, d .. "/out.png")
      assert.equal(d .. "/out.png", a, p .. ": " .. tostring(meta))
      assert.equal(PNG, helper.read(d .. "/out.png"), p)
      os.remove(d .. "/out.png")
    end
  end)

  it("keeps a gzip bomb's bytes as sent: no inflation, memory flat", function()
    local d = tmpdir()
    assert(helper.sh("head -c 200000000 /dev/zero | gzip -9 > " .. d .. "/bomb.gz"))
    local bomb = helper.read(d .. "/bomb.gz")
    os.remove(d .. "/bomb.gz")
    local s = serve { ["/b.png"] = { status = 200, headers = { "Content-Encoding: gzip", "Content-Type: image/png" },
                                     body = bomb } }
    local c = client(s.url)
    local a, meta = no_raise(c.download_asset, c, s.base .. "/b.png", d .. "/out.png")
    assert.equal(d .. "/out.png", a, tostring(meta))
    assert.equal(#bomb, meta.bytes)
    assert.equal(#bomb, #helper.read(d .. "/out.png"))
    local bytes
    bytes, meta = no_raise(c.download_asset, c, s.base .. "/b.png", nil, { max_bytes = 1000000 })
    assert.equal(#bomb, #(bytes or ""), tostring(meta))
  end)

  it("answers a get_job gzip bomb with an error value, not 200 MB in memory", function()
    local d = tmpdir()
    assert(helper.sh("(printf '{\"job\":{\"jobId\":\"job_1\",\"x\":\"'; head -c 200000000 /dev/zero | tr '\\0' a;"
      .. " printf '\"}}') | gzip -1 > " .. d .. "/bomb.gz"))
    local s = serve { [JOB] = { status = 200, headers = { "Content-Encoding: gzip", "Content-Type: application/json" },
                                body = helper.read(d .. "/bomb.gz") } }
    local c = client(s.url)
    local a, err = no_raise(c.get_job, c, "job_1")
    assert.is_nil(a)
    is_error(err)
  end)

  it("follows at most 5 redirects of an endless loop, then fails as http", function()
    local s = serve { ["/loop"] = { status = 302, headers = { "Location: /loop?again=1" } } }
    local c = client(s.url)
    local d = tmpdir()
    local a, err = no_raise(c.download_asset, c, s.base .. "/loop", d .. "/out.png")
    assert.is_nil(a)
    is_error(err, "http")
    assert.equal(6, s:count("/loop"))
    only(d, {})
  end)

  it("sends no credential to another loopback port it is redirected to, nor to the API's own host", function()
    local other = serve { ["/f.png"] = png() }
    local s = serve {
      ["/v1/assets/asset_a"] = ok { asset = { id = "asset_a", url = "{{BASE}}/here.png?Signature=s" } },
      ["/v1/assets/asset_b"] = ok { asset = { id = "asset_b", url = "{{BASE}}/away.png" } },
      ["/here.png"] = png { "Set-Cookie: session=abc; Path=/" },
      ["/away.png"] = { status = 307, headers = { "Location: " .. other.base .. "/f.png" } },
    }
    local d = tmpdir()
    local c = client(s.url)
    local paths, err = no_raise(c.download_job_assets, c, { jobId = "j",
      metadata = { assetIds = { "asset_a", "asset_b" } } }, d)
    assert.is_table(paths, tostring(err))
    assert.same({ d .. "/asset_a.png", d .. "/asset_b.png" }, paths)
    local function clean(r)
      local h = r.head:lower()
      assert.is_nil(h:find("\nauthorization:", 1, true), r.head)
      assert.is_nil(h:find("\nproxy-authorization:", 1, true), r.head)
      assert.is_nil(h:find("\ncookie:", 1, true), r.head)
      assert.is_nil(h:find(KEY, 1, true), r.head)
    end
    for _, r in ipairs(s:requests()) do
      if not r.path:find("^/v1/") then clean(r) end
    end
    for _, r in ipairs(other:requests()) do clean(r) end
    assert.equal(1, other:count("/f.png"))
  end)

  it("refuses a redirect carrying user information, without showing it", function()
    local s = serve { ["/r"] = { status = 302, headers = { "Location: http://alice:hunter2pw@127.0.0.1:1/f.png" } },
                      ["/ftp"] = { status = 302, headers = { "Location: ftp://127.0.0.1/f.png" } },
                      ["/file"] = { status = 302, headers = { "Location: file:///etc/passwd" } } }
    local c = client(s.url)
    for _, p in ipairs { "/r", "/ftp", "/file" } do
      local a, err = no_raise(c.download_asset, c, s.base .. p)
      assert.is_nil(a)
      is_error(err, "http")
      assert.is_nil(tostring(err):find("hunter2pw", 1, true), tostring(err))
    end
  end)

  it("fetches an expired URL again once only, however often the fresh one is expired too", function()
    local s = serve { ["/v1/assets/asset_a"] = ok { asset = { id = "asset_a", url = "{{BASE}}/old.png" } },
                      ["/old.png"] = { status = 403, body = "Request has expired" } }
    local c = client(s.url)
    local a, err = no_raise(c.download_asset, c, "asset_a", tmpdir() .. "/x.png")
    assert.is_nil(a)
    is_error(err)
    assert.equal(403, err.status)
    assert.equal(2, s:count("/old.png"))
    assert.equal(2, s:count("/v1/assets/asset_a"))
  end)

  it("takes an asset table of odd types without raising: no url, a number url, an id naming no path", function()
    local s = serve { ["/old.png"] = { status = 403, body = "expired" },
                      ["/f.png"] = png() }
    local d = tmpdir()
    local c = client(s.url)
    for _, asset in ipairs {
      { id = "asset_a" }, { id = "asset_a", url = 42 }, { id = { 1 }, url = "" },
      { id = "../../x", url = s.base .. "/old.png" }, { id = 5, url = s.base .. "/old.png" },
    } do
      local a, err = no_raise(c.download_asset, c, asset, d .. "/x.png")
      assert.is_nil(a)
      is_error(err)
    end
    -- A job lists its assets by id: an asset table there is not one.
    local paths, err = no_raise(c.download_job_assets, c, { jobId = "j", metadata = { assetIds = {
      { id = "asset_m", url = s.base .. "/f.png", mimeType = { "image/png" } } } } }, d)
    assert.is_nil(paths)
    assert.equal("invalid_response", err.kind)
    assert.equal(0, s:count("/f.png"))
    only(d, {})
  end)

  it("fails within its timeout when the file's host never answers", function()
    local s = serve { ["/hold.png"] = { hold = true } }
    local c = client(s.url, { timeout = 1 })
    local dl = c:download_asset_async(s.base .. "/hold.png", tmpdir() .. "/x.png", { timeout = 1, max_retries = 0 })
    local a, err = no_raise(dl.wait, dl, 15)
    assert.is_nil(a)
    is_error(err)
    assert.is_true(dl:done(), "still downloading after 15 s: " .. tostring(err))
  end)
end)

-- ---- cancelling, closing and collecting mid-way -----------------------------------

describe("a download or a generation stopped mid-way", function()
  local socket = require "socket"

  local function poll_until(x, secs)
    local deadline = socket.gettime() + secs
    while not x:poll() and socket.gettime() < deadline do socket.sleep(0.02) end
    return x:done()
  end

  -- Polls dl, a download into d, until its temporary file is there (5 s at most).
  local function until_part(dl, d)
    local deadline = socket.gettime() + 5
    while socket.gettime() < deadline and not listing(d):find("part", 1, true) do
      dl:poll()
      socket.sleep(0.02)
    end
    assert.truthy(listing(d):find("part", 1, true), "no temporary file ever appeared")
  end

  it("leaves nothing at path and no temporary file when the client is closed mid-transfer", function()
    local s = serve { ["/slow.png"] = { trickle = 400, every = 0.01 } }
    local d = tmpdir()
    local c = client(s.url)
    local dl = c:download_asset_async(s.base .. "/slow.png", d .. "/x.png")
    until_part(dl, d)
    c:close()
    pcall(dl.wait, dl, 2)
    only(d, {})
  end)

  it("goes on when its Download object is dropped and collected, and ends with the whole file", function()
    local s = serve { ["/slow.png"] = { trickle = 50, every = 0.01 } }
    local d = tmpdir()
    local c = client(s.url)
    local dl = c:download_asset_async(s.base .. "/slow.png", d .. "/x.png")
    dl:poll()
    dl = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    local deadline = socket.gettime() + 10
    while socket.gettime() < deadline and not exists(d .. "/x.png") do
      c:poll()
      socket.sleep(0.02)
    end
    only(d, { "x.png" })
    assert.equal(50, #helper.read(d .. "/x.png"))
  end)

  it("leaves no temporary file when the client and its download are both dropped and collected", function()
    local s = serve { ["/slow.png"] = { trickle = 400, every = 0.01 } }
    local d = tmpdir()
    do
      local c = client(s.url)
      until_part(c:download_asset_async(s.base .. "/slow.png", d .. "/x.png"), d)
    end
    collectgarbage()
    collectgarbage()
    only(d, {})
  end)

  it("cancelled while the asset is looked up, sends nothing to the file's host", function()
    local s = serve { ["/v1/assets/asset_a"] = { hold = true }, ["/f.png"] = png() }
    local d = tmpdir()
    local c = client(s.url)
    local dl = c:download_asset_async("asset_a", d .. "/x.png")
    dl:poll()
    assert.is_true(dl:cancel())
    local a, err = dl:result()
    assert.is_nil(a)
    is_error(err, "cancelled")
    for _ = 1, 5 do c:poll() end
    assert.equal(0, s:count("/f.png"))
    only(d, {})
  end)

  it("cancelled while its model's inputs are fetched, sends no generation; one sharing the fetch goes on", function()
    local s = serve { ["/v1/models/" .. MODEL] = { delay = 0.3, status = 200, body = json { model = { id = MODEL,
      inputs = { { name = "prompt", type = "string" } } } } }, [GEN] = QUEUED }
    local c = client(s.url)
    local r1 = assert(c:generate_async(MODEL, { prompt = "a" }))
    local r2 = assert(c:generate_async(MODEL, { prompt = "b" }))
    assert.is_true(r1:cancel())
    assert.is_true(poll_until(r2, 10))
    local doc, meta = r2:result()
    assert.is_table(doc, tostring(meta))
    local a, err = r1:result()
    assert.is_nil(a)
    is_error(err, "cancelled")
    for _ = 1, 5 do c:poll() end
    assert.equal(1, s:count(GEN))
    assert.equal(1, s:count("/v1/models/" .. MODEL))
  end)

  it("cancelled while the only generation waits for the inputs, sends nothing more", function()
    local s = serve { ["/v1/models/" .. MODEL] = { delay = 0.3, status = 200, body = json { model = { id = MODEL,
      inputs = { { name = "prompt", type = "string" } } } } }, [GEN] = QUEUED }
    local c = client(s.url)
    local r = assert(c:generate_async(MODEL, { prompt = "a" }))
    r:poll()
    assert.is_true(r:cancel())
    socket.sleep(0.5)
    for _ = 1, 10 do c:poll() end
    assert.equal(0, s:count(GEN))
    -- and a later one fetches the inputs again, the cancelled fetch not kept
    local doc, meta = no_raise(c.generate, c, MODEL, { prompt = "b" })
    assert.is_table(doc, tostring(meta))
    assert.is_nil(meta.inputs_unchecked)
    assert.equal(1, s:count(GEN))
  end)
end)

describe("scenario.image_base64 on hostile files", function()
  it("refuses a FIFO, a directory and a device without blocking, as kind file", function()
    local d = tmpdir()
    assert(helper.sh("mkfifo " .. d .. "/fifo && mkdir " .. d .. "/dir && ln -s /dev/zero " .. d .. "/zero.png"))
    for _, p in ipairs { d .. "/fifo", d .. "/dir", d .. "/zero.png", d .. "/missing.png" } do
      local b64, err = no_raise(scenario.image_base64, p)
      assert.is_nil(b64, p)
      is_error(err, "file")
    end
  end)

  it("refuses a file that is not an image whatever its name, and returns the type a PNG's bytes say", function()
    local d = tmpdir()
    helper.write(d .. "/fake.png", "<html>not an image</html>")
    helper.write(d .. "/real.jpg", PNG)
    local b64, err = no_raise(scenario.image_base64, d .. "/fake.png")
    assert.is_nil(b64)
    is_error(err, "file")
    local mime
    b64, mime = no_raise(scenario.image_base64, d .. "/real.jpg")
    assert.equal("image/png", mime)
    assert.equal(PNG, require("mime").unb64(b64))
  end)
end)
