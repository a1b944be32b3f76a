// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-smallfiles - the small-file workload of the benchmark
 *
 * usage: fusept-smallfiles create DIR COUNT SIZE
 *        fusept-smallfiles read DIR COUNT SIZE
 *
 * "create" makes COUNT files of SIZE bytes as DIR/dNN/fNNNN (100 files per
 * directory).  "read" opens, reads whole and closes each of them once, in
 * order, checks that SIZE bytes came back and prints the rate as
 * "files/s N" (and the elapsed time on a second line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PER_DIR 100

static void file_name(char *buf, size_t len, const char *dir, long i)
{
	snprintf(buf, len, "%s/d%02ld/f%04ld", dir, i / PER_DIR, i);
}

static int do_create(const char *dir, long count, size_t size, char *data)
{
	char path[4096];
	long i;
	int fd;

	memset(data, 'x', size);
	for (i = 0; i < count; i++) {
		if (i % PER_DIR == 0) {
			snprintf(path, sizeof(path), "%s/d%02ld", dir, i / PER_DIR);
			if (mkdir(path, 0755) && errno != EEXIST) {
				perror(path);
				return 1;
			}
		}
		file_name(path, sizeof(path), dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
			perror(path);
			return 1;
		}
		close(fd);
	}
	return 0;
}

static int do_read(const char *dir, long count, size_t size, char *data)
{
	struct timespec t0, t1;
	char path[4096];
	double secs;
	ssize_t n;
	long i;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		file_name(path, sizeof(path), dir, i);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		n = read(fd, data, size + 1);
		if (n != (ssize_t)size) {
			fprintf(stderr, "%s: read %zd bytes, want %zu\n", path,
				n, size);
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("files/s %.0f\nseconds %.3f\n", count / secs, secs);
	return 0;
}

int main(int argc, char **argv)
{
	long count;
	size_t size;
	char *data;

	if (argc != 5) {
		fprintf(stderr, "usage: %s create|read DIR COUNT SIZE\n", argv[0]);
		return 2;
	}
	count = atol(argv[3]);
	size = strtoul(argv[4], NULL, 0);
	data = malloc(size + 1);
	if (count <= 0 || !data) {
		fprintf(stderr, "%s: bad COUNT or SIZE\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "create"))
		return do_create(argv[2], count, size, data);
	if (!strcmp(argv[1], "read"))
		return do_read(argv[2], count, size, data);
	fprintf(stderr, "%s: unknown command %s\n", argv[0], argv[1]);
	return 2;
}
