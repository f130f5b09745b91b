--- Retry policy: which failures are retried, and how long to wait.
-- Internal, and left out of the generated docs (config.ld); the policy is
-- summarised on `scenario.Client:create_model`.
-- @module scenario.retry
local M = {}

M.BASE_DELAY = 0.5 -- seconds before the first retry
M.MAX_DELAY = 8    -- cap on the exponential backoff
M.MAX_RETRY_AFTER = 60 -- default cap on an honoured Retry-After

-- 429 codes that mean a plan ceiling rather than a burst: waiting a few
-- seconds will not lift them, so they are not retried.
M.ceiling_codes = { QUOTA_EXCEEDED = true }

--- Whether a failed attempt may be tried again.
-- A non-idempotent call (POST /models creates a model each time it is
-- processed) is retried only where the server cannot have acted on it:
-- a connection that failed (or timed out) before any byte was sent, 408
-- and 429.
-- `retry_unsafe` (or an idempotent method) adds 5xx, timeouts and
-- connections lost after sending.
-- @tparam table err the error value
-- @tparam boolean idempotent whether the method is idempotent
-- @tparam boolean retry_unsafe the client option
function M.retryable(err, idempotent, retry_unsafe)
  local broad = idempotent or retry_unsafe
  local kind, status = err.kind, err.status
  -- A server that cannot be trusted now will not be trusted in a second.
  if err.certificate then return false end
  -- A timeout before any byte left (while connecting) is as safe as a
  -- refused connection.
  if kind == "connection" or kind == "timeout" then return (not err.sent) or broad end
  if status == 408 then return true end
  if status == 429 then return not M.ceiling_codes[err.code] end
  if kind == "server" then return broad end
  return false
end

--- Seconds to wait before the next attempt, or nil when the server asks
-- for a longer wait than `max_retry_after` allows (the caller then gives
-- up and reports `err.retry_after`).
-- @tparam number attempt attempts made so far (1 after the first)
-- @tparam table err the error value
-- @tparam number max_retry_after the cap on Retry-After
-- @tparam function random returns a number in [0, 1)
function M.delay(attempt, err, max_retry_after, random)
  local ra = err.retry_after
  if ra then
    if ra > max_retry_after then return nil end
    return ra
  end
  local d = math.min(M.BASE_DELAY * 2 ^ (attempt - 1), M.MAX_DELAY)
  return d / 2 + random() * d / 2 -- "equal jitter": spread, never near zero
end

return M
