/*
 * xhvm.blkbench=<id>: disk throughput on a scratch vbd (make bench-xen and
 * the Linux baseline, tests/xen/baseline).  The workloads are the ones
 * tests/xen/tools/xh-blkbench.c runs inside the Linux guest, with the same
 * offsets and the same "bench: blk ..." lines, so the two compare directly:
 * one request in flight (Linux's O_DIRECT from one thread), sequential 1 MiB
 * over the whole disk (after an untimed pass), 256 random 4 KiB requests, a
 * flush after the writes.
 * The disk's contents are destroyed.
 */
#include <stdint.h>
#include <xen/errno.h>

#include <xhvm/blkfront.h>
#include <xhvm/hypercall.h>
#include <xhvm/pvclock.h>

#include "cmdline.h"
#include "console.h"
#include "kmalloc.h"
#include "xen_checks.h"

#define MIB (1u << 20)
#define BLK4K 4096u
#define SECTOR 512u
#define RANDOM_OPS 256u
#define TIMEOUT_NS (30ull * 1000000000ull)

/* The generator xh-blkbench uses, so both sides visit the same offsets. */
static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void report_rate(const char *what, uint64_t bytes, uint64_t ns)
{
    kprintf("bench: blk %s: %llu KiB/s (%llu KiB in %llu us)\n", what,
            (unsigned long long)(ns ? bytes * 1000000000ull / 1024u / ns : 0),
            (unsigned long long)(bytes / 1024), (unsigned long long)(ns / 1000));
}

static void report_iops(const char *what, unsigned ops, uint64_t ns)
{
    kprintf("bench: blk %s: %llu IOPS (%u requests in %llu us)\n", what,
            (unsigned long long)(ns ? (uint64_t)ops * 1000000000ull / ns : 0), ops,
            (unsigned long long)(ns / 1000));
}

static int seq(struct xh_blkfront *dev, enum xh_blk_op op, uint8_t *buf, uint64_t bytes)
{
    int err = 0;

    for (uint64_t off = 0; off < bytes && !err; off += MIB)
        err = xh_blkfront_rw_sync(dev, op, off / SECTOR, MIB / SECTOR, buf, TIMEOUT_NS);
    return err;
}

static int rnd(struct xh_blkfront *dev, enum xh_blk_op op, uint8_t *buf, uint64_t bytes, uint32_t seed)
{
    uint64_t nblk = bytes / BLK4K;
    int err = 0;

    for (unsigned i = 0; i < RANDOM_OPS && !err; i++)
        err = xh_blkfront_rw_sync(dev, op, (next_rand(&seed) % nblk) * (BLK4K / SECTOR), BLK4K / SECTOR, buf,
                                  TIMEOUT_NS);
    return err;
}

static int flush(struct xh_blkfront *dev, const struct xh_blkfront_info *in)
{
    return in->flush || in->barrier ? xh_blkfront_rw_sync(dev, XH_BLK_FLUSH, 0, 0, NULL, TIMEOUT_NS) : 0;
}

void blk_bench(const char *cmdline)
{
    struct xh_blkfront_info in;
    struct xh_blkfront *dev;
    uint64_t bytes, t0;
    uint8_t *buf;
    char id[16];
    int err;

    if (cmdline_get(cmdline, "xhvm.blkbench", id, sizeof(id)) <= 0)
        return;
    dev = blk_find(id);
    if (!dev) {
        kprintf("bench: blk: no vbd %s\n", id);
        return;
    }
    xh_blkfront_get_info(dev, &in);
    bytes = in.sectors * SECTOR;
    bytes -= bytes % MIB;
    if (!in.connected || in.read_only || bytes == 0) {
        kprintf("bench: blk: %s is not a connected, writable disk of at least 1 MiB\n", in.nodename);
        return;
    }
    buf = kmalloc(MIB);
    if (!buf) {
        kprintf("bench: blk: no memory for a 1 MiB buffer\n");
        return;
    }
    for (unsigned i = 0; i < MIB; i++)
        buf[i] = 0xa5;

    /* An untimed pass first, as xh-blkbench does: the first write to each block
     * of dom0's backing file allocates it, a cost of the rig, not the frontend. */
    err = seq(dev, XH_BLK_WRITE, buf, bytes);
    t0 = xh_pvclock_ns();
    err = err ? err : seq(dev, XH_BLK_WRITE, buf, bytes);
    err = err ? err : flush(dev, &in);
    if (!err)
        report_rate("seq-write 1MiB", bytes, xh_pvclock_ns() - t0);
    t0 = xh_pvclock_ns();
    err = err ? err : seq(dev, XH_BLK_READ, buf, bytes);
    if (!err)
        report_rate("seq-read 1MiB", bytes, xh_pvclock_ns() - t0);
    t0 = xh_pvclock_ns();
    err = err ? err : rnd(dev, XH_BLK_WRITE, buf, bytes, 4711);
    err = err ? err : flush(dev, &in);
    if (!err)
        report_iops("rand-write 4KiB", RANDOM_OPS, xh_pvclock_ns() - t0);
    t0 = xh_pvclock_ns();
    err = err ? err : rnd(dev, XH_BLK_READ, buf, bytes, 815);
    if (!err)
        report_iops("rand-read 4KiB", RANDOM_OPS, xh_pvclock_ns() - t0);
    if (err)
        kprintf("bench: blk: %s: stopped: %s\n", in.nodename, xh_xen_errno_name(err));
    kfree(buf);
}
