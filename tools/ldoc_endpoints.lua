--[[
Writes the LDoc reference of the methods that lua/scenario/client.lua and
init.lua make from the endpoint table, as two Lua files of comments that
config.ld merges into scenario.Client and scenario: the reference comes
from the same record as the methods (core.endpoints, core.schema()), not
from a copy. Each method lists its path parameters, and its body and
query fields nested under `body` and `query` with dotted names
(`parameters.rank`), each with its type, limits, enum values and page text;
what it returns is a table of its own (Model, ModelsPage...) with every
field, nested, that the methods link to; scenario.enums lists every enum.

  lua5.4 tools/ldoc_endpoints.lua DIR   (make docs, from the checkout's root:
                                         DIR is build/ldoc)
]]
local walk = require "tools.schema_walk"

local dir = assert(arg[1], "usage: ldoc_endpoints.lua DIR")

-- LDoc's "backtick" format (config.ld) writes text as HTML as it is and
-- links any `name` it can resolve: `status` in a field's text would link
-- to Error.status, `string` to the Lua manual. So the text is escaped here
-- and its code spans written as <code>; links are asked for by @{...}.
local function html(s)
  s = s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
  return (s:gsub("`([^`]+)`", "<code>%1</code>"))
end

-- A line of a comment: LDoc tags and text, escaped.
local function add(lines, s) lines[#lines + 1] = html(s) end

-- "one of the 37 values of scenario.enums.model_type", linking the table.
local function enum_ref(name) return "@{scenario.enums|scenario.enums}`." .. name .. "`" end

local returned, is_returned = walk.returned_objects()
local function link_name(t) return is_returned[t] and t.name or nil end

-- The text of a row: the field's page text, then what the schema says of
-- it in parentheses.
local function row_text(row)
  local notes = walk.notes(row.field, enum_ref)
  if row.cycle then notes[#notes + 1] = ("its items have the fields of `%s`"):format(row.cycle) end
  local text = walk.oneline(row.field.doc)
  if #notes > 0 then text = text .. " (" .. table.concat(notes, "; ") .. ")" end
  return text
end

--[[ The @tparam (or @tfield) lines of the fields of object t, under the
name prefix ("body.", or "" for a table's own fields). LDoc lists a name
with a dot under the name before its first dot, without that entry's type
or (optional): a table's field with fields of its own says both in its
text. Names are dotted whatever holds the fields, since LDoc takes no []
in a name: `concepts.scale` is the scale of each item of `concepts`, whose
type says it is an array (table[]). ]]
local function field_lines(lines, tag, t, prefix, stop)
  local rows = walk.rows(t, stop)
  for i, row in ipairs(rows) do
    local f = row.field
    local text = row_text(row)
    local ty = walk.type_word(f.type, stop and link_name)
    local parent = prefix == "" and row.depth == 0 and rows[i + 1] and rows[i + 1].depth > 0
    if parent then text = ("%s%s: %s"):format(ty, f.required and "" or ", optional", text) end
    local path = row.path:gsub("%[%]", ""):gsub("%.%*", "")
    add(lines, ("-- @%s%s %s %s%s %s"):format(tag, f.required and "" or "[opt]", ty, prefix, path, text))
  end
end

-- The arguments of ep's methods, as LDoc parameter lines: the fields of
-- its body and query listed when fields is true, else named as `as_for`'s.
local function params(ep, lines, opts_doc, fields, as_for, no_client)
  local s = walk.by_name[ep.name]
  for _, p in ipairs(ep.params) do
    add(lines, ("-- @tparam string %s a non-empty string, not \".\" or \"..\"; percent-encoded "
      .. "into the path, so it cannot leave its segment"):format(p))
  end
  if ep.takes_body then
    if fields and s.body.kind == "map" then
      add(lines, "-- @tparam[opt] table body table, optional: nil sends `{}`; " .. walk.map_body_text(s.body))
    elseif fields then
      add(lines, "-- @tparam[opt] table body table, optional: nil sends `{}`; its fields, named as on the "
        .. "reference page, are")
      field_lines(lines, "tparam", s.body, "body.")
    else
      add(lines, ("-- @tparam[opt] table body as for %s"):format(as_for))
    end
  end
  local project = no_client and "" or "`projectId` defaults to the client's `project_id`"
  if fields then
    add(lines, ("-- @tparam[opt] table query table, optional: %s; its fields are"):format(project))
    field_lines(lines, "tparam", s.query, "query.")
  else
    add(lines, ("-- @tparam[opt] table query as for %s%s"):format(as_for, project == "" and "" or "; " .. project))
  end
  add(lines, "-- @tparam[opt] table opts " .. opts_doc)
end

local function returns(ep, lines)
  local r = walk.result(ep)
  if r.what == "member" then
    add(lines, ("-- @treturn[1] %s the response's `%s`"):format(walk.type_word(r.type, link_name), ep.member))
  elseif r.what == "document" and r.quote then
    add(lines, ("-- @treturn[1] ?%s|%s the whole response. %s"):format(walk.type_word(r.type, link_name),
      walk.type_word(r.quote, link_name), walk.quote_text(ep, function(t) return ("@{%s}"):format(t.name) end)))
  elseif r.what == "document" then
    add(lines, ("-- @treturn[1] %s the whole response"):format(walk.type_word(r.type, link_name)))
  else
    add(lines, "-- @treturn[1] boolean true")
  end
  add(lines, "-- @treturn[1] table meta `status`, `headers`, `attempts`, `body`, and `problems` "
    .. "when the answer is not of the documented shape")
  add(lines, "-- @return[2] nil")
  add(lines, "-- @treturn[2] scenario.Error err")
end

local client = {
  "--- The methods made from the endpoint table (csrc/endpoint_table.c).",
  "-- @classmod scenario.Client",
  "",
}
local module = {
  "--- The validate_ functions made from the endpoint table (csrc/endpoint_table.c).",
  "-- @module scenario",
  "",
}

for _, ep in ipairs(walk.endpoints) do
  local where = ("%s %s"):format(ep.method, ep.path)
  local fixed = ep.fixed_body and (" It sends the body `%s`."):format(ep.fixed_body) or ""
  local lines = client
  local own = ("@{%s|%s}"):format(ep.name, ep.name)
  add(lines, ("--- %s %s.%s"):format(ep.summary, where, fixed))
  add(lines, "-- Everything is checked before anything is sent. " .. walk.retry_text(ep))
  add(lines, ("-- @function %s"):format(ep.name))
  params(ep, lines, ep.takes_body and "`extra_body`: fields sent as they are, unvalidated, for fields or "
    .. "enum values newer than this version" or "none yet", true)
  returns(ep, lines)
  add(lines, ("-- @raise when not called as `client:%s(%s)`, on a closed client, or on a bad `opts`")
    :format(ep.name, table.concat(walk.arguments(ep), ", ")))
  lines[#lines + 1] = ""
  add(lines, ("--- %s, without blocking: %s, as %s."):format(ep.summary:gsub("%.$", ""), where, own))
  add(lines, "-- Checked at once; a bad call returns `nil, err` and sends nothing. The request "
    .. "moves forward in `req:poll()`, `client:poll()` and `req:wait()`.")
  add(lines, ("-- @function %s_async"):format(ep.name))
  params(ep, lines, (ep.takes_body and "`extra_body` as for " .. own .. ", and " or "")
    .. "`on_done`: called once with what " .. own .. " would return", false, own)
  add(lines, "-- @treturn[1] scenario.Request req")
  add(lines, "-- @return[2] nil")
  add(lines, "-- @treturn[2] scenario.Error err a `validation` error")
  lines[#lines + 1] = ""
  if ep.pages then
    add(lines, ("--- Every item of %s, across its pages: a loop over it, which sends each "
      .. "page's `%s` back as `%s`."):format(own, ep.pages.next, ep.pages.token))
    add(lines, ("-- `for model, err in client:%s { pageSize = 100 } do ... end`. On a failure it "
      .. "yields `false, err` once and ends."):format(ep.pages.each))
    add(lines, ("-- @function %s"):format(ep.pages.each))
    add(lines, ("-- @tparam[opt] table query as for %s"):format(own))
    add(lines, "-- @tparam[opt] table opts none yet")
    add(lines, ("-- @treturn function an iterator of %s"):format(walk.type_word(walk.result(ep).items, link_name)))
    lines[#lines + 1] = ""
  end
  local theirs = ("@{scenario.Client:%s|client:%s}"):format(ep.name, ep.name)
  add(module, ("--- Checks a call of %s without sending anything: the same arguments, "
    .. "the same checks."):format(theirs))
  add(module, ("-- @function validate_%s"):format(ep.name))
  params(ep, module, ep.takes_body and "`extra_body`, as for " .. theirs or "none yet", false, theirs, true)
  add(module, "-- @treturn[1] boolean true")
  add(module, "-- @return[2] nil")
  add(module, "-- @treturn[2] scenario.Error err a `validation` error with every problem in `err.errors`")
  module[#module + 1] = ""
end

-- What the calls return: one table each, with the fields of the objects
-- inside it, but for those that are returned themselves (linked).
for _, t in ipairs(returned) do
  local by = {}
  for _, ep in ipairs(walk.endpoints) do
    local r = walk.result(ep)
    if r.type == t then
      by[#by + 1] = ("@{%s|%s}"):format(ep.name, ep.name) .. (r.what == "member" and
        (" (the response's `%s`)"):format(ep.member) or "")
    end
    if r.quote == t then by[#by + 1] = ("@{%s|%s} (a dry run)"):format(ep.name, ep.name) end
    if r.items == t then by[#by + 1] = ("@{%s|%s} (each item)"):format(ep.pages.each, ep.pages.each) end
  end
  add(client, ("--- %s: what %s return%s, a table of the fields below (as the API names them)."):format(t.name,
    table.concat(by, ", "), #by > 1 and "" or "s"))
  add(client, "-- A field with fields lists them under it with dotted names: `a.b` is the field `b` of `a`, "
    .. "or of each item of `a` when `a` is an array (table[]).")
  add(client, "-- @table " .. t.name)
  field_lines(client, "tfield", t, "", function(o) return is_returned[o] and o ~= t end)
  client[#client + 1] = ""
end

-- scenario.enums: every enum, with its values.
add(module, "--- Every enum of the API, by name: its values, in the reference page's order. "
  .. "@{in_enum} tests a value.")
add(module, "-- @table enums")
local names = {}
for name in pairs(walk.enums) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
  local lits = {}
  for i, v in ipairs(walk.enums[name]) do lits[i] = "`" .. walk.literal(v) .. "`" end
  add(module, ("-- @tfield %s %s %s"):format(type(walk.enums[name][1]) == "string" and "{string,...}"
    or "{int,...}", name, table.concat(lits, ", ")))
end
module[#module + 1] = ""

for name, text in pairs { ["client_methods.lua"] = client, ["validate_functions.lua"] = module } do
  walk.write(dir .. "/" .. name, table.concat(text, "\n") .. "\n")
end
