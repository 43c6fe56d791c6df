# make bench: timings, test cases, guest memory and VM exits of the 'ept' and
# 'vmx' groups on Bochs (scripts/bench.sh; numbers in docs/benchmarks.md).
.PHONY: bench
bench: kernels host-tools
	scripts/bench.sh

# make bench-kvm: the same under kvm-in-bochs (Linux KVM in Bochs; -j2: two
# L1s), with L1's own seconds per entry and each L1's boot/restore times.
# A first run boots L1 cold and saves its snapshot; run it twice for warm
# numbers (docs/kvm-in-bochs.md).
.PHONY: bench-kvm
bench-kvm: kernels host-tools
	BENCH_ACCEL=kvm-in-bochs BENCH_DIR=build/bench-kvm scripts/bench.sh
