--[[
A route server for spec/hostile_generation_spec.lua: an API (or a CDN)
that answers what the spec scripts, by path, and notes every request.

Two faces in one file, as spec/support/cdn_server.lua has:

  - required, it is the driver:
      local srv = require("spec.support.hostile23_server").start(routes, host)
      srv.base         -- "http://HOST:PORT"
      srv.url          -- srv.base .. "/v1" (a base_url)
      srv:requests()   -- { {target, path, head, body}, ... } in order
      srv:stop()
  - run as a script (--serve ROUTES LOG PID HOST), it is the server. It
    prints "READY <port>", then serves one connection at a time (every
    answer closes its connection) until its parent PID is gone, or 300 s.

routes maps a path (the target without its query) to an answer, or to a
list of answers taken one per request (the last one repeats); "*" is for
any other path (default: 404). An answer:
  { status = 200, headers = { "Name: value", ... }, body = "..." }
      Content-Length is added unless headers have one (or nolength).
      In body and headers, {{BASE}} is this server's "http://HOST:PORT",
      and {{AUTH}} the request's Authorization header (JSON-escaped).
  { raw = "bytes" }          written as they are, then the connection closed
  { hold = true }            nothing is answered until the client goes (30 s)
  { trickle = n, every = s } headers with Content-Length n, then a byte every s
  delay = s, in any answer: seconds the server sleeps before it (serving nothing else)
]]

