#!/bin/busybox sh
# shellcheck shell=dash
# /init of the kvm-in-bochs L1 Linux (busybox ash; see docs/kvm-in-bochs.md).
# Loads kvm_intel nested=1 (or finds it built in) and the ATA CD-ROM modules,
# says `ready` (the snapshot point: nothing before it depends on the run),
# waits for the run's payload on a CD-ROM (docs/kvm-in-bochs-interface.md,
# steps 3-4), then runs every entry of /run/plan under QEMU/KVM one
# after the other, each under its own timeout, and frames everything on the
# console (ttyS0) with "@@KIB@@ <what>" lines that scripts/backend-kvm-in-bochs.sh
# splits on the host. Writes a heartbeat to ttyS1 while L1 is alive. Ends by
# writing "Shutdown" to Bochs' port 0x8900. Assumes the initramfs layout of
# scripts/kvm-in-bochs/image.sh.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

mark() { printf '@@KIB@@ %s\n' "$*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# console_drain: waits until ttyS0 has sent what was written to it (a write
# returns once the bytes are in the UART driver's 4 KiB buffer, which the
# emulated 115200 baud line empties in ~0.4 s of L1 time; "tx:" of
# /proc/tty/driver/serial counts the bytes sent). Only tx: after a Bochs
# restore the UART keeps receiving NUL bytes, so its rx count never settles.
console_drain() {
	prev="" cur=$(sed -n 's/^0:.* tx:\([0-9]*\).*/\1/p' /proc/tty/driver/serial 2>/dev/null)
	while [ "$cur" != "$prev" ]; do
		prev=$cur
		sleep 1
		cur=$(sed -n 's/^0:.* tx:\([0-9]*\).*/\1/p' /proc/tty/driver/serial 2>/dev/null)
	done
}

# Ends Bochs: "Shutdown" to port 0x8900, one byte per write. Never returns
# (if init exited, the kernel would panic and reboot into GRUB).
power_off() {
	mark "poweroff uptime=$(uptime_s)"
	console_drain
	for c in S h u t d o w n; do
		printf %s "$c" | dd of=/dev/port bs=1 seek=35072 count=1 conv=notrunc 2>/dev/null
	done
	while :; do sleep 3600; done
}

# fail TEXT: reports why L1 cannot run entries, with the kernel's last lines.
fail() {
	mark "fail $*"
	mark "dmesg-begin boot"
	dmesg | tail -n 40
	mark "dmesg-end boot"
	power_off
}

mark "init uptime=$(uptime_s) kernel=$(uname -r) cmdline=$(cat /proc/cmdline)"
# Nothing is ever typed on the serial lines: ignore their receivers. After a
# Bochs restore the UARTs deliver NUL bytes, which the console would echo
# ("^@") into the kernels' output.
stty -F /dev/ttyS0 -echo -cread 2>/dev/null
stty -F /dev/ttyS1 -echo -cread 2>/dev/null
# L1 alive <=> ttyS1 grows; the host watchdog stops Bochs when it doesn't.
(while :; do printf . >/dev/ttyS1; sleep 2; done) &
# Kernel messages go to dmesg (shown per entry), not between the frames.
echo 1 >/proc/sys/kernel/printk
dmesg -c >/dev/null

mark "kvm-load-begin uptime=$(uptime_s)"
# The modules of the image (/lib/kvm, see image.sh), else KVM built into the
# kernel (its parameters come from the command line: kvm.force_emulation_prefix=1
# kvm_intel.nested=1). force_emulation_prefix: L2's "ud2; .ascii kvm" prefix
# sends the next instruction through KVM's emulator (ept_perm_insn: emulated).
if [ -e /lib/kvm/kvm.ko ]; then
	if [ -e /lib/kvm/irqbypass.ko ]; then
		insmod /lib/kvm/irqbypass.ko || fail "insmod irqbypass.ko failed (status $?)"
	fi
	insmod /lib/kvm/kvm.ko force_emulation_prefix=1 || fail "insmod kvm.ko failed (status $?)"
	insmod /lib/kvm/kvm-intel.ko nested=1 || fail "kvm_intel did not load (insmod kvm-intel.ko nested=1: status $?)"
elif [ ! -d /sys/module/kvm_intel ]; then
	fail "kernel $(uname -r) has no kvm_intel built in and the image has no modules (KIB_MODULES)"
fi
[ -c /dev/kvm ] || fail "kvm_intel loaded but /dev/kvm is missing"
mark "kvm-load-end uptime=$(uptime_s)"
mark "dmesg-begin kvm"
dmesg -c
mark "dmesg-end kvm"
mark "kvm-params-begin"
for p in /sys/module/kvm_intel/parameters/*; do
	printf '%s=%s\n' "${p##*/}" "$(cat "$p")"
