-- A hostile review of the scenario command (lua/scenario/cli.lua,
-- docs/cli.md): odd command lines, odd paths, odd answers, odd terminals.
-- Written by someone other than the command's author; each `it` asserts
-- what docs/cli.md promises. Runs as spec/cli_spec.lua does: the tool
-- as a process, against a stand-in this spec starts (--base-url) or its own
-- (--stand-in), every run under `timeout`.
local helper = require "spec.helper"
local testing = require "scenario.testing"

local KEY, SECRET = "hostile-key-3c9e1f07aa", "hostile-secret-5b2d88e4c1"
local LIMIT = 30

local cli = require "spec.support.cli_run"
local quote, command, json = cli.quote, cli.command, cli.json
local run = cli.runner(LIMIT)

local function no_traceback(text)
  assert.is_nil(text:find("stack traceback", 1, true), text)
  assert.is_nil(text:find("%.lua:%d+:"), text)
end

local A = "examples/assets"

describe("the scenario command, hostile", function()
  local s, url
  local dirs = {}
  local printed = {}

  local function tmp()
    local d = helper.tmpdir()
    dirs[#dirs + 1] = d
    return d
  end

  -- Runs against the spec's stand-in with the credentials, remembering
  -- all that was printed for the credential check at the end.
  local function api(args, opts)
    opts = opts or {}
    opts.env = ("SCENARIO_SDK_API_KEY=%s SCENARIO_SDK_API_SECRET=%s"):format(KEY, SECRET)
    local full = { "--base-url", url }
    if not opts.own_interval then
      full[#full + 1], full[#full + 2] = "--interval", "0.01"
    end
    for _, a in ipairs(args) do full[#full + 1] = a end
    local code, out, err = run(full, opts)
    printed[#printed + 1] = out .. err
    no_traceback(err)
    return code, out, err
  end

  local function sent()
    return #assert(s:requests())
  end

  local function paid_since(before, endpoint)
    local asked, n = assert(s:requests()), 0
    for i = before + 1, #asked do
      local r = asked[i]
      if r.endpoint == endpoint and not (r.query or ""):find("dryRun", 1, true) then n = n + 1 end
    end
    return n
  end

  setup(function()
    s = testing.start()
    url = s.base_url
  end)

  teardown(function()
    if s then s:stop() end
    for _, d in ipairs(dirs) do helper.sh("rm -rf " .. quote(d)) end
  end)

  before_each(function()
    s:script {}
    s:script_jobs {}
  end)

  describe("odd command lines", function()
    it("exits 2, sending nothing, on an empty word, a repeated flag, --json=x, and bad counts", function()
      local before = sent()
      for _, args in ipairs {
        { "" }, { "", "models", "list" }, { "--json=x", "models", "list" },
        { "models", "list", "--json", "--json" }, { "models", "list", "--type" },
        { "generate", "model_bfl-flux-1-dev", "x", "-n", "0", "--yes" },
        { "generate", "model_bfl-flux-1-dev", "x", "-n", "-1", "--yes" },
        { "generate", "model_bfl-flux-1-dev", "x", "-n", "1.5", "--yes" },
        { "generate", "model_bfl-flux-1-dev", "x", "-n", "1e309", "--yes" },
        { "generate", "model_bfl-flux-1-dev", "x", "-n", "nan", "--yes" },
        { "--retries", "-1", "models", "list" },
      } do
        local code, out, err = api(args)
        assert.equal(2, code, table.concat(args, " ") .. ": " .. out .. err)
        assert.truthy(#err > 0)
      end
      assert.equal(before, sent())
    end)

    it("exits 2 on -n 1e9 (over the flag's range) and -n 200 (the library's schema), before paying", function()
      local before = sent()
      for n, kind in pairs { ["1e9"] = "usage", ["200"] = "validation" } do
        local code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "-n", n, "--yes", "-o", tmp(),
          "--json" }
        assert.equal(2, code, out .. err)
        assert.equal(kind, json(out).error.kind, n)
      end
      assert.equal(0, paid_since(before, "generate"))
    end)

    it("takes a prompt that starts with '-' after --", function()
      local dir = tmp()
      local code, out, err = api { "generate", "-o", dir, "--yes", "--json", "model_bfl-flux-1-dev", "--",
        "-a prompt" }
      assert.equal(0, code, out .. err)
      assert.equal(1, #json(out).paths)
      local asked, prompt = assert(s:requests()), nil
      for _, r in ipairs(asked) do
        if r.endpoint == "generate" and type(r.body) == "table" then prompt = r.body.prompt end
      end
      assert.equal("-a prompt", prompt)
    end)

    it("refuses --interval 0 on train before sending anything", function()
      local before = sent()
      local code, out, err = api({ "train", A, "--yes", "--interval", "0" }, { own_interval = true })
      assert.equal(2, code, out .. err)
      assert.equal(before, sent(), "requests were sent (and the training paid) before --interval was refused")
    end)

    it("refuses --wait-timeout 0 on generate before paying", function()
      local before = sent()
      local code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "--yes", "-o", tmp(),
        "--wait-timeout", "0" }
      assert.equal(2, code, out .. err)
      assert.equal(0, paid_since(before, "generate"), "paid, then called it a usage error")
    end)

    it("says --timeout 0 is out of range in terms of the flag", function()
      local code, out, err = api { "--timeout", "0", "models", "list" }
      assert.equal(2, code, out .. err)
      assert.truthy(err:find("--timeout", 1, true), err)
      assert.is_nil(err:find("bad argument", 1, true), err)
    end)
  end)

  describe("odd paths", function()
    it("passes quotes, spaces, newlines and $(...) in -o to the shell as data, not code", function()
      local base = tmp()
      local dir = base .. "/a b'c\"d$(touch " .. base .. "/PWNED)`touch " .. base .. "/PWN2`\ne;f"
      local code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "--yes", "-o", dir, "--json" }
      assert.equal(0, code, out .. err)
      assert.equal(dir, json(out).paths[1]:match("^(.*)/[^/]*$"))
      assert.is_false(helper.sh("test -e " .. quote(base .. "/PWNED") .. " || test -e " .. quote(base .. "/PWN2")))
    end)

    it("passes quotes, newlines and $(...) in DIR to the shell as data, not code", function()
      local base = tmp()
      local dir = base .. "/t 'q$(touch " .. base .. "/PWN3)\nnl"
      assert(helper.sh(("mkdir -p %s && cp %s/*.png %s/"):format(quote(dir), A, quote(dir))))
      local code, out, err = api { "train", dir, "--name", "n", "--yes", "--json" }
      assert.equal(0, code, out .. err)
      assert.equal(3, json(out).model.trainingImagesNumber)
      assert.is_false(helper.sh("test -e " .. quote(base .. "/PWN3")))
    end)

    it("takes -o --version as a directory's name, and keeps stdout one JSON document", function()
      local cwd = tmp()
      local code, out, err = api({ "generate", "model_bfl-flux-1-dev", "x", "--yes", "--json", "--output=--version" },
        { cwd = cwd })
      local doc = json(out)
      assert.equal(0, code, out .. err)
      assert.equal("--version/", doc.paths[1]:sub(1, 10))
    end)

    it("trains from a DIR whose name starts with '-'", function()
      local cwd = tmp()
      assert(helper.sh(("mkdir %s/-l && cp %s/*.png %s/-l/"):format(quote(cwd), A, quote(cwd))))
      local code, out, err = api({ "train", "--yes", "--json", "--name", "x", "--", "-l" }, { cwd = cwd })
      assert.equal(0, code, out .. err)
      assert.equal(3, json(out).model.trainingImagesNumber)
    end)

    it("uploads an image whose file name holds a newline", function()
      local dir = tmp()
      assert(helper.sh(("cp %s/leaf.png %s/ && cp %s/sun.png %s"):format(A, quote(dir), A, quote(dir .. "/a\nb.png"))))
      local code, out, err = api { "train", dir, "--name", "x", "--yes", "--json" }
      assert.equal(0, code, out .. err)
      assert.equal(2, json(out).model.trainingImagesNumber)
    end)

    it("says a DIR that is a file is not a directory", function()
      local code, out, err = api { "train", A .. "/leaf.png", "--yes" }
      assert.equal(2, code, out .. err)
      assert.truthy(err:find("not a directory", 1, true), err)
      assert.is_nil(err:find("leaf.png/", 1, true), err)
    end)

    it("exits 2, sending nothing, on a DIR with no images, a fake PNG, a subdirectory, a broken link", function()
      local before = sent()
      local empty, fake, sub, link = tmp(), tmp(), tmp(), tmp()
      helper.write(empty .. "/readme.txt", "x")
      helper.write(fake .. "/fake.png", "hello")
      assert(helper.sh(("cp %s/leaf.png %s/ && mkdir %s/d.png"):format(A, quote(sub), quote(sub))))
      assert(helper.sh(("cp %s/leaf.png %s/ && ln -s /nonexistent %s/b.png"):format(A, quote(link), quote(link))))
      for _, d in ipairs { empty, fake, sub, link, "/nonexistent/dir" } do
        local code, out, err = api { "train", d, "--yes", "--json" }
        assert.equal(2, code, d .. ": " .. out .. err)
        assert.equal(2, json(out).error.exit)
      end
      assert.equal(before, sent())
    end)
  end)

  describe("request", function()
    it("refuses an absolute URL, //host, '..' and a query in PATH: nothing goes to another host", function()
      local before = sent()
      for _, p in ipairs { "https://evil.example/x", "http://127.0.0.2:9/x", "/../models", "/a/%2e%2e/b",
        "models", "", "/models?x=1" } do
        local code, out, err = api { "request", "GET", p, "--json" }
        assert.equal(2, code, p .. ": " .. out .. err)
        assert.equal("usage", json(out).error.kind)
      end
      assert.equal(before, sent())
      local code, out, err = api { "request", "GET", "//evil.example/x" }
      assert.equal(1, code, out .. err)
      local asked = assert(s:requests())
      assert.equal("/v1//evil.example/x", asked[#asked].path)
    end)

    it("exits 2 on an odd method, invalid or deeply nested --body, a --query not an object", function()
      local before = sent()
      for _, args in ipairs {
        { "request", "FOO", "/models" }, { "request", "", "/models" }, { "request", "GET\r\nX: y", "/models" },
        { "request", "POST", "/models", "--body", "{" },
        { "request", "POST", "/models", "--body", ("["):rep(5000) .. ("]"):rep(5000) },
        { "request", "POST", "/models", "--body", '"\\ud800"' },
        { "request", "GET", "/models", "--query", "[1]" }, { "request", "GET", "/models", "--query", '"x"' },
      } do
        local code, out, err = api(args)
        assert.equal(2, code, table.concat(args, " "):sub(1, 80) .. ": " .. out .. err)
      end
      assert.equal(before, sent())
    end)

    it("sends a huge --body and exits 1 on the API's refusal", function()
      local code, out, err = api { "request", "POST", "/models", "--body", '"' .. ("a"):rep(100000) .. '"' }
      assert.equal(1, code, out:sub(1, 200) .. err)
    end)

    it("says why an answer cannot be written as JSON, not a table's address", function()
      s:fault { endpoint = "get_model", status = 200, body = '{"model":{"id":"m","n":1e400}}' }
      local code, out, err = api { "request", "GET", "/models/m", "--json" }
      assert.equal(1, code, out .. err)
      local doc = json(out)
      assert.is_nil(doc.error.message:find("table: ", 1, true), doc.error.message)
    end)
  end)

  describe("the base URL", function()
    it("refuses http to a host that is not loopback, and a URL with credentials, with one JSON document", function()
      for _, u in ipairs { "http://example.com/v1", "http://u:p@127.0.0.1:1/v1", "ftp://x", "" } do
        local code, out, err = run({ "--base-url", u, "--json", "models", "list" },
          { env = ("SCENARIO_SDK_API_KEY=%s SCENARIO_SDK_API_SECRET=%s"):format(KEY, SECRET) })
        assert.equal(2, code, u .. ": " .. out .. err)
        assert.equal(2, json(out).error.exit)
        no_traceback(err)
      end
      local code, out, err = run({ "models", "list" }, { env = ("SCENARIO_SDK_API_KEY=%s SCENARIO_SDK_API_SECRET=%s "
        .. "SCENARIO_BASE_URL=http://example.com/v1"):format(KEY, SECRET) })
      assert.equal(2, code, out .. err)
    end)

    it("refuses --stand-in with --base-url", function()
      local code, out, err = run { "--stand-in", "--base-url", "http://127.0.0.1:1/v1", "--json", "models", "list" }
      assert.equal(2, code, out .. err)
      assert.equal(2, json(out).error.exit)
    end)

    it("sends --project as projectId, odd bytes and all", function()
      local code, out, err = api { "--project", "a b&c=d", "models", "list", "--json" }
      assert.equal(0, code, out .. err)
      local asked = assert(s:requests())
      assert.truthy(asked[#asked].query:find("projectId=a%20b%26c%3Dd", 1, true), asked[#asked].query)
    end)
  end)

  describe("server failures", function()
    for _, case in ipairs {
      { "an HTML 500", { endpoint = "get_model", status = 500, body = "<html>oops</html>" }, "server" },
      { "garbage", { endpoint = "get_model", status = 200, body = "{not json" }, "invalid_response" },
      { "a dropped connection", { endpoint = "get_model", drop = true }, "connection" },
      { "a slow answer", { endpoint = "get_model", delay = 3 }, "timeout" },
    } do
      it("exits 1 with one JSON document on " .. case[1], function()
        s:fault(case[2])
        local code, out, err = api { "--retries", "0", "--timeout", "1", "--json", "models", "get", "model_x" }
        assert.equal(1, code, out .. err)
        assert.equal(case[3], json(out).error.kind)
        assert.equal(1, json(out).error.exit)
      end)
    end

    it("exits 1 with one JSON document when a training fails or is canceled", function()
      for _, outcome in ipairs { "failed", "training-canceled" } do
        s:script { outcome = outcome }
        local code, out, err = api { "train", A, "--yes", "--json" }
        assert.equal(1, code, out .. err)
        assert.truthy(json(out).error.kind:find("^training_"), out)
      end
    end)

    it("exits 1 when a job is canceled or the wait times out", function()
      s:script_jobs { outcome = "canceled" }
      local code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "--yes", "-o", tmp(), "--json" }
      assert.equal(1, code, out .. err)
      assert.equal("job_canceled", json(out).error.kind)
      s:script_jobs { seconds_per_step = 100 }
      code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "--yes", "-o", tmp(), "--json",
        "--wait-timeout", "0.3" }
      assert.equal(1, code, out .. err)
      assert.equal("timeout", json(out).error.kind)
    end)

    it("exits 1 (invalid_response), not 2, when the paid generate's answer names no job", function()
      s:fault { endpoint = "generate", status = 269, body = '{"creativeUnitsCost":3}' }
      s:fault { endpoint = "generate", status = 200, body = '{"creativeUnitsCost":3}' }
      local code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "--yes", "-o", tmp(), "--json" }
      assert.equal(1, code, out .. err)
      assert.equal(1, json(out).error.exit)
    end)

    it("does not say a half-made model was deleted when the delete failed", function()
      s:fault { endpoint = "add_training_images", status = 500 }
      s:fault { endpoint = "delete_model", status = 500, count = 3 }
      local code, out, err = api { "--retries", "0", "train", A, "--yes" }
      assert.equal(1, code, out .. err)
      local id = err:match("created (model_%w+)")
      assert.is_string(id, err)
      assert.is_nil(err:find("deleted " .. id, 1, true), err)
    end)

    it("deletes a half-made model when an upload fails", function()
      local before = sent()
      s:fault { endpoint = "add_training_images", status = 500 }
      local code, out, err = api { "--retries", "0", "train", A, "--yes", "--json" }
      assert.equal(1, code, out .. err)
      assert.equal("server", json(out).error.kind)
      local asked, deleted = assert(s:requests()), false
      for i = before + 1, #asked do deleted = deleted or asked[i].endpoint == "delete_model" end
      assert.is_true(deleted)
      assert.equal(0, paid_since(before, "train_model"))
    end)
  end)

  describe("output", function()
    it("jobs get, as text, shows the job", function()
      s:fault { endpoint = "get_job", status = 200, body = '{"job":{"jobId":"job_abc","status":"success"}}' }
      local code, out, err = api { "jobs", "get", "job_abc" }
      assert.equal(0, code, out .. err)
      assert.truthy(out:find("job_abc", 1, true), ("%q"):format(out))
    end)

    it("models list prints one line per model, whatever the names hold", function()
      s:fault { endpoint = "list_models", status = 200,
        body = '{"models":[{"id":"m1","status":"new","type":"flux.1-lora","name":"evil\\n\\u001b[2Jx"}]}' }
      local code, out, err = api { "models", "list" }
      assert.equal(0, code, out .. err)
      assert.equal(1, select(2, out:gsub("\n", "")), out)
      assert.is_nil(out:find("\27", 1, true), out)
    end)

    it("--json prints one document for an error whose text is not UTF-8", function()
      for _, args in ipairs { { "--json", "tr\255ain" }, { "--json", "--n\255me" } } do
        local code, out, err = run(args)
        assert.equal(2, code, err)
        assert.equal(2, json(out).error.exit)
      end
    end)

    it("--json prints one document for a validation error on a prompt that is not UTF-8", function()
      local code, out, err = api { "generate", "model_bfl-flux-1-dev", "a \255 b", "--yes", "-o", tmp(), "--json" }
      assert.equal(2, code, out .. err)
      assert.equal("validation", json(out).error.kind)
    end)

    it("exits non-zero when stdout cannot be written", function()
      local code = run({ "--help" }, { stdout = "/dev/full" })
      assert.is_not.equal(0, code)
      code = run({ "--base-url", url, "models", "list", "--json" }, { stdout = "/dev/full",
        env = ("SCENARIO_SDK_API_KEY=%s SCENARIO_SDK_API_SECRET=%s"):format(KEY, SECRET) })
      assert.is_not.equal(0, code)
    end)

    it("does not hang or trace back when the reader of stdout goes away", function()
      local ok, text = helper.sh(("timeout -k 5 %d sh -c %s 2>&1 >/dev/null | cat; true"):format(LIMIT,
        quote(command({ "--stand-in", "models", "list", "--json" }) .. " | head -c 1")))
      assert.is_true(ok, text)
      no_traceback(text)
    end)

    it("keeps progress off stdout and carriage returns off a log", function()
      local code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "--yes", "-o", tmp(), "--json" }
      assert.equal(0, code, out .. err)
      json(out)
      assert.is_nil(out:find("generating", 1, true))
      assert.truthy(err:find("generating: ", 1, true), err)
      assert.is_nil(err:find("\r", 1, true))
    end)

    it("sends no credential to the files' host", function()
      local before = sent()
      local code, out, err = api { "generate", "model_bfl-flux-1-dev", "x", "-n", "2", "--yes", "-o", tmp() }
      assert.equal(0, code, out .. err)
      local asked, cdn = assert(s:requests()), 0
      for i = before + 1, #asked do
        local r = asked[i]
        if r.endpoint == "cdn" then
          cdn = cdn + 1
          assert.is_nil(r.headers.authorization)
          assert.is_nil((r.raw or ""):lower():find("authorization", 1, true))
        end
      end
      assert.truthy(cdn >= 2)
    end)
  end)

  describe("asking at a terminal", function()
    local has_script = helper.sh("command -v script")
    local terminal_it = has_script and it or pending

    local function at_terminal(args, input)
      local errf = os.tmpname()
      local cmd = command(args, { env = ("SCENARIO_SDK_API_KEY=%s SCENARIO_SDK_API_SECRET=%s"):format(KEY, SECRET) })
        .. " 2>" .. quote(errf) .. "; echo \"exit=$?\""
      local _, out = helper.sh(("%s | timeout -k 5 %d script -qec %s /dev/null"):format(input, LIMIT, quote(cmd)))
      local err = helper.read(errf)
      os.remove(errf)
      return out, err
    end

    terminal_it("stops on EOF at the question, paying nothing", function()
      local before = sent()
      local out, err = at_terminal({ "--base-url", url, "--interval", "0.01", "generate", "model_bfl-flux-1-dev", "x",
        "-o", tmp() }, "true")
      assert.truthy(out:find("exit=1", 1, true), out .. err)
      assert.truthy(err:find("Go on? [y/N]", 1, true), err)
      assert.equal(0, paid_since(before, "generate"))
    end)

    terminal_it("an answer of no with --json still prints one JSON document", function()
      local before = sent()
      local out, err = at_terminal({ "--base-url", url, "--interval", "0.01", "generate", "model_bfl-flux-1-dev", "x",
        "-o", tmp(), "--json" }, "printf 'n\\n'")
      assert.truthy(out:find("exit=1", 1, true), out .. err)
      assert.equal(0, paid_since(before, "generate"))
      assert.truthy(out:find('{"error":', 1, true), out)
    end)
  end)

  it("never printed the key or the secret in any of the runs above", function()
    local text = table.concat(printed, "\n")
    assert.truthy(#text > 1000)
    assert.is_nil(text:find(KEY, 1, true))
    assert.is_nil(text:find(SECRET, 1, true))
  end)
end)
