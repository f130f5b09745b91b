-- Record mode from the misbehaving side: other processes recording into
-- the same directory at the same moment, symlinks and FIFOs planted where
-- the recorder writes, names taken to keep it looping, and a disk that
-- fills up in the middle of a fixture or of index.txt.
local helper = require "spec.helper"
local scenario = require "scenario"
local testing = require "scenario.testing"
local recording = require "scenario.recording"
local core = require "scenario.core"

local PROCESSES, EACH = 3, 300

-- Whether anything (a file, or a symlink even dangling) is at path.
local function present(path)
  return (helper.sh(("test -e '%s' || test -L '%s'"):format(path, path)))
end

local function is_symlink(path)
  return (helper.sh(("test -L '%s'"):format(path)))
end

-- The names in dir, sorted.
local function names_in(dir)
  local ok, out = helper.sh(("ls -A '%s'"):format(dir))
  assert(ok, out)
  local list = {}
  for name in out:gmatch("[^\n]+") do list[#list + 1] = name end
  table.sort(list)
  return list
end

-- Waits until every path exists, for at most seconds; raises on a miss.
local function await(paths, seconds)
  local deadline = core.now() + seconds
  for _, path in ipairs(paths) do
    while not present(path) do
      assert(core.now() < deadline, "gave up waiting for " .. path)
      core.sleep(0.01)
    end
  end
end

-- What one process runs: it says it is up, waits for the parent's go,
-- makes its client (so that the three recorders start together), waits
-- for the other two, then records EACH exchanges tagged with its number.
-- Every wait ends by a deadline.
local child = [[
local k, dir, sync, base_url, processes, each, key, secret = ...
local core = require "scenario.core"
local scenario = require "scenario"
local deadline = core.now() + 60
local function touch(path) assert(io.open(path, "wb")):close() end
local function await(path)
  while true do
    local f = io.open(path, "rb")
    if f then f:close() return end
    assert(core.now() < deadline, "gave up waiting for " .. path)
    core.sleep(0.002)
  end
end
touch(sync .. "/here-" .. k)
await(sync .. "/go")
local c = scenario.new { base_url = base_url, api_key = key, api_secret = secret, record = dir,
  timeout = 5, max_retries = 0 }
touch(sync .. "/ready-" .. k)
for j = 1, processes do await(sync .. "/ready-" .. j) end
for i = 1, each do
  assert(core.now() < deadline, "past the deadline at exchange " .. i)
  local _, err = c:get_model(("p%d-%04d"):format(k, i))
  assert(err and err.status == 404, tostring(err))
  assert(not c.record_error, tostring(c.record_error))
end
c:close()
io.write("recorded ", each)
]]

describe("three processes recording into one directory at once", function()
  local dir, sync, server, list, outs

  setup(function()
    dir, sync = helper.tmpdir(), helper.tmpdir()
    server = testing.start { lua = helper.LUA }
    local waits = {}
    for k = 1, PROCESSES do
      local args = ("%d, %q, %q, %q, %d, %d, %q, %q"):format(k, dir, sync, server.base_url, PROCESSES, EACH,
        helper.API_KEY, helper.API_SECRET)
      -- timeout(1) bounds what the child's own deadline might miss
      waits[k] = helper.start_lua("return (function(...)\n" .. child .. "\nend)(" .. args .. ")", "timeout 120 env")
    end
    local ok, err = pcall(function()
      local here = {}
      for k = 1, PROCESSES do here[k] = sync .. "/here-" .. k end
      await(here, 30)
    end)
    helper.write(sync .. "/go", "")
    outs = {}
    for k = 1, PROCESSES do outs[k] = { waits[k]() } end
    server:stop()
    assert(ok, err)
    list = assert(recording.load(dir))
  end)

  teardown(function() helper.sh(("rm -rf '%s' '%s'"):format(dir, sync)) end)

  it("each record every exchange, with no error", function()
    for k = 1, PROCESSES do
      assert.is_true(outs[k][2], outs[k][1])
      assert.equal("recorded " .. EACH, outs[k][1])
    end
  end)

  it("leave exactly one fixture file and one index line per exchange", function()
    local files = 0
    for _, name in ipairs(names_in(dir)) do
      if name:match("^%d+%-get_model%.lua$") then files = files + 1 end
    end
    local lines, distinct = 0, 0
    local seen = {}
    for line in helper.read(dir .. "/index.txt"):gmatch("[^\n]+") do
      lines = lines + 1
      if not seen[line] then distinct = distinct + 1 end
      seen[line] = true
    end
    assert.equal(PROCESSES * EACH, files, "fixture files")
    assert.equal(PROCESSES * EACH, distinct, "distinct index lines")
    assert.equal(PROCESSES * EACH, lines, "index lines")
  end)

  it("overwrite nothing: every listed file loads, and each process's every tag is there once", function()
    assert.equal(PROCESSES * EACH, #list)
    local tags = {}
    for _, x in ipairs(list) do
      local tag = assert(x.request.path:match("^/v1/models/(p%d%-%d+)$"), x.request.path)
      tags[tag] = (tags[tag] or 0) + 1
      assert.equal(404, x.response.status)
    end
    for k = 1, PROCESSES do
      for i = 1, EACH do
        local tag = ("p%d-%04d"):format(k, i)
        assert.equal(1, tags[tag], tag)
      end
    end
  end)
end)

describe("a recording directory with symlinks planted in it", function()
  local server, dir, outside

  before_each(function()
    dir, outside = helper.tmpdir(), helper.tmpdir()
    helper.write(outside .. "/live", "untouched\n")
  end)

  after_each(function() helper.sh(("rm -rf '%s' '%s'"):format(dir, outside)) end)

  setup(function() server = testing.start { lua = helper.LUA } end)
  teardown(function() server:stop() end)

  local function client(logged)
    return scenario.new { base_url = server.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET,
      record = dir, timeout = 5, logger = logged and function(level, line)
        logged[#logged + 1] = level .. " " .. line
      end }
  end

  -- Plants a symlink in dir at name, pointing at outside/target.
  local function plant(name, target)
    assert(helper.sh(("ln -s '%s/%s' '%s/%s'"):format(outside, target, dir, name)))
  end

  it("as the fixtures' names: never followed, the next free number taken", function()
    plant("0001-get_model.lua", "never1")
    plant("0002-get_model.lua", "live")
    plant("0003-get_model.lua", "never3")
    local c = client()
    local _, err = c:get_model("first")
    local _, err2 = c:get_model("second")
    c:close()
    assert.equal(404, err.status)
    assert.equal(404, err2.status)
    assert.is_nil(c.record_error, tostring(c.record_error))
    assert.is_false(present(outside .. "/never1"), "written through a dangling symlink")
    assert.is_false(present(outside .. "/never3"), "written through a dangling symlink")
    assert.equal("untouched\n", helper.read(outside .. "/live"))
    assert.equal("0004-get_model.lua\n0005-get_model.lua\n", helper.read(dir .. "/index.txt"))
    assert.is_false(is_symlink(dir .. "/0004-get_model.lua"))
    local list = assert(recording.load(dir))
    assert.equal("/v1/models/first", list[1].request.path)
    assert.equal("/v1/models/second", list[2].request.path)
  end)

  for _, target in ipairs { "never", "live" } do
    it(("as index.txt (%s), planted once the client records: the record fails as a value, the call stands")
      :format(target == "live" and "a live one" or "a dangling one"), function()
      local logged = {}
      local c = client(logged)
      -- the hostile one replaces the index the recorder may have started
      assert(helper.sh(("rm -f '%s/index.txt'"):format(dir)))
      plant("index.txt", target)
      local ok, model, err = pcall(c.create_model, c, { name = "kept" })
      c:close()
      assert.is_true(ok, tostring(model))
      assert.is_table(model, tostring(err))
      assert.equal("kept", model.name)
      assert.matches("index.txt: .*symbolic links", tostring(c.record_error))
      assert.matches("warn .*could not be recorded.*index.txt", table.concat(logged, "\n"))
      if target == "live" then
        assert.equal("untouched\n", helper.read(outside .. "/live"))
      else
        assert.is_false(present(outside .. "/never"), "written through a dangling symlink")
      end
      -- a fixture no index lists is not left behind
      assert.same({ "index.txt" }, names_in(dir))
    end)

    it(("as index.txt (%s), planted before the client is made: refused by new, nothing written")
      :format(target == "live" and "a live one" or "a dangling one"), function()
      plant("index.txt", target)
      local ok, msg = pcall(client)
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'new' %(record: .*index.txt", msg)
      if target == "live" then
        assert.equal("untouched\n", helper.read(outside .. "/live"))
      else
        assert.is_false(present(outside .. "/never"), "written through a dangling symlink")
      end
      assert.same({ "index.txt" }, names_in(dir))
    end)
  end
end)

describe("a recording directory with traps that could stall the recorder", function()
  it("a FIFO as index.txt, before new or swapped in later: refused or a value, never a hang", function()
    local d = helper.tmpdir()
    assert(helper.sh(("mkfifo '%s/index.txt'"):format(d)))
    -- a fresh process under timeout(1): an open that blocks is ended, and fails the spec
    local out, ran = helper.run_lua(([[
      local scenario, recording = require "scenario", require "scenario.recording"
      local ok, msg = pcall(scenario.new, { api_key = "k", api_secret = "s", record = %q })
      io.write(tostring(ok), " ", tostring(msg), "\n")
      assert(os.remove(%q))
      local rec = assert(recording.recorder(%q))
      assert(os.remove(%q))
      local made = os.execute("mkfifo %s && test -p %s")
      assert(made == true or made == 0, "no FIFO")
      local c = scenario.new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:1/v1" }
      local file, err = recording.write(rec, c._handle, { endpoint = "e", method = "GET",
        url = "http://127.0.0.1:1/v1/e", status = 200, headers = {}, body = "" })
      io.write(tostring(file), " ", tostring(err))
    ]]):format(d, d .. "/index.txt", d, d .. "/index.txt", d .. "/index.txt", d .. "/index.txt"), "timeout 20 env")
    local left = names_in(d)
    helper.sh(("rm -rf '%s'"):format(d))
    assert.is_true(ran, out)
    assert.matches("^false [^\n]*bad argument #1 to 'new' %(record: cannot write in .*index.txt: ", out)
    assert.matches("\nnil .*index.txt: ", out)
    assert.same({ "index.txt" }, left) -- the fixture no index lists is gone
  end)

  it("a FIFO as index.txt that a reader holds open: refused as no regular file, nothing sent down it", function()
    local d, d2 = helper.tmpdir(), helper.tmpdir()
    local rec = assert(recording.recorder(d2))
    assert(helper.sh(("mkfifo '%s/index.txt'; rm '%s/index.txt' && mkfifo '%s/index.txt'"):format(d, d2, d2)))
    -- this process holds both open for reading (and writing: so that the
    -- open does not wait for a writer), as a hostile reader would
    local held = { assert(io.open(d .. "/index.txt", "r+b")), assert(io.open(d2 .. "/index.txt", "r+b")) }
    local ok, msg = pcall(scenario.new, { api_key = "k", api_secret = "s", record = d })
    local c = scenario.new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:1/v1" }
    local file, err = recording.write(rec, c._handle, { endpoint = "e", method = "GET",
      url = "http://127.0.0.1:1/v1/e", status = 200, headers = {}, body = "" })
    c:close()
    for _, f in ipairs(held) do f:close() end
    local left = names_in(d2)
    helper.sh(("rm -rf '%s' '%s'"):format(d, d2))
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'new' %(record: cannot write in .*index.txt: not a regular file", msg)
    assert.is_nil(file)
    assert.matches("index.txt: not a regular file", err)
    assert.same({ "index.txt" }, left)
  end)

  it("MAX_TAKEN names in a row taken: the write gives up as a value, the next goes on past them", function()
    -- 10000 symlinks take seconds of kernel time here: the bound is lowered
    -- to 150 for this case
    local bound = recording.MAX_TAKEN
    assert.equal(10000, bound)
    local d = helper.tmpdir()
    local rec = assert(recording.recorder(d))
    -- symlinks to themselves: taken names, each a loop
    assert(helper.sh(("cd '%s' && seq -f '%%04g-e.lua' 1 150 | xargs ln -s -t ."):format(d)))
    local c = scenario.new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:1/v1" }
    local x = { endpoint = "e", method = "GET", url = "http://127.0.0.1:1/v1/e", status = 200, headers = {},
      body = "" }
    recording.MAX_TAKEN = 150
    local ok, file, err = pcall(recording.write, rec, c._handle, x)
    local ok2, file2, err2 = pcall(recording.write, rec, c._handle, x)
    recording.MAX_TAKEN = bound
    c:close()
    local index = helper.read(d .. "/index.txt")
    helper.sh(("rm -rf '%s'"):format(d))
    assert.is_true(ok, file)
    assert.is_nil(file)
    assert.matches("the 150 names from 0001%-e%.lua on were all taken", err)
    assert.is_true(ok2, file2)
    assert.equal(d .. "/0151-e.lua", file2, tostring(err2))
    assert.equal("0151-e.lua\n", index)
  end)
end)

describe("a disk that fills up in the middle of a fixture", function()
  it("leaves no partial fixture, and none listed; the call stands", function()
    local dir = helper.tmpdir()
    local s = testing.start { lua = helper.LUA }
    -- ulimit -f: files of this process end at 512 bytes (EFBIG, a short
    -- write first), as on a full disk; SIGXFSZ ignored, so write says so.
    local out, ran = helper.run_lua(([[
      local c = require("scenario").new { base_url = %q, api_key = %q, api_secret = %q, record = %q,
        timeout = 5 }
      local model, err = c:create_model { name = "kept" } -- its fixture is over 512 bytes
      c:close()
      io.write(type(model) == "table" and model.name or tostring(err), "\n", tostring(c.record_error))
    ]]):format(s.base_url, helper.API_KEY, helper.API_SECRET, dir), "ulimit -f 1; trap '' XFSZ;")
    s:stop()
    local left = names_in(dir)
    local list = recording.load(dir)
    helper.sh(("rm -rf '%s'"):format(dir))
    assert.is_true(ran, out)
    assert.matches("^kept\n.*0001%-create_model%.lua: File too large", out)
    assert.same({ "index.txt" }, left)
    assert.same({}, list)
  end)
end)

describe("a disk that fills up in the middle of index.txt", function()
  it("fails the write as a value, and removes the fixture it could not list", function()
    local d = helper.tmpdir()
    -- fixtures of under 512 bytes, and index lines of 11: the index fills first
    local out, ran = helper.run_lua(([[
      local recording = require "scenario.recording"
      local c = require("scenario").new { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:1/v1" }
      local rec = assert(recording.recorder(%q))
      for i = 1, 100 do
        local file, err = recording.write(rec, c._handle, { endpoint = "e", method = "GET",
          url = "http://127.0.0.1:1/v1/e", status = 200, headers = {}, body = "" })
        if not file then
          io.write(i, "\n", err)
          os.exit(0)
        end
      end
      io.write("never failed")
    ]]):format(d), "ulimit -f 1; trap '' XFSZ;")
    local left = names_in(d)
    local index = helper.read(d .. "/index.txt")
    helper.sh(("rm -rf '%s'"):format(d))
    assert.is_true(ran, out)
    local failed = tonumber(out:match("^(%d+)\n.*index%.txt: File too large$"))
    assert(failed and failed > 1, out)
    local listed = {}
    for i = 1, failed - 1 do listed[i] = ("%04d-e.lua"):format(i) end
    -- the lines before are whole; the cut one (the disk ran out in it) names nothing left
    assert.equal(table.concat(listed, "\n") .. "\n", index:sub(1, 11 * (failed - 1)))
    table.insert(listed, "index.txt")
    assert.same(listed, left)
  end)
end)
