/*
 * libFuzzer: the XS_WATCH_EVENT payload parser ("<epath>|<token>|",
 * docs/misc/xenstore.txt) of xenbus/xs_codec.c.  An accepted event must
 * point inside the input at two non-empty NUL-terminated strings that fill
 * it exactly, with the path no longer than XENSTORE_ABS_PATH_MAX.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xenbus/xs_internal.h"

#define CHECK(c)                                                                \
    do {                                                                        \
        if (!(c))                                                               \
            __builtin_trap();                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xs_watch_event ev = { 0 };
    char *copy = malloc(size ? size : 1);

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (xs_parse_watch_event(copy, size, &ev) == 0) {
        CHECK(ev.path == copy);
        CHECK(ev.path_len > 0 && ev.path_len <= XENSTORE_ABS_PATH_MAX);
        CHECK(strlen(ev.path) == ev.path_len);
        CHECK(ev.token == copy + ev.path_len + 1);
        CHECK(ev.token_len > 0 && strlen(ev.token) == ev.token_len);
        CHECK(ev.path_len + ev.token_len + 2 == size);
    } else {
        CHECK(ev.path == NULL && ev.token == NULL);
    }
    free(copy);
    return 0;
}
