/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a process the daemon forks inherits (spec §5 scenario 26; the control
 * socket's "forkprobe", docs/control.md).
 *
 * forkprobe() forks once; the child searches every private anonymous mapping
 * it inherited for @needle and reports the mapping it found it in. A buffer
 * the daemon keeps MADV_DONTFORK is not in the child at all; a buffer fork
 * shares shows the child whatever it held at that moment, the data of
 * requests in flight included. The test gives the daemon the needle encoded
 * (each byte XOR FORKPROBE_KEY) so that it is nowhere in the daemon's memory
 * except where the data itself lies; the child decodes it into its own stack,
 * which the search skips.
 */
#ifndef PINFS_FORKPROBE_H
#define PINFS_FORKPROBE_H

#include <stddef.h>

#include "ctl_proto.h"

/*
 * Fork and search. @encoded holds @len (1..CTL_FORKPROBE_MAX) bytes XOR
 * CTL_FORKPROBE_KEY. Returns 1 when the child found the needle (@where gets the
 * mapping's line of /proc/self/maps), 0 when it did not, or a negative errno.
 */
int forkprobe(const unsigned char *encoded, size_t len, char *where, size_t wlen);

#endif
