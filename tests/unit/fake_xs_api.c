/* The in-memory xenstore of fake_xs_api.h. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/errno.h>

#include <xhvm/xenstore.h>

#include "xenbus/xs_internal.h"
#include "fake_os.h"
#include "fake_xs_api.h"

#define MAX_NODES   512
#define PATH_LEN    256
#define VALUE_LEN   1024
#define MAX_EVENTS  256
#define MAX_FAILS   16
#define MAX_PENDING 64
#define MAX_HISTORY 1024

struct node {
    bool used;
    char path[PATH_LEN];
    char value[VALUE_LEN];
};

struct event {
    struct xh_xs_watch *w;
    char path[PATH_LEN];
};

struct fail {
    char path[PATH_LEN];
    unsigned ops;
    int err;
};

struct change {
    bool rm;
    char path[PATH_LEN];
    char value[VALUE_LEN];
};

struct fake_xs fake_xs;

static struct node nodes[MAX_NODES], snapshot[MAX_NODES], save[MAX_NODES];
static struct event events[MAX_EVENTS];
static unsigned ev_head, ev_count;
static struct xh_xs_watch *watches;
static struct fail fails[MAX_FAILS];
static struct change history[MAX_HISTORY];
static unsigned nr_history;
static uint64_t timeout_ns = XH_XS_TIMEOUT_NS;
static struct xh_xs_stats stats;

/* The one open transaction (the code under test never nests them). */
static struct {
    bool open;
    xh_xs_txn id;
    bool conflict;
    struct change pending[MAX_PENDING];
    unsigned nr_pending;
} txn;
static xh_xs_txn next_txn = 1;

/* ---- paths and nodes ----------------------------------------------------------- */

static int normalize(const char *path, char out[PATH_LEN])
{
    int n;

    if (!path || !*path)
        return -XEN_EINVAL;
    if (path[0] == '/')
        n = snprintf(out, PATH_LEN, "%s", path);
    else
        n = snprintf(out, PATH_LEN, "%s/%s", FAKE_XS_HOME, path);
    if (n < 0 || n >= PATH_LEN)
        return -XEN_ENAMETOOLONG;
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    return 0;
}

static struct node *find(const char *abs)
{
    for (unsigned i = 0; i < MAX_NODES; i++)
        if (nodes[i].used && strcmp(nodes[i].path, abs) == 0)
            return &nodes[i];
    return NULL;
}

static struct node *create(const char *abs)
{
    struct node *n = find(abs);

    if (n)
        return n;
    for (unsigned i = 0; i < MAX_NODES; i++)
        if (!nodes[i].used) {
            nodes[i].used = true;
            snprintf(nodes[i].path, PATH_LEN, "%s", abs);
            nodes[i].value[0] = '\0';
            return &nodes[i];
        }
    return NULL;
}

/* a equals b or is an ancestor of it (component-wise). */
static bool is_prefix(const char *a, const char *b)
{
    size_t la = strlen(a);

    if (strcmp(a, "/") == 0)
        return true;
    return strncmp(a, b, la) == 0 && (b[la] == '\0' || b[la] == '/');
}

static int set_node(const char *abs, const char *value)
{
    char parent[PATH_LEN];
    struct node *n;

    if (strlen(value) >= VALUE_LEN)
        return -XEN_ENOSPC;
    /* xenstored creates missing parents (with empty values). */
    for (const char *p = strchr(abs + 1, '/'); p; p = strchr(p + 1, '/')) {
        snprintf(parent, sizeof(parent), "%.*s", (int)(p - abs), abs);
        if (!create(parent))
            return -XEN_ENOSPC;
    }
    n = create(abs);
    if (!n)
        return -XEN_ENOSPC;
    snprintf(n->value, VALUE_LEN, "%s", value);
    return 0;
}

static bool rm_nodes(const char *abs)
{
    bool any = false;

    for (unsigned i = 0; i < MAX_NODES; i++)
        if (nodes[i].used && is_prefix(abs, nodes[i].path)) {
            nodes[i].used = false;
            any = true;
        }
    return any;
}

static int failure(const char *abs, unsigned op)
{
    for (unsigned i = 0; i < MAX_FAILS; i++)
        if (fails[i].err && (fails[i].ops & op) && strcmp(fails[i].path, abs) == 0)
            return fails[i].err;
    return 0;
}

/* ---- watches --------------------------------------------------------------------- */

