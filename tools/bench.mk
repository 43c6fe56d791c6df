# make bench: timings, test cases, guest memory and VM exits of the 'ept' and
# 'vmx' groups on Bochs (scripts/bench.sh; numbers in docs/benchmarks.md).
.PHONY: bench
bench: kernels host-tools
	scripts/bench.sh
