-- Process control for the stand-in's server: running it in an
-- interpreter of its own, the READY line by which it says where it
-- listens, the process ids it watches (its own, its parent's) and its
-- end, asked for and then forced. Linux's /proc tells about processes;
-- where there is none, the ids are unknown and nothing is waited for.
local M = {}

-- How long stop() waits for the server to end once asked, and after a
-- SIGKILL.
local STOP_WAIT, KILL_WAIT = 0.8, 0.5

-- This process's id, as a string, or nil where /proc does not tell.
-- The specs' own helper processes take their parent's from here too.
function M.my_pid()
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  return pid
end

-- Whether the process pid is there (always, when pid is nil).
function M.alive(pid)
  if not pid then return true end
  local f = io.open("/proc/" .. pid .. "/stat")
  if f then f:close() return true end
  return false
end

-- Whether the process pid runs (a zombie does not: it has exited).
local function running(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local stat = f:read("*l") or ""
  f:close()
  local state = stat:match("%) (%a)")
  return state ~= "Z" and state ~= "X"
end

-- The interpreter to run the server with: this one, by its Debian name.
function M.interpreter()
  if rawget(_G, "jit") then return "luajit" end
  return "lua" .. _VERSION:match("%d+%.%d+")
end

-- Says, on standard output, that the server listens on port, and its
-- CDN on cdn_host:cdn_port: the line spawn waits for.
function M.announce(port, cdn_host, cdn_port)
  io.stdout:write(("READY %d %s %s %d\n"):format(port, M.my_pid() or "-", cdn_host, cdn_port))
  io.stdout:flush()
end

-- Runs the Lua source in a process of its own, with the interpreter
-- command lua, and waits for its READY line. Returns the pipe from its
-- standard output, its port, its pid (nil where unknown), and its CDN's
-- host and port; or nil and the line it gave instead, once it has ended.
function M.spawn(lua, source)
  -- The source goes through a file, not the command line: the shell
  -- would expand a $ or a backquote in it (a model template's text, a
  -- path).
  local script = os.tmpname()
  local f = assert(io.open(script, "wb"))
  f:write(source)
  f:close()
  local function quoted(a) return "'" .. a:gsub("'", "'\\''") .. "'" end
  local proc = assert(io.popen(("exec %s %s"):format(lua, quoted(script)), "r"))
  local line = proc:read("*l")
  os.remove(script) -- read by then: the server prints READY once it runs
  local port, pid, cdn_host, cdn_port = (line or ""):match("^READY (%d+) (%S+) (%S+) (%d+)$")
  if not port then
    proc:close()
    return nil, line
  end
  return proc, tonumber(port), tonumber(pid), cdn_host, tonumber(cdn_port)
end

-- Ends the process of child ({proc, pid, socket}: the pipe spawn gave,
-- its pid, LuaSocket) and waits for it: ask(seconds) asks it to stop,
-- waiting that long at most and raising nothing; SIGKILL follows if it
-- has not ended 0.8 s later, so that this returns within 2 s whatever
-- state it is in (where /proc gives its pid).
function M.stop(child, ask)
  local socket, pid = child.socket, child.pid
  local deadline = socket.gettime() + STOP_WAIT
  ask(STOP_WAIT / 2)
  if pid then
    while running(pid) and socket.gettime() < deadline do socket.sleep(0.005) end
    if running(pid) then
      -- Wedged, stopped or deaf to its control path: the pipe's close
      -- below would wait for it for ever.
      os.execute("kill -KILL " .. pid .. " 2>/dev/null")
      deadline = socket.gettime() + KILL_WAIT
      while running(pid) and socket.gettime() < deadline do socket.sleep(0.005) end
    end
  end
  child.proc:close()
end

return M
