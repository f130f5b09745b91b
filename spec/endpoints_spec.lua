-- Every endpoint of the table (csrc/endpoint_table.c), against the replay
-- server routed by method and path: the exact request each method sends,
-- and what it returns for the reference page's example answer
-- (spec/fixtures/<endpoint>.lua).
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local scenario = require "scenario"
local core = require "scenario.core"

local server = replay.server()

local ID = "model_eyVcnFJcR92BxBkz7N6g5w"
local PHOENIX = "an illustration of phoenix in a fantasy world, flying over a mountain, 8k, bokeh effect"
local PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVQYV2NgYAAAAAMAAWgmWQ0AAAAASUVORK5CYII="

-- Each endpoint: the call that makes its fixture's request, and a check
-- of what comes back.
local cases = {
  get_model = {
    call = function(c) return c:get_model(ID, { originalAssets = true }) end,
    check = function(model) assert.equal("id", model.id) assert.equal("private", model.privacy) end,
  },
  list_models = {
    call = function(c)
      return c:list_models { pageSize = 2, privacy = "private", sortBy = "createdAt", sortDirection = "desc",
        types = { "flux.1-lora", "sd-xl-lora" } }
    end,
    check = function(page)
      assert.equal("id", page.models[1].id)
      assert.equal("nextPaginationToken", page.nextPaginationToken)
    end,
  },
  update_model = {
    call = function(c) return c:update_model(ID, { name = "Renamed", shortDescription = "Moody stills." }) end,
    check = function(model) assert.equal("id", model.id) end,
  },
  delete_model = {
    call = function(c) return c:delete_model(ID) end,
    check = function(done) assert.is_true(done) end,
  },
  train_model = {
    call = function(c)
      return c:train_model(ID, { parameters = { learningRate = 0.0001, lrScheduler = "constant", nbEpochs = 10,
        rank = 16 } }, { dryRun = true, trainingImagesCount = 12 })
    end,
    check = function(doc)
      assert.equal("jobId", doc.job.jobId)
      assert.equal("id", doc.model.id)
      assert.is_number(doc.creativeUnitsCost)
    end,
  },
  cancel_training = {
    call = function(c) return c:cancel_training(ID) end,
    check = function(model) assert.equal("id", model.id) end,
  },
  add_training_images = {
    call = function(c)
      return c:add_training_images(ID, { data = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1"
        .. "HAwCAAAAC0lEQVQYV2NgYAAAAAMAAWgmWQ0AAAAASUVORK5CYII=", name = "my-training-image.png" })
    end,
    check = function(image) assert.equal("id", image.id) assert.equal("downloadUrl", image.downloadUrl) end,
  },
  update_model_tags = {
    call = function(c) return c:update_model_tags(ID, { add = { "hero", "night" }, delete = { "draft" } }) end,
    check = function(doc) assert.same({ "string" }, doc.added) assert.same({ "string" }, doc.deleted) end,
  },
  generate = {
    -- The body's members go out in the order of their names, whatever order Lua keeps them in.
    call = function(c)
      return c:generate("model_bfl-flux-1-dev", { prompt = "a small wooden cabin in a snowy forest",
        loras = { "model_YQrES2iPys22nYwh3YhVfMh8" }, lorasScale = { 0.8 } })
    end,
    check = function(doc) -- the whole answer, not its job
      assert.equal("job_abcd1234efgh", doc.job.jobId)
      assert.equal("queued", doc.job.status)
      assert.equal(10.75, doc.creativeUnitsCost)
      assert.equal(0, doc.creativeUnitsDiscount)
    end,
  },
  generate_txt2img = {
    call = function(c)
      return c:generate_txt2img { modelId = ID, prompt = PHOENIX, guidance = 3.5, height = 1024, width = 1024,
        negativePrompt = "((ugly face))", numInferenceSteps = 30, numSamples = 4 }
    end,
    check = function(doc)
      assert.equal("txt2img", doc.inference.type)
      assert.equal(PHOENIX, doc.inference.prompt)
      assert.equal("job_ocZCnG1Df35XRL1QyCZSRxAG8", doc.job.jobId)
    end,
  },
  generate_img2img = {
    call = function(c)
      return c:generate_img2img { modelId = ID, prompt = PHOENIX, image = "asset_GTrL3mq4SXWyMxkOHRxlpw",
        strength = 0.75, numSamples = 4 }
    end,
    check = function(doc)
      assert.equal("img2img", doc.inference.type)
      assert.equal(0.75, doc.inference.strength)
      assert.equal("queued", doc.job.status)
    end,
  },
  get_job = {
    call = function(c) return c:get_job("job_abc123") end,
    check = function(job) -- the job member
      assert.equal("job_abc123", job.jobId)
      assert.equal("success", job.status)
      assert.equal(1, job.progress)
      assert.same({ "asset_1gHMbHjSjWYLyAnd7ZxzPkcQ" }, job.metadata.assetIds)
      assert.equal("success", job.statusHistory[3].status)
    end,
  },
  list_jobs = {
    call = function(c) return c:list_jobs { pageSize = 2, status = "success", types = { "custom", "inference" } } end,
    check = function(page)
      assert.equal("job_abc123", page.jobs[1].jobId)
      assert.equal("canceled", page.jobs[2].status)
      assert.equal("nextPaginationToken", page.nextPaginationToken)
    end,
  },
  cancel_job = {
    call = function(c) return c:cancel_job("job_gen_123") end,
    check = function(job) assert.equal("job_gen_123", job.jobId) assert.equal("canceled", job.status) end,
  },
  get_asset = {
    call = function(c) return c:get_asset("asset_staging_qSACAtKeAbd1EmAEG4YNguea") end,
    check = function(asset) -- the asset member
      assert.equal("asset_staging_qSACAtKeAbd1EmAEG4YNguea", asset.id)
      assert.equal("https://cdn.cloud.scenario.com/assets-transform/asset_staging_qSACAtKeAbd1EmAEG4YNguea?...",
        asset.url)
      assert.equal("image/png", asset.mimeType)
      assert.equal(979892, asset.properties.size)
      assert.equal("uploaded", asset.metadata.type)
      assert.equal(11, #asset.editCapabilities)
    end,
  },
  upload_asset = {
    call = function(c) return c:upload_asset { name = "my_image_base64_upload", image = PNG_BASE64 } end,
    check = function(asset) assert.equal("asset_staging_qSACAtKeAbd1EmAEG4YNguea", asset.id) end,
  },
}

-- The client's _async methods, waited on, under the blocking names.
local function waited(client)
  return setmetatable({}, { __index = function(_, k)
    return function(_, ...) return assert(client[k .. "_async"](client, ...)):wait(5) end
  end })
end

-- generate reads the model's inputs first (get_model, once per model and
-- client): the live record of the base model the call runs is answered
-- for it, routed to get_model so that the generation's own answer stays
-- queued for the generation.
local BASES = { ["model_bfl-flux-1-dev"] = "live_get_flux1_base", ["model_bfl-flux-2-dev"] = "live_get_flux2_base" }
local function inputs_first(name, model_id)
  if name == "generate" then
    server.enqueue(replay.answer(BASES[model_id or "model_bfl-flux-1-dev"] or "get_model", { endpoint = "get_model" }))
  end
