-- Nothing a server sends keeps a call from returning, and nothing at
-- run time raises: each_model against a server that answers every page
-- with no items and a fresh token, or with a token of megabytes, and the
-- calls given arguments too long for a URL (csrc/url.c's caps, read by
-- Lua from core.limits). The servers are spec/support/hostile_server.lua.
local helper = require "spec.helper"
local hostile = require "spec.support.hostile_server"
local scenario = require "scenario"
local core = require "scenario.core"

local function json_reply(body)
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {{LENGTH}}\r\n\r\n" .. body
end

-- A hostile server for this test, stopped however the test ends.
local function serve(plan)
  local srv = hostile.start(plan)
  finally(function() srv:stop() end)
  return srv
end

local function client(url)
  return scenario.new { base_url = url, api_key = helper.API_KEY, api_secret = helper.API_SECRET, timeout = 10 }
end

-- Runs the iterator at most `limit` steps: what each step gave.
local function take(iter, limit)
  local steps = {}
  for model, err in iter do
    steps[#steps + 1] = { model = model, err = err }
    if #steps >= limit then break end
  end
  return steps
end

describe("each_model against a server that never ends its list", function()
  it("returns false, err after a run of empty pages with fresh tokens, then the loop ends", function()
    local srv = serve { default = { template = true,
      reply = json_reply('{"models":[],"nextPaginationToken":"t{{N}}"}') } }
    local c = client(srv.url)
    local t0 = core.now()
    local steps = take(c:each_model(), 10)
    local asked = #srv:stats().requests
    assert.equal(1, #steps) -- false, err once; the next step ends the loop
    assert.is_false(steps[1].model)
    assert.equal("invalid_response", steps[1].err.kind)
    assert.matches("pages in a row without an item", steps[1].err.message)
    assert.equal(require("scenario.client").MAX_EMPTY_PAGES, asked)
    assert.is_true(core.now() - t0 < 30)
  end)

  it("stops after as many empty pages as Client.MAX_EMPTY_PAGES says, read as they come", function()
    local Client = require "scenario.client"
    local srv = serve { default = { template = true,
      reply = json_reply('{"models":[],"nextPaginationToken":"t{{N}}"}') } }
    local was = Client.MAX_EMPTY_PAGES
    Client.MAX_EMPTY_PAGES = 7 -- set back below, whatever happens: serve holds this test's finally
    local ok, steps = pcall(take, client(srv.url):each_model(), 3)
    Client.MAX_EMPTY_PAGES = was
    assert(ok, steps)
    assert.equal(1, #steps)
    assert.matches("7 pages in a row without an item", steps[1].err.message)
    assert.equal(7, #srv:stats().requests)
  end)

  it("counts a page of nulls as empty, and a page with one item resets the run", function()
    local srv = serve { default = { template = true,
      reply = json_reply('{"models":[null,false],"nextPaginationToken":"t{{N}}"}') } }
    local c = client(srv.url)
    local steps = take(c:each_model(), 3)
    assert.equal(1, #steps)
    assert.equal("invalid_response", steps[1].err.kind)
    assert.matches("pages in a row without an item", steps[1].err.message)
    assert.equal(require("scenario.client").MAX_EMPTY_PAGES, #srv:stats().requests)
  end)

  it("reads on while pages bring items, however many", function()
    local actions = {}
    for i = 1, 250 do
      local models = i % 60 == 0 and '[{"id":"m' .. i .. '"}]' or "[]"
      actions[i] = { reply = json_reply(('{"models":%s,"nextPaginationToken":"t%d"}'):format(models, i)),
                     template = true }
    end
    actions[251] = { reply = json_reply('{"models":[{"id":"last"}]}'), template = true }
    local srv = serve { actions = actions }
    local got = {}
    for model, err in client(srv.url):each_model() do
      assert.is_nil(err)
      got[#got + 1] = model.id
    end
    assert.same({ "m60", "m120", "m180", "m240", "last" }, got)
  end)

  it("returns false, err on a 9 MB token, without sending it, then the loop ends", function()
    local token = ("t"):rep(9 * 1024 * 1024)
    local srv = serve { default = { template = true,
      reply = json_reply('{"models":[{"id":"m1"}],"nextPaginationToken":"' .. token .. '"}') } }
    local steps = take(client(srv.url):each_model(), 10)
    local asked = #srv:stats().requests
    assert.equal(2, #steps)
    assert.equal("m1", steps[1].model.id)
    assert.is_false(steps[2].model)
    assert.equal("invalid_response", steps[2].err.kind)
    assert.equal(("the server gave a pagination token of %d bytes; a query value may have at most %d")
      :format(#token, core.limits.max_param_bytes), steps[2].err.message)
    assert.equal(1, asked)
  end)

  it("takes a token right at the cap", function()
    local token = ("t"):rep(core.limits.max_param_bytes)
    local srv = serve { actions = {
      { reply = json_reply('{"models":[{"id":"m1"}],"nextPaginationToken":"' .. token .. '"}'), template = true },
      { reply = json_reply('{"models":[{"id":"m2"}]}'), template = true },
    } }
    local got = {}
    for model, err in client(srv.url):each_model() do
      assert.is_nil(err)
      got[#got + 1] = model.id
    end
    local reqs = srv:stats().requests
    assert.same({ "m1", "m2" }, got)
    assert.truthy(reqs[2].target:find("paginationToken=" .. token, 1, true))
  end)
end)

describe("an argument too long for a URL", function()
  -- A port where nothing listens: nothing may be sent, and nothing is.
  local c = scenario.new { base_url = "http://127.0.0.1:1/v1", api_key = helper.API_KEY,
                           api_secret = helper.API_SECRET, max_retries = 0 }
  local cap = core.limits.max_param_bytes

  it("is a validation error, blocking and async, not a raise", function()
    local id = ("x"):rep(9 * 1024 * 1024)
    local model, err = c:get_model(id)
    assert.is_nil(model)
    assert.equal("validation", err.kind)
    assert.equal("modelId", err.errors[1].path)
    assert.equal(("is %d bytes long; a path parameter may have at most %d"):format(#id, cap), err.errors[1].message)
    local req, aerr = c:get_model_async(id)
    assert.is_nil(req)
    assert.equal("validation", aerr.kind)
    local ok, verr = scenario.validate_get_model(id)
    assert.is_nil(ok)
    assert.equal("validation", verr.kind)
  end)

  it("takes a path parameter at the cap and refuses one byte more", function()
    local at = ("x"):rep(cap)
    assert.is_true(scenario.validate_get_model(at))
    local ok, err = scenario.validate_get_model(at .. "x")
    assert.is_nil(ok)
    assert.equal("modelId", err.errors[1].path)
  end)

  it("refuses a query value over the cap, typed or raw", function()
    local long = ("p"):rep(cap + 1)
    local page, err = c:list_models { paginationToken = long }
    assert.is_nil(page)
    assert.equal("validation", err.kind)
    assert.equal("query.paginationToken", err.errors[1].path)
    local doc, rerr = c:request("GET", "/collections", { query = { q = { "a", long } } })
    assert.is_nil(doc)
    assert.equal("validation", rerr.kind)
    assert.equal("query.q", rerr.errors[1].path)
  end)

  it("refuses a URL over its cap when every value is within its own", function()
    local q = {}
    for i = 1, 8 do q["k" .. i] = ("v"):rep(cap) end
    local doc, err = c:request("GET", "/collections", { query = q })
    assert.is_nil(doc)
    assert.equal("validation", err.kind)
    assert.matches("the URL would be %d+ bytes long; a call may send at most " .. core.limits.max_url_bytes,
      err.errors[1].message)
    local path = "/" .. ("p"):rep(core.limits.max_url_bytes)
    doc, err = c:request("GET", path)
    assert.is_nil(doc)
    assert.equal("validation", err.kind)
  end)
end)
