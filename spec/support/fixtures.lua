--- Loads the recorded exchanges of spec/fixtures/: Lua data files, each
-- `{request = ..., response = ...}`, loaded as text with no globals.
-- A fixture's response body is a file of its own, named by
-- `response.body_file` relative to the fixture (`bodies/<name>.json`):
-- fixtures that answer with the same document share its one file, and
-- the fuzz harness seeds its decode corpus with that directory (make
-- fuzz-run). The loaded fixture has `response.body`, those bytes, in
-- place of `body_file`.
local compat = require "spec.support.compat"

local M = {}

--- Where the fixtures are, from the checkout's root.
M.DIR = "spec/fixtures"

--- The fixture in the file at path, with its body read in; raises when
-- the file or its body cannot be read.
function M.load(path)
  local fixture = assert(compat.loadfile(path, {}))()
  local response = fixture.response
  if type(response) == "table" and response.body_file ~= nil then
    assert(response.body == nil, path .. ": a response has a body or a body_file, not both")
    local body_path = (path:match("^(.*)/[^/]*$") or ".") .. "/" .. response.body_file
    local f = assert(io.open(body_path, "rb"))
    response.body = f:read("*a")
    f:close()
    response.body_file = nil
  end
  return fixture
end

--- The fixture spec/fixtures/<name>.lua.
function M.named(name)
  return M.load(M.DIR .. "/" .. name .. ".lua")
end

return M
