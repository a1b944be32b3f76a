/* ->mkdir returns a dentry (6.15+) */
#include <linux/fs.h>
#include <linux/mnt_idmapping.h>
static struct dentry *fusept_probe_mkdir(struct mnt_idmap *idmap,
					 struct inode *dir,
					 struct dentry *entry, umode_t mode)
{
	return NULL;
}
const struct inode_operations fusept_probe = {
	.mkdir = fusept_probe_mkdir,
};
