/*
 * xh-blkbench: the Linux baseline's disk benchmark (tests/xen/baseline).
 *
 *   xh-blkbench DEVICE [RANDOM-OPS]
 *
 * Runs, on a whole block device with O_DIRECT (no page cache, one request in
 * flight, as xhvm's kernel/blk_bench.c does on its side):
 *   sequential write in 1 MiB requests over the whole device (after an
 *   untimed pass), then a flush;
 *   sequential read in 1 MiB requests;
 *   RANDOM-OPS (default 256) 4 KiB writes at pseudo-random 4 KiB-aligned
 *   offsets, then a flush; the same number of 4 KiB reads.
 * and prints one "bench: blk ..." line per workload in the format xhvm prints,
 * so tools/bench-xen reads both the same way.  The device's contents are
 * destroyed.  Static, built on the host (the guest's initramfs has no libc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1u << 20)
#define BLK4K 4096u

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The same generator as kernel/blk_bench.c, so both sides visit the same offsets. */
static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static int whole(int write, int fd, void *buf, size_t len, uint64_t off)
{
    ssize_t n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);

    if (n != (ssize_t)len) {
        fprintf(stderr, "xh-blkbench: %s %zu bytes at %llu: %s\n", write ? "write" : "read", len,
                (unsigned long long)off, n < 0 ? strerror(errno) : "short transfer");
        return -1;
    }
    return 0;
}

static void report_rate(const char *what, uint64_t bytes, uint64_t ns)
{
    printf("bench: blk %s: %llu KiB/s (%llu KiB in %llu us)\n", what,
           (unsigned long long)(ns ? bytes * 1000000000u / 1024u / ns : 0), (unsigned long long)(bytes / 1024),
           (unsigned long long)(ns / 1000));
}

static void report_iops(const char *what, unsigned ops, uint64_t ns)
{
    printf("bench: blk %s: %llu IOPS (%u requests in %llu us)\n", what,
           (unsigned long long)(ns ? (uint64_t)ops * 1000000000u / ns : 0), ops, (unsigned long long)(ns / 1000));
}

int main(int argc, char **argv)
{
    uint64_t size = 0, t0, nblk;
    unsigned ops = 256;
    uint32_t seed;
    void *buf;
    int fd;

    if (argc < 2) {
        fprintf(stderr, "usage: xh-blkbench DEVICE [RANDOM-OPS]\n");
        return 2;
    }
    if (argc > 2)
        ops = (unsigned)atoi(argv[2]);
    fd = open(argv[1], O_RDWR | O_DIRECT);
    if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &size) < 0) {     /* a plain file (a quick check on the host) */
        struct stat st;

        size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    }
    if (fd < 0) {
        fprintf(stderr, "xh-blkbench: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (size < MIB || posix_memalign(&buf, BLK4K, MIB)) {
        fprintf(stderr, "xh-blkbench: %s: need at least 1 MiB and a buffer\n", argv[1]);
        return 1;
    }
    size -= size % MIB;
    memset(buf, 0xa5, MIB);

    /* An untimed pass first: the first write to each block of dom0's backing
     * file allocates it, a cost of the rig, not the frontend. */
    for (uint64_t off = 0; off < size; off += MIB)
        if (whole(1, fd, buf, MIB, off))
            return 1;
    t0 = now_ns();
    for (uint64_t off = 0; off < size; off += MIB)
        if (whole(1, fd, buf, MIB, off))
            return 1;
    if (fsync(fd) < 0)
        return 1;
    report_rate("seq-write 1MiB", size, now_ns() - t0);

    t0 = now_ns();
    for (uint64_t off = 0; off < size; off += MIB)
        if (whole(0, fd, buf, MIB, off))
            return 1;
    report_rate("seq-read 1MiB", size, now_ns() - t0);

    nblk = size / BLK4K;
    seed = 4711;
    t0 = now_ns();
    for (unsigned i = 0; i < ops; i++)
        if (whole(1, fd, buf, BLK4K, (uint64_t)(next_rand(&seed) % nblk) * BLK4K))
            return 1;
    if (fsync(fd) < 0)
        return 1;
    report_iops("rand-write 4KiB", ops, now_ns() - t0);

    seed = 815;
    t0 = now_ns();
    for (unsigned i = 0; i < ops; i++)
        if (whole(0, fd, buf, BLK4K, (uint64_t)(next_rand(&seed) % nblk) * BLK4K))
            return 1;
    report_iops("rand-read 4KiB", ops, now_ns() - t0);
    close(fd);
    return 0;
}
