-- The scenario command (tools/scenario, lua/scenario/cli.lua), run as a
-- process with the interpreter and build under test, against the
-- stand-in: its own (--stand-in) and one this spec starts, reached with
-- --base-url and the credentials in the environment.
local helper = require "spec.helper"
local testing = require "scenario.testing"

local unpack = table.unpack or unpack -- luacheck: ignore 143

local KEY, SECRET = "cli-key-5d1e0a7c93", "cli-secret-b86f24e1d0"
-- Every run is bounded: a hung command fails its test, not the suite.
local LIMIT = 120

local cli = require "spec.support.cli_run"
local quote, command, json = cli.quote, cli.command, cli.json
local run = cli.runner(LIMIT)

-- The options of a run with the credentials in the environment, and the
-- stand-in's URL.
local function env_for(s)
  return { env = ("SCENARIO_SDK_API_KEY=%s SCENARIO_SDK_API_SECRET=%s"):format(KEY, SECRET) }, s.base_url
end

local function requests(s)
  return #assert(s:requests())
end

local PNG = "\137PNG\r\n\26\n"

describe("the scenario command", function()
  local s, env, url, model_id, job_id, outputs

  setup(function()
    s = testing.start()
    env, url = env_for(s)
    outputs = {}
  end)

  teardown(function()
    if s then s:stop() end
    for _, d in ipairs(outputs) do helper.sh("rm -rf " .. quote(d)) end
  end)

  local function outdir()
    local d = helper.tmpdir()
    outputs[#outputs + 1] = d
    return d
  end

  describe("with --stand-in", function()
    it("trains a model from a folder of images, with no credentials", function()
      local code, out, err = run { "--stand-in", "train", "examples/assets", "--type", "flux.1-lora", "--name", "x",
        "--yes", "--json" }
      assert.equal(0, code, err)
      local doc = json(out)
      assert.equal("trained", doc.model.status, out)
      assert.equal("x", doc.model.name)
      assert.equal(3, doc.model.trainingImagesNumber)
      assert.truthy(err:find("will cost 10 creative units", 1, true), err)
    end)

    it("generates with a base model and downloads the images, into a directory it makes", function()
      local dir = outdir() .. "/new/sprites"
      local code, out, err = run { "--stand-in", "generate", "model_bfl-flux-1-dev", "a cabin", "-n", "2", "-o", dir,
        "--yes" }
      assert.equal(0, code, err)
      local n = 0
      for path in out:gmatch("[^\n]+") do
        n = n + 1
        assert.equal(dir .. "/", path:sub(1, #dir + 1))
        assert.equal(PNG, helper.read(path):sub(1, 8), path)
      end
      assert.equal(2, n, out)
    end)

    it("stops its stand-in when it ends, also on a failure", function()
      local socket = require "socket"
      for _, args in ipairs { { "--stand-in", "models", "list" }, { "--stand-in", "models", "get", "model_none" } } do
        local code, out, err = run(args)
        assert.equal(args[3] == "list" and 0 or 1, code, out .. err)
        local port = tonumber(err:match("stand%-in of the API at http://127%.0%.0%.1:(%d+)/v1"))
        assert.is_number(port, err)
        local c = socket.connect("127.0.0.1", port)
        if c then c:close() end
        assert.is_nil(c, "the stand-in still listens on " .. port)
      end
    end)
  end)

  describe("against a server given by --base-url, with the credentials in the environment", function()
    it("trains a model: the --json output ends with it trained", function()
      local before = requests(s)
      local code, out, err = run({ "--base-url", url, "--interval", "0.01", "--wait-timeout", "60", "train",
        "examples/assets", "--type", "flux.1-lora", "--name", "hero", "--yes", "--json" }, env)
      assert.equal(0, code, err)
      local doc = json(out)
      assert.equal("trained", doc.model.status)
      model_id = doc.model.id
      local asked = assert(s:requests())
      local seen = {}
      for i = before + 1, #asked do seen[#seen + 1] = asked[i].endpoint end
      assert.same({ "create_model", "train_model", "add_training_images", "add_training_images",
        "add_training_images", "train_model" }, { unpack(seen, 1, 6) })
      assert.equal("true", asked[before + 2].query:match("dryRun=(%a+)"))
    end)

    it("generates with the trained LoRA through its base model: 2 PNG files, and --json that parses", function()
      assert.is_string(model_id, "the training spec did not run")
      local dir = outdir()
      local before = requests(s)
      local code, out, err = run({ "--base-url", url, "--interval", "0.01", "--wait-timeout", "60", "generate",
        model_id, "a red potion", "-n", "2", "-o", dir, "--yes", "--json" }, env)
      assert.equal(0, code, err)
      local doc = json(out)
      assert.equal("success", doc.job.status)
      assert.equal(2, #doc.paths)
      for _, path in ipairs(doc.paths) do
        assert.equal(dir, path:match("^(.*)/[^/]*$"))
        assert.equal(PNG, helper.read(path):sub(1, 8), path)
      end
      local _, listing = helper.sh("ls " .. quote(dir))
      assert.equal(2, select(2, listing:gsub("%.png", "")), listing)
      job_id = doc.job.jobId
      local asked = assert(s:requests())
      local paid = 0
      for i = before + 1, #asked do
        local r = asked[i]
        if r.endpoint == "generate" then
          assert.equal("/v1/generate/custom/model_bfl-flux-1-dev", r.path)
          assert.equal(model_id, r.body.modelId)
          assert.equal(2, r.body.numOutputs)
          if not (r.query or ""):find("dryRun=true", 1, true) then paid = paid + 1 end
        end
      end
      assert.equal(1, paid)
    end)

    it("prints JSON that parses for models list and jobs get", function()
      assert.is_string(job_id, "the generation spec did not run")
      local code, out, err = run({ "--base-url", url, "--json", "models", "list" }, env)
      assert.equal(0, code, err)
      local found = false
      for _, m in ipairs(json(out).models) do found = found or m.id == model_id end
      assert.is_true(found, out)
      code, out, err = run({ "--base-url", url, "jobs", "get", job_id, "--json" }, env)
      assert.equal(0, code, err)
      assert.equal(job_id, json(out).job.jobId)
      assert.equal("success", json(out).job.status)
    end)

    it("says the model's type is misspelled, with a hint, exits 2 and sends nothing", function()
      local before = requests(s)
      local code, out, err = run({ "--base-url", url, "train", "examples/assets", "--type", "flux.1-lorra", "--yes" },
        env)
      assert.equal(2, code, out .. err)
      assert.truthy(err:find('did you mean "flux.1-lora"', 1, true), err)
      assert.equal(before, requests(s))
    end)

    it("exits 1 when the server fails, with the error on stderr and as JSON on stdout", function()
      s:fault { endpoint = "get_model", status = 503 }
      local code, out, err = run({ "--base-url", url, "--retries", "0", "--json", "models", "get", "model_x" }, env)
      assert.equal(1, code, out .. err)
      assert.truthy(err:find("server (HTTP 503", 1, true), err)
      local doc = json(out)
      assert.equal("server", doc.error.kind)
      assert.equal(503, doc.error.status)
    end)

    it("exits 1 when nothing listens at the base URL", function()
      local code, out, err = run({ "--base-url", ("http://127.0.0.1:%d/v1"):format(helper.free_port()),
        "--retries", "0", "models", "list" }, env)
      assert.equal(1, code, out .. err)
      assert.truthy(err:find("connection", 1, true), err)
    end)

    it("exits 1 when a job fails", function()
      s:script_jobs { outcome = "failure", error = "out of cheese" }
      local dir = outdir()
      local code, out, err = run({ "--base-url", url, "--interval", "0.01", "--wait-timeout", "60", "generate",
        "model_bfl-flux-1-dev", "a cabin", "-o", dir, "--yes" }, env)
      s:script_jobs {}
      assert.equal(1, code, out .. err)
      assert.truthy(err:find("job_failed", 1, true), err)
      assert.truthy(err:find("out of cheese", 1, true), err)
    end)

    it("never prints the key or the secret", function()
      local dir = outdir()
      local all = {}
      local runs = {
        { "--base-url", url, "--interval", "0.01", "train", "examples/assets", "--yes" },
        { "--base-url", url, "--interval", "0.01", "generate", "model_bfl-flux-1-dev", "x", "-o", dir, "--yes" },
        { "--base-url", url, "request", "GET", "/models" },
        { "--base-url", url, "models", "get", "model_missing", "--json" },
        { "--base-url", url:gsub("/v1$", "/nowhere"), "models", "list" },
        { "--base-url", url, "train", "examples/assets", "--type", "nope" },
      }
      for _, args in ipairs(runs) do
        local _, out, err = run(args, env)
        all[#all + 1] = out .. err
      end
      local text = table.concat(all, "\n")
      assert.truthy(#text > 200, text) -- the runs did print something
      assert.is_nil(text:find(KEY, 1, true))
      assert.is_nil(text:find(SECRET, 1, true))
    end)
  end)

  describe("a paid action without --yes, stdin not a terminal", function()
    for _, args in ipairs {
      { "train", "examples/assets", "--name", "x" },
      { "generate", "model_bfl-flux-1-dev", "a cabin", "-n", "2" },
    } do
      it("exits 2 and sends nothing: " .. args[1], function()
        local before = requests(s)
        local full = { "--base-url", url }
        for _, a in ipairs(args) do full[#full + 1] = a end
        local code, out, err = run(full, env)
        assert.equal(2, code, out .. err)
        assert.truthy(err:find("--yes", 1, true), err)
        assert.equal(before, requests(s))
      end)
    end
  end)

  describe("a paid action at a terminal (script gives it one)", function()
    local has_script = helper.sh("command -v script")
    local terminal_it = has_script and it or pending
    for _, case in ipairs { { "n", 1, 0 }, { "y", 0, 1 } } do
      terminal_it(("says the price, asks, and goes on only on a yes: %s"):format(case[1]), function()
        local dir = outdir()
        local before = requests(s)
        local cmd = command({ "--base-url", url, "--interval", "0.01", "generate", "model_bfl-flux-1-dev", "x",
          "-n", "2", "-o", dir }, env)
        local _, out = helper.sh(("printf '%s\\n' | timeout -k 5 %d script -qec %s /dev/null; echo \"exit=$?\"")
          :format(case[1], LIMIT, quote(cmd)))
        assert.truthy(out:find("2 images will cost 19.75 creative units.", 1, true), out)
        assert.truthy(out:find("Go on? [y/N]", 1, true), out)
        assert.truthy(out:find("exit=" .. case[2], 1, true), out)
        local asked, paid = assert(s:requests()), 0
        for i = before + 1, #asked do
          local r = asked[i]
          if r.endpoint == "generate" and not (r.query or ""):find("dryRun", 1, true) then paid = paid + 1 end
        end
        assert.equal(case[3], paid)
      end)
    end
  end)

  describe("progress", function()
    it("is a line per change, with no carriage return, when stderr is not a terminal", function()
      local code, _, err = run({ "--base-url", url, "--interval", "0.01", "train", "examples/assets", "--yes" }, env)
      assert.equal(0, code, err)
      assert.is_nil(err:find("\r", 1, true), err)
      assert.truthy(err:find("\ntraining: 100%  trained\n", 1, true), err)
    end)

    local has_script = helper.sh("command -v script")
    local terminal_it = has_script and it or pending
    terminal_it("is a bar redrawn in place when stderr is a terminal (script gives it one)", function()
      local dir = outdir()
      local cmd = command({ "--base-url", url, "--interval", "0.01", "generate", "model_bfl-flux-1-dev", "x",
        "-o", dir, "--yes" }, env)
      local ok, out = helper.sh(("timeout -k 5 %d script -qec %s /dev/null </dev/null"):format(LIMIT, quote(cmd)))
      assert.is_true(ok, out)
      assert.truthy(out:find("\rgenerating [#", 1, true), out)
      assert.truthy(out:find("100%", 1, true), out)
    end)
  end)

  describe("help and mistakes", function()
    -- Every command, and the flags its help must name.
    local COMMANDS = {
      ["models list"] = { "--type", "--json" },
      ["models get"] = { "--json", "--base-url" },
      ["models delete"] = { "--project" },
      train = { "--type", "--name", "--parameters", "--yes", "--stand-in" },
      generate = { "--count", "-n", "--output", "-o", "--inputs", "--base", "--yes" },
      ["jobs get"] = { "--json" },
      ["jobs wait"] = { "--interval", "--wait-timeout" },
      ["jobs cancel"] = { "--json" },
      download = { "--output", "-o" },
      request = { "--body", "--query" },
    }
    for words, flags in pairs(COMMANDS) do
      it("scenario " .. words .. " --help exits 0 and names its flags", function()
        local args = {}
        for w in words:gmatch("%S+") do args[#args + 1] = w end
        args[#args + 1] = "--help"
        local code, out, err = run(args)
        assert.equal(0, code, err)
        assert.truthy(out:find("usage: scenario " .. words, 1, true), out)
        for _, f in ipairs(flags) do assert.truthy(out:find(f .. " ", 1, true) or out:find(f .. ",", 1, true), f) end
      end)
    end

    it("scenario --help and scenario help list every command", function()
      for _, args in ipairs { { "--help" }, { "help" }, { "-h" } } do
        local code, out, err = run(args)
        assert.equal(0, code, err)
        for words in pairs(COMMANDS) do assert.truthy(out:find("  " .. words .. " ", 1, true), words) end
      end
      local code, out = run { "help", "jobs", "wait" }
      assert.equal(0, code)
      assert.truthy(out:find("usage: scenario jobs wait JOB", 1, true), out)
    end)

    it("exits 2 with a hint on an unknown command, subcommand or flag", function()
      for _, case in ipairs {
        { { "trian" }, "did you mean 'train'?" },
        { { "models", "lsit" }, "did you mean 'list'?" },
        { { "train", "examples/assets", "--nmae", "x" }, "did you mean '--name'?" },
        { { "models", "list", "--name", "x" }, "takes no flag --name" },
        { { "jobs" }, "needs a subcommand" },
        { {}, "no command given" },
        { { "models", "get" }, "takes 1 argument" },
        { { "generate", "m", "p", "-n", "many" }, "--count must be a whole number" },
      } do
        local code, out, err = run(case[1])
        assert.equal(2, code, table.concat(case[1], " ") .. ": " .. out .. err)
        assert.truthy(err:find(case[2], 1, true), err)
      end
    end)

    it("exits 2 without credentials, and says so", function()
      local code, _, err = run { "models", "list" }
      assert.equal(2, code, err)
      assert.truthy(err:find("no credentials", 1, true), err)
    end)
  end)
end)
