// SPDX-License-Identifier: GPL-2.0
/*
 * init for the arm64 test guest: a static binary in an initramfs, so that
 * no arm64 root filesystem is needed.  Runs every test program in
 * /kselftest with run_kselftest.sh's TAP shape (nested output prefixed
 * with "# "), then the samples of /samples with --check (exit 4: skipped),
 * then powers off.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR_TESTS "/kselftest"
#define DIR_SAMPLES "/samples"

/*
 * Run @path (with @arg if not NULL) with its output prefixed by "# ";
 * return its wait status.
 */
static int run_prefixed(const char *path, const char *arg)
{
	char line[4096];
	int pipefd[2], status;
	FILE *out;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (arg && chdir("/tmp"))
			_exit(126);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	while (out && fgets(line, sizeof(line), out))
		printf("# %s", line);
	fflush(stdout);
	if (out)
		fclose(out);
	waitpid(pid, &status, 0);
	return status;
}

/* boot-arm64.sh puts only the programs kselftest runs there. */
static int is_test(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(void)
{
	struct dirent **tests;
	char path[512];
	int i, n, status;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	n = scandir(DIR_TESTS, &tests, is_test, alphasort);
	printf("TAP version 13\n1..%d\n", n < 0 ? 0 : n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), DIR_TESTS "/%s", tests[i]->d_name);
		printf("# selftests: syslet: %s\n", tests[i]->d_name);
		status = run_prefixed(path, NULL);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			printf("ok %d selftests: syslet: %s\n", i + 1, tests[i]->d_name);
		else
			printf("not ok %d selftests: syslet: %s # exit=%d\n", i + 1,
			       tests[i]->d_name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	n = scandir(DIR_SAMPLES, &tests, is_test, alphasort);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), DIR_SAMPLES "/%s", tests[i]->d_name);
		printf("# selftests: syslet: samples/%s\n", tests[i]->d_name);
		status = run_prefixed(path, "--check");
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 4))
			printf("ok %d selftests: syslet: samples/%s%s\n", i + 1, tests[i]->d_name,
			       WEXITSTATUS(status) == 4 ? " # SKIP" : "");
		else
			printf("not ok %d selftests: syslet: samples/%s # exit=%d\n", i + 1,
			       tests[i]->d_name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	/* The kernel log, for the host's dmesg check (console is loglevel=1). */
	n = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	if (n > 0) {
		char *log = malloc(n + 1);
		int len = log ? klogctl(3, log, n) : -1;	/* SYSLOG_ACTION_READ_ALL */

		if (len >= 0) {
			log[len] = 0;
			printf("syslet-guest: dmesg\n%s\nsyslet-guest: end of dmesg\n", log);
		}
	}
	printf("syslet-guest: done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
