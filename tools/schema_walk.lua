--[[
The one reading of the endpoint table and its schema (core.endpoints,
core.schema(), core.enums) that the generators in tools/ share: the
schema of each endpoint by name, what a call returns, every field of a
type with its dotted path, and a field's type, limits and enum values in
words. write_types.lua, ldoc_endpoints.lua and write_endpoints.lua write
these out, each in its own format, so a limit or a field reads the same
in the editor definitions, the HTML reference and the endpoint pages.

  local walk = require "tools.schema_walk"   (run from the checkout's root)
]]
local core = require "scenario.core"

local M = {}

M.endpoints = core.endpoints
M.enums = core.enums
-- One call: a type used twice is one table, which the walks below rely on
-- to know a type met again.
M.schema = core.schema()
M.by_name = {}
for _, s in ipairs(M.schema) do M.by_name[s.name] = s end

-- Enums longer than this are named, not spelled out, where a field uses
-- them; enum_lists spells each once.
M.INLINE_ENUM = 12

function M.pascal(s)
  return (s:gsub("^%l", string.upper):gsub("[_%-.](%w)", string.upper))
end

-- Page text on one line.
function M.oneline(s)
  return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""):gsub("@{([^}]*)}", "`%1`"))
end

function M.num(x)
  if x == math.floor(x) and math.abs(x) < 2 ^ 53 then return ("%d"):format(x) end
  if x > 1e300 then return "DBL_MAX" end
  for digits = 15, 17 do -- the shortest that reads back the same
    local s = ("%." .. digits .. "g"):format(x)
    if tonumber(s) == x then return s end
  end
end

