#include <stdint.h>
#include "boot/boot_info.h"
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0,%1" :: "a"(v), "Nd"(p)); }
static void puts_(const char *s) { while (*s) { outb(0xe9, (uint8_t)*s); outb(0x3f8, (uint8_t)*s); s++; } }
void kmain(const struct xh_boot_info *bi) __attribute__((noreturn));
void kmain(const struct xh_boot_info *bi)
{
    puts_("xhvm: kmain reached\n");
    if (bi->path == XH_BOOT_PVH) puts_("path pvh\n");
    if (bi->nr_mem) puts_("have memmap\n");
    puts_(bi->cmdline); puts_("\n");
    __asm__ volatile("outl %0,%1" :: "a"(0x10u), "Nd"((uint16_t)0xf4));
    for (;;) __asm__ volatile("cli; hlt");
}
