/* address_space_operations.read_folio (5.19+) */
#include <linux/fs.h>
static int fusept_probe_rf(struct file *file, struct folio *folio)
{
	return 0;
}
const struct address_space_operations fusept_probe = {
	.read_folio = fusept_probe_rf,
};
