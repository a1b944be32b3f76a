/* address_space_operations.dirty_folio and launder_folio (5.18+) */
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/writeback.h>
const struct address_space_operations fusept_probe = {
	.dirty_folio = filemap_dirty_folio,
};
