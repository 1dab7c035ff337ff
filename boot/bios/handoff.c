#include "../boot_parse.h"
void xh_boot_from_bios(struct xh_boot_info *bi, const void *handoff) { (void)handoff; bi->path = XH_BOOT_BIOS; }