static void queue_event(struct xh_xs_watch *w, const char *abs)
{
    struct event *e;
    size_t home = strlen(FAKE_XS_HOME);

    if (ev_count == MAX_EVENTS) {
        w->overflowed = true;
        stats.watch_events_dropped++;
        return;
    }
    e = &events[(ev_head + ev_count++) % MAX_EVENTS];
    e->w = w;
    /* A relative watch gets paths relative to the home, as xenstored sends them. */
    if (w->path[0] != '/' && strncmp(abs, FAKE_XS_HOME "/", home + 1) == 0)
        snprintf(e->path, PATH_LEN, "%s", abs + home + 1);
    else
        snprintf(e->path, PATH_LEN, "%s", abs);
    stats.watch_events++;
}

/* Fire the watches a change of abs concerns (an rm also fires watches below it). */
static void fire(const char *abs, bool rm)
{
    char wabs[PATH_LEN];

    for (struct xh_xs_watch *w = watches; w; w = w->next) {
        if (normalize(w->path, wabs) < 0)
            continue;
        if (is_prefix(wabs, abs))
            queue_event(w, abs);
        else if (rm && is_prefix(abs, wabs))
            queue_event(w, wabs);
    }
}

/* A library change became visible: history, watches, the test's hook. */
static void publish(const struct change *c)
{
    if (nr_history < MAX_HISTORY)
        history[nr_history++] = *c;
    fire(c->path, c->rm);
    if (fake_xs.on_write)
        fake_xs.on_write(c->path, c->rm ? NULL : c->value, fake_xs.on_write_ctx);
}

static void library_change(const char *abs, const char *value, bool rm)
{
    struct change c = { .rm = rm };

    snprintf(c.path, PATH_LEN, "%s", abs);
    snprintf(c.value, VALUE_LEN, "%s", value ? value : "");
    if (txn.open) {
        if (txn.nr_pending < MAX_PENDING)
            txn.pending[txn.nr_pending++] = c;
        return;
    }
    publish(&c);
}

/* ---- test interface --------------------------------------------------------------- */

void fake_xs_reset(void)
{
    memset(&fake_xs, 0, sizeof(fake_xs));
    memset(nodes, 0, sizeof(nodes));
    memset(fails, 0, sizeof(fails));
    memset(&txn, 0, sizeof(txn));
    memset(&stats, 0, sizeof(stats));
    ev_head = ev_count = 0;
    nr_history = 0;
    for (struct xh_xs_watch *w = watches, *next; w; w = next) {
        next = w->next;
        w->registered = false;
        w->next = NULL;
    }
    watches = NULL;
    timeout_ns = XH_XS_TIMEOUT_NS;
}

static void set_external(const char *path, const char *value, bool quiet)
{
    char abs[PATH_LEN];

    if (normalize(path, abs) < 0 || set_node(abs, value) < 0) {
        fprintf(stderr, "fake_xs_set(%s): bad path or full\n", path);
        abort();
    }
    /* Someone else changed the store while our transaction is open: it must not commit. */
    if (txn.open) {
        memcpy(save, nodes, sizeof(nodes));
        memcpy(nodes, snapshot, sizeof(nodes));
        set_node(abs, value);
        memcpy(snapshot, nodes, sizeof(nodes));
        memcpy(nodes, save, sizeof(nodes));
        txn.conflict = true;
    }
    if (!quiet)
        fire(abs, false);
}

void fake_xs_set(const char *path, const char *value)
{
    set_external(path, value, false);
}

void fake_xs_set_quiet(const char *path, const char *value)
{
    set_external(path, value, true);
}

void fake_xs_rm(const char *path)
{
    char abs[PATH_LEN];

    if (normalize(path, abs) < 0)
        abort();
    rm_nodes(abs);
    if (txn.open) {
        memcpy(save, nodes, sizeof(nodes));
        memcpy(nodes, snapshot, sizeof(nodes));
        rm_nodes(abs);
        memcpy(snapshot, nodes, sizeof(nodes));
        memcpy(nodes, save, sizeof(nodes));
        txn.conflict = true;
    }
    fire(abs, true);
}

const char *fake_xs_get(const char *path)
{
    char abs[PATH_LEN];
    struct node *n;

    if (normalize(path, abs) < 0)
        return NULL;
    n = find(abs);
    return n ? n->value : NULL;
}

