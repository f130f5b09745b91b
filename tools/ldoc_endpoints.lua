--[[
Writes the LDoc reference of the methods that lua/scenario/client.lua and
init.lua make from the endpoint table, as two Lua files of comments that
config.ld merges into scenario.Client and scenario: the reference comes
from the same record as the methods (core.endpoints), not from a copy.

  lua5.4 tools/ldoc_endpoints.lua DIR   (make docs: DIR is build/ldoc)
]]
local core = require "scenario.core"

local dir = assert(arg[1], "usage: ldoc_endpoints.lua DIR")

local function code_list(names)
  local out = {}
  for i, n in ipairs(names or {}) do out[i] = "`" .. n .. "`" end
  return table.concat(out, ", ")
end

-- The arguments of ep's methods, as LDoc parameter lines.
local function params(ep, lines, n_opts_doc, no_client)
  for _, p in ipairs(ep.params) do
    lines[#lines + 1] = ("-- @tparam string %s a non-empty string, not \".\" or \"..\"; percent-encoded "
      .. "into the path, so it cannot leave its segment"):format(p)
  end
  if ep.takes_body then
    lines[#lines + 1] = ("-- @tparam[opt] table body the body, named as on the reference page: %s; "
      .. "nil sends `{}`"):format(code_list(ep.body))
  end
  lines[#lines + 1] = ("-- @tparam[opt] table query %s%s"):format(code_list(ep.query), no_client
    and "" or "; `projectId` defaults to the client's `project_id`")
  lines[#lines + 1] = "-- @tparam[opt] table opts " .. n_opts_doc
end

local function returns(ep, lines)
  if ep.returns == "member" then
    lines[#lines + 1] = ("-- @treturn[1] table the response's `%s`"):format(ep.member)
  elseif ep.returns == "document" then
    lines[#lines + 1] = "-- @treturn[1] table the whole response"
  else
    lines[#lines + 1] = "-- @treturn[1] boolean true"
  end
  lines[#lines + 1] = "-- @treturn[1] table meta `status`, `headers`, `attempts`, `body`, and `problems` "
    .. "when the answer is not of the documented shape"
  lines[#lines + 1] = "-- @return[2] nil"
  lines[#lines + 1] = "-- @treturn[2] scenario.Error err"
end

local function retry_text(ep)
  if ep.idempotent then
    return "Idempotent: 5xx answers, timeouts and lost connections are retried, as are 408 and 429."
  end
  return "Not idempotent: sent at most once, and retried only where the server cannot have acted on it "
    .. "(a connection that failed before the request left, 408, 429 other than `QUOTA_EXCEEDED`), "
    .. "unless the client has `retry_unsafe`."
end

local function signature(ep)
  local args = {}
  for _, p in ipairs(ep.params) do args[#args + 1] = p end
  if ep.takes_body then args[#args + 1] = "body" end
  args[#args + 1] = "query"
  args[#args + 1] = "opts"
  return table.concat(args, ", ")
end

local client = {
  "--- The methods made from the endpoint table (csrc/endpoints.c).",
  "-- @classmod scenario.Client",
  "",
}
local module = {
  "--- The validate_ functions made from the endpoint table (csrc/endpoints.c).",
  "-- @module scenario",
  "",
}

for _, ep in ipairs(core.endpoints) do
  local where = ("%s %s"):format(ep.method, ep.path)
  local fixed = ep.fixed_body and (" It sends the body `%s`."):format(ep.fixed_body) or ""
  local lines = client
  lines[#lines + 1] = ("--- %s %s.%s"):format(ep.summary, where, fixed)
  lines[#lines + 1] = "-- Everything is checked before anything is sent. " .. retry_text(ep)
  lines[#lines + 1] = ("-- @function %s"):format(ep.name)
  params(ep, lines, ep.takes_body and "`extra_body`: fields sent as they are, unvalidated, for fields or "
    .. "enum values newer than this version" or "none yet")
  returns(ep, lines)
  lines[#lines + 1] = ("-- @raise when not called as `client:%s(%s)`, on a closed client, or on a bad `opts`")
    :format(ep.name, signature(ep))
  lines[#lines + 1] = ""
  lines[#lines + 1] = ("--- %s, without blocking: %s, as `%s`."):format(ep.summary:gsub("%.$", ""), where,
    ep.name)
  lines[#lines + 1] = "-- Checked at once; a bad call returns `nil, err` and sends nothing. The request "
    .. "moves forward in `req:poll()`, `client:poll()` and `req:wait()`."
  lines[#lines + 1] = ("-- @function %s_async"):format(ep.name)
  params(ep, lines, (ep.takes_body and "`extra_body` as for `" .. ep.name .. "`, and " or "")
    .. "`on_done`: called once with what `" .. ep.name .. "` would return")
  lines[#lines + 1] = "-- @treturn[1] scenario.Request req"
  lines[#lines + 1] = "-- @return[2] nil"
  lines[#lines + 1] = "-- @treturn[2] scenario.Error err a `validation` error"
  lines[#lines + 1] = ""
  if ep.pages then
    lines[#lines + 1] = ("--- Every item of `%s`, across its pages: a loop over `%s`, which sends each "
      .. "page's `%s` back as `%s`."):format(ep.name, ep.name, ep.pages.next, ep.pages.token)
    lines[#lines + 1] = ("-- `for model, err in client:%s { pageSize = 100 } do ... end`. On a failure it "
      .. "yields `false, err` once and ends."):format(ep.pages.each)
    lines[#lines + 1] = ("-- @function %s"):format(ep.pages.each)
    lines[#lines + 1] = ("-- @tparam[opt] table query as for `%s`"):format(ep.name)
    lines[#lines + 1] = "-- @tparam[opt] table opts none yet"
    lines[#lines + 1] = "-- @treturn function an iterator"
    lines[#lines + 1] = ""
  end
  module[#module + 1] = ("--- Checks a call of `client:%s` without sending anything: the same arguments, "
    .. "the same checks."):format(ep.name)
  module[#module + 1] = ("-- @function validate_%s"):format(ep.name)
  params(ep, module, ep.takes_body and "`extra_body`, as for `client:" .. ep.name .. "`" or "none yet", true)
  module[#module + 1] = "-- @treturn[1] boolean true"
  module[#module + 1] = "-- @return[2] nil"
  module[#module + 1] = "-- @treturn[2] scenario.Error err a `validation` error with every problem in `err.errors`"
  module[#module + 1] = ""
end

for name, text in pairs { ["client_methods.lua"] = client, ["validate_functions.lua"] = module } do
  local f = assert(io.open(dir .. "/" .. name, "w"))
  f:write(table.concat(text, "\n"), "\n")
  f:close()
end
