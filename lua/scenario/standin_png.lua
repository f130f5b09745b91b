-- The PNG files the stand-in serves as its assets, written in plain Lua:
-- CRC-32, Adler-32, zlib's stored (uncompressed) deflate blocks, and the
-- IHDR, tEXt, IDAT and IEND chunks of an 8-bit RGB image. Plain Lua from
-- 5.1 to 5.4 and LuaJIT has no bit operators in common (and no bit
-- library is certain), so the XORs are done with arithmetic, a nibble at
-- a time.
local M = {}

local floor, char, byte, concat = math.floor, string.char, string.byte, table.concat

-- nibble_xor[a * 16 + b + 1] is a XOR b, for a and b from 0 to 15.
local nibble_xor = {}
for a = 0, 15 do
  for b = 0, 15 do
    local r, bit, x, y = 0, 1, a, b
    for _ = 1, 4 do
      if x % 2 ~= y % 2 then r = r + bit end
      x, y, bit = floor(x / 2), floor(y / 2), bit * 2
    end
    nibble_xor[a * 16 + b + 1] = r
  end
end

-- a XOR b, for bytes.
local function xor8(a, b)
  local al, bl = a % 16, b % 16
  return nibble_xor[(a - al) + (b - bl) / 16 + 1] * 16 + nibble_xor[al * 16 + bl + 1]
end
M.xor8 = xor8

-- The CRC-32 table (the reflected polynomial 0xEDB88320), one entry per
-- byte value, each held as its four bytes, least significant first, so
-- that a step of the CRC is four byte XORs.
local POLY = { 0x20, 0x83, 0xB8, 0xED }
local T0, T1, T2, T3 = {}, {}, {}, {}
for n = 0, 255 do
  local c = { n, 0, 0, 0 }
  for _ = 1, 8 do
    local odd = c[1] % 2 == 1
    -- c = c >> 1, a byte at a time, the low bit of each byte going down
    for i = 1, 4 do
      local down = c[i + 1] and c[i + 1] % 2 == 1 and 128 or 0
      c[i] = floor(c[i] / 2) + down
    end
    if odd then
      for i = 1, 4 do c[i] = xor8(c[i], POLY[i]) end
    end
  end
  T0[n], T1[n], T2[n], T3[n] = c[1], c[2], c[3], c[4]
end

-- The CRC-32 of s (as zlib's crc32 and PNG compute it), as a number.
function M.crc32(s)
  local c0, c1, c2, c3 = 255, 255, 255, 255
  for i = 1, #s do
    local n = xor8(c0, byte(s, i))
    c0, c1, c2, c3 = xor8(T0[n], c1), xor8(T1[n], c2), xor8(T2[n], c3), T3[n]
  end
  return (255 - c3) * 16777216 + (255 - c2) * 65536 + (255 - c1) * 256 + (255 - c0)
end

-- The Adler-32 of s (zlib's checksum of the data it wraps), as a number.
function M.adler32(s)
  local a, b = 1, 0
  local i, n = 1, #s
  while i <= n do
    -- 3800 bytes at a time stay far below 2^53 before the modulo.
    local last = math.min(n, i + 3799)
    for j = i, last do
      a = a + byte(s, j)
      b = b + a
    end
    a, b = a % 65521, b % 65521
    i = last + 1
  end
  return b * 65536 + a
end

-- n as four bytes, most significant first.
local function be32(n)
  return char(floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
end
M.be32 = be32

-- data wrapped as zlib does without compressing: a header, stored deflate
-- blocks of at most 65535 bytes each, and the Adler-32.
function M.zlib_stored(data)
  local out = { "\120\1" } -- deflate, 32 KiB window, no dictionary, fastest; (0x7801 % 31 == 0)
  local i = 1
  repeat
    local part = data:sub(i, i + 65534)
    i = i + #part
    local len = #part
    out[#out + 1] = char(i > #data and 1 or 0, len % 256, floor(len / 256), (65535 - len) % 256,
      floor((65535 - len) / 256)) .. part
  until i > #data
  out[#out + 1] = be32(M.adler32(data))
  return concat(out)
end

local function chunk(kind, data)
  return be32(#data) .. kind .. data .. be32(M.crc32(kind .. data))
end

-- A PNG of width x height pixels, 8-bit RGB: pixel(x, y) gives the red,
-- green and blue (0 to 255) of the pixel at x, y (from 0, 0 at the top
-- left). text, if given, is put in tEXt chunks: {keyword = value}.
function M.encode(width, height, pixel, text)
  local rows = {}
  for y = 0, height - 1 do
    local row = { "\0" } -- filter type 0: the bytes as they are
    for x = 0, width - 1 do row[x + 2] = char(pixel(x, y)) end
    rows[y + 1] = concat(row)
  end
  local out = { "\137PNG\r\n\26\n",
    chunk("IHDR", be32(width) .. be32(height) .. "\8\2\0\0\0") } -- depth 8, RGB, deflate, no filter, no interlace
  local keys = {}
  for k in pairs(text or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do out[#out + 1] = chunk("tEXt", k .. "\0" .. text[k]) end
  out[#out + 1] = chunk("IDAT", M.zlib_stored(concat(rows)))
  out[#out + 1] = chunk("IEND", "")
  return concat(out)
end

-- The picture of an asset: 32 x 32 pixels (3 KiB or so), in a colour
-- taken from the CRC of its id, with a checkerboard of its complement
-- and a gradient, and its id in a tEXt chunk, so that no two assets have
-- the same file. Returns the PNG, its width and its height.
M.SIDE = 32
function M.picture(id)
  local c = M.crc32(id)
  local r, g, b = floor(c / 65536) % 256, floor(c / 256) % 256, c % 256
  local side = M.SIDE
  return M.encode(side, side, function(x, y)
    if (floor(x / 8) + floor(y / 8)) % 2 == 0 then return r, g, (b + x * 4) % 256 end
    return 255 - r, 255 - g, (255 - b + y * 4) % 256
  end, { Comment = id }), side, side
end

-- The width and height of a PNG (from its IHDR), or nil when bytes is not one.
function M.size(bytes)
  if bytes:sub(1, 8) ~= "\137PNG\r\n\26\n" or bytes:sub(13, 16) ~= "IHDR" or #bytes < 24 then return nil end
  local function at(i)
    local a, b, c, d = byte(bytes, i, i + 3)
    return a * 16777216 + b * 65536 + c * 256 + d
  end
  return at(17), at(21)
end

return M
