/*
 * ews_build_dl: m:ExpandDL, the members of one public distribution group named by its SMTP
 * address (messages.xsd ExpandDLType: one m:Mailbox of t:EmailAddressType).
 */
#include "ews_build_int.h"
#include "util.h"

char *ews_build_expand_dl(const struct ews_context *ctx, const char *address)
{
    if (address == NULL || !util_addr_is_valid(address))
        return NULL;
    struct eb_writer w;
    eb_begin(&w, ctx, "ExpandDL");
    eb_el(&w, "m", "Mailbox");
    eb_leaf(&w, "EmailAddress", address);
    eb_end(&w);
    return eb_finish(&w);
}
