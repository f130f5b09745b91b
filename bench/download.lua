-- make bench: a 100 MB file (10^8 random bytes) downloaded from nginx on
-- 127.0.0.1 over HTTP/1.1, by client:download_asset and by the curl command
-- line, taking turns within each round.
--   lua5.4 bench/download.lua [rounds]   (LUA_PATH/LUA_CPATH as make bench sets them)
-- Prints a Markdown table and the targets; bench/README.md says how to read it.
local core = require "scenario.core"
local stats = require "bench.stats"
local sh, median, spread = stats.sh, stats.median, stats.spread

local ROUNDS = tonumber(arg[1]) or 9
local BYTES = 100 * 1000 * 1000 -- MB here is 10^6 bytes
local MB = BYTES / 1e6
local TINY = 1000               -- the file whose download is a curl process's start-up
local BASELINE_RUNS = 5

local nginx = require("bench.nginx").start { models = 1 }
local dir = nginx.dir
local base = nginx.url("plain")
local host = base:gsub("/v1$", "")
local url, tiny_url = host .. "/files/big.bin", host .. "/files/tiny.bin"
local out = dir .. "/out.bin" -- beside the served file: the same file system for every contender

local function size_of(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

local function sha256(path) return (sh("sha256sum " .. path):match("^(%x+)")) end

-- The curl command line, in a bash that reports its wall time and its
-- children's CPU (`times`); /usr/bin/time gives curl's peak RSS. With
-- fsync, `sync FILE` then puts the file on the disk, as scenario does
-- before it renames its temporary file over the path.
local function curl_cmd(from, to, fsync)
  return ("bash -c 's=$EPOCHREALTIME; /usr/bin/time -f \"maxrss %%M\" curl -s -o %s %s || exit 1; %s"
    .. "e=$EPOCHREALTIME; echo \"wall $s $e\"; times' 2>&1"):format(to, from,
    fsync and ("sync " .. to .. " || exit 1; ") or "")
end

-- A curl run: its CPU seconds (curl's and, with fsync, sync's), wall
-- seconds and peak RSS in bytes, from the start of its process on.
local function run_curl(from, to, fsync)
  local text = sh(curl_cmd(from, to, fsync))
  local s, e = text:match("wall ([%d.]+) ([%d.]+)")
  local rss = tonumber(text:match("maxrss (%d+)")) * 1024
  return stats.children_cpu(text), tonumber(e) - tonumber(s), rss
end

local contenders = {
  { name = "scenario `download_asset`", key = "ours" },
  { name = "curl command line", key = "curl" },
  { name = "curl command line + `sync FILE` (fsync)", key = "fsync", fsync = true },
}

local function start_up(c)
  local cpu, wall, rss = {}, {}, {}
  for i = 1, BASELINE_RUNS do
    cpu[i], wall[i], rss[i] = run_curl(tiny_url, out, c.fsync)
    assert(size_of(out) == TINY, "the tiny download is not whole")
    os.remove(out)
  end
  return { cpu = median(cpu), wall = median(wall), rss = median(rss) }
end

-- One download by c into out: CPU seconds, wall seconds, RSS growth in
-- bytes, the download alone.
local function download(c)
  if c.key == "ours" then
    local text = sh(("lua5.4 bench/download_scenario.lua %s %s %s 2>&1"):format(base, url, out))
    local cpu, wall, rss, bytes = text:match("^([%d.]+) ([%d.]+) (%-?%d+) (%d+)")
    assert(tonumber(bytes) == BYTES, text)
    return tonumber(cpu), tonumber(wall), tonumber(rss)
  end
  local cpu, wall, rss = run_curl(url, out, c.fsync)
  local s = c.start_up
  return cpu - s.cpu, wall - s.wall, rss - s.rss
end

local ok, err = pcall(function()
  local t_start = core.now()
  -- then on the disk: ext4's fsync (scenario's, and sync FILE's) would
  -- otherwise write the served file's dirty pages too, in its first round
  sh(("head -c %d /dev/urandom > %s/files/big.bin && head -c %d /dev/urandom > %s/files/tiny.bin && sync")
    :format(BYTES, dir, TINY, dir))
  local want = sha256(dir .. "/files/big.bin")
  for _, c in ipairs(contenders) do
    if c.key ~= "ours" then c.start_up = start_up(c) end
    c.mbps, c.cpu, c.rss = {}, {}, {}
  end
  for r = 1, ROUNDS do
    for _, i in ipairs(stats.order(#contenders, r)) do
      local c = contenders[i]
      os.remove(out)
      local cpu, wall, rss = download(c)
      -- a broken download must not pass for a fast one
      assert(size_of(out) == BYTES, ("%s: the file has %s bytes"):format(c.name, tostring(size_of(out))))
      if r == 1 then assert(sha256(out) == want, c.name .. ": the file differs from the served one") end
      os.remove(out)
      c.mbps[r], c.cpu[r], c.rss[r] = MB / wall, cpu * 1000 / MB, rss
    end
  end

  print(("Download: a %d MB file (%d random bytes; MB = 10^6 bytes) from nginx on 127.0.0.1 (HTTP/1.1, "
    .. "sendfile) into the same temporary directory, each download a new process and a new file, "
    .. "checked (size every time, SHA-256 in round 1) and removed; %d rounds in alternating order; "
    .. "the median of the rounds, and in brackets the lowest and highest round. scenario: the "
    .. "`download_asset` call alone, measured inside its process. curl: the whole process less the "
    .. "median of %d downloads of a %d-byte file (start-up and connection)."):format(MB, BYTES, ROUNDS,
    BASELINE_RUNS, TINY))
  print()
  print("| downloader | MB/s (wall) | CPU ms per MB (user+sys) | peak RSS growth (MB) |")
  print("|---|---|---|---|")
  local function cell(t, fmt)
    local lo, hi = spread(t)
    return (fmt .. " (" .. fmt .. "–" .. fmt .. ")"):format(median(t), lo, hi)
  end
  for _, c in ipairs(contenders) do
    local rss_mb = {}
    for r, v in ipairs(c.rss) do rss_mb[r] = v / 1e6 end
    print(("| %s | %s | %s | %s |"):format(c.name, cell(c.mbps, "%.0f"), cell(c.cpu, "%.2f"), cell(rss_mb, "%.2f")))
  end
  local ours = contenders[1]
  local function verdict(b) return b and "met" or "missed" end
  local rss = median(ours.rss) / 1e6
  for _, k in ipairs { 2, 3 } do
    local c = contenders[k]
    local tr, cr = median(ours.mbps) / median(c.mbps), median(ours.cpu) / median(c.cpu)
    print()
    print(("Targets against %s: throughput %.2f× (≥ 0.9×: %s), CPU per MB %.2f× (≤ 1.2×: %s), "
      .. "RSS growth %.2f MB (< 2 MB: %s)."):format(c.name, tr, verdict(tr >= 0.9), cr, verdict(cr <= 1.2), rss,
      verdict(rss < 2)))
  end
  print()
  print(("(%.0f s in all)"):format(core.now() - t_start))
end)
os.remove(out)
nginx.stop()
if not ok then error(err, 0) end
