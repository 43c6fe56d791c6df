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
    {"bochs bochs-*", "entry.guest-rip-canonical",
     "SDM Vol. 3C 27.3.1.4: guest RIP bits 63:N must be identical for a 64-bit guest (IA-32e mode, CS.L=1)",
     "Bochs 2.7-3.0 enters the guest and raises #GP on the first fetch instead of failing the entry"},
    {"bochs bochs-2.4* bochs-2.5* bochs-2.6* bochs-2.7*", "entry.urg-cs-rpl",
     "SDM Vol. 3C 27.3.1.2: a non-conforming CS needs DPL = SS.DPL; CS.RPL is not checked",
     "Bochs <= 2.7 still requires CS.DPL = CS.RPL (pre-URG rule) and fails entry of a real-mode guest with CS.RPL != 0"},
    {"bochs bochs-*", "ept.ve-eptp-index",
     "SDM Vol. 3C 26.5.7.2: #VE info offset 32 = the EPTP-index VM-execution control field",
     "Bochs 2.7-3.0 writes an internal EPTP index that VM entry never loads from the VMCS (0 unless VMFUNC switched EPTPs)"},
    {"bochs bochs-*", "ept.walk-a-flag-write",
     "SDM Vol. 3C 29.3.3.2: processor writes of guest paging-structure A/D flags are data writes",
     "Bochs 2.7-3.0 sets guest A/D flags without checking EPT write permission (no EPT violation)"},
    {"bochs bochs-*", "ept.ad-walk-qual-read-bit",
     "SDM Vol. 3C 28.2.1, Table 28-7: with EPT A/D a violating guest paging-structure access sets bits 0 and 1",
     "Bochs 2.7-3.0 sets only bit 1 (write) in the exit qualification"},
    {"bochs bochs-*", "invept.type-64bit",
     "SDM Vol. 3C 31.3, INVEPT: in 64-bit mode the type register operand has 64 bits; a type above 2^32 is unsupported (VMfail)",
     "Bochs 2.7-3.0 uses only bits 31:0 of the type register (0x100000001 acts as single-context)"},
    {"bochs bochs-*", "invept.no-ept-ud",
     "SDM Vol. 3C 31.3, INVEPT: #UD if the processor does not support EPT (IA32_VMX_PROCBASED_CTLS2[33]=0)",
     "Bochs 2.7-3.0 executes INVEPT (VMfail/VMsucceed) on CPU models without EPT"},
    {"bochs bochs-*", "ept.large-leaf-bit12",
     "SDM Vol. 3C 29.3.2, 29.3.3.1: bits 20:12 (2 MiB) / 29:12 (1 GiB) of a large EPT leaf are reserved",
     "Bochs 2.7-3.0 ignores bit 12 of a large EPT leaf (no misconfiguration)"},
    {"bochs bochs-*", "ept.leaf-memtype-reserved",
     "SDM Vol. 3C 29.3.3.1: EPT memory type 2, 3 or 7 in the leaf entry is an EPT misconfiguration",
     "Bochs 2.7-3.0 does not check the leaf memory type and completes the access"},
};
constexpr unsigned kErrataCount = array_size(kErrata);

const char* known_deviation(const char* id)
{
    static char text[256];
    const char* backend = run_options().backend;
    if (!backend)
        return nullptr;
    for (const Erratum& e : kErrata) {
        if (strcmp(e.id, id) == 0 && backend_in_list(e.backends, backend)) {
            snformat(text, sizeof(text), "errata: %s (%s)", e.what, e.sdm);
            return text;
        }
    }
    return nullptr;
}

bool backend_in_list(const char* patterns, const char* backend)
{
    char pattern[64];
    const char* p = patterns;
    while (*p) {
        while (*p == ' ')
            ++p;
        usize n = 0;
        while (p[n] && p[n] != ' ')
            ++n;
        if (n && n < sizeof(pattern)) {
            memcpy(pattern, p, n);
            pattern[n] = '\0';
            if (glob_match(pattern, backend))
                return true;
        }
        p += n;
    }
    return false;
}
