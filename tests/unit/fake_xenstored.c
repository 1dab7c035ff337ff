/* The ring-level fake xenstore daemon of fake_xenstored.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_xenstored.h"

struct fxs fxs;

struct node {
    bool used;
    char path[FXS_PATH_MAX];
    char value[XENSTORE_PAYLOAD_MAX + 1];
    size_t vlen;
    char perms[64];
    size_t plen;
};

struct watch {
    bool used;
    char path[FXS_PATH_MAX];    /* as the guest gave it (maybe relative) */
    char token[64];
};

static struct node nodes[FXS_MAX_NODES];
static struct watch watches[FXS_MAX_WATCHES];
static uint8_t in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
static size_t in_have;
static uint8_t out[1 << 17];
static size_t out_len, out_off;
static uint32_t next_txid;
static char home[64];

#define RING XENSTORE_RING_SIZE

static struct node *find(const char *path)
{
    for (unsigned i = 0; i < FXS_MAX_NODES; i++)
        if (nodes[i].used && strcmp(nodes[i].path, path) == 0)
            return &nodes[i];
    return NULL;
}

static struct node *create_one(const char *path)
{
    struct node *n = find(path);

    if (n)
        return n;
    for (unsigned i = 0; i < FXS_MAX_NODES; i++)
        if (!nodes[i].used) {
            n = &nodes[i];
            memset(n, 0, sizeof(*n));
            n->used = true;
            snprintf(n->path, sizeof(n->path), "%s", path);
            n->plen = (size_t)snprintf(n->perms, sizeof(n->perms), "n0") + 1;
            return n;
        }
    fprintf(stderr, "fake_xenstored: tree full\n");
    abort();
}

/* Create path and every missing parent (xenstore.txt WRITE/MKDIR). */
static struct node *create(const char *path)
{
    char tmp[FXS_PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            create_one(tmp);
            *p = '/';
        }
    return create_one(tmp);
}

static bool is_child(const char *child, const char *parent)
{
    size_t pl = strlen(parent);

    return strncmp(child, parent, pl) == 0 && (child[pl] == '\0' || child[pl] == '/');
}

static void absolute(const char *path, char *abs, size_t size)
{
    if (path[0] == '/')
        snprintf(abs, size, "%s", path);
    else
        snprintf(abs, size, "%s/%s", home, path);
}

/* ---- output ---- */

void fxs_inject_raw(const void *data, size_t len)
{
    if (out_len + len > sizeof(out)) {
        fprintf(stderr, "fake_xenstored: output queue full\n");
        abort();
    }
    memcpy(out + out_len, data, len);
    out_len += len;
}

void fxs_inject_msg(uint32_t type, uint32_t req_id, const void *payload, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = 0, .len = len };

    fxs_inject_raw(&h, sizeof(h));
    if (len)
        fxs_inject_raw(payload, len);
}

void fxs_inject_event(const char *path, const char *token)
{
    char buf[FXS_PATH_MAX + 80];
    size_t pl = strlen(path), tl = strlen(token);

    memcpy(buf, path, pl + 1);
    memcpy(buf + pl + 1, token, tl + 1);
    fxs_inject_msg(XS_WATCH_EVENT, 0, buf, (uint32_t)(pl + tl + 2));
}

size_t fxs_output_pending(void)
{
    return out_len - out_off;
}

static void reply(const struct xsd_sockmsg *req, uint32_t type, const void *payload, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req->req_id, .tx_id = req->tx_id, .len = len };

    if (fxs.silent)
        return;
    if (fxs.stray_next) {
        struct xsd_sockmsg s = h;

        fxs.stray_next = false;
        s.req_id ^= 0x8000;
        s.type = req->type;
        s.len = 3;
        fxs_inject_raw(&s, sizeof(s));
        fxs_inject_raw("OK", 3);
    }
    if (fxs.too_long_next) {
        fxs.too_long_next = false;
        h.len = 5000;
        fxs_inject_raw(&h, sizeof(h));
        fxs_inject_raw(payload, len);
        return;
    }
    if (fxs.wrong_type_next) {
        fxs.wrong_type_next = false;
        h.type = XS_GET_DOMAIN_PATH;
    }
    fxs_inject_raw(&h, sizeof(h));
    if (len)
        fxs_inject_raw(payload, len);
}

