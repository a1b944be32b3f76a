/* MODULE_IMPORT_NS() of a bare identifier (up to 6.12; a string after) */
#include <linux/module.h>
MODULE_IMPORT_NS(FUSEPT_PROBE_NS);
