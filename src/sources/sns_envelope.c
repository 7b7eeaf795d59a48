#include "sources/sns_envelope.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/sqs.h"
#include "core/place.h"

#define WHY_MAX 240 /* a reject reason's length */

int wc_sns_envelope_mode_parse(const char *name, wc_sns_envelope_mode *out)
{
    static const char *const names[] = {"auto", "sns", "none"};
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (wc_sns_envelope_mode)i;
            return 1;
        }
    return 0;
}

/* n digits at *p into *out, moving *p past them. 0: not n digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, ++*p) {
        if (**p < '0' || **p > '9')
            return 0;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 1;
}

int wc_sns_timestamp_ms(const char *text, uint64_t *out)
{
    const char *p = text;
    int year, mon, day, hour, min, sec, ms = 0;
    if (!p || !digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
        !digits(&p, 2, &day) || *p++ != 'T' || !digits(&p, 2, &hour) || *p++ != ':' ||
        !digits(&p, 2, &min) || *p++ != ':' || !digits(&p, 2, &sec))
        return 0;
    if (*p == '.') { /* a fraction: its first three digits are the milliseconds (.5 is 500) */
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                ms = ms * 10 + (*p - '0');
        if (n == 0)
            return 0;
        for (; n < 3; n++)
            ms *= 10;
    }
    if (*p++ != 'Z' || *p != '\0')
        return 0;
    if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 59)
        return 0;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = min,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    struct tm back;
    /* timegm carries a 31st of a shorter month into the next one: not a real date */
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != day || back.tm_mon != mon - 1)
        return 0;
    uint64_t value = (uint64_t)t * 1000 + (uint64_t)ms;
    if (value > 9999999999999ULL) /* 13 digits: what a place starts with */
        return 0;
    *out = value;
    return 1;
}

/* At most 40 characters of an outside text for a reason, each not printable ASCII as '?': the
 * reason goes into the log and into an SQS message attribute, which refuses control
 * characters. */
static const char *shown(const char *text, char out[41])
{
    size_t i = 0;
    for (; i < 40 && text[i]; i++)
        out[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
    out[i] = '\0';
    return out;
}

/* Why the envelope cannot be read: a reject reason. NULL: it can (its fields are in the out
 * parameters, borrowed from root). */
static const char *check(json_t *root, const char **message, const char **id, uint64_t *ms,
                         const char **sequence, char *why)
{
    const char *type = json_string_value(json_object_get(root, "Type"));
    json_t *seq = json_object_get(json_object_get(root, "MessageAttributes"), WC_SQS_SEQUENCE);
    *message = json_string_value(json_object_get(root, "Message"));
    *id = json_string_value(json_object_get(root, "MessageId"));
    *sequence = json_string_value(json_object_get(seq, "Value"));
    const char *timestamp = json_string_value(json_object_get(root, "Timestamp"));
    char text[41];
    if (!type)
        return "SNS envelope whose Type is not a string";
    if (strcmp(type, "Notification") != 0) {
        snprintf(why, WHY_MAX,
                 "SNS message of Type \"%s\" is not a Notification (a subscription to confirm, "
                 "or not from SNS): no request in it",
                 shown(type, text));
        return why;
    }
    if (!*message)
        return "SNS envelope (Type Notification) without a Message string";
    if (!**message) /* SNS publishes none: and an empty dead letter could not be sent */
        return "SNS envelope (Type Notification) with an empty Message";
    if (!*id || !**id)
        return "SNS envelope (Type Notification) without a MessageId string";
    const char *topic = json_string_value(json_object_get(root, "TopicArn"));
    if (!topic || !*topic)
        return "SNS envelope (Type Notification) without a TopicArn string";
    if (!timestamp || !wc_sns_timestamp_ms(timestamp, ms)) {
        snprintf(why, WHY_MAX,
                 "SNS envelope (Type Notification) whose Timestamp \"%s\" is not ISO 8601 UTC "
                 "(YYYY-MM-DDTHH:MM:SS.sssZ)",
                 timestamp ? shown(timestamp, text) : "(missing or not a string)");
        return why;
    }
    if (seq && !*sequence)
        return "SNS envelope whose message attribute " WC_SQS_SEQUENCE " has no string Value";
    return NULL;
}

static wc_result reject(wc_message *msg, const char *why)
{
    free(msg->reject_why);
    msg->reject_why = strdup(why);
    return msg->reject_why ? WC_OK : WC_ERR_NOMEM;
}

wc_result wc_sns_envelope_unwrap(wc_message *msg, wc_sns_envelope_mode mode, size_t max_body)
{
    if (mode == WC_SNS_ENVELOPE_NONE || msg->too_large || !msg->body)
        return WC_OK;
    /* Parsed once for every reader (wc_message_doc), within max_body. Duplicate members make
     * it no envelope: the request parser then rejects the body for them. */
    json_t *root = wc_message_doc(msg), *held = NULL;
    wc_result result = WC_OK;
    char why[WHY_MAX];
    const char *message, *id, *sequence, *bad;
    uint64_t ms = 0;
    if (!json_is_object(root) || !json_object_get(root, "Type")) {
        if (mode == WC_SNS_ENVELOPE_SNS)
            result = reject(msg, "not an SNS envelope (a JSON object with Type "
                                 "\"Notification\"), and --sqs-envelope is sns");
    } else if ((bad = check(root, &message, &id, &ms, &sequence, why))) {
        result = reject(msg, bad);
    } else {
        char *inner = strdup(message);
        if (!inner) {
            result = WC_ERR_NOMEM;
        } else {
            held = json_incref(root); /* message, id, sequence point into it: kept to the end */
            wc_message_drop_doc(msg);
            free(msg->body);
            msg->body = inner;
            msg->len = strlen(inner);
            msg->too_large = msg->len > max_body;
            if (sequence)
                wc_message_set_place(msg, sequence, "SNS message attribute " WC_SQS_SEQUENCE);
            else {
                char place[WC_PLACE_MAX + 1];
                wc_message_set_place(
                    msg, wc_place_of_message(ms, id, place, sizeof(place)) ? place : NULL,
                    "SNS Timestamp and MessageId");
            }
            if (!msg->place && !msg->place_why)
                result = WC_ERR_NOMEM;
        }
    }
    json_decref(held);
    return result;
}
