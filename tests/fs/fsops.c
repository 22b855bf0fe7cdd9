// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsops: a fixed sequence of file system operations, one output line per step
 * with the return value and errno (and the facts a step observes: modes,
 * sizes, contents, xattr values, lock owners). Run it in a directory of the
 * backing store and in a directory of the mount over an identical backing
 * store; the outputs must be identical (tests/fs/test_differential.sh).
 *
 * Nothing printed may depend on the run: no inode numbers, no device numbers,
 * no times except those the sequence sets itself, no pids (a lock holder is
 * printed as "child" or "self").
 *
 * usage: fsops DIR   (DIR must be empty; the caller must be root)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static pid_t child_pid;

static const char *errname(int err)
{
	static char buf[32];

	/* clang-format off */
	switch (err) {
#define E(x)                                                                           \
	case x:                                                                        \
		return #x;
		E(EPERM) E(ENOENT) E(EINTR) E(EIO) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES)
		E(EBUSY) E(EEXIST) E(EXDEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(EMFILE) E(EFBIG)
		E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(ERANGE) E(ENAMETOOLONG) E(ENOTEMPTY)
		E(ELOOP) E(ENODATA) E(EOPNOTSUPP) E(ENXIO) E(EDEADLK) E(ETXTBSY) E(ENOSYS)
		E(ESTALE)
#undef E
	}
	/* clang-format on */
	snprintf(buf, sizeof(buf), "errno%d", err);
	return buf;
}

/* Print "name: ret=R errno=E" for a call that returns -1 on error. */
static long step(const char *name, long ret)
{
	int err = errno;

	if (ret < 0)
		printf("%-44s ret=-1 %s\n", name, errname(err));
	else
		printf("%-44s ret=%ld\n", name, ret);
	fflush(stdout);
	errno = err;
	return ret;
}

#define STEP(name, call) (errno = 0, step((name), (long)(call)))

static void show_stat(const char *name, const char *path)
{
	struct stat st;

	if (lstat(path, &st)) {
		printf("%-44s stat %s\n", name, errname(errno));
		return;
	}
	printf("%-44s mode=%06o nlink=%lu uid=%u gid=%u size=%lld", name, st.st_mode,
	       (unsigned long)st.st_nlink, st.st_uid, st.st_gid, (long long)st.st_size);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		printf(" rdev=%u:%u", major(st.st_rdev), minor(st.st_rdev));
	printf("\n");
}

static void show_blocks(const char *name, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		printf("%-44s stat %s\n", name, errname(errno));
	else
		printf("%-44s size=%lld blocks=%lld\n", name, (long long)st.st_size,
		       (long long)st.st_blocks);
}

