-- scenario.data_url (csrc/dataurl.c): image files as data URLs for
-- add_training_images, typed by their first bytes, base64 in C.
local helper = require "spec.helper"
local replay = require "spec.support.replay"
local scenario = require "scenario"
local mime = require "mime"

local dir

setup(function()
  dir = os.tmpname()
  os.remove(dir)
  assert(helper.sh("mkdir -p " .. dir))
end)

teardown(function() helper.sh("rm -rf " .. dir) end)

local function write(name, bytes)
  local path = dir .. "/" .. name
  helper.write(path, bytes)
  return path
end

-- The smallest files of each kind: their magic numbers, then bytes of
-- every value, so that base64 sees every input.
local all_bytes = {}
for b = 0, 255 do all_bytes[#all_bytes + 1] = string.char(b) end
all_bytes = table.concat(all_bytes)
local images = {
  { "image/png", "\137PNG\r\n\26\n" .. "\0\0\0\rIHDR" },
  { "image/jpeg", "\255\216\255\224\0\16JFIF\0" },
  { "image/webp", "RIFF\36\0\0\0WEBPVP8 " },
  { "image/gif", "GIF89a\1\0\1\0" },
  { "image/gif", "GIF87a\1\0\1\0" },
}

describe("scenario.data_url", function()
  it("gives the exact base64 of the file's bytes, with the type its first bytes say", function()
    for i, case in ipairs(images) do
      for _, tail in ipairs { "", "x", "xy", all_bytes, all_bytes:rep(300) } do
        local bytes = case[2] .. tail
        local path = write("image" .. i .. ".bin", bytes)
        local url, err = scenario.data_url(path)
        assert.is_string(url, tostring(err))
        assert.equal("data:" .. case[1] .. ";base64," .. mime.b64(bytes), url)
      end
    end
  end)

  it("never takes the type from the name", function()
    local jpeg = write("looks-like.png", images[2][2] .. "data")
    assert.equal("data:image/jpeg;base64,", scenario.data_url(jpeg):sub(1, 23))
    local text = write("picture.png", "just some text, not an image")
    local url, err = scenario.data_url(text)
    assert.is_nil(url)
    assert.equal("file", err.kind)
    assert.equal(text .. " is not a PNG, JPEG, WebP or GIF image (by its first bytes)", err.message)
    assert.equal(text, err.path)
    assert.is_nil(scenario.data_url(write("empty.png", "")))
    assert.is_nil(scenario.data_url(write("riff.webp", "RIFF\0\0\0\0WAVEfmt "))) -- a RIFF, but no WebP
  end)

  it("returns nil and a file error for a missing or unreadable file", function()
    local url, err = scenario.data_url(dir .. "/missing.png")
    assert.is_nil(url)
    assert.equal("file", err.kind)
    assert.equal("cannot open " .. dir .. "/missing.png: No such file or directory", err.message)
    assert.equal("scenario: file: cannot open " .. dir .. "/missing.png: No such file or directory",
      tostring(err))
  end)

  it("refuses a file over max_bytes, 12 MiB less 4 KiB unless told otherwise", function()
    local bytes = images[1][2] .. ("\0"):rep(1000)
    local path = write("big.png", bytes)
    local url, err = scenario.data_url(path, { max_bytes = #bytes - 1 })
    assert.is_nil(url)
    assert.equal(("%s is larger than %d bytes (max_bytes)"):format(path, #bytes - 1), err.message)
    assert.is_string(scenario.data_url(path, { max_bytes = #bytes })) -- at the cap
    local cap = 12 * 1024 * 1024 - 4096
    local huge = write("huge.png", images[1][2] .. ("\0"):rep(cap - #images[1][2] + 1))
    local _, herr = scenario.data_url(huge)
    assert.equal(huge .. " is larger than 12578816 bytes (max_bytes)", herr.message)
    -- A file at the cap makes a body that the default max_request_bytes takes.
    local at = write("at-the-cap.png", images[1][2] .. ("\0"):rep(cap - #images[1][2]))
    local at_url = assert(scenario.data_url(at))
    assert.is_true(scenario.validate_add_training_images("model_x", { data = at_url,
      name = ("a-rather-long-file-name-"):rep(40) .. ".png" }))
  end)

  it("refuses what is not a regular file, without blocking on a FIFO nobody writes", function()
    local fifo = dir .. "/pipe.png"
    assert(helper.sh("mkfifo " .. fifo))
    local url, err = scenario.data_url(fifo)
    assert.is_nil(url)
    assert.equal(fifo .. " is not a regular file", err.message)
    local _, derr = scenario.data_url(dir)
    assert.equal(dir .. " is not a regular file", derr.message)
    local _, zerr = scenario.data_url("/dev/zero")
    assert.equal("/dev/zero is not a regular file", zerr.message)
  end)

  it("raises on a wrong argument or option", function()
    assert.has_error(function() scenario.data_url(nil) end,
      "bad argument #1 to 'data_url' (string expected, got nil)")
    assert.has_error(function() scenario.data_url("x", { max = 1 }) end,
      "bad argument #2 to 'data_url' (unknown option 'max')")
    for _, bad in ipairs { 0, 1.5, 2 ^ 63, "1" } do
      assert.has_error(function() scenario.data_url("x", { max_bytes = bad }) end,
        "bad argument #2 to 'data_url' (option 'max_bytes' must be a positive integer, at most 2^53)")
    end
    assert.has_error(function() scenario.data_url("a.png\0.txt") end,
      "bad argument #1 to 'data_url' (the path contains a NUL byte)")
  end)

  it("goes straight into add_training_images", function()
    local server = replay.server()
    server.reset()
    local fx = replay.fixture("add_training_images").response
    fx.endpoint = "add_training_images"
    server.enqueue(fx)
    local path = write("one.gif", images[4][2])
    local image = assert(helper.client():add_training_images("model_x", {
      data = assert(scenario.data_url(path)), name = "one.gif" }))
    assert.equal("id", image.id)
    assert.equal(('{"data":"data:image/gif;base64,%s","name":"one.gif"}'):format(mime.b64(images[4][2])),
      server.requests()[1].body)
  end)
end)

describe("scenario.image_base64", function()
  it("gives the file's bare base64 and its type, refusing what data_url refuses", function()
    for i, case in ipairs(images) do
      local bytes = case[2] .. all_bytes
      local b64, kind = scenario.image_base64(write("bare" .. i .. ".bin", bytes))
      assert.equal(mime.b64(bytes), b64)
      assert.equal(case[1], kind)
    end
    local none, err = scenario.image_base64(write("text.png", "not an image"))
    assert.is_nil(none)
    assert.equal("file", err.kind)
    assert.has_error(function() scenario.image_base64(dir, { max_byte = 1 }) end,
      "bad argument #2 to 'image_base64' (unknown option 'max_byte')")
    assert.has_error(function() scenario.image_base64(7) end,
      "bad argument #1 to 'image_base64' (string expected, got number)")
  end)

  it("goes straight into upload_asset, whose file the stand-in's CDN then serves byte for byte", function()
    local s = require("scenario.testing").start()
    local c = scenario.new { base_url = s.base_url, api_key = helper.API_KEY, api_secret = helper.API_SECRET }
    local asset, err = c:upload_asset { name = "leaf.png", image = assert(scenario.image_base64(
      "examples/assets/leaf.png")) }
    local bytes = asset and c:download_asset(asset)
    c:close()
    s:stop()
    assert.is_table(asset, tostring(err))
    assert.equal("image/png", asset.mimeType)
    assert.equal(helper.read("examples/assets/leaf.png"), bytes)
  end)
end)
