--- Downloading an asset's file (`client:download_asset`), and every file
-- of a job (`client:download_job_assets`): the policy over the core's
-- download transfer (csrc/download.c), which streams the body to a file
-- and sends no credential of the API to the file's host. Here: the asset
-- fetched for its URL when given by id, redirects followed to https (or
-- loopback) only, at most MAX_REDIRECTS, an expired URL (a 403 from the
-- CDN) fetched again once, and `on_progress` between rounds.
--
-- A download is a Download object that the client's machine steps like a
-- training wait, each of its transfers a request of the machine.
-- @module scenario.download
-- @local
local core = require "scenario.core"
local errors = require "scenario.errors"
local Pollable = require "scenario.pollable"
local options = require "scenario.options"

local M = {}

--- Redirects a download follows, at most.
M.MAX_REDIRECTS = 5

--- The largest file a download takes unless `opts.max_bytes` says: to
-- a path, and kept in memory (no path).
M.MAX_BYTES = 1024 * 1024 * 1024
M.MAX_MEMORY_BYTES = 64 * 1024 * 1024

local Download = {}
Download.__index = Download
Download.__name = "scenario.Download"

function Download:__tostring()
  -- The path alone: the signed query is as good as a credential while it lasts.
  return ("scenario.Download (%s, %s)"):format(tostring(self.asset_id or errors.url_path(self.url or "")), self.state)
end

function Download:_what()
  return "download_asset " .. tostring(self.asset_id or errors.url_path(self.url or ""))
end

-- The file name extension of a media type, for a job's files.
local extension = { ["image/png"] = "png", ["image/jpeg"] = "jpg", ["image/webp"] = "webp", ["image/gif"] = "gif",
  ["image/avif"] = "avif", ["image/tiff"] = "tiff", ["model/gltf-binary"] = "glb", ["video/mp4"] = "mp4",
  ["audio/mpeg"] = "mp3", ["audio/wav"] = "wav" }

-- Whether an asset id can name its file in a directory. The ids come
-- from the server: one that is not a plain name ("../x") must not choose
-- where the file goes.
local function plain_name(id)
  return type(id) == "string" and #id <= 200 and id:match("^[%w_%-]+$") ~= nil
end

local function unnameable(self)
  return errors.new("invalid_response", ("the asset id %q cannot name a file"):format(self.asset_id),
    { attempts = self.attempts })
end

Download._finish = Pollable.finish

-- The event that runs on_progress with the bytes so far, and the file's
-- length where the server said it.
local function progress(sched, self, at)
  local ok, err = pcall(self.on_progress, at[1], at[2])
  if not ok then
    self.callback_error = err
    sched:log("warn", "%s: on_progress raised: %s", self:_what(), sched.describe(err))
  end
end

-- Queues the transfer of the file at url; with now (the caller's call,
-- not a round) it starts at once if a slot is free.
function Download:_fetch(url, now)
  local why = core.download_url_problem(url)
  if why then
    return self:_finish(nil, errors.new("invalid_response", ("the asset's URL cannot be downloaded: %s"):format(why),
      { attempts = self.attempts }))
  end
  local c = self.client
  self.url = url
  local path = self.path
  if self.dir then
    local id = self.asset_id
    if not plain_name(id) then return self:_finish(nil, unnameable(self)) end
    local ext = extension[self.mime or ""] or url:match("^[^?#]*/[^/?#]*%.(%w+)[?#]?") or "bin"
    path = ("%s/%s.%s"):format(self.dir, id, ext)
    self.path_used = path
  end
  local ep = { name = "download_asset", download = true, idempotent = true, method = "GET",
               url = url, path = path, max_bytes = self.max_bytes }
  local req, err = c:_start(ep, nil, nil, self.call_opts, now == true)
  if not req then return self:_finish(nil, err) end
  self.req, self.phase, self.reported = req, "file", -1
end

-- Queues the fetch of the asset, for its URL.
function Download:_fetch_asset(now)
  local c = self.client
  local req, err = c:_start(c.endpoints.get_asset, nil, c:_query(nil), self.call_opts, now == true, self.asset_id)
  if not req then return self:_finish(nil, err) end
  self.req, self.phase = req, "asset"
end

-- Takes an asset (from get_asset, or given): its URL and media type.
function Download:_took_asset(asset, now)
  self.asset_id = self.asset_id or asset.id
  self.mime = asset.mimeType
  if type(asset.url) ~= "string" or asset.url == "" then
    return self:_finish(nil, errors.new("invalid_response", ("the asset %s has no url"):format(tostring(asset.id)),
      { attempts = self.attempts }))
  end
  return self:_fetch(asset.url, now)