-- "at most 64 characters", "from -2 to 2"...: the schema's limits, in words.
function M.limits(t)
  local l = {}
  if t.max_length then l[#l + 1] = ("at most %d characters"):format(t.max_length) end
  if t.min and t.max and not t.exclusive_min then
    l[#l + 1] = ("from %s to %s"):format(M.num(t.min), M.num(t.max))
  else
    if t.min then l[#l + 1] = (t.exclusive_min and "above %s" or "at least %s"):format(M.num(t.min)) end
    if t.max then l[#l + 1] = ("at most %s"):format(M.num(t.max)) end
  end
  return l
end

-- An enum value as Lua writes it: "flux.1-lora", 25.
function M.literal(v)
  return type(v) == "string" and ("%q"):format(v) or tostring(v)
end

-- The type under t's arrays and maps, and how a path reaches it from t:
-- "[]" for an array's items, ".*" for a map's values.
function M.unwrap(t)
  local suffix = ""
  while t.kind == "array" or t.kind == "map" do
    suffix = suffix .. (t.kind == "array" and "[]" or ".*")
    t = t.items
  end
  return t, suffix
end

-- The type in Lua's words, without spaces: string, number, integer,
-- boolean, any, table (an object), X[] (an array), table<string,X> (a map).
-- name(t), when given, names an object that is described elsewhere.
function M.type_word(t, name)
  local k = t.kind
  if k == "intenum" then return "integer" end
  if k == "array" then return M.type_word(t.items, name) .. "[]" end
  if k == "map" then return "table<string," .. M.type_word(t.items, name) .. ">" end
  if k == "object" then return name and name(t) or "table" end
  return k
end

-- What the schema says of field f besides its type and text, as phrases:
-- nullable, the enum's values (an array's: each item's), the limits. A
-- long enum is named, as enum_ref(name) writes it (default
-- `scenario.enums.NAME`).
function M.notes(f, enum_ref)
  local notes = {}
  if f.nullable then notes[#notes + 1] = "nullable: null is `scenario.null`" end
  local t, each = f.type, ""
  if t.kind == "array" then t, each = t.items, "each " end
  if t.enum then
    local values = M.enums[t.enum]
    if #values <= M.INLINE_ENUM then
      local lits = {}
      for i, v in ipairs(values) do lits[i] = "`" .. M.literal(v) .. "`" end
      notes[#notes + 1] = each .. "one of " .. table.concat(lits, ", ")
    else
      local ref = enum_ref and enum_ref(t.enum) or ("`scenario.enums.%s`"):format(t.enum)
      notes[#notes + 1] = ("%sone of the %d values of %s"):format(each, #values, ref)
    end
  end
  for _, l in ipairs(M.limits(t)) do notes[#notes + 1] = each .. l end
  return notes
end

-- The enums that notes names rather than spells out, sorted by name:
-- {name, values}.
function M.enum_lists()
  local list = {}
  for name, values in pairs(M.enums) do
    if #values > M.INLINE_ENUM then list[#list + 1] = { name = name, values = values } end
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

--[[ Every field of object t and, depth first, of the objects inside it, as
rows { path, field, depth, object, link, cycle }: path is dotted from t
("parameters.rank", "concepts[].scale", "uiConfig.inputProperties.*.label"),
object the object the field holds (under its arrays and maps) when it
holds one. That object's fields follow, unless stop(object) is true (link
is then the object: the caller describes it on its own) or the object is
one the row is already inside (cycle is then the path of its fields). ]]
function M.rows(t, stop)
  local rows, open = {}, { [t] = "" }
  local function walk(obj, prefix, depth)
    for _, f in ipairs(obj.fields) do
      local row = { path = prefix .. f.name, field = f, depth = depth }
      rows[#rows + 1] = row
      local inner, suffix = M.unwrap(f.type)
      if inner.kind == "object" then
        row.object = inner
        if open[inner] then
          row.cycle = open[inner]
        elseif stop and stop(inner) then
          row.link = inner
        else
          open[inner] = row.path .. suffix
          walk(inner, row.path .. suffix .. ".", depth + 1)
          open[inner] = nil
        end
      end
    end
  end
  walk(t, "", 0)
  return rows
end

-- The field named name of object t.
function M.field(t, name)
  for _, f in ipairs(t.fields) do
    if f.name == name then return f end
  end
end

--[[ What ep's call returns: { what = "member"|"document"|"nothing", type,
member, items, quote }: the type of the member or of the whole answer, for
a list endpoint the type of one item of its pages, and for one with a dry
run the type of its answer then (HTTP 269, returned whole). ]]
function M.result(ep)
  local s = M.by_name[ep.name]
  local r = { what = ep.returns, member = ep.member, quote = s.quote }
  if ep.returns == "member" then
    r.type = assert(M.field(s.response, ep.member), ep.name .. ": no member " .. tostring(ep.member)).type
  elseif ep.returns == "document" then
    r.type = s.response
  end
  if ep.pages then r.items = assert(M.field(s.response, ep.pages.items), ep.name .. ": no page items").type.items end
  return r
end

-- The objects calls return, once each, in the table's order: the named
-- objects that ldoc_endpoints.lua and write_endpoints.lua describe on their
-- own, their other objects inline. Each has a name (sc_type.name).
function M.returned_objects()
  local list, seen = {}, {}
  for _, ep in ipairs(M.endpoints) do
    local r = M.result(ep)
    for _, t in ipairs { r.type or false, r.quote or false } do
      if t and t.kind == "object" and not seen[t] then
        assert(t.name, ep.name .. ": the type it returns needs a name (sc_type.name)")
        seen[t] = true
        list[#list + 1] = t
      end
    end
  end
  return list, seen
end

-- The sentence that says what a dry run of ep returns, with the name of
-- its type as name(t) writes it; nil when ep has none.
function M.quote_text(ep, name)
  local q = M.result(ep).quote
  if not q then return nil end
  return ("A dry run (`dryRun` in the query) is answered with HTTP 269, a success: the call then returns the "
    .. "whole answer, %s, and `meta.status` is 269."):format(name(q))
end

-- What a map body holds, in words: the body of an endpoint whose page
-- names no fields.
function M.map_body_text(t)
  return ("a table of any fields (string keys) with `%s` values: the endpoint's page names none, and they are "
    .. "sent as they are"):format(M.type_word(t.items))
end

-- The arguments of ep's methods, in order: path parameters, body, query, opts.
function M.arguments(ep)
  local args = {}
  for _, p in ipairs(ep.params) do args[#args + 1] = p end
  if ep.takes_body then args[#args + 1] = "body" end
  args[#args + 1] = "query"
  args[#args + 1] = "opts"
  return args
end

-- How the client retries ep, in one sentence.
function M.retry_text(ep)
  if ep.idempotent then
    return "Idempotent: 5xx answers, timeouts and lost connections are retried, as are 408 and 429."
  end
  return "Not idempotent: sent at most once, and retried only where the server cannot have acted on it "
    .. "(a connection that failed before the request left, 408, 429 other than `QUOTA_EXCEEDED`), "
    .. "unless the client has `retry_unsafe`."
end

-- Writes text to the file at path, or to stdout without one.
function M.write(path, text)
  if not path then return io.write(text) end
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

return M
