-- A model's life apart from training: creates a scratch model, lists every
-- model of the project page by page, renames and tags the scratch one,
-- reads it back, and deletes it. Only the model it made is changed.
--
--   SCENARIO_SDK_API_KEY=... SCENARIO_SDK_API_SECRET=... lua5.4 examples/manage_models.lua
--
-- (make demo EXAMPLE=manage_models runs it against the local stand-in.)
dofile((arg[0]:match("^(.-)[^/]*$") or "") .. "checkout.lua").example() -- this checkout, from anywhere
local scenario = require "scenario"

local client = scenario.new()

local function check(value, err)
  if value == nil then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  return value, err
end

local scratch = check(client:create_model { name = "Scratch", type = "flux.1-lora" })
print(("Created %s (%s)"):format(scratch.id, scratch.name))

print("Models, 2 to a page:")
local n = 0
for model, err in client:each_model { pageSize = 2 } do
  check(model, err) -- false and the error, once, if a page fails
  n = n + 1
  print(("  %-28s %-20s %s"):format(model.id, model.name or "(unnamed)", model.status))
end
print(("%d model(s)"):format(n))

local renamed = check(client:update_model(scratch.id, { name = "Scratch, renamed",
  shortDescription = "Made and removed by examples/manage_models.lua" }))
print(("Renamed to %q"):format(renamed.name))

local tags = check(client:update_model_tags(scratch.id, { add = { "example", "scratch" } }))
print(("Tagged: %s"):format(table.concat(tags.added, ", ")))

local again = check(client:get_model(scratch.id))
print(("Read back: %q, tags %s"):format(again.name, table.concat(again.tags, ", ")))

check(client:delete_model(scratch.id))
print("Deleted " .. scratch.id)

local gone, err = client:get_model(scratch.id)
print(gone and "still there?" or ("Gone: " .. err.kind))