static void reply_error(const struct xsd_sockmsg *req, const char *name)
{
    reply(req, XS_ERROR, name, (uint32_t)strlen(name) + 1);
}

static void reply_ok(const struct xsd_sockmsg *req)
{
    if (fxs.ack_next) {
        const char *a = fxs.ack_next;

        fxs.ack_next = NULL;
        reply(req, req->type, a, (uint32_t)strlen(a) + 1);
        return;
    }
    reply(req, req->type, "OK", 3);
}

/* ---- watches ---- */

static void fire(const char *abs_path)
{
    for (unsigned i = 0; i < FXS_MAX_WATCHES; i++) {
        char wabs[FXS_PATH_MAX];

        if (!watches[i].used)
            continue;
        absolute(watches[i].path, wabs, sizeof(wabs));
        if (!is_child(abs_path, wabs))
            continue;
        /* xenstore.txt: a relative watch gets relative event paths. */
        if (watches[i].path[0] != '/')
            fxs_inject_event(abs_path + strlen(home) + 1, watches[i].token);
        else
            fxs_inject_event(abs_path, watches[i].token);
    }
}

/* ---- requests ---- */

static void handle(const struct xsd_sockmsg *req, const char *p)
{
    char abs[FXS_PATH_MAX];
    size_t first = strnlen(p, req->len);
    struct node *n;

    fxs.requests++;
    fxs.last_type = req->type;
    fxs.last_req_id = req->req_id;
    fxs.last_tx_id = req->tx_id;
    if (fxs.error_next) {
        const char *e = fxs.error_next;

        fxs.error_next = NULL;
        reply(req, XS_ERROR, e, (uint32_t)strlen(e) + (fxs.error_next_unterminated ? 0 : 1));
        fxs.error_next_unterminated = false;
        return;
    }
    /* Every request but TRANSACTION_START starts with a NUL-terminated path. */
    if (req->type != XS_TRANSACTION_START && req->type != XS_TRANSACTION_END) {
        if (first == req->len || first == 0 || first >= FXS_PATH_MAX) {
            reply_error(req, "EINVAL");
            return;
        }
        absolute(p, abs, sizeof(abs));
    }

    switch (req->type) {
    case XS_READ:
        n = find(abs);
        if (!n)
            reply_error(req, "ENOENT");
        else
            reply(req, XS_READ, n->value, (uint32_t)n->vlen);
        break;
    case XS_WRITE:
        n = create(abs);
        n->vlen = req->len - first - 1;
        memcpy(n->value, p + first + 1, n->vlen);
        reply_ok(req);
        fire(abs);
        break;
    case XS_MKDIR:
        if (!find(abs)) {
            create(abs);
            fire(abs);
        }
        reply_ok(req);
        break;
    case XS_RM: {
        char parent[FXS_PATH_MAX];
        char *slash;

        snprintf(parent, sizeof(parent), "%s", abs);
        slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        if (!find(abs) && !find(parent)) {
            reply_error(req, "ENOENT");
            break;
        }
        for (unsigned i = 0; i < FXS_MAX_NODES; i++)
            if (nodes[i].used && is_child(nodes[i].path, abs))
                nodes[i].used = false;
        reply_ok(req);
        fire(abs);
        break;
    }
    case XS_DIRECTORY: {
        char buf[XENSTORE_PAYLOAD_MAX];
        size_t len = 0, al = strlen(abs);

        if (!find(abs)) {
            reply_error(req, "ENOENT");
            break;
        }
        for (unsigned i = 0; i < FXS_MAX_NODES; i++) {
            const char *c = nodes[i].path;

            if (!nodes[i].used || strncmp(c, abs, al) != 0 || c[al] != '/' || strchr(c + al + 1, '/'))
                continue;
            size_t cl = strlen(c + al + 1) + 1;
            if (len + cl > sizeof(buf)) {
                reply_error(req, "E2BIG");
                return;
            }
            memcpy(buf + len, c + al + 1, cl);
            len += cl;
        }
        reply(req, XS_DIRECTORY, buf, (uint32_t)len);
        break;
    }
    case XS_GET_PERMS:
        n = find(abs);
        if (!n)
            reply_error(req, "ENOENT");
        else
            reply(req, XS_GET_PERMS, n->perms, (uint32_t)n->plen);
        break;
    case XS_SET_PERMS:
        n = find(abs);
        if (!n) {
            reply_error(req, "ENOENT");
            break;
        }
        if (req->len - first - 1 > sizeof(n->perms) || req->len - first - 1 == 0) {
            reply_error(req, "EINVAL");
            break;
        }
        n->plen = req->len - first - 1;
        memcpy(n->perms, p + first + 1, n->plen);
        reply_ok(req);
        fire(abs);
        break;
    case XS_WATCH: {
        const char *tok = p + first + 1;
        size_t tl = strnlen(tok, req->len - first - 1);
        unsigned i;

        if (first + 1 + tl + 1 != req->len || tl == 0 || tl >= sizeof(watches[0].token)) {
            reply_error(req, "EINVAL");
            break;
        }
        for (i = 0; i < FXS_MAX_WATCHES; i++)
            if (watches[i].used && strcmp(watches[i].token, tok) == 0 && strcmp(watches[i].path, p) == 0)
                break;
        if (i < FXS_MAX_WATCHES) {
            reply_error(req, "EEXIST");
            break;
        }
        for (i = 0; i < FXS_MAX_WATCHES && watches[i].used; i++)
            ;
        if (i == FXS_MAX_WATCHES) {
            reply_error(req, "ENOSPC");
            break;
        }
        watches[i].used = true;
        memcpy(watches[i].path, p, first + 1);
        memcpy(watches[i].token, tok, tl + 1);
        reply_ok(req);
        /* xenstore.txt: "When a watch is first set up it is triggered once
         * straight away, with <path> equal to <wpath>." */
        if (!fxs.silent)
            fxs_inject_event(p, tok);
        break;
    }
    case XS_UNWATCH: {
        const char *tok = p + first + 1;
        unsigned i;

        for (i = 0; i < FXS_MAX_WATCHES; i++)
            if (watches[i].used && strcmp(watches[i].token, tok) == 0 && strcmp(watches[i].path, p) == 0)
                break;
        if (i == FXS_MAX_WATCHES) {
            reply_error(req, "ENOENT");
            break;
        }
        watches[i].used = false;
        reply_ok(req);
        break;
    }
    case XS_TRANSACTION_START: {
        char id[16];

        if (req->len != 1 || p[0] != '\0' || req->tx_id != 0) {
            reply_error(req, "EINVAL");
            break;
        }
        if (fxs.txn_id_next) {
            const char *t = fxs.txn_id_next;

            fxs.txn_id_next = NULL;
            reply(req, XS_TRANSACTION_START, t, (uint32_t)strlen(t) + 1);
            break;
        }
        snprintf(id, sizeof(id), "%u", ++next_txid);
        reply(req, XS_TRANSACTION_START, id, (uint32_t)strlen(id) + 1);
        break;
    }
    case XS_TRANSACTION_END:
        if (req->tx_id == 0 || req->len != 2 || (p[0] != 'T' && p[0] != 'F') || p[1] != '\0') {
            reply_error(req, "EINVAL");
            break;
        }
        if (p[0] == 'F') {
            fxs.aborts++;
            reply_ok(req);
            break;
        }
        fxs.commits++;
        if (fxs.eagain_commits) {
            fxs.eagain_commits--;
            reply_error(req, "EAGAIN");
            break;
        }
        reply_ok(req);
        break;
    default:
        reply_error(req, "EINVAL");
    }
}

