--[[
Replay server: serves recorded responses on 127.0.0.1 so that the specs
exercise the real libcurl path, and records the exact bytes it received.

  lua5.4 spec/support/replay_server.lua [--parent PID] [--standin FIXTURE]
                                        [--standin-delay SECONDS]

Prints "READY <data-port> <control-port>" and then serves:
  - the data port: the client under test. Requests are routed by method
    and path to the endpoints of scenario.core's table (core.endpoints:
    the same source the client's methods come from), and each request
    takes the next response queued for its endpoint (a response with
    `endpoint = "get_model"`, say), else the next one queued for any, else
    a 500 REPLAY_EMPTY; a request no endpoint matches, with nothing queued
    for any, gets the API's 404. In stand-in mode it gets a model made
    from the request instead, sent --standin-delay seconds after it,
    default 0. Delays run on timers, so requests on different connections
    wait concurrently. Each recorded request says which endpoint it
    matched (`endpoint`, or nil).
  - the control port, driven by spec/support/replay.lua:
      POST /enqueue   JSON array of responses:
                      {status, headers, body, delay, close, raw}, where
                      raw replaces the rendered bytes, and for faults:
                      fill = {prefix, unit, count, suffix} builds the body,
                      chunks = {{delay, data}, ...} sends raw bytes in
                      steps, reset = true closes with an RST, and
                      sticky = true answers every request from then on.
      GET  /requests  JSON array of recorded requests
      GET  /stats     {connections = data connections accepted, open = still
                      open, queued}
      POST /reset     forget queue, log and counters; drop data connections
      POST /shutdown
It exits by itself when the parent process is gone or after 10 idle minutes.
]]
local socket = require "socket"
local cjson = require "cjson"
local fixtures = require "spec.support.fixtures"

-- The module under test, for its endpoint table and its stand-in (make
-- check sets the C path).
package.cpath = (os.getenv("SCENARIO_TEST_CPATH") or "./build/lua5.4/?.so") .. ";" .. package.cpath
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
local core = require "scenario.core"

