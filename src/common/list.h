/* list.h - an intrusive doubly linked list: a record embeds a wc_link and is on at most one list
 * through it; a zeroed wc_list is empty, so no list needs an init. Every operation is O(1) and
 * allocates nothing; the records stay their owner's. WC_LIST_ENTRY gets the record back from its
 * link (NULL from NULL). */
#ifndef WC_LIST_H
#define WC_LIST_H

#include <stddef.h>

typedef struct wc_link {
    struct wc_link *prev, *next;
} wc_link;

typedef struct {
    wc_link *first, *last;
} wc_list;

static inline void *wc_list_record(wc_link *l, size_t offset)
{
    return l ? (char *)l - offset : NULL;
}
#define WC_LIST_ENTRY(l, type, member) ((type *)wc_list_record((l), offsetof(type, member)))

/* Links l after at, or first when at is NULL. */
static inline void wc_list_insert_after(wc_list *list, wc_link *at, wc_link *l)
{
    l->prev = at;
    l->next = at ? at->next : list->first;
    *(l->next ? &l->next->prev : &list->last) = l;
    *(at ? &at->next : &list->first) = l;
}

static inline void wc_list_append(wc_list *list, wc_link *l)
{
    wc_list_insert_after(list, list->last, l);
}

static inline void wc_list_remove(wc_list *list, wc_link *l)
{
    *(l->prev ? &l->prev->next : &list->first) = l->next;
    *(l->next ? &l->next->prev : &list->last) = l->prev;
    l->prev = l->next = NULL;
}

/* Whether l is on list (a removed link is unlinked: wc_list_remove clears it). */
static inline int wc_list_linked(const wc_list *list, const wc_link *l)
{
    return l->prev || list->first == l;
}

/* Takes the first link off the list: it, or NULL when the list is empty. */
static inline wc_link *wc_list_pop(wc_list *list)
{
    wc_link *l = list->first;
    if (l)
        wc_list_remove(list, l);
    return l;
}

#endif
