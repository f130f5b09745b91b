-- The pages written from the endpoint table: README.md's endpoint list and
-- docs/endpoints.md (tools/write_endpoints.lua) are current, and they and
-- the HTML reference (tools/ldoc_endpoints.lua through LDoc) list every
-- field of every method. The checks walk core.schema themselves, so a
-- generator that drops a field, a limit or an enum value fails them.
local helper = require "spec.helper"
local compat = require "spec.support.compat"
local core = require "scenario.core"

local read, sh = helper.read, helper.sh

-- Runs tools/NAME.lua with the interpreter and build under test.
local function generate(name, args)
  return sh(("SCENARIO_TEST_CPATH='%s' %s -e \"package.cpath='%s;'..package.cpath\" tools/%s.lua %s")
    :format(helper.CPATH, helper.LUA, helper.CPATH, name, args))
end

local schema = {}
for _, s in ipairs(core.schema()) do schema[s.name] = s end

-- What each call returns, and the objects that are returned (each
-- described once, and linked from elsewhere).
local function returned(ep)
  local s = schema[ep.name]
  if ep.returns == "document" then return s.response end
  if ep.returns == "member" then
    for _, f in ipairs(s.response.fields) do
      if f.name == ep.member then return f.type end
    end
  end
end
local is_returned = {}
for _, ep in ipairs(core.endpoints) do
  local t = returned(ep)
  if t then is_returned[t] = true end
end

-- Calls visit(path, field) for every field of object t and of the objects
-- in it, depth first: "a.b" for a field of a field, "a[].b" of an array's
-- items, "a.*.b" of a map's values. Objects for which stop is true are not
-- entered.
local function each_field(t, visit, stop, prefix, open)
  prefix, open = prefix or "", open or { [t] = true }
  for _, f in ipairs(t.fields) do
    local path = prefix .. f.name
    visit(path, f)
    local inner, mark = f.type, ""
    while inner.kind == "array" or inner.kind == "map" do
      mark = mark .. (inner.kind == "array" and "[]" or ".*")
      inner = inner.items
    end
    if inner.kind == "object" and not open[inner] and not (stop and stop(inner)) then
      open[inner] = true
      each_field(inner, visit, stop, path .. mark .. ".", open)
      open[inner] = nil
    end
  end
end

-- The type in the pages' words; named(t) names an object linked to.
local function type_word(t, named)
  if t.kind == "array" then return type_word(t.items, named) .. "[]" end
  if t.kind == "map" then return "table<string," .. type_word(t.items, named) .. ">" end
  if t.kind == "object" then return named and named(t) or "table" end
  if t.kind == "intenum" then return "integer" end
  return t.kind
end

local function oneline(s) return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")) end