local function ser(v)
  local t = type(v)
  if t == "string" then return ("%q"):format(v) end
  if t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
  local parts = {}
  for k, x in pairs(v) do parts[#parts + 1] = "[" .. ser(k) .. "]=" .. ser(x) end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function deser(s)
  return assert((loadstring or load)("return " .. s))() -- luacheck: ignore 113
end

local function serve(routes_path, log_path, parent, host)
  local socket = require "socket"
  local f = assert(io.open(routes_path, "rb"))
  local routes = deser(f:read("*a"))
  f:close()
  local listener = assert(socket.bind(host, 0))
  local port = select(2, listener:getsockname())
  local base = ("http://%s:%d"):format(host, port)
  local log = assert(io.open(log_path, "ab"))
  io.stdout:write(("READY %d\n"):format(port))
  io.stdout:flush()
  local taken, held = {}, {}

  local function send(sock, data)
    local i = 1
    while i <= #data do
      local last, err, partial = sock:send(data, i)
      last = last or partial
      if last and last >= i then i = last + 1 end
      if err and err ~= "timeout" then return false end
    end
    return true
  end

  local function handle(sock)
    local lines = {}
    while true do
      local line = sock:receive("*l")
      if not line then return end
      lines[#lines + 1] = line
      if line == "" then break end
    end
    local head = table.concat(lines, "\r\n")
    local target = (lines[1] or ""):match("^%u+ (%S+)") or ""
    local path = target:match("^[^?]*")
    local len = tonumber(head:lower():match("\ncontent%-length: *(%d+)") or "0")
    local body = len > 0 and sock:receive(len) or ""
    local auth = head:match("\n[Aa]uthorization: *([^\r\n]*)") or ""
    log:write(("%d %d %d\n%s%s%s"):format(#target, #head, #body, target, head, body))
    log:flush()
    local r = routes[path] or routes["*"] or { status = 404, body = "{}" }
    if r[1] then
      taken[path] = (taken[path] or 0) + 1
      r = r[math.min(taken[path], #r)]
    end
    local function fill(s)
      s = s:gsub("{{BASE}}", function() return base end)
      return (s:gsub("{{AUTH}}", function() return (auth:gsub("[\\\"]", "\\%0")) end))
    end
    if r.delay then socket.sleep(r.delay) end
    if r.hold then
      held[#held + 1] = { sock = sock, until_t = socket.gettime() + 30 }
      return true
    end
    if r.raw then
      send(sock, fill(r.raw))
      return
    end
    local h = { ("HTTP/1.1 %d X\r\n"):format(r.status or 200), "Connection: close\r\n" }
    local has_len = false
    for _, line in ipairs(r.headers or {}) do
      h[#h + 1] = fill(line) .. "\r\n"
      if line:lower():find("^content%-length:") then has_len = true end
    end
    local b = fill(r.body or "")
    if r.trickle then
      h[#h + 1] = ("Content-Length: %d\r\n\r\n"):format(r.trickle)
      send(sock, table.concat(h))
      sock:settimeout(1)
      for _ = 1, r.trickle do
        socket.sleep(r.every or 0.5)
        if not send(sock, "x") then return end
      end
      return
    end
    if not has_len and not r.nolength then h[#h + 1] = ("Content-Length: %d\r\n"):format(#b) end
    h[#h + 1] = "\r\n"
    send(sock, table.concat(h) .. b)
  end

  local started, last_check = socket.gettime(), socket.gettime()
  while socket.gettime() - started < 300 do
    local now = socket.gettime()
    if parent and parent ~= "" and now - last_check > 1 then
      last_check = now
      local p = io.open("/proc/" .. parent .. "/stat")
      if not p then return end
      p:close()
    end
    for i = #held, 1, -1 do
      local c = held[i]
      c.sock:settimeout(0)
      local _, err = c.sock:receive(1)
      if err == "closed" or now > c.until_t then
        c.sock:close()
        table.remove(held, i)
      end
    end
    local ready = socket.select({ listener }, nil, 0.05)
    if ready[1] then
      local sock = listener:accept()
      if sock then
        sock:settimeout(5)
        if not handle(sock) then sock:close() end
      end
    end
  end
end

if ... == "--serve" then
  local _, routes_path, log_path, parent, host = ...
  serve(routes_path, log_path, parent, host)
  os.exit(0)
end

-- ---- the driver ------------------------------------------------------------

local M = {}

local server_process = require "spec.support.server_process"
local Server = {}
Server.__index = Server

--- What the server was asked, in order: target, path, head (the request
-- line and headers) and body.
function Server:requests()
  local f = assert(io.open(self.log, "rb"))
  local data = f:read("*a")
  f:close()
  local list, i = {}, 1
  while i <= #data do
    local lt, lh, lb, stop = data:match("^(%d+) (%d+) (%d+)\n()", i)
    if not lt then break end
    lt, lh, lb = tonumber(lt), tonumber(lh), tonumber(lb)
    local target = data:sub(stop, stop + lt - 1)
    local head = data:sub(stop + lt, stop + lt + lh - 1)
    local body = data:sub(stop + lt + lh, stop + lt + lh + lb - 1)
    list[#list + 1] = { target = target, path = target:match("^[^?]*"), head = head, body = body }
    i = stop + lt + lh + lb
  end
  return list
end

--- How many requests went to path.
function Server:count(path)
  local n = 0
  for _, r in ipairs(self:requests()) do
    if r.path == path then n = n + 1 end
  end
  return n
end

function Server:stop()
  if self.stopped then return end
  server_process.stop(self)
  os.remove(self.log)
end

--- Starts a server for routes on host (default 127.0.0.1).
function M.start(routes, host)
  host = host or "127.0.0.1"
  local lua = os.getenv("SCENARIO_TEST_LUA") or "lua5.4"
  local rpath, log = os.tmpname(), os.tmpname()
  local f = assert(io.open(rpath, "wb"))
  f:write(ser(routes))
  f:close()
  local my_pid = require("scenario.standin_process").my_pid
  local ok, pid, proc, ports = pcall(server_process.start, lua, "spec/support/hostile23_server.lua",
    ("--serve %s %s %s %s"):format(rpath, log, my_pid() or "", host), "hostile23 server")
  os.remove(rpath)
  if not ok then error(pid, 0) end
  local port = ports[1]
  local base = ("http://%s:%d"):format(host, port)
  return setmetatable({ pid = pid, proc = proc, log = log, port = port, base = base,
    url = base .. "/v1" }, Server)
end

--- A JSON document of v (plain tables: arrays by [1], objects otherwise).
function M.json(v)
  local t = type(v)
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return ({ ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n" })[c] or ("\\u%04x"):format(c:byte())
    end) .. '"'
  elseif t == "number" then
    if v ~= v then return "NaN" end
    if math.type and math.type(v) == "integer" then return tostring(v) end
    return ("%.17g"):format(v)
  elseif t == "boolean" then
    return tostring(v)
  elseif v == nil then
    return "null"
  end
  local parts = {}
  if v[1] ~= nil or next(v) == nil and getmetatable(v) == M.ARRAY then
    for i = 1, #v do parts[i] = M.json(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for k, x in pairs(v) do parts[#parts + 1] = M.json(tostring(k)) .. ":" .. M.json(x) end
  return "{" .. table.concat(parts, ",") .. "}"
end
M.ARRAY = {}

--- A 200 answer with the JSON of v.
function M.ok(v, status)
  return { status = status or 200, headers = { "Content-Type: application/json" }, body = M.json(v) }
end

return M
