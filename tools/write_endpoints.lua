--[[
Writes the endpoint pages from the endpoint table and its schema: the
list of endpoints in README.md, between its BEGIN endpoints and END
endpoints marker lines, and docs/endpoints.md, each endpoint with its
arguments' fields and what it returns, every field with its type, limits,
enum values and page text.

  lua5.4 tools/write_endpoints.lua [README] [PAGE]   (make docs-pages, from
      the checkout's root; default README.md and docs/endpoints.md)

spec/generated_spec.lua fails when the committed ones are not what this
writes.
]]
local walk = require "tools.schema_walk"

local readme_path = arg[1] or "README.md"
local page_path = arg[2] or "docs/endpoints.md"
-- docs/endpoints.md as README.md links it.
local PAGE = "docs/endpoints.md"

local BEGIN = "<!-- BEGIN endpoints: written by make docs-pages from the endpoint table; do not edit -->"
local END = "<!-- END endpoints -->"

-- Page text as Markdown: its code spans stay; what Markdown or HTML would
-- read as markup outside them does not (an underscore inside a word is
-- not emphasis in GitHub's Markdown).
local function text(s)
  local out, pos = {}, 1
  local function plain(p) return (p:gsub("%*", "\\*"):gsub("<", "&lt;"):gsub(">", "&gt;")) end
  for a, code, b in s:gmatch("()(`[^`]*`)()") do
    out[#out + 1] = plain(s:sub(pos, a - 1))
    out[#out + 1] = code
    pos = b
  end
  out[#out + 1] = plain(s:sub(pos))
  return table.concat(out)
end

-- A cell of a Markdown table.
local function cell(s) return (s:gsub("|", "\\|")) end

local returned, is_returned = walk.returned_objects()

-- GitHub's anchor of a heading that is a plain name.
local function anchor(name) return "#" .. name:lower() end

-- A type in words; an object the page describes on its own, as a link.
local function type_md(t, link)
  return walk.type_word(t, link and function(o)
    return is_returned[o] and ("[%s](%s)"):format(o.name, anchor(o.name)) or nil
  end)
end

local function enum_ref(name) return ("[`scenario.enums.%s`](#enums)"):format(name) end

-- One line per field of object t and of the objects in it: `path` (type,
-- required or optional; notes): text. link: objects returned themselves
-- are linked, not listed again.
local function field_list(out, t, link)
  local stop = link and function(o) return is_returned[o] and o ~= t end
  for _, row in ipairs(walk.rows(t, stop)) do
    local f = row.field
    local notes = walk.notes(f, enum_ref)
    if row.cycle then notes[#notes + 1] = ("its items have the fields of `%s`"):format(row.cycle) end
    local head = type_md(f.type, link) .. ", " .. (f.required and "required" or "optional")
    if #notes > 0 then head = head .. "; " .. table.concat(notes, "; ") end
    out[#out + 1] = ("- `%s` (%s): %s"):format(row.path, head, text(walk.oneline(f.doc)))
  end
end

local function call(ep, name)
  return ("client:%s(%s)"):format(name or ep.name, table.concat(walk.arguments(ep), ", "))
end

-- What a call of ep returns, in words.
local function returns(ep)
  local r = walk.result(ep)
  if r.what == "member" then
    return ("the `%s` member: %s"):format(ep.member, type_md(r.type, true))
  elseif r.what == "document" then
    return "the whole answer: " .. type_md(r.type, true)
  end
  return "`true`"
end

-- ---- README.md's list ------------------------------------------------------

local list = {
  BEGIN,
  "| call | HTTP | returns | idempotent | what it does |",
  "|---|---|---|---|---|",
}
for _, ep in ipairs(walk.endpoints) do
  local summary = text(ep.summary)
  if ep.fixed_body then summary = summary .. (" It sends `%s`."):format(ep.fixed_body) end
  -- The links of returns point into the page.
  local r = returns(ep)
  local q = walk.result(ep).quote
  if q then r = r .. ("; a dry run, HTTP 269: [%s](#%s)"):format(q.name, q.name:lower()) end
  r = r:gsub("%]%(#", "](" .. PAGE .. "#")
  list[#list + 1] = ("| [`%s`](%s#%s) | `%s %s` | %s | %s | %s |"):format(call(ep), PAGE, ep.name, ep.method,
    ep.path, cell(r), ep.idempotent and "yes" or "no", cell(summary))
  if ep.pages then
    list[#list + 1] = ("| [`client:%s(query, opts)`](%s#%s) | `%s %s`, page after page | each of `%s`: %s | yes "
      .. "| Every item of `%s`, across its pages. |"):format(ep.pages.each, PAGE, ep.name, ep.method, ep.path,
      ep.pages.items, (type_md(walk.result(ep).items, true):gsub("%]%(#", "](" .. PAGE .. "#")), ep.name)
  end
end
list[#list + 1] = END

local f = assert(io.open(readme_path, "rb"))
local readme = f:read("*a")
f:close()
local a = readme:find(BEGIN, 1, true)
local b = readme:find(END, 1, true)
assert(a and b and b > a, readme_path .. ": no " .. BEGIN .. " ... " .. END .. " block")
walk.write(readme_path, readme:sub(1, a - 1) .. table.concat(list, "\n") .. readme:sub(b + #END))

-- ---- docs/endpoints.md -------------------------------------------------------

local out = {
  "# Endpoints",
  "",
  "<!-- Written by make docs-pages (tools/write_endpoints.lua) from the endpoint table (csrc/endpoint_table.c) and",
  "its schema: do not edit. -->",
  "",
  "Every method the client makes from the endpoint table: its HTTP call, the fields of its body and query, and",
  "what it returns. Each method also has a non-blocking form (`client:get_model_async(...)`, which returns a",
  "request), and a check (`scenario.validate_get_model(...)`) that takes the same arguments and sends nothing.",
  "The arguments are the path parameters (non-empty strings, not `.` or `..`, percent-encoded into the path),",
  "then the body where there is one (nil sends `{}`), then the query (`projectId` defaults to the client's",
  "`project_id`), then `opts`.",
  "",
  "Fields are named as on the API's reference pages. A field of a field is written with a dot",
  "(`parameters.rank`), of each item of an array with `[]` (`concepts[].scale`), of each value of a map with",
  "`.*`. Each is followed by its type (in Lua's words: `table` is a JSON object, `X[]` an array), whether it is",
  "required, its limits and its values.",
  "",
}
local function links(names)
  local l = {}
  for i, n in ipairs(names) do l[i] = ("[%s](%s)"):format(n, anchor(n)) end
  return table.concat(l, ", ")
end
local names, objects = {}, {}
for i, ep in ipairs(walk.endpoints) do names[i] = ep.name end
for i, t in ipairs(returned) do objects[i] = t.name end
out[#out + 1] = "Endpoints: " .. links(names) .. "."
out[#out + 1] = "What they return: " .. links(objects) .. ". [Enums](#enums)."

for _, ep in ipairs(walk.endpoints) do
  local s = walk.by_name[ep.name]
  out[#out + 1] = ""
  out[#out + 1] = "## " .. ep.name
  out[#out + 1] = ""
  out[#out + 1] = ("`%s`: `%s %s`. %s"):format(call(ep), ep.method, ep.path, text(ep.summary))
  if ep.fixed_body then out[#out + 1] = ("It sends the body `%s`."):format(ep.fixed_body) end
  out[#out + 1] = text(walk.retry_text(ep))
  out[#out + 1] = "Returns " .. returns(ep) .. "."
  local quote = walk.quote_text(ep, function(t) return ("[%s](%s)"):format(t.name, anchor(t.name)) end)
  if quote then out[#out + 1] = quote end
  if ep.pages then
    out[#out + 1] = ("`client:%s(query, opts)` loops over it, sending each page's `%s` back as `%s`, and "
      .. "yields each of `%s`."):format(ep.pages.each, ep.pages.next, ep.pages.token, ep.pages.items)
  end
  if #ep.params > 0 then
    local ps = {}
    for i, p in ipairs(ep.params) do ps[i] = "`" .. p .. "`" end
    out[#out + 1] = ""
    out[#out + 1] = "Path parameters: " .. table.concat(ps, ", ") .. "."
  end
  if ep.takes_body then
    out[#out + 1] = ""
    if s.body.kind == "map" then
      out[#out + 1] = "Body: " .. walk.map_body_text(s.body) .. "."
    else
      out[#out + 1] = "Body:"
      out[#out + 1] = ""
      field_list(out, s.body)
    end
  end
  out[#out + 1] = ""
  out[#out + 1] = "Query:"
  out[#out + 1] = ""
  field_list(out, s.query)
end

out[#out + 1] = ""
out[#out + 1] = "## Objects the calls return"
for _, t in ipairs(returned) do
  local by = {}
  for _, ep in ipairs(walk.endpoints) do
    local r = walk.result(ep)
    if r.type == t then by[#by + 1] = ("[%s](%s)"):format(ep.name, anchor(ep.name)) end
    if r.quote == t then by[#by + 1] = ("[%s](%s) (a dry run)"):format(ep.name, anchor(ep.name)) end
    if r.items == t then by[#by + 1] = ("`%s` (each item)"):format(ep.pages.each) end
  end
  out[#out + 1] = ""
  out[#out + 1] = "### " .. t.name
  out[#out + 1] = ""
  out[#out + 1] = ("Returned by %s."):format(table.concat(by, ", "))
  out[#out + 1] = ""
  field_list(out, t, true)
end

out[#out + 1] = ""
out[#out + 1] = "## Enums"
out[#out + 1] = ""
out[#out + 1] = ("The enums of more than %d values, which the fields above name; `scenario.enums` holds them all, "
  .. "and `scenario.in_enum(name, value)` tests a value."):format(walk.INLINE_ENUM)
out[#out + 1] = ""
for _, e in ipairs(walk.enum_lists()) do
  local lits = {}
  for i, v in ipairs(e.values) do lits[i] = "`" .. walk.literal(v) .. "`" end
  out[#out + 1] = ("- `%s`: %s"):format(e.name, table.concat(lits, ", "))
end

walk.write(page_path, table.concat(out, "\n") .. "\n")
