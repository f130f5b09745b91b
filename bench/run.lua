-- make bench: everything measured in one invocation, so the ratios
-- compare runs that shared the same machine at the same time.
--   lua5.4 bench/run.lua [rounds]   (LUA_PATH/LUA_CPATH as make bench sets them)
-- Prints Markdown tables; bench/README.md holds a copy with the machine.
local socket = require "socket"
local bodies = require "bench.bodies"
local stats = require "bench.stats"
local sh, median, spread = stats.sh, stats.median, stats.spread
local CALLGRIND_N = 1001 -- calls in the longer of the two callgrind runs

local ROUNDS = tonumber(arg[1]) or 5
local N = 10000        -- calls per round for the in-process clients
local N_CLI = 300      -- curl command-line invocations per round (a process each)
local N_RSS = 100000


local write = require("spec.helper").write


-- ---- the server: nginx answering the recorded responses (bench/nginx.lua) -------

local nginx = require("bench.nginx").start { models = 500 }
local dir = nginx.dir
local base = nginx.url("plain")
local url = base .. "/models"
write(dir .. "/body.json", require("scenario.core").encode("create_model", bodies.typical))
local stop, log_lines, connections_since = nginx.stop, nginx.log_lines, nginx.connections_since

-- ---- the contenders ---------------------------------------------------------

local lua = "lua5.4"
local core = require "scenario.core"
-- scenario's default User-Agent, so that the floors send the same bytes
local user_agent = ("scenario-lua/%s libcurl/%s"):format(core._VERSION, core.curl_version)
local floor_lua = lua .. " bench/client_floor.lua"
local function floor_c(n, call, mode)
  return ("bench/build/floor %d %s %s '%s'%s"):format(n, call == "get" and url .. "/model_x" or url,
    call == "get" and "-" or dir .. "/body.json", user_agent, mode and " " .. mode or "")
end
-- What both calls are measured with, in the order their tables show.
local function contenders_of(call)
  -- a Lua client's command line: fmt takes the interpreter or script, the call, the count and the URL
  local function script(fmt, runner) return function(n) return fmt:format(runner, call, n, base) end end
  return {
    { name = "libcurl C loop (floor)", call = call, key = "floor", cmd = function(n) return floor_c(n, call) end },
    { name = "libcurl + lua-cjson (Lua module)", call = call, key = "cjson",
      cmd = script("%s cjson %s %d %s", floor_lua) },
    { name = "libcurl + core.decode (Lua module)", call = call, key = "decode",
      cmd = script("%s core %s %d %s", floor_lua) },
    { name = "scenario.core alone (no request machine)", call = call, key = "core",
      cmd = script("%s bench/client_scenario.lua core:%s %d %s", lua) },
    { name = "scenario", call = call, key = "ours", cmd = script("%s bench/client_scenario.lua %s %d %s", lua) },
  }
end
local contenders = contenders_of("create")
-- the create's own: the at-most-once body beside its floor, and the peers
table.insert(contenders, 2, { name = "libcurl C loop, at-most-once body", call = "create", key = "once",
  cmd = function(n) return floor_c(n, "create", "once") end })
contenders[#contenders + 1] = { name = "LuaSocket + cjson", call = "create", key = "luasocket",
  cmd = function(n) return ("%s bench/client_luasocket.lua %d %s"):format(lua, n, url) end }
contenders[#contenders + 1] = { name = "curl command line", call = "create", key = "cli", cli = true, n = N_CLI,
  cmd = function(n)
    return ("bash -c 'for ((i=0;i<%d;i++)); do curl -s -o /dev/null -u bench-key:bench-secret "
      .. "-H \"Content-Type: application/json\" --data-binary @%s/body.json %s || exit 1; done; times'")
      :format(n, dir, url)
  end }
