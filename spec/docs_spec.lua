-- The documentation names only what exists: every link, file path,
-- function, method and option that README.md and docs/*.md name is
-- checked against the checkout and against the objects the module makes,
-- and the README's quick start runs against the stand-in.
local helper = require "spec.helper"
local scenario = require "scenario"
local testing = require "scenario.testing"

local unpack = table.unpack or unpack -- luacheck: ignore 143

local function exists(path)
  local f = io.open(path, "rb") -- a directory opens too, on Linux
  if f then f:close() end
  return f ~= nil
end

local function docs_files()
  local list = {}
  local p = assert(io.popen("ls docs 2>/dev/null"))
  for name in p:lines() do list[#list + 1] = "docs/" .. name end
  p:close()
  table.sort(list)
  return list
end

-- The pages checked: the README and every Markdown file of docs/.
local function pages()
  local list = { "README.md" }
  for _, path in ipairs(docs_files()) do
    if path:match("%.md$") then list[#list + 1] = path end
  end
  return list
end

-- A Markdown page split into its prose (fenced blocks left out) and its
-- code: every fenced block and every `span` of the prose.
local function parse(path)
  local text = helper.read(path)
  local prose, code, blocks = {}, {}, {}
  local block
  for line in (text:gsub("\r", "") .. "\n"):gmatch("(.-)\n") do
    if block then
      if line:match("^%s*```%s*$") then block = nil else block.lines[#block.lines + 1] = line end
    elseif line:match("^%s*```") then
      block = { lang = line:match("^%s*```+%s*([%w_-]*)"), lines = {}, first = #prose + 1 }
      blocks[#blocks + 1] = block
      prose[#prose + 1] = "" -- keeps line numbers of prose and blocks apart but countable
    else
      prose[#prose + 1] = line
    end
  end
  local body = table.concat(prose, "\n")
  for _, b in ipairs(blocks) do code[#code + 1] = table.concat(b.lines, "\n") end
  for span in body:gmatch("`([^`]+)`") do code[#code + 1] = (span:gsub("\n", " ")) end
  return { path = path, text = text, prose = body, code = code, blocks = blocks }
end

-- GitHub's anchor for a heading: lower case, punctuation dropped, spaces
-- as hyphens (bytes past ASCII are kept as they are: a heading with an
-- upper-case letter past ASCII would not match, so do not link one).
local function slug(heading)
  return (heading:gsub("`", ""):lower():gsub("[^%w%s_%-\128-\255]", ""):gsub("%s", "-"))
end

local function anchors(page)
  local set, seen = {}, {}
  for line in (page.prose .. "\n"):gmatch("(.-)\n") do
    local heading = line:match("^#+%s+(.-)%s*$")
    if heading then
      local s = slug(heading)
      set[seen[s] and (s .. "-" .. seen[s]) or s] = true
      seen[s] = (seen[s] or 0) + 1
    end
  end
  return set
end

-- A path relative to the page's folder, with . and .. taken out.
local function resolve(from, target)
  local dir = from:match("^(.*)/[^/]*$")
  local parts = {}
  for part in ((dir and dir .. "/" or "") .. target):gmatch("[^/]+") do
    if part == ".." then
      if #parts == 0 then return nil end
      parts[#parts] = nil
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return table.concat(parts, "/") .. (target:sub(-1) == "/" and "/" or "")
end

-- Every relative link of a page: {target, file (resolved), anchor}.
local function links(page)
  local list = {}
  for target in page.prose:gmatch("%]%(([^)%s]+)%)") do
    if not target:match("^%a[%w+.-]*:") then -- http:, https:, mailto:
      local file, anchor = target:match("^([^#]*)#?(.*)$")
      list[#list + 1] = { target = target, file = file ~= "" and resolve(page.path, file) or page.path,
        anchor = anchor ~= "" and anchor or nil }
    end
  end
  return list
end

-- Every match of pattern in the code of every page, as "page: match".
local function each_code(all, pattern, fn)
  for _, page in ipairs(all) do
    for _, code in ipairs(page.code) do
      -- LuaLS annotations (---@alias scenario.ModelType) name types, not values.
      code = (" " .. code):gsub("%-%-%-@[^\n]*", "")
      for a, b in code:gmatch(pattern) do fn(page.path, a, b) end
    end
  end
end

-- Follows a dotted chain (enums.lr_scheduler) from root; a first name
-- that is not a field may be a module of its own (scenario.testing).
local function lookup(root, prefix, chain)
  local v = root
  local i = 0
  for name in chain:gmatch("[^.]+") do
    i = i + 1
    local nextv = type(v) == "table" and v[name] or nil
    if nextv == nil and i == 1 and prefix then
      local ok, mod = pcall(require, prefix .. "." .. name)
      nextv = ok and mod or nil
    end
    if nextv == nil then return false end
    v = nextv
  end
  return true
end

describe("the documentation", function()
  local all, server, client, req, w

  setup(function()
    all = {}
    for _, path in ipairs(pages()) do all[#all + 1] = parse(path) end
    server = testing.start()
    client = scenario.new { base_url = server.base_url, api_key = "k", api_secret = "s", timeout = 5 }
    req = assert(client:get_model_async("model_docs_spec"))
    w = client:wait_for_training_async("model_docs_spec", { timeout = 5 })
  end)

  teardown(function()
    if req then req:cancel() end
    if w then w:cancel() end
    if client then client:close() end
    if server then server:stop() end
  end)

  it("links only to files, folders and headings that exist", function()
    local bad = {}
    for _, page in ipairs(all) do
      for _, l in ipairs(links(page)) do
        if not (l.file and exists(l.file)) then
          bad[#bad + 1] = page.path .. ": " .. l.target
        elseif l.anchor and l.file:match("%.md$") and not anchors(parse(l.file))[l.anchor] then
          bad[#bad + 1] = page.path .. ": " .. l.target .. " (no such heading)"
        end
      end
    end
    assert.same({}, bad)
  end)

  it("names only methods and functions that exist on the real objects", function()
    local objects = { client = client, req = req, w = w, s = server }
    local bad, seen = {}, 0
    for name, object in pairs(objects) do
      each_code(all, "[^%w_.:]" .. name .. ":([%a_][%w_]*)()", function(path, method)
        seen = seen + 1
        if type(object[method]) ~= "function" then bad[#bad + 1] = ("%s: %s:%s"):format(path, name, method) end
      end)
    end
    each_code(all, "[^%w_./-]scenario%.([%a_][%w_.]*)()", function(path, chain)
      seen = seen + 1
      chain = chain:gsub("%.$", "")
      if not lookup(scenario, "scenario", chain) then bad[#bad + 1] = path .. ": scenario." .. chain end
    end)
    each_code(all, "[^%w_./-]core%.([%a_][%w_.]*)()", function(path, chain)
      seen = seen + 1
      chain = chain:gsub("%.$", "")
      if not lookup(require "scenario.core", nil, chain) then bad[#bad + 1] = path .. ": core." .. chain end
    end)
    assert.same({}, bad)
    assert.truthy(seen > 50, "too few names found: " .. seen) -- the scan itself works
  end)

  -- What each kind of options table takes, asked of the code itself: a
  -- name it does not know raises "unknown option", a known one given a
  -- value of no use to it raises something else.
  local function takes(call)
    local ok, err = pcall(call)
    if ok and type(err) == "table" and err.cancel then err:cancel() end
    return ok or not tostring(err):find("unknown option", 1, true)
  end
  local bad_value = coroutine.create(function() end) -- no option takes a thread
  local function new_takes(name)
    local opts = { api_key = "k", api_secret = "s", base_url = "http://127.0.0.1:9/v1" }
    opts[name] = bad_value
    return takes(function() return scenario.new(opts) end)
  end
  local function any_takes(name)
    local o = { [name] = bad_value }
    return new_takes(name)
      or takes(function() return client:create_model_async(nil, nil, o) end)
      or takes(function() return client:request_async("GET", "/docs-spec", o) end)
      or takes(function() return client:wait_for_training_async("model_docs_spec", o) end)
      or takes(function() return scenario.data_url("README.md", o) end)
  end

  it("lists every option of scenario.new in configuration.md, and no other", function()
    local page = parse("docs/configuration.md")
    local listed, in_table = {}, false
    for line in (page.prose .. "\n"):gmatch("(.-)\n") do
      if line:match("^|%s*option%s*|") then
        in_table = true
      elseif in_table and line:match("^|") then
        local first = line:match("^|([^|]*)|")
        for name in first:gmatch("`([^`]+)`") do listed[#listed + 1] = name end
      elseif in_table then
        break
      end
    end
    assert.truthy(#listed > 10, "the options table of docs/configuration.md was not found")
    local bad, documented = {}, {}
    for _, name in ipairs(listed) do
      documented[name] = true
      if not new_takes(name) then bad[#bad + 1] = "not an option of scenario.new: " .. name end
    end
    -- The list scenario.new checks against (Client.option_names), wherever the
    -- module that holds it is.
    local names = getmetatable(client).option_names
    for name, mod in pairs(package.loaded) do
      if names == nil and type(name) == "string" and name:find("^scenario%.") and type(mod) == "table" then
        names = rawget(mod, "option_names")
      end
    end
    assert.is_table(names, "no loaded scenario module has option_names to compare the table with")
    for _, name in ipairs(names) do
      if not documented[name] then bad[#bad + 1] = "missing from docs/configuration.md: " .. name end
    end
    assert.same({}, bad)
  end)

  it("names as options only what some call takes as an option", function()
    local bad, seen = {}, 0
    local function check(path, name)
      seen = seen + 1
      if not any_takes(name) then bad[#bad + 1] = path .. ": " .. name end
    end
    each_code(all, "[^%w_.]opts%.([%a_][%w_]*)()", check)
    for _, page in ipairs(all) do
      local prose = page.prose:gsub("\n", " ")
      for name in prose:gmatch("[Oo]ption `([%a_][%w_]*)") do check(page.path, name) end
      for name in prose:gmatch("`([%a_][%w_]*)[^`]*` option[^s]") do check(page.path, name) end
    end
    assert.same({}, bad)
    assert.truthy(seen > 10, "too few options found: " .. seen)
  end)

  it("names only files and folders of the checkout that exist", function()
    local bad, seen = {}, 0
    for _, top in ipairs { "lua", "csrc", "spec", "tools", "examples", "bench", "types" } do
      each_code(all, "[^%w_./-](" .. top .. "/[%w_./-]*)()", function(path, file)
        seen = seen + 1
        file = file:gsub("[.,]$", "")
        if not exists(file) then bad[#bad + 1] = path .. ": " .. file end
      end)
    end
    assert.same({}, bad)
    assert.truthy(seen > 10, "too few paths found: " .. seen)
  end)

  it("keeps the README short, with Lua code in its first 40 lines", function()
    local page = all[1]
    local lines = select(2, page.text:gsub("\n", "")) + (page.text:sub(-1) == "\n" and 0 or 1)
    assert.truthy(lines <= 160, "README.md has " .. lines .. " lines")
    local first
    local n, in_lua = 0, false
    for line in page.text:gmatch("([^\n]*)\n") do
      n = n + 1
      if in_lua and line:match("^```") then break end
      if in_lua and line:match("%S") then first = n break end
      if line:match("^```lua%s*$") then in_lua = true end
    end
    assert.truthy(first and first <= 40, "the first line of Lua is at line " .. tostring(first))
  end)

  it("links every page of docs/ from the README", function()
    local linked = {}
    for _, l in ipairs(links(all[1])) do linked[l.file] = true end
    local bad = {}
    local files = docs_files()
    for _, path in ipairs(files) do
      if not linked[path] then bad[#bad + 1] = path end
    end
    assert.same({}, bad)
    assert.truthy(#files > 0)
  end)

  it("gives a quick start in the README that runs: a LoRA trained, 4 images made with it and downloaded", function()
    local block = all[1].blocks[1]
    assert.equal("lua", block.lang)
    -- The stand-in moves a stage per poll: the waits need not take seconds
    -- between polls; and the files go to a directory of the spec's.
    local dir = helper.tmpdir()
    local prelude = ([[
      local scenario = require "scenario"
      local new = scenario.new
      scenario.new = function(...)
        local client = new(...)
        for _, name in ipairs { "wait_for_training", "wait_for_job" } do
          local wait = client[name]
          client[name] = function(self, id, opts)
            opts = opts or {}
            opts.interval = 0.01
            return wait(self, id, opts)
          end
        end
        local download = client.download_job_assets
        client.download_job_assets = function(self, job, _, opts) return download(self, job, %q, opts) end
        return client
      end
    ]]):format(dir)
    local fresh = testing.start()
    local out, ok = helper.run_lua(prelude .. table.concat(block.lines, "\n"),
      ("SCENARIO_BASE_URL=%s SCENARIO_SDK_API_KEY=k SCENARIO_SDK_API_SECRET=s")
      :format(fresh.base_url))
    local asked = fresh:requests() or {}
    fresh:stop()
    local files = select(2, helper.sh("cd '" .. dir .. "' && file *"))
    helper.sh("rm -rf '" .. dir .. "'")
    assert.is_true(ok, out)
    local id = out:match("trained (model_[%w_]+)")
    assert.truthy(id, out)
    local seen, by = {}, {}
    for _, r in ipairs(asked) do
      seen[#seen + 1] = r.method .. " " .. r.path
      by[r.endpoint] = (by[r.endpoint] or 0) + 1
      if r.endpoint == "generate" then assert.equal(id, r.body.modelId) end
    end
    assert.same({ "POST /v1/models", "POST /v1/models/" .. id .. "/training-images",
      "POST /v1/models/" .. id .. "/training-images", "POST /v1/models/" .. id .. "/training-images",
      "PUT /v1/models/" .. id .. "/train" }, { unpack(seen, 1, 5) })
    assert.same({ 1, 4, 4 }, { by.generate, by.get_asset, by.cdn })
    local printed = 0
    for path in out:gmatch("/(asset_[%w_]+%.png)\n") do
      printed = printed + 1
      assert.truthy(files:find(path .. ": PNG image data", 1, true), files)
    end
    assert.equal(4, printed, out)
  end)
end)
