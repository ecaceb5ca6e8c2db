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

int ctl_cmd_approve(struct ctl *c, int argc, char **argv)
{
    bool approve = strcmp(argv[0], "approve") == 0;
    const char *message;
    if (ctl_parse_message_option(argc, argv, &message) != 0)
        return EX_USAGE_CODE;
    if (optind != argc - 1)
        return ctl_usage_error("%s needs the id of the forwarded request", argv[0]);
    struct item_id id = {.id = argv[optind]};
    const char *text = message ? message : approve ? "Approved." : "Rejected.";
    struct ews_call_result res = {0};
    if (ctl_call(c, "CreateItem",
                 ews_build_respond(&c->ctx, approve ? EWS_ACCEPT : EWS_DECLINE, &id, text,
                                   EWS_SEND_AND_SAVE_COPY),
                 &res) != 0)
        return EXIT_FAILURE;
    ews_response_free(res.response);
    printf("%s sent; the room answers the organizer at its next poll\n",
           approve ? "approval" : "rejection");
    return EXIT_SUCCESS;
}
