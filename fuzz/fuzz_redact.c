/*
 * Text -> core.redact(handle, text), the scan for echoed secrets
 * (scrub, csrc/redact.c), for clients whose credentials the input picks:
 * one of a few fixed pairs made to be awkward, or a key and secret taken
 * from the input itself.
 *
 * The input is: a byte that picks the pair (or says the next bytes hold
 * one: a length byte and the key, a length byte and the secret); a byte
 * that names a secret to spell at the start of the text (none, the
 * token, the key or the secret); if one is named, a byte per character
 * that says how to write it (itself, percent-escapes, \u, a short JSON
 * escape, at depth 1 to 3); then the text.
 *
 * Oracles: the result is what a plain model of the rule gives (below:
 * every position, every reading, no cap on the ways followed, no
 * shortcut); no searched secret is left verbatim; redacting the result
 * again changes nothing; a text with none of the bytes a spelling can
 * start with comes back as it was; the result is the text with some runs
 * replaced by the marker (its pieces between markers appear in order in
 * the text, first and last at its ends) and grows by at most 2 bytes a
 * marker; and a spelled secret followed by a space is exactly one marker
 * and the space.
 *
 * The scan follows every place a reading reaches, as the model does: the
 * two must agree on every input, a secret with a run of backslashes
 * (read in many ways at once) included. How often such a secret crowded
 * (more than 32 places at one byte of it, where an earlier scan gave up
 * following some) is printed at exit.
 */
#include "harness.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Credentials for the fixed picks. None holds a space (the separator after
 * a spelled secret), '[' or ']' (a secret that shares bytes with the
 * marker can be rebuilt next to one, so "never verbatim" and idempotence
 * would not follow from the rule). */
static const char *const fixed_pairs[][2] = {
  /* a backslash, a percent-escape read both ways, a quote, a slash;
   * e-acute, the euro sign and U+1F600, a 4-byte character */
  { "k\\ey%2F\"q/u", "s\xc3\xa9" "cr\xe2\x82\xac" "t\xf0\x9f\x98\x80-end" },
  /* self-similar, the key inside the secret */
  { "aaaaaaaa-aaaa", "aaaaaaaa-aaaaaaaa-aaaa" },
  /* text that looks like escapes itself */
  { "\\\\u00e9\\\"%25%", "%41%42%43%44%" },
  /* a short key (not searched) and a secret of quotes, slashes and backslashes */
  { "short", "\"\\/\\\"/\\\\\"x" },
  /* 2-byte characters, self-similar, and three 4-byte ones */
  { "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87-\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
    "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91" },
  /* control characters, read from \t, \n, \r, \b, \f and \u00XX */
  { "tab\there\nnl\r\x01\x1f\x7f", "\b\f" "formfeed" },
  /* a key that ends with a backslash, a secret that starts with three */
  { "endswith\\", "\\\\\\startsbs" },
  /* \u written out, and a run of backslashes long enough for many ways */
  { "\\u0041\\u0042", "\\\\\\\\\\\\\\\\\\\\\\\\x" },
};

/* ---- a plain model of the rule ---------------------------------------------
 * Written from the header comment of csrc/redact.c, not from its code:
 * the spellings of a secret from a place are found breadth-first, one
 * byte of the secret at a time, with every reading of every place kept,
 * and the scan tries every position. */

#define REF_MAXLEN 96                        /* the longest secret the harness makes (a token) */
#define REF_SPAN (9 * REF_MAXLEN + 1)        /* a reading is at most 9 bytes a byte (\\\\u0041) */
#define REF_READINGS 16

typedef struct ref_reading {
  unsigned char b[4];
  int n;      /* bytes of the secret it stands for */
  size_t len; /* bytes of the text it takes */
} ref_reading;

static unsigned ref_gen;
static unsigned ref_stamp[REF_MAXLEN + 1][REF_SPAN];
static unsigned short ref_list[REF_MAXLEN + 1][REF_SPAN];
static int ref_nlist[REF_MAXLEN + 1];

