-- Error values (lua/scenario/errors.lua): the kind of every documented
-- failure, its fields and its text.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local errors = require "scenario.errors"
local scenario = require "scenario"

local server = replay.server()

-- One attempt against a recorded (or inline) response.
local function fail_with(response, opts)
  server.reset()
  server.enqueue(response)
  local o = { max_retries = 0 }
  for k, v in pairs(opts or {}) do o[k] = v end
  local model, err = helper.client(o):create_model()
  assert.is_nil(model)
  assert.is_true(scenario.is_error(err))
  return err
end

describe("HTTP errors", function()
  it("{status, code, message}: 400 bad_request", function()
    local fx = replay.fixture("error_400_status_code_message")
    local err = fail_with("error_400_status_code_message")
    assert.equal("bad_request", err.kind)
    assert.equal(400, err.status)
    assert.equal("INVALID_PARAMETER", err.code)
    assert.equal("The 'concepts' parameter is required for composition models.", err.message)
    assert.equal(fx.response.body, err.body)
    assert.equal("application/json", err.headers["content-type"])
    assert.equal("scenario: bad_request (HTTP 400, INVALID_PARAMETER) on POST /v1/models: The 'concepts' "
      .. "parameter is required for composition models.", tostring(err))
  end)

  it("{statusCode, error, message}: the message, no code", function()
    local err = fail_with("error_400_status_code_error")
    assert.equal("bad_request", err.kind)
    assert.is_nil(err.code)
    assert.equal("name must be shorter than or equal to 64 characters", err.message)
    assert.equal("scenario: bad_request (HTTP 400) on POST /v1/models: name must be shorter than or equal "
      .. "to 64 characters",
      tostring(err))
  end)

  it("{error, code}: the error as message, and the code", function()
    local err = fail_with("error_429_quota")
    assert.equal("rate_limit", err.kind)
    assert.equal("QUOTA_EXCEEDED", err.code)
    assert.equal("Quota exceeded for search", err.message)
  end)

  it("reads a numeric code as text, whatever the number", function()
    for json, code in pairs { ['{"code":42,"message":"m"}'] = "42", ['{"code":1.5,"message":"m"}'] = "1.5",
      ['{"code":1e300,"message":"m"}'] = "1e+300" } do
      local err = fail_with { status = 400, headers = { ["Content-Type"] = "application/json" }, body = json }
      assert.equal(code, err.code)
      assert.equal("m", err.message)
    end
  end)

  it("joins a list of messages", function()
    local err = fail_with { status = 400, headers = { ["Content-Type"] = "application/json" },
      body = '{"statusCode":400,"error":"Bad Request","message":["name too long","type invalid"]}' }
    assert.equal("name too long; type invalid", err.message)
  end)

  it("401 is authentication", function()
    local err = fail_with("error_401")
    assert.equal("authentication", err.kind)
    assert.equal("AUTHENTICATION_FAILED", err.code)
  end)

  it("403 is permission_denied, with the gateway's error type as code", function()
    local err = fail_with("error_403_amzn")
    assert.equal("permission_denied", err.kind)
    assert.equal("AccessDeniedException", err.code)
    assert.equal("User is not authorized to access this resource with an explicit deny", err.message)
  end)

  it("404 is not_found", function()
    local err = fail_with("error_404")
    assert.equal("not_found", err.kind)
    assert.equal("Cannot POST /v1/models", err.message)
  end)

  it("429 is rate_limit, with retry_after from Retry-After", function()
    local err = fail_with("error_429_retry_after")
    assert.equal("rate_limit", err.kind)
    assert.equal(2, err.retry_after)
    assert.equal("scenario: rate_limit (HTTP 429, RATE_LIMIT_EXCEEDED) on POST /v1/models: slow down",
      tostring(err))
  end)

  it("500 is server", function()
    local err = fail_with("error_500")
    assert.equal("server", err.kind)
    assert.equal(500, err.status)
    assert.equal("INTERNAL_ERROR", err.code)
  end)

  it("502 with an HTML page is server, described without the HTML", function()
    local fx = replay.fixture("error_502_html")
    local err = fail_with("error_502_html")
    assert.equal("server", err.kind)
    assert.equal(("Bad Gateway (a %d-byte text/html body)"):format(#fx.response.body), err.message)
    assert.equal(fx.response.body, err.body)
  end)

  it("maps the other statuses", function()
    for status, kind in pairs { [409] = "conflict", [422] = "unprocessable", [418] = "http",
      [408] = "http", [503] = "server", [599] = "server", [304] = "http" } do
      local err = fail_with { status = status, body = "" }
      assert.equal(kind, err.kind, "status " .. status)
      assert.equal(status, err.status)
    end
  end)
end)

describe("invalid responses", function()
  it("a 200 with broken JSON is invalid_response, with the raw body", function()
    local fx = replay.fixture("ok_broken_json")
    local err = fail_with("ok_broken_json")
    assert.equal("invalid_response", err.kind)
    assert.equal(200, err.status)
    assert.equal(fx.response.body, err.body)
    assert.truthy(tostring(err):find("^scenario: invalid_response %(HTTP 200%) on POST /v1/models: "
      .. "the response is not valid JSON"), tostring(err))
  end)

  it("a 200 of the wrong shape lists what is wrong, with strict_responses", function()
    local err = fail_with("ok_wrong_shape", { strict_responses = true })
    assert.equal("invalid_response", err.kind)
    assert.equal(3, #err.errors)
    assert.truthy(err.message:find("model.trainingImagesNumber: expected a number, got a string", 1, true))
  end)
end)

describe("Retry-After", function()
  local parse = require("scenario.core").parse_http_date

  it("reads seconds, fractions and milliseconds", function()
    assert.equal(120, errors.retry_after { ["retry-after"] = "120" })
    assert.equal(1.5, errors.retry_after { ["retry-after"] = " 1.5 " })
    assert.equal(0.25, errors.retry_after { ["retry-after-ms"] = "250", ["retry-after"] = "9" })
    assert.is_nil(errors.retry_after {})
    assert.is_nil(errors.retry_after { ["retry-after"] = "soon" })
  end)

  it("reads an HTTP date relative to now", function()
    local now = 1445412480 -- Wed, 21 Oct 2015 07:28:00 GMT
    assert.equal(now, parse("Wed, 21 Oct 2015 07:28:00 GMT"))
    assert.equal(30, errors.retry_after({ ["retry-after"] = "Wed, 21 Oct 2015 07:28:30 GMT" }, parse, now))
    assert.equal(0, errors.retry_after({ ["retry-after"] = "Wed, 21 Oct 2015 07:27:00 GMT" }, parse, now))
  end)
end)

describe("error values", function()
  it("carry the attempts made", function()
    local err = fail_with("error_401")
    assert.equal(1, err.attempts)
  end)

  it("never hold the API key or secret", function()
    local function scan(v, seen)
      seen = seen or {}
      if type(v) == "string" then
        assert.falsy(v:find(helper.API_KEY, 1, true), v)
        assert.falsy(v:find(helper.API_SECRET, 1, true), v)
        assert.falsy(v:find(helper.basic_auth(helper.API_KEY, helper.API_SECRET):sub(7), 1, true), v)
      elseif type(v) == "table" and not seen[v] then
        seen[v] = true
        for k, x in pairs(v) do scan(k, seen) scan(x, seen) end
      end
    end
    local errs = {
      fail_with("error_401"), fail_with("error_403_amzn"), fail_with("error_502_html"),
      fail_with("ok_broken_json"), fail_with({ raw = "" }),
      fail_with("model_example", { base_url = "http://127.0.0.1:1/v1" }),
      select(2, helper.client():create_model { name = 5 }),
    }
    for _, e in ipairs(errs) do
      scan(e)
      scan(tostring(e))
    end
  end)
end)

describe("where an error happened", function()
  it("is in err.method and err.url, and tostring names the method and path", function()
    local client = helper.client { max_retries = 0 }
    server.reset()
    server.enqueue("error_404")
    local _, err = client:create_model(nil, { originalAssets = true })
    assert.equal("POST", err.method)
    assert.equal(server.url .. "/models?originalAssets=true", err.url)
    assert.equal("scenario: not_found (HTTP 404) on POST /v1/models: Cannot POST /v1/models", tostring(err))
  end)

  it("is named for transport failures too", function()
    local client = helper.client { base_url = "http://127.0.0.1:1/v2", max_retries = 0 }
    local _, err = client:create_model()
    assert.equal("connection", err.kind)
    assert.equal("POST", err.method)
    assert.equal("http://127.0.0.1:1/v2/models", err.url)
    assert.truthy(tostring(err):find("^scenario: connection on POST /v2/models: "), tostring(err))
  end)

  it("is in every log line about the exchange, with its status and duration", function()
    local lines = {}
    server.reset()
    server.enqueue("error_404")
    local client = helper.client { max_retries = 0, logger = function(level, line)
      lines[#lines + 1] = level .. " " .. line
    end }
    client:create_model()
    assert.equal("debug POST /v1/models: attempt 1 of 1", lines[1])
    assert.truthy(lines[2]:match("^warn POST /v1/models: failed after 1 attempt%(s%) in %d+%.%d ms: "
      .. "scenario: not_found %(HTTP 404%) on POST /v1/models: Cannot POST /v1/models$"), lines[2])
  end)
end)

describe("text from the server", function()
  local hostile = 'bad\nline\r\tand \27[31mred\27[0m \127 \194\155csi'
  local shown = [[bad\nline\r\tand \x1b[31mred\x1b[0m \x7f \u009bcsi]]

  it("is escaped in tostring and in log lines, and kept as sent in err.message", function()
    local lines = {}
    server.reset()
    server.enqueue { status = 400, headers = { ["Content-Type"] = "application/json" },
      body = '{"code":"X\\u001b[2J","message":' .. require("cjson").encode(hostile) .. '}' }
    local client = helper.client { max_retries = 0, logger = function(_, line) lines[#lines + 1] = line end }
    local _, err = client:create_model()
    assert.equal(hostile, err.message)
    local text = tostring(err)
    assert.equal("scenario: bad_request (HTTP 400, X\\x1b[2J) on POST /v1/models: " .. shown, text)
    for _, line in ipairs(lines) do
      assert.falsy(line:find("[%c\127]"), line)
      assert.falsy(line:find("\194\155", 1, true), line)
    end
    assert.truthy(lines[2]:find(shown, 1, true), lines[2])
  end)

  it("is left alone when there is nothing to escape", function()
    assert.equal("plain text, é and ü, 漢字 🙂", errors.escape("plain text, é and ü, 漢字 🙂"))
  end)

  it("shows bytes that are not UTF-8, and the characters that reorder a line, as escapes", function()
    assert.equal([[x\x9by]], errors.escape("x\155y"))                  -- CSI to a Latin-1 terminal
    assert.equal([[\xc0\xaf and \xed\xa0\x80]], errors.escape("\192\175 and \237\160\128"))
    assert.equal([[\u202eevil\u202c \u2028 \u2066]],
      errors.escape("\226\128\174evil\226\128\172 \226\128\168 \226\129\166"))
    assert.equal([[cut \xe2\x80]], errors.escape("cut \226\128"))
  end)
end)
