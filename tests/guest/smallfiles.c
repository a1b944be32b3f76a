// SPDX-License-Identifier: GPL-2.0
/*
 * fusept-smallfiles - the small-file workloads of the benchmark
 *
 * usage: fusept-smallfiles create DIR COUNT SIZE
 *        fusept-smallfiles read DIR COUNT SIZE
 *        fusept-smallfiles stat DIR COUNT SIZE
 *        fusept-smallfiles tree DIR COUNT SEED
 *        fusept-smallfiles now
 *
 * "create" makes COUNT new files of SIZE bytes as DIR/dNN/fNNNN (100 files
 * per directory): open(O_CREAT), write, close each.  "read" opens, reads
 * whole and closes each of them once, in order, and checks that SIZE bytes
 * came back.  "stat" stat()s each of them once, in order, and checks
 * st_size.  These three print the rate as "files/s N" and the elapsed time
 * (CLOCK_MONOTONIC) as "seconds S".
 *
 * "tree" writes a made-up source tree of COUNT files under DIR/src, the
 * same for the same SEED on every machine (its own pseudo-random
 * generator): one directory per 20 files (250 for 5000), six in each,
 * three levels below src for 5000 files; file sizes from 32 bytes to 32 KiB
 * (one of ten octaves, then evenly within it: median about 1 KiB, 24 MB
 * for 5000 files); lines of C-like words; about one file in 50 starts with
 * the word NEEDLE (see below), for grep.  It prints "files N", "bytes N"
 * and "needles N".
 *
 * "now" prints CLOCK_MONOTONIC in seconds, with nanoseconds, for timing
 * shell steps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PER_DIR 100
#define NEEDLE "fusept_needle"

static void file_name(char *buf, size_t len, const char *dir, long i)
{
	snprintf(buf, len, "%s/d%02ld/f%04ld", dir, i / PER_DIR, i);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void print_rate(long count, double t0)
{
	double secs = now() - t0;

	printf("files/s %.0f\nseconds %.3f\n", count / secs, secs);
}

static int do_create(const char *dir, long count, size_t size, char *data)
{
	char path[4096];
	double t0;
	long i;
	int fd;

	memset(data, 'x', size);
	t0 = now();
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
		if (close(fd)) {
			perror(path);
			return 1;
		}
	}
	print_rate(count, t0);
	return 0;
}

static int do_read(const char *dir, long count, size_t size, char *data)
{
	char path[4096];
	ssize_t n;
	double t0;
	long i;
	int fd;

	t0 = now();
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
	print_rate(count, t0);
	return 0;
}

static int do_stat(const char *dir, long count, size_t size)
{
	char path[4096];
	struct stat st;
	double t0;
	long i;

	t0 = now();
	for (i = 0; i < count; i++) {
		file_name(path, sizeof(path), dir, i);
		if (stat(path, &st)) {
			perror(path);
			return 1;
		}
		if ((size_t)st.st_size != size) {
			fprintf(stderr, "%s: size %lld, want %zu\n", path,
				(long long)st.st_size, size);
			return 1;
		}
	}
	print_rate(count, t0);
	return 0;
}

/* xorshift64*: the same numbers from the same seed everywhere */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545F4914F6CDD1DULL;
}

static const char *const words[] = {
	"static", "int", "return", "struct", "if", "else", "for", "while",
	"unsigned", "long", "char", "void", "const", "inode", "file", "dentry",
	"page", "folio", "lock", "spin_lock", "mutex", "err", "goto", "out",
	"size_t", "loff_t", "flags", "mode", "count", "buf", "len", "offset",
	"/*", "*/", "{", "}", "(", ");", "=", "==", "->", "NULL", "0", "1",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* one file of the tree: SIZE bytes of lines of words */
static int tree_file(const char *path, size_t size, int needle, char *data)
{
	size_t len = 0, col = 0, w;
	const char *word;
	int fd;

	while (len < size) {
		word = words[rnd() % NWORDS];
		if (needle) {	/* the first word, so that it always fits */
			word = NEEDLE;
			needle = 0;
		}
		w = strlen(word);
		if (col + w + 1 > 72) {
			data[len++] = '\n';
			col = 0;
			continue;
		}
		if (len + w + 1 > size)
			break;
		memcpy(data + len, word, w);
		len += w;
		data[len++] = ' ';
		col += w + 1;
	}
	while (len < size)
		data[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd)) {
		perror(path);
		return 1;
	}
	return 0;
}

#define TREE_PER_DIR 20
#define TREE_FANOUT 6
#define TREE_MAX 65536	/* the largest file is smaller */

static int do_tree(const char *dir, long count, uint64_t seed)
{
	static const char *const ext[] = { ".c", ".h", ".txt", ".S", "" };
	long ndirs = (count + TREE_PER_DIR - 1) / TREE_PER_DIR, i, d;
	long long bytes = 0;
	long needles = 0;
	char **dpath, path[4096], *data;
	size_t size;
	int needle;

	rnd_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	dpath = calloc(ndirs, sizeof(*dpath));
	data = malloc(TREE_MAX);
	if (!dpath || !data)
		return 1;
	/* directory d > 0 lives in directory (d - 1) / TREE_FANOUT */
	for (d = 0; d < ndirs; d++) {
		if (d == 0)
			snprintf(path, sizeof(path), "%s/src", dir);
		else
			snprintf(path, sizeof(path), "%s/dir%ld",
				 dpath[(d - 1) / TREE_FANOUT], d);
		dpath[d] = strdup(path);
		if (!dpath[d] || (mkdir(path, 0755) && errno != EEXIST)) {
			perror(path);
			return 1;
		}
	}
	for (i = 0; i < count; i++) {
		d = rnd() % ndirs;
		/* an octave [32 << e, 64 << e), e in 0..9, then evenly in it */
		size = (size_t)32 << (rnd() % 10);
		size += rnd() % size;
		needle = rnd() % 50 == 0;
		snprintf(path, sizeof(path), "%s/file%05ld%s", dpath[d], i,
			 ext[rnd() % (sizeof(ext) / sizeof(ext[0]))]);
		if (tree_file(path, size, needle, data))
			return 1;
		bytes += size;
		needles += needle;
	}
	printf("files %ld\nbytes %lld\nneedles %ld\n", count, bytes, needles);
	return 0;
}

int main(int argc, char **argv)
{
	long count;
	size_t size;
	char *data;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%.9f\n", now());
		return 0;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: %s create|read|stat DIR COUNT SIZE\n"
			"       %s tree DIR COUNT SEED\n       %s now\n",
			argv[0], argv[0], argv[0]);
		return 2;
	}
	count = atol(argv[3]);
	if (!strcmp(argv[1], "tree") && count > 0)
		return do_tree(argv[2], count, strtoull(argv[4], NULL, 0));
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
	if (!strcmp(argv[1], "stat"))
		return do_stat(argv[2], count, size);
	fprintf(stderr, "%s: unknown command %s\n", argv[0], argv[1]);
	return 2;
}
