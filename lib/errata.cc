// The errata table. Add a row when a backend deviates from the SDM; keep the
// check itself unchanged.
#include "errata.hh"
#include "format.hh"
#include "glob.hh"
#include "string.hh"
#include "testcase.hh"

constexpr Erratum kErrata[] = {
    {"qemu-tcg", "msr.unimplemented-gp",
     "SDM Vol. 2B, RDMSR/WRMSR: #GP(0) if ECX specifies a reserved or unimplemented MSR",
     "QEMU TCG reads 0 from and ignores writes to unimplemented MSRs"},
    {"bochs", "entry.guest-rip-canonical",
     "SDM Vol. 3C 27.3.1.4: guest RIP bits 63:N must be identical for a 64-bit guest (IA-32e mode, CS.L=1)",
     "Bochs 2.7 enters the guest and raises #GP on the first fetch instead of failing the entry"},
};
constexpr unsigned kErrataCount = array_size(kErrata);

const char* known_deviation(const char* id)
{
    static char text[256];
    const char* backend = run_options().backend;
    if (!backend)
        return nullptr;
    for (const Erratum& e : kErrata) {
        if (strcmp(e.id, id) == 0 && glob_match(e.backend, backend)) {
            snformat(text, sizeof(text), "errata: %s (%s)", e.what, e.sdm);
            return text;
        }
    }
    return nullptr;
}
