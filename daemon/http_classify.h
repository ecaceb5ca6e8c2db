/*
 * http_classify: libcurl's result codes sorted into what a caller of http can act on
 * (enum http_result). Internal to http.c; a module of its own so that the sorting can be
 * read, and tested, apart from the event-loop glue.
 */
#ifndef MEETINGD_HTTP_CLASSIFY_H
#define MEETINGD_HTTP_CLASSIFY_H

#include <curl/curl.h>
#include <stdbool.h>

#include "http.h"

/*
 * The result of a transfer that ended with RC (not CURLE_OK). TOO_LARGE: the body cap
 * aborted it; RESEND_REFUSED: curl wanted to send a non-idempotent body a second time;
 * REQUEST_LEFT: any of the request may have reached the server.
 */
enum http_result http_classify_curl(CURLcode rc, bool too_large, bool resend_refused,
                                    bool request_left);

/* The final response's WWW-Authenticate challenge of SCHEME (e.g. "Bearer"), or NULL;
 * OAuth2 callers read its error="invalid_token" to tell an expired token from bad
 * credentials. Valid until the handle is freed. */
const char *http_classify_challenge(CURL *easy, const char *scheme);

/* Exchange's affinity cookie: the value of X-BackEndOverrideCookie the final response set
 * (Set-Cookie), copied to OUT; NULL when there is none or it does not fit. */
const char *http_classify_affinity_cookie(CURL *easy, char *out, size_t outlen);

/* Whether a streaming request's body is handed over as it arrives: its status is 2xx (an
 * error status's body is collected for the final callback, as for any request). */
bool http_classify_streams(CURL *easy);

#endif
