--[[
A hostile HTTP server for spec/hostile_spec.lua: "the server someone else
wrote". It is written from scratch, independent of replay_server.lua, so
that the client is attacked by code that shares none of its assumptions.

Two faces in one file:

  - required (require "spec.support.hostile_server"), it is the driver:
      local srv = hostile.start(plan)  -- a fresh server process per plan
      srv.url                           -- "http://127.0.0.1:PORT/v1"
      srv:stats()                       -- what it saw (see below)
      srv:close_idle(how)               -- drop every open data connection now
      srv:stop()
  - run as a script (lua spec/support/hostile_server.lua --serve PLAN PID),
    it is the server. It prints "READY <data-port> <control-port>" once,
    then serves until told to quit, until the parent process PID is gone,
    or after 120 seconds, whichever comes first.

A plan is a table: { actions = { action, ... }, default = action }.
Requests take the actions in the order their first byte arrives, over
every connection; past the list, each takes `default`. An action:

  read   how much of the request the server takes in before it acts:
         "all" (default), "headers", "first" (its first bytes), or a
         number of body bytes after the headers
  reply  the raw bytes to write (nil: none), or a list of
         { data = bytes, delay = seconds before it } steps. With
         template = true, {{AUTH}} {{TOKEN}} {{USER}} {{PASS}} (and their
         *_JSON forms, '/' written as '\/', and *_GSON forms, '=' written
         as \u003d) are replaced by what the request carried, {{N}} by
         the request's number, and {{LENGTH}} by the length of what
         follows the blank line.
  after  once the reply is out: "keep" (default; the rest of the request
         is read, and the connection serves the next one), "fin" (close),
         "rst" (SO_LINGER 0, then close: a reset), "hold" (read and
         discard, never answer)
  after_delay  seconds to wait before `after`
  late   { data = bytes, delay = seconds }: written onto the connection
         that long after the reply, while it sits idle

stats() gives { accepts = n, requests = { r, ... }, open = n }, and each
request r: { n, conn, line (the request line, once seen), method, target,
headers (lower-case names, once complete), content_length, body_read
(body bytes the server took in), complete (the whole body was read),
body (its first 4 KiB), bytes (every byte of the request seen) }.
]]

-- Serialises plain data (strings, numbers, booleans, tables) as a Lua
-- expression; every Lua from 5.1 on reads it back.
local function ser(v)
  local t = type(v)
  if t == "string" then
    return ("%q"):format(v)
  elseif t == "number" then
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return ("%d"):format(v) end
    return ("%.17g"):format(v)
  elseif t == "boolean" or t == "nil" then
    return tostring(v)
  elseif t == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = "[" .. ser(k) .. "]=" .. ser(x) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("hostile_server: cannot serialise a " .. t)
end

local function deser(s)
  local chunk = assert((loadstring or load)("return " .. s)) -- luacheck: ignore 113
  return chunk()
end

-- ---- the server ------------------------------------------------------------

