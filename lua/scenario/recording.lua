--- Recordings: every exchange of a client written as a fixture, and read
-- back. `scenario.new { record = dir }` (or `SCENARIO_RECORD=dir`) writes
-- each attempt that got an answer as `dir/0001-<endpoint>.lua`, in the
-- replay format of the specs (`request` and `response`, each with its
-- method or status, path, query, headers and body). The Authorization
-- header is replaced by a marker, and so is every spelling of the key and
-- the secret (raw, JSON-escaped or in the Basic token) in every recorded
-- byte, before anything reaches the disk. `scenario.testing` replays a
-- directory (`start { replay = dir }`).
-- @module scenario.recording
local core = require "scenario.core"

local M = {}

--- What a recording holds in place of a secret.
M.MARKER = "[redacted]"

-- The next free number in each directory this process records into, so
-- that two clients recording into one directory do not overwrite each
-- other's files.
local next_free = {}

-- Whether a file exists at path.
local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Plain Lua cannot list a directory: index.txt names the exchanges'
-- files, one a line, in the order they were recorded.
local function index_path(dir) return dir .. "/index.txt" end

-- Loads a fixture as data: text only, and with no globals to reach.
local function load_data(path)
  local f = io.open(path, "rb")
  if not f then return nil, "cannot open " .. path end
  local first = f:read(1)
  f:close()
  if first == "\27" then return nil, path .. " is precompiled, not a recording" end
  if setfenv then -- luacheck: ignore 113 (5.1 and LuaJIT)
    local chunk, err = loadfile(path)
    if not chunk then return nil, err end
    setfenv(chunk, {}) -- luacheck: ignore 113
    return chunk
  end
  return loadfile(path, "t", {})
end

-- A Lua literal for the string s: a long bracket when that reads the
-- same (no CR, which Lua's reader would turn into LF), else %q.
local function literal(s)
  if s:find("\r", 1, true) then return ("%q"):format(s) end
  local eq = ""
  while s:find("]" .. eq .. "]", 1, true) or s:sub(-#eq - 1) == "]" .. eq do eq = eq .. "=" end
  return "[" .. eq .. "[\n" .. s .. "]" .. eq .. "]"
end

local function headers_literal(h, indent)
  local names = {}
  for k in pairs(h) do names[#names + 1] = k end
  table.sort(names)
  local parts = {}
  for _, k in ipairs(names) do
    parts[#parts + 1] = ("%s  [%q] = %q,"):format(indent, k, h[k])
  end
  if #parts == 0 then return "{}" end
  return "{\n" .. table.concat(parts, "\n") .. "\n" .. indent .. "}"
end

-- Response headers about the bytes on the wire, not the body recorded:
-- that is decoded (libcurl inflates it) and redacted, so its length and
-- encoding are no longer these.
local framing = {
  ["content-length"] = true, ["content-encoding"] = true, ["transfer-encoding"] = true,
  connection = true, ["keep-alive"] = true,
}

--- Checks that dir can be recorded into, and returns a recorder for it.
-- @tparam string dir an existing, writable directory
-- @treturn[1] table the recorder
-- @treturn[2] nil
-- @treturn[2] string why not
function M.recorder(dir)
  dir = dir:gsub("/+$", "")
  if dir == "" then dir = "/" end
  local probe = dir .. "/.scenario-record-probe"
  local f, err = io.open(probe, "wb")
  if not f then return nil, ("cannot write in %s: %s"):format(dir, err) end
  f:close()
  os.remove(probe)
  return { dir = dir }
end

-- The number of the next exchange in dir: one past the last in its index.
local function take_number(dir)
  local n = next_free[dir]
  if not n then
    n = 1
    local f = io.open(index_path(dir), "rb")
    if f then
      for _ in f:lines() do n = n + 1 end
      f:close()
    end
  end
  next_free[dir] = n + 1
  return n
end

--- Writes one exchange of client (its C handle redacts) as a fixture.
-- @tparam table rec the recorder
-- @param handle the client's core handle (for core.redact)
-- @tparam table x `endpoint`, `method`, `url`, `request_headers`,
--   `request_body` (or nil), `status`, `headers`, `body`
-- @treturn[1] string the file written
-- @treturn[2] nil
-- @treturn[2] string why not
function M.write(rec, handle, x)
  local function redact(s) return core.redact(handle, s) end
  local path, query = x.url:match("^%a[%w+.-]*://[^/]*([^?]*)%??(.*)$")
  local req_headers = { Authorization = M.MARKER }
  for k, v in pairs(x.request_headers or {}) do req_headers[redact(k)] = redact(v) end
  local resp_headers = {}
  for k, v in pairs(x.headers or {}) do
    if not framing[k:lower()] then
      resp_headers[redact(k)] = redact(type(v) == "table" and table.concat(v, ", ") or tostring(v))
    end
  end
  local n = take_number(rec.dir)
  local name = ("%04d-%s.lua"):format(n, (x.endpoint:gsub("[^%w_]+", "_")))
  local text = table.concat({
    ("-- Recorded by scenario %s: %s %s, attempt %d."):format(core._VERSION, x.method,
      redact(path or ""), x.attempt or 1),
    "return {",
    ("  endpoint = %q,"):format(x.endpoint),
    "  request = {",
    ("    method = %q,"):format(x.method),
    ("    path = %s,"):format(literal(redact(path or ""))),
    ("    query = %s,"):format(literal(redact(query or ""))),
    ("    headers = %s,"):format(headers_literal(req_headers, "    ")),
    ("    body = %s,"):format(literal(redact(x.request_body or ""))),
    "  },",
    "  response = {",
    ("    status = %d,"):format(x.status),
    ("    headers = %s,"):format(headers_literal(resp_headers, "    ")),
    ("    body = %s,"):format(literal(x.body or "")), -- redacted by the core as it arrived
    "  },",
    "}",
    "",
  }, "\n")
  local f, err = io.open(rec.dir .. "/" .. name, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  f:close()
  if not ok then return nil, werr end
  local idx = io.open(index_path(rec.dir), "ab")
  if not idx then return nil, "cannot append to " .. index_path(rec.dir) end
  idx:write(name, "\n")
  idx:close()
  return rec.dir .. "/" .. name
end

--- Reads a recorded directory: its exchanges in the order they were
-- recorded (each what its file returns).
-- @tparam string dir
-- @treturn[1] table the exchanges
-- @treturn[2] nil
-- @treturn[2] string why not
function M.load(dir)
  dir = dir:gsub("/+$", "")
  local idx = io.open(index_path(dir), "rb")
  if not idx then return nil, ("%s is not a recording (no index.txt)"):format(dir) end
  local list = {}
  for name in idx:lines() do
    if name ~= "" then
      if not exists(dir .. "/" .. name) then
        idx:close()
        return nil, ("%s lists %s, which is missing"):format(dir, name)
      end
      local chunk, err = load_data(dir .. "/" .. name)
      if not chunk then
        idx:close()
        return nil, err
      end
      local ok, x = pcall(chunk)
      if not ok or type(x) ~= "table" or type(x.request) ~= "table" or type(x.response) ~= "table" then
        idx:close()
        return nil, ("%s/%s is not an exchange"):format(dir, name)
      end
      x.file = name
      list[#list + 1] = x
    end
  end
  idx:close()
  return list
end

return M
