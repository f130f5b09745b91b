-- Record mode (scenario.recording): a whole model lifecycle recorded
-- against the stand-in, then replayed by the stand-in and by the replay
-- server, giving the same results; and no byte of the recording holds the
-- key, the secret or the Basic token, although the stand-in echoes them.
local helper = require "spec.helper"
local scenario = require "scenario"
local testing = require "scenario.testing"
local recording = require "scenario.recording"
local replay = require "spec.support.replay"
local core = require "scenario.core"

local tmpdir = helper.tmpdir

local read = helper.read

-- Base64, for the token the client sends (Authorization: Basic ...).
local function b64(s)
  local abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((s:gsub(".", function(c)
    local b, r = c:byte(), ""
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return abc:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

-- Every step of a model's life, each result reduced to what a replay must
-- give again: values as they came, errors as their kind and status.
local function lifecycle(client)
  local out = {}
  local function step(name, a, b)
    if a == nil or a == false then
      out[#out + 1] = { step = name, kind = b and b.kind, status = b and b.status }
    else
      out[#out + 1] = { step = name, value = a }
    end
    return a
  end
  -- The secret in a name: the stand-in echoes it in every answer.
  local model, err = client:create_model { name = "lora " .. helper.API_SECRET, type = "flux.1-lora" }
  step("create", assert(model, tostring(err)))
  local id = model.id
  step("image", client:add_training_images(id, { name = "a.png",
    data = assert(scenario.data_url("examples/assets/leaf.png")) }))
  step("update", client:update_model(id, { name = "renamed", shortDescription = helper.API_KEY }))
  step("tags", client:update_model_tags(id, { add = { "pixel", "art" } }))
  step("dry run", client:train_model(id, { parameters = { rank = 8 } }, { dryRun = true }))
  step("train", client:train_model(id, { parameters = { rank = 8 } }))
  local progress = {}
  step("wait", client:wait_for_training(id, { interval = 0.01, timeout = 10, on_progress = function(m)
    progress[#progress + 1] = { m.status, m.trainingProgress and m.trainingProgress.progress }
  end }))
  step("progress", progress)
  local ids = {}
  for m, page_err in client:each_model { pageSize = 1 } do
    assert(m, page_err and tostring(page_err))
    ids[#ids + 1] = m.id
  end
  step("each", ids)
  step("raw", client:request("GET", "/models/" .. id, { headers = { ["X-Echo"] = helper.API_SECRET } }))
  step("delete", client:delete_model(id))
  step("gone", client:get_model(id))
  return out
end

describe("record mode", function()
  local dir, recorded, files

  setup(function()
    dir = tmpdir()
    local s = testing.start { lua = helper.LUA }
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
      record = dir, sleep = core.sleep }
    local ok, err = pcall(function() recorded = lifecycle(c) end)
    c:close()
    s:stop()
    assert(ok, err)
    files = assert(recording.load(dir))
  end)

  teardown(function() helper.sh("rm -rf " .. dir) end)

  it("writes every exchange of the lifecycle, in order, in the replay format", function()
    assert.is_true(#files >= 14, #files .. " exchanges")
    assert.equal("create_model", files[1].endpoint)
    assert.equal("POST", files[1].request.method)
    assert.equal("/v1/models", files[1].request.path)
    assert.equal(200, files[1].response.status)
    assert.equal("delete_model", files[#files - 1].endpoint)
    assert.equal("get_model", files[#files].endpoint)
    assert.equal(404, files[#files].response.status)
    assert.equal("dryRun=true", files[5].request.query)
    assert.equal("[redacted]", files[1].request.headers.Authorization)
    local raw = files[#files - 2]
    assert.equal("request", raw.endpoint)
    assert.equal("[redacted]", raw.request.headers["X-Echo"])
    -- the answers are the bytes the server sent, redacted
    assert.is_truthy(core.parse_json(files[1].response.body).model.name:find("[redacted]", 1, true))
  end)

  it("holds the key, the secret and the Basic token in no byte, though the server echoed them", function()
    local secrets = { helper.API_KEY, helper.API_SECRET, b64(helper.API_KEY .. ":" .. helper.API_SECRET) }
    local bytes, markers = 0, 0
    local names = { "index.txt" }
    for _, x in ipairs(files) do names[#names + 1] = x.file end
    for _, name in ipairs(names) do
      local text = read(dir .. "/" .. name)
      bytes = bytes + #text
      for _, sec in ipairs(secrets) do
        assert.is_nil(text:find(sec, 1, true), ("%s holds a secret"):format(name))
      end
      for _ in text:gmatch("%[redacted%]") do markers = markers + 1 end
    end
    assert.is_true(bytes > 10000, bytes .. " bytes recorded")
    assert.is_true(markers > 20, markers .. " markers")
  end)

  it("replays through the stand-in with the same results", function()
    local s = testing.start { lua = helper.LUA, replay = dir }
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
      sleep = core.sleep }
    local ok, again = pcall(lifecycle, c)
    local unserved = s:requests()
    c:close()
    s:stop()
    assert(ok, again)
    assert.same(recorded, again)
    assert.equal(#files, #unserved) -- one request per recorded exchange, none left over
  end)

  it("answers from the recording, not from a live stand-in: an edited answer comes back edited", function()
    local copy = tmpdir()
    assert(helper.sh(("cp %s/* %s/"):format(dir, copy)))
    local path = copy .. "/" .. files[3].file -- the update's answer
    local text = read(path):gsub('"name":"renamed"', '"name":"edited in the recording"')
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
    local s = testing.start { lua = helper.LUA, replay = copy }
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
      sleep = core.sleep }
    local ok, again = pcall(lifecycle, c)
    local model = c:get_model("model_standin000001") -- not recorded: the replay says so
    local _, err = c:get_model("model_standin000001")
    c:close()
    s:stop()
    helper.sh("rm -rf " .. copy)
    assert(ok, again)
    assert.equal("update", again[3].step)
    assert.equal("edited in the recording", again[3].value.name)
    assert.is_nil(model)
    assert.equal("not_found", err.kind)
    assert.equal("NOT_RECORDED", err.code)
  end)

  it("replays through the replay server with the same results", function()
    local c = helper.client { sleep = core.sleep }
    local server = replay.server()
    server.reset()
    server.enqueue_recording(dir)
    local again = lifecycle(c)
    c:close()
    assert.same(recorded, again)
    local reqs = server.requests()
    assert.equal(#files, #reqs)
    for i, r in ipairs(reqs) do
      assert.equal(files[i].request.method, r.method)
    end
  end)

  it("refuses a directory that holds another recording, and an empty name; false records nothing", function()
    -- in another process: this one is recording there, and may go on
    local out = helper.run_lua(([[
      local ok, msg = pcall(require("scenario").new, { api_key = "k", api_secret = "s", record = %q })
      io.write(tostring(ok), " ", msg)
    ]]):format(dir))
    assert.matches("^false .*already holds a recording %(index.txt%)", out)
    local ok, msg = pcall(scenario.new, { api_key = "k", api_secret = "s", record = "" })
    assert.is_false(ok)
    assert.matches("record must name a directory", msg)
    -- false: not even SCENARIO_RECORD's
    local d = tmpdir()
    local out2, ran = helper.run_lua([[
      local scenario = require "scenario"
      local c = scenario.new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:1/v1",
        record = false, max_retries = 0 }
      assert(c._recorder == false)
      local c2 = scenario.new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:1/v1" }
      assert(c2._recorder, "SCENARIO_RECORD ignored")
      io.write("ok")
    ]], "SCENARIO_RECORD=" .. d)
    helper.sh("rm -rf " .. d)
    assert.is_true(ran, out2)
    assert.equal("ok", out2)
  end)

  it("refuses a directory it cannot write in, at scenario.new", function()
    assert.has_error(function()
      scenario.new { api_key = "k", api_secret = "s", record = "/nonexistent/dir" }
    end)
    local ok, msg = pcall(scenario.new, { api_key = "k", api_secret = "s", record = "/nonexistent/dir" })
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'new' %(record: cannot write in /nonexistent/dir", msg)
  end)
end)

describe("a recording's files", function()
  local client
  setup(function()
    client = scenario.new { api_key = "rec-key-12345678", api_secret = "s3cr/et+v4lue==", base_url =
      "http://127.0.0.1:1/v1" }
  end)
  teardown(function() client:close() end)

  it("give back every byte: NULs in short bodies, ]] and ]=], CR LF, invalid UTF-8", function()
    local d = tmpdir()
    local rec = assert(recording.recorder(d))
    local nasty = { "a\0b", "]]", "x]=]y]==]", "\r\n\r", "\255\254 \0", "", "\n\nlead", "tail]", "tail]=",
      string.rep("z", 200) .. "\0" .. "]]" }
    for i, body in ipairs(nasty) do
      assert(recording.write(rec, client._handle, { endpoint = "get_model", method = "GET",
        url = "http://127.0.0.1:1/v1/models/m" .. i, request_body = body, status = 200,
        headers = { ["x-h"] = body:gsub("%z", "") }, body = body }))
    end
    local list = assert(recording.load(d))
    helper.sh("rm -rf " .. d)
    assert.equal(#nasty, #list)
    for i, body in ipairs(nasty) do
      assert.equal(body, list[i].response.body, "response " .. i)
      assert.equal(body, list[i].request.body, "request " .. i)
      assert.equal("/v1/models/m" .. i, list[i].request.path)
    end
  end)

  it("do not overwrite what another process wrote there meanwhile", function()
    local d = tmpdir()
    local rec = assert(recording.recorder(d))
    local x = { endpoint = "get_model", method = "GET", url = "http://127.0.0.1:1/v1/models/a", status = 200,
      headers = {}, body = "{}" }
    local first = assert(recording.write(rec, client._handle, x))
    local f = assert(io.open(d .. "/0002-get_model.lua", "wb")) -- as if another process had written it
    f:write("return 'theirs'")
    f:close()
    local second = assert(recording.write(rec, client._handle, x))
    assert.equal(d .. "/0001-get_model.lua", first)
    assert.equal(d .. "/0003-get_model.lua", second)
    assert.equal("return 'theirs'", read(d .. "/0002-get_model.lua"))
    helper.sh("rm -rf " .. d)
  end)

  it("hold no spelling of the secret: percent-encoded in a query, nor other credentials' headers", function()
    local d = tmpdir()
    local rec = assert(recording.recorder(d))
    assert(recording.write(rec, client._handle, { endpoint = "request", method = "GET",
      url = "http://127.0.0.1:1/v1/x?q=s3cr%2Fet%2Bv4lue%3D%3D&k=rec-key-12345678", status = 200,
      request_headers = { Cookie = "session=abc", ["Proxy-Authorization"] = "Basic eDp5", ["X-Echo"] =
        "s3cr/et+v4lue==" },
      headers = { ["set-cookie"] = "id=1", ["x-echo"] = "s3cr%2fet%2bv4lue%3d%3d" },
      body = '{"u":"s3cr\\/et+v4lue=="}' }))
    local text = read(d .. "/0001-request.lua")
    helper.sh("rm -rf " .. d)
    for _, bad in ipairs { "s3cr", "et%2B", "12345678", "session=abc", "eDp5", "id=1" } do
      assert.is_nil(text:find(bad, 1, true), bad)
    end
    assert.is_truthy(text:find("q=[redacted]&k=[redacted]", 1, true))
  end)

  it("that cannot be written leave the call's success alone, and say why in record_error", function()
    local d = tmpdir()
    assert(recording.recorder(d)) -- this process records there: a device swapped in later
    assert(helper.sh(("ln -sf /dev/full %s/index.txt"):format(d)))
    local s = testing.start { lua = helper.LUA }
    local logged = {}
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
      record = d .. "/", logger = function(level, line) logged[#logged + 1] = level .. " " .. line end }
    local model, err = c:create_model { name = "kept" }
    c:close()
    s:stop()
    helper.sh("rm -rf " .. d)
    assert.is_table(model, tostring(err))
    assert.matches("index.txt", tostring(c.record_error))
    assert.matches("could not be recorded", table.concat(logged, "\n"))
  end)
end)