static int ref_hex4(const char *p, const char *end, unsigned long *v) {
  *v = 0;
  if (end - p < 4) return 0;
  for (int i = 0; i < 4; i++) {
    int c = (unsigned char)p[i];
    if (!isxdigit(c)) return 0;
    *v = *v * 16 + (unsigned long)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
  }
  return 1;
}

static void ref_add(ref_reading *out, int *m, unsigned long cp, int utf8, size_t len) {
  ref_reading *r = &out[(*m)++];
  r->len = len;
  if (!utf8 || cp < 0x80) {
    r->b[0] = (unsigned char)cp;
    r->n = 1;
  } else if (cp < 0x800) {
    r->b[0] = (unsigned char)(0xC0 + cp / 64);
    r->b[1] = (unsigned char)(0x80 + cp % 64);
    r->n = 2;
  } else if (cp < 0x10000) {
    r->b[0] = (unsigned char)(0xE0 + cp / 4096);
    r->b[1] = (unsigned char)(0x80 + cp / 64 % 64);
    r->b[2] = (unsigned char)(0x80 + cp % 64);
    r->n = 3;
  } else {
    r->b[0] = (unsigned char)(0xF0 + cp / 262144);
    r->b[1] = (unsigned char)(0x80 + cp / 4096 % 64);
    r->b[2] = (unsigned char)(0x80 + cp / 64 % 64);
    r->b[3] = (unsigned char)(0x80 + cp % 64);
    r->n = 4;
  }
}

/* Every reading of the text at q: itself; %XX; and at depth d (d = 1..3)
 * a backslash of the text as 2^d of them, \u (a pair for past U+FFFF) and
 * \b \f \n \r \t \/ after 2^(d-1) backslashes, a quote after 2^d - 1, and
 * a slash after 2^d - 1 for d > 1. */
static int ref_readings(const char *q, const char *end, ref_reading *out) {
  int m = 0;
  size_t run = 0;
  unsigned long v;
  ref_add(out, &m, (unsigned char)*q, 0, 1);
  if (*q == '%' && end - q >= 3 && isxdigit((unsigned char)q[1]) && isxdigit((unsigned char)q[2])) {
    char hex[3] = { q[1], q[2], '\0' };
    ref_add(out, &m, strtoul(hex, NULL, 16), 0, 3);
  }
  /* No rule looks at more than 8: counting on would only cost. */
  while (q + run < end && q[run] == '\\' && run < 9) run++;
  for (size_t d = 1; run > 0 && d <= 3; d++) {
    size_t one = (size_t)1 << (d - 1), all = ((size_t)1 << d) - 1, lit = (size_t)1 << d;
    const char *e = q + run;
    if (run >= lit) ref_add(out, &m, '\\', 0, lit);
    if (e >= end) continue;
    if (run == one && *e == 'u' && ref_hex4(e + 1, end, &v)) {
      unsigned long lo;
      const char *u2 = e + 5 + one;
      size_t k = 0;
      while (k < one && e + 5 + k < end && e[5 + k] == '\\') k++;
      if (v >= 0xD800 && v <= 0xDBFF && k == one && u2 < end && *u2 == 'u' && ref_hex4(u2 + 1, end, &lo) &&
          lo >= 0xDC00 && lo <= 0xDFFF)
        ref_add(out, &m, 0x10000 + (v - 0xD800) * 1024 + (lo - 0xDC00), 1, (size_t)(u2 + 5 - q));
      else
        ref_add(out, &m, v, 1, run + 5);
    }
    if (run == one && *e != '\0' && strchr("bfnrt/", *e) != NULL) {
      static const char from[] = "bfnrt/", to[] = "\b\f\n\r\t/";
      ref_add(out, &m, (unsigned char)to[strchr(from, *e) - from], 0, run + 1);
    }
    if (run == all && *e == '"') ref_add(out, &m, '"', 0, run + 1);
    if (run == all && *e == '/' && d > 1) ref_add(out, &m, '/', 0, run + 1);
  }
  return m;
}

