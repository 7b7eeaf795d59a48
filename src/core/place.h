/* place.h - a request's place in production order: what exact order sorts by.
 *
 * A place is 1..WC_PLACE_MAX printable ASCII characters, and places compare as byte strings. The
 * sources give them (docs/guarantees.md): an S3 key after the request prefix or a file name
 * (13-digit epoch milliseconds first), the producer's `sequence` message attribute on SQS
 * ("<13-digit ms>-<10-digit counter>"), or, for a message without one, a place made from what
 * SQS says of it:
 *
 *     <13-digit SentTimestamp> "." <rank> "~" <12 characters of SHA-256(MessageId), base64url>
 *
 * SentTimestamp has millisecond resolution, and every message of one SendMessageBatch carries
 * the same one. Within one millisecond the rank orders the requests as production must have:
 * a create (0) before an update (1) before a delete (2) of its widget. The source does not read
 * the body, so it writes the rank as '?' and the consumer fills it in once the request's type is
 * known (wc_place_with_type). What follows the '~' is arbitrary but the same in every consumer:
 * two such places equal up to their '~' and different after it are a TIE broken arbitrarily (two
 * updates of one widget in one millisecond): wc_place_tied tells, so it can be counted.
 */
#ifndef WC_PLACE_H
#define WC_PLACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/request.h"

/* Longest place accepted (a source's key, or the producer's sequence). */
#define WC_PLACE_MAX 200

/* Whether a place can be used: 1..WC_PLACE_MAX printable ASCII characters. */
int wc_place_is_valid(const char *place);

/* Orders two places (<0, 0, >0); NULL (unknown) comes before every place. Counted (below). */
int wc_place_compare(const char *a, const char *b);

/* Whether a and b are different places of SQS messages that tie up to their '~' (see above). */
int wc_place_tied(const char *a, const char *b);

/* The place of an SQS message without a `sequence` attribute: sent_ms and the message id, the
 * rank still '?'. Writes at most cap bytes (NUL included; 32 are enough). 0: id empty. */
int wc_place_of_message(uint64_t sent_ms, const char *message_id, char *out, size_t cap);

/* The place a request of this type has: place itself, or, for a place made by
 * wc_place_of_message, a copy with its rank filled in. Caller frees. NULL: out of memory. */
char *wc_place_with_type(const char *place, wc_request_type type);

/* How many place comparisons were made since the last reset: lets tests bound the cost of the
 * ledger's rules by counting, not timing. */
uint64_t wc_place_comparisons(void);
void wc_place_comparisons_reset(void);

#endif
