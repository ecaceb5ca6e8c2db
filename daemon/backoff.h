/*
 * backoff: how long a mailbox waits after a failed poll, and the pauses mailboxes share.
 *
 * A server throttles something larger than one mailbox: Exchange charges ErrorServerBusy to
 * the budget of the account it authenticates (delegate access) or of the impersonated mailbox;
 * an HTTP 503, a 429 or a refused connection concerns the whole server; a refused login
 * concerns every mailbox that logs in with the same credentials, and every further attempt
 * brings the account closer to a lockout. So a pause is kept per KEY (a string naming that
 * larger thing, chosen by the backend), and every mailbox whose requests go through a paused
 * key waits until its pause is over.
 *
 * When a pause ends, the first mailbox to ask becomes the probe and may send; the others wait
 * for its outcome (backoff_clear on success, a new pause on failure) instead of all trying
 * at once. A probe that never reports (its mailbox stopped) expires after probe_s.
 *
 * The registry lives on the event loop thread; nothing here does I/O or logs.
 */
#ifndef MEETINGD_BACKOFF_H
#define MEETINGD_BACKOFF_H

#include <stdbool.h>

struct backoff_options {
    double base_s;             /* the first retry of a failed poll */
    double max_s;              /* the longest own retry delay */
    double long_min_s;         /* at least this for a misconfigured mailbox (not in --once) */
    double server_max_s;       /* the most of a server-requested back-off honoured */
    double credentials_base_s; /* the first pause after refused credentials */
    double credentials_max_s;  /* the longest pause after refused credentials */
    double probe_s;            /* how long the others wait for a probe's outcome */
    double recheck_s;          /* how often a mailbox waiting for a probe asks again */
    double jitter;             /* +- this fraction of every delay (0.2 = 20 %) */
};

/* The daemon's values (ONCE: the shorter retries of --once). */
void backoff_options_default(struct backoff_options *o, bool once);

struct backoff;

/* A registry with copies of OPTS (NULL = the daemon's defaults). Free with backoff_free(). */
struct backoff *backoff_new(const struct backoff_options *opts);
void backoff_free(struct backoff *b);

const struct backoff_options *backoff_options(const struct backoff *b);

/*
 * The delay after the Nth (>= 1) failed poll in a row of one mailbox: base_s doubling per
 * failure up to max_s, at least long_min_s when LONG_WAIT, jittered, and never less than the
 * server asked for (SERVER_MS, honoured up to server_max_s: a larger one is more likely a
 * broken header than a plan, and would silence the mailbox for days).
 */
double backoff_delay(const struct backoff *b, unsigned n, bool long_wait, unsigned server_ms);

/* Pauses KEY until NOW + SECONDS (a pause is never shortened). Ends a probe on KEY. */
void backoff_pause(struct backoff *b, const char *key, double now, double seconds);

/*
 * Refused credentials on KEY: pauses it for credentials_base_s, doubling with each refusal in
 * a row up to credentials_max_s (jittered), and returns the pause in seconds. *FIRST is set
 * when KEY was not paused for refused credentials before (the caller says so once).
 */
double backoff_refused(struct backoff *b, const char *key, double now, bool *first);

/* The server accepted a request on KEY: its pause and refusal count end, a probe too. */
void backoff_clear(struct backoff *b, const char *key);

/*
 * Seconds a request on KEY must still wait at NOW: 0 when it may go, the rest of the pause
 * while paused, recheck_s while another mailbox probes. Changes nothing.
 */
double backoff_wait(const struct backoff *b, const char *key, double now);

/* The caller is about to send on KEY (backoff_wait said 0): when KEY's pause has ended, the
 * caller becomes its probe until it reports. */
void backoff_claim(struct backoff *b, const char *key, double now);

/* The probe on KEY ended without proving or pausing it (the prober's poll failed on another
 * key): the next to ask probes anew rather than wait probe_s, which starved a mailbox whose
 * own budget it had claimed. A pause stays. */
void backoff_probe_end(struct backoff *b, const char *key);

/*
 * The caller is about to send on KEY, which the server has never accepted a request on:
 * it becomes the probe, so that credentials nobody has tried yet are tried by one mailbox
 * first, not by every mailbox at start-up at once (a wrong password would cost one failed
 * login per mailbox before the first refusal is known). Nothing on a key already known.
 */
void backoff_claim_untried(struct backoff *b, const char *key, double now);

/* The probe of untried KEY failed without an answer about the credentials (transport, a
 * busy server): the next caller probes them instead of everyone waiting for probe_s. */
void backoff_untried_unknown(struct backoff *b, const char *key);

/* Whether KEY is paused for refused credentials (--once gives up instead of waiting). */
bool backoff_refusing(const struct backoff *b, const char *key);

#endif