done
printf 'kvm.force_emulation_prefix=%s\n' "$(cat /sys/module/kvm/parameters/force_emulation_prefix)"
mark "kvm-params-end"
case $(cat /sys/module/kvm_intel/parameters/nested) in
Y | 1) ;;
*) fail "kvm_intel loaded with nested=$(cat /sys/module/kvm_intel/parameters/nested), not Y" ;;
esac

# The payload channel: a CD-ROM drive (Bochs ata0-slave) whose medium the
# host writes per run. Built-in drivers need no module.
if [ -r /lib/ata/order ]; then
	while read -r m; do
		insmod "/lib/ata/$m.ko" || fail "insmod $m.ko failed (status $?)"
	done </lib/ata/order
fi
ls /dev/sr* >/dev/null 2>&1 ||
	fail "no CD-ROM device for the run's payload (the kernel needs ATA_PIIX and BLK_DEV_SR, built in or as modules)"

# payload_header DEV: the first line of DEV's first sector, read past the
# page cache (a restored L1 must see what the host wrote after the save).
payload_header() {
	dd if="$1" bs=2048 count=1 iflag=direct 2>/dev/null | head -n1
}

# wait_payload: polls every CD-ROM for the payload header, then unpacks the
# payload (/run/flags, /run/plan, /run/k/...) into /.
wait_payload() {
	while :; do
		for dev in /dev/sr*; do
			[ -b "$dev" ] || continue
			hdr=$(payload_header "$dev")
			case $hdr in "NVMXKIB-PAYLOAD-1 size="*) ;; *) continue ;; esac
			size=${hdr#* size=}
			mark "payload-begin dev=$dev bytes=$size uptime=$(uptime_s)"
			# 64 KiB reads (2 KiB ones cost an ATAPI command each).
			dd if="$dev" bs=65536 skip=2048 count=$(((size + 2047) / 2048 * 2048)) \
				iflag=skip_bytes,count_bytes,direct 2>/dev/null |
				head -c "$size" | gzip -d | (cd / && cpio -i -d 2>/dev/null) ||
				fail "cannot unpack the payload from $dev"
			mark "payload-end uptime=$(uptime_s)"
			return 0
		done
		sleep 1
	done
}

# follow_output FILE DONE: copies what QEMU appends to FILE to the console
# until the file DONE exists and everything up to then is copied. QEMU's
# chardevs write non-blocking and its virtconsole drops what a full tty does
# not take (virtio-console.c flush_buf: consoles are never throttled), so
# QEMU writes to a tmpfs file, which always takes everything; only this copy
# waits for the 115200-baud console.
follow_output() {
	off=0
	while :; do
		last=0
		[ -e "$2" ] && last=1
		size=$(wc -c <"$1")
		if [ "$size" -gt "$off" ]; then
			dd if="$1" bs=65536 skip="$off" count=$((size - off)) \
				iflag=skip_bytes,count_bytes 2>/dev/null
			off=$size
		fi
		[ "$last" = 1 ] && return 0
		sleep 0.2
	done
}

