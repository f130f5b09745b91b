--- Lua client for the Scenario generative-AI API.
--
--     local scenario = require "scenario"
--     local client = scenario.new()   -- SCENARIO_SDK_API_KEY / _SECRET
--     local model, err = client:create_model { name = "Cinematic Realism", type = "flux.1-lora" }
--     if not model then error(tostring(err)) end
--     print(model.id, model.status)
--
-- @module scenario
local core = require "scenario.core"
local errors = require "scenario.errors"
local Client = require "scenario.client"

local M = {
  _VERSION = core._VERSION,
  --- The JSON null sentinel (the same value as `cjson.null`):
  -- `classSlug = scenario.null` unsets the class.
  null = core.null,
  --- Every enum of the reference page, as arrays in the page's order:
  -- `model_type`, `capability`, `status`, `privacy`, `source`,
  -- `access_restrictions`, `class_status`, `input_type`, `input_kind`,
  -- `background_behavior`, `lr_scheduler`, `optimize_for`,
  -- `training_stage`, `trigger_position`.
  enums = core.enums,
  Error = errors.Error,
  is_error = errors.is_error,
}

--- Creates a client.
-- @tparam[opt] table opts
--   `api_key`, `api_secret` (default: env `SCENARIO_SDK_API_KEY`, `SCENARIO_SDK_API_SECRET`),
--   `base_url` (default: env `SCENARIO_BASE_URL`, else `https://api.cloud.scenario.com/v1`),
--   `timeout` (seconds, 60), `connect_timeout` (seconds, 10), `max_retries` (2),
--   `project_id`, `retry_unsafe` (false), `max_retry_after` (seconds, 60),
--   `max_response_bytes` (16 MiB), `user_agent`, `allow_insecure` (false),
--   `logger` (function(level, line): "debug", "info" or "warn" lines about
--   attempts, timings, retries and failures; never headers or secrets),
--   `sleep` (function(seconds)), `random` (function() -> [0,1)),
--   `transport` (a table with the functions of scenario.core; for tests)
-- @treturn scenario.Client
function M.new(opts)
  return Client.new(opts)
end

--- Checks a create body without sending anything.
-- @tparam table body
-- @tparam[opt] table opts `extra_body`, as for create_model
-- @treturn[1] boolean true
-- @return[2] nil
-- @treturn[2] scenario.Error a `validation` error listing every problem
function M.validate_create_model(body, opts)
  opts = Client.check_call_options("validate_create_model", 2, opts)
  local ok, raw = core.validate("create_model", body, opts.extra_body)
  if ok then return true end
  return nil, errors.from_core(raw, { attempts = 0 })
end

local sets = {}

--- Whether `value` is one of the values of the enum `name`.
-- @tparam string name an enum name, such as `"model_type"`
-- @param value the value to look for
-- @treturn boolean
function M.in_enum(name, value)
  local set = sets[name]
  if set == nil then
    local list = core.enums[name]
    if list == nil then
      error(("bad argument #1 to 'in_enum' (unknown enum '%s')"):format(tostring(name)), 2)
    end
    set = {}
    for _, v in ipairs(list) do set[v] = true end
    sets[name] = set
  end
  return set[value] == true
end

return M
