/*
 * xh-udp: dom0's UDP echo check against a guest (tests/xen).
 *
 *   xh-udp ADDR PORT [MIN MAX]    send one datagram of every size MIN..MAX
 *                                 (default 1..1472) to ADDR:PORT, each with a
 *                                 different pattern, and require the echo back
 *                                 byte for byte within 2 s (3 tries each)
 *   xh-udp ADDR PORT --rate SECS  send 64-byte datagrams for SECS seconds,
 *                                 one in flight, and print echoes per second
 *   xh-udp --serve PORT SECS      echo every datagram back to its sender for
 *                                 SECS seconds or until a datagram "xh-udp-stop"
 *                                 (the Linux baseline guest's UDP echo server;
 *                                 its busybox has no inetd)
 *   xh-udp ADDR PORT --stop       send that stop datagram (3 times)
 *
 * Prints a summary line; exit 1 on any missing or wrong echo.  Static, built
 * on the host (the dom0 image has no compiler).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Send buf, wait for the same bytes back; 0 ok, 1 wrong echo, 2 timeout. */
static int echo_once(int fd, const unsigned char *buf, size_t len, int timeout_ms)
{
    static unsigned char in[65536];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    double deadline = now_s() + timeout_ms / 1000.0;

    if (send(fd, buf, len, 0) != (ssize_t)len)
        return 2;
    for (;;) {
        int left = (int)((deadline - now_s()) * 1000);
        ssize_t n;

        if (left <= 0 || poll(&p, 1, left) <= 0)
            return 2;
        n = recv(fd, in, sizeof(in), 0);
        if (n < 0)
            return 2;
        if ((size_t)n == len && !memcmp(in, buf, len))
            return 0;
        /* a late echo of an earlier try: keep waiting for ours */
        if ((size_t)n != len || in[0] != buf[0])
            continue;
        return 1;
    }
}

#define STOP "xh-udp-stop"

/* Echo server: what xhvm's kernel/net does on port 7, for the Linux guest. */
static int serve(unsigned short port, double secs)
{
    static unsigned char in[65536];
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    double end = now_s() + secs;
    unsigned long echoed = 0;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        fprintf(stderr, "xh-udp: serve on %u: %s\n", port, strerror(errno));
        return 1;
    }
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        int left = (int)((end - now_s()) * 1000);
        ssize_t n;

        if (left <= 0)
            break;
        if (poll(&p, 1, left) <= 0)
            continue;
        n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
        if (n == (ssize_t)strlen(STOP) && !memcmp(in, STOP, strlen(STOP)))
            break;
        if (n >= 0 && sendto(fd, in, (size_t)n, 0, (struct sockaddr *)&from, fl) == n)
            echoed++;
    }
    printf("xh-udp: served %lu echoes\n", echoed);
    return 0;
}

int main(int argc, char **argv)
{
    static unsigned char buf[1472];
    struct sockaddr_in a = { .sin_family = AF_INET };
    unsigned min = 1, max = 1472, ok = 0, bad = 0, lost = 0;
    int fd;

    if (argc >= 4 && !strcmp(argv[1], "--serve"))
        return serve((unsigned short)atoi(argv[2]), atof(argv[3]));
    if (argc < 3 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
        fprintf(stderr, "usage: xh-udp ADDR PORT [MIN MAX | --rate SECS | --stop] | xh-udp --serve PORT SECS\n");
        return 2;
    }
    a.sin_port = htons((unsigned short)atoi(argv[2]));
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        fprintf(stderr, "xh-udp: socket/connect: %s\n", strerror(errno));
        return 1;
    }
    if (argc >= 4 && !strcmp(argv[3], "--stop")) {
        for (int i = 0; i < 3; i++, usleep(100000))
            send(fd, STOP, strlen(STOP), 0);
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[3], "--rate")) {
        double secs = atof(argv[4]), t0 = now_s(), rtt_min = 1e9;
        memset(buf, 0x5a, 64);
        while (now_s() - t0 < secs) {
            double t = now_s();
            buf[0] = (unsigned char)ok;
            if (echo_once(fd, buf, 64, 1000) == 0) {
                ok++;
                if (now_s() - t < rtt_min)
                    rtt_min = now_s() - t;
            } else {
                lost++;
            }
        }
        printf("xh-udp: %u echoes in %.1f s: %.0f per second, min round trip %.0f us, %u lost\n", ok, secs,
               ok / secs, rtt_min * 1e6, lost);
        return ok ? 0 : 1;
    }
    if (argc >= 5) {
        min = (unsigned)atoi(argv[3]);
        max = (unsigned)atoi(argv[4]);
        if (min < 1 || max > sizeof(buf) || min > max) {
            fprintf(stderr, "xh-udp: sizes must be 1..%zu\n", sizeof(buf));
            return 2;
        }
    }
    for (unsigned len = min; len <= max; len++) {
        int r = 2;
        for (unsigned i = 0; i < len; i++)
            buf[i] = (unsigned char)(len * 31 + i * 7);
        for (int tries = 0; tries < 3 && r == 2; tries++)
            r = echo_once(fd, buf, len, 2000);
        if (r == 0) {
            ok++;
        } else {
            if (r == 1)
                bad++;
            else
                lost++;
            if (bad + lost <= 10)
                fprintf(stderr, "xh-udp: size %u: %s\n", len, r == 1 ? "echo differs" : "no echo");
            if (ok == 0 && lost >= 10) {
                fprintf(stderr, "xh-udp: no echo at all for the first 10 sizes: giving up\n");
                break;
            }
        }
    }
    printf("xh-udp: sizes %u..%u: %u echoed byte for byte, %u wrong, %u lost\n", min, max, ok, bad, lost);
    return bad || lost ? 1 : 0;
}
