/* folio_end_read() (6.10+) */
#include <linux/pagemap.h>
void fusept_probe(struct folio *folio)
{
	folio_end_read(folio, true);
}
