-- Generating with a model, and waiting for the job (lua/scenario/generation.lua,
-- inputs.lua, wait.lua), against the stand-in: a body checked against
-- the model's inputs before anything is sent, the inputs fetched once per
-- model and client, and wait_for_job through every status to each of its
-- ends. Written from the side of the script that makes mistakes a paid
-- call would otherwise reveal.
local helper = require "spec.helper"
local scenario = require "scenario"
local core = require "scenario.core"
local inputs = require "scenario.inputs"
local testing = require "scenario.testing"

local BASE = "model_bfl-flux-1-dev"

local s
setup(function() s = testing.start() end)
teardown(function() s:stop() end)

local function client(opts)
  local o = { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET, timeout = 10,
              sleep = function() end }
  for k, v in pairs(opts or {}) do o[k] = v end
  return scenario.new(o)
end

-- The requests the stand-in saw for endpoint name since mark.
local function asked(name, mark)
  local n = 0
  local reqs = s:requests()
  for i = (mark or 0) + 1, #reqs do
    if reqs[i].endpoint == name then n = n + 1 end
  end
  return n, #reqs
end

local function mark() return select(2, asked("none")) end

describe("generate", function()
  it("refuses a body against the model's inputs, with no generation sent", function()
    local c = client()
    for _, case in ipairs {
      { body = { promt = "a cabin" }, path = "promt",
        message = "is not an input of this model; did you mean 'prompt'?" },
      { body = { prompt = "a cabin", numOutputs = 5 }, path = "numOutputs", message = "must be at most 4, got 5" },
      { body = { prompt = "a cabin", lorasScale = { 0.5, 3 } }, path = "lorasScale[2]",
        message = "must be at most 2, got 3" },
      { body = { prompt = ("x"):rep(2049) }, path = "prompt", message = "is 2049 characters long; at most 2048" },
      { body = { prompt = "a cabin", controlModality = "cany" }, path = "controlModality",
        message = '"cany" is not one of canny, tile, depth, blur, pose, gray, low-quality; did you mean \'canny\'?' },
      { body = { prompt = "a cabin", loras = { "a", "b", "c", "d", "e", "f", "g" } }, path = "loras",
        message = "has 7 items; at most 6" },
      { body = { numOutputs = 2 }, path = "prompt", message = "is required but missing" },
      { body = { prompt = "a cabin", width = "wide" }, path = "width",
        message = "expected a finite number, got string" },
    } do
      local before = mark()
      local doc, err = c:generate(BASE, case.body)
      assert.is_nil(doc, case.path)
      assert.equal("validation", err.kind)
      assert.equal(0, err.attempts)
      assert.equal(case.path, err.errors[1].path)
      assert.equal(case.message, err.errors[1].message)
      assert.equal(0, (asked("generate", before)))
      local req, aerr = c:generate_async(BASE, case.body) -- the inputs are kept now: refused at once
      assert.is_nil(req)
      assert.equal(case.message, aerr.errors[1].message)
    end
  end)

  it("fetches the inputs once per model and client, and sends a body that passes", function()
    local c = client()
    local before = mark()
    for _ = 1, 3 do
      local doc, meta = c:generate(BASE, { prompt = "a cabin", numOutputs = 2, lorasScale = { 0.8 } })
      assert.is_table(doc, tostring(meta))
      assert.equal("queued", doc.job.status)
      assert.is_nil(meta.inputs_unchecked)
    end
    assert.equal(1, (asked("get_model", before)))
    assert.equal(3, (asked("generate", before)))
    local other = client() -- another client fetches its own
    assert(other:generate(BASE, { prompt = "a cabin" }))
    assert.equal(2, (asked("get_model", before)))
  end)

  it("sends the body unchecked where the inputs cannot be had, and says so in meta", function()
    local c = client { max_retries = 0 }
    s:fault { endpoint = "get_model", status = 503 }
    local doc, meta = c:generate(BASE, { prompt = "a cabin" })
    assert.is_table(doc, tostring(meta))
    assert.matches("^the model's inputs could not be read %(scenario: server %(HTTP 503", meta.inputs_unchecked)
    -- a fetch that failed is not kept: the next call tries again, and checks
    local before = mark()
    local none, err = c:generate(BASE, { promt = "a cabin" })
    assert.is_nil(none)
    assert.equal("validation", err.kind)
    assert.equal(1, (asked("get_model", before)))
    -- a model of the test's own has no inputs: kept as none, unchecked
    local model = assert(c:create_model { name = "no inputs", type = "custom" })
    local _, meta2 = c:generate(model.id, { prompt = "a cabin" })
    assert.equal("the model has no inputs to check the body against", meta2 and meta2.inputs_unchecked)
  end)

  it("async, fetches the inputs without blocking, then checks and sends, or refuses with nothing sent", function()
    local c = client()
    local before = mark()
    local got = {}
    local bad = assert(c:generate_async(BASE, { promt = "a cabin" }, nil, {
      on_done = function(doc, err) got.bad = doc and "ok" or err.kind end }))
    local good = assert(c:generate_async(BASE, { prompt = "a cabin" }, nil, {
      on_done = function(doc, meta) got.good = doc and doc.job.status or tostring(meta) end }))
    assert.is_false(good:done()) -- it fetches the inputs first
    local deadline = core.now() + 10
    while c:poll() > 0 do
      assert(core.now() < deadline, "gave up waiting")
      core.sleep(0.001)
    end
    assert.same({ bad = "validation", good = "queued" }, got)
    local _, err = bad:result()
    assert.equal("promt", err.errors[1].path)
    assert.equal(1, (asked("generate", before)))
    assert.equal(1, (asked("get_model", before))) -- one fetch, for both
    assert.equal(0, c:poll())
  end)

  it("async, two at once share the fetch of the inputs; one cancelled leaves it to the other", function()
    local c = client()
    s:fault { endpoint = "get_model", delay = 0.3 }
    local before = mark()
    local a = assert(c:generate_async(BASE, { prompt = "a cabin" }))
    local b = assert(c:generate_async(BASE, { prompt = "a barn" }))
    c:poll()
    assert.is_true(a:cancel())
    local doc, meta = b:wait(10)
    assert.is_table(doc, tostring(meta))
    assert.equal("cancelled", select(2, a:result()).kind)
    assert.same({ 1, 1 }, { (asked("get_model", before)), (asked("generate", before)) })
    -- Both cancelled: the fetch goes too, and nothing is sent.
    local c2 = client()
    s:fault { endpoint = "get_model", delay = 0.3 }
    before = mark()
    local x = assert(c2:generate_async(BASE, { prompt = "a cabin" }))
    local y = assert(c2:generate_async(BASE, { prompt = "a barn" }))
    c2:poll()
    assert.is_true(x:cancel())
    assert.is_true(y:cancel())
    assert.equal(0, c2:poll())
    core.sleep(0.4)
    assert.equal(0, (asked("generate", before)))
  end)

  it("in a coroutine that yields, sends nothing when the host cancels the fetch of the inputs", function()
    local c = client { yield_in_coroutines = true }
    s:fault { endpoint = "get_model", delay = 0.3 }
    local before = mark()
    local doc, err
    local co = coroutine.create(function() doc, err = c:generate(BASE, { prompt = "a cabin" }) end)
    local ok, yielded = coroutine.resume(co)
    assert.is_true(ok, tostring(yielded))
    if yielded == nil then -- before 5.2, a first empty yield
      ok, yielded = coroutine.resume(co)
      assert.is_true(ok, tostring(yielded))
    end
    assert.equal("scenario.Request", getmetatable(yielded).__name) -- the get_model
    assert.is_true(yielded:cancel())
    local deadline = core.now() + 10
    while coroutine.status(co) ~= "dead" and core.now() < deadline do
      ok, yielded = coroutine.resume(co)
      assert.is_true(ok, tostring(yielded))
    end
    assert.is_nil(doc)
    assert.equal("cancelled", err.kind)
    core.sleep(0.4)
    assert.equal(0, (asked("generate", before)))
  end)

  it("async, is cancelled while it fetches the inputs, and nothing is sent", function()
    local c = client()
    s:fault { endpoint = "get_model", delay = 0.5 }
    local before = mark()
    local req = assert(c:generate_async(BASE, { prompt = "a cabin" }))
    c:poll()
    assert.is_true(req:cancel())
    local _, err = req:result()
    assert.equal("cancelled", err.kind)
    assert.equal(0, c:poll())
    core.sleep(0.6)
    c:poll()
    assert.equal(0, (asked("generate", before)))
  end)

  it("refuses what the schema refuses before it fetches anything", function()
    local c = client()
    local before = mark()
    local doc, err = c:generate(BASE, "a cabin")
    assert.is_nil(doc)
    assert.equal("validation", err.kind)
    assert.equal(0, select(2, asked("none", before)) - before)
  end)
end)

