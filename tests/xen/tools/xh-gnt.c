/*
 * xh-gnt: dom0's side of the guest's grant checks (tests/xen), through
 * Linux's gntdev (/dev/xen/gntdev, <xen/sys/gntdev.h>).
 *
 *   xh-gnt copy DOMID REF          GNTTABOP_copy the granted page into dom0;
 *                                  print its FNV-1a checksum (8 hex digits)
 *   xh-gnt map DOMID REF SECONDS   map the page read-only, print "mapped
 *                                  <checksum>", hold the mapping SECONDS,
 *                                  unmap, print "unmapped"
 *
 * Built statically on the host (the dom0 image has no compiler) and
 * delivered with a scenario's "file:" directive.  Exit 1 on any failure,
 * with the reason on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>     /* GNTCOPY_source_gref */
#include <xen/sys/gntdev.h>

#define PAGE 4096

/* The same checksum the guest computes (kernel/grant_check.c). */
static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

static unsigned long number(const char *s, const char *what, unsigned long max)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno || *end || end == s || v > max) {
        fprintf(stderr, "xh-gnt: bad %s '%s'\n", what, s);
        exit(1);
    }
    return v;
}

static int do_copy(int fd, uint16_t domid, uint32_t ref)
{
    static uint8_t buf[PAGE];
    struct ioctl_gntdev_grant_copy_segment seg = { 0 };
    struct ioctl_gntdev_grant_copy op = { .count = 1, .segments = &seg };

    seg.source.foreign.ref = ref;
    seg.source.foreign.domid = domid;
    seg.source.foreign.offset = 0;
    seg.dest.virt = buf;
    seg.len = PAGE;
    seg.flags = GNTCOPY_source_gref;
    if (ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) < 0) {
        fprintf(stderr, "xh-gnt: IOCTL_GNTDEV_GRANT_COPY: %s\n", strerror(errno));
        return 1;
    }
    if (seg.status != 0) {      /* GNTST_okay */
        fprintf(stderr, "xh-gnt: grant copy of dom%u ref %u: status %d\n", domid, ref, seg.status);
        return 1;
    }
    printf("%08x\n", fnv1a(buf, PAGE));
    return 0;
}

static int do_map(int fd, uint16_t domid, uint32_t ref, unsigned secs)
{
    struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
    struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
    void *va;

    map.refs[0].domid = domid;
    map.refs[0].ref = ref;
    if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, &map) < 0) {
        fprintf(stderr, "xh-gnt: IOCTL_GNTDEV_MAP_GRANT_REF: %s\n", strerror(errno));
        return 1;
    }
    /* PROT_READ only: gntdev then maps with GNTMAP_readonly */
    va = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, (off_t)map.index);
    if (va == MAP_FAILED) {
        fprintf(stderr, "xh-gnt: mmap of dom%u ref %u: %s\n", domid, ref, strerror(errno));
        return 1;
    }
    printf("mapped %08x\n", fnv1a(va, PAGE));
    fflush(stdout);
    sleep(secs);
    munmap(va, PAGE);
    unmap.index = map.index;
    if (ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) < 0) {
        fprintf(stderr, "xh-gnt: IOCTL_GNTDEV_UNMAP_GRANT_REF: %s\n", strerror(errno));
        return 1;
    }
    printf("unmapped\n");
    return 0;
}

int main(int argc, char **argv)
{
    uint16_t domid;
    uint32_t ref;
    int fd, rc;

    if (argc < 4 || (strcmp(argv[1], "copy") && strcmp(argv[1], "map")) || (!strcmp(argv[1], "map") && argc < 5)) {
        fprintf(stderr, "usage: xh-gnt copy DOMID REF | xh-gnt map DOMID REF SECONDS\n");
        return 2;
    }
    domid = (uint16_t)number(argv[2], "domid", 0x7fef);
    ref = (uint32_t)number(argv[3], "grant ref", 0xffffffffu);
    fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "xh-gnt: /dev/xen/gntdev: %s (is xen-gntdev loaded?)\n", strerror(errno));
        return 1;
    }
    if (!strcmp(argv[1], "copy"))
        rc = do_copy(fd, domid, ref);
    else
        rc = do_map(fd, domid, ref, (unsigned)number(argv[4], "seconds", 600));
    close(fd);
    return rc;
}
