/*
 * xh-fnv: FNV-1a (32-bit) of a file or block device, or of its first BYTES
 * bytes: dom0's side of the block checks (tests/xen), the same sum the guest
 * prints for the disk it wrote.  Usage: xh-fnv PATH [BYTES]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static unsigned char buf[1 << 16];
    unsigned long long want = argc > 2 ? strtoull(argv[2], NULL, 0) : ~0ull, done = 0;
    uint32_t h = 2166136261u;
    int fd;

    if (argc < 2) {
        fprintf(stderr, "usage: xh-fnv PATH [BYTES]\n");
        return 2;
    }
    fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "xh-fnv: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    while (done < want) {
        size_t chunk = want - done < sizeof(buf) ? (size_t)(want - done) : sizeof(buf);
        ssize_t n = read(fd, buf, chunk);
        if (n < 0) {
            fprintf(stderr, "xh-fnv: read: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 16777619u;
        done += (unsigned long long)n;
    }
    if (want != ~0ull && done != want) {
        fprintf(stderr, "xh-fnv: %s has only %llu bytes\n", argv[1], done);
        return 1;
    }
    printf("%08x %llu\n", h, done);
    return 0;
}