static void kick(void)
{
    fxs.kicks++;
    if (fxs.kick)
        fxs.kick(fxs.kick_ctx);
}

static bool do_reconnect(void)
{
    struct xenstore_domain_interface *r = fxs.intf;

    if (!fxs.reconnect_feature || r->connection != XENSTORE_RECONNECT || fxs.reconnect_ignore)
        return false;
    /* xenstore-ring.txt: drop partial packets, empty both queues, drop
     * watches and transactions, set Connected, signal. */
    in_have = 0;
    out_len = out_off = 0;
    memset(watches, 0, sizeof(watches));
    r->req_cons = r->req_prod = fxs.reconnect_idx;
    r->rsp_cons = r->rsp_prod = fxs.reconnect_idx;
    r->connection = XENSTORE_CONNECTED;
    fxs.reconnects++;
    kick();
    return true;
}

void fxs_service(void)
{
    struct xenstore_domain_interface *r = fxs.intf;
    bool moved = false;

    if (!r)
        return;
    fxs.services++;
    if (fxs.reconnect_feature)
        r->server_features |= XENSTORE_SERVER_FEATURE_RECONNECTION;
    if (do_reconnect())
        return;
    if (fxs.reconnect_feature && r->connection == XENSTORE_RECONNECT)
        return;         /* ignoring it: the guest must not get anything */

    /* Requests. */
    if (!fxs.consume_off) {
        uint32_t avail = r->req_prod - r->req_cons;
        unsigned budget = fxs.req_bytes_per_service ? fxs.req_bytes_per_service : ~0u;

        if (avail > RING) {
            fxs.guest_errors++;
            avail = 0;
        }
        while (avail && budget) {
            struct xsd_sockmsg h;
            char payload[XENSTORE_PAYLOAD_MAX + 1];

            in[in_have++] = (uint8_t)r->req[MASK_XENSTORE_IDX(r->req_cons)];
            r->req_cons++;
            avail--;
            budget--;
            moved = true;
            if (in_have < sizeof(h))
                continue;
            memcpy(&h, in, sizeof(h));
            if (h.len > XENSTORE_PAYLOAD_MAX) {
                fxs.guest_errors++;     /* xenstored would kill the connection */
                in_have = 0;
                continue;
            }
            if (in_have < sizeof(h) + h.len)
                continue;
            memcpy(payload, in + sizeof(h), h.len);
            payload[h.len] = '\0';
            if (in_have > fxs.max_req_len)
                fxs.max_req_len = in_have;
            in_have = 0;
            handle(&h, payload);
        }
    }

    /* Output. */
    if (out_off < out_len) {
        uint32_t used = r->rsp_prod - r->rsp_cons;
        size_t n = out_len - out_off;

        if (used > RING) {
            fxs.guest_errors++;
            used = RING;
        }
        if (n > RING - used)
            n = RING - used;
        if (fxs.rsp_bytes_per_service && n > fxs.rsp_bytes_per_service)
            n = fxs.rsp_bytes_per_service;
        for (size_t i = 0; i < n; i++)
            r->rsp[MASK_XENSTORE_IDX(r->rsp_prod + (uint32_t)i)] = (char)out[out_off + i];
        __asm__ __volatile__("" ::: "memory");
        r->rsp_prod += (uint32_t)n;
        out_off += n;
        if (out_off == out_len)
            out_off = out_len = 0;
        if (n)
            moved = true;
    }
    if (moved)
        kick();
}