void fake_xs_fail(const char *path, unsigned ops, int err)
{
    char abs[PATH_LEN];
    struct fail *slot = NULL;

    if (normalize(path, abs) < 0)
        abort();
    for (unsigned i = 0; i < MAX_FAILS; i++) {
        if (fails[i].err && strcmp(fails[i].path, abs) == 0 && fails[i].ops == ops) {
            slot = &fails[i];
            break;
        }
        if (!fails[i].err && !slot)
            slot = &fails[i];
    }
    if (!slot)
        abort();
    snprintf(slot->path, PATH_LEN, "%s", abs);
    slot->ops = ops;
    slot->err = err;
}

unsigned fake_xs_queued(void)
{
    return ev_count;
}

const char *fake_xs_history(const char *path)
{
    static char out[4096];
    char abs[PATH_LEN];
    size_t len = 0;

    out[0] = '\0';
    if (normalize(path, abs) < 0)
        return out;
    for (unsigned i = 0; i < nr_history; i++) {
        if (strcmp(history[i].path, abs) != 0)
            continue;
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len ? "," : "",
                                history[i].rm ? "<rm>" : history[i].value[0] ? history[i].value : "\"\"");
        if (len >= sizeof(out))
            break;
    }
    return out;
}

unsigned fake_xs_watch_count(void)
{
    unsigned n = 0;

    for (struct xh_xs_watch *w = watches; w; w = w->next)
        n++;
    return n;
}

/* ---- the scripted backend -------------------------------------------------------- */

struct fake_backend fake_backend;

static void backend_apply(int st)
{
    char v[4];

    snprintf(v, sizeof(v), "%d", st);
    fake_backend.answers++;
    fake_xs_set(fake_backend.back, v);
}

static void backend_on_write(const char *abs, const char *value, void *ctx)
{
    const char *cur;
    int be, fe, next = 0;

    if (!value || strcmp(abs, fake_backend.front) != 0 || fake_backend.stuck)
        return;
    cur = fake_xs_get(fake_backend.back);
    be = cur ? atoi(cur) : 0;
    fe = atoi(value);
    switch (fe) {
    case 1:
        if (be == 6 && fake_backend.reconnect)
            next = 2;
        break;
    case 3:
    case 4:
        if (be == 2)
            next = 4;
        break;
    case 5:
        if (be != 6 && be != 5)
            next = 5;
        break;
    case 6:
        if (be != 6)
            next = 6;
        break;
    }
    if (!next)
        return;
    if (fake_backend.deferred)
        fake_backend.pending = next;
    else
        backend_apply(next);
}

static void backend_on_wait(void *ctx)
{
    if (fake_backend.pending) {
        int st = fake_backend.pending;

        fake_backend.pending = 0;
        backend_apply(st);
    }
}

void fake_backend_attach(const char *front_node, const char *back_node, bool reconnect, bool deferred)
{
    char abs[PATH_LEN];

    memset(&fake_backend, 0, sizeof(fake_backend));
    fake_backend.reconnect = reconnect;
    fake_backend.deferred = deferred;
    if (normalize(front_node, abs) < 0 || strlen(abs) + 7 > sizeof(fake_backend.front))
        abort();
    strcpy(fake_backend.front, abs);
    strcat(fake_backend.front, "/state");
    if (normalize(back_node, abs) < 0 || strlen(abs) + 7 > sizeof(fake_backend.back))
        abort();
    strcpy(fake_backend.back, abs);
    strcat(fake_backend.back, "/state");
    fake_xs.on_write = backend_on_write;
    fake_xs.on_wait = backend_on_wait;
}

/* ---- include/xhvm/xenstore.h ----------------------------------------------------- */

int xh_xs_init(void)
{
    return 0;
}

int xh_xs_init_ring(void *ring, uint32_t port)
{
    return 0;
}

bool xh_xs_ready(void)
{
    return true;
}

void xh_xs_set_timeout(uint64_t ns)
{
    timeout_ns = ns;
}

/* Common checks of a request: its transaction, its path, injected failures. */
static int request(xh_xs_txn t, const char *path, unsigned op, char abs[PATH_LEN])
{
    int rc;

    fake_xs.requests++;
    stats.requests++;
    if (t != XH_XS_NO_TXN && (!txn.open || t != txn.id))
        return -XEN_EINVAL;     /* a stale or made-up transaction id */
    rc = normalize(path, abs);
    if (rc < 0)
        return rc;
    rc = failure(abs, op);
    return rc;
}

