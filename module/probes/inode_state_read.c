/* inode_state_read_once() instead of a plain i_state field (6.19+) */
#include <linux/fs.h>
unsigned int fusept_probe(struct inode *inode)
{
	return inode_state_read_once(inode) & I_NEW;
}
