--- Pagination: iterators over every item of a list endpoint, across its
-- pages (`client:each_model`), sending each page's next token back. A
-- server that would keep one in a loop, or a call that never returns, is
-- an `invalid_response` error instead: a token sent twice, one not a
-- string or over the core's cap, or a run of pages without an item.
-- @module scenario.pages
-- @local
local core = require "scenario.core"
local errors = require "scenario.errors"
local options = require "scenario.options"

local M = {}

-- A copy of the query table q with key k set to v (q itself is the
-- caller's, and may be reused by it).
local function with(q, k, v)
  local c = {}
  if type(q) == "table" and getmetatable(q) == nil then
    for key, val in next, q do c[key] = val end
  end
  c[k] = v
  return c
end

-- How many of the last tokens an iterator remembers, to tell a server
-- that sends one again.
local SEEN_TOKENS = 1024

-- Why an iterator cannot go on to the page of token, or nil.
local function bad_token(token, seen, empty, max_empty)
  if type(token) ~= "string" then -- a lenient page: not to be taken for the last one
    return ("the server gave a pagination token that is not a string (%s)"):format(type(token))
  end
  if #token > core.limits.max_param_bytes then
    return ("the server gave a pagination token of %d bytes; a query value may have at most %d")
      :format(#token, core.limits.max_param_bytes)
  end
  if seen[token] then -- a server that sends the same cursor again would loop for ever
    return ("the server gave the pagination token %s twice"):format(errors.escape(("%q"):format(token)))
  end
  if empty >= max_empty then
    return ("the server gave %d pages in a row without an item, each with a new pagination token")
      :format(empty)
  end
end

--- The iterator client:<each>(query, opts) over every item of the list
-- endpoint ep (its `pages`: the token, next-token and items members),
-- page after page. check_self(client, fname) checks the receiver;
-- class.MAX_EMPTY_PAGES, read as each run of empty pages is counted,
-- bounds those.
function M.iterator(ep, check_self, class)
  local pages = ep.pages
  local each, list = pages.each, ep.name
  return function(self, query, opts)
    check_self(self, each)
    opts = options.check_call(each, 2, opts, false, false, nil, ep)
    local page, i, token, seen, over = nil, 0, nil, {}, false
    local gave, empty = false, 0 -- whether this page gave an item; pages in a row that gave none
    local ring, nseen = {}, 0 -- the tokens in seen, by when they came
    return function()
      if over then return nil end
      while true do
        if page then
          local items = type(page[pages.items]) == "table" and page[pages.items] or {}
          repeat -- past anything on the page that is not an item (a null, say)
            i = i + 1
          until i > #items or type(items[i]) == "table"
          if items[i] ~= nil then
            gave = true
            return items[i]
          end
          empty = gave and 0 or empty + 1
          gave = false
          token = page[pages.next]
          if token == nil or token == "" then
            over = true
            return nil
          end
          local why = bad_token(token, seen, empty, class.MAX_EMPTY_PAGES)
          if why then
            over = true
            return false, errors.new("invalid_response", why, { attempts = 1 })
          end
          -- The last SEEN_TOKENS tokens are kept: a cycle longer than that
          -- still yields items, so the caller can always break out.
          nseen = nseen + 1
          local slot = nseen % SEEN_TOKENS
          if ring[slot] then seen[ring[slot]] = nil end
          ring[slot], seen[token] = token, true
        end
        page = nil -- collectable while the next one is read: one page held at a time, not two
        local doc, err = self[list](self, token and with(query, pages.token, token) or query, opts)
        if not doc then
          over = true
          return false, err
        end
        page, i = doc, 0
      end
    end
  end
end

return M