void fxs_reset(void *page, unsigned domid, uint32_t start_idx)
{
    struct xenstore_domain_interface *r = page;
    char path[128];

    memset(&fxs, 0, sizeof(fxs));
    memset(nodes, 0, sizeof(nodes));
    memset(watches, 0, sizeof(watches));
    in_have = out_len = out_off = 0;
    next_txid = 0;
    fxs.intf = r;
    fxs.domid = domid;
    memset(r, 0, 4096);
    /* Leftover bytes from "firmware" so nothing relies on zeroed buffers. */
    memset(r->req, 0xa5, sizeof(r->req));
    memset(r->rsp, 0x5a, sizeof(r->rsp));
    r->req_cons = r->req_prod = r->rsp_cons = r->rsp_prod = start_idx;
    snprintf(home, sizeof(home), "/local/domain/%u", domid);
    snprintf(path, sizeof(path), "%s/domid", home);
    {
        char v[16];

        snprintf(v, sizeof(v), "%u", domid);
        fxs_set(path, v);
    }
}

void fxs_set(const char *path, const char *value)
{
    struct node *n = create(path);

    n->vlen = strlen(value);
    memcpy(n->value, value, n->vlen);
}

const char *fxs_get(const char *path)
{
    struct node *n = find(path);

    if (!n)
        return NULL;
    n->value[n->vlen] = '\0';
    return n->value;
}

bool fxs_has_watch(const char *token)
{
    for (unsigned i = 0; i < FXS_MAX_WATCHES; i++)
        if (watches[i].used && strcmp(watches[i].token, token) == 0)
            return true;
    return false;
}

unsigned fxs_watch_count(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < FXS_MAX_WATCHES; i++)
        n += watches[i].used;
    return n;
}
