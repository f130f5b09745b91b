--- The `scenario` command (tools/scenario, docs/cli.md): the library's
-- calls from a shell, with progress on stderr, `--json` for scripts, and
-- exit codes a script can act on (0 done, 1 the API or the network
-- failed, 2 a usage or validation error). It is a client of the library
-- like any other: every check and every request is the library's.
-- @module scenario.cli
-- @local
local scenario = require "scenario"
local core = require "scenario.core"

local M = {}

local unpack = table.unpack or unpack -- luacheck: ignore 143

-- ---- failures ----------------------------------------------------------------
-- What ends a command: a usage mistake (exit 2) or an error value of the
-- library (2 for validation, 1 for the rest). Raised as a table so that
-- the stand-in is stopped on the way out whatever ends the run.
local Failure = {}

local function usage_error(message, command)
  error(setmetatable({ code = 2, kind = "usage", message = message, command = command }, Failure), 0)
end

local function api_error(err)
  error(setmetatable({ code = err.kind == "validation" and 2 or 1, kind = err.kind, err = err }, Failure), 0)
end

-- value, or a failure for err (an error value, or a message).
local function check(value, err)
  if value == nil then
    if scenario.is_error(err) then api_error(err) end
    usage_error(tostring(err))
  end
  return value, err
end

-- ---- the terminal ----------------------------------------------------------------
-- `test -t` asks the same file descriptor the interpreter holds, and runs
-- on every Lua: io.type cannot tell a terminal from a file.
local function is_terminal(fd)
  local a = os.execute("test -t " .. fd)
  return a == true or a == 0
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- A path for a command's argument: one that starts with '-' would be
-- read as an option (mkdir --version), so it goes as ./-name.
local function path_arg(p)
  return shell_quote(p:sub(1, 1) == "-" and "./" .. p or p)
end

-- Text from the server or the user as one line a terminal shows as it
-- is: control characters (a newline, an escape sequence) written \ddd.
local function printable(v)
  return (tostring(v):gsub("%c", function(c) return ("\\%03d"):format(c:byte()) end))
end

-- ---- the flags -------------------------------------------------------------------
local GLOBAL_FLAGS = {
  { "json", nil, "print exactly one JSON document on stdout (progress stays on stderr)" },
  { "base-url", "URL", "the API's address (default: $SCENARIO_BASE_URL, else the Scenario API)" },
  { "project", "ID", "the project to work in (sent as projectId)" },
  { "stand-in", nil, "run against a local stand-in of the API (scenario.testing): no credentials needed" },
  { "retries", "N", "retries of a failed request that may clear (default 2)" },
  { "timeout", "SECONDS", "the longest an HTTP exchange may take (default 60)" },
  { "interval", "SECONDS", "seconds between polls of a training or a job (default: the library's)" },
  { "wait-timeout", "SECONDS", "give up waiting for a training or a job after this long" },
  { "help", nil, "show this help", "h" },
}
local YES = { "yes", nil, "go on without asking (needed when stdin is not a terminal)", "y" }

