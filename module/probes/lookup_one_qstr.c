/* lookup_one_unlocked() takes a qstr (6.16+) */
#include <linux/namei.h>
#include <linux/mnt_idmapping.h>
struct dentry *fusept_probe(struct mnt_idmap *idmap, struct qstr *name,
			    struct dentry *base)
{
	return lookup_one_unlocked(idmap, name, base);
}
