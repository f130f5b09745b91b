-- What the benchmark drivers share: running a command, the median and
-- range of a round's figures, and the process's memory.
local M = {}

--- The output of a shell command; raises with it when the command fails.
function M.sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local ok, _, code = p:close()
  if not ok then error(("command failed (%s): %s\n%s"):format(tostring(code), cmd, out)) end
  return out
end

function M.median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
end

--- A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), Linux.
function M.status_kb(field)
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^" .. field .. ":%s+(%d+) kB")
    if kb then return tonumber(kb) * 1024 end
  end
end

--- The order in which n contenders take their turns in round r: 1..n,
-- and every other round n..1, so that none always goes first.
function M.order(n, r)
  local order = {}
  for i = 1, n do order[i] = r % 2 == 1 and i or n + 1 - i end
  return order
end

--- User-space instructions per run of what cmd(n) runs n times
-- (callgrind): a run of n less a run of 1, over n - 1, so that start-up
-- and loading cancel.
function M.instructions(cmd, n)
  local function total(k)
    local out = M.sh(("valgrind --tool=callgrind --callgrind-out-file=/dev/null %s 2>&1"):format(cmd(k)))
    return assert(tonumber((out:match("Collected : (%d+)"))), out)
  end
  return (total(n) - total(1)) / (n - 1)
end

--- The children's user plus system seconds in text, whose last line is
-- what bash's `times` printed for them.
function M.children_cpu(text)
  local last
  for l in text:gmatch("[^\n]+") do last = l end
  local um, us, sm, ss = last:match("(%d+)m([%d.]+)s%s+(%d+)m([%d.]+)s")
  return tonumber(um) * 60 + tonumber(us) + tonumber(sm) * 60 + tonumber(ss)
end

--- The lowest and the highest of t.
function M.spread(t)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(t) do lo, hi = math.min(lo, v), math.max(hi, v) end
  return lo, hi
end

return M
