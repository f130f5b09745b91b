/*
 * Base64 (RFC 4648, with padding): the HTTP Basic credentials, which the
 * client must recognise if a server echoes them back.
 */
#ifndef SCENARIO_BASE64_C
#define SCENARIO_BASE64_C

#include "common.h"

#include <stddef.h>

/* The length of the encoding of n bytes. */
static size_t b64_len(size_t n) {
  return (n + 2) / 3 * 4;
}

/* Writes the encoding of the n bytes at in to out, which has room for
 * b64_len(n) bytes (no NUL is written). Returns that length. */
static size_t b64_encode(const unsigned char *in, size_t n, char *out) {
  static const char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0, o = 0;
  for (; n - i >= 3; i += 3) {
    unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
    out[o++] = digits[v >> 18 & 63];
    out[o++] = digits[v >> 12 & 63];
    out[o++] = digits[v >> 6 & 63];
    out[o++] = digits[v & 63];
  }
  if (n - i == 1) {
    unsigned long v = (unsigned long)in[i] << 16;
    out[o++] = digits[v >> 18 & 63];
    out[o++] = digits[v >> 12 & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
    out[o++] = digits[v >> 18 & 63];
    out[o++] = digits[v >> 12 & 63];
    out[o++] = digits[v >> 6 & 63];
    out[o++] = '=';
  }
  return o;
}

#endif
