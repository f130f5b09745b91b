/*
 * What a transfer that libcurl could not complete becomes: an error
 * value with its kind (connection, timeout, invalid_response, internal),
 * whether any byte was sent, libcurl's code and message (without the
 * credentials of a proxy it quotes), and where it was going.
 */
#ifndef SCENARIO_CALL_ERRORS_C
#define SCENARIO_CALL_ERRORS_C

#include "common.h"

#include <string.h>

#include <curl/curl.h>

#include "client.c"
#include "handles.h"
#include "json.c"
#include "schema.h"
#include "transport.c"

/* ---- one exchange ------------------------------------------------------------ */

/* Whether rc says the server could not be trusted (its certificate, or
 * the CA bundle to check it with): trying again cannot help. */
static int tls_verify_failed(CURLcode rc) {
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return 1;
    default:
      return 0;
  }
}

/* Sets err.method and err.url (no credentials: base_url may not carry
 * any) on the error table on top. */
static void set_where(lua_State *L, const sc_request *r, const sc_endpoint *ep) {
  lua_pushstring(L, ep->method);
  lua_setfield(L, -2, "method");
  lua_pushlstring(L, r->url.data, r->url.len > 0 ? r->url.len - 1 : 0); /* less its NUL */
  lua_setfield(L, -2, "url");
}

/* Pushes the error for a transfer libcurl could not complete. */
static void push_transfer_error(lua_State *L, sc_request *r, const sc_client *c, CURLcode rc) {
  long sent = 0, status = 0;
  const char *kind = "connection";
  curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_createtable(L, 0, 9);
  if (r->nomem) {
    kind = "internal";
    lua_pushliteral(L, "not enough memory to receive the response");
  } else if (r->overflow) {
    kind = "invalid_response";
    char mt[24];
    lua_pushfstring(L, "the response is larger than max_response_bytes (%s bytes)",
                    int_text((lua_Integer)r->max_bytes, mt));
  } else if (r->head_overflow) {
    kind = "invalid_response";
    lua_pushfstring(L, "the response headers are larger than %d KiB",
                    (int)(SC_MAX_HEADER_BYTES / 1024));
  } else if (rc == CURLE_SEND_FAIL_REWIND || (rc == CURLE_ABORTED_BY_CALLBACK && r->resent)) {
    /* libcurl wanted to send it again on a new connection: refuse_seek,
     * or on_prereq for a request without a body */
    lua_pushliteral(L, "the connection was lost after the request went out, before any "
                       "answer; it was not sent again, since the server may have acted on it");
  } else {
    const char *text = r->errbuf != NULL && r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
    push_curl_message(L, c, text);
    if (tls_verify_failed(rc)) {
      lua_pushliteral(L, " (if a proxy inspects TLS, pass its CA certificate as ca_file)");
      lua_concat(L, 2);
      lua_pushboolean(L, 1);
      lua_setfield(L, -3, "certificate");
    } else if (status >= 200 && status < 300) {
      /* The server said it did it, then the answer broke off: the call
       * happened (a model was made), so this is no lost connection to be
       * tried again, but an answer that cannot be read. */
      char st[24];
      kind = "invalid_response";
      lua_pushfstring(L, "the answer (HTTP %s) broke off: ", int_text((lua_Integer)status, st));
      lua_insert(L, -2);
      lua_concat(L, 2);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      kind = "timeout";
    }
  }
  lua_setfield(L, -2, "message");
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  lua_pushinteger(L, (lua_Integer)rc);
  lua_setfield(L, -2, "curl_code");
  /* Whether the server may have acted on it: if not, even a call that is
   * not idempotent may be tried again. A request with a body cannot be
   * acted on before its body, so that counts, when it goes through
   * on_read; else any byte that left. */
  lua_pushboolean(L, r->resent || (r->once && r->body.len > 0 ? r->body_handed > 0 : sent > 0));
  lua_setfield(L, -2, "sent");
  if (status > 0) {
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
  }
}

#endif
