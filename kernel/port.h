/* Our kernel's implementation of the porting interface (include/xhvm/os.h): its knobs. */
#ifndef XH_KERNEL_PORT_H
#define XH_KERNEL_PORT_H

#include <stdbool.h>

/* Show the library's XH_LOG_DEBUG lines (xhvm.debug on the command line). */
extern bool port_log_debug;

#endif
