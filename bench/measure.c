/*
 * Timing helper of bench/run.mjs, run inside the benchmark's namespace.
 *
 * Reads one job per line on stdin: OUT<TAB>ERR<TAB>ARG0<TAB>ARG1... (OUT and
 * ERR are file paths, "-" for /dev/null), runs it with stdin from /dev/null,
 * and answers one line: "<wall ms> <peak RSS KiB> <exit status> <CPU ms>"
 * (user + system time of the child).
 *
 * It is C, not a script, because a child's peak RSS (wait4's ru_maxrss)
 * includes the memory of the process that forked it until exec: forking
 * from a 1 MiB process keeps the figure honest for 3 MiB tools. Spawning
 * here, not from the runner, also keeps `ip netns exec` out of the timings.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int open_out(const char *path) {
	return open(strcmp(path, "-") ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

int main(void) {
	static char line[1 << 16];
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		char *argv[256];
		int argc = 0;
		for (char *tok = strtok(line, "\t"); tok && argc < 255; tok = strtok(NULL, "\t"))
			argv[argc++] = tok;
		argv[argc] = NULL;
		if (argc < 3) {
			fprintf(stderr, "measure: bad job\n");
			return 2;
		}
		int out = open_out(argv[0]), err = open_out(argv[1]);
		if (out < 0 || err < 0) {
			perror("measure: open");
			return 1;
		}
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid == 0) {
			int in = open("/dev/null", O_RDONLY);
			dup2(in, 0);
			dup2(out, 1);
			dup2(err, 2);
			execvp(argv[2], argv + 2);
			perror("measure: exec");
			_exit(127);
		}
		int status;
		struct rusage ru;
		if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
			perror("measure: fork/wait");
			return 1;
		}
		double ms = now_ms() - t0;
		close(out);
		close(err);
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
		printf("%.3f %ld %d %.3f\n", ms, ru.ru_maxrss, code, cpu);
		fflush(stdout);
	}
	return 0;
}
