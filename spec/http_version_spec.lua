-- The HTTP version core.new asks of libcurl (CURLOPT_HTTP_VERSION) for each
-- scheme and http_version, as libcurl's numbers: the choice itself, since
-- libcurl 7.88 makes some of it invisible (core.new refuses "2" over plain
-- http there, and an https server that offers h2 hides 2TLS from 2.0).
local core = require "scenario.core"

-- curl.h's enum: CURL_HTTP_VERSION_NONE is 0, then 1.0, 1.1, 2.0, 2TLS,
-- 2_PRIOR_KNOWLEDGE.
local HTTP_1_1, HTTP_2_0, HTTP_2TLS, HTTP_2_PRIOR_KNOWLEDGE = 2, 3, 4, 5

describe("core.http_version_for", function()
  local cases = {
    -- By default: HTTP/2 where TLS can negotiate it (ALPN), else 1.1.
    { "https://api.cloud.scenario.com/v1", nil, HTTP_2TLS },
    { "http://127.0.0.1:8080", nil, HTTP_1_1 },
    { "https://api.cloud.scenario.com/v1", "1.1", HTTP_1_1 },
    { "http://127.0.0.1:8080", "1.1", HTTP_1_1 },
    -- "2" over https negotiates h2 with ALPN (falling back to 1.1 if the
    -- server does not offer it); over plain http it is h2c with prior
    -- knowledge: 2TLS there would be HTTP/1.1, and 2.0 an Upgrade dance.
    { "https://api.cloud.scenario.com/v1", "2", HTTP_2TLS },
    { "http://127.0.0.1:8080", "2", HTTP_2_PRIOR_KNOWLEDGE },
    -- The scheme's case does not matter (RFC 3986 3.1).
    { "HTTPS://api.cloud.scenario.com", nil, HTTP_2TLS },
    { "Https://api.cloud.scenario.com", "2", HTTP_2TLS },
    { "HTTP://127.0.0.1:8080", "2", HTTP_2_PRIOR_KNOWLEDGE },
    -- "https" must be the whole scheme, not a prefix of the host.
    { "http://https.example", nil, HTTP_1_1 },
  }

  it("is libcurl's number for each scheme and setting", function()
    for _, c in ipairs(cases) do
      assert.equal(c[3], core.http_version_for(c[1], c[2]), ("%s with http_version %s"):format(c[1], tostring(c[2])))
    end
  end)

  it("never asks for plain HTTP/2 with Upgrade (CURL_HTTP_VERSION_2_0)", function()
    for _, base in ipairs { "https://h", "http://h" } do
      for _, v in ipairs { "1.1", "2" } do
        assert.is_not.equal(HTTP_2_0, core.http_version_for(base, v))
      end
      assert.is_not.equal(HTTP_2_0, core.http_version_for(base))
    end
  end)

  it("raises on a setting core.new would refuse", function()
    for _, v in ipairs { "2.0", "1", "3", "" } do
      local ok, err = pcall(core.http_version_for, "https://h", v)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("bad argument #2 to", 1, true), tostring(err))
      assert.truthy(tostring(err):find('("1.1" or "2" expected)', 1, true), tostring(err))
      assert.is_false((pcall(core.new, { base_url = "https://h", http_version = v })))
    end
  end)
end)
