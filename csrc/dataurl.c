/*
 * Image files as data URLs ("data:image/png;base64,..."), for a training
 * image's `data`. The type is read from the file's first bytes, never
 * from its name: a file named .png that holds a JPEG is sent as the JPEG
 * it is, and a file that is no image is refused before anything is sent.
 */
#ifndef SCENARIO_DATAURL_C
#define SCENARIO_DATAURL_C

#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base64.c"
#include "buf.c"
#include "json.c"

/* The default cap on the file: its data URL (4/3 of it, its header) and
 * the rest of a training image's body (the name, a few KiB at most) then
 * fit under the default max_request_bytes of 16 MiB. */
#define SC_DATA_URL_MAX ((lua_Integer)12 * 1024 * 1024 - 4096)

/* The image type of the n bytes at p, by their magic numbers, or NULL. */
static const char *sniff_image(const unsigned char *p, size_t n) {
  if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return "image/png";
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return "image/jpeg";
  if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) return "image/webp";
  if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)) return "image/gif";
  return NULL;
}

/* How reading a file went. */
typedef enum sc_file {
  SC_FILE_OK, SC_FILE_CANNOT_OPEN, SC_FILE_CANNOT_READ, SC_FILE_NOT_REGULAR, SC_FILE_TOO_LARGE,
  SC_FILE_NO_MEMORY
} sc_file;

/* Reads the whole file at path into b, at most max bytes (errno tells
 * why it could not be opened or read). No Lua call: nothing can raise
 * while the file is open. */
static sc_file read_file(const char *path, sc_buf *b, size_t max) {
  struct stat st;
  FILE *f;
  sc_file how = SC_FILE_OK;
  /* A FIFO with no writer would block fopen for ever; a device never ends. */
  if (stat(path, &st) != 0) return SC_FILE_CANNOT_OPEN;
  if (!S_ISREG(st.st_mode)) return SC_FILE_NOT_REGULAR;
  f = fopen(path, "rb");
  if (f == NULL) return SC_FILE_CANNOT_OPEN;
  for (;;) {
    size_t got;
    if (!buf_reserve(b, 65536)) {
      how = SC_FILE_NO_MEMORY;
      break;
    }
    got = fread(b->data + b->len, 1, 65536, f);
    b->len += got;
    if (b->len > max) {
      how = SC_FILE_TOO_LARGE;
      break;
    }
    if (got < 65536) {
      if (ferror(f)) how = SC_FILE_CANNOT_READ;
      break;
    }
  }
  if (fclose(f) != 0 && how == SC_FILE_OK) how = SC_FILE_CANNOT_READ;
  return how;
}

/* The length of "data:<mime>;base64,<the n bytes>". */
static size_t data_url_len(const char *mime, size_t n) {
  return 5 + strlen(mime) + 8 + b64_len(n);
}

/* Copies the text s to out, without its NUL; returns what follows it. */
static char *put_text(char *out, const char *s) {
  while (*s) *out++ = *s++;
  return out;
}

/* Writes "data:<mime>;base64,<the n bytes at p>" to out (data_url_len
 * bytes, no NUL). */
static void data_url_write(char *out, const char *mime, const unsigned char *p, size_t n) {
  out = put_text(put_text(put_text(out, "data:"), mime), ";base64,");
  b64_encode(p, n, out);
}

/* core.data_url(path [, max_bytes]) -> "data:<mime>;base64,..." | nil, message
 * The type is sniffed from the file's first bytes (PNG, JPEG, WebP, GIF). */
static int l_data_url(lua_State *L) {
  size_t plen;
  const char *path = luaL_checklstring(L, 1, &plen);
  lua_Integer max = luaL_optinteger(L, 2, SC_DATA_URL_MAX);
  sc_scratch *in;
  sc_file how;
  const char *mime;
  char *out;
  size_t n;
  luaL_argcheck(L, max > 0, 2, "the cap must be a positive number of bytes");
  luaL_argcheck(L, strlen(path) == plen, 1, "the path contains a NUL byte");
  lua_settop(L, 2);
  in = push_scratch(L); /* its __gc frees what was read, whatever raises */
  how = read_file(path, &in->buf, (size_t)max);
  if (how != SC_FILE_OK) {
    char mb[24];
    lua_pushnil(L);
    switch (how) {
      case SC_FILE_TOO_LARGE:
        lua_pushfstring(L, "%s is larger than %s bytes (max_bytes)", path, int_text(max, mb));
        break;
      case SC_FILE_NOT_REGULAR: lua_pushfstring(L, "%s is not a regular file", path); break;
      case SC_FILE_NO_MEMORY: lua_pushfstring(L, "not enough memory to read %s", path); break;
      case SC_FILE_CANNOT_READ:
        lua_pushfstring(L, "cannot read %s: %s", path, strerror(errno));
        break;
      default: lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno)); break;
    }
    return 2;
  }
  mime = sniff_image((const unsigned char *)in->buf.data, in->buf.len);
  if (mime == NULL) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s is not a PNG, JPEG, WebP or GIF image (by its first bytes)", path);
    return 2;
  }
  n = data_url_len(mime, in->buf.len);
  out = (char *)lua_newuserdatauv(L, n, 0);
  data_url_write(out, mime, (const unsigned char *)in->buf.data, in->buf.len);
  buf_free(&in->buf);
  lua_pushlstring(L, out, n);
  return 1;
}

/* Registers core.data_url in the module at M. */
static void dataurl_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "data_url", l_data_url },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
}

#endif
