/*
 * VGA text mode 3 (80x25, colour) at 0xB8000 as a console sink.  Each cell is
 * a 16-bit word: character in the low byte, attribute in the high byte.
 *
 * Installed only when a VGA answers in colour text mode and its text buffer
 * reads back what was written.  Without a VGA (Xen PVH, QEMU -vga none) the
 * registers read as 0xff, though RAM may still show through at 0xB8000; in a
 * graphics mode (EFI GOP) text written there would never be seen.
 */
#include <stdbool.h>
#include <stdint.h>
#include <xhvm/x86.h>

#include "kernel/console.h"

#define VGA_TEXT_BASE   0xb8000u
#define VGA_COLS        80
#define VGA_ROWS        25
#define VGA_ATTR        0x07        /* light grey on black */
#define VGA_MISC_READ   0x3cc       /* Miscellaneous Output register, read port */
#define MISC_COLOUR_IO  0x01        /* I/O address select: CRTC at 0x3d4, not 0x3b4 */
#define VGA_GC_INDEX    0x3ce       /* Graphics Controller */
#define VGA_GC_DATA     0x3cf
#define GC_MISC         0x06
#define GC_MISC_GRAPHICS 0x01       /* alphanumeric mode disable */
#define VGA_CRTC_INDEX  0x3d4       /* colour CRTC; 0x3b4 is the monochrome one */
#define VGA_CRTC_DATA   0x3d5
#define CRTC_CURSOR_HI  0x0e
#define CRTC_CURSOR_LO  0x0f

static volatile uint16_t *const cells = (volatile uint16_t *)(uintptr_t)VGA_TEXT_BASE;
static unsigned row, col;      /* col == VGA_COLS: wrap pending until the next glyph */

static uint16_t cell(char c) { return (uint16_t)((VGA_ATTR << 8) | (uint8_t)c); }

static void scroll(void)
{
    for (unsigned i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        cells[i] = cells[i + VGA_COLS];
    for (unsigned i = 0; i < VGA_COLS; i++)
        cells[(VGA_ROWS - 1) * VGA_COLS + i] = cell(' ');
}

static void newline(void)
{
    col = 0;
    if (++row == VGA_ROWS) {
        scroll();
        row = VGA_ROWS - 1;
    }
}

static void move_cursor(void)
{
    uint16_t pos = (uint16_t)(row * VGA_COLS + (col < VGA_COLS ? col : VGA_COLS - 1));

    xh_outb(VGA_CRTC_INDEX, CRTC_CURSOR_HI);
    xh_outb(VGA_CRTC_DATA, (uint8_t)(pos >> 8));
    xh_outb(VGA_CRTC_INDEX, CRTC_CURSOR_LO);
    xh_outb(VGA_CRTC_DATA, (uint8_t)pos);
}

static void vga_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        switch (c) {
        case '\n':
            newline();
            break;
        case '\r':
            col = 0;
            break;
        case '\t':
            col = (col + 8) & ~7u;
            if (col > VGA_COLS)
                col = VGA_COLS;
            break;
        case '\b':
            if (col)
                col--;
            break;
        default:
            if ((uint8_t)c < 0x20)
                break;          /* other control characters have no glyph to show */
            /* Wrap only when a glyph needs the next line, so a line of exactly
             * 80 characters followed by '\n' does not leave an empty line. */
            if (col == VGA_COLS)
                newline();
            cells[row * VGA_COLS + col++] = cell(c);
            break;
        }
    }
    move_cursor();
}

/* A VGA that is in colour text mode (mode 3 and friends). */
static bool vga_in_colour_text_mode(void)
{
    uint8_t misc = xh_inb(VGA_MISC_READ), index, gc_misc;

    if (misc == 0xff || !(misc & MISC_COLOUR_IO))
        return false;
    index = xh_inb(VGA_GC_INDEX);
    xh_outb(VGA_GC_INDEX, GC_MISC);
    gc_misc = xh_inb(VGA_GC_DATA);
    xh_outb(VGA_GC_INDEX, index);
    return gc_misc != 0xff && !(gc_misc & GC_MISC_GRAPHICS);
}

/* Write two patterns into the last cell and read them back; restore it. */
static bool text_buffer_present(void)
{
    volatile uint16_t *probe = &cells[VGA_ROWS * VGA_COLS - 1];
    uint16_t saved = *probe;
    bool ok;

    *probe = 0x1234;
    ok = *probe == 0x1234;
    *probe = 0xedcb;
    ok = ok && *probe == 0xedcb;
    *probe = saved;
    return ok;
}

static struct console_sink vga_sink = {
    .name = "vga",
    .write = vga_write,
    .detail = "text 80x25 at 0xb8000",
};

struct console_sink *vga_text_probe(void)
{
    if (!vga_in_colour_text_mode() || !text_buffer_present())
        return NULL;
    for (unsigned i = 0; i < VGA_ROWS * VGA_COLS; i++)
        cells[i] = cell(' ');
    row = col = 0;
    move_cursor();
    return &vga_sink;
}
