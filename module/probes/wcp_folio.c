/* write_cache_pages() passes folios to its callback (6.3+) */
#include <linux/writeback.h>
#include <linux/pagemap.h>
static int fusept_probe_cb(struct folio *folio, struct writeback_control *wbc,
			   void *data)
{
	return 0;
}
int fusept_probe(struct address_space *m, struct writeback_control *wbc)
{
	return write_cache_pages(m, wbc, fusept_probe_cb, NULL);
}