/* The length of the longest text at p that spells sec, or 0; *crowded is
 * set when more than REF_CROWDED places were reached at one byte of it. */
#define REF_CROWDED 32
static size_t ref_spells(const char *p, const char *end, const char *sec, size_t len, int *crowded) {
  size_t longest = 0;
  if (ref_gen == UINT_MAX) { /* the stamps start over before they wrap */
    memset(ref_stamp, 0, sizeof ref_stamp);
    ref_gen = 0;
  }
  ref_gen++;
  memset(ref_nlist, 0, (len + 1) * sizeof ref_nlist[0]);
  ref_list[0][0] = 0;
  ref_nlist[0] = 1;
  for (size_t i = 0; i < len; i++) {
    if (ref_nlist[i] > REF_CROWDED) *crowded = 1;
    for (int j = 0; j < ref_nlist[i]; j++) {
      ref_reading rd[REF_READINGS];
      size_t off = ref_list[i][j];
      int m;
      if (p + off >= end) continue;
      m = ref_readings(p + off, end, rd);
      for (int k = 0; k < m; k++) {
        size_t to = i + (size_t)rd[k].n, at = off + rd[k].len;
        if (to > len || memcmp(rd[k].b, sec + i, (size_t)rd[k].n) != 0) continue;
        if (to == len) {
          if (at > longest) longest = at;
        } else if (ref_stamp[to][at] != ref_gen) {
          ref_stamp[to][at] = ref_gen;
          ref_list[to][ref_nlist[to]++] = (unsigned short)at;
        }
      }
    }
  }
  return longest;
}

/* ref_redact(text, secret...) -> the text with each longest spelling,
 * leftmost first, replaced by the marker; a backslash after an odd run of
 * them starts none. Second result: whether a spelling crowded. */
static int ref_redact(lua_State *L) {
  size_t len, lens[SC_SECRETS];
  const char *text = luaL_checklstring(L, 1, &len), *secs[SC_SECRETS];
  const char *p = text, *end = text + len, *copied = text;
  int nsec = lua_gettop(L) - 1, crowded = 0;
  size_t before = 0; /* backslashes just before p */
  luaL_Buffer b;
  luaL_argcheck(L, nsec <= SC_SECRETS, 2, "too many secrets");
  for (int i = 0; i < nsec; i++) {
    secs[i] = luaL_checklstring(L, i + 2, &lens[i]);
    luaL_argcheck(L, lens[i] > 0 && lens[i] <= REF_MAXLEN, i + 2, "secret too long for the model");
  }
  luaL_buffinit(L, &b);
  while (p < end) {
    size_t hit = 0;
    if (!(*p == '\\' && before % 2 == 1)) {
      for (int i = 0; i < nsec; i++) {
        size_t n = ref_spells(p, end, secs[i], lens[i], &crowded);
        if (n > hit) hit = n;
      }
    }
    if (hit == 0) {
      before = *p == '\\' ? before + 1 : 0;
      p++;
      continue;
    }
    luaL_addlstring(&b, copied, (size_t)(p - copied));
    luaL_addstring(&b, SC_REDACTED);
    p += hit;
    copied = p;
    for (before = 0; p - before > text && p[-1 - (ptrdiff_t)before] == '\\';) before++;
  }
  luaL_addlstring(&b, copied, (size_t)(end - copied));
  luaL_pushresult(&b);
  lua_pushboolean(L, crowded);
  return 2;
}

/* ---- the oracles -------------------------------------------------------------- */

