-- The stand-in's assets: the files that generations make and uploads
-- bring, get_asset and upload_asset, and the CDN that serves the files
-- at signed, expiring URLs on another loopback address (127.0.0.2): its
-- signatures, its clock and its refusals. scenario.testing documents
-- what it does.
local core = require "scenario.core"
local common = require "scenario.standin_common"
local png = require "scenario.standin_png"

local M = {}

local floor, char, byte = math.floor, string.char, string.byte
local json, bad_request, not_found, array = common.json, common.bad_request, common.not_found, common.array

-- ---- base64 ------------------------------------------------------------------

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local value_of, digit = {}, {}
for i = 1, 64 do
  value_of[ALPHABET:sub(i, i)], digit[i - 1] = i - 1, ALPHABET:sub(i, i)
end

-- s in base64, with its = padding.
function M.encode64(s)
  local out = s:gsub("..?.?", function(t)
    local a, b, c = byte(t, 1, 3)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local q = digit[floor(n / 262144)] .. digit[floor(n / 4096) % 64]
    q = q .. (b and digit[floor(n / 64) % 64] or "=") .. (c and digit[n % 64] or "=")
    return q
  end)
  return out
end

-- The bytes of s, base64 in whole groups of four with padding only at
-- the end; nil when s is not that.
function M.decode64(s)
  if type(s) ~= "string" or #s == 0 or #s % 4 ~= 0 or not s:find("^[%w%+/]+=?=?$") then return nil end
  local pad = #s:match("=*$")
  local out = s:gsub("=", "A"):gsub("....", function(q)
    local a, b, c, d = byte(q, 1, 4)
    local n = value_of[char(a)] * 262144 + value_of[char(b)] * 4096 + value_of[char(c)] * 64 + value_of[char(d)]
    return char(floor(n / 65536), floor(n / 256) % 256, n % 256)
  end)
  return out:sub(1, #out - pad)
end

-- ---- signed URLs ---------------------------------------------------------------

-- CloudFront's signed URLs, as the API's asset URLs are: a Policy (the
-- resource and when it expires, as JSON in base64 with + = / written - _ ~),
-- its Signature and the Key-Pair-Id. The signature here is the stand-in's
-- own (CRC-32s of a key and the policy, not RSA), kept in the same
-- alphabet except that its = padding stays, and starting with a byte of
-- 0xFF, so that every URL holds a ~, a _ and an =: the characters a
-- client that re-encodes a URL changes.
M.KEY_PAIR_ID = "KSTANDIN2TESTING"
local KEY = "scenario.testing signs its URLs with this"

local function signature(policy)
  local mac = { "\255" }
  for i = 1, 8 do mac[#mac + 1] = png.be32(png.crc32(KEY .. i .. policy)) end
  return (M.encode64(table.concat(mac):sub(1, 31)):gsub("%+", "-"):gsub("/", "~"))
end

local function policy_of(resource, epoch)
  local text = assert(core.to_json { Statement = { { Resource = resource,
    Condition = { DateLessThan = { ["AWS:EpochTime"] = epoch } } } } })
  if #text % 3 == 0 then text = text .. " " end -- so that its base64 ends padded: with a _
  return (M.encode64(text):gsub("%+", "-"):gsub("=", "_"):gsub("/", "~"))
end

-- The CDN's clock: the real one, moved on by expire_urls.
local function cdn_now(self)
  return common.clock() + self.url_skew
end

-- A signed URL to the file of the asset rec, expiring as the URL script
-- says.
local function signed_url(self, rec)
  local now = cdn_now(self)
  local epoch
  if self.url_script.expired > 0 then
    self.url_script.expired = self.url_script.expired - 1
    epoch = floor(now) -- not before now: expired already
  else
    epoch = math.ceil(now) + self.url_script.ttl
  end
  if epoch > self.url_latest then self.url_latest = epoch end
  local resource = ("%s/assets/%s.%s"):format(self.cdn_origin, rec.id, rec.ext)
  local policy = policy_of(resource, epoch)
  return ("%s?Policy=%s&Signature=%s&Key-Pair-Id=%s"):format(resource, policy, signature(policy), M.KEY_PAIR_ID)
end

local url_fields = { ttl = true, expired = true }

-- Why opts cannot be a URL script, or nil.
local function url_problem(opts)
  local why = common.not_fields(opts, url_fields)
  if why then return why end
  if opts.ttl ~= nil and not common.whole(opts.ttl, 1) then
    return "field 'ttl' must be a whole number of seconds, at least 1"
  end
  if opts.expired ~= nil and not common.whole(opts.expired, 0) then
    return "field 'expired' must be a whole number, at least 0"
  end
end

-- A URL script with its defaults: a URL is good for 24 hours (the CDN
-- guide's shortest), and none is given expired.
local function url_script(opts, fname)
  local why = url_problem(opts or {})
  if why then error(("bad argument #1 to '%s' (%s)"):format(fname, why), 3) end
  opts = opts or {}
  return { ttl = opts.ttl or 86400, expired = opts.expired or 0 }
end

-- ---- the assets ------------------------------------------------------------------

-- The stand-in's assets, none yet, and its CDN on opts.cdn_origin (the
-- server sets it once it listens).
function M.init(self, opts)
  self.assets = {}          -- by id: {id, ext, mime, bytes, asset}, asset the object get_asset answers
  self.assets_made = 0
  self.cdn_origin = opts.cdn_origin or "http://127.0.0.2"
  self.url_script = url_script(opts.urls, "new")
  self.url_skew = 0         -- seconds expire_urls moved the CDN's clock on by
  self.url_latest = 0       -- the latest expiry of a URL given
end

local EXT = { ["image/png"] = "png", ["image/jpeg"] = "jpg", ["image/gif"] = "gif", ["image/webp"] = "webp" }

-- The type of an image file from its first bytes, or nil.
local function sniff(bytes)
  if bytes:sub(1, 8) == "\137PNG\r\n\26\n" then return "image/png" end
  if bytes:sub(1, 3) == "\255\216\255" then return "image/jpeg" end
  if bytes:sub(1, 6) == "GIF87a" or bytes:sub(1, 6) == "GIF89a" then return "image/gif" end
  if bytes:sub(1, 4) == "RIFF" and bytes:sub(9, 12) == "WEBP" then return "image/webp" end
end

-- Stores a file as a new asset: source and metadata as the asset object
-- has them. Returns its record.
local function store(self, bytes, mime, source, metadata)
  self.assets_made = self.assets_made + 1
  local id = ("asset_standinfile%06d"):format(self.assets_made)
  local at = common.now_iso(self)
  local width, height = png.size(bytes)
  metadata.kind = "image"
  local asset = { id = id, mimeType = mime, kind = "image", source = source, status = "success",
    privacy = "private", authorId = "standin_author", ownerId = "proj_standin", createdAt = at, updatedAt = at,
    tags = array(), collectionIds = array(), editCapabilities = array { "REMOVE_BACKGROUND", "UPSCALE" },
    metadata = metadata, properties = { size = #bytes, width = width, height = height } }
  local rec = { id = id, ext = EXT[mime], mime = mime, bytes = bytes, asset = asset }
  self.assets[id] = rec
  return rec
end

-- A generated image: a PNG of its own (standin_png.picture), for output
-- index (from 0) of the job. metadata is what the job was asked (prompt,
-- modelId, width and height requested: the file is smaller).
function M.generated(self, job_id, index, source, metadata)
  local rec = store(self, "", "image/png", source, metadata)
  local bytes, width, height = png.picture(rec.id)
  rec.bytes = bytes
  rec.asset.properties = { size = #bytes, width = width, height = height }
  rec.asset.outputIndex = index
  metadata.parentJobId, metadata.outputIndex = job_id, index
  return rec.id
end

-- Whether id names an asset of the stand-in.
function M.exists(self, id)
  return self.assets[id] ~= nil
end

M.handlers = {}

function M.handlers.get_asset(self, params)
  local rec = self.assets[params[1]]
  if not rec then return not_found(("Asset %s not found"):format(params[1])) end
  local asset = common.copy(rec.asset)
  asset.url = signed_url(self, rec)
  return json(200, { asset = asset })
end

-- POST /assets: a name and an image in base64, bare (the upload guide
-- sends it so; a data: URL is refused, as the page does not show one).
function M.handlers.upload_asset(self, _, _, body)
  body = body or {}
  if type(body.name) ~= "string" or body.name == "" then return bad_request("name is required: the file's name") end
  if body.image == nil then return bad_request("image is required: the image in base64") end
  if type(body.image) == "string" and body.image:find("^data:") then
    return bad_request("image must be the image in base64, without a data: URL prefix")
  end
  local bytes = M.decode64(body.image)
  if not bytes then return bad_request("image must be the image in base64") end
  local mime = sniff(bytes)
  if not mime then return bad_request("image is not a PNG, JPEG, GIF or WebP image (the stand-in knows these)") end
  local rec = store(self, bytes, mime, "uploaded", { type = "uploaded", name = body.name })
  if type(body.collectionIds) == "table" then rec.asset.collectionIds = array(common.copy(body.collectionIds)) end
  local asset = common.copy(rec.asset)
  asset.url = signed_url(self, rec)
  return json(200, { asset = asset })
end

-- ---- the CDN -------------------------------------------------------------------------

-- CloudFront's refusal: a 403 in XML. The message says why, which
-- CloudFront does not, so that a test that fails says what went wrong.
local function denied(why)
  return 403, { ["Content-Type"] = "text/xml" },
    ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access denied: %s"
    .. "</Message></Error>"):format(why)
end

-- The values of the query's parameters, as sent (not decoded): nil when
-- it is not exactly Policy, Signature and Key-Pair-Id, once each.
local function signed_query(query)
  local got, n = {}, 0
  for part in (query .. "&"):gmatch("([^&]*)&") do
    local k, v = part:match("^([^=]+)=(.*)$")
    if not k or got[k] or not (k == "Policy" or k == "Signature" or k == "Key-Pair-Id") then return nil end
    got[k], n = v, n + 1
  end
  return n == 3 and got or nil
end

-- Answers a request to the CDN (its path and query as sent, its headers
-- by lower-case name): the stand-in's cdn, documented in scenario.testing.
function M.cdn(self, method, path, query, headers)
  if headers.authorization then
    return denied("the request carries an Authorization header; an asset URL is signed, and takes no credentials")
  end
  if method ~= "GET" and method ~= "HEAD" then return denied("the CDN answers GET and HEAD only") end
  local id = path:match("^/assets/([%w_%-]+)%.%w+$")
  local q = signed_query(query or "")
  if not (id and q) then return denied("not a signed asset URL (Policy, Signature and Key-Pair-Id, as given)") end
  if q["Key-Pair-Id"] ~= M.KEY_PAIR_ID or q.Signature ~= signature(q.Policy) then
    return denied("the signature does not match (was the URL re-encoded?)")
  end
  local doc = M.decode64((q.Policy:gsub("%-", "+"):gsub("_", "="):gsub("~", "/")))
  doc = doc and core.parse_json(doc)
  local statement = type(doc) == "table" and type(doc.Statement) == "table" and doc.Statement[1]
  local epoch = type(statement) == "table" and statement.Condition.DateLessThan["AWS:EpochTime"]
  if not (epoch and statement.Resource == self.cdn_origin .. path) then
    return denied("the policy is not for this URL")
  end
  if cdn_now(self) >= epoch then return denied("the URL has expired") end
  local rec = self.assets[id]
  if not rec or ("/assets/%s.%s"):format(rec.id, rec.ext) ~= path then
    return 404, { ["Content-Type"] = "text/xml" }, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      .. "<Error><Code>NoSuchKey</Code><Message>no such asset</Message></Error>"
  end
  return 200, { ["Content-Type"] = rec.mime, ["Cache-Control"] = "private, max-age=86400" }, rec.bytes
end

-- The stand-in's methods for its URLs: script_urls and expire_urls.
M.methods = {}

function M.methods:script_urls(opts)
  self.url_script = url_script(opts, "script_urls")
end

function M.methods:expire_urls()
  local now = cdn_now(self)
  if self.url_latest > now then self.url_skew = self.url_skew + (self.url_latest - now) end
end

return M
