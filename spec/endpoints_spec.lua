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
}

-- The client's _async methods, waited on, under the blocking names.
local function waited(client)
  return setmetatable({}, { __index = function(_, k)
    return function(_, ...) return assert(client[k .. "_async"](client, ...)):wait(5) end
  end })
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
      server.enqueue(response)
      local client = helper.client()
      local result, meta = case.call(client)
      assert.truthy(result, tostring(meta))
      case.check(result)
      assert.equal(200, meta.status)
      assert.equal(1, meta.attempts)
      assert.is_nil(meta.problems, name .. ": the page's example is not the documented shape")
      local req = server.requests()[1]
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
      server.enqueue(fx.response, fx.response)
      local client = helper.client()
      local r1, m1 = case.call(client)
      local r2, m2 = case.call(waited(client))
      assert.same(r1, r2)
      assert.same(m1.status, m2.status)
      local reqs = server.requests()
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
      server.enqueue(busy, fx)
      local client = helper.client()
      local result, meta = case.call(client)
      if ep.idempotent then
        assert.truthy(result, tostring(meta))
        assert.equal(2, meta.attempts)
        assert.equal(1, #client.slept) -- the backoff, through the sleep option
        assert.truthy(client.slept[1] >= 0.25 and client.slept[1] <= 0.5, tostring(client.slept[1]))
        assert.equal(2, #server.requests())
      else
        assert.is_nil(result)
        assert.equal("server", meta.kind)
        assert.equal(1, meta.attempts)
        assert.same({}, client.slept)
        assert.equal(1, #server.requests())
      end
    end)
  end

  it("is what each endpoint's record says", function()
    local idempotent = {}
    for _, ep in ipairs(core.endpoints) do idempotent[ep.name] = ep.idempotent end
    assert.same({ create_model = false, train_model = false, add_training_images = false,
      get_model = true, list_models = true, update_model = true, delete_model = true,
      cancel_training = true, update_model_tags = true }, idempotent)
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
