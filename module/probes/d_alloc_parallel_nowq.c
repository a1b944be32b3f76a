/* d_alloc_parallel() without a wait queue argument (7.x) */
#include <linux/dcache.h>
struct dentry *fusept_probe(struct dentry *parent, const struct qstr *name)
{
	return d_alloc_parallel(parent, name);
}
