/* writeback_iter() (6.11+) */
#include <linux/writeback.h>
#include <linux/pagemap.h>
struct folio *fusept_probe(struct address_space *m, struct writeback_control *wbc,
			   struct folio *f, int *err)
{
	return writeback_iter(m, wbc, f, err);
}
