/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intrusive doubly-linked lists, as the kernel's list_head: a node lives in
 * its owner (find the owner with container_of(), pinfs.h), a head is a node
 * that belongs to no owner, and a node on no list points to itself. The
 * caller serialises every operation on a list and on its nodes.
 */
#ifndef PINFS_LIST_H
#define PINFS_LIST_H

#include <stdbool.h>

struct list_node {
	struct list_node *prev, *next;
};

/* An empty list, or a node on no list. */
static inline void list_init(struct list_node *n)
{
	n->prev = n->next = n;
}

/* True if the node @n is on a list (for a head: if its list is not empty). */
static inline bool list_linked(const struct list_node *n)
{
	return n->next != n;
}

/* Append @n, which is on no list, to the list @head. */
static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

/* Take @n off its list; it points to itself afterwards. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

#endif
