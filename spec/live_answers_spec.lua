-- Answers the live API gave (../shared/api/live/, recorded by Scenario's
-- own Blender plugin in 2026), replayed byte for byte from
-- spec/fixtures/live_*.lua: they read cleanly, as the documented shapes
-- do. Where they differ from the reference pages, the difference is what
-- the API sends: an optional object sent as {} ("trainingProgress": {}
-- on every model not training), and refusals whose body is {"reason"}.
local helper = require "spec.helper"
local replay = require "spec.support.replay"

local server = replay.server()

describe("a live list page of public models", function()
  before_each(function() server.reset() end)

  it("reads with no shape problem and no warning, though trainingProgress comes as {}", function()
    server.enqueue("live_list_public")
    local lines = {}
    local c = helper.client { logger = function(level, line) lines[#lines + 1] = level .. " " .. line end }
    local page, meta = c:list_models { privacy = "public", pageSize = 5 }
    assert.is_table(page, tostring(meta))
    assert.is_nil(meta.problems)
    assert.equal(5, #page.models)
    for _, m in ipairs(page.models) do
      assert.same({}, m.trainingProgress)
      assert.is_table(m.complianceMetadata) -- not on the pages, and kept
    end
    assert.equal("pageSize=5&privacy=public", server.requests()[1].query)
    for _, line in ipairs(lines) do assert.falsy(line:find("^warn"), line) end
  end)

  it("reads under strict_responses, and each_model walks it", function()
    server.enqueue("live_list_public")
    local c = helper.client { strict_responses = true }
    local page, err = c:list_models { privacy = "public", pageSize = 5 }
    assert.is_table(page, tostring(err))
    assert.equal("model_openai-gpt-image-2", page.models[1].id)
  end)

  it("still reports a trainingProgress that says something without its stage", function()
    local body = replay.fixture("live_list_public").response.body
    body = body:gsub('"trainingProgress": {}', '"trainingProgress": {"progress": 0.5}', 1)
    server.enqueue { status = 200, headers = { ["Content-Type"] = "application/json" }, body = body }
    local page, meta = helper.client():list_models { privacy = "public", pageSize = 5 }
    assert.is_table(page)
    local paths = {}
    for _, p in ipairs(meta.problems or {}) do paths[#paths + 1] = p.path end
    table.sort(paths)
    assert.same({ "models[1].trainingProgress.stage", "models[1].trainingProgress.updatedAt" }, paths)
  end)

  it("still reports a required object sent as {}", function()
    server.enqueue { status = 200, headers = { ["Content-Type"] = "application/json" }, body = '{"model":{}}' }
    local model, meta = helper.client():get_model("model_x")
    assert.is_table(model)
    assert.truthy(#meta.problems >= 1)
    server.enqueue { status = 200, headers = { ["Content-Type"] = "application/json" }, body = '{}' }
    local _, err = helper.client { strict_responses = true }:get_model("model_x")
    assert.equal("invalid_response", err.kind)
  end)
end)

describe("a live base model", function()
  before_each(function() server.reset() end)

  it("reads under strict_responses, its inputs and all", function()
    server.enqueue("live_get_flux1_base")
    local model, err = helper.client { strict_responses = true }:get_model("model_bfl-flux-1-dev")
    assert.is_table(model, tostring(err))
    assert.equal("model_bfl-flux-1-dev", model.id)
    assert.is_table(model.inputs)
  end)
end)

describe("a live refusal with a reason", function()
  before_each(function() server.reset() end)

  it("gives the reason as the error's message (400)", function()
    server.enqueue("live_error_400_reason")
    local c = helper.client { max_retries = 0 }
    local doc, err = c:request("POST", "/generate/custom/model_bfl-flux-1-dev",
      { query = { dryRun = true }, body = { prompt = "a cabin", lorasScale = { 3.0 } } })
    assert.is_nil(doc)
    assert.equal("bad_request", err.kind)
    assert.equal(400, err.status)
    assert.equal("Input lorasScale must be at most 2", err.message)
    assert.equal("scenario: bad_request (HTTP 400) on POST /v1/generate/custom/model_bfl-flux-1-dev: "
      .. "Input lorasScale must be at most 2", tostring(err))
  end)

  it("gives the reason as the error's message (404)", function()
    server.enqueue("live_error_404_reason")
    local _, err = helper.client { max_retries = 0 }:request("POST", "/generate/custom/model_bfl-flux-1-dev",
      { body = {} })
    assert.equal("not_found", err.kind)
    assert.equal("Model model_FIXTUREMISSING0000000000 not found", err.message)
  end)

  it("prefers a documented message to a reason beside it", function()
    server.enqueue { status = 400, headers = { ["Content-Type"] = "application/json" },
      body = '{"message":"the documented one","reason":"the other"}' }
    local _, err = helper.client { max_retries = 0 }:request("POST", "/x", { body = {} })
    assert.equal("the documented one", err.message)
  end)
end)
