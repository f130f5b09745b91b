-- Loaded by busted before the specs (see .busted).
local replay = require "spec.support.replay"
local scenario = require "scenario"

local helper = {}

helper.API_KEY = "test-key-7f3a"
helper.API_SECRET = "test-secret-c91e"

--- A client against the replay server. Its sleeps are recorded in
-- client.slept instead of blocking.
function helper.client(opts)
  local server = replay.server()
  local slept = {}
  local o = {
    api_key = helper.API_KEY,
    api_secret = helper.API_SECRET,
    base_url = server.url,
    sleep = function(s) slept[#slept + 1] = s end,
    timeout = 5,
  }
  for k, v in pairs(opts or {}) do o[k] = v end
  local client = scenario.new(o)
  client.slept = slept
  return client
end

function helper.basic_auth(key, secret)
  local mime = require "mime"
  return "Basic " .. mime.b64(key .. ":" .. secret)
end

package.loaded["spec.helper"] = helper
return helper
