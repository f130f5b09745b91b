-- make bench: everything measured in one invocation, so the ratios
-- compare runs that shared the same machine at the same time.
--   lua5.4 bench/run.lua [rounds]   (LUA_PATH/LUA_CPATH as make bench sets them)
-- Prints Markdown tables; bench/README.md holds a copy with the machine.
local socket = require "socket"
local bodies = require "bench.bodies"

local ROUNDS = tonumber(arg[1]) or 5
local N = 10000        -- calls per round for the in-process clients
local N_CLI = 300      -- curl command-line invocations per round (a process each)
local N_RSS = 100000

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local ok, _, code = p:close()
  if not ok then error(("command failed (%s): %s\n%s"):format(tostring(code), cmd, out)) end
  return out
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
end

-- ---- the server: nginx answering the recorded response ---------------------

local dir = sh("mktemp -d"):gsub("%s+$", "")
local probe = assert(socket.bind("127.0.0.1", 0))
local port = select(2, probe:getsockname())
probe:close()
local response = bodies.realistic_response:gsub("%s+$", "")
assert(not response:find("[$'\\]"), "the response needs nginx escaping")
write(dir .. "/nginx.conf", ([[
worker_processes 1;
daemon on;
user root;
pid %s/nginx.pid;
error_log %s/error.log;
events { worker_connections 1024; }
http {
  log_format bench '$connection $connection_requests $status';
  access_log %s/access.log bench;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path %s/body;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  server {
    listen 127.0.0.1:%d;
    location = /v1/models {
      default_type application/json;
      return 200 '%s';
    }
  }
}
]]):format(dir, dir, dir, dir, dir, dir, dir, dir, port, response))
sh(("nginx -c %s/nginx.conf -p %s 2>&1"):format(dir, dir))
local base = ("http://127.0.0.1:%d/v1"):format(port)
local url = base .. "/models"
write(dir .. "/body.json", require("scenario.core").encode("create_model", bodies.typical))

local function stop()
  pcall(sh, ("kill $(cat %s/nginx.pid) 2>/dev/null; sleep 0.2; rm -rf %s"):format(dir, dir))
end

local function log_lines()
  local n = 0
  for _ in io.lines(dir .. "/access.log") do n = n + 1 end
  return n
end

-- Distinct connections among the log lines after `from`.
local function connections_since(from)
  local seen, count, i = {}, 0, 0
  for line in io.lines(dir .. "/access.log") do
    i = i + 1
    if i > from then
      local c = line:match("^(%d+)")
      if not seen[c] then seen[c], count = true, count + 1 end
    end
  end
  return count, i - from
end

-- ---- the contenders ---------------------------------------------------------

local lua = "lua5.4"
local core = require "scenario.core"
-- scenario's default User-Agent, so that the floor sends the same bytes
local user_agent = ("scenario-lua/%s libcurl/%s"):format(core._VERSION, core.curl_version)
local contenders = {
  { name = "libcurl C loop (floor)", n = N,
    cmd = ("bench/build/floor %d %s %s/body.json '%s'"):format(N, url, dir, user_agent) },
  { name = "libcurl C loop, at-most-once body", n = N,
    cmd = ("bench/build/floor %d %s %s/body.json '%s' once"):format(N, url, dir, user_agent) },
  { name = "scenario", n = N, cmd = ("%s bench/client_scenario.lua %d %s"):format(lua, N, base) },
  { name = "LuaSocket + cjson", n = N, cmd = ("%s bench/client_luasocket.lua %d %s"):format(lua, N, url) },
  { name = "curl command line", n = N_CLI, cli = true,
    cmd = ("bash -c 'for ((i=0;i<%d;i++)); do curl -s -o /dev/null -u bench-key:bench-secret "
      .. "-H \"Content-Type: application/json\" --data-binary @%s/body.json %s || exit 1; done; times'")
      :format(N_CLI, dir, url) },
}