static const char oracle[] =
  "local BS, MARK, MIN = string.char(92), SC_REDACTED, SC_SECRET_MIN\n"
  "local DUMP = os.getenv('FUZZ_REDACT_DUMP')\n"
  "local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'\n"
  "local function b64(s)\n"
  "  local out = {}\n"
  "  for i = 1, #s, 3 do\n"
  "    local a, b, c = s:byte(i, i + 2)\n"
  "    local v, n = a << 16 | (b or 0) << 8 | (c or 0), b == nil and 2 or c == nil and 3 or 4\n"
  "    for k = 0, 3 do\n"
  "      local d = v >> (18 - 6 * k) & 63\n"
  "      out[#out + 1] = k < n and B64:sub(d + 1, d + 1) or '='\n"
  "    end\n"
  "  end\n"
  "  return table.concat(out)\n"
  "end\n"
  /* a client, the secrets it must search for, and the bytes a spelling
   * of one can start with, as a pattern class */
  "local function client(key, secret)\n"
  "  local e = { all = { b64(key .. ':' .. secret), key, secret }, list = {} }\n"
  "  e.h = core.new { base_url = 'http://127.0.0.1:1/v1', api_key = key, api_secret = secret }\n"
  "  local starts, class = { [BS] = true, ['%'] = true }, {}\n"
  "  for _, s in ipairs(e.all) do\n"
  "    if #s >= MIN then e.list[#e.list + 1] = s starts[s:sub(1, 1)] = true end\n"
  "  end\n"
  "  for ch in pairs(starts) do class[#class + 1] = ch:find('^%w') and ch or '%' .. ch end\n"
  "  e.class = '[' .. table.concat(class) .. ']'\n"
  "  return e\n"
  "end\n"
  "local fixed = {}\n"
  "for i, pair in ipairs(FIXED_PAIRS) do fixed[i] = client(pair[1], pair[2]) end\n"
  "local derived, nderived = {}, 0\n"
  /* bytes a secret may not hold here (see fixed_pairs), and "redacted",
   * which the marker holds */
  "local function clean(s)\n"
  "  s = s:gsub('[%z %[%]]', '_')\n"
  "  return s == 'redacted' and 'redacte_' or s\n"
  "end\n"
  "local function derived_client(key, secret)\n"
  "  local id = key .. '\\0' .. secret\n"
  "  if not derived[id] then\n"
  "    if nderived >= 64 then derived, nderived = {}, 0 end\n"
  "    derived[id], nderived = client(key, secret), nderived + 1\n"
  "  end\n"
  "  return derived[id]\n"
  "end\n"
  /* the character at i: its length and code point (nil if the bytes are
   * not UTF-8, shortest form, outside the surrogates) */
  "local function char_at(s, i)\n"
  "  local c = s:byte(i)\n"
  "  if c < 0x80 then return 1, c end\n"
  "  local n, cp, min\n"
  "  if c >= 0xC2 and c <= 0xDF then n, cp, min = 2, c & 0x1F, 0x80\n"
  "  elseif c >= 0xE0 and c <= 0xEF then n, cp, min = 3, c & 0x0F, 0x800\n"
  "  elseif c >= 0xF0 and c <= 0xF4 then n, cp, min = 4, c & 0x07, 0x10000\n"
  "  else return 1 end\n"
  "  for k = 1, n - 1 do\n"
  "    local b = s:byte(i + k)\n"
  "    if not b or b & 0xC0 ~= 0x80 then return 1 end\n"
  "    cp = cp << 6 | b & 0x3F\n"
  "  end\n"
  "  if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return 1 end\n"
  "  return n, cp\n"
  "end\n"
  "local SHORT = { [8] = 'b', [12] = 'f', [10] = 'n', [13] = 'r', [9] = 't' }\n"
  /* ch (code point cp, or nil) written as choice c says: the low 3 bits
   * the way, bit 3 the case of hex digits, the top 2 bits the depth */
  "local function spell_char(ch, cp, c)\n"
  "  local d, kind = (c >> 6) % 3 + 1, c & 7\n"
  "  local one, lit = BS:rep(1 << (d - 1)), BS:rep(1 << d)\n"
  "  local X = c & 8 ~= 0 and 'X' or 'x'\n"
  "  local function pct(b) return ('%%%02' .. X):format(b:byte()) end\n"
  "  local function u()\n"
  "    if cp < 0x10000 then return one .. ('u%04' .. X):format(cp) end\n"
  "    local v = cp - 0x10000\n"
  "    return one .. ('u%04' .. X):format(0xD800 + (v >> 10)) .. one .. ('u%04' .. X):format(0xDC00 + (v & 0x3FF))\n"
  "  end\n"
  "  if kind == 1 or (cp == nil and (kind == 2 or kind == 3)) then return (ch:gsub('.', pct)) end\n"
  "  if kind == 2 then return u() end\n"
  "  if kind == 3 then\n"
  "    if ch == '\"' then return lit:sub(2) .. '\"' end\n"
  "    if ch == BS then return lit end\n"
  "    if ch == '/' then return (c & 16 ~= 0 and one or lit:sub(2)) .. '/' end\n"
  "    if SHORT[cp] then return one .. SHORT[cp] end\n"
  "    return u()\n"
  "  end\n"
  "  if kind == 4 then\n"
  "    local out = {}\n"
  "    for k = 1, #ch do out[k] = (c >> (2 + k)) & 1 == 1 and pct(ch:sub(k, k)) or ch:sub(k, k) end\n"
  "    return table.concat(out)\n"
  "  end\n"
  "  return ch\n"
  "end\n"
  "local function count(s, sub)\n"
  "  local n, at = 0, 1\n"
  "  while true do\n"
  "    local a, b = s:find(sub, at, true)\n"
  "    if not a then return n end\n"
  "    n, at = n + 1, b + 1\n"
  "  end\n"
  "end\n"
  "local function show(s) return ('%q'):format(s:sub(1, 300)) end\n"
  "stats = { runs = 0, redacted = 0, spelled = 0, crowded = 0 }\n"
  "function check_redact(data)\n"
  "  local pick, which, at = (data:byte(1) or 0) % (#fixed + 2) + 1, (data:byte(2) or 0) % 4, 3\n"
  "  local e = fixed[pick]\n"
  "  if not e then\n"
  "    local kl = (data:byte(at) or 0) % 32\n"
  "    local key = data:sub(at + 1, at + kl)\n"
  "    at = at + 1 + kl\n"
  "    local sl = (data:byte(at) or 0) % 32\n"
  "    local secret = data:sub(at + 1, at + sl)\n"
  "    at = at + 1 + sl\n"
  "    e = derived_client(clean(key), clean(secret))\n"
  "  end\n"
  "  local target, spelled = e.all[which], nil\n"
  "  if target and #target >= MIN then\n"
  "    local parts, i = {}, 1\n"
  "    while i <= #target do\n"
  "      local n, cp = char_at(target, i)\n"
  "      parts[#parts + 1] = spell_char(target:sub(i, i + n - 1), cp, data:byte(at) or 0)\n"
  "      i, at = i + n, at + 1\n"
  "    end\n"
  "    spelled = table.concat(parts)\n"
  "  end\n"
  "  local text = data:sub(at)\n"
  "  if spelled then text = spelled .. ' ' .. text end\n"
  "  stats.runs = stats.runs + 1\n"
  "  if DUMP then\n"
  "    local f = assert(io.open(DUMP, 'wb'))\n"
  "    f:write(('return { key = %q, secret = %q, text = %q }\\n'):format(e.all[2], e.all[3], text))\n"
  "    f:close()\n"
  "  end\n"
  "  local out = core.redact(e.h, text)\n"
  "  if out ~= text then stats.redacted = stats.redacted + 1 end\n"
  "  local want, crowded = ref_redact(text, table.unpack(e.list))\n"
  "  local function check(ok, what)\n"
  "    assert(ok, what .. (crowded and ' (crowded)' or '') .. ': ' .. show(text) .. ' gave ' .. show(out))\n"
  "  end\n"
  "  if crowded then stats.crowded = stats.crowded + 1 end\n"
  "  check(out == want, 'differs from the model, which gives ' .. show(want))\n"
  "  for _, s in ipairs(e.list) do check(not out:find(s, 1, true), 'a secret left as it is') end\n"
  "  if spelled then\n"
  "    stats.spelled = stats.spelled + 1\n"
  "    check(out:sub(1, #MARK + 1) == MARK .. ' ', 'a spelled secret missed')\n"
  "  end\n"
  "  local again = core.redact(e.h, out)\n"
  "  check(again == out, 'not idempotent, then ' .. show(again))\n"
  "  if not text:find(e.class) then assert(out == text, 'changed without a start byte: ' .. show(text)) end\n"
  "  local marks = count(out, MARK)\n"
  "  assert(#out <= #text + 2 * marks, 'grew more than 2 bytes a marker: ' .. show(text))\n"
  "  local pieces, from = {}, 1\n"
  "  while true do\n"
  "    local a, b = out:find(MARK, from, true)\n"
  "    pieces[#pieces + 1] = out:sub(from, (a or #out + 1) - 1)\n"
  "    if not a then break end\n"
  "    from = b + 1\n"
  "  end\n"
  "  assert(text:sub(1, #pieces[1]) == pieces[1], 'does not start as the text does: ' .. show(text))\n"
  "  assert(#pieces[#pieces] == 0 or text:sub(-#pieces[#pieces]) == pieces[#pieces],\n"
  "    'does not end as the text does: ' .. show(text))\n"
  "  local pos = 1\n"
  "  for _, piece in ipairs(pieces) do\n"
  "    local _, b = text:find(piece, pos, true)\n"
  "    assert(b, 'a piece that is not in the text, in order: ' .. show(text))\n"
  "    pos = b + 1\n"
  "  end\n"
  "end\n";

