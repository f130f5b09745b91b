--- Drives spec/support/replay_server.lua from the specs: starts it once
-- per busted process, queues responses, reads back what it received.
local socket = require "socket"
local cjson = require "cjson"
local compat = require "spec.support.compat"
local fixtures = require "spec.support.fixtures"

local M = {}

--- The interpreter under test (make check sets it), for the processes the
-- specs start.
M.LUA = os.getenv("SCENARIO_TEST_LUA") or "lua5.4"

local server -- the one running server, started on first use

local my_pid = require("scenario.standin_process").my_pid
local server_process = require "spec.support.server_process"

local function control(method, path, body)
  local sock = assert(socket.connect("127.0.0.1", server.ctl_port))
  sock:settimeout(10)
  body = body or ""
  assert(sock:send(("%s %s HTTP/1.1\r\nHost: replay\r\nContent-Length: %d\r\n\r\n%s")
    :format(method, path, #body, body)))
  local reply = sock:receive("*a")
  sock:close()
  local status, rest = reply:match("^HTTP/1%.1 (%d+).-\r\n\r\n(.*)$")
  assert(status == "200", "replay control " .. path .. " failed: " .. tostring(reply))
  return cjson.decode(rest)
end

--- Loads a recorded exchange from spec/fixtures/<name>.lua (pure data,
-- its body read in: spec/support/fixtures.lua).
M.fixture = fixtures.named

--- The recorded response of fixture name, to enqueue, with the fields of
-- extra (delay, sticky...) set on it.
function M.answer(name, extra)
  local r = M.fixture(name).response
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

--- The running server: url (ending in /v1), reset, enqueue, requests, stats.
-- With a fixture path as `standin`, it answers every create with a model
-- made from that fixture and the request (for make demo), after
-- `opts.delay` seconds if given. The options apply when the server starts:
-- later calls return the running server as it is.
function M.server(standin, opts)
  if server then return server end
  local delay = opts and opts.delay
  assert(delay == nil or (type(delay) == "number" and delay >= 0 and delay < math.huge),
    "replay.server: opts.delay must be a number of seconds, at least 0")
  local pid, proc, ports = server_process.start(M.LUA, "spec/support/replay_server.lua",
    ("--parent %s%s%s"):format(my_pid() or "", standin and (" --standin " .. standin) or "",
      delay and (" --standin-delay %.17g"):format(delay) or ""), "replay server")
  server = {
    port = ports[1],
    ctl_port = assert(ports[2], "replay server named no control port"),
    url = "http://127.0.0.1:" .. ports[1] .. "/v1",
    proc = proc,
  }

  function server.reset() control("POST", "/reset") end

  --- Queues responses: fixture names, or response tables.
  function server.enqueue(...)
    local list = {}
    for i, r in ipairs { ... } do
      list[i] = type(r) == "string" and M.fixture(r).response or r
    end
    control("POST", "/enqueue", cjson.encode(list))
  end

  --- Queues the answers of a directory recorded with the client's
  -- `record` option (scenario.recording), in the order they were
  -- recorded, for whichever request comes: a replay makes its calls in
  -- the order they were recorded.
  function server.enqueue_recording(dir)
    local list = assert(require("scenario.recording").load(dir))
    local answers = {}
    for i, x in ipairs(list) do
      answers[i] = { status = x.response.status, headers = x.response.headers, body = x.response.body }
    end
    control("POST", "/enqueue", cjson.encode(answers))
  end

  function server.requests() return control("GET", "/requests") end
  function server.stats() return control("GET", "/stats") end

  --- Data connections still open once the client side has had up to a
  -- second to close them: 0 as soon as that is reached.
  function server.open_after_close()
    local open
    for _ = 1, 100 do
      open = server.stats().open
      if open == 0 then break end
      socket.sleep(0.01)
    end
    return open
  end

  -- Stops the server before the popen handle is closed (closing waits for
  -- the process); finalisers run in reverse order of creation. A signal,
  -- not a control request: LuaJIT may have unloaded LuaSocket by the time
  -- this runs at exit, and a socket made now would be finalised after.
  server.guard = compat.on_gc(function() server_process.stop { pid = pid, proc = proc } end)
  return server
end

return M
