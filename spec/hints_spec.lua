-- Arguments in the wrong place get a hint that says where they go, word
-- for word: an option that is a query field of the method, a body field
-- that belongs one level down, and an object read from the API sent back
-- whole to an update. Nothing is sent for any of them.
local helper = require "spec.helper"
local scenario = require "scenario"
local testing = require "scenario.testing"

-- What f(...) raised, as its message without the position prefix.
local function raised(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "did not raise")
  return (tostring(err):gsub("^[^:]*:%d+: ", ""))
end

describe("an option that is a query field", function()
  local c
  setup(function() c = helper.client() end)
  teardown(function() c:close() end)

  it("says where it goes, with the call that passes it there", function()
    assert.equal("bad argument #2 to 'list_models' (unknown option 'pageSize': pageSize is a query field: pass it "
      .. "as the first argument, client:list_models({ pageSize = 5 }))",
      raised(c.list_models, c, nil, { pageSize = 5 }))
    assert.equal("bad argument #3 to 'get_model' (unknown option 'originalAssets': originalAssets is a query field: "
      .. "pass it as the second argument, client:get_model(modelId, { originalAssets = true }))",
      raised(c.get_model, c, "model_x", nil, { originalAssets = true }))
    assert.equal("bad argument #2 to 'list_models_async' (unknown option 'sortBy': sortBy is a query field: pass "
      .. 'it as the first argument, client:list_models_async({ sortBy = "name" }))',
      raised(c.list_models_async, c, nil, { sortBy = "name" }))
    assert.equal("bad argument #2 to 'validate_list_models' (unknown option 'pageSize': pageSize is a query field: "
      .. "pass it as the first argument, scenario.validate_list_models({ pageSize = ... }))",
      raised(scenario.validate_list_models, nil, { pageSize = {} }))
    assert.equal("bad argument #2 to 'list_models' (unknown option 'pageSize': pageSize is a query field: pass it "
      .. "as the first argument, client:list_models({ pageSize = ... }))",
      raised(c.list_models, c, nil, { pageSize = 0 / 0 }))
    assert.equal("bad argument #2 to 'each_model' (unknown option 'pageSize': pageSize is a query field: pass it "
      .. "as the first argument, client:each_model({ pageSize = 5 }))", raised(c.each_model, c, nil, { pageSize = 5 }))
  end)

  it("is only for the method's own query fields: others stay unknown options", function()
    -- update_model takes no pageSize; list_models takes no pagesize.
    assert.equal("bad argument #4 to 'update_model' (unknown option 'pageSize')",
      raised(c.update_model, c, "model_x", {}, nil, { pageSize = 5 }))
    assert.equal("bad argument #2 to 'list_models' (unknown option 'pagesize')",
      raised(c.list_models, c, nil, { pagesize = 5 }))
    assert.equal("bad argument #2 to 'list_models' (unknown option 'timout'; did you mean 'timeout'?)",
      raised(c.list_models, c, nil, { timout = 5 }))
  end)
end)

describe("a body field one level down", function()
  it("is named with its parent, before the closest name at its own level", function()
    local _, err = scenario.validate_train_model("model_x", { rank = 16 })
    assert.equal('1 problem in the request: rank: unknown field (did you mean "parameters.rank"?)', err.message)
    _, err = scenario.validate_train_model("model_x", { learningRate = 1e-4, parameters = { rank = 16 } })
    assert.equal('1 problem in the request: learningRate: unknown field (did you mean "parameters.learningRate"?)',
      err.message)
    -- A typo at its own level keeps its hint.
    _, err = scenario.validate_train_model("model_x", { parameter = { rank = 16 } })
    assert.equal('1 problem in the request: parameter: unknown field (did you mean "parameters"?)', err.message)
  end)
end)

describe("an object read from the API given to an update", function()
  local s, c
  setup(function()
    s = testing.start()
    c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
                       timeout = 10 }
  end)
  teardown(function()
    c:close()
    s:stop()
  end)

  it("is one problem naming what the update takes, not one per field, and nothing is sent", function()
    local model = assert(c:create_model { name = "read back", type = "flux.1-lora" })
    local got = assert(c:get_model(model.id))
    local before = #s:requests()
    local none, err = c:update_model(model.id, got)
    assert.is_nil(none)
    assert.equal("validation", err.kind)
    assert.equal(1, err.error_count)
    assert.equal("1 problem in the request: the body is a model as the API answers it: 13 of its fields cannot be "
      .. "sent to update_model (capabilities, collectionIds, createdAt, custom, exampleAssetIds, id and 7 more); "
      .. "update_model takes only classSlug, concepts, epoch, name, negativePromptEmbedding, parameters, "
      .. "promptEmbedding, shortDescription, thumbnail and type", err.message)
    assert.equal(before, #s:requests())
  end)

  it("is known by its identity: fields of a model written by hand, without an id, are named one by one", function()
    local _, err = scenario.validate_create_model { name = "n", privacy = "public", tags = { "a" },
                                                     capabilities = { "txt2img" } }
    assert.equal("3 problems in the request: capabilities: unknown field; privacy: unknown field; tags: unknown "
      .. "field", err.message)
    _, err = scenario.validate_upload_asset { name = "n", image = "x", id = "a", kind = "image",
                                               mimeType = "image/png", ownerId = "o" }
    assert.equal("1 problem in the request: the body is an asset as the API answers it: 4 of its fields cannot be "
      .. "sent to upload_asset (id, kind, mimeType, ownerId); upload_asset takes only name, canvas, collectionIds, "
      .. "hide, image, parentId and thumbnail", err.message)
  end)

  it("leaves a few stray fields to their own problems, and others beside it", function()
    local _, err = scenario.validate_update_model("model_x", { name = "n", id = "x", status = "trained" })
    assert.equal("2 problems in the request: id: unknown field; status: unknown field", err.message)
    -- Fields of no model at all are still named one by one.
    _, err = scenario.validate_update_model("model_x",
      { id = "x", status = "trained", createdAt = "t", nonsense = 1 })
    assert.equal("2 problems in the request: the body is a model as the API answers it: 3 of its fields cannot be "
      .. "sent to update_model (createdAt, id, status); update_model takes only classSlug, concepts, epoch, name, "
      .. "negativePromptEmbedding, parameters, promptEmbedding, shortDescription, thumbnail and type; nonsense: "
      .. "unknown field", err.message)
  end)
end)
