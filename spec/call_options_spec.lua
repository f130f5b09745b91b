-- Per-call options (timeout, max_retries, headers) on every method, and
-- the raw escape hatch client:request, against the replay server and the
-- stand-in: what reaches the wire, and that a reused call keeps nothing.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local scenario = require "scenario"
local testing = require "scenario.testing"
local core = require "scenario.core"

local unpack = table.unpack or unpack -- luacheck: ignore 143

local server
before_each(function()
  server = replay.server()
  server.reset()
end)

local function ok_model(delay) return replay.answer("get_model", { delay = delay }) end

local function ok_json(body, status)
  return { status = status or 200, headers = { ["Content-Type"] = "application/json" }, body = body }
end

local unavailable = { status = 503, headers = { ["Content-Type"] = "application/json" },
  body = '{"status":"error","code":"UNAVAILABLE","message":"later"}' }

-- The header lines of a recorded request named name, in any case.
local function header_lines(req, name)
  local lines = {}
  for line in req.head:gmatch("[^\r\n]+") do
    if line:lower():find("^" .. name:lower():gsub("%p", "%%%0") .. ":") then lines[#lines + 1] = line end
  end
  return lines
end

describe("per-call timeout", function()
  it("ends a call to a server that answers after 1 s as a timeout, with the client's default at 60 s", function()
    local c = helper.client { timeout = 60, max_retries = 0 }
    server.enqueue(ok_model(1))
    local model, err = c:get_model("m1", nil, { timeout = 0.2 })
    assert.is_nil(model)
    assert.equal("timeout", err.kind)
    assert.equal(1, err.attempts)
  end)

  it("is per call: the next call on the same handle has the client's timeout again", function()
    local c = helper.client { timeout = 60, max_retries = 0 }
    server.enqueue(ok_model(1))
    assert.equal("timeout", select(2, c:get_model("m1", nil, { timeout = 0.2 })).kind)
    server.reset()
    server.enqueue(ok_model(0.5))
    local model, meta = c:get_model("m1")
    assert.is_table(model, tostring(meta))
    assert.equal(1, meta.attempts)
  end)

  it("applies to an async call", function()
    local c = helper.client { timeout = 60, max_retries = 0 }
    server.enqueue(ok_model(1))
    local req = assert(c:get_model_async("m1", nil, { timeout = 0.2 }))
    local model, err = req:wait(10)
    assert.is_nil(model)
    assert.equal("timeout", err.kind)
  end)
end)

describe("per-call max_retries", function()
  it("overrides the client's, both ways", function()
    local c = helper.client { max_retries = 2 }
    server.enqueue(unavailable, unavailable, unavailable, unavailable, unavailable)
    local _, err = c:get_model("m1", nil, { max_retries = 0 })
    assert.equal(1, err.attempts)
    assert.equal(1, #server.requests())
    server.reset()
    server.enqueue(unavailable, unavailable, unavailable, unavailable, ok_model())
    local model, meta = c:get_model("m1", nil, { max_retries = 4 })
    assert.is_table(model, tostring(meta))
    assert.equal(5, meta.attempts)
    server.reset()
    server.enqueue(unavailable, unavailable, unavailable, unavailable)
    _, err = c:get_model("m1") -- and back to the client's 2
    assert.equal(3, err.attempts)
  end)

  it("cannot make a create retried: it is still sent at most once", function()
    local c = helper.client {}
    server.enqueue(unavailable, unavailable)
    local _, err = c:create_model({ name = "x" }, nil, { max_retries = 5 })
    assert.equal("server", err.kind)
    assert.equal(1, #server.requests())
  end)
end)

describe("per-call headers", function()
  it("reach the server, on blocking and async calls, and the next call does not send them", function()
    local c = helper.client {}
    server.enqueue(ok_model(), ok_model(), ok_model())
    assert(c:get_model("m1", nil, { headers = { ["X-Trace"] = "1" } }))
    assert(c:get_model_async("m1", nil, { headers = { ["X-Trace"] = "2", ["X-Other"] = "o" } })):wait(10)
    assert(c:get_model("m1")) -- the direct call's reused handle
    local reqs = server.requests()
    assert.equal("1", reqs[1].headers["x-trace"])
    assert.equal("2", reqs[2].headers["x-trace"])
    assert.equal("o", reqs[2].headers["x-other"])
    assert.is_nil(reqs[3].headers["x-trace"])
    assert.is_nil(reqs[3].headers["x-other"])
  end)

  it("replace a header of the client's own (Accept) rather than sending it twice", function()
    local c = helper.client {}
    server.enqueue(ok_model())
    assert(c:get_model("m1", nil, { headers = { accept = "application/json; q=1" } }))
    local lines = header_lines(server.requests()[1], "Accept")
    assert.same({ "accept: application/json; q=1" }, lines)
  end)

  it("send an empty value, or one of white space, as an empty header (libcurl would drop it)", function()
    local c = helper.client {}
    server.enqueue(ok_model())
    assert(c:get_model("m1", nil, { headers = { ["X-Empty"] = "", ["X-Blank"] = " \t ", Accept = " " } }))
    local r = server.requests()[1]
    assert.same({ "X-Empty:" }, header_lines(r, "X-Empty"))
    assert.same({ "X-Blank:" }, header_lines(r, "X-Blank"))
    assert.same({ "Accept:" }, header_lines(r, "Accept"))
  end)

  it("are sent without the white space around their values", function()
    local c = helper.client {}
    server.enqueue(ok_model())
    assert(c:get_model("m1", nil, { headers = { ["X-Pad"] = "  a b \t" } }))
    assert.same({ "X-Pad: a b" }, header_lines(server.requests()[1], "X-Pad"))
  end)

  it("go with the body's Content-Type on a call with a body", function()
    local c = helper.client {}
    server.enqueue("get_model")
    assert(c:update_model("m1", { name = "n" }, nil, { headers = { ["X-Trace"] = "u" } }))
    local r = server.requests()[1]
    assert.equal("u", r.headers["x-trace"])
    assert.equal("application/json", r.headers["content-type"])
    assert.equal('{"name":"n"}', r.body)
  end)

  local refused = {
    { { Authorization = "x" }, "'Authorization' is set by the client and cannot be overridden" },
    { { authorization = "x" }, "'authorization' is set by the client" },
    { { ["Content-Type"] = "text/plain" }, "'Content%-Type' is set by the client" },
    { { ["CONTENT-LENGTH"] = "5" }, "'CONTENT%-LENGTH' is set by the client" },
    { { Host = "evil" }, "'Host' is set by the client" },
    { { ["X-A"] = "1\r\nX-Injected: 2" }, "the value of 'X%-A' holds a control character" },
    { { ["X-A"] = "1\n" }, "the value of 'X%-A' holds a control character" },
    { { ["X A"] = "1" }, "'X A' is not a header name" },
    { { ["X-A:"] = "1" }, "'X%-A:' is not a header name" },
    { { ["X-\195\169"] = "1" }, "'X%-\195\169' is not a header name" },
    { { [""] = "1" }, "'' is not a header name" },
    { { [1] = "1" }, "number is not a header name" },
    { { ["X-A"] = 1 }, "the value of 'X%-A' must be a string, got number" },
  }
  for _, case in ipairs(refused) do
    it("refuse " .. case[2]:gsub("%%", ""), function()
      local c = helper.client {}
      local ok, msg = pcall(function() c:get_model("m1", nil, { headers = case[1] }) end)
      assert.is_false(ok)
      -- The caller's position: 5.1 and LuaJIT keep a frame for the
      -- methods' tail calls, which has none.
      local where = _VERSION == "Lua 5.1" and "" or "^[^\n]*spec/call_options_spec.lua:%d+: "
      assert.matches(where .. "bad argument #3 to 'get_model' %(option 'headers': " .. case[2], msg)
      ok, msg = pcall(c.create_model_async, c, {}, nil, { headers = case[1] })
      assert.is_false(ok)
      assert.matches("bad argument #3 to 'create_model_async'", msg)
      assert.equal(0, #server.requests())
    end)
  end

  it("are refused by the core too, whatever the Lua layer lets through", function()
    local c = helper.client {}
    local call = assert(core.start(c._handle, "get_model", nil, nil, nil, nil, "m1"))
    assert.has_error(function() core.options(call, nil, { Authorization = "x" }) end)
    assert.has_error(function() core.options(call, nil, { ["X-A"] = "a\rb" }) end)
    assert.has_error(function() core.options(call, nil, { ["X:A"] = "a" }) end)
    assert.has_error(function() core.options(call, 0) end)
    core.cancel(call)
  end)
end)

describe("per-call options are checked like new's", function()
  it("an unknown one raises with a suggestion", function()
    local c = helper.client {}
    local ok, msg = pcall(c.get_model, c, "m1", nil, { timout = 1 })
    assert.is_false(ok)
    assert.matches("bad argument #3 to 'get_model' %(unknown option 'timout'; did you mean 'timeout'%?%)", msg)
    ok, msg = pcall(c.list_models, c, nil, { max_retry = 1 })
    assert.is_false(ok)
    assert.matches("did you mean 'max_retries'", msg)
    ok, msg = pcall(c.get_model, c, "m1", nil, { timeout = 0 })
    assert.is_false(ok)
    assert.matches("option 'timeout' must be a number of seconds in %(0, 1e6%]", msg)
    ok, msg = pcall(c.get_model, c, "m1", nil, { timeout = 0 / 0 })
    assert.is_false(ok)
    assert.matches("option 'timeout' must be a number of seconds", msg)
    ok, msg = pcall(c.get_model, c, "m1", nil, { max_retries = 1.5 })
    assert.is_false(ok)
    assert.matches("option 'max_retries' must be an integer of at least 0", msg)
    ok, msg = pcall(c.get_model, c, "m1", nil, { headers = "X-A: 1" })
    assert.is_false(ok)
    assert.matches("option 'headers' must be a table, got string", msg)
    assert.equal(0, #server.requests())
  end)

  it("each_model passes them to every page", function()
    local c = helper.client {}
    server.enqueue(ok_json('{"models":[{"id":"a"}],"nextPaginationToken":"t"}'), ok_json('{"models":[{"id":"b"}]}'))
    local ids = {}
    for m in c:each_model(nil, { headers = { ["X-Page"] = "p" } }) do ids[#ids + 1] = m.id end
    assert.same({ "a", "b" }, ids)
    for _, r in ipairs(server.requests()) do assert.equal("p", r.headers["x-page"]) end
  end)
end)

describe("client:request", function()
  it("GET /collections with a query reaches /v1/collections?pageSize=5 and returns the decoded JSON", function()
    local c = helper.client {}
    server.enqueue(ok_json('{"collections":[{"id":"c1","name":"n"}],"nextPaginationToken":null}'))
    local doc, meta = c:request("GET", "/collections", { query = { pageSize = 5 } })
    assert.same({ collections = { { id = "c1", name = "n" } } }, doc)
    assert.equal(200, meta.status)
    local r = server.requests()[1]
    assert.equal("GET", r.method)
    assert.equal("/v1/collections?pageSize=5", r.target)
    assert.equal("", r.body)
    assert.is_nil(r.headers["content-type"])
  end)

  it("writes the body without a schema: null, {} and scenario.array() as [], and sets Content-Type", function()
    local c = helper.client {}
    server.enqueue(ok_json('{"ok":true}'))
    assert(c:request("POST", "/assets", { body = { a = scenario.null, b = {}, c = scenario.array(), d = { 1, 2 } } }))
    local r = server.requests()[1]
    assert.same({ a = "null", b = "{}", c = "[]", d = "[1,2]" }, {
      a = r.body:match('"a":([^,}]*)'), b = r.body:match('"b":(%b{})'), c = r.body:match('"c":(%b[])'),
      d = r.body:match('"d":(%b[])') })
    assert.equal("application/json", r.headers["content-type"])
  end)

  it("percent-encodes the query (keys in order) and the path", function()
    local c = helper.client { project_id = "proj 1" }
    server.enqueue(ok_json("{}"))
    assert(c:request("GET", "/assets/a b/é", { query = { q = "a b&c=d", list = { "x", "y" }, n = 2 ^ 53, on = true,
      empty = {} } }))
    assert.equal("/v1/assets/a%20b/%C3%A9?list=x,y&n=9007199254740992&on=true&projectId=proj%201&q=a%20b%26c%3Dd",
      server.requests()[1].target)
  end)

  it("retries GET, PUT and DELETE as idempotent, and sends POST and PATCH at most once", function()
    local c = helper.client { max_retries = 2 }
    for _, m in ipairs { "GET", "PUT", "DELETE" } do
      server.reset()
      server.enqueue(unavailable, unavailable, ok_json("{}"))
      local doc, meta = c:request(m, "/x")
      assert.same({}, doc, tostring(meta))
      assert.equal(3, meta.attempts)
    end
    for _, m in ipairs { "POST", "PATCH" } do
      server.reset()
      server.enqueue(unavailable, ok_json("{}"))
      local doc, err = c:request(m, "/x", { body = {} })
      assert.is_nil(doc)
      assert.equal("server", err.kind)
      assert.equal(1, #server.requests())
    end
  end)

  it("returns true for a 2xx without a document, any JSON value otherwise, and errors as values", function()
    local c = helper.client { max_retries = 0 }
    server.enqueue({ status = 204, headers = {}, body = "" }, ok_json("[1,2]"), ok_json('"s"'),
      ok_json('{"status":"error","code":"NOT_FOUND","message":"gone"}', 404), ok_json("{broken"))
    assert.is_true((c:request("DELETE", "/x")))
    assert.same({ 1, 2 }, (c:request("GET", "/x")))
    assert.equal("s", (c:request("GET", "/x")))
    local _, err = c:request("GET", "/x")
    assert.equal("not_found", err.kind)
    assert.equal("GET", err.method)
    assert.matches("/v1/x$", err.url)
    _, err = c:request("GET", "/x")
    assert.equal("invalid_response", err.kind)
  end)

  it("has an async form, driven by poll, with on_done", function()
    local c = helper.client {}
    server.enqueue(ok_json('{"n":1}'))
    local got
    local req = assert(c:request_async("GET", "/x", { on_done = function(doc) got = doc end }))
    local deadline = core.now() + 10
    while not req:poll() do
      assert(core.now() < deadline, "gave up waiting")
      core.sleep(0.001)
    end
    assert.same({ n = 1 }, got)
  end)

  it("returns a validation error for a body JSON cannot hold, sending nothing", function()
    local c = helper.client {}
    local doc, err = c:request("POST", "/x", { body = { n = 0 / 0 } })
    assert.is_nil(doc)
    assert.equal("validation", err.kind)
    assert.equal(0, err.attempts)
    doc, err = c:request("GET", "/x", { query = { bad = { k = 1 } } })
    assert.is_nil(doc)
    assert.equal("validation", err.kind)
    assert.matches("query.bad", tostring(err))
    assert.equal(0, #server.requests())
  end)

  it("sends POST, PUT and PATCH without a body as an empty one: Content-Length 0, no Content-Type", function()
    local c = helper.client {}
    for _, m in ipairs { "POST", "PUT", "PATCH" } do
      server.reset()
      server.enqueue(ok_json("{}"))
      assert(c:request(m, "/collections/c1/archive"))
      local r = server.requests()[1]
      assert.equal(m, r.method)
      assert.equal("0", r.headers["content-length"])
      assert.is_nil(r.headers["content-type"])
    end
    server.reset()
    server.enqueue(ok_json("{}"), ok_json("{}"))
    assert(c:request("GET", "/x"))
    assert(c:request("DELETE", "/x"))
    for _, r in ipairs(server.requests()) do
      assert.is_nil(r.headers["content-length"])
      assert.is_nil(r.headers["content-type"])
    end
  end)

  it("takes a 2xx body of white space and a NUL for broken JSON, not for an empty answer", function()
    local c = helper.client { max_retries = 0 }
    server.enqueue(ok_json(" \0 garbage"))
    local doc, err = c:request("GET", "/x")
    assert.is_nil(doc)
    assert.equal("invalid_response", err.kind)
  end)

  it("refuses dot segments however their dots are escaped, in the Lua layer and in the core", function()
    local c = helper.client {}
    for _, p in ipairs { "/a/%2E./b", "/a/.%2e/b", "/%2E./admin", "/a/%2e", "/a/%2E%2e/", "/./x" } do
      local ok, msg = pcall(function() c:request("GET", p) end)
      assert.is_false(ok, p)
      assert.matches("path must not hold '.' or '..' segments", msg)
      assert.has_error(function() core.start_raw(c._handle, "GET", p) end, nil, p)
    end
    server.enqueue(ok_json("{}"), ok_json("{}"))
    assert(c:request("GET", "/a/.../b%2E")) -- three dots, and a dot in a longer segment, are names
    assert(c:request("GET", "/a/.b"))
    assert.equal(0, #server.requests() - 2)
  end)

  -- What a server may read as a dot segment once it has decoded the path
  -- (%2F included, as some do before removing dot segments), decoded it
  -- again (%252e), split it at a backslash, or dropped a ';' parameter
  -- (Tomcat, Spring): each reaches another endpoint.
  it("refuses segments that are dots once decoded, split at a backslash, or cut at a ';'", function()
    local c = helper.client {}
    for _, p in ipairs { "/x/..%2fy", "/x/..%2Fy", "/x/%2e%2e%2Fy", "/x/..;/y", "/x/..;jsessionid=1/y", "/x/.;/y",
                         "/x/%252e%252e/y", "/x/%25252e%25252e/y", "/x/..%5cy", "/x/..\\y", "/x%2f..%2fy", "/..;" } do
      local ok, msg = pcall(function() c:request("GET", p) end)
      assert.is_false(ok, p)
      assert.matches("bad argument #2 to 'request' %(path must not hold '.' or '..' segments", msg)
      assert.has_error(function() core.start_raw(c._handle, "GET", p) end, nil, p)
      assert.truthy(core.path_problem(p), p)
    end
    server.enqueue(ok_json("{}"), ok_json("{}"), ok_json("{}"))
    assert(c:request("GET", "/x/a;v=1/y")) -- a parameter on a name is a name
    assert(c:request("GET", "/x/..a%2fb")) -- decodes to "..a/b": no dot segment
    assert(c:request("GET", "/x/%2e%2e%2e")) -- "...": a name
    assert.equal(3, #server.requests())
    assert.equal("/v1/x/a;v=1/y", server.requests()[1].path)
  end)

  local bad = {
    { { "get", "/x" },
      "#1 to 'request' %(method must be GET, POST, PUT, PATCH or DELETE, got 'get'; did you mean 'GET'%?" },
    { { "TRACE", "/x" }, "#1 to 'request' %(method must be" },
    { { "GET", "x" }, "#2 to 'request' %(path must be a string starting with '/'" },
    { { "GET", "/a/../b" }, "#2 to 'request' %(path must not hold '.' or '..' segments" },
    { { "GET", "/a/%2e%2e/b" }, "#2 to 'request' %(path must not hold '.' or '..' segments" },
    { { "GET", "/a/." }, "#2 to 'request' %(path must not hold '.' or '..' segments" },
    { { "GET", "/a?b=1" }, "#2 to 'request' %(path must not hold a query or a fragment" },
    { { "GET", "/a\r\nX: y" }, "#2 to 'request' %(path contains a control character" },
    { { "GET", "/a", { bdy = {} } }, "#3 to 'request' %(unknown option 'bdy'; did you mean 'body'%?" },
    { { "GET", "/a", { on_done = print } }, "#3 to 'request' %(unknown option 'on_done'" },
    { { "GET", "/a", { query = "pageSize=5" } }, "#3 to 'request' %(option 'query' must be a table" },
    { { "GET", "/a", { headers = { Authorization = "x" } } }, "#3 to 'request' %(option 'headers': 'Authorization'" },
  }
  for _, case in ipairs(bad) do
    it("raises on " .. case[2]:gsub("%%", ""):sub(1, 60), function()
      local c = helper.client {}
      local ok, msg = pcall(function() c:request(unpack(case[1])) end)
      assert.is_false(ok)
      assert.matches("^[^\n]*spec/call_options_spec.lua:%d+: bad argument " .. case[2], msg)
    end)
  end
end)

describe("scenario.array", function()
  it("writes [] for an empty table in extra_body, and refuses string keys", function()
    local c = helper.client {}
    server.enqueue("get_model")
    assert(c:update_model("m1", { name = "n" }, nil, { extra_body = { labels = scenario.array() } }))
    assert.equal('{"name":"n","labels":[]}', server.requests()[1].body)
    local t = scenario.array { 1, 2 }
    assert.equal(t, scenario.array(t)) -- marking twice is harmless
    assert.equal("[1,2]", core.to_json(t))
    assert.equal("[]", core.to_json(scenario.array()))
    local _, err = core.to_json(scenario.array { a = 1 })
    assert.matches("is marked as an array, but has string keys", err.errors[1].message)
    assert.has_error(function() scenario.array(setmetatable({}, {})) end)
    assert.equal("scenario.array", getmetatable(t)) -- the shared metatable cannot be reached or changed
    assert.has_error(function() setmetatable(t, nil) end)
    -- a typed object field wants an object
    local ok, verr = scenario.validate_update_model("m1", { parameters = scenario.array() })
    assert.is_nil(ok)
    assert.matches("parameters: expected an object, got a table marked as an array", tostring(verr))
  end)
end)

describe("client:request against the stand-in", function()
  it("reaches the same models as the table's methods", function()
    local s = testing.start { lua = helper.LUA }
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET }
    local model = assert(c:create_model { name = "raw", type = "flux.1-lora" })
    local doc = assert(c:request("GET", "/models/" .. model.id))
    assert.equal("raw", doc.model.name)
    assert.same({}, (c:request("DELETE", "/models/" .. model.id))) -- the stand-in answers {}
    local _, err = c:get_model(model.id)
    assert.equal("not_found", err.kind)
    c:close()
    s:stop()
  end)
end)

describe("scenario.testing.start", function()
  it("does not hang its process at exit when the test fails before stop()", function()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write("local s = require('scenario.testing').start(); assert(s.base_url); error('failed before stop')")
    f:close()
    -- 124: timeout killed it, hung at exit
    local _, out = helper.sh(("timeout 30 env LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='%s;;' %s %s; "
      .. "echo \"rc=$?\""):format(helper.CPATH, helper.LUA, script))
    os.remove(script)
    assert.matches("failed before stop", out)
    assert.matches("rc=1\n", out)
  end)
end)
