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
