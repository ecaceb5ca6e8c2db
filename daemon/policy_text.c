/*
 * policy_text: the sentence that opens every answer, for the organizer to read. The checks
 * keep their technical reasons for the log and the decision record; what the organizer
 * reads first is one short sentence chosen by the kind of answer (enum conf_text), from the
 * policy's *_message key or else the default for the mailbox's kind: a room speaks of
 * itself by name, a person in the first person.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy_decider.h"
#include "policy_time.h"
#include "text_template.h"
#include "util.h"

static const char *const room_texts[CONF_TEXT_COUNT] = {
    [CONF_TEXT_ACCEPT] = "Booked: {room} from {start} to {end}.",
    [CONF_TEXT_TENTATIVE] = "Tentatively booked: {room} from {start} to {end}.",
    [CONF_TEXT_TENTATIVE_APPROVAL] =
        "Your request for {room} from {start} to {end} is waiting for approval.",
    [CONF_TEXT_TENTATIVE_CONFLICT] =
        "Tentatively booked: {room} from {start} to {end}, although it is not free then.",
    [CONF_TEXT_DECLINE] = "Sorry, {room} cannot be booked for this meeting.",
    [CONF_TEXT_DECLINE_CONFLICT] = "Sorry, {room} is not free from {start} to {end}.",
    [CONF_TEXT_DECLINE_NOT_ALLOWED] = "Sorry, you may not book {room}.",
    [CONF_TEXT_DECLINE_OUT_OF_POLICY] =
        "Sorry, this meeting does not fit the booking rules of {room}.",
};

static const char *const person_texts[CONF_TEXT_COUNT] = {
    [CONF_TEXT_ACCEPT] = "Thanks, I'll be there.",
    [CONF_TEXT_TENTATIVE] = "I might be able to come; I'll confirm later.",
    [CONF_TEXT_TENTATIVE_APPROVAL] = "Your invitation is waiting for my delegate's approval.",
    [CONF_TEXT_TENTATIVE_CONFLICT] =
        "I have another meeting then, so I can only accept tentatively.",
    [CONF_TEXT_DECLINE] = "Sorry, I can't attend.",
    [CONF_TEXT_DECLINE_CONFLICT] = "Sorry, I have another meeting then.",
    [CONF_TEXT_DECLINE_NOT_ALLOWED] = "Sorry, I can't attend.",
    [CONF_TEXT_DECLINE_OUT_OF_POLICY] = "Sorry, that time doesn't work for me.",
};

/* S with every "room" word replaced by "equipment"; caller frees. */
static char *room_to_equipment(const char *s)
{
    struct strbuf b = {0};
    while (*s) {
        const char *hit = strstr(s, "room");
        bool word = hit && (hit == s || hit[-1] == ' ') &&
                    (hit[4] == '\0' || hit[4] == ' ' || hit[4] == '\'' || hit[4] == ')');
        if (hit == NULL) {
            strbuf_puts(&b, s);
            break;
        }
        strbuf_put(&b, s, (size_t)(hit - s));
        strbuf_puts(&b, word ? "equipment" : "room");
        s = hit + 4;
    }
    return strbuf_take(&b);
}

void policy_text_for_kind(struct decider *d)
{
    if (d->ctx->kind != CONF_KIND_EQUIPMENT)
        return;
    /* The reasons are written for rooms; equipment is booked the same way. */
    for (size_t i = 0; i < d->out->n_checks; i++) {
        struct policy_check *c = &d->out->checks[i];
        if (d->tell[i] && c->text == NULL && strstr(c->reason, "room") != NULL)
            c->text = room_to_equipment(c->reason);
    }
}

const char *policy_text_default(enum conf_kind kind, enum conf_text text)
{
    if ((unsigned)text >= CONF_TEXT_COUNT)
        text = CONF_TEXT_DECLINE;
    return kind == CONF_KIND_PERSON ? person_texts[text] : room_texts[text];
}

/* Which sentence D's decision opens with. */
static enum conf_text text_of(const struct decider *d)
{
    switch (d->out->decision) {
    case POLICY_ACCEPT:
        return CONF_TEXT_ACCEPT;
    case POLICY_TENTATIVE:
        return d->text == CONF_TEXT_TENTATIVE_APPROVAL || d->text == CONF_TEXT_TENTATIVE_CONFLICT
                   ? d->text
                   : CONF_TEXT_TENTATIVE;
    case POLICY_DECLINE:
    case POLICY_IGNORE:
        break;
    }
    return d->text >= CONF_TEXT_DECLINE ? d->text : CONF_TEXT_DECLINE;
}

char *policy_text_opening(const struct decider *d)
{
    enum conf_text which = text_of(d);
    const char *template = d->pol->texts[which];
    /* The built-in sentence is a detail like the reasons after it; a policy's own text is
     * said whatever enable_response_details says. */
    if (template == NULL && d->pol->enable_response_details)
        template = policy_text_default(d->ctx->kind, which);
    if (template == NULL)
        return NULL;
    if (*template == '\0')
        return NULL; /* set empty on purpose: no opening sentence */
    const struct item *req = d->req;
    char date[11], hm[6], start[24] = "", end[24] = "";
    if (req->start != 0 && req->end >= req->start) {
        policy_time_format_date(req->start, date);
        policy_time_format_hm(req->start, hm);
        snprintf(start, sizeof(start), "%s %s", date, hm);
        char end_date[11];
        policy_time_format_date(req->end, end_date);
        policy_time_format_hm(req->end, hm);
        if (strcmp(end_date, date) == 0)
            snprintf(end, sizeof(end), "%s", hm);
        else
            snprintf(end, sizeof(end), "%s %s", end_date, hm);
    }
    const struct item_mailbox *org = &req->organizer;
    const char *room = nonempty(d->ctx->mailbox_name)      ? d->ctx->mailbox_name
                       : nonempty(d->ctx->mailbox_address) ? d->ctx->mailbox_address
                                                           : "the room";
    struct text_template_values v = {
        .start = start,
        .end = end,
        .organizer = nonempty(org->name) ? org->name : d->label,
        .room = room,
        .subject = req->subject,
    };
    return text_template_render(template, &v);
}
