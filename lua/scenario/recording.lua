--- Recordings: every exchange of a client written as a fixture, and read
-- back. `scenario.new { record = dir }` (or `SCENARIO_RECORD=dir`) writes
-- each attempt that got an answer as `dir/0001-<endpoint>.lua`, in the
-- replay format of the specs (`request` and `response`, each with its
-- method or status, path, query, headers and body). The Authorization
-- header is replaced by a marker, and so is every spelling of the key and
-- the secret (raw, JSON-escaped or in the Basic token) in every recorded
-- byte, before anything reaches the disk. `scenario.testing` replays a
-- directory (`start { replay = dir }`).
--
-- Several processes may record into one directory at once. A fixture is
-- created only under a name that does not exist yet (`O_EXCL`, through
-- `core.create_file`): a name another process took, or a symlink planted
-- there, dangling or not, is passed over for the next number, never
-- written through. Its name goes into `index.txt` only once the file is
-- whole, in one append (`core.append_line`, which refuses a symlink);
-- a fixture that could not be written whole, or listed, is removed.
-- @module scenario.recording
local core = require "scenario.core"

local M = {}

--- What a recording holds in place of a secret.
M.MARKER = core.limits.redacted_marker -- the core's, which it redacts answers with

-- The next number to try in each directory this process records into
-- (by canonical name), so that two clients recording into one directory
-- go on from each other's files.
local next_free = {}

--- How many taken names in a row one write passes over before it gives
-- up (other processes' files, or names planted to keep it looping); the
-- next write goes on from where it gave up.
M.MAX_TAKEN = 10000

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
-- Its `index.txt` is opened for appending, as each exchange will be (and
-- created, empty, if missing): a symlink there, or anything but a regular
-- file, is refused. An `index.txt` that lists exchanges is refused too,
-- unless this process is the one recording there: a replay would serve
-- the old answers first. An empty one is shared, so that processes that
-- start at the same moment all record, whichever made it.
-- @tparam string dir an existing, writable directory
-- @treturn[1] table the recorder
-- @treturn[2] nil
-- @treturn[2] string why not
function M.recorder(dir)
  dir = canonical(dir)
  if dir:find("\0", 1, true) then return nil, "the directory's name contains a NUL byte" end
  if not next_free[dir] then
    -- one open, which either creates the index or finds it: no window
    -- between looking and claiming for another process to start in
    local size, err = core.append_line(index_path(dir), "")
    if not size then return nil, ("cannot write in %s: %s"):format(dir, err) end
    if size > 0 then
      return nil, ("%s already holds a recording (index.txt): remove it, or record elsewhere"):format(dir)
    end
  end
  next_free[dir] = next_free[dir] or 1
  return { dir = dir }
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
  -- The first number free in the directory: another process may record
  -- into it too, so what is there wins over this process's count. The
  -- name is claimed by creating the file, in one step with the check.
  local dir, n = rec.dir, next_free[rec.dir] or 1
  local stem = x.endpoint:gsub("[^%w_]+", "_")
  local tries = M.MAX_TAKEN
  for _ = 1, tries do
    local name = ("%04d-%s.lua"):format(n, stem)
    local file = dir .. "/" .. name
    local ok, err, taken = core.create_file(file, text)
    if not ok and not taken then
      next_free[dir] = n -- still free, as far as this process knows
      return nil, err
    end
    if ok then
      ok, err = core.append_line(index_path(dir), name .. "\n")
      if not ok then
        os.remove(file) -- no index lists it: a replay would never serve it
        next_free[dir] = n
        return nil, err
      end
      next_free[dir] = n + 1
      return file
    end
    n = n + 1
  end
  next_free[dir] = n
  return nil, ("%s: the %d names from %04d-%s.lua on were all taken"):format(dir, tries, n - tries, stem)
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
