#!/usr/bin/env bash
# Runs one command as root inside a Debian kernel booted under qemu, with this host's root
# filesystem shared read-only (virtiofs) under a writable tmpfs overlay, and returns the
# command's output and exit status.  The kernel package is fetched with apt-get download and
# unpacked (never installed); packages and the initramfs are cached between runs.
#
#   tests/kernels/guest.sh SERIES COMMAND...     SERIES: 5.10, 6.1 or 6.12 (Debian's cloud kernels)
#
# Environment: TCPFATE_KERNEL_CACHE (default /var/cache/tcpfate-kernels), GUEST_MEM (MiB,
# default 3072), GUEST_CPUS (default 2), GUEST_TIMEOUT (seconds, default 5400), GUEST_KVM=1.
set -u
SERIES=${1:?usage: guest.sh SERIES COMMAND...}
shift
[ $# -gt 0 ] || { echo "guest.sh: no command" >&2; exit 2; }
CACHE=${TCPFATE_KERNEL_CACHE:-/var/cache/tcpfate-kernels}
MEM=${GUEST_MEM:-3072}
CPUS=${GUEST_CPUS:-2}
CPU_MODEL=${GUEST_CPU:-max}
TIMEOUT=${GUEST_TIMEOUT:-5400}
VIRTIOFSD=/usr/lib/qemu/virtiofsd
die() { echo "guest.sh: $*" >&2; exit 2; }

# Debian 12's own sources have 6.1 and 6.12; 5.10 is Debian 11's (bullseye), read through a
# private apt state in the cache: the host's apt configuration is never changed.
apt_opts=()
case $SERIES in
6.1) pattern='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
5.10)
	pattern='^linux-image-5\.10\.0-[0-9]+-cloud-amd64-unsigned$'
	apt_dir=$CACHE/apt-bullseye
	apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=- -o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::Cache=$apt_dir/cache")
	;;
*) die "unknown kernel series '$SERIES' (5.10, 6.1 or 6.12)" ;;
esac
for tool in qemu-system-x86_64 busybox cpio depmod modprobe apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || die "$tool is missing (make kernel-deps)"
done
[ -x "$VIRTIOFSD" ] || die "$VIRTIOFSD is missing (Debian package qemu-system-x86)"

