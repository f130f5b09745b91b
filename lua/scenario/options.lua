--- The checks of what a caller passes: the options of `scenario.new`,
-- of every call, of `client:request` and of `wait_for_training`. A
-- mistake raises, worded as luaL_argerror words it, at the caller's line
-- (`level` counts the frames up to it). The rules the core enforces too
-- (header names, caps, timeouts, methods, paths) are the core's: their
-- values and checks come from core.limits and core.*_problem, not copies.
-- @module scenario.options
-- @local
local core = require "scenario.core"
local errors = require "scenario.errors"

local M = {}
local limits = core.limits
local MAX_SECONDS = limits.max_seconds
-- "(0, 1e6]", as the messages quote the range of a number of seconds.
local SECONDS_RANGE = ("(0, %g]"):format(MAX_SECONDS):gsub("e%+0*", "e")

local function argerror(n, fname, msg, level)
  error(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), (level or 1) + 1)
end
M.argerror = argerror

-- Raises that key k is not one of names (a sorted list), with the
-- closest as a hint.
local function unknown(n, fname, k, names, level)
  local hint = type(k) == "string" and core.suggest(k, names)
  argerror(n, fname, ("unknown option '%s'%s"):format(tostring(k),
    hint and hint ~= k and ("; did you mean '" .. hint .. "'?") or ""), level + 1)
end

-- ---- scenario.new ---------------------------------------------------------------

M.DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"