describe("the inputs check (scenario.inputs)", function()
  it("holds a number to its allowedValues, as a string", function()
    local list = { { name = "duration", type = "number", allowedValues = { 5, 10 } },
                   { name = "durations", type = "number_array", allowedValues = { 5, 10 } } }
    assert.same({}, inputs.problems(list, { duration = 10, durations = { 5, 10 } }))
    assert.same({ { path = "duration", message = "7 is not one of 5, 10" },
                  { path = "durations[2]", message = "6 is not one of 5, 10" } },
      inputs.problems(list, { duration = 7, durations = { 5, 6 } }))
  end)
end)

describe("wait_for_job", function()
  local function job_of(c, body)
    local doc = assert(c:generate(BASE, body or { prompt = "a cabin", numOutputs = 2 }))
    return doc.job.jobId
  end

  it("goes through every status to success, with on_progress on each change", function()
    s:script_jobs { outcome = "success", progress = { 0.25, 0.5, 0.75 } }
    local c = client()
    local doc = assert(c:generate(BASE, { prompt = "a cabin", numOutputs = 2 }))
    assert.equal("queued", doc.job.status) -- as made; each poll moves it a step on
    local id = doc.job.jobId
    local seen = {}
    local job, meta = c:wait_for_job(id, { interval = 0.01, timeout = 10, on_progress = function(j)
      seen[#seen + 1] = j.status .. ":" .. tostring(j.progress)
    end })
    assert.is_table(job, tostring(meta))
    assert.equal("success", job.status)
    assert.equal(2, #job.metadata.assetIds)
    local statuses = {}
    for _, e in ipairs(seen) do statuses[e:match("^[^:]+")] = true end
    for _, st in ipairs { "warming-up", "in-progress", "finalizing", "success" } do
      assert.truthy(statuses[st], st .. " not seen: " .. table.concat(seen, " "))
    end
    -- a change each: warming-up, 3 progress steps, finalizing, success
    assert.equal(6, #seen, table.concat(seen, " "))
  end)

  it("ends as job_failed, with the job's error in the message and err.job", function()
    s:script_jobs { outcome = "failure", error = "out of GPUs" }
    local c = client()
    local id = job_of(c)
    local job, err = c:wait_for_job(id, { interval = 0.01, timeout = 10 })
    assert.is_nil(job)
    assert.equal("job_failed", err.kind)
    assert.equal(("the job %s failed: out of GPUs"):format(id), err.message)
    assert.equal(id, err.job.jobId)
    assert.equal("failure", err.job.status)
  end)

  it("ends as job_canceled when the job is canceled", function()
    s:script_jobs { outcome = "success", progress = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 } }
    local c = client()
    local id = job_of(c)
    local job, err = c:wait_for_job(id, { interval = 0.01, timeout = 10, on_progress = function(j)
      if j.status == "in-progress" then assert(c:cancel_job(id)) end
    end })
    assert.is_nil(job)
    assert.equal("job_canceled", err.kind)
    assert.equal("canceled", err.job.status)
  end)

  it("ends as timeout when its timeout passes first, and as cancelled when cancelled", function()
    s:script_jobs { outcome = "success", seconds_per_step = 60 }
    local c = client()
    local id = job_of(c)
    local job, err = c:wait_for_job(id, { interval = 0.01, timeout = 0.3 })
    assert.is_nil(job)
    assert.equal("timeout", err.kind)
    assert.equal(("the job %s had not ended after 0.3 s"):format(id), err.message)
    local w = c:wait_for_job_async(id, { interval = 0.01 })
    assert.is_true(w:cancel())
    assert.equal("the wait was cancelled; the job goes on", select(2, w:result()).message)
    assert.equal(0, c:poll())
  end)

  it("polls again after a failure that may clear, and ends when the job does", function()
    s:script_jobs { outcome = "success" }
    local c = client { max_retries = 0 }
    local id = job_of(c)
    s:fault { endpoint = "get_job", status = 503, count = 3 }
    local job, meta = c:wait_for_job(id, { interval = 0.01, max_interval = 0.05, timeout = 10 })
    assert.is_table(job, tostring(meta))
    assert.equal("success", job.status)
  end)

  it("refuses a jobId that is not a non-empty string, and unknown options", function()
    local c = client()
    assert.has_error(function() c:wait_for_job("") end,
      "bad argument #1 to 'wait_for_job' (jobId must be a non-empty string, got an empty one)")
    assert.has_error(function() c:wait_for_job_async("job_x", { intervall = 1 }) end,
      "bad argument #2 to 'wait_for_job_async' (unknown option 'intervall'; did you mean 'interval'?)")
  end)
end)