# --- the kernel: the newest package of the series, unpacked once ---------------------------
mkdir -p "$CACHE" || die "cannot create $CACHE"
if [ -n "${apt_dir:-}" ] && ! ls "$apt_dir"/lists/*_Packages >/dev/null 2>&1; then
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	printf 'deb [signed-by=%s] http://deb.debian.org/debian bullseye main\n' "$keyring" >"$apt_dir/sources.list"
	apt-get "${apt_opts[@]}" update -q >/dev/null 2>&1 || die "cannot read Debian 11's package lists"
fi
newest() { apt-cache "${apt_opts[@]}" search --names-only "$pattern" 2>/dev/null | awk '{ print $1 }' | sort -V | tail -1; }
download() { (cd "$CACHE" && apt-get "${apt_opts[@]}" download -q "$pkg" >/dev/null 2>&1); }
pkg=$(newest)
tree=$CACHE/$pkg
if [ -z "$pkg" ] || [ ! -d "$tree/boot" ] && ! download; then
	# Package lists older than the archive name a kernel it no longer has: read them again, once.
	apt-get "${apt_opts[@]}" update -qq >/dev/null 2>&1
	pkg=$(newest)
	tree=$CACHE/$pkg
	[ -n "$pkg" ] || die "no package matches $pattern"
fi
if [ ! -d "$tree/boot" ]; then
	[ -s "$(ls "$CACHE/${pkg}"_*.deb 2>/dev/null | head -1)" ] || download || die "cannot download $pkg"
	rm -rf "$tree.tmp" && dpkg-deb -x "$CACHE/${pkg}"_*.deb "$tree.tmp" && mv "$tree.tmp" "$tree" ||
		die "cannot unpack $pkg"
fi
kver=$(ls "$tree/lib/modules")
vmlinuz=$tree/boot/vmlinuz-$kver

# --- the initramfs: busybox, the modules to reach the shared root, and all the kernel's modules
# The name carries the initramfs' layout version: a change to it below builds them again.
initrd=$CACHE/$pkg.initrd-5
if [ ! -s "$initrd" ]; then
	work=$(mktemp -d /tmp/tcpfate-initrd.XXXXXX)
	mkdir -p "$work"/{bin,proc,sys,dev,root,new,upper,lib/modules,boot}
	cp "$tree/boot/config-$kver" "$work/boot/" # a Debian machine's /boot has its kernel's config
	cp "$(command -v busybox)" "$work/bin/busybox"
	depmod -b "$tree" "$kver"
	cp -a "$tree/lib/modules/$kver" "$work/lib/modules/"
	# What mounting the shared root needs, in load order.
	modprobe -d "$tree" -S "$kver" --show-depends -a virtio_pci virtiofs overlay 2>/dev/null |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | sed "s|^$tree||" >"$work/early-modules"
	cat >"$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /early-modules); do insmod "$m" 2>/dev/null; done
mount -t virtiofs hostroot /root -o ro || { echo "GUEST: cannot mount the host's root"; poweroff -f; }
mount -t tmpfs -o size=2g tmpfs /upper; mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/root,upperdir=/upper/u,workdir=/upper/w /new
for d in proc sys dev; do mount --move /$d /new/$d; done
mkdir -p /new/lib/modules && mount -t tmpfs tmpfs /new/lib/modules && cp -a /lib/modules/* /new/lib/modules/
mount -t tmpfs tmpfs /new/boot && cp -a /boot/* /new/boot/
# What udev would add to /dev: bash's process substitution uses /dev/fd.
ln -s /proc/self/fd /new/dev/fd; ln -s fd/0 /new/dev/stdin; ln -s fd/1 /new/dev/stdout; ln -s fd/2 /new/dev/stderr
mount -t tmpfs tmpfs /new/run; mkdir -p /new/run/netns
mount -t cgroup2 none /new/sys/fs/cgroup 2>/dev/null
mount -t bpf bpf /new/sys/fs/bpf 2>/dev/null
mount -t tracefs tracefs /new/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /new/sys/kernel/debug 2>/dev/null
exec switch_root /new /bin/sh -c '
	arg() { tr " " "\n" </proc/cmdline | sed -n "s/^guest.$1=//p"; }
	export TEST_TIME_SCALE=8 TEST_GUEST=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	ip link set lo up # as a booted system has it: metrics endpoints and browsers use 127.0.0.1
	cd "$(arg cwd)" && echo GUEST-BEGIN && eval "$(cat "$(arg cmd)")"; echo "GUEST-EXIT: $?"
	echo o >/proc/sysrq-trigger; sleep 10'
INIT
	chmod +x "$work/init"
	(cd "$work" && find . | cpio -o -H newc --quiet >"$initrd.tmp") && mv "$initrd.tmp" "$initrd" ||
		die "cannot build the initramfs"
	rm -rf "$work"
fi

# --- the run ------------------------------------------------------------------------------------
run=$(mktemp -d /tmp/tcpfate-guest.XXXXXX)
cleanup() {
	[ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null
	[ -n "${vpid:-}" ] && kill "$vpid" 2>/dev/null
	umount "$run/share" 2>/dev/null
	[ -n "${GUEST_KEEP:-}" ] && echo "guest.sh: kept $run" >&2 || rm -rf "$run"
}
trap cleanup EXIT
# The command goes in a file the guest reads through the shared root (its path on the kernel
# command line); the share is a read-only bind of / (its own file system only, no submounts).
mkdir -p "$run/share"
mount --bind -o ro / "$run/share" 2>/dev/null || mount --bind / "$run/share" || die "cannot bind /"
mount -o remount,bind,ro "$run/share" 2>/dev/null
printf '%q ' "$@" >"$run/cmd"
cmdfile=$run/cmd
# TCG unless asked: on some hosts KVM opens but cannot run a stock kernel (GUEST_KVM=1 tries it).
# One host thread runs every virtual CPU (thread=single): with a thread per CPU, a CPU can run
# code another CPU has just patched (the kernel patches its text when a tracepoint is switched on
# or off), and the guest oopses on an int3 in the patched site (6.12, 6.1: seen at boot and when
# tcpfate attached).  The guest still has two CPUs; it uses one host core.
accel=tcg,thread=single
[ -n "${GUEST_KVM:-}" ] && accel=kvm:tcg
boot() {
	rm -f "$run/vfs.sock"
	"$VIRTIOFSD" --socket-path="$run/vfs.sock" -o source="$run/share" -o cache=always --thread-pool-size=0 \
		>"$run/virtiofsd.log" 2>&1 &
	vpid=$!
	for _ in $(seq 50); do [ -S "$run/vfs.sock" ] && break; sleep 0.1; done
	[ -S "$run/vfs.sock" ] || die "virtiofsd did not start: $(cat "$run/virtiofsd.log")"
	timeout "$TIMEOUT" qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "$CPU_MODEL" -m "$MEM" -smp "$CPUS" \
		-nographic -no-reboot \
		-object memory-backend-memfd,id=mem,size="${MEM}M",share=on -numa node,memdev=mem \
		-chardev socket,id=vfs,path="$run/vfs.sock" -device vhost-user-fs-pci,chardev=vfs,tag=hostroot \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 guest.cwd=$PWD guest.cmd=$cmdfile" >"$run/console" 2>&1 &
	qpid=$!
	wait "$qpid"
	qpid=
	kill "$vpid" 2>/dev/null
	wait "$vpid" 2>/dev/null
	vpid=
}
# A boot that dies before the command starts is retried (with a thread per virtual CPU, 6.12
# oopsed at boot in about one boot in six; not seen since thread=single).  A guest that started the
# command is never run again.
for attempt in 1 2 3; do
	boot
	grep -q 'GUEST-BEGIN' "$run/console" && break
	echo "guest.sh: boot $attempt of $SERIES failed before the command started: $(tr -d '\r' <"$run/console" |
		grep -m1 -E 'Oops|panic|GUEST:' || echo 'no console message')" >&2
done
tr -d '\r' <"$run/console" | sed -n '/GUEST-BEGIN$/,/^GUEST-EXIT: /p' | sed '1d;$d'
status=$(tr -d '\r' <"$run/console" | sed -n 's/^GUEST-EXIT: \([0-9]*\)$/\1/p' | tail -1)
if [ -z "$status" ]; then
	echo "guest.sh: the guest did not finish the command (last console lines below)" >&2
	tr -d '\r' <"$run/console" | tail -20 >&2
	exit 2
fi
exit "$status"
