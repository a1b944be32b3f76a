/* inode operations take struct mnt_idmap (6.3+) */
#include <linux/fs.h>
#include <linux/mnt_idmapping.h>
int fusept_probe(struct mnt_idmap *idmap, struct inode *inode, int mask)
{
	return generic_permission(idmap, inode, mask);
}
