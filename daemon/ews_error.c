/*
 * ews_error: ResponseCode <-> enum and the action table (see ews_error.h).
 */
#include "ews_error.h"

#include <stddef.h>
#include <string.h>

struct ews_error_row {
    const char *name;
    enum ews_error_action action;
};

/*
 * One row per enum value. The actions follow Microsoft's ResponseCode reference: server,
 * store and directory failures are transient (ErrorBatchProcessingStopped is what Exchange
 * answers for the rest of a batch after such a failure); "IsCancelledFor..." means the
 * meeting was cancelled meanwhile, so there is nothing left to answer; quota and account
 * problems are properties of the mailbox, not of one request.
 */
static const struct ews_error_row ews_error_rows[EWS_ERROR_COUNT] = {
    [EWS_OK] = {"NoError", EWS_ACTION_NONE},
    [EWS_ERROR_OTHER] = {"ErrorOther", EWS_ACTION_PERMANENT},
    [EWS_ERR_SERVER_BUSY] = {"ErrorServerBusy", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_TIMEOUT_EXPIRED] = {"ErrorTimeoutExpired", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_CONNECTION_FAILED] = {"ErrorConnectionFailed", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_INTERNAL_SERVER_ERROR] = {"ErrorInternalServerError", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_INTERNAL_SERVER_TRANSIENT_ERROR] = {"ErrorInternalServerTransientError",
                                                 EWS_ACTION_RETRY_LATER},
    [EWS_ERR_MAILBOX_MOVE_IN_PROGRESS] = {"ErrorMailboxMoveInProgress", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_MAILBOX_STORE_UNAVAILABLE] = {"ErrorMailboxStoreUnavailable", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_MAILBOX_FAILOVER] = {"ErrorMailboxFailover", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_TOO_MANY_OBJECTS_OPENED] = {"ErrorTooManyObjectsOpened", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_EXCEEDED_CONNECTION_COUNT] = {"ErrorExceededConnectionCount", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_AD_UNAVAILABLE] = {"ErrorADUnavailable", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_AD_OPERATION] = {"ErrorADOperation", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_BATCH_PROCESSING_STOPPED] = {"ErrorBatchProcessingStopped", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_INSUFFICIENT_RESOURCES] = {"ErrorInsufficientResources", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_NOT_ENOUGH_MEMORY] = {"ErrorNotEnoughMemory", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_PROXY_REQUEST_PROCESSING_FAILED] = {"ErrorProxyRequestProcessingFailed",
                                                 EWS_ACTION_RETRY_LATER},
    [EWS_ERR_NO_RESPONDING_CAS_IN_DESTINATION_SITE] = {"ErrorNoRespondingCASInDestinationSite",
                                                       EWS_ACTION_RETRY_LATER},
    [EWS_ERR_REQUEST_ABORTED] = {"ErrorRequestAborted", EWS_ACTION_RETRY_LATER},
    [EWS_ERR_ITEM_NOT_FOUND] = {"ErrorItemNotFound", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_INVALID_ID_MALFORMED] = {"ErrorInvalidIdMalformed", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_INVALID_ID] = {"ErrorInvalidId", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_INVALID_ID_EMPTY] = {"ErrorInvalidIdEmpty", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_INVALID_ID_XML] = {"ErrorInvalidIdXml", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_INVALID_ID_STORE_OBJECT_ID_TOO_LONG] = {"ErrorInvalidIdStoreObjectIdTooLong",
                                                     EWS_ACTION_ITEM_GONE},
    [EWS_ERR_ITEM_CORRUPT] = {"ErrorItemCorrupt", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_IS_CANCELLED_FOR_ACCEPT] = {"ErrorCalendarIsCancelledForAccept",
                                                  EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_IS_CANCELLED_FOR_DECLINE] = {"ErrorCalendarIsCancelledForDecline",
                                                   EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_IS_CANCELLED_FOR_TENTATIVE] = {"ErrorCalendarIsCancelledForTentative",
                                                     EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_IS_CANCELLED_FOR_REMOVE] = {"ErrorCalendarIsCancelledForRemove",
                                                  EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_OCCURRENCE_IS_DELETED_FROM_RECURRENCE] =
        {"ErrorCalendarOccurrenceIsDeletedFromRecurrence", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_OCCURRENCE_INDEX_IS_OUT_OF_RECURRENCE_RANGE] =
        {"ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_CANNOT_USE_ID_FOR_OCCURRENCE_ID] = {"ErrorCalendarCannotUseIdForOccurrenceId",
                                                          EWS_ACTION_ITEM_GONE},
    [EWS_ERR_CALENDAR_CANNOT_USE_ID_FOR_RECURRING_MASTER_ID] =
        {"ErrorCalendarCannotUseIdForRecurringMasterId", EWS_ACTION_ITEM_GONE},
    [EWS_ERR_IRRESOLVABLE_CONFLICT] = {"ErrorIrresolvableConflict", EWS_ACTION_CONFLICT},
    [EWS_ERR_INVALID_CHANGE_KEY] = {"ErrorInvalidChangeKey", EWS_ACTION_CONFLICT},
    [EWS_ERR_STALE_OBJECT] = {"ErrorStaleObject", EWS_ACTION_CONFLICT},
    [EWS_ERR_CHANGE_KEY_REQUIRED] = {"ErrorChangeKeyRequired", EWS_ACTION_CONFLICT},
    [EWS_ERR_CHANGE_KEY_REQUIRED_FOR_WRITE_OPERATIONS] =
        {"ErrorChangeKeyRequiredForWriteOperations", EWS_ACTION_CONFLICT},
    [EWS_ERR_CALENDAR_MEETING_REQUEST_IS_OUT_OF_DATE] = {"ErrorCalendarMeetingRequestIsOutOfDate",
                                                         EWS_ACTION_OUT_OF_DATE},
    [EWS_ERR_ACCESS_DENIED] = {"ErrorAccessDenied", EWS_ACTION_AUTH},
    [EWS_ERR_IMPERSONATE_USER_DENIED] = {"ErrorImpersonateUserDenied", EWS_ACTION_AUTH},
    [EWS_ERR_IMPERSONATION_DENIED] = {"ErrorImpersonationDenied", EWS_ACTION_AUTH},
    [EWS_ERR_IMPERSONATION_FAILED] = {"ErrorImpersonationFailed", EWS_ACTION_AUTH},
    [EWS_ERR_INVALID_EXCHANGE_IMPERSONATION_HEADER_DATA] =
        {"ErrorInvalidExchangeImpersonationHeaderData", EWS_ACTION_AUTH},
    [EWS_ERR_NON_EXISTENT_MAILBOX] = {"ErrorNonExistentMailbox", EWS_ACTION_AUTH},
    [EWS_ERR_ACCOUNT_DISABLED] = {"ErrorAccountDisabled", EWS_ACTION_AUTH},
    [EWS_ERR_INVALID_SID] = {"ErrorInvalidSid", EWS_ACTION_AUTH},
    [EWS_ERR_INVALID_USER_SID] = {"ErrorInvalidUserSid", EWS_ACTION_AUTH},
    [EWS_ERR_INVALID_USER_PRINCIPAL_NAME] = {"ErrorInvalidUserPrincipalName", EWS_ACTION_AUTH},
    [EWS_ERR_NON_PRIMARY_SMTP_ADDRESS] = {"ErrorNonPrimarySmtpAddress", EWS_ACTION_AUTH},
    [EWS_ERR_INVALID_SMTP_ADDRESS] = {"ErrorInvalidSmtpAddress", EWS_ACTION_AUTH},
    [EWS_ERR_SEND_AS_DENIED] = {"ErrorSendAsDenied", EWS_ACTION_AUTH},
    [EWS_ERR_CREATE_ITEM_ACCESS_DENIED] = {"ErrorCreateItemAccessDenied", EWS_ACTION_AUTH},
    [EWS_ERR_MAIL_RECIPIENT_NOT_FOUND] = {"ErrorMailRecipientNotFound", EWS_ACTION_AUTH},
    [EWS_ERR_FOLDER_NOT_FOUND] = {"ErrorFolderNotFound", EWS_ACTION_AUTH},
    [EWS_ERR_CALLER_IS_INVALID_AD_ACCOUNT] = {"ErrorCallerIsInvalidADAccount", EWS_ACTION_AUTH},
    [EWS_ERR_PASSWORD_EXPIRED] = {"ErrorPasswordExpired", EWS_ACTION_AUTH},
    [EWS_ERR_PASSWORD_CHANGE_REQUIRED] = {"ErrorPasswordChangeRequired", EWS_ACTION_AUTH},
    [EWS_ERR_MAILBOX_CONFIGURATION] = {"ErrorMailboxConfiguration", EWS_ACTION_AUTH},
    [EWS_ERR_QUOTA_EXCEEDED] = {"ErrorQuotaExceeded", EWS_ACTION_AUTH},
    [EWS_ERR_SCHEMA_VALIDATION] = {"ErrorSchemaValidation", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_REQUEST] = {"ErrorInvalidRequest", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_SERVER_VERSION] = {"ErrorInvalidServerVersion", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_OPERATION] = {"ErrorInvalidOperation", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_PROPERTY_REQUEST] = {"ErrorInvalidPropertyRequest", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_PROPERTY_SET] = {"ErrorInvalidPropertySet", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_RESTRICTION] = {"ErrorInvalidRestriction", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_RECIPIENTS] = {"ErrorInvalidRecipients", EWS_ACTION_PERMANENT},
    [EWS_ERR_MISSING_RECIPIENTS] = {"ErrorMissingRecipients", EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_VIEW_RANGE_TOO_BIG] = {"ErrorCalendarViewRangeTooBig", EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_DURATION_IS_TOO_LONG] = {"ErrorCalendarDurationIsTooLong",
                                               EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_END_DATE_IS_EARLIER_THAN_START_DATE] =
        {"ErrorCalendarEndDateIsEarlierThanStartDate", EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_INVALID_RECURRENCE] = {"ErrorCalendarInvalidRecurrence",
                                             EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_INVALID_TIME_ZONE] = {"ErrorCalendarInvalidTimeZone", EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_ACCEPT] = {"ErrorCalendarIsOrganizerForAccept",
                                                  EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_DECLINE] = {"ErrorCalendarIsOrganizerForDecline",
                                                   EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_TENTATIVE] = {"ErrorCalendarIsOrganizerForTentative",
                                                     EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_REMOVE] = {"ErrorCalendarIsOrganizerForRemove",
                                                  EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_NOT_ORGANIZER] = {"ErrorCalendarIsNotOrganizer", EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_DELEGATED_FOR_ACCEPT] = {"ErrorCalendarIsDelegatedForAccept",
                                                  EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_DELEGATED_FOR_DECLINE] = {"ErrorCalendarIsDelegatedForDecline",
                                                   EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_DELEGATED_FOR_TENTATIVE] = {"ErrorCalendarIsDelegatedForTentative",
                                                     EWS_ACTION_PERMANENT},
    [EWS_ERR_CALENDAR_IS_DELEGATED_FOR_REMOVE] = {"ErrorCalendarIsDelegatedForRemove",
                                                  EWS_ACTION_PERMANENT},
    [EWS_ERR_MESSAGE_SIZE_EXCEEDED] = {"ErrorMessageSizeExceeded", EWS_ACTION_PERMANENT},
    [EWS_ERR_DATA_SIZE_LIMIT_EXCEEDED] = {"ErrorDataSizeLimitExceeded", EWS_ACTION_PERMANENT},
    [EWS_ERR_CANNOT_DELETE_OBJECT] = {"ErrorCannotDeleteObject", EWS_ACTION_PERMANENT},
    [EWS_ERR_MESSAGE_DISPOSITION_REQUIRED] = {"ErrorMessageDispositionRequired",
                                              EWS_ACTION_PERMANENT},
    [EWS_ERR_SEND_MEETING_INVITATIONS_REQUIRED] = {"ErrorSendMeetingInvitationsRequired",
                                                   EWS_ACTION_PERMANENT},
    [EWS_ERR_SEND_MEETING_CANCELLATIONS_REQUIRED] = {"ErrorSendMeetingCancellationsRequired",
                                                     EWS_ACTION_PERMANENT},
    [EWS_ERR_EXCEEDED_FIND_COUNT_LIMIT] = {"ErrorExceededFindCountLimit", EWS_ACTION_PERMANENT},
    [EWS_ERR_INVALID_SCHEMA_VERSION_FOR_MAILBOX_VERSION] =
        {"ErrorInvalidSchemaVersionForMailboxVersion", EWS_ACTION_PERMANENT},
};

const char *ews_error_name(enum ews_error e)
{
    if ((unsigned)e >= EWS_ERROR_COUNT || ews_error_rows[e].name == NULL)
        return "Invalid";
    return ews_error_rows[e].name;
}

enum ews_error ews_error_from_name(const char *name)
{
    if (name == NULL)
        return EWS_ERROR_OTHER;
    /* A linear scan over ~100 short strings: only error paths and one NoError per
     * ResponseMessage go through here, so a hash table would not pay for itself. */
    for (unsigned i = 0; i < EWS_ERROR_COUNT; i++) {
        /* "ErrorOther" is our placeholder, not an Exchange code. */
        if (i == EWS_ERROR_OTHER)
            continue;
        if (ews_error_rows[i].name != NULL && strcmp(ews_error_rows[i].name, name) == 0)
            return (enum ews_error)i;
    }
    return EWS_ERROR_OTHER;
}

enum ews_error_action ews_error_action(enum ews_error e)
{
    if ((unsigned)e >= EWS_ERROR_COUNT || ews_error_rows[e].name == NULL)
        return EWS_ACTION_PERMANENT;
    return ews_error_rows[e].action;
}
