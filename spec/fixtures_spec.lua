-- The recorded exchanges of spec/fixtures/ keep their response bodies in
-- spec/fixtures/bodies/, one file a document: fixtures that answer with
-- the same document share it, and the fuzz harness's decode corpus is
-- that directory (make fuzz-run), so no body is kept twice.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local fixtures = require "spec.support.fixtures"
local read = helper.read

local function list(cmd)
  local names = {}
  for name in io.popen(cmd):lines() do names[#names + 1] = name end
  table.sort(names)
  return names
end

describe("the fixtures' bodies", function()
  it("are each a document of its own, and a fixture's", function()
    local by_bytes, used = {}, {}
    local bodies = list("ls " .. fixtures.DIR .. "/bodies")
    assert.truthy(#bodies >= 20, #bodies) -- and not an empty listing
    for _, name in ipairs(bodies) do
      local bytes = read(fixtures.DIR .. "/bodies/" .. name)
      assert.is_nil(by_bytes[bytes], name .. " is the same document as " .. tostring(by_bytes[bytes]))
      by_bytes[bytes] = name
    end
    for _, file in ipairs(list("ls " .. fixtures.DIR .. "/*.lua")) do
      local response = assert(compat.loadfile(file, {}))().response
      -- A body written in the fixture would be a seed the fuzz corpus lacks.
      assert.is_nil(response.body, file .. " holds its body instead of a body_file")
      local name = assert(response.body_file, file):match("^bodies/([^/]+)$")
      assert.truthy(name and by_bytes[read(fixtures.DIR .. "/bodies/" .. name)], file)
      used[name] = true
      assert.equal(read(fixtures.DIR .. "/bodies/" .. name), fixtures.load(file).response.body, file)
    end
    for _, name in ipairs(bodies) do assert.is_true(used[name] or false, name .. " is no fixture's body") end
  end)

  it("are read in by the loader in place of body_file, relative to the fixture, wherever it is", function()
    local fx = fixtures.named("get_model")
    assert.is_nil(fx.response.body_file)
    assert.equal(read("spec/fixtures/bodies/reference_model.json"), fx.response.body)
    assert.equal(fx.response.body, fixtures.named("update_model").response.body)
    local dir = helper.tmpdir()
    assert(helper.sh("mkdir " .. dir .. "/bodies"))
    helper.write(dir .. "/x.lua", 'return { request = {}, response = { status = 200, body_file = "bodies/x.json" } }\n')
    helper.write(dir .. "/bodies/x.json", "{}\r\n\0tail") -- any bytes, as they are
    local ok, got = pcall(fixtures.load, dir .. "/x.lua")
    helper.sh("rm -rf " .. dir)
    assert.is_true(ok, got)
    assert.equal("{}\r\n\0tail", got.response.body)
    assert.same({ status = 200, body = "{}\r\n\0tail" }, got.response)
  end)
end)
