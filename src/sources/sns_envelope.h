/* sns_envelope.h - an SQS message that an SNS topic delivered without raw delivery.
 *
 * Such a message's body is SNS's envelope, a JSON object:
 *   {"Type":"Notification","MessageId":…,"TopicArn":…,"Message":"<the request JSON as a string>",
 *    "Timestamp":"2026-12-03T11:29:33.123Z","SignatureVersion":…,"Signature":…,
 *    "MessageAttributes":{"sequence":{"Type":"String","Value":"…"}}, …}
 * The SQS source hands out the request inside (Message) in its place, and takes the request's
 * place from the envelope: the producer's `sequence` attribute when there is one, else the
 * Timestamp (epoch milliseconds) and the SNS MessageId, in the form of an SQS message without a
 * sequence (core/place.h). The signature is not checked (README "SNS topics").
 *
 * A body is an envelope when it is a JSON object with a member "Type" (a request's is "type"). */
#ifndef WC_SNS_ENVELOPE_H
#define WC_SNS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "sources/source.h"

typedef enum {
    WC_SNS_ENVELOPE_AUTO = 0, /* an envelope is unwrapped, any other body is a request */
    WC_SNS_ENVELOPE_SNS,      /* every body must be an envelope: any other is rejected */
    WC_SNS_ENVELOPE_NONE      /* bodies are requests as they are (an envelope is a bad request) */
} wc_sns_envelope_mode;

/* The mode of its name ("auto", "sns", "none"). 0: no such mode. */
int wc_sns_envelope_mode_parse(const char *name, wc_sns_envelope_mode *out);

/* Unwraps msg, read from SQS (its body whole, NUL-terminated), as mode says:
 *  - an envelope: msg->body becomes its Message (msg->len, msg->too_large against max_body) and
 *    msg->place its place (or place_why says why it has none);
 *  - a malformed envelope (Type not "Notification"; Message, MessageId or TopicArn missing,
 *    empty or not a string; a Timestamp that is not ISO 8601 UTC; a sequence attribute without
 *    a string Value), or with mode SNS a body that is no envelope: msg->reject_why says why,
 *    and the body is left whole (it is dead-lettered as it came);
 *  - anything else (mode NONE, a body over the cap, a request): untouched.
 * WC_ERR_NOMEM: out of memory, msg possibly half changed (the caller drops it). */
wc_result wc_sns_envelope_unwrap(wc_message *msg, wc_sns_envelope_mode mode, size_t max_body);

/* Epoch milliseconds of an SNS Timestamp, "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (UTC, at least one
 * fraction optional; its digits past milliseconds are dropped). 0: not that form, or
 * not a real date from 1970 on. */
int wc_sns_timestamp_ms(const char *text, uint64_t *out);

#endif