--[[ Checks that text, a field's entry on a page, says what the schema says
of f: its page text (code spans as code_span writes them), and besides it
every limit as a number, and its enum's values, or the enum's name when
enum_lists (the enums the page lists once each, with every value) has it. ]]
local function check_field(where, text, f, code_span, enum_lists)
  local doc = oneline(f.doc):gsub("`([^`]*)`", code_span)
  local a, b = text:find(doc, 1, true)
  assert.is_truthy(a, where .. ": no text " .. doc .. " in " .. text)
  -- The rest must say it: a page's text may hold a limit's number itself.
  text = text:sub(1, a - 1) .. text:sub(b + 1)
  local t = f.type.kind == "array" and f.type.items or f.type
  local numbers = {}
  for n in text:gmatch("%-?[%d.]+[%de+-]*") do numbers[#numbers + 1] = tonumber(n) end
  for _, key in ipairs { "min", "max", "max_length" } do
    local x = t[key]
    if x then
      local found = x > 1e300 and text:find("DBL_MAX", 1, true) ~= nil
      for _, n in ipairs(numbers) do found = found or n == x end
      assert.is_true(found, ("%s: its %s, %s, is not in %s"):format(where, key, tostring(x), text))
    end
  end
  if t.exclusive_min then assert.is_truthy(text:find("above", 1, true), where .. ": min not exclusive") end
  if f.nullable then assert.is_truthy(text:find("null", 1, true), where .. ": not nullable") end
  if t.enum then
    local all = true
    for _, v in ipairs(core.enums[t.enum]) do
      all = all and text:find(code_span(type(v) == "string" and ("%q"):format(v) or tostring(v)), 1, true) ~= nil
    end
    if not all then
      assert.is_truthy(text:find("scenario.enums", 1, true) and text:find(t.enum, 1, true),
        where .. ": neither the values nor the name of " .. t.enum .. " in " .. text)
      assert.is_true(enum_lists[t.enum] == true, where .. ": " .. t.enum .. " is listed nowhere")
    end
  end
end

local function md_code(s) return "`" .. s .. "`" end

-- ---- README.md and docs/endpoints.md -------------------------------------------

describe("the endpoint pages (tools/write_endpoints.lua, make docs-pages)", function()
  local readme, page = read("README.md"), read("docs/endpoints.md")
  local fresh_readme, fresh_page, ok, out

  setup(function()
    local dir = helper.tmpdir()
    helper.write(dir .. "/README.md", readme)
    ok, out = generate("write_endpoints", ("%s/README.md %s/endpoints.md"):format(dir, dir))
    fresh_readme = ok and read(dir .. "/README.md")
    fresh_page = ok and read(dir .. "/endpoints.md")
    sh("rm -rf " .. dir)
  end)

  it("README.md's endpoint list is what the generator writes now", function()
    assert.is_true(ok, out)
    assert.is_true(fresh_readme == readme, "README.md's endpoint list is stale: run make docs-pages")
  end)

  it("docs/endpoints.md is what the generator writes now", function()
    assert.is_true(ok, out)
    assert.is_true(fresh_page == page, "docs/endpoints.md is stale: run make docs-pages")
  end)

  it("README.md lists every endpoint between its marker lines: call, HTTP method and path, idempotent", function()
    local block = readme:match("\n<!%-%- BEGIN endpoints: written by make docs%-pages from the endpoint table; do not "
      .. "edit %-%->\n(.-\n)<!%-%- END endpoints %-%->\n")
    assert.is_string(block, "no endpoint block in README.md")
    for _, ep in ipairs(core.endpoints) do
      local row = block:match("\n(| %[`client:" .. ep.name .. "%([^\n]*)")
      assert.is_string(row, "no row for " .. ep.name)
      assert.is_truthy(row:find("| `" .. ep.method .. " " .. ep.path .. "` |", 1, true), row)
      assert.is_truthy(row:find(ep.idempotent and "| yes |" or "| no |", 1, true), row)
      assert.is_truthy(row:find(ep.summary, 1, true), row)
    end
  end)

  -- docs/endpoints.md's sections: "## name" and "### name" each to the next heading.
  local function section(title)
    local t = title:gsub("%p", "%%%0")
    local s = page:match("\n#+ " .. t .. "\n(.-)\n#") or page:match("\n#+ " .. t .. "\n(.*)$")
    assert.is_string(s, "no section " .. title)
    return s
  end
  -- The enums the Enums section lists, each with every value.
  local function enum_lists()
    local listed = {}
    for name, values in pairs(core.enums) do
      local line = section("Enums"):match("\n%- `" .. name .. "`: ([^\n]*)")
      if line then
        for _, v in ipairs(values) do
          local lit = type(v) == "string" and ("%q"):format(v) or tostring(v)
          assert.is_truthy(line:find("`" .. lit .. "`", 1, true), name .. " lacks " .. lit)
        end
        listed[name] = true
      end
    end
    return listed
  end

  -- Checks that text lists every field of object t as "- `path` (type,
  -- required|optional...): text".
  local function check_fields(where, text, t, stop)
    local n, listed = 0, enum_lists()
    each_field(t, function(path, f)
      local line = text:match("\n%- `" .. path:gsub("%p", "%%%0") .. "` (%([^\n]*)")
      assert.is_string(line, where .. ": no " .. path)
      -- Markdown's escapes of the page's text (< > *) read back as the text.
      line = line:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("\\%*", "*")
      local ty = type_word(f.type, stop and function(o)
        return is_returned[o] and ("[%s](#%s)"):format(o.name, o.name:lower())
      end)
      local head = "(" .. ty .. (f.required and ", required" or ", optional")
      assert.equal(head, line:sub(1, #head), where .. "." .. path)
      check_field(where .. "." .. path, line, f, md_code, listed)
      n = n + 1
    end, stop)
    return n
  end

  it("docs/endpoints.md has, for every endpoint, every field of its body and query", function()
    local n = 0
    for _, ep in ipairs(core.endpoints) do
      local s, sc = section(ep.name), schema[ep.name]
      assert.is_truthy(s:find("`" .. ep.method .. " " .. ep.path .. "`", 1, true), ep.name)
      for _, p in ipairs(ep.params) do assert.is_truthy(s:find("`" .. p .. "`", 1, true), ep.name .. " " .. p) end
      local body, query = s:match("\nBody:\n(.-)\nQuery:\n(.*)$")
      if ep.takes_body and sc.body.kind == "map" then -- no fields: says so, in a line of its own
        assert.is_nil(body)
        assert.is_truthy(s:find("\nBody: a table of any fields (string keys) with `any` values", 1, true), ep.name)
        query = s:match("\nQuery:\n(.*)$")
      elseif ep.takes_body then
        n = n + check_fields(ep.name .. " body", "\n" .. body, sc.body)
      else
        query = s:match("\nQuery:\n(.*)$")
        assert.is_nil(body)
      end
      n = n + check_fields(ep.name .. " query", "\n" .. query, sc.query)
    end
    assert.is_true(n > 100, n .. " fields")
  end)

  it("docs/endpoints.md says what each endpoint returns, and has every field of it, nested", function()
    local n = 0
    for _, ep in ipairs(core.endpoints) do
      local t = returned(ep)
      local s = section(ep.name)
      if t then
        assert.is_truthy(s:find(("[%s](#%s)"):format(t.name, t.name:lower()), 1, true), ep.name)
        if ep.returns == "member" then assert.is_truthy(s:find("`" .. ep.member .. "`", 1, true), ep.name) end
        n = n + check_fields(t.name, "\n" .. section(t.name), t, function(o) return is_returned[o] and o ~= t end)
      else
        assert.is_truthy(s:find("Returns `true`.", 1, true), ep.name)
      end
    end
    assert.is_true(n > 250, n .. " fields")
    -- A dry run's answer: said where it comes, and described once with every field.
    local quoted = 0
    for _, ep in ipairs(core.endpoints) do
      local q = schema[ep.name].quote
      assert.equal(ep.quote, q and true or nil, ep.name)
      if q then
        local line = ("A dry run (`dryRun` in the query) is answered with HTTP 269, a success: the call then "
          .. "returns the whole answer, [%s](#%s), and `meta.status` is 269."):format(q.name, q.name:lower())
        assert.is_truthy(section(ep.name):find(line, 1, true), ep.name)
        assert.is_truthy(section(q.name):find(("[%s](#%s) (a dry run)"):format(ep.name, ep.name), 1, true), ep.name)
        check_fields(q.name, "\n" .. section(q.name), q)
        quoted = quoted + 1
      end
    end
    assert.equal(3, quoted)
    assert.is_truthy(readme:find("| the whole answer: [GenerateCustomResponse](docs/endpoints.md#"
      .. "generatecustomresponse); a dry run, HTTP 269: [DryRunResponse](docs/endpoints.md#dryrunresponse) |", 1, true))
    -- What the issue asked for, spelled out.
    local model = section("Model")
    assert.is_truthy(model:find("\n- `trainingProgress.stage` (string, required; one of `\"pending\"`", 1, true))
    assert.is_truthy(model:find("\n- `trainingProgress.updatedAt` (number, required)", 1, true))
    assert.is_truthy(section("train_model"):find("\n- `parameters.rank` (number, optional; from 2 to 128)", 1, true))
  end)
end)

-- ---- the HTML reference --------------------------------------------------------

local function unhtml(s)
  return (s:gsub("<[^>]*>", ""):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", "\""):gsub("&amp;", "&")
    :gsub("%s+", " "))
end

--[[ The entries of a parameter or field list of LDoc's HTML, by dotted
name: { types, text, optional }. LDoc lists "a.b" under "a", as "b":
the key is "a.b" again. ]]
local function entries(html)
  local list, group = {}, nil
  for li in html:gsub("<li>", "\1"):gmatch("\1([^\1]*)") do
    local name, rest = li:match('^<span class="parameter">([^<]*)</span>(.*)$')
    if name then
      local head = rest:match("^(.-)<ul>")
      local types = (head or rest):match('^%s*<span class="types">(.-)</span>%s*\n') or ""
      list[(not head and group and group .. "." or "") .. name] = { types = unhtml(types), text = unhtml(head or rest),
        optional = (head or rest):find("<em>optional</em>", 1, true) ~= nil }
      if head then group = name end
    end
    if li:find("</li></ul>", 1, true) then group = nil end
  end
  return list
end

-- The part of a page for the item named name: to the next item.
local function item(html, name)
  local s = html:match('<a name = "' .. name:gsub("%p", "%%%0") .. '"></a>(.-)<a name = ')
    or html:match('<a name = "' .. name:gsub("%p", "%%%0") .. '"></a>(.*)$')
  assert.is_string(s, "no " .. name)
  return s
end

local function html_code(s) return s end -- code spans lose their marks as the tags go

-- The last spec below checks that scenario.enums lists every enum.
local all_enums = {}
for name in pairs(core.enums) do all_enums[name] = true end

-- What LDoc prints when all is well (here, from another directory).
local LDOC_PROGRESS = { "^reading configuration from ", "^changing to directory", "^found master module",
                        "^%*%*%*closing section from master module%*%*%*$", "^output written to " }

describe("the HTML reference (tools/ldoc_endpoints.lua and LDoc, make docs)", function()
  local client_html, module_html, ok, out

  setup(function()
    local dir = helper.tmpdir()
    local made
    made, out = generate("ldoc_endpoints", dir)
    -- config.ld, with the generated comments and the pages in dir: LDoc
    -- goes to the directory of its configuration, so every path is made
    -- absolute.
    local cwd = select(2, sh("pwd")):gsub("%s+$", "")
    local cfg = {}
    assert(compat.loadfile("config.ld", cfg))()
    local function abs(p) return p == "build/ldoc" and dir or (cwd .. "/" .. p) end
    local files, excluded = {}, {}
    for i, p in ipairs(cfg.file) do files[i] = ("%q"):format(abs(p)) end
    for i, p in ipairs(cfg.file.exclude or {}) do excluded[i] = ("%q"):format(abs(p)) end
    helper.write(dir .. "/config.ld", read("config.ld") .. ("\nfile = { %s, exclude = { %s } }\ndir = %q\n")
      :format(table.concat(files, ", "), table.concat(excluded, ", "), dir .. "/docs"))
    ok, out = sh(("command -v ldoc >/dev/null || { echo 'ldoc is not installed: make deps installs lua-ldoc'; "
      .. "exit 1; }; ldoc --fatalwarnings -c %s/config.ld . 2>&1"):format(dir))
    for line in out:gmatch("[^\n]+") do
      local progress = false
      for _, pat in ipairs(LDOC_PROGRESS) do progress = progress or line:find(pat) ~= nil end
      ok = ok and progress
    end
    ok = made and ok
    if ok then
      client_html = read(dir .. "/docs/classes/scenario.Client.html")
      module_html = read(dir .. "/docs/modules/scenario.html")
    end
    sh("rm -rf " .. dir)
  end)

  it("builds without a warning", function()
    assert.is_true(ok, out)
  end)

  it("lists every path parameter and every field of every method's body and query, typed, with its limits",
    function()
    assert.is_true(ok, out)
    local n = 0
    for _, ep in ipairs(core.endpoints) do
      local list = entries(item(client_html, "scenario.Client:" .. ep.name))
      for _, p in ipairs(ep.params) do assert.equal("string", list[p] and list[p].types, ep.name .. " " .. p) end
      for _, role in ipairs { "body", "query" } do
        if role == "body" and ep.takes_body and schema[ep.name].body.kind == "map" then
          assert.is_truthy(list.body.text:find("a table of any fields (string keys) with any values", 1, true),
            list.body.text)
        elseif role == "query" or ep.takes_body then
          assert.is_table(list[role], ep.name .. " " .. role)
          each_field(schema[ep.name][role], function(path, f)
            local key = role .. "." .. path:gsub("%[%]", ""):gsub("%.%*", "")
            local e = list[key]
            assert.is_table(e, ep.name .. ": no " .. key)
            assert.equal(type_word(f.type), e.types, ep.name .. " " .. key)
            assert.equal(not f.required, e.optional, ep.name .. " " .. key)
            check_field(ep.name .. " " .. key, e.text, f, html_code, all_enums)
            n = n + 1
          end)
        end
      end
      -- The _async and validate_ forms point to it.
      assert.is_truthy(item(client_html, "scenario.Client:" .. ep.name .. "_async")
        :find('href="../classes/scenario.Client.html#scenario.Client:' .. ep.name .. '"', 1, true))
      assert.is_truthy(item(module_html, "validate_" .. ep.name)
        :find('href="../classes/scenario.Client.html#scenario.Client:' .. ep.name .. '"', 1, true))
    end
    assert.is_true(n > 100, n .. " fields")
    local rank = entries(item(client_html, "scenario.Client:train_model"))["body.parameters.rank"]
    assert.equal("number", rank.types)
    assert.is_truthy(rank.text:find("(from 2 to 128)", 1, true), rank.text)
  end)

  it("links each method to a table of what it returns, with every field, nested", function()
    assert.is_true(ok, out)
    local n = 0
    for _, ep in ipairs(core.endpoints) do
      local t = returned(ep)
      local returns = item(client_html, "scenario.Client:" .. ep.name):match("<h3>Returns:</h3>(.-)</ol>")
      local q = schema[ep.name].quote
      if q then -- the dry run's answer, linked in the return's types and in its text
        local _, links = returns:gsub('href="../classes/scenario.Client.html#scenario.Client.' .. q.name .. '"', "")
        assert.equal(2, links, ep.name)
        assert.is_truthy(unhtml(returns):find("answered with HTTP 269", 1, true), ep.name)
        local list = entries(item(client_html, "scenario.Client." .. q.name))
        each_field(q, function(path, f)
          assert.is_table(list[path], q.name .. ": no " .. path)
          check_field(q.name .. "." .. path, list[path].text, f, html_code, all_enums)
        end)
      end
      if t then
        assert.is_truthy(returns:find('href="../classes/scenario.Client.html#scenario.Client.' .. t.name .. '"', 1,
          true), ep.name)
        local list = entries(item(client_html, "scenario.Client." .. t.name))
        each_field(t, function(path, f)
          local key = path:gsub("%[%]", ""):gsub("%.%*", "")
          local e = list[key]
          assert.is_table(e, t.name .. ": no " .. key)
          local ty = type_word(f.type, function(o) return is_returned[o] and o.name end)
          if e.types == "" then -- a field with fields, whose entry LDoc writes without its type
            local head = ty .. (f.required and ":" or ", optional:")
            assert.is_truthy(e.text:find("^%s*" .. head:gsub("%p", "%%%0")), t.name .. "." .. key .. ": " .. e.text)
          else
            assert.equal(ty, e.types, t.name .. "." .. key)
            assert.equal(not f.required, e.optional, t.name .. "." .. key)
          end
          check_field(t.name .. "." .. key, e.text, f, html_code, all_enums)
          n = n + 1
        end, function(o) return is_returned[o] and o ~= t end)
      else
        assert.is_truthy(returns:find("true", 1, true), ep.name)
      end
    end
    assert.is_true(n > 250, n .. " fields")
    local model = entries(item(client_html, "scenario.Client.Model"))
    assert.is_truthy(model.trainingProgress.text:find("^%s*table, optional:"), model.trainingProgress.text)
    assert.is_truthy(model["trainingProgress.stage"].text:find('"queued-for-train"', 1, true))
    assert.equal("number", model["trainingProgress.updatedAt"].types)
  end)

  it("lists every enum with its values under scenario.enums", function()
    assert.is_true(ok, out)
    local list = entries(item(module_html, "enums"))
    for name, values in pairs(core.enums) do
      assert.is_table(list[name], name)
      for _, v in ipairs(values) do
        local lit = type(v) == "string" and ("%q"):format(v) or tostring(v)
        assert.is_truthy(list[name].text:find(lit, 1, true), name .. " lacks " .. lit)
      end
    end
  end)
end)
