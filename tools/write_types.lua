--[[
Writes types/scenario.lua, the LuaLS definitions (a ---@meta file), from
the same sources as the methods and the reference: the endpoint table and
its schema (core.endpoints, core.schema, core.enums: every field with its
type, limits and page text) and the LDoc of lua/scenario/init.lua (the
options of scenario.new and the fields and kinds of scenario.Error).

  lua5.4 tools/write_types.lua [FILE]   (make types, from the checkout's
                                          root; default stdout)

spec/types_spec.lua fails when the committed file is not what this writes.
]]
local walk = require "tools.schema_walk"

local out = {}
local function w(line) out[#out + 1] = line end

local pascal, oneline, limits = walk.pascal, walk.oneline, walk.limits

-- ---- enums ------------------------------------------------------------------

local enum_alias = {} -- enum name -> "scenario.ModelType"
local function enum_line(name, values)
  local parts = {}
  for i, v in ipairs(values) do
    parts[i] = walk.literal(v)
  end
  return ("---@alias scenario.%s %s"):format(pascal(name), table.concat(parts, "|"))
end

-- ---- classes ----------------------------------------------------------------

local class_of = {}   -- type table -> class name
local queue = {}      -- classes to write, in order of first use
local exact = {}      -- request bodies and queries: LuaLS flags a field set that is not theirs

local typename -- forward

-- The class name of object type t, met as field `field` of class `parent`
-- (an array's items as the singular of the field's name).
local function class_name(t, parent, field, item)
  if class_of[t] then return class_of[t] end
  local name = t.name and ("scenario." .. t.name)
  if not name then
    local f = pascal(field)
    if item then f = f:gsub("ies$", "y"):gsub("([^s])s$", "%1") end
    name = parent .. f
  end
  class_of[t] = name
  queue[#queue + 1] = t
  return name
end

function typename(t, parent, field, item)
  local k = t.kind
  if k == "string" or k == "intenum" then
    if t.enum then return enum_alias[t.enum] end
    return k == "string" and "string" or "integer"
  elseif k == "number" then
    return "number"
  elseif k == "boolean" then
    return "boolean"
  elseif k == "any" then
    return "any"
  elseif k == "array" then
    local inner = typename(t.items, parent, field, true)
    return inner:find("[|%s]") and ("(" .. inner .. ")[]") or (inner .. "[]")
  elseif k == "map" then
    return ("table<string, %s>"):format(typename(t.items, parent, field, true))
  end
  return class_name(t, parent, field, item)
end

local function write_class(t)
  local name = class_of[t]
  w("")
  w(("---@class %s%s"):format(exact[t] and "(exact) " or "", name))
  for _, f in ipairs(t.fields) do
    local ty = typename(f.type, name, f.name)
    if f.nullable then ty = ty .. "|scenario.Null" end
    local notes = limits(f.type)
    local doc = oneline(f.doc)
    if #notes > 0 then doc = doc .. " (" .. table.concat(notes, "; ") .. ")" end
    if f.nullable then doc = doc .. " `scenario.null` unsets it." end
    w(("---@field %s%s %s %s"):format(f.name, f.required and "" or "?", ty, doc))
  end
end

-- ---- what init.lua's LDoc says ----------------------------------------------

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local init = read("lua/scenario/init.lua")

-- LDoc types to LuaLS ones.
local ldoc_types = { int = "integer", ["string|false"] = "string|false", ["function"] = "function" }

-- scenario.new's options: each "-- @tparam[opt...] TYPE opts.NAME DOC" with
-- its continuation lines.
local function new_options()
  local list, cur = {}, nil
  for line in init:gmatch("([^\n]*)\n") do
    local dflt, ty, name, doc = line:match("^%-%- @tparam%[opt=?([^%]]*)%] (%S+) opts%.([%w_]+)%s*(.*)$")
    if name then
      cur = { name = name, type = ldoc_types[ty] or ty, doc = doc, default = dflt }
      list[#list + 1] = cur
    elseif cur and line:match("^%-%-   ") then
      cur.doc = cur.doc .. " " .. line:match("^%-%-%s+(.*)$")
    else
      cur = nil
    end
  end
  return list
end

-- scenario.Error's fields, from its "@type Error" section: each "--- DOC"
-- paragraph closed by "-- @tfield TYPE NAME".
local function error_fields()
  local section = assert(init:match("%-%- @type Error\n(.*)$"), "init.lua: no @type Error section")
  local list, doc = {}, {}
  for line in section:gmatch("([^\n]*)\n") do
    local ty, name = line:match("^%-%- @tfield (%S+) ([%w_]+)")
    if name then
      list[#list + 1] = { name = name, type = ldoc_types[ty] or (ty == "{table,...}" and "table[]" or ty),
                          doc = oneline(table.concat(doc, " ")) }
      doc = {}
    elseif line:match("^%-%-%-? ?") and not line:match("^%-%- @%a") then
      doc[#doc + 1] = line:gsub("^%-%-%-? ?", "")
    end
  end
  return list
end

-- The kinds listed in the doc of Error.kind: `name` before " (".
local function error_kinds(fields)
  local kinds = {}
  for _, f in ipairs(fields) do
    if f.name == "kind" then
      for k in f.doc:gmatch("`([%l_]+)` %(") do kinds[#kinds + 1] = ("%q"):format(k) end
    end
  end
  assert(#kinds > 0, "init.lua: no kinds in the doc of Error.kind")
  return kinds
end

-- ---- the file ---------------------------------------------------------------

w("---@meta scenario")
w("-- LuaLS definitions for the scenario module: point LuaLS at this directory")
w("-- (\"workspace.library\" in .luarc.json). Written by tools/write_types.lua")
w("-- from the endpoint table (csrc/endpoint_table.c), its schema (csrc/schema_*.c) and")
w("-- the LDoc of lua/scenario/init.lua: do not edit, run `make types`.")
w("-- It is valid Lua that defines nothing: running it does no harm.")
w("")
w("-- ---- enums (scenario.enums) ----")
local enum_names = {}
for name in pairs(walk.enums) do enum_names[#enum_names + 1] = name end
table.sort(enum_names)
for _, name in ipairs(enum_names) do
  enum_alias[name] = "scenario." .. pascal(name)
  w(enum_line(name, walk.enums[name]))
end

local schema, by_name = walk.schema, walk.by_name

-- Name every endpoint's types first, so that classes are written in the
-- table's order.
for _, s in ipairs(schema) do
  for _, role in ipairs { "body", "query", "response" } do
    local t = s[role]
    if t and t.kind == "object" then
      assert(t.name, ("%s: its %s type needs a name (sc_type.name)"):format(s.name, role))
      typename(t)
      if role ~= "response" then exact[t] = true end
    end
  end
end

w("")
w("-- ---- the API's objects (bodies, queries, answers) ----")
w("")
w("---The JSON null sentinel, `scenario.null`.")
w("---@class scenario.Null: lightuserdata")
local i = 1
while queue[i] do -- writing a class may queue the classes of its fields
  write_class(queue[i])
  i = i + 1
end

w("")
w("-- ---- errors and results ----")
w("")
local efields = error_fields()
w("---@alias scenario.ErrorKind " .. table.concat(error_kinds(efields), "|"))
w("")
w("---An error value: `nil, err` from every call that can fail at run time.")
w("---@class scenario.Error")
for _, f in ipairs(efields) do
  w(("---@field %s%s %s %s"):format(f.name, f.name == "kind" and "" or (f.name == "message" and "" or "?"),
    f.name == "kind" and "scenario.ErrorKind" or f.type, f.doc))
end
w("")
w("---What a successful call returns beside its result.")
w("---@class scenario.Meta")
w("---@field status integer the HTTP status")
w("---@field headers table<string, string> the response headers, with lower-case names")
w("---@field body string the raw response body")
w("---@field attempts integer how many attempts were made")
w("---@field problems? table[] where the answer is not of the documented shape: `{path, message}` each")
w("")
w("---Options every method takes as its last argument.")
w("---@class (exact) scenario.CallOptions")
w("---@field timeout? number seconds for each attempt of this call, instead of the client's `timeout`")
w("---@field max_retries? integer retries after the first attempt, instead of the client's `max_retries`")
w("---@field headers? table<string, string> extra request headers (not Authorization, Content-Type, "
  .. "Content-Length, Transfer-Encoding or Host; no CR or LF)")
w("")
w("---The options of a method with a body.")
w("---@class (exact) scenario.BodyCallOptions: scenario.CallOptions")
w("---@field extra_body? table fields sent as they are, unvalidated, for fields newer than this version")
w("")
w("---@alias scenario.OnDone fun(result: any, meta_or_err: scenario.Meta|scenario.Error)")
w("")
w("---@class (exact) scenario.AsyncCallOptions: scenario.CallOptions")
w("---@field on_done? scenario.OnDone called once when the request ends")
w("")
w("---@class (exact) scenario.AsyncBodyCallOptions: scenario.BodyCallOptions")
w("---@field on_done? scenario.OnDone called once when the request ends")
w("")
w("---client:request's options.")
w("---@class scenario.RequestOptions")
w("---@field body? any sent as JSON without a schema (`scenario.null` is null, `scenario.array()` is [])")
w("---@field query? table<string, string|number|boolean|(string|number|boolean)[]> percent-encoded")
w("---@field timeout? number")
w("---@field max_retries? integer")
w("---@field headers? table<string, string>")
w("---@field on_done? fun(result: any, meta_or_err: scenario.Meta|scenario.Error) (request_async only)")
w("")
w("---scenario.new's options.")
w("---@class (exact) scenario.Options")
for _, o in ipairs(new_options()) do
  local doc = oneline(o.doc)
  if o.default ~= "" then doc = doc .. (" (default %s)"):format(o.default) end
  w(("---@field %s? %s %s"):format(o.name, o.type, doc))
end

w("")
w("-- ---- requests in flight ----")
w("")
w("---A request in flight: what every `_async` method returns.")
w("---@class scenario.Request")
w("local Request = {}")
w("---Moves this request, and every other one of its client, forward without blocking.")
w("---@return boolean done")
w("function Request:poll() end")
w("---Whether the request has finished, without moving anything.")
w("---@return boolean")
w("function Request:done() end")
w("---The result of a finished request, as the blocking call returns it (raises before it has finished).")
w("---@return any result")
w("---@return scenario.Meta|scenario.Error meta_or_err")
w("function Request:result() end")
w("---Blocks until the request finishes, or until `timeout` seconds pass (then `nil, err` of kind `pending`).")
w("---@param timeout? number")
w("---@return any result")
w("---@return scenario.Meta|scenario.Error meta_or_err")
w("function Request:wait(timeout) end")
w("---Stops the request: it ends with an error of kind `cancelled`.")
w("---@return boolean was_in_flight")
w("function Request:cancel() end")
w("")
w("---A wait for a training or a job: what `wait_for_training_async` and `wait_for_job_async` return;")
w("---the methods of a request.")
w("---@class scenario.Wait: scenario.Request")
w("")
w("---@class scenario.WaitOptions")
w("---@field interval? number seconds between polls at first (default 5)")
w("---@field max_interval? number the longest interval, backing off while nothing changes (default 30)")
w("---@field timeout? number seconds before the wait ends with kind `timeout` (none by default)")
w("---@field on_progress? fun(model: scenario.Model) called when the status or training progress changes")
w("---@field on_done? fun(model: scenario.Model|nil, meta_or_err: scenario.Meta|scenario.Error) (async only)")
w("---@field query? scenario.ModelQuery get_model's query")
w("")
w("---@class scenario.JobWaitOptions")
w("---@field interval? number seconds between polls at first (default 3)")
w("---@field max_interval? number the longest interval, backing off while nothing changes (default 30)")
w("---@field timeout? number seconds before the wait ends with kind `timeout` (none by default)")
w("---@field on_progress? fun(job: scenario.Job) called when the status or the progress changes")
w("---@field on_done? fun(job: scenario.Job|nil, meta_or_err: scenario.Meta|scenario.Error) (async only)")
w("---@field query? table get_job's query (`projectId`)")
w("")
w("---A file's transfer: what `download_asset_async` returns; the methods of a request.")
w("---@class scenario.Download: scenario.Request")
w("")
w("---@class scenario.DownloadOptions")
w("---@field on_progress? fun(done: integer, total: integer|nil) bytes so far, and the file's length if known")
w("---@field max_bytes? integer the largest file taken (default 1 GiB to a path, 64 MiB in memory)")
w("---@field timeout? number seconds without a byte before a transfer fails")
w("---@field max_retries? integer retries of each transfer")
w("---@field on_done? fun(path_or_bytes: string|nil, meta_or_err: scenario.DownloadMeta|scenario.Error) (async only)")
w("")
w("---@class scenario.DownloadMeta")
w("---@field status integer")
w("---@field bytes integer the file's length")
w("---@field mime string|nil its media type, lower-case, without parameters")
w("---@field path string|nil where it went")
w("---@field attempts integer")
w("")
w("---@class scenario.JobDownloadOptions")
w("---@field on_progress? fun(done: integer, total: integer, path: string) as each file arrives")
w("---@field max_bytes? integer the largest file taken (default 1 GiB)")
w("---@field timeout? number seconds without a byte before a transfer fails")
w("---@field max_retries? integer retries of each transfer")

-- ---- the client's methods, from the endpoint table ----------------------------

local function result_type(ep)
  local r = walk.result(ep)
  if r.what == "nothing" then return "true" end
  if r.quote then return typename(r.type) .. "|" .. typename(r.quote) end -- the quote: a dry run's 269
  return typename(r.type)
end

local function params(ep, lines)
  local s, names = by_name[ep.name], {}
  for _, p in ipairs(ep.params) do
    lines[#lines + 1] = ("---@param %s string a non-empty string, percent-encoded into the path"):format(p)
    names[#names + 1] = p
  end
  if ep.takes_body then
    lines[#lines + 1] = ("---@param body? %s"):format(class_of[s.body] or typename(s.body)) -- a map: no class
    names[#names + 1] = "body"
  end
  lines[#lines + 1] = ("---@param query? %s"):format(class_of[s.query])
  names[#names + 1] = "query"
  return names
end

w("")
w("-- ---- the client ----")
w("")
w("---A client of the Scenario API: `scenario.new(opts)`.")
w("---@class scenario.Client")
w("---@field base_url string")
w("---@field project_id? string")
w("local Client = {}")
for _, ep in ipairs(walk.endpoints) do
  local lines = {}
  local r = result_type(ep)
  local where = ("%s %s"):format(ep.method, ep.path)
  w("")
  w(("---%s %s."):format(ep.summary, where))
  local names = params(ep, lines)
  for _, l in ipairs(lines) do w(l) end
  w(("---@param opts? scenario.%sCallOptions"):format(ep.takes_body and "Body" or ""))
  w(("---@return %s|nil result"):format(r))
  w("---@return scenario.Meta|scenario.Error meta_or_err")
  w(("function Client:%s(%s, opts) end"):format(ep.name, table.concat(names, ", ")))
  w("")
  w(("---%s, without blocking (%s)."):format(ep.summary:gsub("%.$", ""), where))
  for _, l in ipairs(lines) do w(l) end
  w(("---@param opts? scenario.Async%sCallOptions"):format(ep.takes_body and "Body" or ""))
  w("---@return scenario.Request|nil req")
  w("---@return scenario.Error? err a `validation` error")
  w(("function Client:%s_async(%s, opts) end"):format(ep.name, table.concat(names, ", ")))
  if ep.pages then
    local items = typename(walk.result(ep).items)
    w("")
    w(("---Every item of `%s`, across its pages; on a failure it yields `false, err` once and ends."):format(ep.name))
    w(("---@param query? %s"):format(class_of[by_name[ep.name].query]))
    w("---@param opts? scenario.CallOptions")
    w(("---@return fun(): %s|false|nil, scenario.Error?"):format(items))
    w(("function Client:%s(query, opts) end"):format(ep.pages.each))
  end
end
w("")
w("---Waits for the training of a model to end (polling get_model), and returns the trained model.")
w("---@param modelId string")
w("---@param opts? scenario.WaitOptions")
w("---@return scenario.Model|nil model")
w("---@return scenario.Meta|scenario.Error meta_or_err kinds `training_failed`, `training_canceled`, `timeout`...")
w("function Client:wait_for_training(modelId, opts) end")
w("")
w("---Waits for the training of a model to end, without blocking.")
w("---@param modelId string")
w("---@param opts? scenario.WaitOptions")
w("---@return scenario.Wait")
w("function Client:wait_for_training_async(modelId, opts) end")
w("")
w("---Waits for a job (a generation) to end (polling get_job), and returns the finished job.")
w("---@param jobId string")
w("---@param opts? scenario.JobWaitOptions")
w("---@return scenario.Job|nil job")
w("---@return scenario.Meta|scenario.Error meta_or_err kinds `job_failed`, `job_canceled`, `timeout`...")
w("function Client:wait_for_job(jobId, opts) end")
w("")
w("---Waits for a job to end, without blocking.")
w("---@param jobId string")
w("---@param opts? scenario.JobWaitOptions")
w("---@return scenario.Wait")
w("function Client:wait_for_job_async(jobId, opts) end")
w("")
w("---Downloads an asset's file to path (or, without one, returns its bytes); no credential goes to its host.")
w("---@param asset scenario.Asset|string an asset, an asset id or its URL")
w("---@param path? string")
w("---@param opts? scenario.DownloadOptions")
w("---@return string|nil path_or_bytes")
w("---@return scenario.DownloadMeta|scenario.Error meta_or_err kinds as a call's, and `file`")
w("function Client:download_asset(asset, path, opts) end")
w("")
w("---Downloads an asset's file, without blocking.")
w("---@param asset scenario.Asset|string")
w("---@param path? string")
w("---@param opts? scenario.DownloadOptions")
w("---@return scenario.Download")
w("function Client:download_asset_async(asset, path, opts) end")
w("")
w("---Downloads every file of a job (its `metadata.assetIds`) into dir, each named after its asset.")
w("---@param job scenario.Job|string a job or its id")
w("---@param dir string")
w("---@param opts? scenario.JobDownloadOptions")
w("---@return string[]|nil paths in the job's order")
w("---@return table|scenario.Error meta_or_err `bytes` and `assets`; or the first failure, with `paths`")
w("function Client:download_job_assets(job, dir, opts) end")
w("")
w("---Calls an endpoint the table does not have yet: GET, PUT and DELETE are retried as idempotent;")
w("---POST and PATCH are sent at most once.")
w("---@param method \"GET\"|\"POST\"|\"PUT\"|\"PATCH\"|\"DELETE\"")
w("---@param path string after base_url, from \"/\"")
w("---@param opts? scenario.RequestOptions")
w("---@return any document the decoded JSON (true for a 2xx without one)")
w("---@return scenario.Meta|scenario.Error meta_or_err")
w("function Client:request(method, path, opts) end")
w("")
w("---`client:request` without blocking.")
w("---@param method \"GET\"|\"POST\"|\"PUT\"|\"PATCH\"|\"DELETE\"")
w("---@param path string")
w("---@param opts? scenario.RequestOptions")
w("---@return scenario.Request|nil req")
w("---@return scenario.Error? err")
w("function Client:request_async(method, path, opts) end")
w("")
w("---Moves every request of this client forward without blocking: call it from the frame callback.")
w("---@return integer unfinished")
w("function Client:poll() end")
w("")
w("---Releases the connections; safe to call twice (also `__close`).")
w("function Client:close() end")

-- ---- the module -----------------------------------------------------------------

w("")
w("-- ---- the module ----")
w("")
w("---@class scenario")
w("---@field _VERSION string")
w("---@field null scenario.Null the JSON null sentinel")
w("---@field enums table<string, (string|integer)[]> every enum, in the page's order")
w("local scenario = {}")
w("")
w("---Creates a client.")
w("---@param opts? scenario.Options")
w("---@return scenario.Client")
w("function scenario.new(opts) end")
w("")
w("---Marks a table as a JSON array, so that it is written [] when empty.")
w("---@generic T: table")
w("---@param t? T")
w("---@return T")
w("function scenario.array(t) end")
w("")
w("---Whether v is an error value made by this library.")
w("---@param v any")
w("---@return boolean")
w("function scenario.is_error(v) end")
w("")
w("---A file as a data URL (for add_training_images).")
w("---@param path string")
w("---@param opts? {max_bytes?: integer}")
w("---@return string|nil url")
w("---@return scenario.Error? err")
w("function scenario.data_url(path, opts) end")
w("")
w("---An image file in bare base64 (for upload_asset's image), and its media type.")
w("---@param path string")
w("---@param opts? {max_bytes?: integer}")
w("---@return string|nil base64")
w("---@return string|scenario.Error mime_or_err")
w("function scenario.image_base64(path, opts) end")
w("")
w("---Runs fn as a task whose blocking calls yield instead of blocking; `scenario.step()` moves it.")
w("---@param fn function")
w("---@param ... any")
w("---@return {done: boolean, ok?: boolean, error?: any, results?: {n: integer, [integer]: any}}")
w("function scenario.spawn(fn, ...) end")
w("")
w("---Moves every spawned task forward.")
w("---@return integer running")
w("function scenario.step() end")
w("")
w("---Whether value is one of the enum's values.")
w("---@param name string")
w("---@param value any")
w("---@return boolean")
w("function scenario.in_enum(name, value) end")
for _, ep in ipairs(walk.endpoints) do
  local lines = {}
  w("")
  w(("---Checks a call of `client:%s` without sending anything."):format(ep.name))
  local names = params(ep, lines)
  for _, l in ipairs(lines) do w(l) end
  w(("---@param opts? scenario.%sCallOptions"):format(ep.takes_body and "Body" or ""))
  w("---@return true|nil ok")
  w("---@return scenario.Error? err a `validation` error with every problem in `err.errors`")
  w(("function scenario.validate_%s(%s, opts) end"):format(ep.name, table.concat(names, ", ")))
end
w("")
w("return scenario")

walk.write(arg[1], table.concat(out, "\n") .. "\n")
