/* d_revalidate gets the parent inode and the name (6.14+) */
#include <linux/dcache.h>
static int fusept_probe_rv(struct inode *dir, const struct qstr *name,
			   struct dentry *entry, unsigned int flags)
{
	return 1;
}
const struct dentry_operations fusept_probe = {
	.d_revalidate = fusept_probe_rv,
};
