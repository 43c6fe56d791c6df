// EPTP construction and validation (pure logic; built for the host too).
#include "x86/vmx/ept_entry.hh"

namespace {
constexpr u64 CAP_WALK_4 = 1ull << 6, CAP_WALK_5 = 1ull << 7, CAP_UC = 1ull << 8, CAP_WB = 1ull << 14,
              CAP_AD = 1ull << 21;
} // namespace

EptpResult setup_eptp(PhysAddr root, u64 ept_cap, EptOptions options)
{
    if (!root.is_aligned(PAGE_SIZE) || root.raw() == 0)
        return {false, Eptp(), "EPT root is not a 4 KiB-aligned page"};
    unsigned levels = options.five_level ? 5 : 4;
    if (!options.five_level && !(ept_cap & CAP_WALK_4))
        return {false, Eptp(), "4-level EPT walks not supported (IA32_VMX_EPT_VPID_CAP[6] clear)"};
    if (options.five_level && !(ept_cap & CAP_WALK_5))
        return {false, Eptp(), "5-level EPT walks not supported (IA32_VMX_EPT_VPID_CAP[7] clear)"};
    EptMemType mt;
    if (ept_cap & CAP_WB)
        mt = EptMemType::WB;
    else if (ept_cap & CAP_UC)
        mt = EptMemType::UC;
    else
        return {false, Eptp(), "neither WB nor UC EPT paging-structure memory type (IA32_VMX_EPT_VPID_CAP[14,8] clear)"};
    if (options.ad && !(ept_cap & CAP_AD))
        return {false, Eptp(), "EPT accessed/dirty flags not supported (IA32_VMX_EPT_VPID_CAP[21] clear)"};
    return {true, Eptp::make(root, mt, levels, options.ad), nullptr};
}

bool eptp_valid(u64 eptp, u64 ept_cap, unsigned maxphyaddr)
{
    Eptp e(eptp);
    unsigned mt = e.memtype();
    if (!((mt == 0 && (ept_cap & CAP_UC)) || (mt == 6 && (ept_cap & CAP_WB))))
        return false;
    unsigned levels = e.levels();
    if (!((levels == 4 && (ept_cap & CAP_WALK_4)) || (levels == 5 && (ept_cap & CAP_WALK_5))))
        return false;
    if (e.ad() && !(ept_cap & CAP_AD))
        return false;
    // Bits 11:8 reserved (bit 7 is the supervisor-shadow-stack control), and
    // bits 63:MAXPHYADDR reserved.
    if (eptp & (0xfull << 8))
        return false;
    constexpr u64 EPTP_SSS = 1ull << 7, CAP_SSS = 1ull << 23;
    if ((eptp & EPTP_SSS) && !(ept_cap & CAP_SSS))
        return false;
    if (maxphyaddr < 64 && (eptp >> maxphyaddr))
        return false;
    return true;
}
