-- Closes the client from a finaliser just as core.finish starts, with the
-- stack at a chosen depth: calling into C then grows the stack, which
-- can run the collector. Used by spec/async_spec.lua, one fresh
-- interpreter per depth (the stack must be new for the growth to happen).
--   lua spec/support/finish_close.lua URL DEPTH LOCALS  -> prints what finish gave
local core = require "scenario.core"
local url, depth, k = arg[1], tonumber(arg[2]), tonumber(arg[3])
local h = core.new { base_url = url, api_key = "key-abcdefgh", api_secret = "secret-abcdefgh" }
local close = getmetatable(h).__index.close
local phase, ran, count = "before", false, {}
local arm
arm = function()
  setmetatable({}, { __gc = function()
    count[phase] = (count[phase] or 0) + 1 -- allocates, as finalisers do
    if phase == "in" and not ran then
      ran = true
      close(h)
    end
    if not ran then arm() end
  end })
end
local call = assert(core.start(h, "create_model", { name = "x" }))
core.submit(call)
repeat core.perform(h, 1) until core.state(call) ~= "running"
local locals = {}
for i = 1, k do locals[i] = "a" .. i end
local final = assert((loadstring or load)("local core, call, setphase, pack = ...\n"
  .. (k > 0 and ("local " .. table.concat(locals, ",") .. "\n") or "")
  .. "setphase('in') local r = pack(pcall(core.finish, call)) setphase('after') return r"))
local function setphase(p) phase = p end
if _VERSION == "Lua 5.4" then collectgarbage("incremental", 1, 1000, 30) end
collectgarbage()
arm()
local function deep(n)
  if n == 0 then return final(core, call, setphase, table.pack or function(...) return { ... } end) end
  local r = deep(n - 1)
  return r
end
local r = deep(depth)
phase, ran = "after", true
-- true and the model, true and nil plus an error value, or false and
-- what finish raised (the call was closed before it began).
local v = r[2]
if r[1] == false then
  io.write("raised ", tostring(v):match("%((.*)%)") or tostring(v), "\n")
else
  io.write(tostring(r[1]), " ", type(v) == "table" and tostring(v.id) or tostring(r[3] and r[3].kind), "\n")
end
