// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fail_inject.so: LD_PRELOAD fault injection for test_fault_injection.sh.
 * It makes chosen calls of the daemon fail that no test can make fail from
 * outside: an allocation, a credential system call.
 *
 *   FAIL_STRDUP=STRING[:N]  the Nth (default first) strdup() of STRING
 *                           returns NULL with errno ENOMEM
 *   FAIL_SYSCALL=NAME[:N]   the Nth raw syscall(SYS_NAME, ...) returns -1
 *                           with errno EPERM, doing nothing (NAME: capset,
 *                           setgroups, setfsuid, setfsgid)
 *   FAIL_MMAP=BYTES[:N]     the Nth mmap() of exactly BYTES (decimal) returns
 *                           MAP_FAILED with errno ENOMEM
 *   FAIL_EVENTFD=eventfd:N  the Nth eventfd() returns -1 with errno EMFILE
 *   FAIL_PTHREAD_CREATE=pthread_create:N
 *                           the Nth pthread_create() returns EAGAIN, starting
 *                           no thread
 *
 * Every other call goes to the C library's function.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>	/* the prototypes of syscall() and strdup() replaced here */

static atomic_int strdup_seen, syscall_seen, mmap_seen, eventfd_seen, thread_seen;

static const struct {
	long nr;
	const char *name;
} syscalls[] = {
	{ SYS_capset, "capset" },
	{ SYS_setgroups, "setgroups" },
	{ SYS_setfsuid, "setfsuid" },
	{ SYS_setfsgid, "setfsgid" },
};

/* Does this call match "WHAT[:N]" in $VAR, counting matches in @seen? */
static bool nth_match(const char *var, const char *what, atomic_int *seen)
{
	const char *spec = getenv(var), *colon;
	size_t len;

	if (!spec)
		return false;
	colon = strrchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (strlen(what) != len || strncmp(spec, what, len))
		return false;
	return atomic_fetch_add(seen, 1) + 1 == (colon ? atoi(colon + 1) : 1);
}

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy;

	if (nth_match("FAIL_STRDUP", s, &strdup_seen)) {
		errno = ENOMEM;
		return NULL;
	}
	copy = malloc(n);
	return copy ? memcpy(copy, s, n) : NULL;
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int k = 0; k < 6; k++)
		a[k] = va_arg(ap, long);
	va_end(ap);
	for (size_t k = 0; k < sizeof(syscalls) / sizeof(syscalls[0]); k++) {
		if (syscalls[k].nr == nr &&
		    nth_match("FAIL_SYSCALL", syscalls[k].name, &syscall_seen)) {
			errno = EPERM;
			return -1;
		}
	}
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	char bytes[32];

	snprintf(bytes, sizeof(bytes), "%zu", len);
	if (nth_match("FAIL_MMAP", bytes, &mmap_seen)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	if (!real)
		real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	return real(addr, len, prot, flags, fd, off);
}

int eventfd(unsigned int initval, int flags)
{
	static int (*real)(unsigned int, int);

	if (nth_match("FAIL_EVENTFD", "eventfd", &eventfd_seen)) {
		errno = EMFILE;
		return -1;
	}
	if (!real)
		real = (int (*)(unsigned int, int))dlsym(RTLD_NEXT, "eventfd");
	return real(initval, flags);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
		   void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

	if (nth_match("FAIL_PTHREAD_CREATE", "pthread_create", &thread_seen))
		return EAGAIN;
	if (!real)
		real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
				void *))dlsym(RTLD_NEXT, "pthread_create");
	return real(thread, attr, start, arg);
}