-- The routes: each endpoint's method and path as a pattern under /v1,
-- literal segments escaped, each {param} one segment.
local routes = {}
for _, ep in ipairs(core.endpoints) do
  local pattern = "^/v1" .. ep.path:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"):gsub("{[^}]*}", "[^/]+") .. "$"
  routes[#routes + 1] = { method = ep.method, pattern = pattern, name = ep.name }
end

local function route(method, path)
  for _, r in ipairs(routes) do
    if r.method == method and path:find(r.pattern) then return r.name end
  end
end

local args = { ... }
local parent, standin
local standin_delay = 0
for i = 1, #args do
  if args[i] == "--parent" then parent = args[i + 1] end
  if args[i] == "--standin" then standin = args[i + 1] end
  if args[i] == "--standin-delay" then
    standin_delay = tonumber(args[i + 1])
    if not (standin_delay and standin_delay >= 0 and standin_delay < math.huge) then
      io.stderr:write("replay_server: --standin-delay needs a number of seconds, at least 0\n")
      os.exit(2)
    end
  end
end

local data_srv = assert(socket.bind("127.0.0.1", 0))
local ctl_srv = assert(socket.bind("127.0.0.1", 0))
data_srv:settimeout(0)
ctl_srv:settimeout(0)

local queue, log, conns, timers = {}, {}, {}, {}
local routed = {} -- endpoint name -> its own queue
local accepted = 0
local last_activity = socket.gettime()

local reasons = {
  [200] = "OK", [201] = "Created", [302] = "Found", [400] = "Bad Request",
  [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [408] = "Request Timeout", [409] = "Conflict", [422] = "Unprocessable Entity",
  [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable",
}

local function render(resp)
  if resp.raw then return resp.raw end
  local body = resp.body or ""
  if resp.fill then
    local f = resp.fill
    body = (f.prefix or "") .. (f.unit or "x"):rep(f.count or 0) .. (f.suffix or "")
  end
  local lines = { ("HTTP/1.1 %d %s"):format(resp.status, reasons[resp.status] or "Status") }
  local has_length = false
  local names = {}
  for k in pairs(resp.headers or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    lines[#lines + 1] = k .. ": " .. resp.headers[k]
    if k:lower() == "content-length" then has_length = true end
  end
  if not has_length then lines[#lines + 1] = "Content-Length: " .. #body end
  if resp.close then lines[#lines + 1] = "Connection: close" end
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

local function drop(c, reset)
  if reset then c.sock:setoption("linger", { on = true, timeout = 0 }) end
  c.sock:close()
  for i, x in ipairs(conns) do
    if x == c then table.remove(conns, i) break end
  end
end

local function send_all(c, bytes)
  c.sock:settimeout(30)
  local ok = c.sock:send(bytes)
  c.sock:settimeout(0)
  return ok ~= nil
end

-- Parses one request off the front of c.buf, if it is complete.
local function parse(c)
  local head_end = c.buf:find("\r\n\r\n", 1, true)
  if not head_end then return nil end
  local head = c.buf:sub(1, head_end - 1)
  local request_line = head:match("^[^\r\n]*")
  local method, target = request_line:match("^(%S+) (%S+) HTTP/%d%.%d$")
  local headers = {}
  for line in head:gmatch("\r\n([^\r\n]*)") do
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then headers[k:lower()] = v end
  end
  local len = tonumber(headers["content-length"] or "0") or 0
  if #c.buf < head_end + 3 + len then return nil end
  local body = c.buf:sub(head_end + 4, head_end + 3 + len)
  c.buf = c.buf:sub(head_end + 4 + len)
  local path, query = (target or ""):match("^([^?]*)%??(.*)$")
  return {
    method = method, target = target, path = path, query = query,
    headers = headers, head = head, body = body, connection = c.id,
  }
end

local function json_response(status, value)
  local body = cjson.encode(value)
  return render { status = status, headers = { ["Content-Type"] = "application/json" }, body = body }
end

local function control(c, req)
  local p = req.path
  if p == "/enqueue" then
    for _, r in ipairs(cjson.decode(req.body)) do
      if r.endpoint then
        routed[r.endpoint] = routed[r.endpoint] or {}
        table.insert(routed[r.endpoint], r)
      else
        queue[#queue + 1] = r
      end
    end
    return json_response(200, { queued = #queue })
  elseif p == "/requests" then
    return json_response(200, log)
  elseif p == "/stats" then
    local open = 0
    for _, x in ipairs(conns) do
      if x.kind == "data" then open = open + 1 end
    end
    return json_response(200, { connections = accepted, open = open, queued = #queue })
  elseif p == "/reset" then
    queue, log, accepted, timers, routed = {}, {}, 0, {}, {}
    for i = #conns, 1, -1 do
      if conns[i].kind == "data" then drop(conns[i]) end
    end
    return json_response(200, { ok = true })
  elseif p == "/shutdown" then
    send_all(c, json_response(200, { ok = true }))
    os.exit(0)
  end
  return json_response(404, { error = "unknown control path " .. tostring(p) })
end

-- Stand-in mode (make demo): the whole /models resource, held in memory
-- by scenario.testing, each new model starting as the fixture's.
local standin_api

local function standin_response(req)
  if not standin_api then
    local fixture = fixtures.load(standin)
    standin_api = require("scenario.testing").new { model = cjson.decode(fixture.response.body).model }
  end
  local status, headers, body = standin_api:handle(req.method, req.path, req.query, req.body)
  return { status = status, headers = headers, body = body }
end

-- The next response of a queue: a sticky one stays for every request.
local function take(q)
  if q == nil or q[1] == nil then return nil end
  if q[1].sticky then return q[1] end
  return table.remove(q, 1)
end

local function serve(c, req)
  req.endpoint = route(req.method, req.path)
  log[#log + 1] = req
  local resp
  if standin then
    resp = standin_response(req)
    resp.delay = standin_delay
  else
    resp = take(routed[req.endpoint]) or take(queue)
    if resp == nil and req.endpoint == nil then
      resp = { status = 404, headers = { ["Content-Type"] = "application/json" },
               body = cjson.encode { statusCode = 404, error = "Not Found",
                                     message = ("Cannot %s %s"):format(req.method, req.path) } }
    end
    resp = resp or {
      status = 500, headers = { ["Content-Type"] = "application/json" },
      body = '{"status":"error","code":"REPLAY_EMPTY","message":"replay: no response queued"}',
    }
  end
  c.busy = true
  local first = resp.chunks and resp.chunks[1].delay or resp.delay or 0
  timers[#timers + 1] = { due = socket.gettime() + first, conn = c, resp = resp }
end

local function fire(t)
  local c, resp = t.conn, t.resp
  if not c.sock:getfd() or c.sock:getfd() < 0 then return end
  if resp.chunks then
    local i = t.chunk or 1
    local ok = send_all(c, resp.chunks[i].data or "")
    local nxt = resp.chunks[i + 1]
    if ok and nxt then
      timers[#timers + 1] = { due = socket.gettime() + (nxt.delay or 0), conn = c, resp = resp, chunk = i + 1 }
      return
    end
    drop(c, resp.reset)
    return
  end
  c.busy = false
  local ok = send_all(c, render(resp))
  if not ok or resp.close or resp.raw or resp.reset then drop(c, resp.reset) end
end

local function on_readable(c)
  local data, err, partial = c.sock:receive(65536)
  local chunk = data or partial
  if chunk and #chunk > 0 then c.buf = c.buf .. chunk end
  if err == "closed" then
    drop(c)
    return
  end
  while not c.busy do
    local req = parse(c)
    if not req then break end
    if c.kind == "ctl" then
      send_all(c, control(c, req))
      drop(c)
      return
    end
    serve(c, req)
  end
end

local process = require "scenario.standin_process" -- whether the parent is there

io.stdout:write(("READY %d %d\n"):format(select(2, data_srv:getsockname()),
  select(2, ctl_srv:getsockname())))
io.stdout:flush()

local next_check = 0
while true do
  local now = socket.gettime()
  table.sort(timers, function(a, b) return a.due < b.due end)
  while timers[1] and timers[1].due <= now do fire(table.remove(timers, 1)) end
  if now >= next_check then
    if not process.alive(parent) or now - last_activity > 600 then os.exit(0) end
    next_check = now + 1
  end
  local wait = 1
  if timers[1] then wait = math.max(0, math.min(wait, timers[1].due - now)) end
  local watch = { data_srv, ctl_srv }
  for _, c in ipairs(conns) do watch[#watch + 1] = c.sock end
  local readable = socket.select(watch, nil, wait)
  for _, s in ipairs(readable) do
    last_activity = socket.gettime()
    if s == data_srv or s == ctl_srv then
      local client = s:accept()
      if client then
        client:settimeout(0)
        client:setoption("tcp-nodelay", true)
        local kind = s == data_srv and "data" or "ctl"
        if kind == "data" then accepted = accepted + 1 end
        conns[#conns + 1] = { sock = client, buf = "", kind = kind, id = accepted, busy = false }
      end
    else
      for _, c in ipairs(conns) do
        if c.sock == s then on_readable(c) break end
      end
    end
  end
end
