-- Runs the scenario command (tools/scenario) as a process, with the
-- interpreter and build under test, for spec/cli_spec.lua and
-- spec/cli_hostile_spec.lua.
local helper = require "spec.helper"
local core = require "scenario.core"

local M = {}

function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
local quote = M.quote

M.ROOT = (function()
  local p = assert(io.popen("pwd"))
  local d = p:read("*l")
  p:close()
  return d
end)()

local function absolute(p)
  if p:sub(1, 2) == "./" then return M.ROOT .. p:sub(2) end
  return p
end

--- The shell command that runs the tool with args (a list), with no
-- credential or base URL from the caller's environment; opts.env
-- (NAME=value settings) before it, opts.cwd its working directory.
function M.command(args, opts)
  opts = opts or {}
  local words = {}
  for i, a in ipairs(args) do words[i] = quote(a) end
  return ("cd %s && env -u SCENARIO_SDK_API_KEY -u SCENARIO_SDK_API_SECRET -u SCENARIO_BASE_URL %s "
    .. "LUA_PATH=%s LUA_CPATH=%s %s %s %s")
    :format(quote(opts.cwd or M.ROOT), opts.env or "",
      quote(M.ROOT .. "/lua/?.lua;" .. M.ROOT .. "/lua/?/init.lua;;"), quote(absolute(helper.CPATH) .. ";;"),
      helper.LUA, quote(M.ROOT .. "/tools/scenario"), table.concat(words, " "))
end

--- A function that runs the tool, killed after limit seconds (a hung
-- command fails its test, not the suite): run(args, opts) gives the exit
-- code, stdout and stderr. opts as command's, and opts.input (stdin's
-- file, default /dev/null) and opts.stdout (where stdout goes instead).
function M.runner(limit)
  return function(args, opts)
    opts = opts or {}
    local dir = helper.tmpdir()
    local out_to = opts.stdout or (dir .. "/out")
    helper.write(dir .. "/out", "")
    local p = assert(io.popen(("timeout -k 5 %d sh -c %s <%s >%s 2>%s/err; echo $?")
      :format(limit, quote(M.command(args, opts)), opts.input or "/dev/null", out_to, dir)))
    local code = tonumber(p:read("*a"):match("(%d+)"))
    p:close()
    local out, err = helper.read(dir .. "/out"), helper.read(dir .. "/err")
    helper.sh("rm -rf " .. quote(dir))
    return code, out, err
  end
end

--- The one JSON document of a --json run (the whole of stdout), read with
-- the library's own parser.
function M.json(out)
  local doc, why = core.parse_json(out)
  assert(doc, ("stdout is not one JSON document (%s): %s"):format(tostring(why), out))
  return doc
end

return M
