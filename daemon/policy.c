/*
 * policy: decisions on meeting requests (see policy.h).
 */
#include "policy.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *policy_decision_name(enum policy_decision decision)
{
    switch (decision) {
    case POLICY_ACCEPT:
        return "accept";
    case POLICY_TENTATIVE:
        return "tentative";
    case POLICY_DECLINE:
        return "decline";
    case POLICY_IGNORE:
        return "ignore";
    }
    return "?";
}

static void add_check(struct policy_result *r, const char *name, enum policy_outcome outcome,
                      const char *fmt, ...) UTIL_PRINTF(4, 5);

static void add_check(struct policy_result *r, const char *name, enum policy_outcome outcome,
                      const char *fmt, ...)
{
    r->checks = xreallocarray(r->checks, r->n_checks + 1, sizeof(*r->checks));
    struct policy_check *c = &r->checks[r->n_checks++];
    c->name = xstrdup(name);
    c->outcome = outcome;
    va_list ap;
    va_start(ap, fmt);
    c->reason = xvasprintf(fmt, ap);
    va_end(ap);
}

bool policy_needs_calendar(const struct conf_policy *policy)
{
    return policy->automate == CONF_AUTOMATE_AUTO_ACCEPT && !policy->allow_conflicts;
}

/* The text sent with an answer: the policy's fixed message, if any. */
static void set_response_text(const struct conf_policy *policy, struct policy_result *r)
{
    if (policy->response_message && policy->response_message[0])
        r->response_text = xstrdup(policy->response_message);
}

void policy_decide(const struct conf_policy *policy, const struct item *request,
                   const struct policy_context *ctx, struct policy_result *out)
{
    memset(out, 0, sizeof(*out));
    (void)request;
    (void)ctx;
    switch (policy->automate) {
    case CONF_AUTOMATE_ACCEPT:
        out->decision = POLICY_ACCEPT;
        add_check(out, "automate", POLICY_CHECK_INFO, "the policy accepts every request");
        break;
    case CONF_AUTOMATE_TENTATIVE:
        out->decision = POLICY_TENTATIVE;
        add_check(out, "automate", POLICY_CHECK_INFO,
                  "the policy tentatively accepts every request");
        break;
    case CONF_AUTOMATE_DECLINE:
        out->decision = POLICY_DECLINE;
        add_check(out, "automate", POLICY_CHECK_FAIL, "the policy declines every request");
        break;
    case CONF_AUTOMATE_NONE:
    case CONF_AUTOMATE_AUTO_UPDATE:
        out->decision = POLICY_IGNORE;
        add_check(out, "automate", POLICY_CHECK_INFO, "the policy answers no requests");
        return;
    case CONF_AUTOMATE_AUTO_ACCEPT:
        out->decision = POLICY_ACCEPT;
        add_check(out, "automate", POLICY_CHECK_INFO, "the request meets the policy");
        break;
    }
    set_response_text(policy, out);
}

void policy_result_clear(struct policy_result *r)
{
    for (size_t i = 0; i < r->n_checks; i++) {
        free(r->checks[i].name);
        free(r->checks[i].reason);
    }
    free(r->checks);
    free(r->response_text);
    free(r->declined_occurrences);
    free(r->rewrite.subject);
    memset(r, 0, sizeof(*r));
}

char *policy_result_reasons(const struct policy_result *r)
{
    char *joined = NULL;
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct policy_check *c = &r->checks[i];
        if (c->outcome != POLICY_CHECK_FAIL)
            continue;
        char *next = joined ? xasprintf("%s; %s", joined, c->reason) : xstrdup(c->reason);
        free(joined);
        joined = next;
    }
    return joined;
}
