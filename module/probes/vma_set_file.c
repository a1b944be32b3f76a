/* vma_set_file() (5.11+) */
#include <linux/mm.h>
void fusept_probe(struct vm_area_struct *vma, struct file *file)
{
	vma_set_file(vma, file);
}
