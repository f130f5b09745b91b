-- A spec's server as a process of its own: started with the interpreter
-- under test, it prints "READY <port> [<port>]" once it listens. The one
-- way the servers of spec/support/ are started and stopped.
local M = {}

--- Runs `<lua> <script> <args>` and waits for its READY line: its pid,
-- the pipe it writes to (closed by stop), and the ports it names, as
-- numbers. Raises, naming what, when it does not start.
function M.start(lua, script, args, what)
  local proc = assert(io.popen(("echo $$; exec %s %s %s"):format(lua, script, args), "r"))
  local pid = proc:read("*l")
  local line = proc:read("*l")
  local ports = {}
  for port in ((line or ""):match("^READY ([%d ]+)$") or ""):gmatch("%d+") do ports[#ports + 1] = tonumber(port) end
  assert(ports[1], what .. " did not start: " .. tostring(line))
  return pid, proc, ports
end

--- Stops the server s started ({pid, proc}), once.
function M.stop(s)
  if s.stopped then return end
  s.stopped = true
  os.execute("kill " .. s.pid .. " 2>/dev/null")
  s.proc:close()
end

return M
