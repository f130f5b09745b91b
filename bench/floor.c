/*
 * The physical floor: N POSTs of a precomputed body on one reused easy
 * handle, the response bytes discarded. The request is byte for byte the
 * one scenario sends (USER_AGENT is its User-Agent). What scenario's
 * client adds on top of this is what the benchmark measures.
 *
 *   floor N URL BODYFILE USER_AGENT [once]  -> prints "cpu_seconds wall_seconds" of the loop
 *
 * BODYFILE "-" makes it a GET without a body.
 *
 * With "once", the body goes as scenario sends a request that is not
 * idempotent: through a read callback whose rewind is refused, with
 * CURLOPT_MAXAGE_CONN at 2 s (csrc/transport.c). The two modes side by
 * side are the cost of the at-most-once rule in libcurl itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static size_t sink(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

static const char *body_data;
static size_t body_len, body_pos;

static size_t feed(char *p, size_t size, size_t n, void *ud) {
  size_t k = body_len - body_pos;
  (void)ud;
  if (k > size * n) k = size * n;
  memcpy(p, body_data + body_pos, k);
  body_pos += k;
  return k;
}

static int refuse(void *ud, curl_off_t offset, int origin) {
  (void)ud;
  (void)offset;
  (void)origin;
  return body_pos == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long n;
  char body[65536];
  size_t len;
  FILE *f;
  CURL *h;
  struct curl_slist *hdrs = NULL;
  struct rusage ru;
  double t0, cpu0;
  int once, get;
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: floor N URL BODYFILE USER_AGENT [once]\n");
    return 2;
  }
  once = argc == 6 && strcmp(argv[5], "once") == 0;
  n = atol(argv[1]);
  get = strcmp(argv[3], "-") == 0;
  if (!get) {
    f = fopen(argv[3], "rb");
    if (f == NULL) return 2;
    len = fread(body, 1, sizeof body, f);
    fclose(f);
  } else {
    len = 0;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  h = curl_easy_init();
  if (!get) hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  hdrs = curl_slist_append(hdrs, "Accept: application/json");
  hdrs = curl_slist_append(hdrs, "Expect:");
  curl_easy_setopt(h, CURLOPT_URL, argv[2]);
  curl_easy_setopt(h, CURLOPT_USERAGENT, argv[4]);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERNAME, "bench-key");
  curl_easy_setopt(h, CURLOPT_PASSWORD, "bench-secret");
  curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
  if (get) {
    /* a GET: no body options at all */
  } else if (once) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    body_data = body;
    body_len = len;
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, feed);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, refuse);
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, 2L);
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  }
  body_pos = 0;
  if (curl_easy_perform(h) != CURLE_OK) return 1; /* warm-up: connect */
  getrusage(RUSAGE_SELF, &ru);
  cpu0 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  t0 = now();
  for (long i = 0; i < n; i++) {
    long status = 0;
    body_pos = 0;
    if (curl_easy_perform(h) != CURLE_OK) return 1;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) return 1;
  }
  getrusage(RUSAGE_SELF, &ru);
  printf("%.6f %.6f\n",
         (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6 - cpu0,
         now() - t0);
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
  return 0;
}
