/*
 * sdnotify: the sd_notify(3) protocol in a few lines, without libsystemd.
 *
 * systemd passes the address of its notification socket in $NOTIFY_SOCKET (a filesystem
 * path, or an abstract socket written with a leading '@'); each notification is one
 * datagram of newline-separated VAR=value assignments. When $NOTIFY_SOCKET is unset (not
 * started by systemd, or Type=simple) every function is a no-op that returns 0.
 *
 * Usage in meetingd: sdnotify_ready() once the configuration is loaded and the loop runs;
 * sdnotify_reloading() when a reload starts and sdnotify_ready() when it ends
 * (Type=notify-reload); sdnotify_stopping() on shutdown; sdnotify_watchdog() from a timer
 * at half the interval returned by sdnotify_watchdog_interval().
 */
#ifndef MEETINGD_SDNOTIFY_H
#define MEETINGD_SDNOTIFY_H

#include <stdbool.h>

/*
 * Sends `state` verbatim as one datagram to $NOTIFY_SOCKET. Returns 0 when sent or when
 * $NOTIFY_SOCKET is unset, -1 (errno set) when the address is invalid (not absolute, not
 * '@', too long, vsock: unsupported) or the send fails. Never blocks.
 */
int sdnotify_send(const char *state);

/* "READY=1": start-up or reload finished. */
int sdnotify_ready(void);

/* "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC in µs>", as systemd >= 253 expects. */
int sdnotify_reloading(void);

/* "STOPPING=1": shutdown began. */
int sdnotify_stopping(void);

/*
 * "STATUS=<formatted text>", shown by systemctl status. Newlines in the formatted text are
 * replaced by spaces so that text (which may carry configuration data) cannot inject other
 * assignments such as READY=1. Text longer than 1 KiB is truncated.
 */
int sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "WATCHDOG=1": keep-alive ping for WatchdogSec=. */
int sdnotify_watchdog(void);

/*
 * Reads $WATCHDOG_USEC (and $WATCHDOG_PID, which must name this process when set). Returns
 * true with the interval in seconds in *seconds_out when the watchdog is enabled for us;
 * false (and *seconds_out untouched) otherwise. Ping at half the interval.
 */
bool sdnotify_watchdog_interval(double *seconds_out);

#endif