-- Every command: its words, its positional arguments, its own flags, a
-- line of what it does, and its runner (below).
local COMMANDS = {
  { words = "models list", args = {}, flags = {
      { "type", "TYPE", "only models of this type" } },
    summary = "list your models (every page)" },
  { words = "models get", args = { "MODEL" }, flags = {}, summary = "show a model" },
  { words = "models delete", args = { "MODEL" }, flags = {}, summary = "delete a model" },
  { words = "train", args = { "DIR" }, flags = {
      { "type", "TYPE", "the model's type (default flux.1-lora)" },
      { "name", "NAME", "the model's name (default: DIR's last part)" },
      { "parameters", "JSON", "the training's parameters, such as '{\"rank\":16,\"nbEpochs\":10}'" },
      YES },
    summary = "create a model, upload every image of DIR, train it and wait (paid)" },
  { words = "generate", args = { "MODEL", "PROMPT" }, flags = {
      { "count", "N", "how many images (numOutputs; default 1)", "n" },
      { "output", "DIR", "where the images go (default .)", "o" },
      { "inputs", "JSON", "more of the model's inputs, such as '{\"guidance\":3.5}'" },
      { "base", "MODEL", "the base model that runs a LoRA (default: the one of its type)" },
      YES },
    summary = "generate images with a model, wait for the job and download them (paid)" },
  { words = "jobs get", args = { "JOB" }, flags = {}, summary = "show a job" },
  { words = "jobs wait", args = { "JOB" }, flags = {}, summary = "wait for a job to end, with progress" },
  { words = "jobs cancel", args = { "JOB" }, flags = {}, summary = "cancel a job" },
  { words = "download", args = { "ASSET" }, flags = {
      { "output", "FILE", "where the file goes (required)", "o" } },
    summary = "download an asset's file (ASSET: an asset id or its URL)" },
  { words = "request", args = { "METHOD", "PATH" }, flags = {
      { "body", "JSON", "the request's body" },
      { "query", "JSON", "the query, as a JSON object" } },
    summary = "call any endpoint (client:request) and print its answer" },
  { words = "help", args = { "[COMMAND]" }, flags = {}, summary = "show the help of a command" },
}

-- Every flag by name and by short name, of every command: the command
-- line is read once, before it is known which command the flags go with.
local ALL_FLAGS, SHORT = {}, {}
local function index_flags(list)
  for _, f in ipairs(list) do
    ALL_FLAGS[f[1]] = f
    if f[4] then SHORT[f[4]] = f[1] end
  end
end
index_flags(GLOBAL_FLAGS)
for _, c in ipairs(COMMANDS) do index_flags(c.flags) end

