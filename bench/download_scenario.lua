-- One download with scenario, in a process of its own, for bench/download.lua.
--   lua5.4 bench/download_scenario.lua BASE_URL FILE_URL PATH
-- Measures the call alone (client:download_asset(FILE_URL, PATH)), not the
-- interpreter's start nor the module's loading: prints
-- "cpu_seconds wall_seconds rss_growth_bytes bytes", where the CPU is the
-- process's user plus system time (os.clock: clock(3), the process's CPU
-- time) and the RSS growth is the peak resident size during the call less
-- the resident size before it (the peak is reset first: clear_refs 5).
local scenario = require "scenario"
local core = require "scenario.core"
local status_kb = require("bench.stats").status_kb

local base, url, path = arg[1], arg[2], arg[3]
local client = scenario.new { api_key = "bench-key", api_secret = "bench-secret", base_url = base, max_retries = 0 }

local f = assert(io.open("/proc/self/clear_refs", "w"))
assert(f:write("5"))
f:close()
local rss0 = status_kb("VmRSS")
local c0, t0 = os.clock(), core.now()
local got, meta = client:download_asset(url, path)
local cpu, wall = os.clock() - c0, core.now() - t0
local hwm = status_kb("VmHWM")
if not got then error(tostring(meta)) end
print(("%.6f %.6f %d %d"):format(cpu, wall, hwm - rss0, meta.bytes))
client:close()
