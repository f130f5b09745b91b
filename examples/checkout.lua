-- Where the examples find the library: this checkout, from the path of
-- the script that runs, so that `lua5.4 examples/NAME.lua` works from any
-- directory, with no LUA_PATH set and nothing installed. Each example
-- starts with
--
--   dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example()
--
-- and run_demo.lua uses its paths.
local M = {}

--- Quotes s for the shell.
function M.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- The interpreter running this script ("lua5.4", "luajit"), as arg gives it.
local first = -1
while arg[first - 1] do first = first - 1 end
M.lua = arg[first] or "lua5.4"

M.here = arg[0]:match("^(.*)/[^/]*$") or "."
M.root = M.here:match("^(.*)/examples$") or (M.here == "examples" and ".") or (M.here .. "/..")

-- The module make built for this interpreter (build/<interpreter>/), and
-- the Lua sources beside it; the run of make check names its build.
local cpath = os.getenv("SCENARIO_TEST_CPATH")
if cpath and cpath:sub(1, 2) == "./" then cpath = M.root .. cpath:sub(2) end
M.cpath = cpath or (M.root .. "/build/" .. M.lua:match("[^/]*$") .. "/?.so")
M.lpath = M.root .. "/lua/?.lua;" .. M.root .. "/lua/?/init.lua"
package.path = M.lpath .. ";" .. M.root .. "/?.lua;" .. package.path
package.cpath = M.cpath .. ";" .. package.cpath

--- Ends this process as os.execute's result (ok, how, code) says the
-- command it ran ended: 0, or that command's code (1 where there is none).
function M.exit_as(ok, how, code)
  if type(ok) == "number" then -- Lua 5.1 and LuaJIT: the wait status
    os.exit(ok == 0 and 0 or 1)
  end
  os.exit(ok and 0 or (how == "exit" and code or 1))
end

--- Whether the environment variable name is set and not empty.
function M.has(name)
  local v = os.getenv(name)
  return v ~= nil and v ~= ""
end

--- Whether the environment has the API's credentials.
function M.has_credentials()
  return M.has("SCENARIO_SDK_API_KEY") and M.has("SCENARIO_SDK_API_SECRET")
end

--- For an example: with credentials it goes on, against the API; without
-- them it runs again through run_demo.lua, against the local stand-in, as
-- make demo would, and this process ends with it.
function M.example()
  if M.has_credentials() then return end
  if M.has("SCENARIO_SDK_API_KEY") or M.has("SCENARIO_SDK_API_SECRET") then
    io.stderr:write("Only one of SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET is set: the API needs both.\n")
  end
  local args = {}
  for i = 1, #arg do args[#args + 1] = M.shell_quote(arg[i]) end
  io.stdout:flush()
  M.exit_as(os.execute(("%s %s %s %s"):format(M.shell_quote(M.lua), M.shell_quote(M.here .. "/run_demo.lua"),
    M.shell_quote(arg[0]), table.concat(args, " "))))
end

return M
