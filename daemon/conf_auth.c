/*
 * conf_auth: the login keys of [server] per authentication scheme (see the header).
 */
#include "conf_auth.h"

#include <stdio.h>
#include <string.h>

#include "oauth2_assert.h"

static unsigned line_of(const struct sect *s, const char *key)
{
    return s->key_line[conf_find_key(s->kind, key)];
}

/* Keys that cannot go with the scheme chosen (a password where there is none to send). */
static bool refuse_foreign_keys(struct parser *p, const struct sect *s, const char *const *keys,
                                const char *scheme)
{
    bool refused = false;
    for (const char *const *k = keys; *k; k++) {
        unsigned l = line_of(s, *k);
        if (l != 0) {
            conf_fail_at(p, s->file, l, "%s is only used with auth = %s", *k, scheme);
            refused = true;
        }
    }
    return refused;
}

/* auth = oauth2: an app registration with a secret or a certificate, acting by impersonation;
 * fills srv->oauth2. The certificate and key are loaded once here so that a bad file is a
 * configuration error, not a failure at the first poll. */
static void check_oauth2(struct parser *p, const struct sect *s, struct conf_server *srv)
{
    static const char *const login_keys[] = {"username", "password_file", NULL};
    unsigned al = line_of(s, "auth");
    if (refuse_foreign_keys(p, s, login_keys, "basic, ntlm or negotiate"))
        return;
    if (srv->client_id == NULL || (srv->tenant == NULL && srv->token_url == NULL)) {
        conf_fail_at(p, s->file, al, "auth = oauth2 needs client_id and tenant (or token_url)");
        return;
    }
    bool secret = srv->client_secret_file != NULL;
    bool cert = srv->client_certificate != NULL || srv->client_key != NULL;
    if (secret == cert || (cert && (srv->client_certificate == NULL || srv->client_key == NULL))) {
        conf_fail_at(p, s->file, al,
                     "auth = oauth2 needs either client_secret_file or both client_certificate "
                     "and client_key");
        return;
    }
    /* Graph addresses every mailbox as /users/{address} with the app's own rights. */
    if (!srv->impersonation && srv->protocol == CONF_PROTOCOL_EWS) {
        conf_fail_at(p, s->file, al,
                     "auth = oauth2 acts for mailboxes only by impersonation: set impersonation = "
                     "yes");
        return;
    }
    if (cert) {
        char err[512];
        struct oauth2_signer *signer =
            oauth2_signer_new(srv->client_certificate, srv->client_key, err, sizeof(err));
        if (signer == NULL) {
            conf_fail_at(p, s->file, line_of(s, "client_key"), "%s", err);
            return;
        }
        oauth2_signer_free(signer);
    }
    if (srv->token_url == NULL)
        srv->token_url = xasprintf(OAUTH2_TOKEN_URL_FMT, srv->tenant);
    srv->oauth2 = (struct oauth2_params){
        .token_url = srv->token_url,
        .client_id = srv->client_id,
        .client_secret = srv->client_secret,
        .certificate = srv->client_certificate,
        .private_key = srv->client_key,
        .scope = srv->scope                             ? srv->scope
                 : srv->protocol == CONF_PROTOCOL_GRAPH ? CONF_GRAPH_SCOPE
                                                        : OAUTH2_DEFAULT_SCOPE,
    };
}

/* The endpoint the protocol needs; Graph only takes app-only tokens. Returns false after an
 * error. */
static bool check_protocol(struct parser *p, const struct sect *s, struct conf_server *srv)
{
    unsigned pl = line_of(s, "protocol");
    if (srv->protocol == CONF_PROTOCOL_EWS) {
        if (srv->url == NULL) {
            conf_fail_at(p, s->file, s->line, "missing required key 'url' in [server]");
            return false;
        }
        return true;
    }
    if (srv->auth != CONF_AUTH_OAUTH2) {
        conf_fail_at(p, s->file, line_of(s, "auth") ? line_of(s, "auth") : pl,
                     "protocol = graph needs auth = oauth2 (Graph takes app-only tokens)");
        return false;
    }
    size_t n = strlen(srv->graph_url);
    while (n > 0 && srv->graph_url[n - 1] == '/') /* URLs are built as graph_url + "/users" */
        srv->graph_url[--n] = '\0';
    return true;
}

void conf_check_server_auth(struct parser *p, const struct sect *s)
{
    /* The keys of the other schemes are kept unused (switching auth back and forth needs no
     * other edit; --check-config shows them). */
    struct conf_server *srv = s->obj;
    unsigned ul = line_of(s, "username"), pl = line_of(s, "password_file");
    unsigned il = line_of(s, "impersonation");
    if (!check_protocol(p, s, srv))
        return;
    switch (srv->auth) {
    case CONF_AUTH_OAUTH2:
        check_oauth2(p, s, srv);
        return;
    case CONF_AUTH_NEGOTIATE:
        /* Kerberos needs no password: the keytab or the credential cache proves who we are. */
        if (srv->impersonation && ul == 0)
            conf_fail_at(p, s->file, il, "impersonation = yes needs username in [server]");
        return;
    case CONF_AUTH_BASIC:
    case CONF_AUTH_NTLM:
        break;
    }
    if ((ul == 0) != (pl == 0)) {
        conf_fail_at(p, s->file, ul ? ul : pl,
                     "username and password_file must be given together (%s is missing)",
                     ul ? "password_file" : "username");
        return;
    }
    if (srv->impersonation && ul == 0)
        conf_fail_at(p, s->file, il,
                     "impersonation = yes needs username and password_file in [server]");
}
