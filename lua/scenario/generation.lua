--- `client:generate`: a generation's body checked against the model's
-- inputs before it is sent, a typo caught before it costs credits. The
-- inputs come from `get_model`, once per model and client, and are kept.
-- Where they cannot be had (the fetch fails, or the model has none), the
-- body goes unchecked and `meta.inputs_unchecked` says why.
--
-- The async form does not block for the inputs: when they are not kept
-- yet, it returns a request that first fetches them, then checks the body
-- and sends it (a Chain, stepped by the client's machine like a wait).
-- @module scenario.generation
-- @local
local core = require "scenario.core"
local errors = require "scenario.errors"
local inputs = require "scenario.inputs"
local Pollable = require "scenario.pollable"

local M = {}

-- The inputs kept, by client, then by model id: a list, or false (the
-- model has none). A fetch that failed is not kept: the next call tries again.
local kept = setmetatable({}, { __mode = "k" })

-- The fetches of inputs in flight, by client, then by model id: { req,
-- users }, shared by the async generations that wait for them, so that
-- two started together fetch once.
local fetching = setmetatable({}, { __mode = "k" })

local function kept_for(client)
  local k = kept[client]
  if not k then
    k = {}
    kept[client] = k
  end
  return k
end

-- What a model's record gives as its inputs: the list, or false.
local function inputs_of(model)
  local list = type(model) == "table" and model.inputs
  if type(list) == "table" and list[1] ~= nil then return list end
  return false
end

local NO_INPUTS = "the model has no inputs to check the body against"

local function fetch_failed(err)
  return "the model's inputs could not be read (" .. tostring(err) .. ")"
end

-- Whether a failed fetch of the inputs stops the generation rather than
-- letting it go unchecked: a cancelled fetch (a host stopping a task)
-- means no generation was wanted.
local function stops(err)
  return type(err) == "table" and err.kind == "cancelled"
end

--- The inputs of model_id for client, fetched with a blocking get_model
-- if not kept: the list, or nil and why the body goes unchecked, or nil,
-- nil and the error that stops the generation.
function M.inputs(client, model_id)
  local k = kept_for(client)
  if k[model_id] == nil and type(model_id) == "string" then
    local model, err = client:get_model(model_id)
    if stops(err) then return nil, nil, err end
    if not model then return nil, fetch_failed(err) end
    k[model_id] = inputs_of(model)
  end
  if k[model_id] then return k[model_id] end
  return nil, NO_INPUTS
end

--- The validation error of body (with the members of extra, as they are
-- sent) against list, or nil when it passes.
function M.check(list, body, extra)
  if extra ~= nil and type(body) == "table" then
    local all = {}
    for k, v in pairs(body) do all[k] = v end
    for k, v in pairs(extra) do all[k] = v end
    body = all
  end
  local problems = inputs.problems(list, body == nil and {} or body)
  if problems[1] ~= nil then return inputs.error(problems) end
end

-- Notes in a success's meta that its body went unchecked, and why.
local function note(a, b, why)
  if why and a ~= nil and type(b) == "table" then b.inputs_unchecked = why end
  return a, b
end
M.note = note

-- ---- the async form while the inputs are fetched --------------------------------

-- A generation that waits for the model's inputs before it is checked
-- and sent: poll, done, result, wait and cancel as a request has them.
local Chain = {}
Chain.__index = Chain
Chain.__name = "scenario.Request"

function Chain:__tostring()
  return ("scenario.Request (generate, %s)"):format(self.state)
end

function Chain:_what() -- luacheck: ignore 212 (a method, as the others' are)
  return "generate"
end

-- Lets go of the shared fetch of the inputs: the last to let go of one
-- still in flight cancels it.
function Chain:_release()
  local f = self.fetch
  if not f then return end
  self.fetch = false
  f.users = f.users - 1
  local by_model = fetching[self.client]
  if by_model and by_model[self.model_id] == f and (f.users == 0 or f.req:done()) then
    by_model[self.model_id] = nil
  end
  if f.users == 0 and not f.req:done() then f.req:cancel() end
end

-- Ends it; its on_done runs at the next drain. A fetch of the inputs is
-- not its own to cancel: it lets go of it (_release).
function Chain:_finish(a, b)
  if self.state == "done" then return end
  if self.phase == "inputs" then
    self.req = false
    self:_release()
  end
  return Pollable.finish(self, a, b)
end

-- One step, at the start of each of the client's rounds: when the
-- inputs have come, check the body and queue the call (a round sends it);
-- when the call has ended, end with its result.
function Chain:_step()
  if self.state == "done" or not (self.req and self.req:done()) then return end
  local a, b = self.req:result()
  if self.phase == "inputs" then
    self:_release()
    local why
    if a then
      local list = inputs_of(a)
      kept_for(self.client)[self.model_id] = list
      if list then
        local err = M.check(list, self.body, self.opts.extra_body)
        if err then return self:_finish(nil, err) end
      else
        why = NO_INPUTS
      end
    elseif stops(b) then
      return self:_finish(nil, b)
    else
      why = fetch_failed(b)
    end
    self.why, self.phase = why, "call"
    local c = self.client
    local req, err = c:_start(self.ep, self.body, self.query, self.opts, false, self.model_id)
    if not req then return self:_finish(nil, err) end
    self.req = req
    return
  end
  return self:_finish(note(a, b, self.why))
end

Chain._due, Chain._idle = Pollable.due, Pollable.idle

function Chain:_attempts()
  return self.phase == "call" and self.req and self.req.attempts or 0
end

local shared = Pollable.methods(Chain, { noun = "request", var = "req",
  unfinished = "the request has not finished", pending = "still in flight after %g s" })
Chain.poll, Chain.done, Chain.result, Chain.wait = shared.poll, shared.done, shared.result, shared.wait

-- Stops it: it ends as `cancelled`, and so does the call it waits for.
function Chain:cancel()
  shared.check_self(self, "cancel")
  if self.state == "done" then return false end
  self:_finish(nil, errors.new("cancelled", "the request was cancelled", { attempts = self:_attempts() }))
  self.client._sched:drain()
  return true
end

-- The async generate for the client: the request, or nil and the
-- validation error. ep is the endpoint, opts the checked call options
-- (their on_done is the whole generation's).
function M.start(client, ep, body, query, opts, model_id)
  local k = kept_for(client)
  local list = type(model_id) == "string" and k[model_id]
  if list ~= nil then
    local why
    if list then
      local err = M.check(list, body, opts.extra_body)
      if err then return nil, err end
    else
      why = NO_INPUTS
    end
    local req, err = client:_start(ep, body, query, opts, true, model_id)
    if req and why then req.inputs_unchecked = why end
    return req, err
  end
  -- The arguments are checked now, as the call's would be: a mistake is
  -- the caller's at once, not the chain's later.
  local ok, err = core.validate(ep.name, body, opts.extra_body, nil, query, model_id)
  if not ok then return nil, errors.from_core(err, { attempts = 0 }) end
  local by_model = fetching[client]
  if not by_model then
    by_model = {}
    fetching[client] = by_model
  end
  local f = by_model[model_id]
  if not f then
    local first, ferr = client:get_model_async(model_id)
    if not first then return nil, ferr end
    f = { req = first, users = 0 }
    by_model[model_id] = f
  end
  f.users = f.users + 1
  local call_opts = {}
  for key, v in pairs(opts) do
    if key ~= "on_done" then call_opts[key] = v end
  end
  local chain = setmetatable({
    client = client, ep = ep, body = body, query = query, opts = call_opts, model_id = model_id,
    on_done = opts.on_done, phase = "inputs", req = f.req, fetch = f, why = false,
    state = "waiting", r1 = false, r2 = false,
  }, Chain)
  client._sched:add_wait(chain)
  return chain
end

return M
