/*
 * The physical floor: N POSTs of a precomputed body on one reused easy
 * handle, the response bytes discarded. The request is byte for byte the
 * one scenario sends (USER_AGENT is its User-Agent). What scenario's
 * client adds on top of this is what the benchmark measures.
 *
 *   floor N URL BODYFILE USER_AGENT   -> prints "cpu_seconds wall_seconds" of the loop
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static size_t sink(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
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
  if (argc != 5) {
    fprintf(stderr, "usage: floor N URL BODYFILE USER_AGENT\n");
    return 2;
  }
  n = atol(argv[1]);
  f = fopen(argv[3], "rb");
  if (f == NULL) return 2;
  len = fread(body, 1, sizeof body, f);
  fclose(f);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  h = curl_easy_init();
  hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
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
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
  if (curl_easy_perform(h) != CURLE_OK) return 1; /* warm-up: connect */
  getrusage(RUSAGE_SELF, &ru);
  cpu0 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  t0 = now();
  for (long i = 0; i < n; i++) {
    long status = 0;
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
