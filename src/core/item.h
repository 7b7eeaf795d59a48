/* item.h - the DynamoDB item of a widget.
 *
 * A widget is one item: the partition key (default "id", configurable) holds the widgetId;
 * "owner", "label", "description" are string attributes (label/description left out when
 * absent); every other attribute is its own top-level string attribute.
 *
 * Collisions, handled deliberately: an other attribute whose name is a core name ("id", the key
 * name, "owner", "label", "description") or starts with the escape prefix "attr_" is stored as
 * "attr_" + name. Reading an item strips one "attr_" again, so every name round-trips exactly:
 *   other "owner" -> "attr_owner",  other "attr_x" -> "attr_attr_x",  other "color" -> "color".
 *
 * Attribute names come from untrusted input: they only ever reach DynamoDB as names in the
 * item's JSON (a PutItem of the whole item), never inside an expression.
 * The JSON produced is DynamoDB's wire form ({"S": "..."}), ready to send.
 */
#ifndef WC_ITEM_H
#define WC_ITEM_H

#include <jansson.h>

#include "common/error.h"
#include "core/request.h"
#include "core/widget.h"

#define WC_ITEM_ESCAPE "attr_"

/* Reserved names (exact order, core/ledger.h): the ledger's JSON, a version counter for
 * conditional writes, and on a tombstone (a deleted widget's item: the key and these, no owner)
 * its expiry in epoch seconds for DynamoDB's TTL. An other attribute whose name starts with
 * "wc:" is escaped like a core name ("wc:x" -> "attr_wc:x"); reading an item skips them. */
#define WC_ITEM_RESERVED "wc:"
#define WC_ITEM_LEDGER   "wc:ledger"
#define WC_ITEM_VERSION  "wc:version"
#define WC_ITEM_EXPIRES  "wc:expires"

/* The one rule a plain reader of the table (a Scan, widget-verify) needs, stated in
 * docs/guarantees.md (where the ledger lives):
 * an item with an "owner" attribute is a widget (a tombstone has none); an attribute whose name
 * starts with "wc:" is the consumer's, never a widget's (a widget's own "wc:x" is stored as
 * "attr_wc:x", and "attr_" is stripped once when read). */
int wc_item_is_widget(json_t *item);
int wc_item_is_consumers(const char *item_name);

/* The item attribute name of an other attribute. Caller frees. */
char *wc_item_attr_name(const char *name, const char *key_name);

/* The other-attribute name of an item attribute, or NULL for a core attribute. Caller frees. */
char *wc_item_other_name(const char *item_name, const char *key_name);

/* The item (DynamoDB JSON, a new reference) of a widget. */
json_t *wc_item_from_widget(const wc_widget *w, const char *key_name);

/* A widget from an item (DynamoDB JSON). Attribute order is not kept by DynamoDB: they come
 * back sorted by name. */
wc_result wc_item_to_widget(json_t *item, const char *key_name, wc_widget **out, wc_error *err);

#endif
