/*
 * capability: what a server is known to do and not to do, learned from its answers.
 *
 * Servers differ in what they implement (grommunio Gromox 3.10 has no RemoveItem, its
 * CalendarView returns a series' master instead of its occurrences). meetingd finds out
 * from the answers, not from the server's name, and remembers it per server (the EWS URL)
 * for every mailbox of that server, so that the fallback is taken right away by the next
 * mailbox and said in the log once.
 *
 * The memory is process-wide, a small table without heap memory: a process talks to a
 * handful of servers at most (one per configuration, and a reload may change it). It is not
 * written to disk: a restart learns it again from the first answer.
 */
#ifndef MEETINGD_CAPABILITY_H
#define MEETINGD_CAPABILITY_H

enum capability {
    CAP_REMOVE_ITEM,  /* CreateItem t:RemoveItem works */
    CAP_VIEW_EXPANDS, /* CalendarView returns the occurrences of a series, not its master */
    CAP_COUNT
};

enum capability_state { CAP_UNKNOWN, CAP_YES, CAP_NO };

/* What is known of SERVER (a key such as the backend's server key). */
enum capability_state capability_get(const char *server, enum capability cap);

/* Records what an answer of SERVER showed. The first time a server is seen to lack CAP,
 * WHAT (a sentence saying what meetingd does instead) is logged as a notice, once per
 * server and capability. */
void capability_learn(const char *server, enum capability cap, enum capability_state state,
                      const char *what);

/* Forgets everything (tests). */
void capability_forget_all(void);

#endif