end

-- The requests the server saw for endpoint name, in order.
local function requests_of(name)
  local out = {}
  for _, r in ipairs(server.requests()) do
    if r.endpoint == name then out[#out + 1] = r end
  end
  return out
end

describe("every endpoint", function()
  it("has a case here, and a fixture", function()
    for _, ep in ipairs(core.endpoints) do
      if ep.name ~= "create_model" then -- spec/transport_spec.lua has it
        assert.is_table(cases[ep.name], ep.name)
        assert.is_table(replay.fixture(ep.name), ep.name)
      end
    end
  end)

  for name, case in pairs(cases) do
    it(name .. " sends exactly its request and returns the example's data", function()
      local fx = replay.fixture(name)
      local response = fx.response
      response.endpoint = name
      server.reset()
      inputs_first(name)
      server.enqueue(response)
      local client = helper.client()
      local result, meta = case.call(client)
      assert.truthy(result, tostring(meta))
      case.check(result)
      assert.equal(200, meta.status)
      assert.equal(1, meta.attempts)
      assert.is_nil(meta.problems, name .. ": the page's example is not the documented shape")
      local req = requests_of(name)[1]
      assert.equal(name, req.endpoint)
      assert.equal(fx.request.method, req.method)
      assert.equal(fx.request.path, req.path)
      assert.equal(fx.request.query, req.query)
      assert.equal(fx.request.body, req.body)
      if fx.request.body ~= "" then
        assert.equal("application/json", req.headers["content-type"])
        assert.equal(tostring(#fx.request.body), req.headers["content-length"])
      else
        assert.is_nil(req.headers["content-type"])
        assert.is_nil(req.headers["content-length"])
      end
      assert.equal(helper.basic_auth(helper.API_KEY, helper.API_SECRET), req.headers.authorization)
    end)

    it(name .. "_async gives what " .. name .. " gives", function()
      local fx = replay.fixture(name)
      fx.response.endpoint = name
      server.reset()
      inputs_first(name) -- once: the client keeps them
      server.enqueue(fx.response, fx.response)
      local client = helper.client()
      local r1, m1 = case.call(client)
      local r2, m2 = case.call(waited(client))
      assert.same(r1, r2)
      assert.same(m1.status, m2.status)
      local reqs = requests_of(name)
      assert.equal(reqs[1].target, reqs[2].target)
      assert.equal(reqs[1].body, reqs[2].body)
    end)
  end

  it("switch methods on one reused handle, each request as its own method says", function()
    server.reset()
    -- A create with a body over 1 MiB (its buffer freed after), then every
    -- method, with and without a body, through POSTFIELDS and the read callback.
    local ids = {}
    for i = 1, 30000 do ids[i] = ("collection_%040d"):format(i) end
    cases.create_model = { call = function(c) return c:create_model { collectionIds = ids } end }
    local order = { "create_model", "get_model", "add_training_images", "delete_model", "update_model_tags",
      "list_models", "train_model", "create_model", "cancel_training", "get_model", "update_model" }
    for _, name in ipairs(order) do
      local r = replay.fixture(name == "create_model" and "model_example" or name).response
      r.endpoint = name
      server.enqueue(r)
    end
    local client = helper.client()
    for _, name in ipairs(order) do assert(cases[name].call(client)) end
    cases.create_model = nil
    local reqs = server.requests()
    assert.equal(#order, #reqs)
    for i, name in ipairs(order) do
      local want = name == "create_model" and { method = "POST", path = "/v1/models" } or replay.fixture(name).request
      local req = reqs[i]
      assert.equal(want.method .. " " .. want.path, req.method .. " " .. req.path)
      if name == "create_model" then
        assert.truthy(#req.body > 1024 * 1024)
        local head = ('{"collectionIds":["%s"'):format(ids[1])
        assert.equal(head, req.body:sub(1, #head))
      else
        assert.equal(want.body, req.body, name)
      end
      if req.body ~= "" then
        assert.equal("application/json", req.headers["content-type"], name)
        assert.equal(tostring(#req.body), req.headers["content-length"], name)
      else
        assert.is_nil(req.headers["content-type"], name)
        assert.is_nil(req.headers["content-length"], name)
        assert.is_nil(req.headers["transfer-encoding"], name)
      end
    end
    assert.equal(1, server.stats().connections)
  end)
end)

describe("path parameters", function()
  before_each(function() server.reset() end)

  it("are percent-encoded: w/x?y=1 stays one segment", function()
    server.enqueue { endpoint = "get_model", status = 200, headers = {},
      body = replay.fixture("get_model").response.body }
    local client = helper.client()
    assert(client:get_model("w/x?y=1"))
    local req = server.requests()[1]
    assert.equal("/v1/models/w%2Fx%3Fy%3D1", req.target)
    assert.equal("get_model", req.endpoint)
    server.reset()
    server.enqueue { endpoint = "delete_model", status = 200, headers = {}, body = "{}" }
    assert(client:delete_model("a/b#c d&é"))
    assert.equal("/v1/models/a%2Fb%23c%20d%26%C3%A9", server.requests()[1].target)
  end)

  it("may not be . or .., which would be removed from the path, reaching another endpoint", function()
    local client = helper.client()
    for _, dots in ipairs { ".", ".." } do
      for _, call in ipairs {
        function() return client:get_model(dots) end,
        function() return client:delete_model(dots) end,
        function() return client:update_model_tags(dots, { add = { "x" } }) end,
        function() return client:train_model(dots, {}) end,
      } do
        local result, err = call()
        assert.is_nil(result)
        assert.equal("validation", err.kind)
        assert.equal("modelId", err.errors[1].path)
        assert.equal(('"%s" cannot be a path segment (it would be removed, reaching another endpoint)')
          :format(dots), err.errors[1].message)
      end
    end
    -- Dots inside a segment are an id like any other, sent as they are.
    server.enqueue { endpoint = "delete_model", status = 200, headers = {}, body = "{}" }
    assert(client:delete_model("..."))
    assert.equal("/v1/models/...", server.requests()[1].target)
  end)

  it("may not hold a . or .. segment a server would see once it decodes the parameter", function()
    -- Sent as ..%2Fx, which a server that decodes %2F before it removes
    -- dot segments reads as ../x: another endpoint.
    local client = helper.client()
    for _, id in ipairs { "../x", "x/..", "x/../y", "..\\x", "..;x", "%2e%2e", "%2E%2E%2Fx", "%252e%252e", "./x" } do
      local result, err = client:get_model(id)
      assert.is_nil(result, id)
      assert.equal("validation", err.kind)
      assert.equal("modelId", err.errors[1].path)
      assert.matches("holds a '%.' or '%.%.' segment, however escaped", err.errors[1].message)
      assert.is_nil((scenario.validate_get_model(id)))
    end
    assert.equal(0, #server.requests())
    server.enqueue { endpoint = "delete_model", status = 200, headers = {}, body = "{}" }
    assert(client:delete_model("..x/y.")) -- dots in longer segments: names
    assert.equal("/v1/models/..x%2Fy.", server.requests()[1].target)
  end)

  it("must be non-empty strings, refused with nothing sent", function()
    local client = helper.client()
    for _, bad in ipairs { false, 42, "", {} } do
      local model, err = client:get_model(bad)
      assert.is_nil(model)
      assert.equal("validation", err.kind)
      assert.equal("modelId", err.errors[1].path)
      assert.equal(0, err.attempts)
      local req, aerr = client:delete_model_async(bad)
      assert.is_nil(req)
      assert.equal("modelId", aerr.errors[1].path)
    end
    local _, err = client:get_model(nil)
    assert.equal("expected a non-empty string, got nil", err.errors[1].message)
    local _, err2 = client:train_model("")
    assert.equal("expected a non-empty string, got an empty one", err2.errors[1].message)
    assert.equal(0, #server.requests())
  end)
end)

describe("the retry class", function()
  before_each(function() server.reset() end)

  local busy = { status = 503, headers = { ["Content-Type"] = "application/json" },
    body = '{"status":"error","code":"UNAVAILABLE","message":"busy"}' }

  for _, ep in ipairs(core.endpoints) do
    local name = ep.name
    it(("of %s: %s"):format(name, ep.idempotent and "recovers from one 503 after a backoff"
      or "not idempotent, a 503 is final"), function()
      local case = cases[name] or { call = function(c) return c:create_model() end }
      local fx = replay.fixture(name == "create_model" and "model_example" or name).response
      inputs_first(name)
      server.enqueue(busy, fx)
      local client = helper.client()
      local result, meta = case.call(client)
      local sent = #server.requests() - (name == "generate" and 1 or 0) -- not its inputs' fetch
      if ep.idempotent then
        assert.truthy(result, tostring(meta))
        assert.equal(2, meta.attempts)
        assert.equal(1, #client.slept) -- the backoff, through the sleep option
        assert.truthy(client.slept[1] >= 0.25 and client.slept[1] <= 0.5, tostring(client.slept[1]))
        assert.equal(2, sent)
      else
        assert.is_nil(result)
        assert.equal("server", meta.kind)
        assert.equal(1, meta.attempts)
        assert.same({}, client.slept)
        assert.equal(1, sent)
      end
    end)
  end

  it("is what each endpoint's record says", function()
    local idempotent = {}
    for _, ep in ipairs(core.endpoints) do idempotent[ep.name] = ep.idempotent end
    assert.same({ create_model = false, train_model = false, add_training_images = false,
      get_model = true, list_models = true, update_model = true, delete_model = true,
      cancel_training = true, update_model_tags = true,
      generate = false, generate_txt2img = false, generate_img2img = false, upload_asset = false,
      get_job = true, list_jobs = true, cancel_job = true, get_asset = true }, idempotent)
  end)
end)

describe("each_model", function()
  before_each(function() server.reset() end)

  local function page(ids, token)
    local models = {}
    for i, id in ipairs(ids) do models[i] = ('{"id":"%s"}'):format(id) end
    return { endpoint = "list_models", status = 200, headers = { ["Content-Type"] = "application/json" },
      body = ('{"models":[%s]%s}'):format(table.concat(models, ","),
        token and (',"nextPaginationToken":"%s"'):format(token) or "") }
  end

  it("yields every model across pages, sending the token back", function()
    server.enqueue(page({ "m1", "m2" }, "t2"), page({ "m3", "m4" }, "t3"), page({ "m5" }))
    local client = helper.client()
    local got = {}
    for model, err in client:each_model { pageSize = 2 } do
      assert.is_nil(err)
      got[#got + 1] = model.id
    end
    assert.same({ "m1", "m2", "m3", "m4", "m5" }, got)
    local reqs = server.requests()
    assert.equal(3, #reqs)
    assert.equal("pageSize=2", reqs[1].query)
    assert.equal("pageSize=2&paginationToken=t2", reqs[2].query)
    assert.equal("pageSize=2&paginationToken=t3", reqs[3].query)
  end)

  it("holds one page at a time: the last is collectable while the next is read", function()
    server.enqueue(page({ "m1", "m2" }, "t2"), page({ "m3", "m4" }, "t3"), page({ "m5" }))
    local client = helper.client()
    local pages = setmetatable({}, { __mode = "v" })
    local held = {}
    local list = client.list_models
    client.list_models = function(self, ...)
      collectgarbage()
      collectgarbage()
      local n = 0
      for _ in pairs(pages) do n = n + 1 end
      held[#held + 1] = n
      local doc, err = list(self, ...)
      pages[#held] = doc
      return doc, err
    end
    local got = 0
    for model in client:each_model { pageSize = 2 } do got = got + (model and 1 or 0) end
    assert.equal(5, got)
    -- before each read, no earlier page is still referenced by the iterator
    assert.same({ 0, 0, 0 }, held)
  end)

  it("yields false and the error once on a failure, and stops", function()
    server.enqueue(page({ "m1", "m2" }, "t2"), "error_401")
    local client = helper.client()
    local got = {}
    for model, err in client:each_model { pageSize = 2 } do
      got[#got + 1] = model and model.id or false
      if not model then got.err = err end
    end
    assert.same({ "m1", "m2", false, err = got.err }, got)
    assert.equal("authentication", got.err.kind)
    assert.equal(2, #server.requests())
  end)

  it("stops with an error when the server sends a token it sent before", function()
    server.enqueue(page({ "m1" }, "same"), page({ "m2" }, "same"))
    local got, last = {}, nil
    for model, err in helper.client():each_model() do
      if model then got[#got + 1] = model.id else last = err end
    end
    assert.same({ "m1", "m2" }, got)
    assert.equal("invalid_response", last.kind)
    assert.equal(2, #server.requests())
  end)

  it("skips what is not a model on a page, and stops with an error on a token that is not a string", function()
    server.enqueue(
      { endpoint = "list_models", status = 200, headers = {}, body = '{"models":[null,{"id":"m1"},false,7,{"id":"m2"}],'
        .. '"nextPaginationToken":5}' })
    local got, last = {}, nil
    for model, err in helper.client():each_model() do
      if model then got[#got + 1] = model.id else last = err end
    end
    assert.same({ "m1", "m2" }, got)
    assert.equal("invalid_response", last.kind)
    assert.equal("the server gave a pagination token that is not a string (number)", last.message)
    assert.equal(1, #server.requests())
  end)

  it("goes on past an empty page that names a next one", function()
    server.enqueue(page({}, "t2"), page({ "m1" }))
    local got = {}
    for model in helper.client():each_model() do got[#got + 1] = model.id end
    assert.same({ "m1" }, got)
  end)

  it("leaves the caller's query as it was", function()
    server.enqueue(page({ "m1" }, "t2"), page({ "m2" }))
    local q = { pageSize = 1 }
    for _ in helper.client():each_model(q) do end
    assert.same({ pageSize = 1 }, q)
  end)
end)

describe("the methods", function()
  it("exist for every endpoint, blocking, async and validate_, and nothing else", function()
    local client = helper.client()
    for _, ep in ipairs(core.endpoints) do
      assert.is_function(client[ep.name], ep.name)
      assert.is_function(client[ep.name .. "_async"], ep.name)
      assert.is_function(scenario["validate_" .. ep.name], ep.name)
    end
    assert.is_function(client.each_model)
    assert.is_function(client.each_job)
  end)

  it("take a body only where the endpoint has one", function()
    assert.has_error(function() helper.client():get_model(ID, nil, { extra_body = {} }) end,
      "bad argument #3 to 'get_model' (unknown option 'extra_body')")
    assert.has_error(function() helper.client():update_model(ID, {}, nil, { on_done = print }) end,
      "bad argument #4 to 'update_model' (unknown option 'on_done')")
    assert.has_error(function() helper.client().get_model(ID) end,
      "bad argument #1 to 'get_model' (scenario client expected, got string; call it as client:get_model(...))")
  end)

  it("validate_ checks what the method checks, and sends nothing", function()
    server.reset()
    assert.is_true(scenario.validate_get_model(ID, { originalAssets = true }))
    local ok, err = scenario.validate_update_model("", { name = 5 }, { nope = 1 })
    assert.is_nil(ok)
    local paths = {}
    for _, p in ipairs(err.errors) do paths[#paths + 1] = p.path end
    assert.same({ "modelId", "name", "query.nope" }, paths)
    local ok2, err2 = scenario.validate_update_model_tags(ID, { add = "hero" })
    assert.is_nil(ok2)
    assert.equal("add", err2.errors[1].path)
    assert.is_true(scenario.validate_list_models { pageSize = 500, types = { "flux.1" } })
    assert.is_nil((scenario.validate_list_models { pageSize = 501 }))
    assert.equal(0, #server.requests())
  end)
end)

describe("a dry run", function()
  before_each(function() server.reset() end)

  -- The quote of generate.custom.md's recorded dry run, as decoded.
  local QUOTE = { creativeUnitsCost = 10.75, creativeUnitsDiscount = 0,
    costDetails = { ["custom-generation"] = 9, ["quality-gate"] = 1.75 } }

  local dry = {
    generate = function(c)
      return c:generate("model_bfl-flux-1-dev", { prompt = "a small wooden cabin in a snowy forest",
        loras = { "model_YQrES2iPys22nYwh3YhVfMh8" }, lorasScale = { 0.8 } }, { dryRun = true })
    end,
    generate_txt2img = function(c)
      return c:generate_txt2img({ modelId = ID, prompt = PHOENIX, guidance = 3.5, height = 1024, width = 1024,
        negativePrompt = "((ugly face))", numInferenceSteps = 30, numSamples = 4 }, { dryRun = true })
    end,
  }

  for name, call in pairs(dry) do
    for _, strict in ipairs { false, true } do
      it(("of %s is answered 269: a success, the quote returned whole%s"):format(name,
        strict and ", under strict_responses too" or ""), function()
        local fx = replay.fixture(name .. "_dry_run")
        assert.equal(269, fx.response.status)
        inputs_first(name)
        server.enqueue(fx.response)
        local client = helper.client { strict_responses = strict }
        local quote, meta = call(client)
        assert.is_table(quote, tostring(meta))
        assert.same(QUOTE, quote) -- no job, and not the member of a model or job
        assert.equal(269, meta.status)
        assert.equal(1, meta.attempts)
        assert.is_nil(meta.problems)
        local req = requests_of(name)[1]
        assert.equal(name, req.endpoint)
        assert.equal(fx.request.path, req.path)
        assert.equal("dryRun=true", req.query)
        assert.equal(fx.request.body, req.body)
      end)
    end
  end

  it("is read against the quote's shape: a 269 that is not one has shape problems", function()
    local bad = { status = 269, headers = { ["Content-Type"] = "application/json" },
      body = '{"creativeUnitsCost":"ten","job":{"jobId":"job_x"}}' }
    inputs_first("generate")
    server.enqueue(bad)
    local quote, meta = dry.generate(helper.client())
    assert.equal("ten", quote.creativeUnitsCost) -- leniently, as the answer has it
    assert.equal(269, meta.status)
    assert.equal(1, #meta.problems)
    assert.equal("creativeUnitsCost", meta.problems[1].path)
    inputs_first("generate")
    server.enqueue(bad)
    local none, err = dry.generate(helper.client { strict_responses = true })
    assert.is_nil(none)
    assert.equal("invalid_response", err.kind)
    assert.equal(1, err.attempts) -- an answer that came: not retried, not sent again
  end)

  it("is a 269 only: a 200 with a quote's body lacks the job, and a 269 where no dry run is declared is "
    .. "read as the endpoint's answer", function()
    inputs_first("generate")
    server.enqueue { status = 200, headers = {}, body = replay.fixture("generate_dry_run").response.body }
    local doc, meta = dry.generate(helper.client())
    assert.equal(10.75, doc.creativeUnitsCost)
    assert.equal("job", meta.problems[1].path)
    assert.equal("is required but missing", meta.problems[1].message)
    server.enqueue { status = 269, headers = {}, body = replay.fixture("get_job").response.body }
    local job, meta2 = helper.client { strict_responses = true }:get_job("job_abc123")
    assert.is_table(job, tostring(meta2))
    assert.equal("job_abc123", job.jobId) -- get_job's member, as for a 200
    assert.equal(269, meta2.status)
    local declared = {}
    for _, ep in ipairs(core.endpoints) do declared[ep.name] = ep.quote end
    assert.same({ generate = true, generate_txt2img = true, generate_img2img = true }, declared)
  end)
end)

describe("the pages' partial examples", function()
  before_each(function() server.reset() end)

  -- name: the fixture; call; the paths of the problems; a check of the result.
  local partial = {
    { name = "generate_guide", endpoint = "generate", model_id = "model_bfl-flux-2-dev",
      call = function(c)
        return c:generate("model_bfl-flux-2-dev", { prompt = "A cinematic shot of a futuristic neon city in the rain, "
          .. "hyper-realistic, 8k", width = 1344, height = 768 })
      end,
      problems = { "job.createdAt", "job.jobId", "job.jobType", "job.metadata", "job.progress", "job.statusHistory",
        "job.updatedAt" },
      check = function(doc) assert.equal("job_abcd1234efgh", doc.job.id) end },
    { name = "get_job_guide", endpoint = "get_job", call = function(c) return c:get_job("job_abc123") end,
      problems = { "job.createdAt", "job.jobType", "job.progress", "job.statusHistory", "job.updatedAt" },
      check = function(job) assert.same({ "asset_1gHMbHjSjWYLyAnd7ZxzPkcQ" }, job.metadata.assetIds) end },
    { name = "get_asset_guide", endpoint = "get_asset",
      call = function(c) return c:get_asset("asset_1gHMbHjSjWYLyAnd7ZxzPkcQ") end,
      problems = { "asset.authorId", "asset.collectionIds", "asset.editCapabilities", "asset.kind", "asset.mimeType",
        "asset.ownerId", "asset.privacy", "asset.properties", "asset.source", "asset.status", "asset.tags",
        "asset.updatedAt" },
      check = function(asset)
        assert.equal("https://cdn.scenario.com/assets/asset_1gHMbHjSjWYLyAnd7ZxzPkcQ.png", asset.url)
      end },
  }

  for _, case in ipairs(partial) do
    it(case.name .. " reads leniently, each missing member a shape problem, and fails under strict_responses",
      function()
      local fx = replay.fixture(case.name)
      inputs_first(case.endpoint, case.model_id)
      server.enqueue(fx.response)
      local result, meta = case.call(helper.client())
      assert.is_table(result, tostring(meta))
      case.check(result)
      local paths = {}
      for i, p in ipairs(meta.problems) do paths[i] = p.path end
      table.sort(paths)
      assert.same(case.problems, paths)
      local req = requests_of(case.endpoint)[1]
      assert.equal(fx.request.path .. (fx.request.query ~= "" and "?" .. fx.request.query or ""), req.target)
      assert.equal(fx.request.body, req.body)
      inputs_first(case.endpoint, case.model_id)
      server.enqueue(fx.response)
      local none, err = case.call(helper.client { strict_responses = true })
      assert.is_nil(none)
      assert.equal("invalid_response", err.kind)
    end)
  end
end)

describe("each_job", function()
  before_each(function() server.reset() end)

  local function page(ids, token)
    local jobs = {}
    for i, id in ipairs(ids) do jobs[i] = ('{"jobId":"%s"}'):format(id) end
    return { endpoint = "list_jobs", status = 200, headers = { ["Content-Type"] = "application/json" },
      body = ('{"jobs":[%s]%s}'):format(table.concat(jobs, ","),
        token and (',"nextPaginationToken":"%s"'):format(token) or "") }
  end

  it("yields every job across pages, sending the token back with the same filters", function()
    server.enqueue(page({ "j1", "j2" }, "t2"), page({ "j3" }, "t3"), page({ "j4" }))
    local got = {}
    for job, err in helper.client():each_job { pageSize = 2, status = "failure", types = { "custom", "inference" } } do
      assert.is_nil(err)
      got[#got + 1] = job.jobId
    end
    assert.same({ "j1", "j2", "j3", "j4" }, got)
    local reqs = server.requests()
    assert.equal(3, #reqs)
    assert.equal("list_jobs", reqs[1].endpoint)
    assert.equal("/v1/jobs", reqs[1].path)
    assert.equal("pageSize=2&status=failure&types=custom,inference", reqs[1].query)
    assert.equal("pageSize=2&paginationToken=t2&status=failure&types=custom,inference", reqs[2].query)
    assert.equal("pageSize=2&paginationToken=t3&status=failure&types=custom,inference", reqs[3].query)
  end)

  it("yields false and the error once on a failure, and stops", function()
    server.enqueue(page({ "j1" }, "t2"), "error_401")
    local got = {}
    for job, err in helper.client():each_job() do got[#got + 1] = job and job.jobId or err.kind end
    assert.same({ "j1", "authentication" }, got)
    assert.equal(2, #server.requests())
  end)

  it("refuses a filter the page does not allow, with nothing sent", function()
    local client = helper.client()
    local got = {}
    for job, err in client:each_job { pageSize = 201 } do got[#got + 1] = { job, err.kind, err.errors[1].path } end
    assert.same({ { false, "validation", "query.pageSize" } }, got)
    local page1, err2 = client:list_jobs { status = "processing" } -- the MCP docs' value, no job status
    assert.is_nil(page1)
    assert.equal("query.status", err2.errors[1].path)
    assert.equal(0, #server.requests())
  end)
end)

describe("the body of generate", function()
  before_each(function() server.reset() end)

  -- A model with no inputs: the body goes unchecked, as the schema leaves it.
  local function sent(body, opts)
    server.enqueue(replay.answer("model_realistic", { endpoint = "get_model" }))
    server.enqueue(replay.fixture("generate").response)
    local doc, meta = helper.client():generate("model_x", body, nil, opts)
    assert.is_table(doc, tostring(meta))
    assert.equal("the model has no inputs to check the body against", meta.inputs_unchecked)
    return requests_of("generate")[1].body
  end

  it("is any object: its members, of any JSON value, in the order of their names", function()
    local body = {}
    local want = {}
    for i = 50, 1, -1 do body[("in%02d"):format(i)] = i end
    for i = 1, 50 do want[i] = ('"in%02d":%d'):format(i, i) end
    assert.equal("{" .. table.concat(want, ",") .. "}", sent(body))
    server.reset()
    assert.equal('{"flag":true,"list":["a",1.5],"nested":{"a":[],"b":1},"none":null,"text":"é"}',
      sent { text = "é", flag = true, list = { "a", 1.5 }, none = scenario.null,
        nested = { b = 1, a = scenario.array() } })
  end)

  it("is {} when nil, and takes extra_body as any body does", function()
    assert.equal("{}", sent(nil))
    server.reset()
    assert.equal('{"prompt":"p","seed":7}', sent({ prompt = "p" }, { extra_body = { seed = 7 } }))
  end)

  it("refuses what is not an object, with nothing sent", function()
    local client = helper.client()
    for _, bad in ipairs {
      { body = "prompt", path = "", message = "the body must be a table, got a string" },
      { body = { "a", "b" }, path = "", message = "unexpected key 1 (keys must be strings)" },
      { body = scenario.array(), path = "", message = "expected an object, got a table marked as an array" },
      { body = { prompt = print }, path = "prompt", message = "a function cannot be sent as JSON" },
    } do
      local doc, err = client:generate("model_x", bad.body)
      assert.is_nil(doc)
      assert.equal("validation", err.kind)
      assert.equal(bad.path, err.errors[1].path)
      assert.equal(bad.message, err.errors[1].message)
    end
    local ok, err = scenario.validate_generate("model_x", { prompt = "p" }, { dryRun = true, nope = 1 })
    assert.is_nil(ok)
    assert.equal("query.nope", err.errors[1].path)
    assert.equal(0, #server.requests())
  end)
end)

describe("cancel_job and upload_asset", function()
  before_each(function() server.reset() end)

  it("cancel_job sends exactly {\"action\":\"cancel\"} and takes no body argument", function()
    server.enqueue(replay.fixture("cancel_job").response)
    local client = helper.client()
    local job = assert(client:cancel_job("job_gen_123", { projectId = "proj_1" }))
    assert.equal("canceled", job.status)
    local req = server.requests()[1]
    assert.equal('{"action":"cancel"}', req.body)
    assert.equal("projectId=proj_1", req.query)
    local none, err = client:cancel_job("job_gen_123", { action = "cancel" }) -- a body where the query goes
    assert.is_nil(none)
    assert.equal("query.action", err.errors[1].path)
    assert.has_error(function() client:cancel_job("job_gen_123", nil, { extra_body = {} }) end,
      "bad argument #3 to 'cancel_job' (unknown option 'extra_body')")
    assert.equal(1, #server.requests())
  end)

  it("upload_asset needs a name, and nothing more", function()
    local ok, err = scenario.validate_upload_asset { image = PNG_BASE64 }
    assert.is_nil(ok)
    assert.equal("name", err.errors[1].path)
    assert.equal("is required", err.errors[1].message)
    assert.is_true(scenario.validate_upload_asset { name = "canvas.json", canvas = "{}" })
  end)
end)
