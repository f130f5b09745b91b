-- Checks create bodies against the API's schema without sending anything:
-- no server and no credentials are needed.
--
--   lua5.4 examples/validate_body.lua
--
-- (with the module installed; from the checkout after make, prefix
-- LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./build/lua5.4/?.so;;').
-- It also runs through the demo wrapper: lua5.4 examples/run_demo.lua examples/validate_body.lua
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"

local good = {
  name = "Cinematic Realism",
  type = "flux.1-lora",
  concepts = { { modelId = "model_eyVcnFJcR92BxBkz7N6g5w", scale = 1 } },
}
local ok, err = scenario.validate_create_model(good)
if not ok then
  io.stderr:write("the valid body was refused: ", tostring(err), "\n")
  os.exit(1)
end
print("valid body: ok")

local bad = {
  name = ("x"):rep(65),                  -- maxLength 64
  type = "flux.1-lroa",                  -- not in the enum
  shortDescripton = "typo in the key",   -- unknown field
  concepts = {
    { scale = 1 },                       -- modelId is required
    { modelId = "model_b", scale = 3 },  -- scale is in [-2, 2]
  },
}
ok, err = scenario.validate_create_model(bad)
if ok then
  io.stderr:write("the invalid body was accepted\n")
  os.exit(1)
end
print("invalid body: refused")
print("  kind     " .. err.kind)
print("  message  " .. err.message)
for _, p in ipairs(err.errors) do
  print(("  - %s: %s"):format(p.path, p.message))
end
