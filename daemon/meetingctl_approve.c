/*
 * meetingctl_approve: the delegate answers the forwarded request ID in their own mailbox:
 * AcceptItem for approve, DeclineItem for reject, sent to the organizer with a copy in Sent
 * Items. That copy is what meetingd reads to let the room answer in turn, so this is the
 * same as `respond ID accept|decline`, with a text that says what the delegate did.
 */
#include "meetingctl_approve.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_USAGE_CODE 64

static int usage_error(const char *what)
{
    fprintf(stderr,
            "meetingctl: %s\nusage: meetingctl --as DELEGATE approve|reject ID [--message M]\n",
            what);
    return EX_USAGE_CODE;
}

int meetingctl_approve(struct ev_loop *loop, struct http_client *http,
                       const struct ews_account *account, const struct ews_context *ctx, int argc,
                       char **argv)
{
    bool approve = strcmp(argv[0], "approve") == 0;
    const char *message = NULL;
    static const struct option opts[] = {{"message", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    int o;
    optind = 0; /* 0, not 1: GNU getopt starts afresh (meetingctl's own options were parsed) */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'm')
            return usage_error("unknown option");
        message = optarg;
    }
    if (optind != argc - 1)
        return usage_error(approve ? "approve needs the id of the forwarded request"
                                   : "reject needs the id of the forwarded request");
    struct item_id id = {.id = argv[optind]};
    const char *text = message ? message : approve ? "Approved." : "Rejected.";
    char *env = ews_build_respond(ctx, approve ? EWS_ACCEPT : EWS_DECLINE, &id, text,
                                  EWS_SEND_AND_SAVE_COPY);
    if (env == NULL)
        return usage_error("the request id is not usable");
    struct ews_call_result res = {0};
    int rc = ews_call_wait_take(loop, http, account, "CreateItem", env, &res);
    const struct ews_response_message *msg =
        rc == 0 && res.response->n_messages == 1 ? &res.response->messages[0] : NULL;
    if (msg == NULL || msg->cls == EWS_CLASS_ERROR) {
        fprintf(stderr, "meetingctl: %s failed: %s\n", approve ? "approve" : "reject",
                msg && msg->response_code_text ? msg->response_code_text
                : res.error                    ? res.error
                                               : ews_call_status_str(res.status));
        ews_response_free(res.response);
        return EXIT_FAILURE;
    }
    ews_response_free(res.response);
    printf("%s sent; the room answers the organizer at its next poll\n",
           approve ? "approval" : "rejection");
    return EXIT_SUCCESS;
}