for _, c in ipairs(contenders_of("get")) do contenders[#contenders + 1] = c end
local by = {} -- by[call][key] = index
for i, c in ipairs(contenders) do
  c.n = c.n or N
  by[c.call] = by[c.call] or {}
  by[c.call][c.key] = i
end

-- CPU seconds and wall seconds of one run.
local function run(c)
  local t0 = socket.gettime()
  local out = sh(c.cmd(c.n) .. " 2>&1")
  local wall = socket.gettime() - t0
  if c.cli then return stats.children_cpu(out), wall end
  local cpu, w = out:match("([%d.]+) ([%d.]+)")
  return tonumber(cpu), tonumber(w)
end

-- User-space instructions per call (callgrind).
local function instructions(c) return stats.instructions(c.cmd, CALLGRIND_N) end


local ok, err = pcall(function()
  sh("mkdir -p bench/build && cc -O2 -o bench/build/floor bench/floor.c $(pkg-config --cflags --libs libcurl)"
    .. " && cc -O2 -shared -fPIC -o bench/build/benchcurl.so bench/curl_lua.c "
    .. "$(pkg-config --cflags lua5.4 libcurl) $(pkg-config --libs libcurl)")
  local cpu, rate = {}, {}
  for i = 1, #contenders do cpu[i], rate[i] = {}, {} end
  local reuse_conns, reuse_calls
  for r = 1, ROUNDS do
    for _, i in ipairs(stats.order(#contenders, r)) do
      local c = contenders[i]
      local before = log_lines()
      local secs, wall = run(c)
      if c.key == "ours" and c.call == "create" and r == 1 then
        reuse_conns, reuse_calls = connections_since(before)
      end
      cpu[i][r] = secs / c.n
      rate[i][r] = c.n / wall
    end
  end
  local instr = {}
  if os.getenv("BENCH_NO_CALLGRIND") == nil then
    for i, c in ipairs(contenders) do
      if not c.cli and c.key ~= "luasocket" and c.key ~= "once" then instr[i] = instructions(c) end
    end
  end

  -- memory: one client, N_RSS calls
  local rss_out = sh(("%s bench/client_scenario.lua create %d %s 1000 %d 2>&1"):format(lua, N_RSS, base, N_RSS))
  local rss = {}
  for calls, bytes in rss_out:gmatch("rss (%d+) (%d+)") do rss[tonumber(calls)] = tonumber(bytes) end

  print(("Round trip: %d rounds; %d calls per round for each in-process client (%d for the "
    .. "command line); the median of the rounds, and in brackets the lowest and highest round. "
    .. "nginx on 127.0.0.1 over HTTP/1.1 keep-alive; the create answers %d bytes, the get %d bytes. "
    .. "Instructions: callgrind, user space, per call (%d calls less 1)."):format(ROUNDS, N, N_CLI,
    #bodies.realistic_response:gsub("%s+$", ""), #nginx.get_body, CALLGRIND_N))
  for _, call in ipairs { "create", "get" } do
    print()
    print(("`%s`:"):format(call == "create" and "create_model (POST /v1/models)" or "get_model (GET /v1/models/{id})"))
    print()
    print("| client | CPU per call (spread) | calls/s | instructions per call | CPU vs floor | CPU vs scenario |")
    print("|---|---|---|---|---|---|")
    local floor_cpu, ours = median(cpu[by[call].floor]), median(cpu[by[call].ours])
    for i, c in ipairs(contenders) do
      if c.call == call then
        local m = median(cpu[i])
        local lo, hi = spread(cpu[i])
        print(("| %s | %.1f µs (%.1f–%.1f) | %.0f | %s | %.2f× | %.2f× |"):format(c.name, m * 1e6, lo * 1e6,
          hi * 1e6, median(rate[i]), instr[i] and ("%.0f"):format(instr[i]) or "", m / floor_cpu, m / ours))
      end
    end
  end
  -- The targets of issue 15, per round: contenders that ran back to back.
  print()
  print("| target | create | get |")
  print("|---|---|---|")
  local function ratio_row(label, a, b, want)
    local cells = {}
    for _, call in ipairs { "create", "get" } do
      local x, y = by[call][a], by[call][b]
      local per = {}
      for r = 1, ROUNDS do per[r] = cpu[x][r] / cpu[y][r] end
      local lo, hi = spread(per)
      local m = median(per)
      cells[#cells + 1] = ("%.2f× (%.2f–%.2f) %s"):format(m, lo, hi, m <= want and "met" or "missed")
    end
    print(("| %s | %s | %s |"):format(label, cells[1], cells[2]))
  end
  if next(instr) then
    -- the targets of issue 25: per call, against each floor
    local function instr_row(label, floor, want)
      local cells = {}
      for _, call in ipairs { "create", "get" } do
        local q = instr[by[call].ours] / instr[by[call][floor]]
        cells[#cells + 1] = ("%.3f× (≤ %.2f×) %s"):format(q, want[call], q <= want[call] and "met" or "missed")
      end
      print(("| %s | %s | %s |"):format(label, cells[1], cells[2]))
    end
    instr_row("instructions: scenario against libcurl + core.decode", "decode", { create = 1.10, get = 1.05 })
    instr_row("instructions: scenario against libcurl + lua-cjson", "cjson", { create = 0.85, get = 0.85 })
    -- where the difference lies: in C (the core alone against the floor)
    -- and in the Lua request machine (scenario against the core alone)
    local c_part, lua_part = {}, {}
    for _, call in ipairs { "create", "get" } do
      local ours, alone, floor = instr[by[call].ours], instr[by[call].core], instr[by[call].decode]
      c_part[#c_part + 1] = ("%+.0f (%.3f×)"):format(alone - floor, alone / floor)
      lua_part[#lua_part + 1] = ("%+.0f (%.3f×)"):format(ours - alone, ours / alone)
    end
    print(("| instructions: scenario.core alone against libcurl + core.decode (the C core, driven by a bare "
      .. "Lua loop) | %s | %s |"):format(c_part[1], c_part[2]))
    print(("| instructions: scenario against scenario.core alone (the Lua request machine) | %s | %s |"):format(
      lua_part[1], lua_part[2]))
  end
  ratio_row("CPU: scenario ≤ 0.90× libcurl + lua-cjson (per-round ratio)", "ours", "cjson", 0.90)
  ratio_row("CPU: scenario vs libcurl + core.decode (per-round ratio)", "ours", "decode", 1.05)
  -- The at-most-once rule, per round: the two floors ran back to back.
  local once_ratio = {}
  for r = 1, ROUNDS do once_ratio[r] = cpu[by.create.once][r] / cpu[by.create.floor][r] end
  local lo, hi = spread(once_ratio)
  print()
  print(("At most once: the read-callback body costs %.2f× the POSTFIELDS floor in CPU "
    .. "(per-round ratios %.2f–%.2f), and %.2f× its wall time per call."):format(median(once_ratio), lo, hi,
    median(rate[by.create.floor]) / median(rate[by.create.once])))
  print()
  print(("Connection reuse: %d calls of the first scenario round arrived on %d TCP connection(s) "
    .. "(nginx $connection in the access log)."):format(reuse_calls, reuse_conns))
  print(("Memory: RSS %.2f MiB after 1,000 blocking calls, %.2f MiB after %d; growth %.1f KiB."):format(
    rss[1000] / 2 ^ 20, rss[N_RSS] / 2 ^ 20, N_RSS, (rss[N_RSS] - rss[1000]) / 1024))
end)
stop()
if not ok then error(err, 0) end