int xh_xs_read(xh_xs_txn t, const char *path, char *buf, size_t size, size_t *len)
{
    char abs[PATH_LEN];
    struct node *n;
    size_t l;
    int rc = request(t, path, FX_OP_READ, abs);

    if (rc < 0)
        return rc;
    n = find(abs);
    if (!n)
        return -XEN_ENOENT;
    l = strlen(n->value);
    if (len)
        *len = l;
    if (size == 0)
        return -XEN_E2BIG;
    if (l + 1 > size) {
        memcpy(buf, n->value, size - 1);
        buf[size - 1] = '\0';
        return -XEN_E2BIG;
    }
    memcpy(buf, n->value, l + 1);
    return 0;
}

int xh_xs_read_u64(xh_xs_txn t, const char *path, uint64_t *val)
{
    char buf[32], *end;
    int rc = xh_xs_read(t, path, buf, sizeof(buf), NULL);

    if (rc < 0)
        return rc;
    if (!buf[0] || buf[0] == '-' || buf[0] == ' ')
        return -XEN_EINVAL;
    *val = strtoull(buf, &end, 0);
    return *end ? -XEN_EINVAL : 0;
}

int xh_xs_write(xh_xs_txn t, const char *path, const char *value)
{
    char abs[PATH_LEN];
    int rc = request(t, path, FX_OP_WRITE, abs);

    if (rc < 0)
        return rc;
    rc = set_node(abs, value);
    if (rc < 0)
        return rc;
    library_change(abs, value, false);
    return 0;
}

int xh_xs_printf(xh_xs_txn t, const char *path, const char *fmt, ...)
{
    char buf[VALUE_LEN];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof(buf))
        return -XEN_E2BIG;
    return xh_xs_write(t, path, buf);
}

int xh_xs_mkdir(xh_xs_txn t, const char *path)
{
    char abs[PATH_LEN];
    int rc = request(t, path, FX_OP_WRITE, abs);

    if (rc < 0)
        return rc;
    if (find(abs))
        return 0;
    rc = set_node(abs, "");
    if (rc == 0)
        library_change(abs, "", false);
    return rc;
}

int xh_xs_rm(xh_xs_txn t, const char *path)
{
    char abs[PATH_LEN];
    int rc = request(t, path, FX_OP_RM, abs);

    if (rc < 0)
        return rc;
    if (!rm_nodes(abs))
        return -XEN_ENOENT;
    library_change(abs, NULL, true);
    return 0;
}

int xh_xs_exists(xh_xs_txn t, const char *path)
{
    char abs[PATH_LEN];
    int rc = request(t, path, FX_OP_EXISTS, abs);

    if (rc < 0)
        return rc;
    return find(abs) ? 1 : 0;
}

int xh_xs_directory(xh_xs_txn t, const char *path, char *buf, size_t size, unsigned *count)
{
    char abs[PATH_LEN];
    size_t la, used = 0;
    unsigned n = 0;
    int rc = request(t, path, FX_OP_DIR, abs);

    if (rc < 0)
        return rc;
    if (!find(abs))
        return -XEN_ENOENT;
    la = strlen(abs);
    for (unsigned i = 0; i < MAX_NODES; i++) {
        const char *p = nodes[i].path, *name;
        size_t ln;

        if (!nodes[i].used || strncmp(p, abs, la) != 0 || p[la] != '/')
            continue;
        name = p + la + 1;
        if (strchr(name, '/'))
            continue;
        ln = strlen(name) + 1;
        if (used + ln > size)
            return -XEN_E2BIG;
        memcpy(buf + used, name, ln);
        used += ln;
        n++;
    }
    *count = n;
    return 0;
}

const char *xh_xs_next_name(const char *buf, unsigned count, const char *cur)
{
    if (count == 0)
        return NULL;
    if (!cur)
        return buf;
    for (unsigned i = 0; i + 1 < count; i++) {
        if (buf == cur)
            return cur + strlen(cur) + 1;
        buf += strlen(buf) + 1;
    }
    return NULL;
}

int xh_xs_get_perms(xh_xs_txn t, const char *path, char *buf, size_t size, unsigned *count)
{
    char abs[PATH_LEN];
    int rc = request(t, path, FX_OP_READ, abs);

    if (rc < 0)
        return rc;
    if (!find(abs))
        return -XEN_ENOENT;
    if (size < 3)
        return -XEN_E2BIG;
    memcpy(buf, "n0", 3);
    *count = 1;
    return 0;
}

int xh_xs_set_perms(xh_xs_txn t, const char *path, const char *perms, size_t perms_len)
{
    char abs[PATH_LEN];
    int rc = request(t, path, FX_OP_WRITE, abs);

    if (rc < 0)
        return rc;
    return find(abs) ? 0 : -XEN_ENOENT;
}

