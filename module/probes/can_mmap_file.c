/* can_mmap_file(), which knows ->mmap_prepare (6.17+) */
#include <linux/fs.h>
bool fusept_probe(struct file *file)
{
	return can_mmap_file(file);
}
