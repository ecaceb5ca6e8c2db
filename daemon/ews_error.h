/*
 * ews_error: EWS ResponseCode strings <-> an enum, and what a caller should do about each.
 *
 * Only the codes meetingd can meet or must treat specially have their own value; any other
 * ResponseCode maps to EWS_ERROR_OTHER (ews_parse keeps the original text next to it).
 * Names are the exact m:ResponseCodeType spellings from messages.xsd.
 */
#ifndef MEETINGD_EWS_ERROR_H
#define MEETINGD_EWS_ERROR_H

enum ews_error {
    EWS_OK = 0,      /* NoError */
    EWS_ERROR_OTHER, /* a code not listed here (or no code at all) */

    /* transient: server, store or directory trouble */
    EWS_ERR_SERVER_BUSY,
    EWS_ERR_TIMEOUT_EXPIRED,
    EWS_ERR_CONNECTION_FAILED,
    EWS_ERR_INTERNAL_SERVER_ERROR,
    EWS_ERR_INTERNAL_SERVER_TRANSIENT_ERROR,
    EWS_ERR_MAILBOX_MOVE_IN_PROGRESS,
    EWS_ERR_MAILBOX_STORE_UNAVAILABLE,
    EWS_ERR_MAILBOX_FAILOVER,
    EWS_ERR_TOO_MANY_OBJECTS_OPENED,
    EWS_ERR_EXCEEDED_CONNECTION_COUNT,
    EWS_ERR_AD_UNAVAILABLE,
    EWS_ERR_AD_OPERATION,
    EWS_ERR_BATCH_PROCESSING_STOPPED,
    EWS_ERR_INSUFFICIENT_RESOURCES,
    EWS_ERR_NOT_ENOUGH_MEMORY,
    EWS_ERR_PROXY_REQUEST_PROCESSING_FAILED,
    EWS_ERR_NO_RESPONDING_CAS_IN_DESTINATION_SITE,
    EWS_ERR_REQUEST_ABORTED,

    /* the item (or occurrence) no longer exists or the id is unusable */
    EWS_ERR_ITEM_NOT_FOUND,
    EWS_ERR_INVALID_ID_MALFORMED,
    EWS_ERR_INVALID_ID,
    EWS_ERR_INVALID_ID_EMPTY,
    EWS_ERR_INVALID_ID_XML,
    EWS_ERR_INVALID_ID_STORE_OBJECT_ID_TOO_LONG,
    EWS_ERR_ITEM_CORRUPT,
    EWS_ERR_CALENDAR_IS_CANCELLED_FOR_ACCEPT,
    EWS_ERR_CALENDAR_IS_CANCELLED_FOR_DECLINE,
    EWS_ERR_CALENDAR_IS_CANCELLED_FOR_TENTATIVE,
    EWS_ERR_CALENDAR_IS_CANCELLED_FOR_REMOVE,
    EWS_ERR_CALENDAR_OCCURRENCE_IS_DELETED_FROM_RECURRENCE,
    EWS_ERR_CALENDAR_OCCURRENCE_INDEX_IS_OUT_OF_RECURRENCE_RANGE,
    EWS_ERR_CALENDAR_CANNOT_USE_ID_FOR_OCCURRENCE_ID,
    EWS_ERR_CALENDAR_CANNOT_USE_ID_FOR_RECURRING_MASTER_ID,

    /* the change key is stale: refetch, then retry */
    EWS_ERR_IRRESOLVABLE_CONFLICT,
    EWS_ERR_INVALID_CHANGE_KEY,
    EWS_ERR_STALE_OBJECT,
    EWS_ERR_CHANGE_KEY_REQUIRED,
    EWS_ERR_CHANGE_KEY_REQUIRED_FOR_WRITE_OPERATIONS,

    /* a newer meeting request superseded the one answered */
    EWS_ERR_CALENDAR_MEETING_REQUEST_IS_OUT_OF_DATE,

    /* the mailbox cannot be used: rights, impersonation, address, account, quota */
    EWS_ERR_ACCESS_DENIED,
    EWS_ERR_IMPERSONATE_USER_DENIED,
    EWS_ERR_IMPERSONATION_DENIED,
    EWS_ERR_IMPERSONATION_FAILED,
    EWS_ERR_INVALID_EXCHANGE_IMPERSONATION_HEADER_DATA,
    EWS_ERR_NON_EXISTENT_MAILBOX,
    EWS_ERR_ACCOUNT_DISABLED,
    EWS_ERR_INVALID_SID,
    EWS_ERR_INVALID_USER_SID,
    EWS_ERR_INVALID_USER_PRINCIPAL_NAME,
    EWS_ERR_NON_PRIMARY_SMTP_ADDRESS,
    EWS_ERR_INVALID_SMTP_ADDRESS,
    EWS_ERR_SEND_AS_DENIED,
    EWS_ERR_CREATE_ITEM_ACCESS_DENIED,
    EWS_ERR_MAIL_RECIPIENT_NOT_FOUND,
    EWS_ERR_FOLDER_NOT_FOUND,
    EWS_ERR_CALLER_IS_INVALID_AD_ACCOUNT,
    EWS_ERR_PASSWORD_EXPIRED,
    EWS_ERR_PASSWORD_CHANGE_REQUIRED,
    EWS_ERR_MAILBOX_CONFIGURATION,
    EWS_ERR_QUOTA_EXCEEDED,