int xh_xs_domid(uint32_t *domid)
{
    *domid = FAKE_XS_DOMID;
    return 0;
}

int xh_xs_transaction_start(xh_xs_txn *t)
{
    fake_xs.requests++;
    if (txn.open)
        return -XEN_EBUSY;
    txn.open = true;
    txn.id = next_txn++;
    txn.conflict = false;
    txn.nr_pending = 0;
    memcpy(snapshot, nodes, sizeof(nodes));
    fake_xs.txn_starts++;
    *t = txn.id;
    return 0;
}

static void rollback(void)
{
    memcpy(nodes, snapshot, sizeof(nodes));
    txn.open = false;
    txn.nr_pending = 0;
}

int xh_xs_transaction_end(xh_xs_txn t, bool commit)
{
    fake_xs.requests++;
    if (!txn.open || t != txn.id)
        return -XEN_EINVAL;
    if (!commit) {
        fake_xs.aborts++;
        rollback();
        return 0;
    }
    if (fake_xs.on_commit)
        fake_xs.on_commit(fake_xs.on_commit_ctx);
    if (fake_xs.eagain_commits || txn.conflict) {
        if (fake_xs.eagain_commits)
            fake_xs.eagain_commits--;
        fake_xs.eagains++;
        rollback();
        return -XEN_EAGAIN;
    }
    fake_xs.commits++;
    txn.open = false;
    for (unsigned i = 0; i < txn.nr_pending; i++)
        publish(&txn.pending[i]);
    txn.nr_pending = 0;
    return 0;
}

/* xh_xs_transaction_run is the library's own (xenbus/xs_txn.c), over the calls above. */
void xs_count_txn_retry(void)
{
    stats.txn_retries++;
}

int xh_xs_watch(struct xh_xs_watch *w, const char *path, xh_xs_watch_fn fn, void *arg)
{
    char abs[PATH_LEN];
    int rc = request(XH_XS_NO_TXN, path, FX_OP_WATCH, abs);

    if (rc < 0)
        return rc;
    for (struct xh_xs_watch *x = watches; x; x = x->next)
        if (x == w)
            return -XEN_EEXIST;
    if (strlen(path) >= sizeof(w->path))
        return -XEN_ENAMETOOLONG;
    snprintf(w->path, sizeof(w->path), "%s", path);
    w->fn = fn;
    w->arg = arg;
    w->registered = true;
    w->overflowed = false;
    w->fired = 0;
    w->next = watches;
    watches = w;
    fake_xs.watches_registered++;
    /* xenstored fires a new watch once at once, with the watched path. */
    queue_event(w, abs);
    return 0;
}

int xh_xs_unwatch(struct xh_xs_watch *w)
{
    struct xh_xs_watch **pp;
    unsigned kept = 0;

    fake_xs.requests++;
    for (pp = &watches; *pp && *pp != w; pp = &(*pp)->next)
        ;
    if (!*pp)
        return -XEN_ENOENT;
    *pp = w->next;
    w->next = NULL;
    w->registered = false;
    /* Drop its queued events. */
    for (unsigned i = 0; i < ev_count; i++) {
        struct event e = events[(ev_head + i) % MAX_EVENTS];

        if (e.w != w)
            events[(ev_head + kept++) % MAX_EVENTS] = e;
    }
    ev_count = kept;
    return 0;
}

unsigned xh_xs_dispatch_watches(void)
{
    unsigned ran = 0;

    while (ev_count && ran < 10000) {
        struct event e = events[ev_head];

        ev_head = (ev_head + 1) % MAX_EVENTS;
        ev_count--;
        if (!e.w->registered)
            continue;
        e.w->fired++;
        ran++;
        fake_xs.dispatched++;
        e.w->fn(e.w, e.path, e.w->arg);
    }
    return ran;
}

int xh_xs_wait_watches(uint64_t timeout)
{
    fake_xs.waits++;
    fake_xs.last_wait_timeout = timeout;
    if (!ev_count && fake_xs.on_wait)
        fake_xs.on_wait(fake_xs.on_wait_ctx);
    if (!ev_count) {
        fake_os.now_ns += timeout;
        fake_xs.wait_timeouts++;
        return -XEN_ETIMEDOUT;
    }
    xh_xs_dispatch_watches();
    return 0;
}

void xh_xs_get_stats(struct xh_xs_stats *out)
{
    *out = stats;
}
