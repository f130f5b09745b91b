-- The stand-in's generations (scenario.testing, lua/scenario/standin_jobs.lua
-- and standin_assets.lua), from a client's side: generate refuses and
-- prices as the live API did when the Blender plugin recorded it, jobs
-- move a step per poll (or on a clock) to the end a test scripts, and
-- the images are real PNG files on a CDN of the stand-in's own, on
-- 127.0.0.2, at signed URLs that expire when the test says. The CDN side
-- is spoken to over raw sockets, as a careless downloader would: with
-- credentials, with a re-encoded URL, late.
--
-- The endpoint table may not have issue #23's endpoints yet: the
-- requests go through the real client's raw calls (client:request),
-- which need no entry, and the stand-in routes them from its own list
-- until the table has them (standin_api's PENDING).
local helper = require "spec.helper"
local scenario = require "scenario"
local testing = require "scenario.testing"
local core = require "scenario.core"
local socket = require "socket"
local standin_api = require "scenario.standin_api"

local s -- one server for the specs that do not need a fresh one

setup(function() s = testing.start { lua = helper.LUA } end)
teardown(function() s:stop() end)

local function client(server)
  return scenario.new { base_url = (server or s).base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
    max_retries = 0, timeout = 5 }
end

local function generate(c, model_id, body, query)
  return c:request("POST", "/generate/custom/" .. model_id, { body = body, query = query })
end

local function get_job(c, id) return c:request("GET", "/jobs/" .. id) end

-- Polls a job until it ends (success, failure, canceled), at most 30
-- polls. Returns the job as it ended and every job seen, in order.
local function run_job(c, id)
  local seen = {}
  for _ = 1, 30 do
    local doc, err = get_job(c, id)
    assert(doc, tostring(err))
    seen[#seen + 1] = doc.job
    local st = doc.job.status
    if st == "success" or st == "failure" or st == "canceled" then return doc.job, seen end
  end
  error("the job did not end in 30 polls: " .. seen[#seen].status)
end

local function make_model(c, model_type)
  return assert(c:create_model { name = "a " .. model_type, type = model_type }).id
end

-- ---- the CDN, over raw sockets --------------------------------------------------

-- The host, port, path and query of a URL the stand-in gave.
local function split(url)
  local host, port, path, query = url:match("^http://([^/:]+):(%d+)(/[^?]*)%?(.*)$")
  assert(host, "not a URL with a host, port, path and query: " .. url)
  return host, tonumber(port), path, query
end

-- Sends one request to the URL's host and reads the answer, each wait
-- bounded by 5 s. extra: header lines. Returns the status, the headers
-- (by lower-case name) and the body.
local function fetch(url, extra, method)
  local host, port, path, query = split(url)
  local sk = socket.tcp()
  sk:settimeout(5)
  assert(sk:connect(host, port))
  assert(sk:send(("%s %s?%s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n"):format(method or "GET", path, query, host, port,
    extra or "")))
  local line = sk:receive("*l")
  local status = line and tonumber(line:match("^HTTP/1%.1 (%d%d%d) "))
  local headers = {}
  while line and line ~= "" do
    line = sk:receive("*l")
    local k, v = (line or ""):match("^([^:]+):%s*(.*)$")
    if k then headers[k:lower()] = v end
  end
  local len = tonumber(headers["content-length"] or 0)
  local body = (method ~= "HEAD" and len > 0) and sk:receive(len) or ""
  if method == "HEAD" then -- nothing may follow a HEAD's head
    sk:settimeout(0.2)
    body = sk:receive(1) or ""
  end
  sk:close()
  return status, headers, body
end

local function asset(c, id)
  local doc, err = c:request("GET", "/assets/" .. id)
  assert(doc, tostring(err))
  return doc.asset
end

-- A finished generation's asset ids: numOutputs n through model_bfl-flux-1-dev.
local function generated(c, n)
  local doc = assert(generate(c, "model_bfl-flux-1-dev", { prompt = "a cabin", numOutputs = n }))
  local job = run_job(c, doc.job.jobId)
  assert.equal("success", job.status)
  return job.metadata.assetIds
end

-- ---- specs --------------------------------------------------------------------------

describe("the stand-in's routes for generations, jobs and assets", function()
  it("serves each at the endpoint table's route, or at its own until the table has one", function()
    local tbl = {}
    for _, ep in ipairs(core.endpoints) do tbl[ep.name] = ep end
    local stand_in = testing.new()
    for _, ep in ipairs(standin_api.PENDING) do
      if tbl[ep.name] then
        assert.equal(ep.method, tbl[ep.name].method, ep.name)
        assert.equal(ep.path, tbl[ep.name].path, ep.name)
      end
      local path = "/v1" .. ep.path:gsub("{[^}]*}", "x_1")
      assert.equal(ep.name, stand_in:route(ep.method, path), ep.name)
    end
  end)
end)

describe("the base models", function()
  local fixtures = require "spec.support.fixtures"

  for _, case in ipairs { { "model_bfl-flux-1-dev", "live_get_flux1_base" },
                          { "model_bfl-flux-2-dev", "live_get_flux2_base" } } do
    it("answers " .. case[1] .. " with the recorded inputs' names, types and rules", function()
      local recorded = core.parse_json(fixtures.named(case[2]).response.body).model
      local got, err = client():get_model(case[1])
      assert.is_table(got, tostring(err))
      for _, k in ipairs { "id", "name", "type", "custom", "privacy", "status" } do
        assert.equal(recorded[k], got[k], k)
      end
      assert.same(recorded.capabilities, got.capabilities)
      assert.equal(#recorded.inputs, #got.inputs)
      for i, want in ipairs(recorded.inputs) do
        local have = got.inputs[i]
        for _, k in ipairs { "name", "type", "label", "default", "min", "max", "step", "maxLength", "modelTypes",
                             "required", "allowedValues", "kind" } do
          assert.same(want[k], have[k], ("%s.inputs[%d].%s"):format(case[1], i, k))
        end
      end
    end)
  end

  it("are not the test's: list_models leaves them out, update_model does not find them", function()
    local fresh = testing.start { lua = helper.LUA }
    local c = client(fresh)
    local page = assert(c:list_models())
    local _, err = c:update_model("model_bfl-flux-1-dev", { name = "mine" })
    c:close()
    fresh:stop()
    assert.same({}, page.models)
    assert.equal(404, err.status)
  end)
end)

-- The dry runs of POST /generate/custom/{modelId} the Blender plugin
-- recorded against the live API (../shared/api/live/generate.custom.contracts.json,
-- recordedAt 2026-10-09), those through the two Flux base models. The
-- public models they named are made in the stand-in with the same types:
-- each recorded id stands for the one made for its name here.
local RECORDED = {
  lora_a = "flux.1-lora", lora_b = "flux.1-lora", composition = "flux.1-composition",
  flux2_lora = "flux.2-dev-lora",
}
local CABIN = "a small wooden cabin in a snowy forest"
local QUOTE1 = { creativeUnitsCost = 10.75, creativeUnitsDiscount = 0,
  costDetails = { ["custom-generation"] = 9, ["quality-gate"] = 1.75 } }
local QUOTE2 = { creativeUnitsCost = 17.75, creativeUnitsDiscount = 0,
  costDetails = { ["custom-generation"] = 16, ["quality-gate"] = 1.75 } }
local F1, F2 = "model_bfl-flux-1-dev", "model_bfl-flux-2-dev"
local DRY_RUNS = {
  { "base_only", F1, {}, 269, QUOTE1 },
  { "stack_one", F1, { loras = { "lora_a" }, lorasScale = { 0.8 } }, 269, QUOTE1 },
  { "stack_two", F1, { loras = { "lora_a", "lora_b" }, lorasScale = { 0.8, 0.5 } }, 269, QUOTE1 },
  { "stack_flux2", F2, { loras = { "flux2_lora" }, lorasScale = { 1.0 } }, 269, QUOTE2 },
  { "model_id_lora", F1, { modelId = "lora_a" }, 269, QUOTE1 },
  { "composition", F1, { modelId = "composition" }, 269, QUOTE1 },
  { "composition_with_loras", F1, { modelId = "composition", loras = { "lora_a" }, lorasScale = { 0.5 } }, 269,
    QUOTE1 },
  { "direct_lora", "lora_a", { aspectRatio = "1:1" }, 400, "Custom models only are supported for this endpoint" },
  { "direct_composition", "composition", { aspectRatio = "1:1" }, 400,
    "Custom models only are supported for this endpoint" },
  { "direct_flux2_lora", "flux2_lora", { aspectRatio = "1:1" }, 400,
    "Custom models only are supported for this endpoint" },
  { "check_without_scale", F1, { loras = { "lora_a" } }, 269, QUOTE1 },
  { "check_scale_count_mismatch", F1, { loras = { "lora_a", "lora_b" }, lorasScale = { 0.8 } }, 269, QUOTE1 },
  { "check_scale_below_min", F1, { loras = { "lora_a" }, lorasScale = { -0.5 } }, 269, QUOTE1 },
  { "check_scale_above_max", F1, { loras = { "lora_a" }, lorasScale = { 3.0 } }, 400,
    "Input lorasScale must be at most 2" },
  { "check_over_item_limit", F1, { loras = { "lora_a", "lora_a", "lora_a", "lora_a", "lora_a", "lora_a", "lora_a" },
    lorasScale = { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 } }, 400, "Input loras must be at most 6 items long" },
  { "check_incompatible_type", F1, { loras = { "flux2_lora" }, lorasScale = { 0.8 } }, 400,
    "Invalid model(s): flux2_lora.\nAllowed model types: flux.1-lora, flux.1-composition" },
  { "check_composition_in_loras", F1, { loras = { "composition" }, lorasScale = { 0.8 } }, 400,
    "Invalid model(s): composition.\nAllowed model types: flux.1-lora" },
  { "check_unknown_model", F1, { loras = { "model_FIXTUREMISSING0000000000" }, lorasScale = { 0.8 } }, 404,
    "Model model_FIXTUREMISSING0000000000 not found" },
}

describe("generate", function()
  local c, ids
  setup(function()
    c = client()
    ids = {}
    for name, model_type in pairs(RECORDED) do ids[name] = make_model(c, model_type) end
  end)
  teardown(function() c:close() end)

  local function swap(v)
    if type(v) == "string" then return ids[v] or v end
    if type(v) ~= "table" then return v end
    local t = {}
    for k, x in pairs(v) do t[k] = swap(x) end
    return t
  end

  for _, case in ipairs(DRY_RUNS) do
    local name, target, body, status, reply = case[1], case[2], case[3], case[4], case[5]
    it(("answers the recorded dry run %s: %d"):format(name, status), function()
      local sent = swap(body)
      sent.prompt = CABIN
      local doc, meta = generate(c, swap(target), sent, { dryRun = "true" })
      if status == 269 then
        assert.is_table(doc, tostring(meta))
        assert.equal(269, meta.status)
        assert.same(reply, doc)
      else
        assert.is_nil(doc)
        assert.equal(status, meta.status)
        local named = reply:gsub("^(Invalid model%(s%): )([%w_]+)", function(p, w) return p .. ids[w] end)
        assert.equal(named, meta.message)
      end
    end)
  end

  it("refuses with the live API's body: {\"reason\": ...} and nothing else", function()
    local status, headers, body = testing.new():handle("POST", "/v1/generate/custom/" .. F1, "dryRun=true",
      '{"prompt":"x","numOutputs":5}')
    assert.equal(400, status)
    assert.equal("application/json", headers["Content-Type"])
    assert.equal('{"reason":"Input numOutputs must be at most 4"}', body)
    local status2, _, body2 = testing.new():handle("POST", "/v1/generate/custom/model_nothing", "", '{"prompt":"x"}')
    assert.equal(404, status2)
    assert.equal('{"reason":"Model model_nothing not found"}', body2)
  end)

  it("refuses a body without its model's required prompt, and an input of the wrong type", function()
    local _, err = generate(c, F2, { numOutputs = 1 })
    assert.equal(400, err.status)
    assert.equal("Input prompt is required", err.message)
    _, err = generate(c, F2, { prompt = "x", numOutputs = "two" })
    assert.equal("Input numOutputs must be a number", err.message)
  end)

  it("prices a dry run by its outputs, and starts no job for it", function()
    local before = assert(c:request("GET", "/jobs", { query = { pageSize = 200 } }))
    local doc, meta = generate(c, F2, { prompt = "x", numOutputs = 3 }, { dryRun = "true" })
    assert.equal(269, meta.status)
    assert.equal(16 * 3 + 1.75, doc.creativeUnitsCost)
    local after = assert(c:request("GET", "/jobs", { query = { pageSize = 200 } }))
    assert.equal(#before.jobs, #after.jobs)
  end)

  it("starts a custom job, queued, with its cost", function()
    local doc, meta = generate(c, F1, { prompt = "a cabin", loras = { ids.lora_a }, lorasScale = { 0.8 } })
    assert.is_table(doc, tostring(meta))
    assert.equal(200, meta.status)
    assert.equal("custom", doc.job.jobType)
    assert.equal("queued", doc.job.status)
    assert.equal(0, doc.job.progress)
    assert.is_nil(doc.job.metadata.assetIds)
    assert.equal(10.75, doc.creativeUnitsCost)
    assert.equal(0, doc.creativeUnitsDiscount)
  end)
end)

describe("a generation's job", function()
  local c
  before_each(function() c = client() end)
  after_each(function()
    s:script_jobs {}
    c:close()
  end)

  it("moves a step per poll: queued, warming-up, in-progress rising, finalizing, success with its assets", function()
    local doc = assert(generate(c, F1, { prompt = "a cabin", numOutputs = 3 }))
    local job, seen = run_job(c, doc.job.jobId)
    local statuses, progress = {}, {}
    for _, j in ipairs(seen) do
      statuses[#statuses + 1] = j.status
      if j.status == "in-progress" then progress[#progress + 1] = j.progress end
    end
    assert.same({ "warming-up", "in-progress", "in-progress", "in-progress", "finalizing", "success" }, statuses)
    assert.same({ 0.25, 0.5, 0.75 }, progress)
    assert.equal(1, job.progress)
    assert.equal(3, #job.metadata.assetIds)
    local distinct = {}
    for _, id in ipairs(job.metadata.assetIds) do distinct[id] = true end
    assert.equal(3, #(function() local l = {} for k in pairs(distinct) do l[#l + 1] = k end return l end)())
    local history = {}
    for _, h in ipairs(job.statusHistory) do history[#history + 1] = h.status end
    assert.same({ "queued", "warming-up", "in-progress", "finalizing", "success" }, history)
  end)

  it("ends in failure with metadata.error, or canceled, as scripted, with no assets", function()
    s:script_jobs { outcome = "failure", error = "the GPU caught fire", progress = { 0.5 } }
    local job = run_job(c, assert(generate(c, F1, { prompt = "x" })).job.jobId)
    assert.equal("failure", job.status)
    assert.equal("the GPU caught fire", job.metadata.error)
    assert.is_nil(job.metadata.assetIds)
    s:script_jobs { outcome = "canceled", progress = {} }
    job = run_job(c, assert(generate(c, F1, { prompt = "x" })).job.jobId)
    assert.equal("canceled", job.status)
    assert.is_nil(job.metadata.assetIds)
  end)

  it("moves on a clock with seconds_per_step, however often it is polled", function()
    s:script_jobs { seconds_per_step = 0.2 }
    local id = assert(generate(c, F1, { prompt = "x" })).job.jobId
    for _ = 1, 6 do -- polls do not move it (6 would, a step each): 6 steps take 1.2 s
      assert.are_not.equal("success", assert(get_job(c, id)).job.status)
    end
    socket.sleep(1.5)
    local job = assert(get_job(c, id)).job
    assert.equal("success", job.status)
    assert.equal(1, #job.metadata.assetIds)
  end)

  it("is canceled by cancel_job while it runs; an ended one is answered as it is", function()
    local id = assert(generate(c, F1, { prompt = "x" })).job.jobId
    assert(get_job(c, id))
    local doc, err = c:request("POST", "/jobs/" .. id .. "/action", { body = { action = "cancel" } })
    assert.is_table(doc, tostring(err))
    assert.equal("canceled", doc.job.status)
    assert.equal("canceled", assert(get_job(c, id)).job.status) -- and stays so
    local done = run_job(c, assert(generate(c, F1, { prompt = "x" })).job.jobId)
    doc = assert(c:request("POST", "/jobs/" .. done.jobId .. "/action", { body = { action = "cancel" } }))
    assert.equal("success", doc.job.status)
    local _, bad = c:request("POST", "/jobs/" .. id .. "/action", { body = { action = "pause" } })
    assert.equal(400, bad.status)
    local _, missing = c:request("POST", "/jobs/job_nothing/action", { body = { action = "cancel" } })
    assert.equal(404, missing.status)
  end)

  it("comes from txt2img (numSamples outputs, 4 by default) and img2img, with their inference", function()
    local doc, err = c:request("POST", "/generate/txt2img", { body = { modelId = F1, prompt = "a fox" } })
    assert.is_table(doc, tostring(err))
    assert.equal("txt2img", doc.inference.type)
    assert.equal("a fox", doc.inference.prompt)
    assert.equal("inference", doc.job.jobType)
    assert.equal(4, #run_job(c, doc.job.jobId).metadata.assetIds)
    local image = assert(scenario.data_url("examples/assets/leaf.png"))
    doc = assert(c:request("POST", "/generate/img2img", { body = { modelId = F1, prompt = "a fox", image = image,
      numSamples = 2, strength = 0.5 } }))
    assert.equal("img2img", doc.inference.type)
    assert.equal(2, #run_job(c, doc.job.jobId).metadata.assetIds)
    for _, body in ipairs { { modelId = F1 }, { prompt = "x" }, { modelId = F1, prompt = "x", numSamples = 129 } } do
      local _, e = c:request("POST", "/generate/txt2img", { body = body })
      assert.equal(400, e.status)
    end
    local _, e = c:request("POST", "/generate/img2img", { body = { modelId = F1, prompt = "x", image = "nope" } })
    assert.equal(400, e.status)
  end)
end)

describe("list_jobs", function()
  it("pages as list_models does: pageSize in range, its own tokens, an empty page past the end", function()
    local fresh = testing.start { lua = helper.LUA }
    local c = client(fresh)
    for i = 1, 5 do assert(generate(c, F1, { prompt = "job " .. i })) end
    local got, token, pages = {}, nil, 0
    repeat
      local doc, err = c:request("GET", "/jobs", { query = { pageSize = 2, paginationToken = token } })
      assert.is_table(doc, tostring(err))
      for _, j in ipairs(doc.jobs) do got[#got + 1] = j.metadata.input.prompt end
      token, pages = doc.nextPaginationToken, pages + 1
    until not token or pages > 5
    assert.same({ "job 1", "job 2", "job 3", "job 4", "job 5" }, got)
    assert.equal(3, pages)
    local range = { min = 1, max = 200 } -- jobs.list.md, until the table says
    for _, ep in ipairs(core.schema()) do
      for _, f in ipairs(ep.name == "list_jobs" and ep.query.fields or {}) do
        if f.name == "pageSize" then range = f.type end
      end
    end
    for _, q in ipairs { { pageSize = range.min - 1 }, { pageSize = range.max + 1 }, { paginationToken = "abc" },
                         { paginationToken = 0 } } do
      local _, err = c:request("GET", "/jobs", { query = q })
      assert.equal(400, err.status, next(q))
    end
    assert(c:request("GET", "/jobs", { query = { pageSize = range.max } }))
    local past = assert(c:request("GET", "/jobs", { query = { paginationToken = 6 } }))
    assert.same({}, past.jobs)
    c:close()
    fresh:stop()
  end)
end)

describe("an asset", function()
  local c
  before_each(function() c = client() end)
  after_each(function()
    s:script_urls {}
    c:close()
  end)

  -- Two generated assets' files, fetched from their URLs as given and
  -- written to disk: their paths and their ids.
  local function two_files()
    local ids, files = generated(c, 2), {}
    for i, id in ipairs(ids) do
      local status, _, body = fetch(asset(c, id).url)
      assert.equal(200, status, body)
      files[i] = helper.tmpdir() .. "/" .. id .. ".png"
      helper.write(files[i], body)
    end
    return files, ids
  end

  -- Whether a command is installed; when it is not, the spec is marked
  -- pending, saying so.
  local function installed(cmd)
    if helper.sh("command -v " .. cmd) then return true end
    pending(cmd .. " is not installed here")
    return false
  end

  it("has a signed URL on 127.0.0.2, where its file is a PNG of its own, as zlib reads it", function()
    local ids = generated(c, 2)
    local files = {}
    for i, id in ipairs(ids) do
      local a = asset(c, id)
      assert.equal(id, a.id)
      assert.equal("image/png", a.mimeType)
      assert.equal("image", a.kind)
      local host, port, path, query = split(a.url)
      assert.equal("127.0.0.2", host) -- loopback's other address binds and answers here
      assert.equal(s.cdn_host, host)
      assert.equal(s.cdn_port, port)
      assert.equal("/assets/" .. id .. ".png", path)
      assert.truthy(query:find("^Policy=[%w%-_~]+&Signature=[%w%-_~=]+&Key%-Pair%-Id=[%w]+$"), query)
      for _, ch in ipairs { "~", "_", "=" } do assert.truthy(query:find(ch, 1, true), ch .. " in " .. query) end
      local status, headers, body = fetch(a.url)
      assert.equal(200, status, body)
      assert.equal("image/png", headers["content-type"])
      assert.equal(#body, tonumber(headers["content-length"]))
      assert.equal(a.properties.size, #body)
      assert.truthy(#body > 2000 and #body < 8000, #body)
      files[i] = helper.tmpdir() .. "/" .. id .. ".png"
      helper.write(files[i], body)
      -- Every chunk's CRC, the zlib stream with its Adler-32, the rows,
      -- and the first pixel: the colour of the CRC-32 of its id.
      local ok, out = helper.sh(("python3 -c '%s' %s %s"):format([[
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
i, idat, ihdr = 8, b"", None
while i < len(d):
    n, = struct.unpack(">I", d[i:i + 4]); t = d[i + 4:i + 8]; body = d[i + 8:i + 8 + n]
    assert struct.unpack(">I", d[i + 8 + n:i + 12 + n])[0] == zlib.crc32(t + body), t
    if t == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    if t == b"IDAT": idat += body
    i += 12 + n
w, h = ihdr[0], ihdr[1]
raw = zlib.decompress(idat)
assert len(raw) == h * (1 + 3 * w) and all(raw[y * (1 + 3 * w)] == 0 for y in range(h))
c = zlib.crc32(sys.argv[2].encode())
assert tuple(raw[1:3]) == ((c >> 16) & 255, (c >> 8) & 255), (raw[1:4], c)
print("decoded", w, h, raw[1], raw[2], raw[3])]], files[i], id))
      assert.is_true(ok, out)
      assert.truthy(out:find("decoded 32 32"), out)
    end
    assert.are_not.equal(helper.read(files[1]), helper.read(files[2]))
  end)

  it("is a PNG to file(1)", function()
    if not installed("file") then return end
    for _, f in ipairs(two_files()) do
      local ok, out = helper.sh("file " .. f)
      assert.is_true(ok, out)
      assert.truthy(out:find("PNG image data, 32 x 32, 8%-bit/color RGB"), out)
    end
  end)

  it("is an image LÖVE loads, each asset's of another colour", function()
    if not installed("love") then return end
    local files = two_files()
    local game = helper.tmpdir()
    helper.write(game .. "/conf.lua", "function love.conf(t) t.window = false; t.modules.window = false; "
      .. "t.modules.graphics = false; t.modules.audio = false; t.modules.sound = false end\n")
    helper.write(game .. "/main.lua", ([[
function love.load()
  for _, f in ipairs { %q, %q } do
    local d = love.image.newImageData(love.filesystem.newFileData(assert(io.open(f, "rb")):read("*a"), "a.png"))
    local r, g, b = d:getPixel(0, 0)
    print("loaded", d:getWidth(), d:getHeight(), math.floor(r * 255 + 0.5), math.floor(g * 255 + 0.5))
  end
  love.event.quit()
end
]]):format(files[1], files[2]))
    local ok, out = helper.sh(("XDG_RUNTIME_DIR=%s timeout 30 love %s"):format(game, game))
    assert.is_true(ok, out)
    local colours = {}
    for w, h, r, g in out:gmatch("loaded%s+(%d+)%s+(%d+)%s+(%d+)%s+(%d+)") do
      assert.equal("32 32", w .. " " .. h)
      colours[#colours + 1] = r .. "," .. g
    end
    assert.equal(2, #colours, out)
    assert.are_not.equal(colours[1], colours[2])
  end)

  it("is refused by the CDN (403) with an Authorization, re-encoded, tampered with or expired", function()
    local id = generated(c, 1)[1]
    local url = asset(c, id).url
    local status, _, body = fetch(url, "Authorization: " .. helper.basic_auth(helper.API_KEY,
      helper.API_SECRET) .. "\r\n")
    assert.equal(403, status)
    assert.truthy(body:find("AccessDenied", 1, true), body)
    assert.truthy(body:find("Authorization", 1, true), body)
    assert.equal(403, (fetch(url, "authorization: Bearer x\r\n")))
    local base, query = url:match("^(.-%?)(.*)$")
    for _, bad in ipairs {
      base .. query:gsub("~", "%%7E"),           -- what a careless client re-encodes
      base .. query:gsub("_", "%%5F"),
      base .. query:gsub("==&", "%%3D%%3D&"),    -- the signature's padding
      base .. query:gsub("Signature=~", "Signature=A"),
      base .. query:gsub("Key%-Pair%-Id=%w+", "Key-Pair-Id=KOTHER"),
      base .. query:gsub("Signature=[^&]*&", function(p) return p .. "Signature=x&" end), -- twice
      url .. "&extra=1",
      (url:gsub("%.png%?", ".jpg?")),             -- another file, the same signature
    } do
      assert.are_not.equal(url, bad)
      status, _, body = fetch(bad)
      assert.equal(403, status, bad)
      assert.truthy(body:find("AccessDenied", 1, true), body)
    end
    assert.equal(200, (fetch(url))) -- the URL as given, still good
    local head_status, head_headers, head_body = fetch(url, nil, "HEAD")
    assert.equal(200, head_status)
    assert.equal("", head_body)
    assert.equal(asset(c, id).properties.size, tonumber(head_headers["content-length"]))
  end)

  it("can be given expired, so that a client's one refresh for a fresh URL can be tested", function()
    local id = generated(c, 1)[1]
    s:script_urls { expired = 1 }
    local stale = asset(c, id).url
    local status, _, body = fetch(stale)
    assert.equal(403, status)
    assert.truthy(body:find("expired", 1, true), body)
    local fresh = asset(c, id).url
    assert.are_not.equal(stale, fresh)
    assert.equal(200, (fetch(fresh)))
  end)

  it("expires at expire_urls, or once its ttl has passed", function()
    local id = generated(c, 1)[1]
    local before = asset(c, id).url
    assert.equal(200, (fetch(before)))
    s:expire_urls()
    assert.equal(403, (fetch(before)))
    local after = asset(c, id).url
    assert.equal(200, (fetch(after)))
    s:script_urls { ttl = 1 }
    local short = asset(c, id).url
    assert.equal(200, (fetch(short)))
    socket.sleep(2.1) -- past ttl + 1 s at most
    assert.equal(403, (fetch(short)))
  end)

  it("is uploaded from bare base64 and served byte for byte; what is not base64 is refused", function()
    local png = helper.read("examples/assets/leaf.png")
    local b64 = assert(scenario.data_url("examples/assets/leaf.png")):match("^data:image/png;base64,(.+)$")
    local doc, err = c:request("POST", "/assets", { body = { name = "leaf.png", image = b64 } })
    assert.is_table(doc, tostring(err))
    assert.equal("image/png", doc.asset.mimeType)
    assert.equal("uploaded", doc.asset.source)
    assert.equal(#png, doc.asset.properties.size)
    local status, _, body = fetch(asset(c, doc.asset.id).url)
    assert.equal(200, status)
    assert.equal(png, body)
    local _, data_url = c:request("POST", "/assets", { body = { name = "leaf.png",
      image = "data:image/png;base64," .. b64 } })
    assert.equal(400, data_url.status)
    assert.truthy(data_url.message:find("data: URL", 1, true), data_url.message) -- the guide sends it bare
    for _, bad in ipairs {
      { name = "leaf.png", image = "not base64!" },
      { name = "leaf.png", image = b64:sub(2) },                       -- not whole groups of four
      { name = "leaf.png", image = "aGVsbG8gd29ybGQ=" },              -- base64, of no image
      { image = b64 },
      { name = "leaf.png" },
    } do
      local _, e = c:request("POST", "/assets", { body = bad })
      assert.equal(400, e.status, tostring(e))
    end
    local _, missing = c:request("GET", "/assets/asset_nothing")
    assert.equal(404, missing.status)
  end)
end)

describe("the stand-in's requests() and faults, for the CDN", function()
  it("lists the CDN's requests with their host and headers, a credential's value redacted", function()
    local fresh = testing.start { lua = helper.LUA }
    local c = client(fresh)
    local ids = generated(c, 1)
    local url = asset(c, ids[1]).url
    fetch(url)
    fetch(url, "Authorization: " .. helper.basic_auth(helper.API_KEY, helper.API_SECRET) .. "\r\nX-Api-Key: "
      .. helper.API_KEY .. "\r\n")
    c:close()
    local log = assert(fresh:requests())
    local text = assert(core.to_json(log))
    fresh:stop()
    local cdn = {}
    for _, r in ipairs(log) do
      if r.endpoint == "cdn" then cdn[#cdn + 1] = r end
    end
    assert.equal(2, #cdn)
    assert.equal(("%s:%d"):format(fresh.cdn_host, fresh.cdn_port), cdn[1].host)
    assert.equal("GET", cdn[1].method)
    assert.equal("/assets/" .. ids[1] .. ".png", cdn[1].path)
    assert.is_nil(cdn[1].headers.authorization) -- what a spec of a downloader asserts
    assert.equal("[redacted]", cdn[2].headers.authorization)
    assert.equal("[redacted]", cdn[2].headers["x-api-key"])
    assert.equal("[redacted]", log[1].headers.authorization) -- the client's own, to the API
    assert.equal("generate", log[1].endpoint)
    assert.falsy(text:find(helper.API_KEY, 1, true))
    assert.falsy(text:find(helper.API_SECRET, 1, true))
    assert.falsy(text:find(helper.basic_auth(helper.API_KEY, helper.API_SECRET):sub(7), 1, true))
  end)

  it("answers a fault for \"cdn\" on the CDN only, and one for no endpoint on the API only", function()
    local c = client()
    local url = asset(c, generated(c, 1)[1]).url
    s:fault { endpoint = "cdn", status = 503 }
    local status = fetch(url)
    assert.equal(503, status)
    assert.equal(200, (fetch(url)))
    s:fault { status = 502 }
    assert.equal(200, (fetch(url)))
    local _, err = c:get_model(F1)
    assert.equal(502, err.status)
    c:close()
  end)

  it("raises in the test on a job or URL script it cannot take", function()
    for _, call in ipairs {
      function() s:script_jobs { outcome = "done" } end,
      function() s:script_jobs { progress = { 2 } } end,
      function() s:script_jobs { colour = "red" } end,
      function() s:script_urls { ttl = 0 } end,
      function() s:script_urls { expired = -1 } end,
      function() testing.job_plan { seconds_per_step = 0 } end,
    } do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("field '", 1, true) or tostring(err):find("unknown field", 1, true),
        tostring(err))
    end
  end)
end)