-- Every option new() takes, with its check. Secrets are passed to the C
-- handle and never stored on the Lua object.
local option_types = {
  api_key = "string", api_secret = "string", base_url = "string",
  project_id = "string", user_agent = "string",
  timeout = "number", connect_timeout = "number", max_retries = "number",
  max_retry_after = "number", max_response_bytes = "number", max_request_bytes = "number",
  retry_unsafe = "boolean", allow_insecure = "boolean", max_concurrent = "number",
  yield_in_coroutines = "boolean", strict_responses = "boolean",
  ca_file = "string", ca_path = "string", proxy = "string or false",
  sleep = "function", random = "function", transport = "table", logger = "function",
  record = "string or false", http_version = "string",
}
local option_names = {}
for name in pairs(option_types) do option_names[#option_names + 1] = name end
table.sort(option_names)
M.option_names = option_names -- for the generated editor definitions' spec

function M.check_options(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    argerror(1, "new", "table expected, got " .. type(opts), 3)
  end
  for k, v in pairs(opts) do
    local want = option_types[k]
    if want == nil then
      unknown(1, "new", k, option_names, 3)
    end
    if type(v) ~= want and not (want == "string or false" and (type(v) == "string" or v == false)) then
      argerror(1, "new", ("option '%s' must be a %s, got %s"):format(k, want, type(v)), 3)
    end
  end
  return opts
end

function M.nonempty_env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then return nil end
  return v
end

-- Checks base_url and returns whether its host is loopback, and its
-- scheme ("https" or "http").
function M.check_base_url(url, allow_insecure)
  if url:find("[%c%s]") then
    argerror(1, "new", "base_url contains whitespace or a control character", 4)
  end
  local scheme, host = url:match("^(%a[%w+.-]*)://([^/?#]*)")
  scheme = scheme and scheme:lower()
  if scheme ~= "https" and scheme ~= "http" then
    -- Echoed to help spot the mistake, unless it may hold credentials.
    local shown = url:find("@", 1, true) and "" or (", got '%s'"):format(url)
    argerror(1, "new", "base_url must start with https:// (or http:// for a loopback host)" .. shown, 4)
  end
  if host:find("@", 1, true) then
    argerror(1, "new", "base_url must not carry credentials; use api_key and api_secret", 4)
  end
  -- Paths are appended to it: a query or a fragment would end up in the middle.
  if url:find("[?#]") then
    argerror(1, "new", "base_url must not have a query or a fragment; use project_id, "
      .. "or the query argument of each call", 4)
  end
  local hostname = host:match("^(%[[^%]]*%])") or host:match("^[^:]*")
  -- The core's rule, which a download's URL is held to too.
  local loopback = core.loopback_host(hostname)
  if scheme == "http" and not allow_insecure and not loopback then
    argerror(1, "new", "base_url must be https unless its host is loopback "
      .. "(or allow_insecure = true)", 4)
  end
  return loopback, scheme
end

-- What core.new takes as its proxy: nil leaves libcurl's environment
-- proxies (http_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY) in charge; ""
-- turns them off. A loopback base_url never goes through one of them:
-- the request, its credentials included, would cross the network (in
-- clear, for http) to reach this very host.
function M.core_proxy(proxy, loopback)
  if proxy == false then return "" end
  if proxy == nil then return loopback and "" or nil end
  if proxy:find("%c") then
    argerror(1, "new", "proxy contains a control character", 4)
  end
  local scheme = proxy:match("^(%a[%w+.-]*)://")
  local known = { http = true, https = true, socks4 = true, socks4a = true, socks5 = true, socks5h = true }
  if not (scheme and known[scheme:lower()]) then
    argerror(1, "new", "proxy must be a URL such as http://proxy.example:3128 "
      .. "(http, https, socks4, socks4a, socks5 or socks5h), or false for none", 4)
  end
  return proxy
end

-- libcurl before 8.0 cannot reuse a cleartext HTTP/2 connection (curl
-- PR 10643): every call after the first would fail.
local H2C_REUSE = 0x080000

-- The settings the core takes, and how a message lists them: "1.1" or "2".
local http_versions, http_version_list = {}, {}
for i, v in ipairs(limits.http_versions) do
  http_versions[v] = true
  http_version_list[i] = ("%q"):format(v)
end
http_version_list = table.concat(http_version_list, " or ")

function M.check_http_version(v, scheme)
  if v ~= nil and not http_versions[v] then
    argerror(1, "new", ("http_version must be %s (or nil, to negotiate), got %q"):format(http_version_list, v), 4)
  end
  if v == "2" and scheme == "http" and core.curl_version_num < H2C_REUSE then
    argerror(1, "new", ("http_version \"2\" over plain http needs libcurl 8.0 or later (this one is %s, "
      .. "which fails every call after the first on such a connection); use an https base_url")
      :format(core.curl_version), 4)
  end
end

-- A CA file given by mistake (a typo, a missing mount) would fail every
-- request with a certificate error: say so at once instead.
function M.check_ca_file(path)
  if path == nil then return end
  local f, err = io.open(path, "rb")
  if not f then argerror(1, "new", ("ca_file cannot be read: %s"):format(err), 4) end
  local ok = f:read(0) -- fails on a directory, which io.open lets through
  f:close()
  if ok == nil and io.open(path .. "/.") then
    argerror(1, "new", ("ca_file is a directory (%s); use ca_path for a directory of certificates")
      :format(path), 4)
  end
end

function M.check_count(opts, name, min)
  local v = opts[name]
  if v ~= nil and not (v >= min and v < math.huge and math.floor(v) == v) then
    argerror(1, "new", ("option '%s' must be an integer of at least %d"):format(name, min), 4)
  end
end

function M.check_seconds(opts, name)
  local v = opts[name]
  if v ~= nil and not (v > 0 and v <= MAX_SECONDS) then
    argerror(1, "new", ("option '%s' must be a number of seconds in %s"):format(name, SECONDS_RANGE), 4)
  end
end


-- ---- every call -------------------------------------------------------------------

local call_options = {
  extra_body = "table", on_done = "function", timeout = "number", max_retries = "number", headers = "table",
}
local call_option_names = { "extra_body", "headers", "max_retries", "on_done", "timeout" }

--- What a call without options gets: no allocation on the usual path.
M.NO_OPTIONS = setmetatable({}, { __newindex = function() error("read-only", 2) end })
local NO_OPTIONS = M.NO_OPTIONS

--- Checks the per-call options table, argument n of fname: on_done only
-- for an async call, extra_body only where there is a body to add to.
-- depth: how many calls deeper than the method it is made from.
-- The words for an argument's position, in the hint of a query field.
local ORDINALS = { "first", "second", "third", "fourth", "fifth" }

-- A value as a hint writes it: a short scalar as Lua would, else `...`.
local function sample(v)
  if type(v) == "string" and #v <= 40 and not v:find("[%c\\\"]") then return ('"%s"'):format(v) end
  if type(v) == "boolean" or (type(v) == "number" and v == v and v > -math.huge and v < math.huge) then
    return tostring(v)
  end
  return "..."
end

-- Raises that option k is a query field of ep, the method fname's (its
-- opts argument #n), with the call that passes it where it goes.
local function misplaced_query(n, fname, k, v, ep, level)
  local receiver = fname:find("^validate_") and "scenario." or "client:"
  local args = {}
  for _, p in ipairs(ep.params) do args[#args + 1] = p end
  if ep.takes_body then args[#args + 1] = "body" end
  args[#args + 1] = ("{ %s = %s }"):format(k, sample(v))
  argerror(n, fname, ("unknown option '%s': %s is a query field: pass it as the %s argument, %s%s(%s)")
    :format(k, k, ORDINALS[#args] or ("#" .. #args), receiver, fname, table.concat(args, ", ")), level + 1)
end

-- Whether name is a query field of ep.
local function in_query(ep, name)
  for _, q in ipairs(ep and ep.query or {}) do
    if q == name then return true end
  end
  return false
end

--- Checks the options of a call to fname (its argument #n); ep, where
-- given, is its endpoint, for the hint of an option that is a query field.
function M.check_call(fname, n, opts, async, takes_body, depth, ep)
  local level = 3 + (depth or 0)
  if opts == nil then return NO_OPTIONS end
  if type(opts) ~= "table" then
    argerror(n, fname, "table expected, got " .. type(opts), level)
  end
  for k, v in pairs(opts) do
    if call_options[k] == nil or (k == "on_done" and not async) or (k == "extra_body" and not takes_body) then
      if call_options[k] == nil and in_query(ep, k) then misplaced_query(n, fname, k, v, ep, level) end
      unknown(n, fname, k, call_option_names, level)
    end
    if type(v) ~= call_options[k] then
      argerror(n, fname, ("option '%s' must be a %s, got %s"):format(k, call_options[k], type(v)), level)
    end
  end
  local t, m = opts.timeout, opts.max_retries
  if t ~= nil and not (t > 0 and t <= MAX_SECONDS) then
    argerror(n, fname, ("option 'timeout' must be a number of seconds in %s"):format(SECONDS_RANGE), level)
  end
  if m ~= nil and not (m >= 0 and m < math.huge and math.floor(m) == m) then
    argerror(n, fname, "option 'max_retries' must be an integer of at least 0", level)
  end
  if opts.headers ~= nil then
    local why = core.headers_problem(opts.headers) -- the core's rule, which core.options applies too
    if why then argerror(n, fname, "option 'headers': " .. why, level) end
  end
  return opts
end

-- ---- client:request ---------------------------------------------------------------

local function set_of(list)
  local set = {}
  for _, v in ipairs(list) do set[v] = true end
  return set
end
local raw_methods = set_of(limits.raw_methods)
local raw_idempotent = set_of(limits.idempotent_raw_methods)
-- "GET, POST, PUT, PATCH or DELETE"
local raw_method_list = table.concat(limits.raw_methods, ", ", 1, #limits.raw_methods - 1) .. " or "
  .. limits.raw_methods[#limits.raw_methods]
local raw_options = {
  body = true, query = true, timeout = true, max_retries = true, headers = true, on_done = true,
}
local raw_names = { "body", "headers", "max_retries", "on_done", "query", "timeout" }

--- Checks client:request's arguments, and returns its endpoint record,
-- the options as check_call takes them, the body and the query.
function M.check_raw(fname, method, path, opts, async)
  if type(method) ~= "string" or not raw_methods[method] then
    local shown = type(method) == "string" and ("'" .. errors.escape(method) .. "'") or type(method)
    local upper = type(method) == "string" and raw_methods[method:upper()]
    argerror(1, fname, ("method must be %s, got %s%s"):format(raw_method_list, shown,
      upper and ("; did you mean '" .. method:upper() .. "'?") or ""), 3)
  end
  -- The rules of a path are the core's (core.path_problem), as start_raw
  -- checks them: here only so that the message names this call.
  local why = type(path) == "string" and core.path_problem(path)
  if type(path) ~= "string" or why then
    local shown = type(path) == "string" and ("'" .. errors.escape(path:sub(1, 80)) .. (#path > 80 and "...'" or "'"))
      or type(path)
    argerror(2, fname, ("%s, got %s"):format(why or "path must be a string starting with '/'", shown), 3)
  end
  local call_opts = NO_OPTIONS
  if opts ~= nil then
    if type(opts) ~= "table" then argerror(3, fname, "table expected, got " .. type(opts), 3) end
    call_opts = {}
    for k, v in pairs(opts) do
      if not raw_options[k] or (k == "on_done" and not async) then unknown(3, fname, k, raw_names, 3) end
      if k ~= "body" and k ~= "query" then call_opts[k] = v end
    end
    if opts.query ~= nil and type(opts.query) ~= "table" then
      argerror(3, fname, "option 'query' must be a table, got " .. type(opts.query), 3)
    end
    M.check_call(fname, 3, call_opts, async, false, 1)
  end
  local ep = { name = method .. " " .. path, method = method, path = path, raw = true,
               idempotent = raw_idempotent[method] == true }
  return ep, call_opts, opts and opts.body, opts and opts.query
end

-- ---- wait_for_training, wait_for_job ---------------------------------------------------

local wait_options = {
  interval = "number", max_interval = "number", timeout = "number", on_progress = "function",
  on_done = "function", query = "table",
}
local wait_names = { "interval", "max_interval", "timeout", "on_progress", "on_done", "query" }

--- Checks the arguments of a wait for kind (an entry of Wait.KINDS):
-- the id of what it waits for, and the options; returns the options.
function M.check_wait(fname, kind, id, opts, async)
  if type(id) ~= "string" or id == "" then
    argerror(1, fname, ("%s must be a non-empty string, got %s"):format(kind.member .. "Id",
      id == "" and "an empty one" or type(id)), 3)
  end
  if opts == nil then return NO_OPTIONS end
  if type(opts) ~= "table" then argerror(2, fname, "table expected, got " .. type(opts), 3) end
  for k, v in pairs(opts) do
    if wait_options[k] == nil or (k == "on_done" and not async) then unknown(2, fname, k, wait_names, 3) end
    if type(v) ~= wait_options[k] then
      argerror(2, fname, ("option '%s' must be a %s"):format(k, wait_options[k]), 3)
    end
    if wait_options[k] == "number" and not (v > 0 and v < math.huge) then
      argerror(2, fname, ("option '%s' must be a number of seconds above 0"):format(k), 3)
    end
  end
  if opts.max_interval and opts.max_interval < (opts.interval or kind.interval) then
    argerror(2, fname, ("option 'max_interval' (%g s) is below the interval (%g s)"):format(opts.max_interval,
      opts.interval or kind.interval), 3)
  end
  return opts
end

-- ---- download_asset, download_job_assets ---------------------------------------------

local download_options = {
  on_progress = "function", on_done = "function", max_bytes = "number", timeout = "number", max_retries = "number",
}
local download_names = { "max_bytes", "max_retries", "on_done", "on_progress", "timeout" }

-- Checks the options of a download (argument n of fname); returns them.
local function check_download_options(fname, n, opts, async)
  if opts == nil then return NO_OPTIONS end
  if type(opts) ~= "table" then argerror(n, fname, "table expected, got " .. type(opts), 4) end
  for k, v in pairs(opts) do
    if download_options[k] == nil or (k == "on_done" and not async) then unknown(n, fname, k, download_names, 4) end
    if type(v) ~= download_options[k] then
      argerror(n, fname, ("option '%s' must be a %s, got %s"):format(k, download_options[k], type(v)), 4)
    end
  end
  local m = opts.max_bytes
  if m ~= nil and not (m >= 1 and m <= 2 ^ 53 and math.floor(m) == m) then
    argerror(n, fname, "option 'max_bytes' must be a whole number of bytes, at least 1", 4)
  end
  local t, r = opts.timeout, opts.max_retries
  if t ~= nil and not (t > 0 and t <= MAX_SECONDS) then
    argerror(n, fname, ("option 'timeout' must be a number of seconds in %s"):format(SECONDS_RANGE), 4)
  end
  if r ~= nil and not (r >= 0 and r < math.huge and math.floor(r) == r) then
    argerror(n, fname, "option 'max_retries' must be an integer of at least 0", 4)
  end
  return opts
end

--- Whether the string s names an asset by URL rather than by id.
function M.is_url(s)
  return s:match("^%a[%w+.-]*://") ~= nil
end

--- Checks download_asset's arguments: an asset table (with a `url`), an
-- asset id, or a URL the core would download (https, or http to a
-- loopback host); a path or nil; the options. Returns the options.
function M.check_download(fname, asset, path, opts, async)
  if type(asset) == "table" then
    if type(asset.url) ~= "string" and type(asset.id) ~= "string" then
      argerror(1, fname, "an asset table needs its url (or its id)", 3)
    end
  elseif type(asset) ~= "string" or asset == "" then
    argerror(1, fname, ("asset must be an asset table, an asset id or a URL, got %s"):format(
      asset == "" and "an empty string" or type(asset)), 3)
  elseif M.is_url(asset) then
    local why = core.download_url_problem(asset)
    if why then argerror(1, fname, why, 3) end
  end
  if path ~= nil and (type(path) ~= "string" or path == "" or path:find("%z")) then
    argerror(2, fname, ("path must be a file's path, or nil for the bytes, got %s"):format(
      path == "" and "an empty string" or type(path)), 3)
  end
  return check_download_options(fname, 3, opts, async)
end

--- Checks download_job_assets' arguments: a job (with its
-- `metadata.assetIds`) or a job id, a directory, and the options.
function M.check_job_download(fname, job, dir, opts)
  if type(job) ~= "table" and (type(job) ~= "string" or job == "") then
    argerror(1, fname, ("job must be a job table or a job id, got %s"):format(
      job == "" and "an empty string" or type(job)), 3)
  end
  if type(dir) ~= "string" or dir == "" or dir:find("%z") then
    argerror(2, fname, ("dir must be a directory's path, got %s"):format(
      dir == "" and "an empty string" or type(dir)), 3)
  end
  return check_download_options(fname, 3, opts, false)
end

return M