static void print_stats(void) {
  static const char report[] =
    "return ('fuzz_redact: %d inputs, %d changed, %d with a spelled secret; the model followed more '"
    "  .. 'than 32 places at one byte of a secret on %d')"
    "  :format(stats.runs, stats.redacted, stats.spelled, stats.crowded)";
  if (luaL_dostring(fuzz_L, report) == LUA_OK) (void)fprintf(stderr, "%s\n", lua_tostring(fuzz_L, -1));
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_init();
  lua_register(fuzz_L, "ref_redact", ref_redact);
  lua_pushstring(fuzz_L, SC_REDACTED);
  lua_setglobal(fuzz_L, "SC_REDACTED");
  lua_pushinteger(fuzz_L, SC_SECRET_MIN);
  lua_setglobal(fuzz_L, "SC_SECRET_MIN");
  lua_createtable(fuzz_L, (int)(sizeof fixed_pairs / sizeof fixed_pairs[0]), 0);
  for (size_t i = 0; i < sizeof fixed_pairs / sizeof fixed_pairs[0]; i++) {
    lua_createtable(fuzz_L, 2, 0);
    lua_pushstring(fuzz_L, fixed_pairs[i][0]);
    lua_rawseti(fuzz_L, -2, 1);
    lua_pushstring(fuzz_L, fixed_pairs[i][1]);
    lua_rawseti(fuzz_L, -2, 2);
    lua_rawseti(fuzz_L, -2, (lua_Integer)i + 1);
  }
  lua_setglobal(fuzz_L, "FIXED_PAIRS");
  fuzz_define(oracle);
  (void)atexit(print_stats);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned runs = 0;
  lua_pushlstring(fuzz_L, (const char *)data, size);
  fuzz_call("check_redact", 0);
  if (++runs % 256 == 0) lua_gc(fuzz_L, LUA_GCCOLLECT, 0);
  return 0;
}
