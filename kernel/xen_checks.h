/*
 * Self-checks of the upper half of libxhvm on real Xen, one file each:
 * grants (kernel/grant_check.c), xenstore (kernel/xenstore_check.c), guest
 * control (kernel/control.c).  kernel/xen.c runs them in order.
 */
#ifndef XH_KERNEL_XEN_CHECKS_H
#define XH_KERNEL_XEN_CHECKS_H

#include <stdbool.h>
#include <xhvm/blkfront.h>
#include <xhvm/xenbus.h>

/* Each returns false when its module did not come up (its checks skipped). */
bool grant_check(const char *cmdline);
bool xenstore_check(const char *cmdline);
/* Skip every check of the module, with the reason (not on Xen, ...). */
void grant_skip(const char *why);
void xenstore_skip(const char *why);
/* make bench-xen: grant copy throughput (kernel/grant_check.c). */
void grant_bench(void);

/* xh_bus_probe() over device/: the frontends' drivers plus a read-only survey for the rest. */
void xenbus_check(void);

/* Block frontend checks (kernel/blk_check.c); xhvm.blkwrite=<id>, xhvm.blkro=<id>. */
void blk_check(const char *cmdline);
void blk_skip(const char *why);
/* The vbd device/vbd/<id>, a connected one first; NULL when none. */
struct xh_blkfront *blk_find(const char *id);
/* make bench-xen, Linux baseline: xhvm.blkbench=<id> (kernel/blk_bench.c). */
void blk_bench(const char *cmdline);

/* xhvm.hotplug: detach and re-attach of a disk and a vif by dom0 (kernel/hotplug_check.c). */
void hotplug_check(const char *cmdline);

/* The PV keyboard as console input (kernel/kbd_input.c): register before the bus probe. */
int kbd_input_register(void);
void kbd_check(void);
unsigned long kbd_keys(void);

/* Network frontend checks and the IPv4 responder (kernel/net_check.c); xhvm.nettest, xhvm.ip=. */
void net_check(const char *cmdline);
/* Serve ARP/ping/UDP echo on the vifs until dom0 writes data/xhvm/<key>; one check named what. */
void net_serve(const char *cmdline, const char *key, const char *what);

/* Watch control/shutdown (after xenstore); reports "control: ..." checks. */
void control_start(void);
/*
 * With xhvm.wait=control: wait (up to 120 s) for a request from the
 * toolstack and report it as a check.  Returns true and the request when
 * one came.
 */
bool control_wait(const char *cmdline, enum xh_control_request *req);
/* A request that arrived at any time (xl shutdown during the checks). */
bool control_pending(enum xh_control_request *req);

#endif
