// SPDX-License-Identifier: GPL-2.0-or-later
/* Node ids (nodeid.h). */
#include <string.h>

#include "nodeid.h"

/* The kernel's FILEID_INO32_GEN (include/linux/exportfs.h): u32 inode number, u32 generation. */
#define FILEID_INO32_GEN 1

struct ino32_gen {
	uint32_t ino, gen;
};

_Static_assert(sizeof(struct ino32_gen) == NODEID_HANDLE_BYTES,
	       "a stable node id is exactly a FILEID_INO32_GEN handle");

void nodeid_scheme_init(struct nodeid_scheme *s, const struct file_handle *source_fh, dev_t dev)
{
	s->stable = source_fh && source_fh->handle_type == FILEID_INO32_GEN &&
		    source_fh->handle_bytes == NODEID_HANDLE_BYTES;
	s->handle_type = source_fh ? source_fh->handle_type : 0;
	s->dev = dev;
	atomic_init(&s->next, FUSE_ROOT_ID + 1);
}

/* The stable id of an inode on @dev with handle @fh, or 0 for none. */
static fuse_ino_t stable_id(const struct nodeid_scheme *s, const struct file_handle *fh, dev_t dev)
{
	struct ino32_gen fid;

	if (!s->stable || !fh || fh->handle_type != s->handle_type ||
	    fh->handle_bytes != NODEID_HANDLE_BYTES || dev != s->dev)
		return 0;
	memcpy(&fid, fh->f_handle, sizeof(fid));
	/* Generation 0 would land among the counter ids. */
	return fid.gen ? (fuse_ino_t)fid.gen << 32 | fid.ino : 0;
}

fuse_ino_t nodeid_assign(struct nodeid_scheme *s, const struct file_handle *fh, dev_t dev,
			 bool *stable)
{
	fuse_ino_t id = stable_id(s, fh, dev);

	*stable = id != 0;
	return id ? id : atomic_fetch_add(&s->next, 1);
}

bool nodeid_handle(const struct nodeid_scheme *s, fuse_ino_t id, struct file_handle *fh)
{
	struct ino32_gen fid = { (uint32_t)id, (uint32_t)(id >> 32) };

	if (!s->stable || !fid.gen)
		return false;
	fh->handle_type = s->handle_type;
	fh->handle_bytes = NODEID_HANDLE_BYTES;
	memcpy(fh->f_handle, &fid, sizeof(fid));
	return true;
}