    /* our request is wrong (or impossible): log it, do not retry tightly */
    EWS_ERR_SCHEMA_VALIDATION,
    EWS_ERR_INVALID_REQUEST,
    EWS_ERR_INVALID_SERVER_VERSION,
    EWS_ERR_INVALID_OPERATION,
    EWS_ERR_INVALID_PROPERTY_REQUEST,
    EWS_ERR_INVALID_PROPERTY_SET,
    EWS_ERR_INVALID_RESTRICTION,
    EWS_ERR_INVALID_RECIPIENTS,
    EWS_ERR_MISSING_RECIPIENTS,
    EWS_ERR_CALENDAR_VIEW_RANGE_TOO_BIG,
    EWS_ERR_CALENDAR_DURATION_IS_TOO_LONG,
    EWS_ERR_CALENDAR_END_DATE_IS_EARLIER_THAN_START_DATE,
    EWS_ERR_CALENDAR_INVALID_RECURRENCE,
    EWS_ERR_CALENDAR_INVALID_TIME_ZONE,
    EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_ACCEPT,
    EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_DECLINE,
    EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_TENTATIVE,
    EWS_ERR_CALENDAR_IS_ORGANIZER_FOR_REMOVE,
    EWS_ERR_CALENDAR_IS_NOT_ORGANIZER,
    EWS_ERR_CALENDAR_IS_DELEGATED_FOR_ACCEPT,
    EWS_ERR_CALENDAR_IS_DELEGATED_FOR_DECLINE,
    EWS_ERR_CALENDAR_IS_DELEGATED_FOR_TENTATIVE,
    EWS_ERR_CALENDAR_IS_DELEGATED_FOR_REMOVE,
    EWS_ERR_MESSAGE_SIZE_EXCEEDED,
    EWS_ERR_DATA_SIZE_LIMIT_EXCEEDED,
    EWS_ERR_CANNOT_DELETE_OBJECT,
    EWS_ERR_MESSAGE_DISPOSITION_REQUIRED,
    EWS_ERR_SEND_MEETING_INVITATIONS_REQUIRED,
    EWS_ERR_SEND_MEETING_CANCELLATIONS_REQUIRED,
    EWS_ERR_EXCEEDED_FIND_COUNT_LIMIT,
    EWS_ERR_INVALID_SCHEMA_VERSION_FOR_MAILBOX_VERSION,

    EWS_ERROR_COUNT /* number of values; not an error */
};

/* What the caller should do with an item / request that failed with a given code. */
enum ews_error_action {
    EWS_ACTION_NONE,        /* EWS_OK: nothing to do */
    EWS_ACTION_RETRY_LATER, /* transient: back off (honour BackOffMilliseconds) and retry */
    EWS_ACTION_ITEM_GONE,   /* the item/occurrence is gone or cancelled: skip this item */
    EWS_ACTION_CONFLICT,    /* stale ChangeKey: refetch the item and retry once */
    EWS_ACTION_OUT_OF_DATE, /* a newer meeting request exists: answer that one instead */
    EWS_ACTION_AUTH,        /* mailbox unusable (rights, impersonation, address, account,
                               quota): treat the mailbox as misconfigured, back off long */
    EWS_ACTION_PERMANENT,   /* our request is wrong or impossible: log, do not retry tightly */
};

/* The ResponseCode spelling of e ("NoError", "ErrorServerBusy"...); "ErrorOther" for
 * EWS_ERROR_OTHER and "Invalid" for out-of-range values. Never NULL. */
const char *ews_error_name(enum ews_error e);

/* The enum for a ResponseCode string (exact, case-sensitive match as on the wire).
 * "NoError" gives EWS_OK; NULL or an unlisted code gives EWS_ERROR_OTHER. */
enum ews_error ews_error_from_name(const char *name);

/* How to react to e. EWS_ERROR_OTHER (unknown code) is EWS_ACTION_PERMANENT. */
enum ews_error_action ews_error_action(enum ews_error e);


#endif
