/* inode_set_ctime_to_ts() and inode_get_ctime() (6.6+, some backports) */
#include <linux/fs.h>
void fusept_probe(struct inode *inode)
{
	inode_set_ctime_to_ts(inode, inode_get_ctime(inode));
}