# run_entry IDX NAME TIMEOUT MEM SMP KERNEL ARGS CPU [QEMU-OPTION...]: one
# entry; its output goes to the console as it comes (follow_output): COM1
# and a virtio console share one chardev, so their bytes stay in order (the
# kernels write a line per virtio notify instead of an exit per byte once
# they found it: lib/x86/virtio_console.hh; ioeventfd=off: a notify is
# handled in the vCPU's own exit, not left to QEMU's main loop, which the
# guest's wait for a free buffer would race). Entries before $kib_from
# (/run/flags) ran in an earlier boot.
run_entry() {
	idx=$1 name=$2 tmo=$3 mem=$4 smp=$5 kernel=$6 args=$7 cpu=$8
	shift 8
	[ "$idx" -lt "${kib_from:-0}" ] && return 0
	dmesg -c >/dev/null
	mark "begin $idx $name uptime=$(uptime_s)"
	rm -f /tmp/kernel.out /tmp/kernel.done
	: >/tmp/kernel.out
	follow_output /tmp/kernel.out /tmp/kernel.done &
	follower=$!
	t0=$(uptime_s)
	timeout -s KILL "$tmo" /qemu/qemu-system-x86_64 -L /qemu/fw -nodefaults \
		-display none -no-reboot -accel kvm -cpu "$cpu" -m "$mem" -smp "$smp" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-chardev file,id=con,path=/tmp/kernel.out,mux=on -serial chardev:con \
		-device virtio-serial-pci,ioeventfd=off -device virtconsole,chardev=con \
		-kernel "$kernel" -append "$args" "$@" </dev/null 2>/tmp/qemu.err
	rc=$?
	: >/tmp/kernel.done
	wait "$follower"
	t1=$(uptime_s)
	mark "qemu-stderr-begin $idx"
	cat /tmp/qemu.err
	mark "qemu-stderr-end $idx"
	mark "dmesg-begin $idx"
	dmesg -c
	mark "dmesg-end $idx"
	mark "end $idx status=$rc l1_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
}

# coverage_send: KVM's gcov counters (a `make kvm-kernel KVM_COVERAGE=1`
# kernel) to the host, as base64 of a gzip'ed tar of the .gcda files (paths
# as under /sys/kernel/debug/gcov) between coverage-begin and coverage-end.
# debugfs files report size 0, so each is copied with cat before tar reads it.
coverage_send() {
	g=/sys/kernel/debug/gcov
	[ -d /sys/kernel/debug/gcov ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	if [ ! -d $g ]; then
		mark "coverage-none no $g: not a KVM_COVERAGE=1 kernel"
		return 0
	fi
	t0=$(uptime_s)
	mkdir -p /tmp/gcov
	(cd $g && find . -name '*.gcda') >/tmp/gcov.list
	while read -r f; do
		mkdir -p "/tmp/gcov/${f%/*}"
		cat "$g/$f" >"/tmp/gcov/$f"
	done </tmp/gcov.list
	tar -C /tmp/gcov -cf - . | gzip -9 >/tmp/gcov.tgz
	mark "coverage-begin files=$(wc -l </tmp/gcov.list) bytes=$(wc -c </tmp/gcov.tgz) uptime=$t0"
	base64 /tmp/gcov.tgz
	mark "coverage-end uptime=$(uptime_s)"
}

mark "ready uptime=$(uptime_s)"
wait_payload
# shellcheck source=/dev/null # written per run by backend-kvm-in-bochs.sh
. /run/flags
# shellcheck source=/dev/null # written per run by backend-kvm-in-bochs.sh
. /run/plan
# Step 6 (docs/kvm-in-bochs-interface.md): the run flags (/run/flags) set
# kib_coverage=1.
[ "${kib_coverage:-0}" = 1 ] && coverage_send
mark "done uptime=$(uptime_s)"
power_off
