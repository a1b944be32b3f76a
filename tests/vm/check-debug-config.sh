#!/bin/bash
# Check that a kernel .config has every option of a config fragment:
# "CONFIG_X=y" must be =y (or =m), any other "CONFIG_X=V" exactly V, and
# "# CONFIG_X is not set" must not be =y/=m. Kconfig silently drops an
# option whose dependencies are missing; this makes that loud.
# Prints each option that did not make it and exits 1 if there is one.
# Usage: check-debug-config.sh FRAGMENT CONFIG
set -euo pipefail
frag=${1:?usage: check-debug-config.sh FRAGMENT CONFIG}
config=${2:?usage: check-debug-config.sh FRAGMENT CONFIG}

# have NAME: the value NAME has in CONFIG, "n" when unset or absent
have() {
	local v
	v=$(sed -n "s/^$1=//p" "$config" | tail -1)
	echo "${v:-n}"
}

# check_line LINE: one fragment line; prints a complaint if it is not met
check_line() {
	local line=$1 name want got
	case $line in
	"# CONFIG_"*" is not set")
		name=${line#\# }
		name=${name%% *}
		got=$(have "$name")
		case $got in
		y | m) echo "$name: want not set, got $got" ;;
		esac
		;;
	CONFIG_*=*)
		name=${line%%=*}
		want=${line#*=}
		got=$(have "$name")
		if [ "$want" = y ]; then
			case $got in
			y | m) ;;
			*) echo "$name: want y, got $got" ;;
			esac
		elif [ "$got" != "$want" ]; then
			echo "$name: want $want, got $got"
		fi
		;;
	esac
}

main() {
	local line bad=0 n=0 out
	[ -r "$frag" ] || { echo "no fragment $frag" >&2; exit 2; }
	[ -r "$config" ] || { echo "no config $config" >&2; exit 2; }
	while IFS= read -r line; do
		case $line in
		CONFIG_* | "# CONFIG_"*" is not set") n=$((n + 1)) ;;
		*) continue ;;
		esac
		out=$(check_line "$line")
		if [ -n "$out" ]; then
			echo "config: $out" >&2
			bad=$((bad + 1))
		fi
	done <"$frag"
	if [ "$bad" -gt 0 ]; then
		echo "config: $bad of $n options of $frag missing from $config" >&2
		exit 1
	fi
	echo "config: all $n options of $(basename "$frag") are in the .config" >&2
}

main
