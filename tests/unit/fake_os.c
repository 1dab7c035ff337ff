/* Hosted include/xhvm/os.h for unit tests: see fake_os.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_os.h"

struct fake_os fake_os;

/*
 * Every page handed out and not freed stays reachable here (no leak
 * reports): the library keeps some (the hypercall page, vcpu_info pages)
 * across tests, as it keeps them for the life of a kernel.  A freed page is
 * really freed, so ASan reports any use after xh_os_page_free.
 */
static void *pages[16384];
static unsigned nr_pages;

void fake_os_reset(void)
{
    memset(&fake_os, 0, sizeof(fake_os));
    fake_os.pages_fail_after = -1;
    fake_os.vector_rc = 0xf3;
}

bool fake_os_logged(const char *needle)
{
    return strstr(fake_os.log, needle) != NULL;
}

void fake_os_dump_log(void)
{
    fprintf(stderr, "---- library log ----\n%s---------------------\n", fake_os.log);
}

void *xh_os_page_alloc(size_t count, uint64_t *phys)
{
    void *p;

    if (fake_os.pages_fail_after == 0 || nr_pages >= sizeof(pages) / sizeof(pages[0]))
        return NULL;
    if (fake_os.pages_fail_after > 0)
        fake_os.pages_fail_after--;
    p = aligned_alloc(4096, count * 4096);
    if (!p)
        return NULL;
    memset(p, 0, count * 4096);
    pages[nr_pages++] = p;
    fake_os.pages_allocated += (unsigned)count;
    *phys = (uint64_t)(uintptr_t)p;
    return p;
}

void xh_os_page_free(void *va, size_t count)
{
    /* The latest first: a page is usually freed soon after its allocation. */
    for (unsigned i = nr_pages; i-- > 0;)
        if (pages[i] == va) {
            pages[i] = pages[--nr_pages];
            free(va);
            fake_os.pages_freed += (unsigned)count;
            return;
        }
    fprintf(stderr, "xh_os_page_free(%p, %zu): not an allocated page\n", va, count);
    abort();
}

void fake_os_free_pages(void)
{
    while (nr_pages)
        free(pages[--nr_pages]);
}

uint64_t xh_os_virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va;
}

void *xh_os_map_phys(uint64_t phys, size_t len, unsigned flags)
{
    (void)len;
    (void)flags;
    fake_os.maps++;
    return fake_os.map_fails ? NULL : (void *)(uintptr_t)phys;
}

void xh_os_unmap_phys(void *va, size_t len)
{
    (void)va;
    (void)len;
}

int xh_os_irq_alloc_vector(xh_irq_handler handler, void *arg)
{
    fake_os.vector_allocs++;
    if (fake_os.vector_rc >= 0) {
        fake_os.vector_handler = handler;
        fake_os.vector_arg = arg;
    }
    return fake_os.vector_rc;
}

int xh_os_irq_bind_gsi(uint32_t gsi, bool level_triggered, bool active_low, xh_irq_handler handler, void *arg)
{
    fake_os.gsi_binds++;
    fake_os.gsi = gsi;
    fake_os.gsi_level = level_triggered;
    fake_os.gsi_active_low = active_low;
    if (fake_os.gsi_rc == 0) {
        fake_os.gsi_handler = handler;
        fake_os.gsi_arg = arg;
    }
    return fake_os.gsi_rc;
}

void xh_os_irq_eoi(void)
{
    fake_os.eois++;
}

unsigned long xh_os_irq_save(void)
{
    unsigned long was = fake_os.irqs_off;

    fake_os.irq_saves++;
    fake_os.irqs_off = true;
    return was;
}

void xh_os_irq_restore(unsigned long flags)
{
    fake_os.irq_restores++;
    fake_os.irqs_off = flags != 0;
}

unsigned xh_os_cpu_index(void)
{
    return fake_os.cpu;
}

uint64_t xh_os_now_ns(void)
{
    return fake_os.now_ns;
}

void xh_os_wait_for_interrupt(void)
{
    fake_os.waits++;
    if (fake_os.on_wait)
        fake_os.on_wait(fake_os.on_wait_ctx);
}

void xh_os_log(enum xh_log_level level, const char *fmt, ...)
{
    static const char *const names[] = { "E", "W", "I", "D" };
    size_t room = sizeof(fake_os.log) - fake_os.log_len;
    va_list ap;
    int n;

    if (room < 4) {
        char line[512];

        /* Full: format anyway, so a bad argument still shows under ASan/UBSan. */
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        return;
    }
    n = snprintf(fake_os.log + fake_os.log_len, room, "%s: ", level <= XH_LOG_DEBUG ? names[level] : "?");
    fake_os.log_len += (size_t)n < room ? (size_t)n : room - 1;
    room = sizeof(fake_os.log) - fake_os.log_len;
    va_start(ap, fmt);
    n = vsnprintf(fake_os.log + fake_os.log_len, room, fmt, ap);
    va_end(ap);
    fake_os.log_len += (size_t)n < room ? (size_t)n : room - 1;
    if (fake_os.log_len + 2 < sizeof(fake_os.log)) {
        fake_os.log[fake_os.log_len++] = '\n';
        fake_os.log[fake_os.log_len] = '\0';
    }
    if (getenv("XH_TEST_LOG")) {
        va_start(ap, fmt);
        fprintf(stderr, "    lib: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
}

/* The OS must provide memcpy etc. (os.h): the host libc does. */
