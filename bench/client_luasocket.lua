-- The same exchange as a Lua user would write it with LuaSocket and
-- lua-cjson: encode, POST with socket.http, decode. socket.http opens a
-- connection per request.
--   lua5.4 bench/client_luasocket.lua N URL  -> "cpu_seconds wall_seconds"
local http = require "socket.http"
local ltn12 = require "ltn12"
local mime = require "mime"
local socket = require "socket"
local cjson = require "cjson"
local bodies = require "bench.bodies"

local n, url = tonumber(arg[1]), arg[2]
local auth = "Basic " .. mime.b64("bench-key:bench-secret")

local function create(body)
  local payload = cjson.encode(body)
  local chunks = {}
  local _, code = http.request {
    url = url, method = "POST",
    headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json",
      ["Authorization"] = auth, ["Content-Length"] = tostring(#payload) },
    source = ltn12.source.string(payload), sink = ltn12.sink.table(chunks),
  }
  assert(code == 200, "HTTP " .. tostring(code))
  return cjson.decode(table.concat(chunks)).model
end

local body = bodies.typical
assert(create(body))
local c0, t0 = os.clock(), socket.gettime()
for _ = 1, n do assert(create(body).id) end
print(("%.6f %.6f"):format(os.clock() - c0, socket.gettime() - t0))
