/*
 * A client's transfers driven by their sockets (curl_multi_socket_action).
 *
 * curl_multi_perform in libcurl 7.88 walks every transfer of the multi
 * handle and polls the socket of each one that waits for an answer: a
 * round with 50 transfers on the wire made 50 poll() calls, however
 * little had moved, so a request cost more the more others were in
 * flight. Here libcurl says which sockets it waits on (on_socket) and when
 * its next timeout falls due (on_timer); one poll() waits on all of them,
 * and only the sockets that are ready, and the timeout when it is due,
 * go back to libcurl. A round then costs what moved in it. call.c drives
 * a client so only where no transfer can be HTTP/2 (see l_client_new).
 *
 * Nothing here calls into Lua, and the two callbacks only keep lists: no
 * libcurl call runs inside them.
 */
#ifndef SCENARIO_ROUNDS_C
#define SCENARIO_ROUNDS_C

#include "common.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

typedef struct sc_events {
  struct pollfd *fds;   /* the sockets libcurl waits on, with what for */
  size_t n, cap;
  struct pollfd *ready; /* fds as one poll() saw them: the callbacks change fds meanwhile */
  size_t ready_cap;
  double timer_at;      /* when libcurl's timeout falls due (ev_now); < 0: none */
  int lost;             /* a socket could not be kept (no memory): rounds fall back on curl_multi_perform */
  long handed;          /* sockets handed to libcurl as ready, ever (core.handles) */
  int running;          /* transfers running, as libcurl said after its last action */
} sc_events;

/* Seconds on the monotonic clock, as libcurl's timeouts are kept. */
static double ev_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CURLMOPT_SOCKETFUNCTION. A socket that cannot be kept for want of
 * memory sets lost rather than fail: returning -1 would make libcurl
 * drop every transfer of the client. */
static int ev_on_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *socketp) {
  sc_events *ev = (sc_events *)ud;
  size_t i = 0;
  (void)easy;
  (void)socketp;
  while (i < ev->n && ev->fds[i].fd != fd) i++;
  if (what == CURL_POLL_REMOVE) {
    if (i < ev->n) ev->fds[i] = ev->fds[--ev->n];
    return 0;
  }
  if (i == ev->n) {
    if (ev->n == ev->cap) {
      size_t cap = ev->cap ? 2 * ev->cap : 16;
      struct pollfd *v = (struct pollfd *)realloc(ev->fds, cap * sizeof *v);
      if (v == NULL) {
        ev->lost = 1;
        return 0;
      }
      ev->fds = v;
      ev->cap = cap;
    }
    ev->fds[ev->n++].fd = fd;
  }
  ev->fds[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
  ev->fds[i].revents = 0;
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 takes the timeout away. */
static int ev_on_timer(CURLM *multi, long timeout_ms, void *ud) {
  sc_events *ev = (sc_events *)ud;
  (void)multi;
  ev->timer_at = timeout_ms < 0 ? -1 : ev_now() + (double)timeout_ms / 1000;
  return 0;
}

/* Hooks ev to multi; ev must outlive it (curl_multi_cleanup calls back). */
static void ev_attach(CURLM *multi, sc_events *ev) {
  memset(ev, 0, sizeof *ev);
  ev->timer_at = -1;
  (void)curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, ev_on_socket);
  (void)curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, (void *)ev);
  (void)curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, ev_on_timer);
  (void)curl_multi_setopt(multi, CURLMOPT_TIMERDATA, (void *)ev);
}

/* Frees the lists; ev is then as ev_attach left it, unattached. */
static void ev_free(sc_events *ev) {
  free(ev->fds);
  free(ev->ready);
  memset(ev, 0, sizeof *ev);
  ev->timer_at = -1;
}

/* The number of timeout actions in a row that one look at the transfers
 * runs while libcurl keeps asking for another at once (a transfer moving
 * from one state to the next); the rest wait for the next look. */
#define EV_DUE_IN_A_ROW 8

/* One socket_action. libcurl failing one (out of memory) may have lost
 * track of a socket, or left its timeout unset: lost then hands the
 * client over to curl_multi_perform. */
static void ev_act(CURLM *multi, sc_events *ev, curl_socket_t fd, int what) {
  if (curl_multi_socket_action(multi, fd, what, &ev->running) != CURLM_OK) ev->lost = 1;
}

/* Hands libcurl its timeout while it is due. */
static void ev_run_due(CURLM *multi, sc_events *ev) {
  for (int k = 0; k < EV_DUE_IN_A_ROW && ev->timer_at >= 0 && ev_now() >= ev->timer_at; k++) {
    ev->timer_at = -1;
    ev_act(multi, ev, CURL_SOCKET_TIMEOUT, 0);
  }
}

