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

-- The next number to try in each directory this process records into
-- (by canonical name), so that two clients recording into one directory
-- go on from each other's files.
local next_free = {}

-- Header values recorded as the marker whatever they hold: credentials
-- of other kinds than the client's own.
local sensitive = {
  authorization = true, ["proxy-authorization"] = true, cookie = true, ["set-cookie"] = true,
  ["x-api-key"] = true,
}

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
  -- %q for plain text, and where a long bracket would not read back the
  -- same (a CR, which Lua's reader turns into LF) or would hide bytes; a
  -- long bracket for JSON and lines, which read better unescaped.
  if s:find("[%z\1-\8\11-\31\127]") or not s:find("[\"\\\n]") then return ("%q"):format(s) end
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

-- A directory's name as a key: "rec", "rec/" and "rec/./" are one.
local function canonical(dir)
  dir = dir:gsub("/%./", "/"):gsub("/%.$", ""):gsub("//+", "/")
  if #dir > 1 then dir = dir:gsub("/$", "") end
  return dir
end

--- Checks that dir can be recorded into, and returns a recorder for it.
-- A directory that already holds a recording (its `index.txt`) is refused
-- unless this process is the one recording into it: a replay would serve
-- its old answers first.
-- @tparam string dir an existing, writable directory
-- @treturn[1] table the recorder
-- @treturn[2] nil
-- @treturn[2] string why not
function M.recorder(dir)
  dir = canonical(dir)
  if not next_free[dir] and exists(index_path(dir)) then
    return nil, ("%s already holds a recording (index.txt): remove it, or record elsewhere"):format(dir)
  end
  local probe = dir .. "/.scenario-record-probe"
  local f, err = io.open(probe, "wb")
  if not f then return nil, ("cannot write in %s: %s"):format(dir, err) end
  f:close()
  os.remove(probe)
  next_free[dir] = next_free[dir] or 1
  return { dir = dir }
end

-- Writes text to path, and says whether all of it reached the file: a
-- full disk shows only when the buffer is flushed, at close.
local function write_file(path, mode, text)
  local f, err = io.open(path, mode)
  if not f then return nil, err end
  local ok, werr = f:write(text)
  local closed, cerr = f:close()
  if not ok then return nil, werr end
  if not closed then return nil, cerr end
  return true
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
  for k, v in pairs(x.request_headers or {}) do
    req_headers[redact(k)] = sensitive[k:lower()] and M.MARKER or redact(v)
  end
  local resp_headers = {}
  for k, v in pairs(x.headers or {}) do
    local lk = k:lower()
    if not framing[lk] then
      resp_headers[redact(k)] = sensitive[lk] and M.MARKER
        or redact(type(v) == "table" and table.concat(v, ", ") or tostring(v))
    end
  end
  -- The first number free in the directory: another process may record
  -- into it too, so what is there wins over this process's count.
  local dir, n = rec.dir, next_free[rec.dir] or 1
  local name
  repeat
    name = ("%04d-%s.lua"):format(n, (x.endpoint:gsub("[^%w_]+", "_")))
    n = n + 1
  until not exists(dir .. "/" .. name)
  next_free[dir] = n
  -- Built with .., not format's %s: before 5.3 that stops at a NUL.
  local text = table.concat({
    "-- Recorded by scenario " .. core._VERSION .. ": " .. x.method .. " "
      .. redact(path or ""):gsub("[%c]", "?") .. ", attempt " .. (x.attempt or 1) .. ".",
    "return {",
    "  endpoint = " .. ("%q"):format(x.endpoint) .. ",",
    "  request = {",
    "    method = " .. ("%q"):format(x.method) .. ",",
    "    path = " .. literal(redact(path or "")) .. ",",
    "    query = " .. literal(redact(query or "")) .. ",",
    "    headers = " .. headers_literal(req_headers, "    ") .. ",",
    "    body = " .. literal(redact(x.request_body or "")) .. ",",
    "  },",
    "  response = {",
    "    status = " .. ("%d"):format(x.status) .. ",",
    "    headers = " .. headers_literal(resp_headers, "    ") .. ",",
    "    body = " .. literal(redact(x.body or "")) .. ",", -- as it arrived, redacted by the core already
    "  },",
    "}",
    "",
  }, "\n")
  local ok, err = write_file(dir .. "/" .. name, "wb", text)
  if not ok then return nil, ("%s/%s: %s"):format(dir, name, tostring(err)) end
  ok, err = write_file(index_path(dir), "ab", name .. "\n")
  if not ok then return nil, ("%s: %s"):format(index_path(dir), tostring(err)) end
  return dir .. "/" .. name
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
