-- The floors in Lua: libcurl on a reused handle (bench/curl_lua.c) and a
-- decoder that builds the answer's table, with nothing else; what any
-- Lua client must at least do for a call.
--   lua5.4 bench/client_floor.lua DECODER CALL N URL
-- DECODER: cjson (lua-cjson) or core (scenario's core.decode, with its
-- shape check); CALL: create (a POST of the precomputed typical body) or
-- get. Prints "cpu_seconds wall_seconds" of the loop.
package.cpath = "./bench/build/?.so;" .. package.cpath
local core = require "scenario.core"
local curl = require "benchcurl"
local bodies = require "bench.bodies"

local decoder, call, n, base = arg[1], arg[2], tonumber(arg[3]), arg[4]
local user_agent = ("scenario-lua/%s libcurl/%s"):format(core._VERSION, core.curl_version)
local h
if call == "create" then
  h = curl.new(base .. "/models", user_agent, core.encode("create_model", bodies.typical))
else
  h = curl.new(base .. "/models/model_x", user_agent)
end
local endpoint = call == "create" and "create_model" or "get_model"
local decode
if decoder == "cjson" then
  local cjson = require "cjson"
  decode = function(s) return cjson.decode(s).model end
else
  local d = core.decode
  decode = function(s) return d(endpoint, s) end -- the model itself, as the client returns it
end

local function once()
  local status, answer = h:perform()
  if status ~= 200 then error("HTTP " .. status) end
  return assert(decode(answer).id)
end

once()
local c0, t0 = os.clock(), core.now()
for _ = 1, n do once() end
print(("%.6f %.6f"):format(os.clock() - c0, core.now() - t0))
