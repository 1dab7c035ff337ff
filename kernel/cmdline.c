/* Command-line parsing: see cmdline.h. */
#include "cmdline.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Find the last word whose key is `key`; return a pointer just past the key. */
static const char *find_last(const char *s, const char *key)
{
    const char *hit = NULL;

    if (!s || !key || !*key)
        return NULL;
    while (*s) {
        const char *w, *k;
        bool quoted = false;

        while (is_blank(*s))
            s++;
        if (!*s)
            break;
        w = s;
        for (k = key; *k && *w == *k; k++, w++)
            ;
        if (!*k && (*w == '=' || *w == '\0' || is_blank(*w)))
            hit = w;
        /* skip the rest of the word, honouring quotes */
        while (*s && (quoted || !is_blank(*s))) {
            if (*s == '"')
                quoted = !quoted;
            s++;
        }
    }
    return hit;
}

int cmdline_get(const char *cmdline, const char *key, char *val, size_t len)
{
    const char *p = find_last(cmdline, key);
    size_t n = 0;
    bool quoted = false;

    if (len)
        val[0] = '\0';
    if (!p)
        return -1;
    if (*p == '=') {
        p++;
        for (; *p && (quoted || !is_blank(*p)); p++) {
            if (*p == '"') {
                quoted = !quoted;
                continue;
            }
            if (n + 1 < len)
                val[n] = *p;
            n++;
        }
    }
    if (len)
        val[n < len ? n : len - 1] = '\0';
    return n > (size_t)__INT_MAX__ ? __INT_MAX__ : (int)n;
}

bool cmdline_has(const char *cmdline, const char *key)
{
    return find_last(cmdline, key) != NULL;
}

bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out)
{
    char buf[24];
    const char *p = buf;
    uint64_t v = 0, base = 10, d;
    int n = cmdline_get(cmdline, key, buf, sizeof(buf));

    if (n <= 0 || (size_t)n >= sizeof(buf))
        return false;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        if (!*p)
            return false;
    }
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            d = (uint64_t)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (uint64_t)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (uint64_t)(*p - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;       /* overflow */
        v = v * base + d;
    }
    *out = v;
    return true;
}
