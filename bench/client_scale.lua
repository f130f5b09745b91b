-- One scale measurement in a fresh process (bench/scale.lua runs them), so
-- that its memory figures start from the same place.
--   lua5.4 bench/client_scale.lua queue N URL
--     N get_model_async at once (max_concurrent 50), then waits for each in
--     turn, letting its result go.
--     Prints "cpu_per_request rss_bytes_per_request lua_bytes_per_request".
--   lua5.4 bench/client_scale.lua multiplex URL CA_FILE BATCHES
--     BATCHES times: 128 get_model_async at once, then waits for them.
--     Prints "cpu_per_request connections_opened".
--   lua5.4 bench/client_scale.lua list URL PAGE_FILE
--     each_model over the whole list, pages of 500. Prints "models
--     peak_rss_growth_bytes page_lua_bytes".
local scenario = require "scenario"
local core = require "scenario.core"

local mode = arg[1]

local status_kb = require("bench.stats").status_kb

local function client(url, opts)
  local o = { api_key = "bench-key", api_secret = "bench-secret", base_url = url, max_retries = 0, timeout = 120 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return scenario.new(o)
end

if mode == "queue" then
  local n, url = tonumber(arg[2]), arg[3]
  local c = client(url, { max_concurrent = 50 })
  assert(c:get_model("model_x"))
  collectgarbage()
  collectgarbage()
  local rss0, lua0 = status_kb("VmRSS"), collectgarbage("count") * 1024
  local c0 = os.clock()
  local reqs = {}
  for i = 1, n do reqs[i] = assert(c:get_model_async("model_x")) end
  -- all submitted, 50 on the wire and the rest queued
  local rss1, lua1 = status_kb("VmRSS"), collectgarbage("count") * 1024
  -- each result taken and let go, as a caller that handles them as they
  -- come: what is measured is the client, not a heap of 10,000 models
  for i = 1, n do
    assert(reqs[i]:wait())
    reqs[i] = nil
  end
  local cpu = os.clock() - c0
  print(("%.9f %.1f %.1f"):format(cpu / n, (rss1 - rss0) / n, (lua1 - lua0) / n))
elseif mode == "multiplex" then
  local url, ca, batches = arg[2], arg[3], tonumber(arg[4])
  local c = client(url, { ca_file = ca, max_concurrent = 128 })
  assert(c:get_model("model_x"))
  local c0 = os.clock()
  for _ = 1, batches do
    local reqs = {}
    for i = 1, 128 do reqs[i] = assert(c:get_model_async("model_x")) end
    for i = 1, 128 do assert(reqs[i]:wait()) end
  end
  local cpu = os.clock() - c0
  print(("%.9f %d"):format(cpu / (128 * batches), select(3, core.handles(c._handle))))
elseif mode == "list" then
  local url, page_file = arg[2], arg[3]
  local c = client(url)
  collectgarbage()
  collectgarbage()
  -- the peak from here on (Linux: writing 5 resets VmHWM to the current RSS)
  local f = assert(io.open("/proc/self/clear_refs", "w"))
  f:write("5")
  f:close()
  local rss0 = status_kb("VmRSS")
  local count = 0
  for model, err in c:each_model { pageSize = 500 } do
    if not model then error(tostring(err)) end
    count = count + 1
  end
  local growth = status_kb("VmHWM") - rss0
  -- one page, decoded: what the iterator holds at a time
  f = assert(io.open(page_file, "rb"))
  local text = f:read("a")
  f:close()
  collectgarbage()
  collectgarbage()
  local before = collectgarbage("count")
  local page = assert(core.decode("list_models", text))
  local page_bytes = (collectgarbage("count") - before) * 1024
  assert(page)
  print(("%d %d %d"):format(count, growth, page_bytes))
else
  error("mode: queue, multiplex or list")
end
