-- make bench, part three: the request machine at scale, HTTP/2 against
-- HTTP/1.1, and a long list. Each measurement runs in a fresh process
-- (bench/client_scale.lua), and the contenders of a table take turns in
-- every round, so their ratios compare runs that shared the machine.
--   lua5.4 bench/scale.lua [rounds]   (LUA_PATH/LUA_CPATH as make bench sets them)
local replay = require "spec.support.replay"
local nginx_mod = require "bench.nginx"

local ROUNDS = tonumber(arg[1]) or 3
local QUEUED = { 200, 1000, 8000 } -- the first is the base of the target ratio
local DELAY = 0.05  -- seconds the server holds each answer
local BATCHES = 20  -- of 128 concurrent calls, per multiplexing run
local stats = require "bench.stats"
local sh, median, spread = stats.sh, stats.median, stats.spread
local lua = "lua5.4"

local function fields(out)
  local t = {}
  for x in out:gmatch("%S+") do t[#t + 1] = tonumber(x) or x end
  return t
end

local nginx = nginx_mod.start { models = 10000 }
local server = replay.server()
local ok, err = pcall(function()
  -- ---- queued requests against a server that delays every answer --------
  server.enqueue(replay.answer("get_model", { delay = DELAY, sticky = true }))
  local cpu, rss, heap = {}, {}, {}
  for _, q in ipairs(QUEUED) do cpu[q], rss[q], heap[q] = {}, {}, {} end
  for r = 1, ROUNDS do
    for k = 1, #QUEUED do
      local q = QUEUED[r % 2 == 1 and k or #QUEUED - k + 1]
      local f = fields(sh(("%s bench/client_scale.lua queue %d %s 2>&1"):format(lua, q, server.url)))
      cpu[q][r], rss[q][r], heap[q][r] = f[1], f[2], f[3]
    end
  end
  print(("Queued requests: N get_model_async at once on one client (max_concurrent 50), against the "
    .. "replay server holding each answer %d ms (6,030 bytes); %d rounds, the median and in brackets "
    .. "the lowest and highest round. Memory is measured right after the N submissions, when N − 50 "
    .. "are queued; each result is then waited for in turn and let go."):format(DELAY * 1000, ROUNDS))
  print()
  print(("| queued | client CPU per request (spread) | vs %d | RSS per request (spread) | Lua heap per request |")
    :format(QUEUED[1]))
  print("|---|---|---|---|---|")
  local base = median(cpu[QUEUED[1]])
  for _, q in ipairs(QUEUED) do
    local lo, hi = spread(cpu[q])
    local rlo, rhi = spread(rss[q])
    print(("| %d | %.1f µs (%.1f–%.1f) | %.2f× | %.0f B (%.0f–%.0f) | %.0f B |"):format(q, median(cpu[q]) * 1e6,
      lo * 1e6, hi * 1e6, median(cpu[q]) / base, median(rss[q]), rlo, rhi, median(heap[q])))
  end
  local top = QUEUED[#QUEUED]
  local per = {}
  for r = 1, ROUNDS do per[r] = cpu[top][r] / cpu[QUEUED[1]][r] end
  local plo, phi = spread(per)
  local m = median(per)
  print()
  print(("Targets: CPU per request at %d queued %.2f× that at %d (per-round %.2f–%.2f; target ≤ 1.2×, %s); "
    .. "RSS %.0f B per queued request (target ≤ 2,048 B, %s)."):format(top, m, QUEUED[1], plo, phi,
    m <= 1.2 and "met" or "missed", median(rss[top]), median(rss[top]) <= 2048 and "met" or "missed"))

  -- ---- 128 concurrent calls: one HTTP/2 connection against HTTP/1.1 ------
  local h2cpu, h1cpu, conns, protos = {}, {}, {}, {}
  for r = 1, ROUNDS do
    local order = r % 2 == 1 and { "h2", "h1tls" } or { "h1tls", "h2" }
    for _, which in ipairs(order) do
      local from = nginx.log_lines()
      local f = fields(sh(("%s bench/client_scale.lua multiplex %s %s %d 2>&1"):format(lua, nginx.url(which),
        nginx.cert, BATCHES)))
      local c, lines, by_proto = nginx.connections_since(from)
      if which == "h2" then h2cpu[r] = f[1] else h1cpu[r] = f[1] end
      conns[which] = { f[2], c, lines }
      protos[which] = by_proto
    end
  end
  local ratio = {}
  for r = 1, ROUNDS do ratio[r] = h2cpu[r] / h1cpu[r] end
  local rlo, rhi = spread(ratio)
  local function proto_text(t)
    local parts = {}
    for k, v in pairs(t) do parts[#parts + 1] = ("%d over %s"):format(v, k) end
    table.sort(parts)
    return table.concat(parts, ", ")
  end
  print()
  print(("128 concurrent get_model, %d times over, against nginx over TLS on 127.0.0.1 (6,030-byte "
    .. "answer); %d rounds:"):format(BATCHES, ROUNDS))
  print()
  print("| server | client CPU per request (spread) | connections (client / nginx) | requests, by protocol |")
  print("|---|---|---|---|")
  for _, which in ipairs { "h2", "h1tls" } do
    local t = which == "h2" and h2cpu or h1cpu
    local lo, hi = spread(t)
    print(("| %s | %.1f µs (%.1f–%.1f) | %d / %d | %s |"):format(which == "h2" and "HTTP/2 (ALPN h2)" or
      "HTTP/1.1 only", median(t) * 1e6, lo * 1e6, hi * 1e6, conns[which][1], conns[which][2],
      proto_text(protos[which])))
  end
  print()
  print(("Target: HTTP/2 CPU per request %.2f× HTTP/1.1's (per-round %.2f–%.2f; target ≤ 1.00×, %s)."):format(
    median(ratio), rlo, rhi, median(ratio) <= 1 and "met" or "missed"))

  -- ---- a long list through each_model -----------------------------------
  local counts, growth, page = {}, {}, {}
  for r = 1, ROUNDS do
    local f = fields(sh(("%s bench/client_scale.lua list %s %s/pages/p2.json 2>&1"):format(lua, nginx.url("list"),
      nginx.dir)))
    counts[r], growth[r], page[r] = f[1], f[2], f[3]
  end
  local glo, ghi = spread(growth)
  local q = median(growth) / median(page)
  print()
  print(("each_model over %d models in pages of %d (nginx, %d pages): %d models seen; peak RSS growth "
    .. "%.2f MiB (%.2f–%.2f over %d rounds) against one decoded page's %.2f MiB of Lua heap: %.2f× "
    .. "(target ≤ 2×, %s)."):format(nginx.models, nginx.page_size, nginx.pages, median(counts),
    median(growth) / 2 ^ 20, glo / 2 ^ 20, ghi / 2 ^ 20, ROUNDS, median(page) / 2 ^ 20, q,
    q <= 2 and "met" or "missed"))
end)
nginx.stop()
if not ok then error(err, 0) end
