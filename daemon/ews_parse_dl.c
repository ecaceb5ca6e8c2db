/*
 * ews_parse_dl: the m:DLExpansion of an ExpandDL answer: its paging attributes and one
 * t:Mailbox (EmailAddressType) per member. A member is read for its SMTP address and its
 * MailboxType only; Name, RoutingType and ItemId are passed over, anything else fails the
 * parse like every surprise in an EWS answer.
 */
#include <stdlib.h>

#include "ews_parse_int.h"

static int parse_member(struct pctx *p, const struct xnode *mb, struct ews_dl_member *out)
{
    bool seen_addr = false, seen_type = false;
    FOR_EACH_EL(c, mb)
    {
        int rc = 0;
        if (is_el(c, NS_T, "EmailAddress"))
            rc = once_in(p, &seen_addr, c, "Mailbox") < 0 ? -1 : el_string(p, c, &out->address);
        else if (is_el(c, NS_T, "MailboxType"))
            rc =
                once_in(p, &seen_type, c, "Mailbox") < 0 ? -1 : el_string(p, c, &out->mailbox_type);
        else if (!is_el(c, NS_T, "Name") && !is_el(c, NS_T, "RoutingType") &&
                 !is_el(c, NS_T, "ItemId"))
            rc = ep_unexpected(p, mb, c);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int parse_dl_expansion(struct pctx *p, const struct xnode *dl, struct ews_response_message *m)
{
    m->has_dl_expansion = true;
    if (paging_attr(p, dl, "TotalItemsInView", int_from, &m->total_items_in_view) < 0 ||
        paging_attr(p, dl, "IncludesLastItemInRange", bool_from, &m->includes_last_item_in_range) <
            0)
        return -1;
    size_t cap = 0;
    FOR_EACH_EL(c, dl)
    {
        if (!is_el(c, NS_T, "Mailbox"))
            return ep_unexpected(p, dl, c);
        m->dl_members = ep_grow(m->dl_members, m->n_dl_members, &cap, sizeof(*m->dl_members));
        if (parse_member(p, c, &m->dl_members[m->n_dl_members++]) < 0)
            return -1;
    }
    return 0;
}

void dl_members_free(struct ews_response_message *m)
{
    for (size_t i = 0; i < m->n_dl_members; i++) {
        free(m->dl_members[i].address);
        free(m->dl_members[i].mailbox_type);
    }
    free(m->dl_members);
    m->dl_members = NULL;
    m->n_dl_members = 0;
}
