#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copy the fusept source tree (the working tree as it is, without .git,
# ignored files or dist/) to DEST, for make deb / make rpm.
# Usage: packaging/copy-tree.sh DEST   (run from the repo root)
set -euo pipefail
dest=$1
mkdir -p "$dest"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked and untracked files, less the ignored ones and those deleted
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			case $f in dist/*) continue ;; esac
			if [ -e "$f" ]; then printf '%s\0' "$f"; fi
		done |
		tar --null -T - -cf - | tar -xf - -C "$dest"
else
	tar --exclude=./.git --exclude=./dist -cf - . | tar -xf - -C "$dest"
fi