local function serve(plan_path, parent)
  local socket = require "socket"
  local mime = require "mime"

  local f = assert(io.open(plan_path, "rb"))
  local plan = deser(f:read("*a"))
  f:close()
  plan.actions = plan.actions or {}

  local listener = assert(socket.bind("127.0.0.1", 0))
  local ctl = assert(socket.bind("127.0.0.1", 0))
  listener:settimeout(0)
  ctl:settimeout(0)
  io.stdout:write(("READY %d %d\n"):format(select(2, listener:getsockname()), select(2, ctl:getsockname())))
  io.stdout:flush()

  local started = socket.gettime()
  local stats = { accepts = 0, requests = {} }
  local conns = {}   -- open data connections, in accept order
  local timers = {}  -- { at = time, fn = function }
  local nreq = 0

  local function later(delay, fn)
    timers[#timers + 1] = { at = socket.gettime() + (delay or 0), fn = fn }
  end

  local function drop(conn, how)
    if conn.closed then return end
    conn.closed = true
    if how == "rst" then conn.sock:setoption("linger", { on = true, timeout = 0 }) end
    conn.sock:close()
    for i, c in ipairs(conns) do
      if c == conn then
        table.remove(conns, i)
        break
      end
    end
  end

  -- Writes what it can of the connection's output now; the rest when the
  -- socket is writable again.
  local function flush(conn)
    while not conn.closed and conn.out[1] do
      local data = conn.out[1]
      local last, err, partial = conn.sock:send(data, conn.out_pos)
      last = last or partial
      if last and last >= #data then
        table.remove(conn.out, 1)
        conn.out_pos = 1
      else
        if last and last >= conn.out_pos then conn.out_pos = last + 1 end
        if err == "closed" then drop(conn) end
        return
      end
    end
    if not conn.closed and conn.out[1] == nil and conn.when_flushed then
      local fn = conn.when_flushed
      conn.when_flushed = nil
      fn()
    end
  end

  local function write(conn, data)
    if conn.closed or data == "" then return end
    conn.out[#conn.out + 1] = data
    flush(conn)
  end

  local function json_form(s) return (s:gsub("/", "\\/")) end
  local function gson_form(s) return (s:gsub("=", "\\u003d")) end

  -- The reply of an action for request req, its placeholders filled in.
  local function render(data, req)
    local auth = req.headers and req.headers.authorization or ""
    local token = auth:match("^Basic%s+(%S+)") or ""
    local plain = token ~= "" and (mime.unb64(token) or "") or ""
    local user, pass = plain:match("^([^:]*):(.*)$")
    local values = { AUTH = auth, TOKEN = token, USER = user or "", PASS = pass or "", N = tostring(req.n) }
    data = data:gsub("{{(%u+)_?(%u*)}}", function(name, form)
      local v = values[name]
      if v == nil then return nil end
      if form == "JSON" then return json_form(v) end
      if form == "GSON" then return gson_form(v) end
      return v
    end)
    local head_end = data:find("\r\n\r\n", 1, true)
    if head_end then
      local length = #data - head_end - 3
      data = data:gsub("{{LENGTH}}", tostring(length))
    end
    return data
  end

  local process -- forward

  local function finish_action(conn, action)
    local after = action.after or "keep"
    local function go()
      if conn.closed then return end
      if after == "fin" then
        drop(conn)
      elseif after == "rst" then
        drop(conn, "rst")
      elseif after == "hold" then
        conn.holding = true
      else
        conn.waiting = false
        process(conn)
      end
    end
    if action.after_delay then later(action.after_delay, go) else go() end
  end

  -- Acts on request req of the connection: writes the reply (now, or in
  -- timed steps), then does what comes after. Nothing more is read from
  -- the connection meanwhile.
  local function act(conn, req, action)
    conn.acted = true
    conn.waiting = true
    local steps = action.reply
    if type(steps) == "string" then steps = { { data = steps } } end
    steps = steps or {}
    local function done_writing()
      conn.when_flushed = function()
        if action.late then
          later(action.late.delay, function() write(conn, action.late.data) end)
        end
        finish_action(conn, action)
      end
      flush(conn)
    end
    local function step(i)
      if conn.closed then return end
      local s = steps[i]
      if s == nil then return done_writing() end
      local function send_it()
        if conn.closed then return end
        write(conn, action.template and render(s.data, req) or s.data)
        step(i + 1)
      end
      if s.delay and s.delay > 0 then later(s.delay, send_it) else send_it() end
    end
    step(1)
  end

  local function parse_head(req, head)
    req.headers = {}
    for name, value in head:gmatch("\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
      name = name:lower()
      req.headers[name] = req.headers[name] and (req.headers[name] .. ", " .. value) or value
    end
    req.content_length = tonumber(req.headers["content-length"] or "0") or 0
  end

  -- Moves the connection's requests forward over what it has received.
  -- Every act ends the pass: the action resumes processing when it is over.
  function process(conn)
    while not conn.closed and not conn.waiting and not conn.holding do
      local buf = conn.inbuf
      if conn.req == nil then
        if buf == "" then return end
        nreq = nreq + 1
        conn.req = { n = nreq, conn = conn.id, body_read = 0, complete = false, bytes = 0, body = "" }
        conn.action = plan.actions[nreq] or plan.default or {}
        conn.acted = false
        conn.state = "head"
        stats.requests[nreq] = conn.req
      end
      local req, action = conn.req, conn.action
      local read = action.read or "all"
      if conn.state == "head" then
        req.line = req.line or buf:match("^([^\r\n]*)\r\n")
        if req.line and not req.method then req.method, req.target = req.line:match("^(%S+)%s+(%S+)") end
        req.bytes = #buf
        if read == "first" and not conn.acted then return act(conn, req, action) end
        local head_end = buf:find("\r\n\r\n", 1, true)
        if not head_end then return end
        parse_head(req, buf:sub(1, head_end + 3))
        req.bytes = head_end + 3
        conn.inbuf = buf:sub(head_end + 4)
        conn.state = "body"
        if read == "headers" and not conn.acted then return act(conn, req, action) end
      else
        local take = math.min(req.content_length - req.body_read, #buf)
        if type(read) == "number" and not conn.acted then take = math.min(take, read - req.body_read) end
        if take > 0 then
          if #req.body < 4096 then req.body = req.body .. buf:sub(1, math.min(take, 4096 - #req.body)) end
          req.body_read = req.body_read + take
          req.bytes = req.bytes + take
          conn.inbuf = buf:sub(take + 1)
        end
        if req.body_read >= req.content_length then
          req.complete = true
          conn.req = nil
          if not conn.acted then return act(conn, req, action) end
        elseif type(read) == "number" and not conn.acted and req.body_read >= read then
          return act(conn, req, action)
        elseif take == 0 then
          return
        end
      end
    end
  end

  local function receive(conn)
    local data, err, partial = conn.sock:receive(65536)
    data = data or partial
    if data and data ~= "" then
      if conn.holding then
        if conn.req then conn.req.bytes = conn.req.bytes + #data end
      else
        conn.inbuf = conn.inbuf .. data
        process(conn)
      end
    end
    if err == "closed" then
      conn.peer_closed = true
      drop(conn)
    end
  end

  local function accept()
    local sock = listener:accept()
    if sock == nil then return end
    sock:settimeout(0)
    stats.accepts = stats.accepts + 1
    local conn = { id = stats.accepts, sock = sock, inbuf = "", out = {}, out_pos = 1 }
    conns[#conns + 1] = conn
  end

  local function by_sock(sock)
    for _, c in ipairs(conns) do
      if c.sock == sock then return c end
    end
  end

  local function run_timers()
    local now = socket.gettime()
    local due = {}
    for i = #timers, 1, -1 do
      if timers[i].at <= now then
        due[#due + 1] = timers[i]
        table.remove(timers, i)
      end
    end
    table.sort(due, function(a, b) return a.at < b.at end)
    for _, t in ipairs(due) do t.fn() end
  end

  -- Takes in whatever has already arrived (connections, bytes), so that
  -- stats() reports everything the client did before asking.
  local function drain()
    local quiet = 0
    for _ = 1, 200 do
      local recvt = { listener }
      for _, c in ipairs(conns) do recvt[#recvt + 1] = c.sock end
      local ready = socket.select(recvt, nil, 0.01)
      if #ready == 0 then
        quiet = quiet + 1
        if quiet >= 2 then return end
      else
        quiet = 0
        for _, s in ipairs(ready) do
          if s == listener then
            accept()
          else
            local c = by_sock(s)
            if c then receive(c) end
          end
        end
      end
    end
  end

  local function summary()
    local list = {}
    for i = 1, nreq do
      local r = stats.requests[i]
      list[i] = {
        n = r.n, conn = r.conn, line = r.line, method = r.method, target = r.target,
        headers = r.headers, content_length = r.content_length, body_read = r.body_read,
        complete = r.complete, body = r.body, bytes = r.bytes,
      }
    end
    return { accepts = stats.accepts, requests = list, open = #conns }
  end

  local function control(sock)
    sock:settimeout(5)
    local line = sock:receive("*l") or ""
    local cmd, arg = line:match("^(%u+)%s*(%S*)")
    if cmd == "STATS" then
      drain()
      sock:send(ser(summary()))
    elseif cmd == "CLOSE" then
      drain()
      local list = {}
      for i, c in ipairs(conns) do list[i] = c end
      for _, c in ipairs(list) do
        if c.out[1] == nil then drop(c, arg == "rst" and "rst" or nil) end
      end
      sock:send("ok")
    elseif cmd == "QUIT" then
      sock:send("ok")
      sock:close()
      return true
    end
    sock:close()
  end

  local last_parent_check = started
  while true do
    local now = socket.gettime()
    if now - started > 120 then return end
    if parent and parent ~= "" and now - last_parent_check > 1 then
      last_parent_check = now
      local p = io.open("/proc/" .. parent .. "/stat")
      if not p then return end
      p:close()
    end
    local wait = 0.05
    for _, t in ipairs(timers) do
      if t.at - now < wait then wait = math.max(0, t.at - now) end
    end
    local recvt, sendt = { listener, ctl }, {}
    for _, c in ipairs(conns) do
      recvt[#recvt + 1] = c.sock
      if c.out[1] then sendt[#sendt + 1] = c.sock end
    end
    local readable, writable = socket.select(recvt, sendt, wait)
    for _, s in ipairs(writable or {}) do
      local c = by_sock(s)
      if c then flush(c) end
    end
    for _, s in ipairs(readable or {}) do
      if s == listener then
        accept()
      elseif s == ctl then
        local cs = ctl:accept()
        if cs and control(cs) then
          for _, c in ipairs(conns) do c.sock:close() end
          return
        end
      else
        local c = by_sock(s)
        if c then receive(c) end
      end
    end
    run_timers()
  end
end

if ... == "--serve" then
  local _, plan_path, parent = ...
  serve(plan_path, parent)
  os.exit(0)
end

-- ---- the driver ------------------------------------------------------------

local M = { ser = ser }

M.LUA = os.getenv("SCENARIO_TEST_LUA") or "lua5.4"

-- The driver's pid, for the server to watch (the library's reading of
-- /proc: process plumbing, not HTTP, so the server's independence stands).
local my_pid = require("scenario.standin_process").my_pid
local server_process = require "spec.support.server_process"

local Server = {}
Server.__index = Server

function Server:_control(line)
  local socket = require "socket"
  local sock = assert(socket.connect("127.0.0.1", self.ctl_port))
  sock:settimeout(10)
  assert(sock:send(line .. "\n"))
  local reply = sock:receive("*a")
  sock:close()
  return reply
end

--- What the server saw, once it has taken in everything already sent.
function Server:stats()
  return deser(self:_control("STATS"))
end

--- Closes every data connection that is not writing (FIN, or RST with
-- how = "rst"), as a server does with idle keep-alive connections.
function Server:close_idle(how)
  assert(self:_control("CLOSE " .. (how or "fin")) == "ok")
end

function Server:stop()
  if self.stopped then return end
  pcall(self._control, self, "QUIT")
  server_process.stop(self)
end

--- Starts a server process for the plan; see the top of this file.
function M.start(plan)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(ser(plan))
  f:close()
  local ok, pid, proc, ports = pcall(server_process.start, M.LUA, "spec/support/hostile_server.lua",
    ("--serve %s %s"):format(path, my_pid() or ""), "hostile server")
  os.remove(path)
  if not ok then error(pid, 0) end
  return setmetatable({
    pid = pid, proc = proc, port = ports[1], ctl_port = assert(ports[2], "hostile server named no control port"),
    url = "http://127.0.0.1:" .. ports[1] .. "/v1",
  }, Server)
end

return M
