/*
 * http_classify: libcurl result codes -> enum http_result (see http_classify.h), the names of
 * the results, and the authentication challenge a 401 carried.
 */
#include "http_classify.h"

#include <string.h>
#include <strings.h>

static bool is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

enum http_result http_classify_curl(CURLcode rc, bool too_large, bool resend_refused,
                                    bool request_left)
{
    if (rc == CURLE_OK)
        return HTTP_OK;
    if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && too_large))
        return HTTP_ERR_TOO_LARGE;
    if (resend_refused)
        return HTTP_ERR_NO_REPLY;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        /* A failed reconnect can follow a request that left on a connection that died. */
        return request_left ? HTTP_ERR_NO_REPLY : HTTP_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        /* Nothing sent yet means the connection never came up: safe to retry. */
        return request_left ? HTTP_ERR_TIMEOUT : HTTP_ERR_CONNECT;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_ABORTED_BY_CALLBACK:
        /* The connection ended under the request: if any of it left, the server may have
         * acted on it. */
        return request_left ? HTTP_ERR_NO_REPLY : HTTP_ERR_CONNECT;
    default:
        return is_tls_error(rc) ? HTTP_ERR_TLS : HTTP_ERR_TRANSPORT;
    }
}

bool http_result_fate_unknown(enum http_result r)
{
    return r == HTTP_ERR_TIMEOUT || r == HTTP_ERR_NO_REPLY;
}

const char *http_result_str(enum http_result r)
{
    switch (r) {
    case HTTP_OK:
        return "ok";
    case HTTP_ERR_TIMEOUT:
        return "timeout";
    case HTTP_ERR_CONNECT:
        return "connect failed";
    case HTTP_ERR_TLS:
        return "TLS failure";
    case HTTP_ERR_TOO_LARGE:
        return "response too large";
    case HTTP_ERR_TRANSPORT:
        return "transport error";
    case HTTP_ERR_NO_REPLY:
        return "no reply";
    case HTTP_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

/* The final response's Ith header called NAME, or NULL after the last. */
static const char *nth_header(CURL *easy, const char *name, size_t i)
{
    struct curl_header *hdr = NULL;
    if (curl_easy_header(easy, name, i, CURLH_HEADER, -1, &hdr) != CURLHE_OK || i >= hdr->amount)
        return NULL;
    return hdr->value;
}

const char *http_classify_challenge(CURL *easy, const char *scheme)
{
    size_t n = strlen(scheme);
    const char *v;
    for (size_t i = 0; (v = nth_header(easy, "WWW-Authenticate", i)) != NULL; i++)
        if (strncasecmp(v, scheme, n) == 0 && (v[n] == ' ' || !v[n]))
            return v;
    return NULL;
}

const char *http_classify_affinity_cookie(CURL *easy, char *out, size_t outlen)
{
    static const char name[] = "X-BackEndOverrideCookie=";
    size_t n = sizeof(name) - 1;
    const char *v;
    for (size_t i = 0; (v = nth_header(easy, "Set-Cookie", i)) != NULL; i++) {
        if (strncmp(v, name, n) != 0)
            continue;
        size_t len = strcspn(v + n, "; \t\r\n");
        if (len == 0 || len >= outlen)
            return NULL;
        memcpy(out, v + n, len);
        out[len] = '\0';
        return out;
    }
    return NULL;
}

bool http_classify_streams(CURL *easy)
{
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
}
