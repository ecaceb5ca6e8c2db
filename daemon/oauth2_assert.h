/*
 * oauth2_assert: client assertions for the OAuth2 client credentials grant with a
 * certificate (RFC 7523, as Microsoft Entra ID expects them).
 *
 * An assertion is a JWT signed RS256 with the application's private key; its header names
 * the registered certificate by x5t (base64url SHA-1 thumbprint of the DER certificate), its
 * claims are aud (the token endpoint's URL), iss = sub (the client id), jti (random, never
 * reused), nbf and exp (ten minutes). Signing uses OpenSSL's libcrypto.
 */
#ifndef MEETINGD_OAUTH2_ASSERT_H
#define MEETINGD_OAUTH2_ASSERT_H

#include <stddef.h>

struct oauth2_signer;

/*
 * Loads CERT_FILE (PEM certificate) and KEY_FILE (PEM private key, a secret file: mode 0600
 * or under $CREDENTIALS_DIRECTORY). Returns NULL with a message in ERR on failure (naming
 * files, never their contents).
 */
struct oauth2_signer *oauth2_signer_new(const char *cert_file, const char *key_file, char *err,
                                        size_t errlen);

void oauth2_signer_free(struct oauth2_signer *signer);

/* A fresh signed assertion (caller frees), or NULL when signing failed. */
char *oauth2_signer_assertion(struct oauth2_signer *signer, const char *client_id,
                              const char *audience);

/* base64url without padding of LEN bytes (caller frees); shared with the JWT code. */
char *oauth2_b64url(const unsigned char *data, size_t len);

#endif
