-- Loaded by busted before the specs (see .busted).
local replay = require "spec.support.replay"
local scenario = require "scenario"

local helper = {}

--- The interpreter and module build under test (make check sets both), for
-- the processes the specs start.
helper.LUA = replay.LUA
helper.CPATH = os.getenv("SCENARIO_TEST_CPATH") or "./build/lua5.4/?.so"

helper.API_KEY = "test-key-7f3a"
helper.API_SECRET = "test-secret-c91e"

--- A client against the replay server. Its sleeps are recorded in
-- client.slept instead of blocking.
function helper.client(opts)
  local server = replay.server()
  local slept = {}
  local o = {
    api_key = helper.API_KEY,
    api_secret = helper.API_SECRET,
    base_url = server.url,
    sleep = function(s) slept[#slept + 1] = s end,
    timeout = 5,
  }
  for k, v in pairs(opts or {}) do o[k] = v end
  local client = scenario.new(o)
  client.slept = slept
  return client
end

--- A TCP port on 127.0.0.1 that nothing listened on a moment ago.
function helper.free_port()
  local socket = require "socket"
  local probe = assert(socket.bind("127.0.0.1", 0))
  local port = select(2, probe:getsockname())
  probe:close()
  return port
end

--- Waits (up to 6 s) until something listens on port, or raises.
function helper.wait_listening(port)
  local socket = require "socket"
  for _ = 1, 300 do
    local c = socket.connect("127.0.0.1", port)
    if c then
      c:close()
      return true
    end
    socket.sleep(0.02)
  end
  error("nothing listens on port " .. port)
end

--- The whole file at path, as bytes.
function helper.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

--- Writes bytes to the file at path, whole.
function helper.write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

--- A command still running after helper.SH_LIMIT seconds is killed
-- (status 124 or 137), so that a hung process fails its spec instead of
-- the suite.
helper.SH_LIMIT = 300

-- Starts a shell command; the function returned waits for it and returns
-- what helper.sh does.
local function start_sh(cmd)
  local quoted = "'" .. cmd:gsub("'", "'\\''") .. "'"
  local p = assert(io.popen(("{ timeout -k 5 %d sh -c %s\n} 2>&1; printf '\\n%%s\\n' \"$?\"")
    :format(helper.SH_LIMIT, quoted)))
  return function()
    local out = p:read("*a")
    p:close()
    local body, status = out:match("^(.*)\n(%d+)\n$")
    if status == "124" or status == "137" then
      body = ("%s\n(exit status %s: killed by a timeout; helper.sh allows %d s)"):format(body, status,
        helper.SH_LIMIT)
    end
    return status == "0", body or out
  end
end

--- Runs a shell command: whether it exited with status 0, and its output
-- (stdout and stderr together). The status is echoed after the output,
-- since a popen handle's close reports it only from 5.2 on.
function helper.sh(cmd)
  return start_sh(cmd)()
end

--- A new empty directory, under the system's temporary one.
function helper.tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(helper.sh("mkdir -p " .. d))
  return d
end

--- Runs Lua code in a fresh interpreter (the one under test) that finds
-- the checkout's modules from the working directory. prefix goes before
-- the command: environment settings, or a cd. Returns the output and
-- whether it exited cleanly.
function helper.run_lua(code, prefix)
  return helper.start_lua(code, prefix)()
end

--- Starts Lua code as run_lua runs it, without waiting for it: returns
-- a function that waits for it to end and returns what run_lua does.
function helper.start_lua(code, prefix)
  local script = os.tmpname()
  helper.write(script, code)
  local wait = start_sh(("%s LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='%s;;' %s %s")
    :format(prefix or "", helper.CPATH, helper.LUA, script))
  return function()
    local ok, out = wait()
    os.remove(script)
    return out, ok
  end
end

--- Runs Lua code as run_lua does, with the numeric locale set to de_DE,
-- whose decimal point is ',' (built with localedef into a temporary
-- LOCPATH). input, if given, is the code's standard input.
function helper.run_lua_decimal_comma(code, input)
  local dir = os.tmpname()
  os.remove(dir)
  assert(helper.sh("mkdir -p " .. dir .. " && localedef -i de_DE -f UTF-8 "
    .. dir .. "/de_DE.UTF-8 2>/dev/null"))
  local redirect = ""
  if input then
    local f = assert(io.open(dir .. "/input", "wb"))
    f:write(input)
    f:close()
    redirect = " <" .. dir .. "/input"
  end
  local out, ok = helper.run_lua([[
    assert(os.setlocale("de_DE.UTF-8", "numeric"), "locale not switched")
    -- LuaJIT formats its numbers without the C locale; C's snprintf does not.
    assert(jit or tostring(1.5) == "1,5", "the locale does not use a decimal comma")
  ]] .. code, "LOCPATH=" .. dir .. redirect)
  helper.sh("rm -rf " .. dir)
  return out, ok
end

function helper.basic_auth(key, secret)
  local mime = require "mime"
  return "Basic " .. mime.b64(key .. ":" .. secret)
end

--- A transport like base (scenario.core, or a client's) whose function
-- `name` first tells seen of each call, with its arguments: for specs that
-- count what the request machine asks of the core.
function helper.watching(base, name, seen)
  return setmetatable({
    [name] = function(...)
      seen(...)
      return base[name](...)
    end,
  }, { __index = base })
end

--- Bytes the Lua heap grows by while fn runs, the collector stopped so
-- that nothing is freed meanwhile: what fn makes is counted whether it
-- keeps it or not. LuaJIT's compiler takes its traces from the same heap,
-- so it is off meanwhile.
function helper.allocated(fn)
  local jit = rawget(_G, "jit")
  if jit then jit.off() end
  collectgarbage("collect")
  collectgarbage("stop")
  local before = collectgarbage("count")
  fn()
  local after = collectgarbage("count")
  collectgarbage("restart")
  if jit then jit.on() end
  return (after - before) * 1024
end

package.loaded["spec.helper"] = helper
return helper
