// Matching a backend name against an errata row's backend patterns. Pure
// logic: also unit-tested on the host (tests/host/backend_match_test.cc).
//
// A backend name is one or more layers joined by '@', the tested layer
// first: "qemu-tcg", "bochs-2.7", "kvm-6.12.118@bochs-2.7" (Linux KVM 6.12.118
// running on Bochs 2.7). A pattern list is blank-separated patterns; a
// pattern matches when every one of its '@'-layers matches the backend's
// layer at the same place (a pattern with fewer layers leaves the lower ones
// free). A pattern layer is a glob ('*', '?': "bochs-2.7*", "kvm-*") or a
// version range: a name followed by one or more bounds, each one of < <= > >=
// and a dotted version ("kvm<6.10", "kvm>=6.5<6.10"). Versions compare
// numerically per dot-separated part ("6.1.192" < "6.10"); parts after the
// first one that is not a number are ignored ("3.0.devel" is 3.0).
// A backend layer without a version ("kvm" and "bochs" of the hand-run name
// "kvm-in-bochs", which stands for "kvm@bochs") matches a range of its name
// and every glob "NAME-...": the version is unknown, the row is taken to apply.
#pragma once

// True when BACKEND matches one of the blank-separated patterns of PATTERNS.
bool backend_in_list(const char* patterns, const char* backend);

// -1, 0, 1 as dotted version a is below, equal to or above b.
int version_compare(const char* a, const char* a_end, const char* b, const char* b_end);
