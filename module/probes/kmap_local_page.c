/* kmap_local_page() (5.11+) */
#include <linux/highmem.h>
void *fusept_probe(struct page *page)
{
	return kmap_local_page(page);
}
