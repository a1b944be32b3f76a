/* d_hash_and_lookup() (gone from newer kernels, e.g. 7.2) */
#include <linux/dcache.h>
struct dentry *fusept_probe(struct dentry *dir, struct qstr *name)
{
	return d_hash_and_lookup(dir, name);
}
