--- Endpoint to method: the one place that knows the order of a method's
-- arguments (path parameters, then the body where the endpoint takes
-- one, then the query, then the options), for `client:<name>`,
-- `client:<name>_async` (client.lua) and `scenario.validate_<name>`
-- (init.lua), all made from the entries of core.endpoints. There is no
-- code of any one endpoint here.
-- @module scenario.methods
-- @local
local M = {}

--- The position of the opts argument of ep's methods (after the
-- receiver), for messages.
function M.opts_position(ep)
  return #ep.params + (ep.takes_body and 3 or 2)
end

--- f(x, body, query, opts, p1, p2) as a function whose arguments come in
-- ep's order: (x, path params..., [body,] query, opts). x is the
-- receiver (the client); at most two path parameters (SC_MAX_PARAMS).
-- One closure per shape of arguments, none per endpoint.
function M.positional(ep, f)
  local np, tb = #ep.params, ep.takes_body
  if np == 0 and tb then
    return f -- the same order
  elseif np == 0 then
    return function(x, query, opts) return f(x, nil, query, opts) end
  elseif np == 1 and tb then
    return function(x, p1, body, query, opts) return f(x, body, query, opts, p1) end
  elseif np == 1 then
    return function(x, p1, query, opts) return f(x, nil, query, opts, p1) end
  elseif np == 2 and tb then
    return function(x, p1, p2, body, query, opts) return f(x, body, query, opts, p1, p2) end
  end
  return function(x, p1, p2, query, opts) return f(x, nil, query, opts, p1, p2) end
end

return M
