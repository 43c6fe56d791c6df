// Known deviations of backends from the SDM, as data. A check that hits one
// is still run and reported, as XFAIL (TAP "# TODO"), never as a pass.
// The backend comes from the runner's --backend=NAME (qemu-tcg, qemu-kvm,
// bochs, bochs-2.7, kvm-6.12.118@bochs-2.7 for Linux KVM on Bochs, or
// kvm-in-bochs by hand); a kernel booted without it expects the SDM
// behaviour. Patterns: lib/backend_match.hh.
#pragma once
#include "backend_match.hh" // backend_in_list()

struct Erratum {
    // Backends the deviation shows on: blank-separated patterns (globs,
    // '@' layers, version ranges; lib/backend_match.hh), e.g. "bochs-2.7*
    // kvm-*@bochs-2.7*" for a Bochs 2.7 CPU deviation that also reaches L2
    // through KVM, "kvm<6.10" for a KVM deviation fixed in Linux 6.10.
    const char* backends;
    const char* id;      // the check's erratum id, used by tests
    const char* sdm;     // the SDM rule that is not honoured
    const char* what;    // what the backend does instead
    // Where the backend's source causes it (a Bochs row must name its Bochs
    // 2.7 source line, a KVM row its Linux source in every version read:
    // file, function, the statement), and why the test's value is what the
    // case name says. Checked in lib/errata.cc.
    const char* cause = nullptr;
    // The deviation hangs a layer (an L1 that never runs again) in the cases
    // that name it as TestCase::hangs_on: those are skipped, decided before
    // they run, where the row applies (the watchdog stays for unknown hangs).
    bool hangs = false;
};

// The full errata table (lib/errata.cc).
extern const Erratum kErrata[];
extern const unsigned kErrataCount;

// "errata: <what> (<sdm>)" when erratum id applies to the running backend,
// else nullptr. Pass the result to report_xfail().
const char* known_deviation(const char* id);

// "known hang, errata <id>: <what> (<sdm>)" when erratum id applies to the
// running backend and hangs it, else nullptr: the SKIP reason of a case
// whose TestCase::hangs_on is id.
const char* known_hang(const char* id);
