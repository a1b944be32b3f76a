# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The result lines of a guest script that runs on its own (pt-daemon.sh,
# mount-helper.sh; sourced): "PASS name", "FAIL name: reason", "SKIP name:
# reason", counted for the closing "NAME: N passed, N failed, N skipped"
# that counts_end prints.
NPASS=0
NFAIL=0
NSKIP=0

# count_line LINE: count a PASS/FAIL/SKIP line another script printed,
# and print it
count_line() {
	case $1 in
	PASS\ *) NPASS=$((NPASS + 1)) ;;
	FAIL\ *) NFAIL=$((NFAIL + 1)) ;;
	SKIP\ *) NSKIP=$((NSKIP + 1)) ;;
	esac
	echo "$1"
}

pass() {
	echo "PASS $1"
	NPASS=$((NPASS + 1))
}

failc() {
	local n=$1
	shift
	echo "FAIL $n: $(echo "$*" | tr '\n' ' ' | cut -c1-300)"
	NFAIL=$((NFAIL + 1))
}

skipc() {
	echo "SKIP $1: $2"
	NSKIP=$((NSKIP + 1))
}

# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else failc "$1" "got '$2', want '$3'"; fi
}

# ok NAME CMD...: the command succeeds
ok() {
	local n=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$n"
	else
		failc "$n" "'$*' failed: $(echo "$out" | tail -3)"
	fi
}

# counts_end NAME: the closing line; false if anything failed
counts_end() {
	echo "$1: $NPASS passed, $NFAIL failed, $NSKIP skipped"
	[ "$NFAIL" = 0 ]
}