local BY_WORDS, TOP, GROUPS = {}, {}, {}
for _, c in ipairs(COMMANDS) do
  BY_WORDS[c.words] = c
  local first, second = c.words:match("^(%S+)%s*(%S*)$")
  if second ~= "" then
    if not GROUPS[first] then
      GROUPS[first] = {}
      TOP[#TOP + 1] = first
    end
    table.insert(GROUPS[first], second)
  else
    TOP[#TOP + 1] = first
  end
end

local function hint(word, names)
  local h = core.suggest(word, names)
  return h and h ~= word and (" (did you mean '%s'?)"):format(h) or ""
end

-- ---- help -------------------------------------------------------------------------
local function flag_lines(list)
  local lines = {}
  for _, f in ipairs(list) do
    local left = (f[4] and ("-" .. f[4] .. ", ") or "    ") .. "--" .. f[1] .. (f[2] and (" " .. f[2]) or "")
    lines[#lines + 1] = ("  %-26s %s"):format(left, f[3])
  end
  return table.concat(lines, "\n")
end

local EXIT_CODES = "Exit codes: 0 done, 1 the API or the network failed, 2 a usage or validation error."

local function top_help()
  local lines = { "usage: scenario [FLAGS] COMMAND [ARGS]", "", "Commands:" }
  for _, c in ipairs(COMMANDS) do
    local left = c.words .. " " .. table.concat(c.args, " ")
    lines[#lines + 1] = ("  %-28s %s"):format(left, c.summary)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Flags of every command:"
  lines[#lines + 1] = flag_lines(GLOBAL_FLAGS)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "The key and secret come from SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET."
  lines[#lines + 1] = EXIT_CODES
  lines[#lines + 1] = "'scenario COMMAND --help' shows a command's own flags."
  return table.concat(lines, "\n") .. "\n"
end

local function group_help(group)
  local lines = { ("usage: scenario %s SUBCOMMAND [ARGS] [FLAGS]"):format(group), "", "Subcommands:" }
  for _, sub in ipairs(GROUPS[group]) do
    local c = BY_WORDS[group .. " " .. sub]
    lines[#lines + 1] = ("  %-28s %s"):format(c.words .. " " .. table.concat(c.args, " "), c.summary)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = ("'scenario %s SUBCOMMAND --help' shows its flags."):format(group)
  return table.concat(lines, "\n") .. "\n"
end

local PAID = "It costs creative units: it says how many and asks before it goes on. Without a terminal on\n"
  .. "stdin it cannot ask, and stops (exit 2) unless --yes is given."

local function command_help(c)
  local out = { ("usage: scenario %s %s [FLAGS]"):format(c.words, table.concat(c.args, " ")), "",
    c.summary:sub(1, 1):upper() .. c.summary:sub(2) .. "." }
  if c.flags[#c.flags] == YES then out[#out + 1] = PAID end
  if #c.flags > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "Flags:"
    out[#out + 1] = flag_lines(c.flags)
  end
  out[#out + 1] = ""
  out[#out + 1] = "Flags of every command:"
  out[#out + 1] = flag_lines(GLOBAL_FLAGS)
  out[#out + 1] = ""
  out[#out + 1] = EXIT_CODES
  return table.concat(out, "\n") .. "\n"
end

-- ---- reading the command line --------------------------------------------------------
-- The flags given (by long name) and the positional words, in order.
local function lex(argv)
  local flags, words, i = {}, {}, 1
  while i <= #argv do
    local a = argv[i]
    local name, value
    if a == "--" then
      for j = i + 1, #argv do words[#words + 1] = argv[j] end
      break
    elseif a:sub(1, 2) == "--" then
      name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
    elseif a:sub(1, 1) == "-" and #a > 1 and not tonumber(a) then
      name = SHORT[a:sub(2)]
      if not name then usage_error(("unknown flag '%s'"):format(a)) end
    else
      words[#words + 1] = a
    end
    if name then
      local f = ALL_FLAGS[name]
      if not f then
        local names = {}
        for n in pairs(ALL_FLAGS) do names[#names + 1] = n end
        table.sort(names)
        local h = core.suggest(name, names)
        usage_error(("unknown flag '--%s'%s"):format(name, h and ("; did you mean '--" .. h .. "'?") or ""))
      end
      if f[2] then
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then usage_error(("the flag --%s needs a value (%s)"):format(name, f[2])) end
        end
      elseif value ~= nil then
        usage_error(("the flag --%s takes no value"):format(name))
      else
        value = true
      end
      if flags[name] ~= nil then usage_error(("the flag --%s is given twice"):format(name)) end
      flags[name] = value
    end
    i = i + 1
  end
  return flags, words
end

-- The command the words name, and its positional arguments; or, for help
-- asked of a part of the tree, the help's text.
local function resolve(words, flags)
  local first = words[1]
  if first == nil then
    if flags.help then return nil, nil, top_help() end
    usage_error("no command given\n" .. top_help())
  end
  if first == "help" then
    local rest = { unpack(words, 2) }
    if rest[1] == nil then return nil, nil, top_help() end
    local _, _, text = resolve(rest, { help = true })
    return nil, nil, text
  end
  local group = GROUPS[first]
  local c, args
  if group then
    local second = words[2]
    if second == nil then
      if flags.help then return nil, nil, group_help(first) end
      usage_error(("'scenario %s' needs a subcommand: %s"):format(first, table.concat(group, ", ")))
    end
    c = BY_WORDS[first .. " " .. second]
    if not c then
      usage_error(("unknown subcommand '%s %s'%s"):format(first, second, hint(second, group)))
    end
    args = { unpack(words, 3) }
  else
    c = BY_WORDS[first]
    if not c then
      local names = {}
      for _, t in ipairs(TOP) do names[#names + 1] = t end
      table.sort(names)
      usage_error(("unknown command '%s'%s"):format(first, hint(first, names)))
    end
    args = { unpack(words, 2) }
  end
  if flags.help then return c, args, command_help(c) end
  return c, args
end

-- Refuses a flag the command does not take, and a wrong count of
-- positional arguments.
local function check_command(c, flags, args)
  local allowed, names = {}, {}
  for _, list in ipairs { GLOBAL_FLAGS, c.flags } do
    for _, f in ipairs(list) do
      allowed[f[1]] = true
      names[#names + 1] = f[1]
    end
  end
  table.sort(names)
  for name in pairs(flags) do
    if not allowed[name] then
      local h = core.suggest(name, names)
      usage_error(("'scenario %s' takes no flag --%s%s"):format(c.words, name,
        h and h ~= name and ("; did you mean '--" .. h .. "'?") or ""), c)
    end
  end
  if #args ~= #c.args then
    usage_error(("'scenario %s' takes %d argument%s (%s), got %d"):format(c.words, #c.args,
      #c.args == 1 and "" or "s", table.concat(c.args, " "), #args), c)
  end
end

-- The values of the flags that take a number or JSON, read in place
-- before anything else runs: a mistake in one is a usage error before
-- any request or credential is needed, and so before anything is paid
-- for (a wait that refuses its timeout after the training started would
-- be too late). Seconds are in (0, 1e6], as the library takes them.
local MAX_VALUE = 1e6
local function read_values(flags, c)
  for name, v in pairs(flags) do
    local kind = ALL_FLAGS[name][2]
    if kind == "N" or kind == "SECONDS" then
      local n = tonumber(v)
      local min = name == "count" and 1 or 0
      local bad = not n or n ~= n or n > MAX_VALUE
      if kind == "N" then
        bad = bad or n < min or n ~= math.floor(n)
        if bad then
          usage_error(("--%s must be a whole number from %d to %d, got '%s'"):format(name, min, MAX_VALUE, v), c)
        end
      elseif bad or n <= 0 then
        usage_error(("--%s must be a number of seconds in (0, %d], got '%s'"):format(name, MAX_VALUE, v), c)
      end
      flags[name] = n
    elseif kind == "JSON" then
      local doc, why = core.parse_json(v, true)
      if doc == nil then usage_error(("--%s is not JSON: %s"):format(name, tostring(why)), c) end
      flags[name] = doc
    end
  end
end

-- ---- output --------------------------------------------------------------------------
-- A progress display on stderr: a bar redrawn in place on a terminal,
-- a line per change elsewhere (a log file gets no carriage returns).
local function progress(ctx)
  local p = { drawn = false, last = nil }
  function p.show(label, fraction, detail)
    fraction = math.max(0, math.min(1, tonumber(fraction) or 0))
    local pct = math.floor(fraction * 100 + 0.5)
    detail = detail and detail ~= "" and ("  " .. detail) or ""
    if ctx.tty_err then
      local width = 24
      local filled = math.floor(fraction * width + 0.5)
      ctx.err:write(("\r%-10s [%s%s] %3d%%%-30s"):format(label, ("#"):rep(filled), ("-"):rep(width - filled), pct,
        detail))
      ctx.err:flush()
      p.drawn = true
    else
      local line = ("%s: %d%%%s"):format(label, pct, detail)
      if line ~= p.last then ctx.err:write(line, "\n") end
      p.last = line
    end
  end
  function p.done()
    if p.drawn then ctx.err:write("\n") end
    p.drawn = false
  end
  return p
end

-- One line to stderr, ending the bar's line first.
local function note(ctx, text)
  if ctx.bar then ctx.bar.done() end
  ctx.err:write(text, "\n")
end

local function to_json(value)
  local text, problems = core.to_json(value)
  if text then return text end
  -- An answer the encoder cannot write (it came from the server whole)
  -- is a failure to report, not a crash.
  local first = type(problems) == "table" and type(problems.errors) == "table" and problems.errors[1]
  local why = first and ((first.path ~= "" and first.path .. ": " or "") .. tostring(first.message))
    or tostring(problems and problems.message)
  error(setmetatable({ code = 1, kind = "invalid_response", message = "cannot write the answer as JSON: " .. why },
    Failure), 0)
end

-- A table's plain fields, a line each, for people; --json has the rest.
local function describe(t)
  local keys, lines = {}, {}
  for k, v in pairs(t) do
    if type(k) == "string" and (type(v) ~= "table" or v[1] ~= nil) then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "table" then
      local items = {}
      for _, item in ipairs(v) do items[#items + 1] = type(item) == "table" and "{...}" or tostring(item) end
      v = table.concat(items, ", ")
    end
    lines[#lines + 1] = ("%-22s %s"):format(printable(k) .. ":", printable(v))
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Writes the result: doc as JSON with --json, else text (a string, or
-- a function of doc that returns one).
local function emit(ctx, doc, text)
  if ctx.json then
    ctx.write(to_json(doc), "\n")
  else
    if type(text) == "function" then text = text(doc) end
    ctx.write(text)
  end
end

-- Ends the command as a failure of kind (exit 1) that says message.
local function fail(kind, message)
  error(setmetatable({ code = 1, kind = kind, message = message }, Failure), 0)
end

-- ---- asking before a paid action ----------------------------------------------------
-- A paid action needs a yes: --yes, or an answer at the terminal. Without
-- a terminal there is nobody to ask, and going on would spend money by
-- accident: so that refuses, before anything is sent.
local function need_consent(ctx, c)
  if ctx.flags.yes or ctx.tty_in then return end
  usage_error(("'scenario %s' costs creative units, and stdin is not a terminal to ask on: "
    .. "pass --yes to go on without asking"):format(c.words), c)
end

local function confirm(ctx, what, cost)
  if cost == nil then
    note(ctx, ("%s: the dry run gave no price."):format(what))
  else
    note(ctx, ("%s will cost %s creative units."):format(what, printable(cost)))
  end
  if ctx.flags.yes then return true end
  ctx.err:write("Go on? [y/N] ")
  ctx.err:flush()
  local line = io.stdin:read("*l")
  if line == nil then ctx.err:write("\n") end
  return line ~= nil and line:match("^%s*[yY]") ~= nil
end

local function wait_opts(ctx, on_progress)
  return { interval = ctx.interval, timeout = ctx.wait_timeout, on_progress = on_progress }
end

-- ---- the commands ---------------------------------------------------------------------
local RUN = {}

RUN["models list"] = function(ctx)
  local query = ctx.flags.type and { type = ctx.flags.type } or nil
  local list = {}
  for model, err in ctx.connect():each_model(query) do
    if not model then api_error(err) end
    list[#list + 1] = model
  end
  emit(ctx, { models = core.array(list) }, function()
    local lines = {}
    for _, m in ipairs(list) do
      lines[#lines + 1] = ("%s\t%s\t%s\t%s\n"):format(printable(m.id), printable(m.status), printable(m.type),
        printable(m.name))
    end
    return table.concat(lines)
  end)
end

RUN["models get"] = function(ctx, id)
  local model = check(ctx.connect():get_model(id))
  emit(ctx, { model = model }, function() return describe(model) end)
end

RUN["models delete"] = function(ctx, id)
  check(ctx.connect():delete_model(id))
  emit(ctx, { deleted = id }, "deleted " .. id .. "\n")
end

local IMAGE = { png = true, jpg = true, jpeg = true, webp = true, gif = true }

-- The image files of dir, by name; names that start with '.' (hidden)
-- are skipped. find's NUL-separated list keeps a name with a newline
-- whole, where ls's lines would split it.
local function images(dir)
  local p = io.popen("find " .. path_arg(dir) .. " -mindepth 1 -maxdepth 1 -print0 2>/dev/null")
  local all = p:read("*a") or ""
  p:close()
  local list, at = {}, 1
  while at <= #all do
    local stop = all:find("\0", at, true) or #all + 1
    local name = all:sub(at, stop - 1):match("([^/]*)$")
    at = stop + 1
    local ext = name:match("%.([%w]+)$")
    if ext and IMAGE[ext:lower()] and name:sub(1, 1) ~= "." then list[#list + 1] = name end
  end
  table.sort(list)
  return list
end

-- Whether path is a directory.
local function is_dir(path)
  local a = os.execute("test -d " .. path_arg(path))
  return a == true or a == 0
end

RUN.train = function(ctx, dir)
  local flags = ctx.flags
  local body = { name = flags.name or dir:gsub("/+$", ""):match("([^/]*)$"), type = flags.type or "flux.1-lora" }
  if body.name == "" then body.name = "model" end
  local parameters = flags.parameters
  local train_body = parameters ~= nil and { parameters = parameters } or nil
  -- Everything that can be checked here is, before anything is sent.
  check(scenario.validate_create_model(body))
  check(scenario.validate_train_model("model_check", train_body))
  if not is_dir(dir) then usage_error(("%s is not a directory"):format(dir), ctx.command) end
  local files = images(dir)
  if #files == 0 then usage_error(("no images (PNG, JPEG, WebP or GIF) in %s"):format(dir), ctx.command) end
  local data = {}
  for i, name in ipairs(files) do
    local url, err = scenario.data_url(dir .. "/" .. name)
    if not url then usage_error(tostring(err), ctx.command) end
    data[i] = url
  end
  need_consent(ctx, ctx.command)

  local client = ctx.connect()
  local model = check(client:create_model(body))
  note(ctx, ("created %s"):format(model.id))
  -- Until the training starts nothing was paid for: a model left half
  -- made is deleted on the way out.
  local started = false
  ctx.cleanup[#ctx.cleanup + 1] = function()
    if started then return end
    local gone, err = client:delete_model(model.id)
    if gone then
      note(ctx, ("deleted %s, which was not trained"):format(model.id))
    else
      note(ctx, ("%s was not trained, and is left over: deleting it failed (%s)"):format(model.id, tostring(err)))
    end
  end
  local quote = check(client:train_model(model.id, train_body, { dryRun = true, trainingImagesCount = #files }))
  if not confirm(ctx, ("Training %s on %d images"):format(model.id, #files), quote.creativeUnitsCost) then
    fail("declined", "not trained: the answer was not yes")
  end
  ctx.bar = progress(ctx)
  for i, name in ipairs(files) do
    check(client:add_training_images(model.id, { data = data[i], name = name }))
    ctx.bar.show("uploading", i / #files, ("%d/%d %s"):format(i, #files, name))
  end
  ctx.bar.done()
  local answer = check(client:train_model(model.id, train_body))
  started = true
  note(ctx, ("training %s (%s creative units)"):format(model.id, tostring(answer.creativeUnitsCost)))
  local trained = check(client:wait_for_training(model.id, wait_opts(ctx, function(m)
    local p = type(m.trainingProgress) == "table" and m.trainingProgress or {}
    local detail = tostring(m.status == "training" and p.stage or m.status)
    local at = tonumber(p.position)
    if at and at >= 0 and at < 1e9 then detail = detail .. (" (position %d in the queue)"):format(math.floor(at)) end
    ctx.bar.show("training", m.status == "trained" and 1 or p.progress, detail)
  end)))
  ctx.bar.done()
  emit(ctx, { model = trained, creativeUnitsCost = answer.creativeUnitsCost }, function() return describe(trained) end)
end

-- The base model that runs a LoRA of each type (docs/calls.md: a trained
-- LoRA goes in the body's modelId, its base model in the path).
local BASES = {
  ["flux.1-lora"] = "model_bfl-flux-1-dev",
  ["flux.2-dev-lora"] = "model_bfl-flux-2-dev",
}

RUN.generate = function(ctx, model_id, prompt)
  local flags = ctx.flags
  local count = flags.count or 1
  local dir = flags.output or "."
  local body = flags.inputs or {}
  if type(body) ~= "table" or body[1] ~= nil then usage_error("--inputs must be a JSON object", ctx.command) end
  body.prompt, body.numOutputs = prompt, count
  -- -o names where the files go: made if missing, as curl --create-dirs does.
  local isdir = os.execute("mkdir -p " .. path_arg(dir) .. " 2>/dev/null && test -d " .. path_arg(dir))
  if isdir ~= true and isdir ~= 0 then
    usage_error(("%s is not a directory, and cannot be made one"):format(dir), ctx.command)
  end
  need_consent(ctx, ctx.command)

  -- A LoRA runs through its base model; any other model runs itself.
  local client = ctx.connect()
  local model = check(client:get_model(model_id))
  local path_model = model_id
  if flags.base or tostring(model.type):find("lora", 1, true) then
    path_model = flags.base or BASES[model.type]
    if not path_model then
      usage_error(("%s is a %s: say which base model runs it with --base"):format(model_id, tostring(model.type)),
        ctx.command)
    end
    body.modelId = model_id
  end
  local quote = check(client:generate(path_model, body, { dryRun = true }))
  if not confirm(ctx, ("%d image%s"):format(count, count == 1 and "" or "s"), quote.creativeUnitsCost) then
    fail("declined", "not generated: the answer was not yes")
  end
  local doc = check(client:generate(path_model, body))
  local job_id = doc.job and doc.job.jobId
  if type(job_id) ~= "string" then fail("invalid_response", "the generation's answer names no job (job.jobId)") end
  note(ctx, ("job %s"):format(job_id))
  ctx.bar = progress(ctx)
  local job = check(client:wait_for_job(job_id, wait_opts(ctx, function(j)
    ctx.bar.show("generating", j.status == "success" and 1 or j.progress, tostring(j.status))
  end)))
  local paths = check(client:download_job_assets(job, dir, { on_progress = function(done, total)
    ctx.bar.show("downloading", done / total, ("%d/%d"):format(done, total))
  end }))
  ctx.bar.done()
  emit(ctx, { job = job, paths = core.array(paths), creativeUnitsCost = doc.creativeUnitsCost },
    table.concat(paths, "\n") .. "\n")
end

local function job_text(doc) return describe(doc.job) end

RUN["jobs get"] = function(ctx, id)
  local job = check(ctx.connect():get_job(id))
  emit(ctx, { job = job }, job_text)
end

RUN["jobs wait"] = function(ctx, id)
  ctx.bar = progress(ctx)
  local job = check(ctx.connect():wait_for_job(id, wait_opts(ctx, function(j)
    ctx.bar.show("job", j.status == "success" and 1 or j.progress, tostring(j.status))
  end)))
  ctx.bar.done()
  emit(ctx, { job = job }, job_text)
end

RUN["jobs cancel"] = function(ctx, id)
  local job = check(ctx.connect():cancel_job(id))
  emit(ctx, { job = job }, job_text)
end

RUN.download = function(ctx, asset)
  local path = ctx.flags.output
  if not path then usage_error("'scenario download' needs -o FILE", ctx.command) end
  ctx.bar = progress(ctx)
  local got, meta = check(ctx.connect():download_asset(asset, path, { on_progress = function(done, total)
    if total and total > 0 then ctx.bar.show("downloading", done / total, ("%d bytes"):format(done)) end
  end }))
  ctx.bar.done()
  emit(ctx, { path = got, bytes = meta.bytes }, got .. "\n")
end

RUN.request = function(ctx, method, path)
  local opts = { body = ctx.flags.body, query = ctx.flags.query }
  if opts.query ~= nil and type(opts.query) ~= "table" then usage_error("--query must be a JSON object") end
  -- A JSON false is a document too: the error is told by its type.
  local doc, meta = ctx.connect():request(method:upper(), path, opts)
  if doc == nil or scenario.is_error(meta) then api_error(meta) end
  ctx.write(to_json(doc), "\n")
end

-- ---- running ----------------------------------------------------------------------------
-- The client the flags ask for; with --stand-in, against a stand-in
-- started for this run (ctx.stand_in, stopped by main).
local function make_client(ctx)
  local flags = ctx.flags
  local opts = {
    max_retries = flags.retries,
    timeout = flags.timeout,
    project_id = flags.project,
  }
  if flags["stand-in"] then
    if flags["base-url"] then usage_error("--stand-in and --base-url cannot go together") end
    local ok, s = pcall(require("scenario.testing").start)
    if not ok then
      error(setmetatable({ code = 1, kind = "stand_in", message = tostring(s) }, Failure), 0)
    end
    ctx.stand_in = s
    note(ctx, "using a stand-in of the API at " .. s.base_url)
    -- The stand-in moves a step per poll: no reason to wait seconds.
    ctx.interval = ctx.interval or 0.05
    opts.base_url, opts.api_key, opts.api_secret = s.base_url, "stand-in-key", "stand-in-secret"
  else
    opts.base_url = flags["base-url"]
  end
  return scenario.new(opts)
end

-- What a failure prints on stderr, and its JSON form.
local function report(ctx, f)
  local text
  if f.err then
    text = tostring(f.err)
  else
    text = f.message:find("^scenario") and f.message or ("scenario: " .. f.message)
    if f.message:find("no credentials", 1, true) then
      text = text .. "\n(--stand-in runs against a local stand-in of the API, without them)"
    end
    if f.kind == "usage" and f.command then
      text = text .. ("\n'scenario %s --help' lists its arguments and flags."):format(f.command.words)
    end
  end
  if ctx.bar then ctx.bar.done() end
  ctx.err:write(text, "\n")
  if ctx.json then
    local e = { kind = f.kind, message = f.err and f.err.message or f.message, exit = f.code }
    if f.err then e.status, e.code = f.err.status, f.err.code end
    local doc = core.to_json({ error = e })
    if not doc then -- a message with bytes that are not UTF-8: as ASCII, '?' for the rest
      e.message = tostring(e.message):gsub("[\128-\255]", "?")
      doc = core.to_json({ error = e }) or '{"error":{"kind":"unknown"}}'
    end
    ctx.write(doc, "\n")
  end
end

--- Runs the command line `argv` (as `arg` holds it) and returns the exit
-- code: 0 done, 1 the API or the network failed, 2 a usage or validation
-- error. Output goes to `io.stdout` and `io.stderr`.
-- @tparam table argv the arguments, `argv[1]` first
-- @treturn int the exit code
function M.main(argv)
  local ctx = { out = io.stdout, err = io.stderr, cleanup = {}, flags = {} }
  -- Writes to stdout, keeping the first failure (a full disk, a closed
  -- pipe: LuaSocket ignores SIGPIPE), which makes the exit code 1.
  function ctx.write(...)
    local ok, err = ctx.out:write(...)
    if not ok and not ctx.out_error then ctx.out_error = err end
  end
  -- Known before the command line is read, so that a mistake in it still
  -- gives the one JSON document.
  for _, a in ipairs(argv or {}) do
    if a == "--" then break end
    if a == "--json" then ctx.json = true end
  end
  local function run()
    local flags, words = lex(argv or {})
    ctx.flags, ctx.json = flags, flags.json == true
    local c, args, help = resolve(words, flags)
    if help then
      ctx.write(help)
      return 0
    end
    ctx.command = c
    check_command(c, flags, args)
    read_values(flags, c)
    ctx.interval, ctx.wait_timeout = flags.interval, flags["wait-timeout"]
    ctx.tty_err, ctx.tty_in = is_terminal(2), is_terminal(0)
    -- Made when first needed: what can be checked without it is, first.
    function ctx.connect()
      if not ctx.client then ctx.client = make_client(ctx) end
      return ctx.client
    end
    return RUN[c.words](ctx, unpack(args)) or 0
  end
  local ok, result = pcall(run)
  local code
  if ok then
    code = result
  elseif getmetatable(result) == Failure then
    report(ctx, result)
    code = result.code
  else
    -- What the library raises here is a mistake in what it was given (a
    -- base URL that is not https, no credentials, a path with a dot
    -- segment), whose message says so: a usage error.
    local message = tostring(result):gsub("^[^\n:]*:%d+: ", "")
    report(ctx, { code = 2, kind = "usage", message = message, command = ctx.command })
    code = 2
  end
  for i = #ctx.cleanup, 1, -1 do pcall(ctx.cleanup[i]) end
  if ctx.client then pcall(ctx.client.close, ctx.client) end
  if ctx.stand_in then pcall(ctx.stand_in.stop, ctx.stand_in) end
  local flushed, why = ctx.out:flush()
  if not flushed and not ctx.out_error then ctx.out_error = why end
  if ctx.out_error then
    ctx.err:write("scenario: cannot write to stdout: ", tostring(ctx.out_error), "\n")
    if code == 0 then code = 1 end
  end
  return code
end

return M
