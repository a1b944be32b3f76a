/* vfs_mmap() replaces call_mmap() (6.17+) */
#include <linux/fs.h>
int fusept_probe(struct file *file, struct vm_area_struct *vma)
{
	return vfs_mmap(file, vma);
}
