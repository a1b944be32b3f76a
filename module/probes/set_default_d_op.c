/* set_default_d_op() instead of sb->s_d_op (6.17+) */
#include <linux/fs.h>
#include <linux/dcache.h>
void fusept_probe(struct super_block *sb, const struct dentry_operations *op)
{
	set_default_d_op(sb, op);
}
