--[[
A CDN for spec/download_core_spec.lua: files behind signed URLs on
127.0.0.2, another host than the API's 127.0.0.1, and a proxy on
127.0.0.1 that notes what it is asked and refuses it.

Two faces in one file, as spec/support/hostile_server.lua has:

  - required, it is the driver:
      local cdn = require("spec.support.cdn_server").start()
      cdn:url("/ok/100")  -- "http://127.0.0.2:PORT/ok/100?" .. SIGNED
      cdn.proxy            -- "127.0.0.1:PORT"
      cdn:requests()       -- the heads it was sent: { {via = "cdn"|"proxy", head = bytes}, ... }
      cdn:stop()
  - run as a script (lua spec/support/cdn_server.lua --serve LOG PID), it
    is the server. It prints "READY <cdn-port> <proxy-port>", then serves
    one connection at a time until its parent PID is gone, or for 600 s.

The CDN answers a request whose target is not exactly the path and
SIGNED, byte for byte, with 400; one that carries Authorization or
Proxy-Authorization with 403, and Cookie with 400: a download that sends
any of them fails. Every answer sets a cookie and closes its connection.
The paths (n is a number of bytes; the body is BLOCK repeated):

  /ok/n        200, Content-Length n, Content-Type "Image/PNG; q=1"
  /big/n       the same as application/octet-stream, written 64 KiB at a time
  /slow/n      the same, 16 KiB every 2 ms: a file that comes over many rounds
  /chunked/n   200, chunked, no Content-Length
  /nolen/n     200, no Content-Length: the body ends with the connection
  /cut/n       chunked, cut off (FIN) after n/2 bytes, without its last chunk
  /short/n     Content-Length n, n/2 bytes, then FIN
  /reset/n     Content-Length n, n/2 bytes, then RST
  /hold/n      Content-Length n, n/4 bytes, then nothing until the client goes
  /partial/n   206 Partial Content, the first n/2 bytes of n with their Content-Range
  /nocontent   204 No Content
  /flaky/n     500 the first time a target is asked for, /ok/n after
  /redirect    302 to ELSEWHERE
  /redirect-relative  302 to /ok/10?SIGNED
  /redirect-http  302 to PLAIN, an http URL on another host
  /hops/n      302 to /hops/(n-1)?SIGNED, and at /hops/0 200 with 10 bytes
  /redirect-self  302 to http://127.0.0.2:PORT/ok/10?SIGNED, this CDN over http
  /expired     403 with S3's XML "Request has expired"
  /huge-error  500 with a Content-Length of 1 MiB, 64 KiB of it, then nothing until the client goes
  DOTS         (see below) 200 with 10 bytes: the target kept dot segments and escapes
]]

local M = {}

-- A CloudFront-like signed query, with the bytes a re-encoding would
-- change: upper- and lower-case escapes, '+', and sub-delimiters.
M.SIGNED = "Policy=eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9jZG4uZXhhbXBsZS8qIn1dfQ__"
  .. "&Signature=Zm9v~YmFy-YmF6_cXV4%2Bq%2fr%3D%3d+x!*'()&Key-Pair-Id=K2JCJMDEHXQW5F"

-- The same, over http: what a download must not follow.
M.PLAIN = "http://0.0.0.0:1/elsewhere/file.png?" .. M.SIGNED

M.DOTS = "/dots/%2E%2E/a%2Fb/../file.png"

-- A URL on another host: 0.0.0.0 is not loopback to the client (no
-- http, proxies apply), but reached directly it is this machine, where
-- nothing listens on port 1: whatever a client does with it (follows
-- it, goes round a proxy), no byte leaves the machine.
M.ELSEWHERE = "https://0.0.0.0:1/elsewhere/file.png?" .. M.SIGNED

