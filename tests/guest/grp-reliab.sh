# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Groups of run.sh (sourced by it; busybox sh): reliability under hostile
# conditions.  reliab: one fusept-reliab case per defect of the
# reliability review (docs/reliability.md), kfuse-reliab: those of them
# that hold for the kernel's FUSE too, run there as a control;
# fault-inject: fault.sh's injected allocation failures (debug kernel
# only); fuzz: the hostile-daemon fuzzer (fuzz.sh, fusept-fuzzd).

# group         timeout (s)
register_group reliab 600
register_group kfuse-reliab 600
register_group fault-inject 600
register_group fuzz 900

# reliab_run DEV FS PREFIX CASES: each fusept-reliab case against that
# FUSE, result names prefixed with PREFIX
reliab_run() {
	local dev=$1 fs=$2 prefix=$3 c rc n
	n=${FUSEPT_RELIAB_ROUNDS:-$(cmdline_arg fusept.reliab_rounds)} || n=20
	lower_init || fatal "cannot mount the lower tmpfs"
	mkdir -p "$LOWER/rel"
	for c in $(echo "$4" | tr , ' '); do
		echo "fusept-tests: reliab $prefix$c" >/dev/kmsg 2>/dev/null
		# a session of its own: its signals never reach this shell
		timeout -k 5 $((120 + n * 2)) setsid fusept-reliab -d "$dev" -t "$fs" \
			-n "$n" "$c" \
			"$(mnt "rel-$c")" "$LOWER/rel" >"$RES/rel.out" \
			2>>"$RES/raw.err"
		rc=$?
		sed -n "s#^\(PASS\|FAIL\|SKIP\) #\1 $prefix#p" "$RES/rel.out" \
			>>"$SUB"
		if ! grep -qE '^(PASS|FAIL|SKIP) ' "$RES/rel.out"; then
			failc "${prefix}rel-$c" "no result (exit status $rc)"
		elif [ $rc != 0 ] && ! grep -q '^FAIL ' "$RES/rel.out"; then
			failc "${prefix}rel-$c" "fusept-reliab exited with status $rc"
		fi
		kill_leftovers "$PIDS"
	done
}

# The defects of the reliability review, one fusept-reliab case each (a
# daemon of its own against a user of the mount). fusept.reliab=A,B (or
# FUSEPT_RELIAB) runs only those cases; fusept.reliab_rounds=N (default
# 20) sets the rounds of the racing cases (umount-race; lookup-kill runs
# 50 times as many).
test_reliab() {
	local cases
	cases=${FUSEPT_RELIAB:-$(cmdline_arg fusept.reliab)} ||
		cases=$(fusept-reliab -l)
	reliab_run "$DEV" "$FS" "" "$cases"
}

# The same cases on the kernel's own FUSE, as a control: those whose
# expectations are mainline's behaviour too (results named kfuse/...).
# Left out: the failed passthrough creates (mainline passthrough is
# 6.9+, with other rules), cfr-zero (mainline drops the whole page cache
# after a copy of 0 bytes at offset 0, dirty pages included: fusept does
# not), fusept's own parameters, lock-order (it needs lockdep,
# which only the debug kernel has, and the debug lane runs fusept's),
# reval-rename-held and reval-rename (mainline before 6.14 fails them:
# it copies the dentry's live name when the daemon reads the LOOKUP,
# after a rename has freed it; KASAN reports a use-after-free on
# Debian's 6.12, and once the storm of reval-rename took a 6.12 guest
# down: a double fault in kmalloc under fuse_dentry_revalidate).
KFUSE_RELIAB="sig-read-unsent,sig-read-sent,sig-write-unsent,sig-flush,\
umount-race,lookup-kill,maxwrite-cap,maxwrite-mem,retrieve-bound,\
cfr-partial,append-writeback,trunc-writeback,write-mmap,write-mmap-sync"
test_kfuse_reliab() {
	is_fusept || skip "the suite runs on the kernel's FUSE already (reliab)"
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	reliab_run /dev/fuse fuse kfuse/ "${FUSEPT_RELIAB:-$KFUSE_RELIAB}"
}

# Fault injection into fusept's allocations (tests/guest/fault.sh): on
# the debug kernel only, SKIP elsewhere
test_fault_inject() {
	sh "$TESTS/fault.sh" >"$RES/fault.log" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/fault.log" >>"$SUB"
	grep -E '^    [#|] ' "$RES/fault.log" >>"$SUB"
}

# The hostile-daemon fuzzer (fuzz.sh, fusept-fuzzd): a fixed base seed
# and bounded rounds (fusept.fuzz_rounds=, fusept.fuzz_secs=, ... as for
# make fuzz); the round seeds reach the console as the rounds start.
test_fuzz() {
	spawn sh "$TESTS/fuzz.sh" --group >"$RES/fuzz.log" 2>"$RES/fuzz.err"
	wait "$BGPID"
	grep -E '^(PASS|FAIL|SKIP) ' "$RES/fuzz.log" >>"$SUB"
	grep -E '^fuzz: (round [0-9]+ done|summary)' "$RES/fuzz.log" |
		sed 's/^/    # /' >>"$SUB"
	grep -q '^fuzz: summary' "$RES/fuzz.log" ||
		fatal "fusept-fuzzd did not finish: $(tail -3 "$RES/fuzz.err" | tr '\n' ' ')"
}
