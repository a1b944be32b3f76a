/*
 * file_write_started() (6.8+) came with vfs_iter_write() and
 * vfs_iocb_iter_write() taking the superblock's write access themselves
 */
#include <linux/fs.h>
bool fusept_probe(const struct file *file)
{
	return file_write_started(file);
}