-- 64 KiB: lines "0000000\n" to "0008191\n".
local lines = {}
for i = 0, 8191 do lines[#lines + 1] = ("%07d\n"):format(i) end
M.BLOCK = table.concat(lines)

--- The first n bytes of the body every file has.
function M.body(n)
  local b = M.BLOCK
  if n <= #b then return b:sub(1, n) end
  return b:rep(math.floor(n / #b)) .. b:sub(1, n % #b)
end

-- ---- the server ------------------------------------------------------------

local function serve(log_path, parent)
  local socket = require "socket"
  local cdn = assert(socket.bind("127.0.0.2", 0))
  local proxy = assert(socket.bind("127.0.0.1", 0))
  local log = assert(io.open(log_path, "ab"))
  io.stdout:write(("READY %d %d\n"):format(select(2, cdn:getsockname()), select(2, proxy:getsockname())))
  io.stdout:flush()
  local started, asked = socket.gettime(), {}
  local origin = ("http://127.0.0.2:%d"):format(select(2, cdn:getsockname()))

  local function note(via, head)
    log:write(via, " ", #head, "\n", head)
    log:flush()
  end

  local function read_head(sock)
    local head = {}
    while true do
      local line, err = sock:receive("*l")
      if not line then return nil, err end
      head[#head + 1] = line .. "\r\n"
      if line == "" then return table.concat(head) end
    end
  end

  local function send(sock, data)
    local i = 1
    while i <= #data do
      local last, err, partial = sock:send(data, i)
      last = last or partial
      if err == "closed" then return false end
      if last and last >= i then i = last + 1 end
      if err and err ~= "timeout" then return false end
    end
    return true
  end

  local function answer(sock, status, headers, body)
    local h = { ("HTTP/1.1 %s\r\n"):format(status), "Connection: close\r\n", "Set-Cookie: cdn=seen; Path=/\r\n" }
    for _, line in ipairs(headers) do h[#h + 1] = line .. "\r\n" end
    if body and not table.concat(headers, "\n"):find("Content-Length", 1, true) then
      h[#h + 1] = ("Content-Length: %d\r\n"):format(#body)
    end
    h[#h + 1] = "\r\n"
    return send(sock, table.concat(h) .. (body or ""))
  end

  -- Writes n bytes of the body, 64 KiB at a time.
  local function stream(sock, n)
    local b = M.BLOCK
    while n > 0 do
      local piece = n >= #b and b or b:sub(1, n)
      if not send(sock, piece) then return false end
      n = n - #piece
    end
    return true
  end

  local function slowly(sock, n)
    local b = M.BLOCK:sub(1, 16384)
    while n > 0 do
      local piece = n >= #b and b or b:sub(1, n)
      if not send(sock, piece) then return false end
      n = n - #piece
      socket.sleep(0.002)
    end
    return true
  end

  local function chunked(sock, n)
    local step = 10000
    local sent = 0
    while sent < n do
      local piece = M.body(math.min(n, sent + step)):sub(sent + 1)
      if not send(sock, ("%x\r\n%s\r\n"):format(#piece, piece)) then return false end
      sent = sent + #piece
    end
    return true
  end

  -- Sends nothing more until the client goes, or for 30 s.
  local function hold(sock)
    sock:settimeout(0.05)
    local until_t = socket.gettime() + 30
    while socket.gettime() < until_t do
      local _, err = sock:receive(1)
      if err == "closed" then return end
    end
  end

  local function ok_head(n, ctype)
    return { "Content-Type: " .. (ctype or "Image/PNG; q=1"), ("Content-Length: %d"):format(n) }
  end

  local function handle_cdn(sock, head)
    local target = head:match("^GET (%S+) HTTP/1%.1\r\n")
    local lower = head:lower()
    if not target then return answer(sock, "400 Bad Request", {}, "not a GET") end
    if lower:find("\nauthorization:", 1, true) or lower:find("\nproxy%-authorization:") then
      return answer(sock, "403 Forbidden", {}, "credentials were sent to the CDN")
    end
    if lower:find("\ncookie:", 1, true) then return answer(sock, "400 Bad Request", {}, "a cookie was sent") end
    local suffix = "?" .. M.SIGNED
    if target:sub(-#suffix) ~= suffix then
      return answer(sock, "400 Bad Request", {}, "the signed query is not as signed: " .. target)
    end
    local path = target:sub(1, -#suffix - 1)
    if path == M.DOTS then return answer(sock, "200 OK", ok_head(10), M.body(10)) end
    local route, n = path:match("^/([%a-]+)/?(%d*)$")
    n = tonumber(n)
    if route == "ok" and n then return answer(sock, "200 OK", ok_head(n), M.body(n)) end
    if route == "partial" and n then
      local half = math.floor(n / 2)
      local head_lines = ok_head(half)
      head_lines[#head_lines + 1] = ("Content-Range: bytes 0-%d/%d"):format(half - 1, n)
      return answer(sock, "206 Partial Content", head_lines, M.body(n):sub(1, half))
    end
    if route == "nocontent" then return answer(sock, "204 No Content", {}, "") end
    if route == "big" and n then
      answer(sock, "200 OK", ok_head(n, "application/octet-stream"))
      return stream(sock, n)
    end
    if route == "slow" and n then
      answer(sock, "200 OK", ok_head(n, "application/octet-stream"))
      return slowly(sock, n)
    end
    if route == "chunked" and n then
      answer(sock, "200 OK", { "Content-Type: text/plain", "Transfer-Encoding: chunked" })
      return chunked(sock, n) and send(sock, "0\r\n\r\n")
    end
    if route == "nolen" and n then
      answer(sock, "200 OK", { "Content-Type: text/plain" })
      return send(sock, M.body(n))
    end
    if route == "cut" and n then
      answer(sock, "200 OK", { "Content-Type: text/plain", "Transfer-Encoding: chunked" })
      return chunked(sock, math.floor(n / 2))
    end
    if (route == "short" or route == "reset") and n then
      answer(sock, "200 OK", ok_head(n))
      send(sock, M.body(math.floor(n / 2)))
      if route == "reset" then sock:setoption("linger", { on = true, timeout = 0 }) end
      return
    end
    if route == "hold" and n then
      answer(sock, "200 OK", ok_head(n))
      send(sock, M.body(math.floor(n / 4)))
      return hold(sock)
    end
    if route == "flaky" and n then
      asked[target] = (asked[target] or 0) + 1
      if asked[target] == 1 then return answer(sock, "500 Internal Server Error", {}, "try again") end
      return answer(sock, "200 OK", ok_head(n), M.body(n))
    end
    if route == "redirect" then
      return answer(sock, "302 Found", { "Location: " .. M.ELSEWHERE }, "moved")
    end
    if route == "redirect-http" then
      return answer(sock, "302 Found", { "Location: " .. M.PLAIN }, "moved")
    end
    if route == "redirect-self" then -- absolute: from https in front of it (TLS), it leaves https
      return answer(sock, "302 Found", { ("Location: %s/ok/10?%s"):format(origin, M.SIGNED) }, "")
    end
    if route == "hops" and n then
      if n == 0 then return answer(sock, "200 OK", ok_head(10), M.body(10)) end
      return answer(sock, "302 Found", { ("Location: /hops/%d?%s"):format(n - 1, M.SIGNED) }, "")
    end
    if route == "redirect-relative" then
      return answer(sock, "302 Found", { "Location: /ok/10?" .. M.SIGNED }, "")
    end
    if route == "expired" then
      return answer(sock, "403 Forbidden", { "Content-Type: application/xml" },
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
        .. "<Message>Request has expired</Message></Error>")
    end
    if route == "huge-error" then
      answer(sock, "500 Internal Server Error", { "Content-Length: 1048576" })
      stream(sock, 65536)
      return hold(sock)
    end
    return answer(sock, "404 Not Found", {}, "no such file: " .. path)
  end

  local function serve_one(listener, via)
    local sock = listener:accept()
    if not sock then return end
    sock:settimeout(10)
    local head = read_head(sock)
    if head then
      note(via, head)
      if via == "cdn" then
        handle_cdn(sock, head)
      else
        answer(sock, "407 Proxy Authentication Required", { 'Proxy-Authenticate: Basic realm="p"' }, "")
      end
    end
    sock:close()
  end

  local last_check = started
  while socket.gettime() - started < 600 do
    local now = socket.gettime()
    if parent and parent ~= "" and now - last_check > 1 then
      last_check = now
      local p = io.open("/proc/" .. parent .. "/stat")
      if not p then return end
      p:close()
    end
    local ready = socket.select({ cdn, proxy }, nil, 0.2)
    for _, l in ipairs(ready) do serve_one(l, l == cdn and "cdn" or "proxy") end
  end
end

if ... == "--serve" then
  local _, log_path, parent = ...
  serve(log_path, parent)
  os.exit(0)
end

-- ---- the driver ------------------------------------------------------------

local server_process = require "spec.support.server_process"
local Server = {}
Server.__index = Server

--- The signed URL of path on the CDN.
function Server:url(path)
  return ("http://127.0.0.2:%d%s?%s"):format(self.port, path, M.SIGNED)
end

--- The request heads the CDN and the proxy were sent, in order.
function Server:requests()
  local f = assert(io.open(self.log))
  local data = f:read("*a")
  f:close()
  local list, i = {}, 1
  while i <= #data do
    local via, len, stop = data:match("^(%a+) (%d+)\n()", i)
    list[#list + 1] = { via = via, head = data:sub(stop, stop + tonumber(len) - 1) }
    i = stop + tonumber(len)
  end
  return list
end

function Server:stop()
  if self.stopped then return end
  server_process.stop(self)
  os.remove(self.log)
end

function M.start()
  local lua = os.getenv("SCENARIO_TEST_LUA") or "lua5.4"
  local log = os.tmpname()
  local my_pid = require("scenario.standin_process").my_pid
  local pid, proc, ports = server_process.start(lua, "spec/support/cdn_server.lua",
    ("--serve %s %s"):format(log, my_pid() or ""), "the CDN")
  return setmetatable({ pid = pid, proc = proc, log = log, port = ports[1],
    proxy = "127.0.0.1:" .. assert(ports[2], "the CDN named no proxy port") }, Server)
end

return M
