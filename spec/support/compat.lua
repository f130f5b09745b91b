--- What the specs and their helper processes need to run unchanged on
-- Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT.
local M = {}

M.unpack = table.unpack or unpack -- luacheck: ignore 143

--- Loads a Lua data file as text with `env` as its globals.
function M.loadfile(path, env)
  if setfenv then -- 5.1 and LuaJIT: no mode or env arguments
    local f = io.open(path, "rb")
    if not f then return nil, "cannot open " .. path end
    local text = f:read("*a")
    f:close()
    if text:byte(1) == 27 then return nil, path .. ": binary chunks are not loaded" end
    local chunk, err = loadstring(text, "@" .. path) -- luacheck: ignore 113
    if chunk then setfenv(chunk, env) end
    return chunk, err
  end
  return loadfile(path, "t", env)
end

--- Compiles Lua source; nil and the message if this Lua cannot parse it
-- (`local x <close>` before 5.4).
function M.load(source, name)
  return (loadstring or load)(source, name) -- luacheck: ignore 113
end

--- A value whose finaliser runs fn: tables get __gc only from 5.2 on.
function M.on_gc(fn)
  if newproxy then -- luacheck: ignore 113
    local p = newproxy(true) -- luacheck: ignore 113
    getmetatable(p).__gc = fn
    return p
  end
  return setmetatable({}, { __gc = fn })
end

--- Keeps a collection always under way, so that finalisers run in the
-- middle of whatever allocates next.
function M.gc_busy()
  if _VERSION == "Lua 5.4" then
    collectgarbage("incremental", 0, 100)
  else
    collectgarbage("setpause", 0)
    -- Small steps put finalisers between more allocations (5.1 and
    -- LuaJIT); 5.3's collector at 100 barely finalises at all.
    collectgarbage("setstepmul", _VERSION == "Lua 5.3" and 200 or 100)
  end
end

--- Back to the default collector settings.
function M.gc_normal()
  if _VERSION == "Lua 5.4" then
    collectgarbage("incremental", 200, 100)
  else
    collectgarbage("setpause", 200)
    collectgarbage("setstepmul", 200)
  end
end

--- "integer" or "float", as math.type gives from 5.3 on. Before 5.3
-- every number is a double, and one that is integral and below 2^53 in
-- magnitude (so not rounded) is what the module treats as an integer.
function M.number_type(v)
  if type(v) ~= "number" then return nil end
  if math.type then return math.type(v) end
  if v == 0 and 1 / v < 0 then return "float" end -- -0.0 keeps its sign
  return (v == math.floor(v) and math.abs(v) < 2 ^ 53) and "integer" or "float"
end

--- Whether this Lua has integers distinct from floats (5.3 on).
M.has_integers = math.type ~= nil

--- How messages describe an integral number: "an integer" from 5.3 on,
-- where it is its own subtype; before, there is one kind of number.
M.an_integer = M.has_integers and "an integer" or "a number"

--- The largest and smallest integers: 64-bit from 5.3 on, else the
-- range in which a double is exact.
M.maxinteger = math.maxinteger or 2 ^ 53 - 1
M.mininteger = math.mininteger or -(2 ^ 53 - 1)

return M