-- CPU seconds and wall seconds of one run.
local function run(c)
  local t0 = socket.gettime()
  local out = sh(c.cmd .. " 2>&1")
  local wall = socket.gettime() - t0
  if c.cli then
    -- bash `times`: the second line is the children's user and system time
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    local um, us, sm, ss = lines[#lines]:match("(%d+)m([%d.]+)s%s+(%d+)m([%d.]+)s")
    return tonumber(um) * 60 + tonumber(us) + tonumber(sm) * 60 + tonumber(ss), wall
  end
  local cpu, w = out:match("([%d.]+) ([%d.]+)")
  return tonumber(cpu), tonumber(w)
end

local ok, err = pcall(function()
  sh("mkdir -p bench/build && cc -O2 -o bench/build/floor bench/floor.c $(pkg-config --cflags --libs libcurl)")
  local cpu, rate = {}, {}
  for i = 1, #contenders do cpu[i], rate[i] = {}, {} end
  local reuse_conns, reuse_calls
  for r = 1, ROUNDS do
    local order = {}
    for i = 1, #contenders do order[i] = i end
    if r % 2 == 0 then -- every other round in reverse
      for i = 1, #order // 2 do order[i], order[#order - i + 1] = order[#order - i + 1], order[i] end
    end
    for _, i in ipairs(order) do
      local c = contenders[i]
      local before = log_lines()
      local secs, wall = run(c)
      if c.name == "scenario" and r == 1 then
        reuse_conns, reuse_calls = connections_since(before)
      end
      cpu[i][r] = secs / c.n
      rate[i][r] = c.n / wall
    end
  end

  -- memory: one client, N_RSS calls
  local rss_out = sh(("%s bench/client_scenario.lua %d %s 1000 %d 2>&1"):format(lua, N_RSS, base, N_RSS))
  local rss = {}
  for calls, bytes in rss_out:gmatch("rss (%d+) (%d+)") do rss[tonumber(calls)] = tonumber(bytes) end

  print(("Round trip: %d rounds; %d calls per round for each in-process client (%d for the "
    .. "command line); the median of the rounds."):format(ROUNDS, N, N_CLI))
  print()
  print("| client | CPU per call (spread) | calls/s | CPU vs floor | CPU vs scenario |")
  print("|---|---|---|---|---|")
  local floor_cpu, ours = median(cpu[1]), median(cpu[3])
  for i, c in ipairs(contenders) do
    local m = median(cpu[i])
    local lo, hi = math.huge, 0
    for _, v in ipairs(cpu[i]) do lo, hi = math.min(lo, v), math.max(hi, v) end
    print(("| %s | %.1f µs (%.1f–%.1f) | %.0f | %.2f× | %.2f× |"):format(c.name, m * 1e6, lo * 1e6,
      hi * 1e6, median(rate[i]), m / floor_cpu, m / ours))
  end
  -- The at-most-once rule, per round: the two floors ran back to back.
  local once_ratio = {}
  for r = 1, ROUNDS do once_ratio[r] = cpu[2][r] / cpu[1][r] end
  local lo, hi = math.huge, 0
  for _, v in ipairs(once_ratio) do lo, hi = math.min(lo, v), math.max(hi, v) end
  print()
  print(("At most once: the read-callback body costs %.2f× the POSTFIELDS floor in CPU "
    .. "(per-round ratios %.2f–%.2f), and %.2f× its wall time per call."):format(median(once_ratio), lo, hi,
    median(rate[1]) / median(rate[2])))
  print()
  print(("Connection reuse: %d calls of the first scenario round arrived on %d TCP connection(s) "
    .. "(nginx $connection in the access log)."):format(reuse_calls, reuse_conns))
  print(("Memory: RSS %.2f MiB after 1,000 calls, %.2f MiB after %d; growth %.1f KiB."):format(
    rss[1000] / 2 ^ 20, rss[N_RSS] / 2 ^ 20, N_RSS, (rss[N_RSS] - rss[1000]) / 1024))
end)
stop()
if not ok then error(err, 0) end
