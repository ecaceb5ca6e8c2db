/*
 * health: `meetingctl health`, a one-screen summary of the running meetingd.
 *
 * It reads what Prometheus reads - the daemon's metrics page at metrics_listen - so the
 * summary and the monitoring can never disagree, and it needs no credentials: per mailbox the
 * last poll, the last good poll, the decisions and the latest one, and whether its polls fail;
 * above them the version, the uptime and the EWS request queue. Failing mailboxes come first;
 * past HEALTH_MAX_ROWS the healthy rest is counted, not listed.
 */
#ifndef MEETINGD_HEALTH_H
#define MEETINGD_HEALTH_H

#include <stdio.h>
#include <time.h>

#define HEALTH_MAX_ROWS 40

/* Exit statuses of `meetingctl health`. */
enum {
    HEALTH_OK = 0,           /* running, no mailbox failing */
    HEALTH_FAILING = 1,      /* running, at least one mailbox failing */
    HEALTH_UNAVAILABLE = 69, /* EX_UNAVAILABLE: nothing answers at metrics_listen */
};

/*
 * GETs http://LISTEN/metrics (LISTEN as metrics_listen: "127.0.0.1:9873", "[::1]:9873") with
 * no proxy. Returns the page (caller frees), or NULL with ERR filled.
 */
char *health_fetch(const char *listen, double timeout_s, char *err, size_t errlen);

/*
 * Prints the summary of metrics PAGE (meetingd's exposition) as seen at NOW to OUT. Returns
 * HEALTH_OK or HEALTH_FAILING, or -1 when PAGE is not meetingd's (no meetingd_build_info).
 */
int health_report(const char *page, time_t now, FILE *out);

#endif