end

-- One step, at the start of each of the client's rounds.
function Download:_step()
  local req = self.req
  -- Not done, and not yet a request: a round its first start kicked.
  if self.state == "done" or not req then return end
  if self.phase == "file" and req.call and self.on_progress then
    local done, total = core.progress(req.call)
    if done ~= self.reported and done > 0 then
      self.reported, self.total = done, total
      self.client._sched:defer(progress, self, { done, total })
    end
  end
  if not req:done() then return end
  local a, b = req:result()
  self.attempts = self.attempts + (type(b) == "table" and tonumber(b.attempts) or 0)
  if self.phase == "asset" then
    if not a then return self:_finish(nil, b) end
    return self:_took_asset(a)
  end
  if a ~= nil then
    -- A file that came whole within a round is told of once, whole.
    if self.on_progress and self.reported ~= b.bytes then
      self.reported = b.bytes
      self.client._sched:defer(progress, self, { b.bytes, self.total or b.bytes })
    end
    b.path = self.path_used
    return self:_finish(self.path_used or a, b)
  end
  local err = b
  if err.kind == "redirect" then
    self.redirects = self.redirects + 1
    local to = err.location
    local why = "it names no location"
    if type(to) == "string" then why = core.download_url_problem(to) end
    if self.redirects > M.MAX_REDIRECTS then
      err.kind, err.message = "http", ("more than %d redirects"):format(M.MAX_REDIRECTS)
      return self:_finish(nil, err)
    end
    -- http is for loopback, and only from loopback: a CDN's https URL
    -- must not send the download to a service of the user's own machine.
    if not why and to:match("^[Hh][Tt][Tt][Pp]:") and not self.url:match("^[Hh][Tt][Tt][Pp]:") then
      why = "it leaves https for http"
    end
    if why then
      err.kind, err.message = "http", ("a redirect (HTTP %d) the download does not follow: %s"):format(err.status, why)
      return self:_finish(nil, err)
    end
    return self:_fetch(to)
  end
  -- An expired URL: the asset's record gives a fresh one, once.
  if err.status == 403 and self.asset_id and not self.refreshed then
    self.refreshed = true
    self.client:_log("info", "%s: HTTP 403 from the file's host, its URL fetched again", self:_what())
    return self:_fetch_asset()
  end
  return self:_finish(nil, err)
end

Download._due, Download._idle = Pollable.due, Pollable.idle

function Download:_attempts()
  return self.attempts
end

local shared = Pollable.methods(Download, { noun = "download", var = "dl",
  unfinished = "the download has not finished", pending = "still downloading after %g s" })
Download.poll, Download.done, Download.result, Download.wait = shared.poll, shared.done, shared.result, shared.wait

--- Stops it: it ends as `cancelled`; the file's transfer is dropped and
-- nothing is left at its path.
function Download:cancel()
  shared.check_self(self, "cancel")
  if self.state == "done" then return false end
  self:_finish(nil, errors.new("cancelled", "the download was cancelled", { attempts = self.attempts }))
  self.client._sched:drain()
  return true
end

--- Starts a download for client: asset is an asset table (its `url`), an
-- asset id (fetched with get_asset for its URL) or a URL; path (or, with
-- dir, a file named after the asset in it) or nil for the bytes. opts:
-- checked by options.check_download.
function M.start(client, asset, path, opts, dir)
  local dl = setmetatable({
    client = client, path = path, path_used = path, dir = dir or false,
    call_opts = { timeout = opts.timeout, max_retries = opts.max_retries }, -- each transfer's
    on_progress = opts.on_progress, on_done = opts.on_done,
    max_bytes = opts.max_bytes or ((path or dir) and M.MAX_BYTES or M.MAX_MEMORY_BYTES),
    asset_id = false, url = false, mime = false, total = nil, reported = -1,
    phase = "none", req = false, redirects = 0, refreshed = false, attempts = 0,
    state = "waiting", r1 = false, r2 = false,
  }, Download)
  client._sched:add_wait(dl)
  if type(asset) == "table" then
    dl.asset_id = type(asset.id) == "string" and asset.id or false
    dl:_took_asset(asset, true)
  elseif options.is_url(asset) then
    dl:_fetch(asset, true)
  elseif dir and not plain_name(asset) then
    dl.asset_id = asset
    dl:_finish(nil, unnameable(dl))
  else
    dl.asset_id = asset
    dl:_fetch_asset(true)
  end
  return dl
end

return M
