// Known deviations of backends from the SDM, as data. A check that hits one
// is still run and reported, as XFAIL (TAP "# TODO"), never as a pass.
// The backend comes from the runner's --backend=NAME (qemu-tcg, qemu-kvm,
// bochs); a kernel booted by hand without it expects the SDM behaviour.
#pragma once

struct Erratum {
    const char* backend; // backend name, '*'/'?' wildcards allowed
    const char* id;      // the check's erratum id, used by tests
    const char* sdm;     // the SDM rule that is not honoured
    const char* what;    // what the backend does instead
};

// The full errata table (lib/errata.cc).
extern const Erratum kErrata[];
extern const unsigned kErrataCount;

// "errata: <what> (<sdm>)" when erratum id applies to the running backend,
// else nullptr. Pass the result to report_xfail().
const char* known_deviation(const char* id);
