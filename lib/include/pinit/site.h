/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Call sites. Every report libpinit makes (a WARN, a pin mismatch, a leak)
 * names the caller's file, line and function, so the public entry points that
 * can report are macros that pass PINIT_SITE to an underscored function, as the
 * kernel's copy_to_iter() wraps _copy_to_iter().
 */
#ifndef PINIT_SITE_H
#define PINIT_SITE_H

struct pinit_site {
	const char *file;
	const char *func;
	int line;
};

/* A pointer to a static description of the current source location. */
#define PINIT_SITE                                                                    \
	({                                                                            \
		static const struct pinit_site __pinit_site = { __FILE__, __func__,   \
								__LINE__ };           \
		&__pinit_site;                                                        \
	})

#endif
