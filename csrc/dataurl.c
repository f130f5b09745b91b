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

#endif
