--- Error values returned by the client: `nil, err` where `err` is a table
-- with `kind`, `message` and a readable `__tostring`.
-- Internal, and left out of the generated docs (config.ld): the public side,
-- `scenario.Error` with its fields and kinds and `scenario.is_error`, is
-- documented in init.lua, which must change with this file.
-- @module scenario.errors
local core = require "scenario.core"

local M = {}

local Error = {}
Error.__index = Error
Error.__name = "scenario.Error"
M.Error = Error

--- Kinds by HTTP status; other non-2xx statuses are `http`, and every
-- status from 500 up is `server`.
M.status_kinds = {
  [400] = "bad_request",
  [401] = "authentication",
  [403] = "permission_denied",
  [404] = "not_found",
  [409] = "conflict",
  [422] = "unprocessable",
  [429] = "rate_limit",
}

local reasons = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [408] = "Request Timeout", [409] = "Conflict",
  [413] = "Payload Too Large", [422] = "Unprocessable Entity",
  [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

local escapes = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function escape_byte(c)
  return escapes[c] or ("\\x%02x"):format(c:byte())
end

-- Code points a terminal obeys rather than shows: the C1 controls, and
-- the line separators and direction overrides that reorder what follows.
local function unsafe_point(cp)
  return cp <= 0x9F or cp == 0x2028 or cp == 0x2029 or (cp >= 0x202A and cp <= 0x202E)
    or (cp >= 0x2066 and cp <= 0x2069) or cp == 0x200E or cp == 0x200F or cp == 0x061C
end

-- The non-ASCII part of escape: every byte that is not part of valid
-- UTF-8 as \xHH, and the unsafe code points as \uXXXX.
local function escape_utf8(s)
  local out, i, n, from = {}, 1, #s, 1
  while i <= n do
    local c = s:byte(i)
    if c < 0x80 then
      i = i + 1
    else
      local len = c >= 0xF0 and 4 or c >= 0xE0 and 3 or c >= 0xC2 and 2 or 0
      local cp = len > 0 and c % (2 ^ (7 - len)) or 0
      for k = 1, len - 1 do
        local cc = s:byte(i + k)
        if not cc or cc < 0x80 or cc > 0xBF then len = 0 break end
        cp = cp * 64 + cc % 64
      end
      if len > 0 and ((len == 3 and (cp < 0x800 or (cp >= 0xD800 and cp <= 0xDFFF)))
        or (len == 4 and (cp < 0x10000 or cp > 0x10FFFF))) then
        len = 0 -- overlong, a surrogate, or past U+10FFFF
      end
      if len == 0 then
        out[#out + 1] = s:sub(from, i - 1) .. ("\\x%02x"):format(c)
        i = i + 1
        from = i
      elseif unsafe_point(cp) then
        out[#out + 1] = s:sub(from, i - 1) .. ("\\u%04x"):format(cp)
        i = i + len
        from = i
      else
        i = i + len
      end
    end
  end
  out[#out + 1] = s:sub(from)
  return table.concat(out)
end

--- Text made safe for a terminal or a log file: control characters
-- become visible escapes such as `\n` or `\x1b`, and so do bytes that are
-- not valid UTF-8 (`\x9b`, which some terminals read as a control), the
-- C1 controls and the line separators and direction overrides (`\u009b`,
-- `\u2028`, `\u202e`). Server text goes through this before it reaches
-- `tostring(err)` or a log line.
-- @tparam string s
-- @treturn string
function M.escape(s)
  s = tostring(s)
  -- The bytes spelled out: %c would follow the host's locale.
  if not s:find("[%z\1-\31\127-\255]") then return s end -- the usual case: nothing to do
  s = s:gsub("[%z\1-\31\127]", escape_byte)
  if s:find("[\128-\255]") then s = escape_utf8(s) end
  return s
end

--- The path of a URL, without its scheme, host and query: what a
-- message names.
-- @tparam string url
-- @treturn string
function M.url_path(url)
  local path = tostring(url):match("^%a[%w+.-]*://[^/?#]*([^?#]*)")
  if path == nil or path == "" then return tostring(url) end
  return path
end

function Error:__tostring()
  local head = "scenario: " .. M.escape(self.kind)
  if self.status then
    head = head .. " (HTTP " .. self.status .. (self.code and (", " .. M.escape(self.code)) or "") .. ")"
  end
  if self.method and self.url then
    head = head .. " on " .. M.escape(self.method) .. " " .. M.escape(M.url_path(self.url))
  end
  if self.message and self.message ~= "" then
    return head .. ": " .. M.escape(self.message)
  end
  return head
end

--- Whether `v` is an error value made by this library.
function M.is_error(v)
  return getmetatable(v) == Error
end

local function kind_for_status(status)
  if status >= 500 then return "server" end
  return M.status_kinds[status] or "http"
end

-- "concepts[2].scale: must be at most 2, got 3; name: ..."
local function list_problems(errs, count)
  local parts = {}
  for i, p in ipairs(errs or {}) do
    parts[i] = (p.path ~= "" and (p.path .. ": ") or "") .. p.message
  end
  local shown = #parts
  local text = table.concat(parts, "; ")
  if count and count > shown then
    text = text .. ("; and %d more"):format(count - shown)
  end
  return text
end
M.list_problems = list_problems

local function plural(n, word)
  return n == 1 and ("1 " .. word) or (n .. " " .. word .. "s")
end

-- Reads the message and code out of the documented error bodies:
-- {status, code, message}, {statusCode, error, message} and {error, code},
-- and the {reason} the live API answers most refusals of a generation
-- with (AWS gateways also answer {"Message": ...}).
local function read_error_body(body)
  if type(body) ~= "string" or body == "" then return nil end
  local t = core.parse_json(body)
  if type(t) ~= "table" then return nil end
  local message = t.message
  if message == nil then message = t.Message end
  if type(message) == "table" then -- NestJS validation lists several
    local parts = {}
    for _, m in ipairs(message) do
      if type(m) == "string" then parts[#parts + 1] = m end
    end
    message = #parts > 0 and table.concat(parts, "; ") or nil
  end
  if type(message) ~= "string" then message = nil end
  local code = t.code
  if type(code) == "number" then -- 409, not 409.0, in every Lua
    code = (code == math.floor(code) and math.abs(code) < 2 ^ 53) and ("%d"):format(code) or tostring(code)
  end
  if type(code) ~= "string" then code = nil end
  if message == nil and type(t.reason) == "string" then message = t.reason end
  if message == nil and type(t.error) == "string" then message = t.error end
  return message, code
end
M.read_error_body = read_error_body

--- Seconds to wait from `Retry-After` (seconds or an HTTP date) or
-- `retry-after-ms`, or nil if the headers carry neither.
-- @tparam table headers response headers, lower-case names
-- @tparam[opt] function parse_date HTTP date to epoch seconds
-- @tparam[opt] number now current epoch seconds
function M.retry_after(headers, parse_date, now)
  if type(headers) ~= "table" then return nil end
  local ms = tonumber(headers["retry-after-ms"])
  if ms and ms >= 0 and ms < math.huge then return ms / 1000 end
  local v = headers["retry-after"]
  if type(v) ~= "string" then return nil end
  local secs = v:match("^%s*(%d+%.?%d*)%s*$")
  if secs then return tonumber(secs) end
  local at = parse_date and parse_date(v)
  if at then
    return math.max(0, at - (now or os.time()))
  end
  return nil
end

--- An error value made here rather than by the core: kinds `pending` and
-- `cancelled`.
-- @tparam string kind
-- @tparam string message
-- @tparam[opt] table fields more fields, such as `attempts`
function M.new(kind, message, fields)
  local e = { kind = kind, message = message }
  for k, v in pairs(fields or {}) do e[k] = v end
  return setmetatable(e, Error)
end

--- Turns what scenario.core reported into an error value.
-- @tparam table raw the core's error table
-- @tparam table ctx `attempts`, `parse_date`
function M.from_core(raw, ctx)
  local e = raw
  e.attempts = ctx.attempts
  if e.kind == "validation" then
    e.message = plural(e.error_count, "problem") .. " in the request: "
      .. list_problems(e.errors, e.error_count)
  elseif e.kind == "invalid_response" and e.errors and e.utf8 then
    -- Only the bytes are at fault: shape problems beside them would not
    -- have failed the call, so they are not listed.
    local bad = {}
    for _, p in ipairs(e.errors) do
      if p.message:find("is not valid UTF-8", 1, true) then bad[#bad + 1] = p end
    end
    e.errors, e.error_count, e.utf8 = bad, #bad, nil
    e.message = "the response is not valid UTF-8: " .. list_problems(bad, #bad)
  elseif e.kind == "invalid_response" and e.errors then
    e.message = "the response does not match the documented shape: "
      .. list_problems(e.errors, e.error_count)
  elseif e.kind == "http" then
    local status = e.status
    e.kind = kind_for_status(status)
    local message, code = read_error_body(e.body)
    local amzn = e.headers and e.headers["x-amzn-errortype"]
    if code == nil and amzn then code = amzn:match("^[^:]+") end
    e.code = code
    if message == nil then
      local ctype = e.headers and e.headers["content-type"]
      message = reasons[status] or ("HTTP " .. status)
      if e.body and #e.body > 0 then
        message = ("%s (a %d-byte %s body)"):format(message, #e.body, ctype or "non-JSON")
      end
    end
    e.message = message
  end
  if e.headers then
    e.retry_after = M.retry_after(e.headers, ctx.parse_date)
  end
  return setmetatable(e, Error)
end

return M
