// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fault trap: libpinit's exception table.
 *
 * One SIGSEGV/SIGBUS handler serves two purposes:
 *  - check-mode arena protection: a write to a source-pinned arena page is
 *    handed to arena_handle_fault(), which reports it (and in ON mode makes the
 *    page writable so the write can proceed);
 *  - user copies: code run under pinit_try() that faults is abandoned with
 *    siglongjmp, the way the kernel's exception table turns a faulting
 *    copy_from_user() into a short count.
 * Anything else goes to the handler that was installed before ours.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

static __thread sigjmp_buf *fault_env;
static __thread int cached_tid;
static struct sigaction old_segv, old_bus;
static pthread_once_t trap_once = PTHREAD_ONCE_INIT;

int pinit_gettid(void)
{
	if (!cached_tid)
		cached_tid = (int)syscall(SYS_gettid);
	return cached_tid;
}

/* Pass the signal on as if we had never been installed. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;

	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	/*
	 * SIG_IGN is honoured only for a signal sent by a process; a real fault
	 * is fatal even when ignored (the kernel's force_sig_fault() resets it),
	 * and returning would re-execute the access forever.
	 */
	if (old->sa_handler == SIG_IGN && si->si_code <= 0)
		return;
	if (old->sa_handler != SIG_IGN && old->sa_handler != SIG_DFL) {
		old->sa_handler(sig);
		return;
	}
	/*
	 * Default action: reinstate it. A fault re-executes the access on return
	 * and dies; a sent signal has nothing to re-execute, so send it again.
	 */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
}

static void trap_handler(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *env;
	int saved_errno = errno;

	if (sig == SIGSEGV && si->si_code == SEGV_ACCERR && arena_handle_fault(si->si_addr)) {
		errno = saved_errno;
		return;
	}
	env = fault_env;
	if (env) {
		fault_env = NULL;
		/*
		 * Leave with the signal mask of the code that faulted: the
		 * handler may run with more blocked than SA_NODEFER leaves
		 * (ThreadSanitizer installs every handler with a full sa_mask),
		 * and a fault with SIGSEGV blocked kills the process.
		 */
		pthread_sigmask(SIG_SETMASK, &((ucontext_t *)uc)->uc_sigmask, NULL);
		siglongjmp(*env, 1);
	}
	chain(sig, si, uc);
}

static void trap_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	/* SA_NODEFER: a fault in the handler itself is not held back. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

void pinit_trap_init(void)
{
	pthread_once(&trap_once, trap_install);
}

int pinit_try(void (*fn)(void *arg), void *arg)
{
	sigjmp_buf env;
	sigjmp_buf *volatile outer = fault_env;

	pinit_trap_init();
	if (sigsetjmp(env, 0)) {
		fault_env = outer;
		return -EFAULT;
	}
	fault_env = &env;
	fn(arg);
	fault_env = outer;
	return 0;
}
