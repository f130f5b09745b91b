-- What the stand-in's parts share: answers in the API's shapes, the
-- checks of a test's options (plans, faults), query numbers, copies, the
-- timestamps and the clock. scenario.standin_api and the resources it
-- serves (standin_models, standin_jobs, standin_assets) take them from
-- here; scenario.testing documents what they do.
local core = require "scenario.core"

local M = {}

-- s as it can go into JSON: itself if it is UTF-8, else with every byte
-- above 127 written \xHH, so that what a peer sent can be shown whatever
-- it was.
function M.text(s)
  if core.to_json(s) then return s end
  return (s:gsub("[\128-\255]", function(c) return ("\\x%02X"):format(c:byte()) end))
end

-- What a raised value or a problem list says, as text.
function M.describe(err)
  if type(err) == "table" then
    local first = type(err.errors) == "table" and err.errors[1]
    if type(first) == "table" then
      return ((first.path or "") ~= "" and first.path .. ": " or "") .. tostring(first.message)
    end
    if err.message ~= nil then return tostring(err.message) end
  end
  return tostring(err)
end

-- An answer with value as its JSON body. Raises (a string: the server
-- answers it as a 500) when the value cannot be JSON, a template the
-- test gave with a function in it, say.
function M.json(status, value)
  local body, problems = core.to_json(value)
  if not body then error("the answer cannot be written as JSON: " .. M.describe(problems), 0) end
  return status, { ["Content-Type"] = "application/json" }, body
end

function M.not_found(message)
  return M.json(404, { statusCode = 404, error = "Not Found", message = message })
end

function M.bad_request(message)
  return M.json(400, { status = "error", code = "INVALID_PARAMETER", message = message })
end

-- The live API's refusal of generation inputs: {"reason": ...} and no
-- other member (../shared/api/live/generate.custom.contracts.json).
function M.reason(status, message)
  return M.json(status, { reason = message })
end

-- A new empty JSON array, or t marked as one.
M.array = core.array
local ARRAY_MARK = getmetatable(core.array()) -- what getmetatable says of one

-- A deep copy of v, its arrays still marked as arrays.
function M.copy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = M.copy(x) end
  if ARRAY_MARK ~= nil and getmetatable(v) == ARRAY_MARK then core.array(c) end
  return c
end

-- A number as the API writes it in a message: 2, not 2.0.
function M.number(n)
  if n == math.floor(n) and n > -2 ^ 53 and n < 2 ^ 53 then return ("%d"):format(n) end
  return ("%.17g"):format(n)
end

function M.whole(v, low)
  return type(v) == "number" and v == math.floor(v) and v >= low and v < 2 ^ 53
end

function M.finite(v, low)
  return type(v) == "number" and v >= low and v < math.huge
end

-- Why t is not a list whose every item passes ok, or nil.
function M.not_list(t, ok)
  if type(t) ~= "table" then return true end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if not ok(t[i]) then return true end
  end
end

local function type_name(v)
  if v == core.null then return "null" end
  return type(v)
end

-- Why t is not a table of known fields only (a plan's, a fault's), or nil.
function M.not_fields(t, known)
  if type(t) ~= "table" then return ("table expected, got %s"):format(type_name(t)) end
  for k in pairs(t) do
    if not known[k] then return ("unknown field '%s'"):format(M.text(tostring(k))) end
  end
end

-- A query parameter that must be a whole number from low to high (or
-- more, with no high): the number, or nil and why not. An API reads
-- nothing else there, and a number of 16 digits or more is past what
-- the stand-in could count to.
function M.count_param(query, name, default, low, high)
  local v = query[name]
  if v == nil then return default end
  local n = v:match("^%d+$") and #v < 16 and tonumber(v)
  if not n or n < low or (high and n > high) then
    return nil, ("%s must be a whole number from %d%s, got \"%s\""):format(name, low,
      high and (" to %d"):format(high) or " up", M.text(v:sub(1, 40)))
  end
  return n
end

-- The range of a query parameter in the client's schema ({min, max}), or
-- nil when the table has no such endpoint or parameter.
local ranges = {}
function M.query_range(endpoint, name)
  local key = endpoint .. " " .. name
  if ranges[key] == nil then
    ranges[key] = false
    for _, ep in ipairs(core.schema()) do
      for _, f in ipairs(ep.name == endpoint and ep.query and ep.query.fields or {}) do
        if f.name == name then ranges[key] = f.type end
      end
    end
  end
  return ranges[key] or nil
end

-- One page of the ids in order, as list_models and list_jobs give them:
-- the tokens are the position of the page's first item, and one past
-- the end (items gone since) is an empty page. Returns the page of
-- items (of by_id) and the next token; or nil and why the query is bad.
function M.page(query, order, by_id, default, range)
  local size, why = M.count_param(query, "pageSize", default, range.min, range.max)
  if not size then return nil, why end
  local from, bad = M.count_param(query, "paginationToken", 1, 1)
  if not from then return nil, bad end
  local page = M.array()
  for i = from, math.min(#order, from + size - 1) do page[#page + 1] = by_id[order[i]] end
  return page, from + size <= #order and tostring(from + size) or nil
end

-- Whether data is what the API takes as an image: a data URL of an image
-- type, in base64 (whole groups of four, padding only at the end), with
-- something in it.
function M.image_data_url(data)
  if type(data) ~= "string" then return false end
  local payload = data:match("^data:image/[%w%.%+%-]+;base64,(.+)$")
  return payload ~= nil and #payload % 4 == 0 and payload:find("^[%w%+/]+=?=?$") ~= nil
end

-- A timestamp that differs at each call: the stand-in's clock counts
-- calls, not time, so that its answers do not depend on when they ran.
function M.now_iso(self)
  self.clock = self.clock + 1
  return ("2026-01-01T00:00:%02d.%03dZ"):format(math.floor(self.clock / 1000) % 60, self.clock % 1000)
end

-- Seconds, for the plans that advance on a clock and for URL expiry.
function M.clock()
  local ok, socket = pcall(require, "socket")
  return ok and socket.gettime() or os.time()
end

-- Moves a run (a training's, a job's: {plan, step, started}) on: a step
-- per poll, or as far as its plan's clock says. Returns the step it is
-- at now (nil once past the last).
function M.step(run, polled)
  if run.plan.seconds then
    run.step = math.floor((M.clock() - run.started) / run.plan.seconds) + 1
  elseif polled then
    run.step = run.step + 1
  end
  return run.plan.steps[run.step]
end

return M
