/* struct file_lock keeps its core fields in ->c (6.9+) */
#include <linux/filelock.h>
int fusept_probe(struct file_lock *fl)
{
	return fl->c.flc_type;
}
