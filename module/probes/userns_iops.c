/* inode operations take struct user_namespace (5.12 .. 6.2) */
#include <linux/fs.h>
int fusept_probe(struct user_namespace *ns, struct inode *inode, int mask)
{
	return generic_permission(ns, inode, mask);
}