/* Whether libcurl still waits on fd, and for what (CURL_CSELECT_IN and
 * _OUT); 0 for a socket that an earlier action of the round closed (its
 * number may be another's by now). */
static int ev_watched(const sc_events *ev, curl_socket_t fd) {
  for (size_t i = 0; i < ev->n; i++)
    if (ev->fds[i].fd == fd)
      return ((ev->fds[i].events & POLLIN) ? CURL_CSELECT_IN : 0) | ((ev->fds[i].events & POLLOUT) ? CURL_CSELECT_OUT : 0);
  return 0;
}

/* Runs what is due, waits up to ms for a socket libcurl waits on or for
 * its next timeout, then hands libcurl the sockets that are ready and
 * what fell due meanwhile. What is due goes first, so that a transfer
 * just added is on its way before the wait, which is then for its answer.
 * Out of memory, it sets lost. */
static void ev_drive(CURLM *multi, sc_events *ev, int ms) {
  int got, wait = ms, before = ev->running;
  size_t n;
  ev_run_due(multi, ev);
  n = ev->n;
  if (ev->timer_at >= 0) {
    double left = (ev->timer_at - ev_now()) * 1000;
    if (left < wait) wait = left <= 0 ? 0 : (int)ceil(left);
  }
  /* libcurl reads a fast transfer mostly in the timeouts it sets to run
   * again at once, so the due actions above often end one. Its caller
   * takes it now: a wait would hold it back until another socket moved,
   * and with nothing left to wait on (no socket, no timeout) a wait can
   * only run its whole length, a second in a blocking call. (A transfer
   * removed since the last action makes `before` high: one wait skipped.) */
  if (wait > 0 && (ev->running < before || (n == 0 && ev->timer_at < 0))) wait = 0;
  if (ev->ready_cap < n) {
    struct pollfd *v = (struct pollfd *)realloc(ev->ready, n * sizeof *v);
    if (v == NULL) {
      ev->lost = 1;
      return;
    }
    ev->ready = v;
    ev->ready_cap = n;
  }
  if (n == 0 && wait == 0) return; /* nothing to look at, nor to wait for */
  if (n > 0) memcpy(ev->ready, ev->fds, n * sizeof *ev->ready);
  /* A socket libcurl keeps but waits on for nothing (CURL_POLL_NONE) is
   * left out: poll() would still report its hang-up, at every round. */
  for (size_t i = 0; i < n; i++)
    if (ev->ready[i].events == 0) ev->ready[i].fd = -1;
  got = poll(n > 0 ? ev->ready : NULL, (nfds_t)n, wait); /* EINTR: as if nothing came */
  for (size_t i = 0; got > 0 && i < n; i++) {
    short re = ev->ready[i].revents;
    int what = 0, wants;
    if (re == 0) continue;
    got--;
    wants = ev_watched(ev, ev->ready[i].fd);
    if (wants == 0) continue;
    if (re & (POLLIN | POLLPRI)) what |= CURL_CSELECT_IN;
    if (re & POLLOUT) what |= CURL_CSELECT_OUT;
    /* A hang-up or an error goes back as what libcurl waits for, so that
     * it reads the end of the stream (an answer, then the close) or
     * fails the send: poll() says nothing else of it, and a socket left
     * so would be ready at every round. An error is said as one. */
    if (re & (POLLHUP | POLLERR | POLLNVAL)) what |= wants;
    if (re & (POLLERR | POLLNVAL)) what |= CURL_CSELECT_ERR;
    ev->handed++;
    ev_act(multi, ev, ev->ready[i].fd, what);
  }
  ev_run_due(multi, ev);
}

/* ---- the clock the Lua layer waits by ---------------------------------------- */

/* ---- small mechanisms for the Lua layer ------------------------------------------ */

/* core.sleep(seconds): blocks the calling thread. */
static int l_sleep(lua_State *L) {
  double s = (double)luaL_checknumber(L, 1);
  struct timespec ts, rem;
  if (!(s > 0)) return 0;
  if (s > 86400) s = 86400;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
  return 0;
}

/* core.now() -> seconds on a monotonic clock, for durations: the clock
 * libcurl's timeouts are kept by (rounds.c) */
static int l_now(lua_State *L) {
  lua_pushnumber(L, (lua_Number)ev_now());
  return 1;
}

/* Registers core.sleep and core.now in the module at M. */
static void rounds_open(lua_State *L, int M) {
  static const luaL_Reg funcs[] = {
    { "sleep", l_sleep },
    { "now", l_now },
    { NULL, NULL },
  };
  sc_register(L, M, funcs);
}

#endif
