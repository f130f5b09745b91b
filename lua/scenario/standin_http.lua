-- The stand-in's HTTP/1.1 over LuaSocket: the server loop that serves a
-- stand-in (scenario.standin_api) on 127.0.0.1, and its CDN (the asset
-- files) on 127.0.0.2, with its limits, its connections, its timers for
-- delayed answers, its log and its control paths under /__testing/; and
-- the one request a test sends to those paths.
local core = require "scenario.core"
local standin_api = require "scenario.standin_api"
local process = require "scenario.standin_process"

local M = {}

local text, describe, read_body, not_found =
  standin_api.text, standin_api.describe, standin_api.read_body, standin_api.not_found

-- What a request may bring before the server answers instead of reading
-- on: a head (request line and headers) of 64 KiB, and a body of the
-- client's default max_request_bytes (16 MiB), the largest body a client
-- sends unless told to.
local HEAD_MAX = 64 * 1024
local BODY_MAX = core.limits.default_max_bytes
-- Connections held at once; past it, the one idle longest is closed for
-- the new one. Well under select()'s FD_SETSIZE (1024), past which
-- LuaSocket's select raises.
local CONNS_MAX = 256

local reasons = { [200] = "OK", [400] = "Bad Request", [403] = "Forbidden", [404] = "Not Found",
  [411] = "Length Required",
  [413] = "Content Too Large", [429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable" }

-- An answer's bytes; to a HEAD, its head alone (its Content-Length the
-- body's, as a GET would have it).
local function render(status, headers, body, head_only)
  local lines = { ("HTTP/1.1 %d %s"):format(status, reasons[status] or "Status") }
  for k, v in pairs(headers) do lines[#lines + 1] = k .. ": " .. v end
  lines[#lines + 1] = "Content-Length: " .. #body
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. (head_only and "" or body)
end

-- The head at the front of buf, once it has all arrived: the request
-- ({method, path, query, headers, len, size}: headers by lower-case
-- name, those sent twice joined with ", "; size is the head's), or one
-- it cannot take ({bad = status, why = ...}); nil while it is arriving.
local function read_head(buf)
  local head_end = buf:find("\r\n\r\n", 1, true)
  if (head_end or #buf) > HEAD_MAX then
    return { bad = 431, why = ("the request head is over %d bytes"):format(HEAD_MAX) }
  end
  if not head_end then return nil end
  local head = buf:sub(1, head_end + 1)
  local method, target = head:match("^(%S+) (%S+) HTTP/%d%.%d\r\n")
  if not method then return { bad = 400, why = "the request line cannot be read" } end
  local len
  local headers = {}
  for name, value in head:gmatch("\r\n([^:\r\n]*):[ \t]*([^\r\n]*)") do
    name = name:lower()
    headers[name] = headers[name] and headers[name] .. ", " .. value or value
    if name == "transfer-encoding" then
      return { bad = 411, why = "the stand-in reads bodies with a Content-Length only" }
    elseif name == "content-length" then
      value = value:match("^(%d+)[ \t]*$")
      local n = value and (#value < 16 and tonumber(value) or math.huge)
      if not n or (len and n ~= len) then return { bad = 400, why = "the Content-Length cannot be read" } end
      len = n
    end
  end
  if (len or 0) > BODY_MAX then
    return { bad = 413, why = ("the body is over %d bytes"):format(BODY_MAX) }
  end
  local path, query = target:match("^([^?]*)%??(.*)$")
  return { method = method, path = path, query = query, headers = headers, len = len or 0, size = head_end + 3 }
end

-- Whether a header (by lower-case name) may carry a credential: its
-- value is not kept in the log, which a test may print.
local function credential(name)
  return name:find("auth", 1, true) or name:find("cookie", 1, true) or name:find("key", 1, true)
    or name:find("token", 1, true) or name:find("secret", 1, true) or name:find("session", 1, true)
end

-- The log's entry for a request: what it was asked, as text that goes
-- into JSON whatever the peer sent, its Host and its headers (by
-- lower-case name, the values of those that may carry a credential
-- replaced by the core's redaction marker), and its body, decoded, or as
-- text when it is not JSON.
local function log_entry(req, endpoint)
  local headers = {}
  for k, v in pairs(req.headers) do
    headers[text(k)] = credential(k) and core.limits.redacted_marker or text(v)
  end
  local entry = { method = text(req.method), path = text(req.path), query = text(req.query), endpoint = endpoint,
    host = req.headers.host and text(req.headers.host), headers = headers }
  if req.body ~= "" then
    local data = read_body(req.body)
    if data ~= nil then entry.body = data else entry.raw = text(req.body) end
  end
  return entry
end

-- Where the CDN listens: another loopback address than the API's, so
-- that the asset URLs are another origin, as the API's CDN is.
M.CDN_HOST = "127.0.0.2"

-- The CDN's listening socket: on 127.0.0.2, at the API's port when that
-- is free there, else at any; on 127.0.0.1 at another port where
-- 127.0.0.2 cannot be bound (systems that give loopback 127.0.0.1 alone).
-- Returns it, its host and its port.
local function bind_cdn(socket, port)
  local host = M.CDN_HOST
  local cdn = socket.bind(host, port) or socket.bind(host, 0)
  if not cdn then host, cdn = "127.0.0.1", assert(socket.bind("127.0.0.1", 0)) end
  local _, cdn_port = cdn:getsockname()
  return cdn, host, cdn_port
end

-- Serves the stand-in over HTTP on 127.0.0.1, and its CDN (see
-- bind_cdn), until told to stop, or until the process opts.parent is
-- gone: scenario.testing.serve. Prints the READY line
-- (scenario.standin_process) once it listens.
function M.serve(api, opts)
  local socket = require "socket" -- LuaSocket: only the server needs it
  local srv = assert(socket.bind("127.0.0.1", opts.port or 0))
  srv:settimeout(0)
  local _, port = srv:getsockname()
  local cdn, cdn_host, cdn_port = bind_cdn(socket, port)
  cdn:settimeout(0)
  api.cdn_origin = ("http://%s:%d"):format(cdn_host, cdn_port)
  local conns, timers, log = {}, {}, {}
  process.announce(port, cdn_host, cdn_port)
  local function drop(c)
    c.sock:close()
    c.closed = true
    for i, x in ipairs(conns) do
      if x == c then table.remove(conns, i) break end
    end
  end
  -- Sends what it can now; the rest waits in c.out for the socket to be
  -- writable (an answer larger than the socket's buffers goes in parts).
  local function flush(c)
    while c.out ~= "" and not c.closed do
      local sent, err, partial = c.sock:send(c.out)
      local n = sent or partial or 0
      c.out = c.out:sub(n + 1)
      if err == "closed" then return drop(c) end
      if not sent then break end
    end
    if c.out == "" and c.close_after and not c.closed then drop(c) end
  end
  local function send(c, bytes)
    c.out = c.out .. bytes
    flush(c)
  end
  local ok_json = { ["Content-Type"] = "application/json" }
  local function error_answer(status, code, message)
    return render(status, ok_json, assert(core.to_json { status = "error", code = code, message = text(message) }))
  end
  -- The stand-in's own paths, under /__testing/: a test steers it there.
  -- Returns nil to stop.
  local function control(req)
    local what = req.path:match("^/__testing/([%w_]+)$")
    if what == "requests" then return render(200, ok_json, assert(core.to_json(log))) end
    if what == "stop" then return nil end
    if not M.STEERS[what] then
      return render(not_found("no such control: " .. text(req.path)))
    end
    local data, msg = {}, nil
    if req.body ~= "" then data, msg = core.parse_json(req.body) end
    if data == nil then return error_answer(400, "INVALID_PARAMETER", "the body is not JSON: " .. msg) end
    local ok, err = pcall(api[what], api, data) -- what they raise names what is wrong
    if not ok then return error_answer(400, "INVALID_PARAMETER", describe(err)) end
    return render(200, ok_json, "{}")
  end
  api.serving = true -- faults are taken here, a delay and a status together
  local running, next_check = true, 0
  local function serve_one(c, req, now)
    if req.bad then -- a request it cannot read or take: said so, and the connection closed
      c.close_after = true
      return send(c, error_answer(req.bad, "BAD_REQUEST", req.why))
    end
    if not c.cdn and req.path:find("^/__testing/") then
      local answer = control(req)
      if answer == nil then
        send(c, render(200, ok_json, "{}"))
        running = false
      else
        send(c, answer)
      end
      return
    end
    local route = c.cdn and "cdn" or api:route(req.method, req.path)
    log[#log + 1] = log_entry(req, route)
    local fault = route and api:_take_fault(route, "any")
    -- A handler that raises (a template without a field it needs, say)
    -- answers 500 and the server goes on: later tests still reach it.
    local ok, status, headers, body
    if fault and fault.status then
      ok, status, headers, body = pcall(api._fault_answer, api, fault)
    elseif c.cdn then
      ok, status, headers, body = pcall(api.cdn, api, req.method, req.path, req.query, req.headers)
    else
      ok, status, headers, body = pcall(api.handle, api, req.method, req.path, req.query, req.body)
    end
    local bytes = ok and render(status, headers, body, req.method == "HEAD")
      or error_answer(500, "STAND_IN_ERROR", describe(status))
    local delay = fault and (fault.delay or 0) or api.delay
    if (fault and (fault.delay or fault.drop)) or (delay and delay > 0) then
      c.busy = true -- nothing more is read from it until this answer is out
      timers[#timers + 1] = { due = now + delay, conn = c, drop = fault and fault.drop, bytes = bytes }
    else
      send(c, bytes)
    end
  end
  -- Serves every whole request waiting on c, in order, each once the
  -- answer before it is out: a peer that pipelines requests and never
  -- reads holds one answer here, not all of them. A body still arriving
  -- is gathered in c.parts, not by concatenation.
  local function serve_buffered(c, now)
    while running and not c.busy and not c.closed and not c.close_after and c.out == "" do
      local req
      if c.want then
        if c.have < c.want.len then break end
        local all = table.concat(c.parts)
        req, c.want, c.parts, c.have = c.want, nil, nil, 0
        req.body, c.buf = all:sub(1, req.len), all:sub(req.len + 1)
      else
        req = read_head(c.buf)
        if not req then break end
        local rest = req.bad and "" or c.buf:sub(req.size + 1)
        c.buf = rest
        if not req.bad then
          if #rest < req.len then
            c.want, c.parts, c.have, c.buf = req, { rest }, #rest, ""
            break
          end
          req.body, c.buf = rest:sub(1, req.len), rest:sub(req.len + 1)
        end
      end
      serve_one(c, req, now)
    end
  end
  -- Takes what arrived on c.
  local function receive(c, now)
    local data, err, partial = c.sock:receive(65536)
    data = data or partial or ""
    c.seen = now
    if c.want then
      c.parts[#c.parts + 1], c.have = data, c.have + #data
    else
      c.buf = c.buf .. data
    end
    if err == "closed" then return drop(c) end
    serve_buffered(c, now)
  end
  -- What it did not foresee ends that connection only, with a 500 that
  -- says what, and the server goes on.
  local function guarded(c, fn, ...)
    local ok, err = pcall(fn, ...)
    if not ok and not c.closed then
      c.busy, c.close_after, c.want, c.buf = false, true, nil, ""
      pcall(send, c, error_answer(500, "STAND_IN_ERROR", describe(err)))
    end
  end
  local function accept(now, listener)
    local cl = listener:accept()
    if not cl then return false end
    if #conns >= CONNS_MAX then
      local idle = conns[1]
      for _, c in ipairs(conns) do
        if c.seen < idle.seen then idle = c end
      end
      drop(idle)
    end
    cl:settimeout(0)
    cl:setoption("tcp-nodelay", true)
    conns[#conns + 1] = { sock = cl, buf = "", out = "", have = 0, seen = now, cdn = listener == cdn }
    return true
  end
  while running do
    local now = socket.gettime()
    table.sort(timers, function(a, b) return a.due < b.due end)
    while timers[1] and timers[1].due <= now do
      local t = table.remove(timers, 1)
      local c = t.conn
      c.busy = false
      if t.drop then
        drop(c)
      elseif not c.closed then
        guarded(c, function()
          send(c, t.bytes)
          serve_buffered(c, now) -- what was pipelined behind it
        end)
      end
    end
    if now >= next_check then
      if not process.alive(opts.parent) then break end
      next_check = now + 1
    end
    -- Read from a connection only once its last answer is out, as
    -- serve_buffered serves: its input waits in the kernel meanwhile.
    local watch, writing = { srv, cdn }, {}
    for _, c in ipairs(conns) do
      if not c.busy and not c.close_after and c.out == "" then watch[#watch + 1] = c.sock end
      if c.out ~= "" then writing[#writing + 1] = c.sock end
    end
    local wait = timers[1] and math.max(0, math.min(0.5, timers[1].due - now)) or 0.5
    local readable, writable = socket.select(watch, writing, wait)
    now = socket.gettime()
    for _, sk in ipairs(writable or {}) do
      for _, c in ipairs(conns) do
        if c.sock == sk then
          guarded(c, function()
            flush(c)
            serve_buffered(c, now) -- what waited for that answer to go
          end)
          break
        end
      end
    end
    for _, sk in ipairs(readable or {}) do
      if sk == srv or sk == cdn then
        for _ = 1, 32 do -- a burst of connections is not taken one per turn
          if not accept(now, sk) then break end
        end
      else
        for _, c in ipairs(conns) do
          if c.sock == sk then guarded(c, receive, c, now) break end
        end
      end
    end
  end
  for _, c in ipairs(conns) do c.sock:close() end
  srv:close()
  cdn:close()
end

-- The control paths that steer the stand-in: each calls the stand-in's
-- method of its name with the body's options.
M.STEERS = { fault = true, script = true, script_jobs = true, script_urls = true, expire_urls = true }

-- Asks the control path /__testing/<what> of the server on port, each
-- wait bounded by timeout seconds (default 10); returns its answer's
-- status and body, or nil and why.
function M.control(port, what, body, timeout)
  local sock = require("socket").tcp()
  sock:settimeout(timeout or 10)
  local line, err = sock:connect("127.0.0.1", port)
  if line then
    line, err = sock:send(("POST /__testing/%s HTTP/1.1\r\nHost: stand-in\r\nContent-Length: %d\r\n\r\n%s")
      :format(what, #body, body))
  end
  if line then line, err = sock:receive("*l") end
  local status = line and tonumber(line:match("^HTTP/1%.1 (%d+)"))
  local len = 0
  while line and line ~= "" do
    line, err = sock:receive("*l")
    local n = line and line:lower():match("^content%-length:%s*(%d+)")
    if n then len = tonumber(n) end
  end
  local answer
  if line and len > 0 then answer, err = sock:receive(len) elseif line then answer = "" end
  sock:close()
  if not (status and answer) then return nil, ("the stand-in did not answer: %s"):format(tostring(err)) end
  return status, answer
end

return M