static void show_times(const char *name, const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		printf("%-44s stat %s\n", name, errname(errno));
	else
		printf("%-44s atime=%lld.%09ld mtime=%lld.%09ld\n", name,
		       (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* FNV-1a of a file's contents, with its size. */
static void show_content(const char *name, const char *path)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned char buf[65536];
	long long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("%-44s open %s\n", name, errname(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 1099511628211ULL;
		}
		total += n;
	}
	close(fd);
	printf("%-44s bytes=%lld fnv=%016llx\n", name, total, (unsigned long long)h);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_dir(const char *name, const char *path)
{
	char *names[256];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(path);

	if (!d) {
		printf("%-44s opendir %s\n", name, errname(errno));
		return;
	}
	while ((de = readdir(d)) && n < 256) {
		char *s;

		if (asprintf(&s, "%s:%d", de->d_name, de->d_type) < 0)
			break;
		names[n++] = s;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	printf("%-44s", name);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void show_xattr(const char *name, const char *path, const char *attr, bool follow)
{
	char buf[256];
	ssize_t n;

	errno = 0;
	n = follow ? getxattr(path, attr, buf, sizeof(buf))
		   : lgetxattr(path, attr, buf, sizeof(buf));
	if (n < 0) {
		printf("%-44s %s\n", name, errname(errno));
		return;
	}
	printf("%-44s len=%zd hex=", name, n);
	for (ssize_t i = 0; i < n; i++)
		printf("%02x", (unsigned char)buf[i]);
	printf("\n");
}

static void show_xattr_list(const char *name, const char *path)
{
	char buf[1024], *names[64];
	ssize_t n = llistxattr(path, buf, sizeof(buf));
	int count = 0;

	if (n < 0) {
		printf("%-44s %s\n", name, errname(errno));
		return;
	}
	for (char *p = buf; p < buf + n && count < 64; p += strlen(p) + 1)
		names[count++] = p;
	qsort(names, count, sizeof(names[0]), cmp_str);
	printf("%-44s", name);
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			perror("write");
		close(fd);
	}
}

/* ---- POSIX ACL xattr blobs (linux/posix_acl_xattr.h layout) ---- */

struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};

static size_t make_acl(char *buf, const struct acl_entry *e, int n)
{
	uint32_t version = 2;

	memcpy(buf, &version, 4);
	for (int i = 0; i < n; i++)
		memcpy(buf + 4 + 8 * i, &e[i], 8);
	return 4 + 8 * (size_t)n;
}

#define ACL_UNDEF 0xffffffffu

/* ---- sections ---- */

static void files(void)
{
	char buf[256];
	int fd, fd2;

	fd = STEP("create f1 O_EXCL", open("f1", O_CREAT | O_EXCL | O_RDWR, 0640));
	STEP("create f1 O_EXCL again", open("f1", O_CREAT | O_EXCL | O_RDWR, 0640));
	STEP("write f1", write(fd, "hello world", 11));
	STEP("pwrite f1 at 100", pwrite(fd, "tail", 4, 100));
	STEP("pread f1 beyond eof", pread(fd, buf, sizeof(buf), 1000));
	memset(buf, 0, sizeof(buf));
	STEP("pread f1 0..5", pread(fd, buf, 5, 0));
	printf("%-44s %s\n", "pread f1 data", buf);
	STEP("lseek f1 SEEK_END", lseek(fd, 0, SEEK_END));
	close(fd);
	show_stat("stat f1", "f1");

	fd = STEP("open f1 O_APPEND", open("f1", O_WRONLY | O_APPEND));
	STEP("pwrite at 0 with O_APPEND", pwrite(fd, "APP", 3, 0));
	STEP("write O_APPEND", write(fd, "END", 3));
	close(fd);
	show_content("content f1", "f1");

	write_file("f2", "some content");
	fd = STEP("open f2 O_TRUNC", open("f2", O_WRONLY | O_TRUNC));
	close(fd);
	show_stat("stat f2 after O_TRUNC", "f2");
	STEP("open missing", open("missing", O_RDONLY));
	STEP("open f1 O_DIRECTORY", open("f1", O_RDONLY | O_DIRECTORY));
	STEP("mkdir d1", mkdir("d1", 0750));
	STEP("open d1 O_WRONLY", open("d1", O_WRONLY));
	fd = STEP("open f1 O_RDONLY", open("f1", O_RDONLY));
	STEP("write on O_RDONLY", write(fd, "x", 1));
	close(fd);
	fd = STEP("open f1 O_WRONLY", open("f1", O_WRONLY));
	STEP("read on O_WRONLY", read(fd, buf, 1));
	close(fd);

	STEP("truncate f1 50", truncate("f1", 50));
	show_stat("stat f1 truncated", "f1");
	fd = open("f1", O_RDWR);
	STEP("ftruncate f1 20", ftruncate(fd, 20));
	STEP("ftruncate f1 -1", ftruncate(fd, -1));
	close(fd);
	show_content("content f1 truncated", "f1");
	STEP("truncate missing", truncate("missing", 1));
	STEP("truncate dir", truncate("d1", 1));

	/* Large, unaligned write and read back. */
	fd = open("big", O_CREAT | O_RDWR, 0644);
	{
		size_t len = 3 * 1024 * 1024 + 1234;
		char *data = malloc(len), *back = malloc(len);

		for (size_t i = 0; i < len; i++)
			data[i] = (char)(i * 7 + i / 4096);
		STEP("pwrite big at 777", pwrite(fd, data, len, 777));
		STEP("pread big at 777", pread(fd, back, len, 777));
		printf("%-44s %s\n", "big readback equal", memcmp(data, back, len) ? "no" : "yes");
		free(data);
		free(back);
	}
	close(fd);
	show_content("content big", "big");

	/* An unlinked open file stays usable through its descriptor. */
	fd = open("doomed", O_CREAT | O_RDWR, 0644);
	STEP("unlink open file", unlink("doomed"));
	STEP("write unlinked", write(fd, "still here", 10));
	STEP("ftruncate unlinked", ftruncate(fd, 5));
	STEP("fchmod unlinked", fchmod(fd, 0600));
	{
		struct stat st;

		fstat(fd, &st);
		printf("%-44s nlink=%lu size=%lld mode=%o\n", "fstat unlinked",
		       (unsigned long)st.st_nlink, (long long)st.st_size, st.st_mode);
	}
	memset(buf, 0, sizeof(buf));
	STEP("pread unlinked", pread(fd, buf, 10, 0));
	printf("%-44s %s\n", "pread unlinked data", buf);
	close(fd);

	/* Two descriptors of one file see each other's writes. */
	fd = open("shared", O_CREAT | O_RDWR, 0644);
	fd2 = open("shared", O_RDWR);
	STEP("write fd1", pwrite(fd, "abcdef", 6, 0));
	memset(buf, 0, sizeof(buf));
	STEP("read fd2", pread(fd2, buf, 6, 0));
	printf("%-44s %s\n", "read fd2 data", buf);
	close(fd);
	close(fd2);

	/* mmap write, read back with read(). */
	fd = open("mapped", O_CREAT | O_RDWR, 0644);
	if (ftruncate(fd, 8192) == 0) {
		char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (m != MAP_FAILED) {
			memcpy(m + 4000, "mapped-bytes", 12);
			STEP("msync", msync(m, 8192, MS_SYNC));
			munmap(m, 8192);
		}
	}
	close(fd);
	fd = open("mapped", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	STEP("read mapped", pread(fd, buf, 12, 4000));
	printf("%-44s %s\n", "read mapped data", buf);
	close(fd);

	/* Aligned O_DIRECT works on both sides. */
	fd = STEP("open O_DIRECT", open("direct", O_CREAT | O_RDWR | O_DIRECT, 0644));
	if (fd >= 0) {
		char *al = aligned_alloc(4096, 8192);

		if (!al) {
			perror("aligned_alloc");
			exit(1);
		}
		memset(al, 'D', 8192);
		STEP("O_DIRECT aligned write", pwrite(fd, al, 8192, 4096));
		memset(al, 0, 8192);
		STEP("O_DIRECT aligned read", pread(fd, al, 4096, 4096));
		printf("%-44s %c\n", "O_DIRECT data", al[100]);
		free(al);
		close(fd);
	}
	show_content("content direct", "direct");
}

static void attributes(void)
{
	struct timespec ts[2];
	struct timeval before, after;
	struct stat st;
	int fd;

	write_file("a1", "attr");
	STEP("chmod a1 0755", chmod("a1", 0755));
	show_stat("stat a1", "a1");
	STEP("chmod a1 04755", chmod("a1", 04755));
	STEP("chmod a1 02755", chmod("a1", 02755));
	show_stat("stat a1 sgid", "a1");
	fd = open("a1", O_RDONLY);
	STEP("fchmod a1 0600", fchmod(fd, 0600));
	close(fd);
	show_stat("stat a1 fchmod", "a1");
	STEP("chmod missing", chmod("missing", 0644));

	STEP("chown a1 1234:5678", chown("a1", 1234, 5678));
	show_stat("stat a1 chown", "a1");
	STEP("chown a1 -1:99", chown("a1", -1, 99));
	show_stat("stat a1 chgrp", "a1");
	STEP("chmod a1 06755 then chown", chmod("a1", 06755));
	STEP("chown a1 1234:5678 (kills suid)", chown("a1", 1234, 5678));
	show_stat("stat a1 after chown", "a1");

	ts[0].tv_sec = 1000;
	ts[0].tv_nsec = 500000000;
	ts[1].tv_sec = 2000;
	ts[1].tv_nsec = 250000000;
	STEP("utimensat explicit", utimensat(AT_FDCWD, "a1", ts, 0));
	show_times("times a1", "a1");
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 3000;
	ts[1].tv_nsec = 0;
	STEP("utimensat omit atime", utimensat(AT_FDCWD, "a1", ts, 0));
	show_times("times a1 omit", "a1");
	gettimeofday(&before, NULL);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	STEP("utimensat now mtime", utimensat(AT_FDCWD, "a1", ts, 0));
	gettimeofday(&after, NULL);
	stat("a1", &st);
	printf("%-44s atime=%lld mtime_now=%s\n", "times a1 now", (long long)st.st_atim.tv_sec,
	       st.st_mtim.tv_sec >= before.tv_sec - 1 && st.st_mtim.tv_sec <= after.tv_sec + 1
		       ? "yes"
		       : "no");
	fd = open("a1", O_RDONLY);
	ts[0].tv_sec = 4000;
	ts[0].tv_nsec = 1;
	ts[1].tv_sec = 5000;
	ts[1].tv_nsec = 2;
	STEP("futimens", futimens(fd, ts));
	close(fd);
	show_times("times a1 futimens", "a1");
	STEP("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0));

	STEP("symlink sl", symlink("target/../x", "sl"));
	{
		char buf[64] = {0};

		STEP("readlink sl", readlink("sl", buf, sizeof(buf)));
		printf("%-44s %s\n", "readlink sl data", buf);
		STEP("readlink regular", readlink("a1", buf, sizeof(buf)));
	}
	show_stat("lstat sl", "sl");
	STEP("lchown sl", lchown("sl", 42, 43));
	show_stat("lstat sl chown", "sl");
	ts[0].tv_sec = 6000;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 7000;
	ts[1].tv_nsec = 0;
	STEP("utimensat sl nofollow", utimensat(AT_FDCWD, "sl", ts, AT_SYMLINK_NOFOLLOW));
	show_times("times sl", "sl");
	STEP("symlink existing", symlink("x", "sl"));

	STEP("access a1 R_OK", access("a1", R_OK));
	write_file("noexec", "x");
	STEP("access noexec X_OK", access("noexec", X_OK));
	STEP("access missing F_OK", access("missing", F_OK));
}

static void directories(void)
{
	STEP("mkdir d2", mkdir("d2", 0700));
	STEP("mkdir d2 again", mkdir("d2", 0700));
	show_stat("stat d2", "d2");
	write_file("d2/inner", "x");
	STEP("rmdir non-empty", rmdir("d2"));
	STEP("rmdir file", rmdir("a1"));
	STEP("unlink dir", unlink("d2"));
	STEP("unlink missing", unlink("missing"));
	STEP("unlink d2/inner", unlink("d2/inner"));
	STEP("rmdir d2", rmdir("d2"));
	STEP("rmdir missing", rmdir("d2"));
	STEP("mkdir deep parent missing", mkdir("nope/deep", 0755));

	STEP("mknod fifo", mknod("p1", S_IFIFO | 0644, 0));
	STEP("mknod socket", mknod("s1", S_IFSOCK | 0644, 0));
	STEP("mknod chr 1:3", mknod("c1", S_IFCHR | 0600, makedev(1, 3)));
	STEP("mknod blk 7:0", mknod("b1", S_IFBLK | 0600, makedev(7, 0)));
	STEP("mknod regular", mknod("r1", S_IFREG | 0604, 0));
	STEP("mknod existing", mknod("p1", S_IFIFO | 0644, 0));
	show_stat("stat p1", "p1");
	show_stat("stat s1", "s1");
	show_stat("stat c1", "c1");
	show_stat("stat b1", "b1");
	show_stat("stat r1", "r1");

	write_file("l1", "link me");
	STEP("link l1 l2", link("l1", "l2"));
	show_stat("stat l1 linked", "l1");
	STEP("link existing target", link("l1", "l2"));
	STEP("link dir", link("d1", "d1link"));
	STEP("link missing", link("missing", "l3"));
	STEP("link symlink", link("sl", "sl2"));
	show_stat("lstat sl2", "sl2");
	STEP("unlink l2", unlink("l2"));
	show_stat("stat l1 unlinked", "l1");

	show_dir("readdir .", ".");
}

static void renames(void)
{
	write_file("r_a", "A");
	write_file("r_b", "B");
	mkdir("r_d", 0755);
	mkdir("r_full", 0755);
	write_file("r_full/x", "x");

	STEP("rename plain", rename("r_a", "r_c"));
	STEP("rename onto existing file", rename("r_c", "r_b"));
	show_content("content r_b", "r_b");
	write_file("r_a", "A2");
	STEP("rename NOREPLACE existing",
	     syscall(SYS_renameat2, AT_FDCWD, "r_a", AT_FDCWD, "r_b", RENAME_NOREPLACE));
	STEP("rename NOREPLACE new",
	     syscall(SYS_renameat2, AT_FDCWD, "r_a", AT_FDCWD, "r_e", RENAME_NOREPLACE));
	STEP("rename EXCHANGE file dir",
	     syscall(SYS_renameat2, AT_FDCWD, "r_e", AT_FDCWD, "r_d", RENAME_EXCHANGE));
	show_stat("stat r_e after exchange", "r_e");
	show_stat("stat r_d after exchange", "r_d");
	STEP("rename EXCHANGE missing",
	     syscall(SYS_renameat2, AT_FDCWD, "r_e", AT_FDCWD, "missing", RENAME_EXCHANGE));
	STEP("rename EXCHANGE|NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, "r_e", AT_FDCWD, "r_d",
						  RENAME_EXCHANGE | RENAME_NOREPLACE));
	mkdir("r_empty", 0755);
	STEP("rename dir onto non-empty", rename("r_e", "r_full"));
	STEP("rename dir onto empty dir", rename("r_e", "r_empty"));
	STEP("rename file onto dir", rename("r_d", "r_full"));
	STEP("rename dir onto file", rename("r_full", "r_d"));
	STEP("rename missing", rename("missing", "r_x"));
	STEP("rename into own subdir", rename("r_full", "r_full/sub"));
	STEP("rename to other dir", rename("r_d", "d1/moved"));
	show_content("content d1/moved", "d1/moved");
	show_dir("readdir after renames", ".");
}

static void xattrs(void)
{
	char buf[64];

	write_file("x1", "xattr");
	STEP("setxattr user.a", setxattr("x1", "user.a", "v1", 2, 0));
	STEP("setxattr user.a CREATE", setxattr("x1", "user.a", "v2", 2, XATTR_CREATE));
	STEP("setxattr user.b REPLACE", setxattr("x1", "user.b", "v2", 2, XATTR_REPLACE));
	STEP("setxattr user.a REPLACE", setxattr("x1", "user.a", "value-2", 7, XATTR_REPLACE));
	STEP("setxattr user.empty", setxattr("x1", "user.empty", "", 0, 0));
	STEP("getxattr size query", getxattr("x1", "user.a", NULL, 0));
	STEP("getxattr small buffer", getxattr("x1", "user.a", buf, 2));
	show_xattr("getxattr user.a", "x1", "user.a", true);
	show_xattr("getxattr user.empty", "x1", "user.empty", true);
	show_xattr("getxattr missing", "x1", "user.nope", true);
	STEP("setxattr trusted.t", setxattr("x1", "trusted.t", "T", 1, 0));
	STEP("setxattr bad namespace", setxattr("x1", "bogus.x", "T", 1, 0));
	show_xattr_list("listxattr x1", "x1");
	STEP("listxattr size query", listxattr("x1", NULL, 0) > 0 ? 1 : -1);
	STEP("listxattr small buffer", listxattr("x1", buf, 3));
	STEP("removexattr user.a", removexattr("x1", "user.a"));
	STEP("removexattr user.a again", removexattr("x1", "user.a"));
	show_xattr_list("listxattr x1 after remove", "x1");
	STEP("lsetxattr user on symlink", lsetxattr("sl", "user.s", "S", 1, 0));
	STEP("lsetxattr trusted on symlink", lsetxattr("sl", "trusted.s", "S", 1, 0));
	show_xattr("lgetxattr trusted on symlink", "sl", "trusted.s", false);
	STEP("setxattr on dir", setxattr("d1", "user.dir", "D", 1, 0));
	show_xattr("getxattr on dir", "d1", "user.dir", true);
	STEP("getxattr missing file", getxattr("missing", "user.a", buf, sizeof(buf)));
	show_xattr("security.capability absent", "x1", "security.capability", true);
	{
		/* VFS_CAP_REVISION_2 with cap_net_raw permitted: a file capability. */
		uint32_t cap[5] = {0x02000001, 1u << 13, 0, 0, 0};

		STEP("setxattr security.capability",
		     setxattr("x1", "security.capability", cap, sizeof(cap), 0));
		show_xattr("security.capability present", "x1", "security.capability", true);
		STEP("removexattr security.capability", removexattr("x1", "security.capability"));
		show_xattr("security.capability removed", "x1", "security.capability", true);
	}
}

static void acls(void)
{
	char acl[128];
	struct acl_entry access[] = {
		{0x01, 6, ACL_UNDEF}, {0x02, 4, 1000},	    {0x04, 4, ACL_UNDEF},
		{0x10, 5, ACL_UNDEF}, {0x20, 0, ACL_UNDEF},
	};
	struct acl_entry dflt[] = {
		{0x01, 7, ACL_UNDEF}, {0x02, 7, 1001},	    {0x04, 5, ACL_UNDEF},
		{0x10, 7, ACL_UNDEF}, {0x20, 5, ACL_UNDEF},
	};
	size_t n;
	int fd;

	write_file("acl1", "acl");
	n = make_acl(acl, access, 5);
	STEP("set access ACL", setxattr("acl1", "system.posix_acl_access", acl, n, 0));
	show_xattr("get access ACL", "acl1", "system.posix_acl_access", true);
	show_stat("stat acl1 (mode from ACL)", "acl1");
	STEP("chmod acl1 0640", chmod("acl1", 0640));
	show_xattr("get access ACL after chmod", "acl1", "system.posix_acl_access", true);
	STEP("remove access ACL", removexattr("acl1", "system.posix_acl_access"));
	show_stat("stat acl1 after remove", "acl1");
	STEP("set bad ACL", setxattr("acl1", "system.posix_acl_access", "garbage", 7, 0));

	mkdir("acld", 0755);
	n = make_acl(acl, dflt, 5);
	STEP("set default ACL", setxattr("acld", "system.posix_acl_default", acl, n, 0));
	show_xattr("get default ACL", "acld", "system.posix_acl_default", true);
	STEP("set default ACL on file", setxattr("acl1", "system.posix_acl_default", acl, n, 0));
	/* Inheritance: the default ACL replaces the umask (022 here). */
	fd = STEP("create in ACL dir", open("acld/child", O_CREAT | O_WRONLY, 0666));
	close(fd);
	show_stat("stat inherited file", "acld/child");
	show_xattr("inherited access ACL", "acld/child", "system.posix_acl_access", true);
	STEP("mkdir in ACL dir", mkdir("acld/sub", 0777));
	show_stat("stat inherited dir", "acld/sub");
	show_xattr("inherited default ACL", "acld/sub", "system.posix_acl_default", true);
	fd = STEP("create outside ACL dir", open("plain_umask", O_CREAT | O_WRONLY, 0666));
	close(fd);
	show_stat("stat umask file", "plain_umask");
	STEP("mkdir outside ACL dir", mkdir("plain_umask_dir", 0777));
	show_stat("stat umask dir", "plain_umask_dir");
}

static void space(void)
{
	char *buf = calloc(1, 1 << 20);
	int fd = open("sp", O_CREAT | O_RDWR | O_TRUNC, 0644);

	memset(buf, 'S', 1 << 20);
	STEP("fallocate plain 0..256k", fallocate(fd, 0, 0, 256 * 1024));
	show_blocks("blocks sp", "sp");
	STEP("fallocate KEEP_SIZE to 1M", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20));
	show_blocks("blocks sp keep_size", "sp");
	STEP("pwrite 256k data", pwrite(fd, buf, 256 * 1024, 0));
	STEP("PUNCH_HOLE 64k..128k",
	     fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 64 * 1024, 64 * 1024));
	STEP("PUNCH_HOLE without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	STEP("ZERO_RANGE 1000..3000", fallocate(fd, FALLOC_FL_ZERO_RANGE, 1000, 2000));
	STEP("ZERO_RANGE beyond eof", fallocate(fd, FALLOC_FL_ZERO_RANGE, 300 * 1024, 8192));
	show_blocks("blocks sp after punch/zero", "sp");
	show_content("content sp", "sp");
	STEP("fallocate bad mode", fallocate(fd, 0x1000, 0, 4096));
	STEP("fallocate negative", fallocate(fd, 0, -1, 4096));

	STEP("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
	STEP("SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
	STEP("SEEK_DATA 64k", lseek(fd, 64 * 1024, SEEK_DATA));
	STEP("SEEK_HOLE 128k", lseek(fd, 128 * 1024, SEEK_HOLE));
	STEP("SEEK_DATA beyond eof", lseek(fd, 10 << 20, SEEK_DATA));
	STEP("SEEK_HOLE beyond eof", lseek(fd, 10 << 20, SEEK_HOLE));
	STEP("fsync", fsync(fd));
	STEP("fdatasync", fdatasync(fd));
	close(fd);

	fd = open("holes", O_CREAT | O_RDWR | O_TRUNC, 0644);
	pwrite(fd, buf, 4096, 0);
	pwrite(fd, buf, 4096, 1 << 20);
	STEP("holes SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
	STEP("holes SEEK_DATA 4096", lseek(fd, 4096, SEEK_DATA));
	close(fd);

	{
		int in = open("big", O_RDONLY), out = open("cfr", O_CREAT | O_RDWR | O_TRUNC, 0644);
		loff_t off_in = 5000, off_out = 100;

		STEP("copy_file_range 100000",
		     copy_file_range(in, &off_in, out, &off_out, 100000, 0));
		printf("%-44s in=%lld out=%lld\n", "copy_file_range offsets", (long long)off_in,
		       (long long)off_out);
		off_in = 100 << 20;
		STEP("copy_file_range beyond eof",
		     copy_file_range(in, &off_in, out, &off_out, 10, 0));
		STEP("copy_file_range bad flags", copy_file_range(in, NULL, out, NULL, 10, 1));
		close(in);
		close(out);
		show_content("content cfr", "cfr");
	}
	{
		int dfd = open("d1", O_RDONLY | O_DIRECTORY);

		STEP("fsync dir", fsync(dfd));
		STEP("fdatasync dir", fdatasync(dfd));
		close(dfd);
	}
	{
		struct statvfs sv;

		STEP("statvfs", statvfs(".", &sv));
		printf("%-44s bsize=%lu namemax=%lu\n", "statvfs values", sv.f_bsize, sv.f_namemax);
	}
	free(buf);
}

/* ---- locks ---- */

static int to_child[2], from_child[2];

static void child_cmd(char c)
{
	char r;

	if (write(to_child[1], &c, 1) != 1 || read(from_child[0], &r, 1) != 1)
		printf("child protocol broken\n");
}

/* The child obeys one-letter commands: w = lock [0,10) for writing, u = unlock, q = quit. */
static void child_loop(void)
{
	int fd = open("lk", O_RDWR);
	char c;

	close(to_child[1]);
	close(from_child[0]);
	while (read(to_child[0], &c, 1) == 1) {
		struct flock fl = {.l_whence = SEEK_SET, .l_start = 0, .l_len = 10};

		if (c == 'w')
			fl.l_type = F_WRLCK;
		else if (c == 'u')
			fl.l_type = F_UNLCK;
		else if (c == 'F') {
			flock(fd, LOCK_EX);
			goto ack;
		} else if (c == 'G') {
			flock(fd, LOCK_UN);
			goto ack;
		} else
			break;
		fcntl(fd, F_SETLK, &fl);
ack:
		if (write(from_child[1], &c, 1) != 1)
			break;
	}
	_exit(0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void show_getlk(const char *name, int fd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};

	if (STEP(name, fcntl(fd, F_GETLK, &fl)) < 0)
		return;
	printf("%-44s type=%s start=%lld len=%lld pid=%s\n", "  result",
	       fl.l_type == F_UNLCK   ? "unlck"
	       : fl.l_type == F_WRLCK ? "wrlck"
				      : "rdlck",
	       (long long)fl.l_start, (long long)fl.l_len,
	       fl.l_type == F_UNLCK    ? "-"
	       : fl.l_pid == child_pid ? "child"
	       : fl.l_pid == getpid()  ? "self"
				       : "other");
}

static void locks(void)
{
	struct flock fl = {.l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	struct sigaction sa = {.sa_handler = on_alarm};
	int fd, fd2;

	write_file("lk", "0123456789abcdef");
	if (pipe(to_child) || pipe(from_child))
		return;
	child_pid = fork();
	if (child_pid == 0)
		child_loop();
	fd = open("lk", O_RDWR);

	child_cmd('w');
	show_getlk("F_GETLK wr [5,+5) held by child", fd, F_WRLCK, 5, 5);
	show_getlk("F_GETLK rd [10,+5) free", fd, F_RDLCK, 10, 5);
	fl.l_type = F_RDLCK;
	fl.l_start = 5;
	STEP("F_SETLK rd conflicting", fcntl(fd, F_SETLK, &fl));
	fl.l_start = 10;
	STEP("F_SETLK rd free range", fcntl(fd, F_SETLK, &fl));

	/* Blocking wait that gets interrupted. */
	sigaction(SIGALRM, &sa, NULL);
	fl.l_type = F_WRLCK;
	fl.l_start = 0;
	alarm(1);
	STEP("F_SETLKW interrupted", fcntl(fd, F_SETLKW, &fl));
	alarm(0);

	/* Blocking wait that succeeds when the child unlocks. */
	{
		pid_t helper = fork();

		if (helper == 0) {
			usleep(200000);
			child_cmd('u');
			_exit(0);
		}
		STEP("F_SETLKW granted after unlock", fcntl(fd, F_SETLKW, &fl));
		waitpid(helper, NULL, 0);
	}
	show_getlk("F_GETLK own lock", fd, F_WRLCK, 0, 10);

	/* Closing any descriptor of the file drops the process's locks. */
	fd2 = open("lk", O_RDONLY);
	close(fd2);
	child_cmd('w');
	show_getlk("F_GETLK after close of other fd", fd, F_WRLCK, 0, 10);
	child_cmd('u');

	/* OFD locks: per open file description. */
	{
		struct flock ofd = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10};
		int a = open("lk", O_RDWR), b = open("lk", O_RDWR);

		STEP("F_OFD_SETLK a", fcntl(a, F_OFD_SETLK, &ofd));
		STEP("F_OFD_SETLK b conflicting", fcntl(b, F_OFD_SETLK, &ofd));
		ofd.l_type = F_WRLCK;
		STEP("F_OFD_GETLK b", fcntl(b, F_OFD_GETLK, &ofd));
		printf("%-44s type=%d pid=%d\n", "  result", ofd.l_type, ofd.l_pid);
		close(a);
		ofd.l_type = F_WRLCK;
		STEP("F_OFD_SETLK b after close a", fcntl(b, F_OFD_SETLK, &ofd));
		close(b);
	}

	/* flock. */
	{
		int a = open("lk", O_RDONLY), b = open("lk", O_RDONLY);

		STEP("flock a LOCK_EX", flock(a, LOCK_EX));
		STEP("flock b LOCK_EX|LOCK_NB", flock(b, LOCK_EX | LOCK_NB));
		STEP("flock b LOCK_SH|LOCK_NB", flock(b, LOCK_SH | LOCK_NB));
		STEP("flock a LOCK_UN", flock(a, LOCK_UN));
		STEP("flock b LOCK_EX|LOCK_NB after unlock", flock(b, LOCK_EX | LOCK_NB));
		close(b);
		/*
		 * b's lock goes with its last close, but through FUSE the unlock
		 * travels in FUSE_RELEASE (FUSE_RELEASE_FLOCK_UNLOCK), which the
		 * kernel sends asynchronously after close() returned. So wait for
		 * it (bounded: EINTR if it never comes) rather than race it.
		 */
		alarm(10);
		STEP("flock a LOCK_SH after close b", flock(a, LOCK_SH));
		alarm(0);
		close(a);
		child_cmd('F');
		a = open("lk", O_RDONLY);
		STEP("flock LOCK_EX|LOCK_NB vs child", flock(a, LOCK_EX | LOCK_NB));
		alarm(1);
		STEP("flock LOCK_EX interrupted", flock(a, LOCK_EX));
		alarm(0);
		{
			pid_t helper = fork();

			if (helper == 0) {
				usleep(200000);
				child_cmd('G');
				_exit(0);
			}
			STEP("flock LOCK_EX granted after unlock", flock(a, LOCK_EX));
			waitpid(helper, NULL, 0);
		}
		close(a);
	}

	close(to_child[1]); /* the child's read() sees end of file and it exits */
	waitpid(child_pid, NULL, 0);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2 || chdir(argv[1])) {
		fprintf(stderr, "usage: fsops DIR\n");
		return 2;
	}
	umask(022);
	setvbuf(stdout, NULL, _IOLBF, 0);
	files();
	attributes();
	directories();
	renames();
	xattrs();
	acls();
	space();
	locks();
	return 0;
}
