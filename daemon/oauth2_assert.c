/*
 * oauth2_assert: RS256 client assertions signed with OpenSSL's libcrypto (see the header).
 */
#include "oauth2_assert.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* Lifetime of an assertion; Entra refuses one whose exp lies in the past. */
#define ASSERTION_LIFETIME_S 600

struct oauth2_signer {
    EVP_PKEY *key;
    char *x5t; /* base64url SHA-1 thumbprint of the certificate */
};

char *oauth2_b64url(const unsigned char *data, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = xmalloc(len / 3 * 4 + 5);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        size_t n = len - i;
        if (n > 1)
            v |= (unsigned)data[i + 1] << 8;
        if (n > 2)
            v |= data[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (n > 1)
            out[o++] = abc[(v >> 6) & 63];
        if (n > 2)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
    return out;
}

static char *b64url_str(const char *s)
{
    return oauth2_b64url((const unsigned char *)s, strlen(s));
}

/* The certificate's x5t, or NULL with ERR filled in. */
static char *load_thumbprint(const char *cert_file, char *err, size_t errlen)
{
    FILE *f = fopen(cert_file, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open the certificate", cert_file);
        return NULL;
    }
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (cert == NULL) {
        snprintf(err, errlen, "%s: not a PEM certificate", cert_file);
        return NULL;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = X509_digest(cert, EVP_sha1(), md, &mdlen);
    X509_free(cert);
    if (!ok) {
        snprintf(err, errlen, "%s: cannot compute the certificate's thumbprint", cert_file);
        return NULL;
    }
    return oauth2_b64url(md, mdlen);
}

static EVP_PKEY *load_key(const char *key_file, char *err, size_t errlen)
{
    char *pem = util_read_secret_file(key_file, err, errlen);
    if (pem == NULL)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    util_secure_free(pem);
    if (key == NULL) {
        snprintf(err, errlen, "%s: not an unencrypted PEM private key", key_file);
        return NULL;
    }
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "%s: the key is not an RSA key (RS256 needs one)", key_file);
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

struct oauth2_signer *oauth2_signer_new(const char *cert_file, const char *key_file, char *err,
                                        size_t errlen)
{
    char *x5t = load_thumbprint(cert_file, err, errlen);
    if (x5t == NULL)
        return NULL;
    EVP_PKEY *key = load_key(key_file, err, errlen);
    if (key == NULL) {
        free(x5t);
        return NULL;
    }
    struct oauth2_signer *s = xcalloc(1, sizeof(*s));
    s->key = key;
    s->x5t = x5t;
    return s;
}

void oauth2_signer_free(struct oauth2_signer *s)
{
    if (s == NULL)
        return;
    EVP_PKEY_free(s->key);
    free(s->x5t);
    free(s);
}

/* RS256 signature of INPUT, base64url; NULL on failure. */
static char *sign_rs256(EVP_PKEY *key, const char *input)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t siglen = 0;
    char *out = NULL;
    if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, strlen(input)) == 1) {
        sig = xmalloc(siglen);
        if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1)
            out = oauth2_b64url(sig, siglen);
    }
    free(sig);
    EVP_MD_CTX_free(ctx);
    return out;
}

/* A random version-4 UUID for jti; NULL when the random source fails. */
static char *random_uuid(void)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return NULL;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                     b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                     b[13], b[14], b[15]);
}

char *oauth2_signer_assertion(struct oauth2_signer *s, const char *client_id, const char *audience)
{
    char *jti = random_uuid();
    if (jti == NULL)
        return NULL;
    json_int_t now = (json_int_t)time(NULL);
    json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", "RS256", "typ", "JWT", "x5t", s->x5t);
    json_t *clm = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "aud", audience, "iss", client_id, "sub",
                            client_id, "jti", jti, "nbf", now, "exp", now + ASSERTION_LIFETIME_S);
    char *header = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
    char *claims = clm ? json_dumps(clm, JSON_COMPACT) : NULL;
    json_decref(hdr);
    json_decref(clm);
    if (header == NULL || claims == NULL) { /* a client id that is not UTF-8 */
        free(jti);
        free(header);
        free(claims);
        return NULL;
    }
    char *h64 = b64url_str(header), *c64 = b64url_str(claims);
    char *input = xasprintf("%s.%s", h64, c64);
    char *sig = sign_rs256(s->key, input);
    char *jwt = sig ? xasprintf("%s.%s", input, sig) : NULL;
    free(jti);
    free(header);
    free(claims);
    free(h64);
    free(c64);
    free(input);
    free(sig);
    return jwt;
}
