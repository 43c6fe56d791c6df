// Local APIC register access and the one-shot timer fixture.
#include "x86/apic.hh"
#include "x86/addr.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"

namespace {
constexpr u64 APIC_BASE_EN = 1ull << 11, APIC_BASE_EXTD = 1ull << 10;
constexpr u64 APIC_BASE_ADDR_MASK = 0x000ffffffffff000ull;
constexpr u32 X2APIC_MSR_BASE = 0x800;

bool x2apic() { return rdmsr(msr::IA32_APIC_BASE) & APIC_BASE_EXTD; }
volatile u32* mmio(u32 reg)
{
    return phys_to_ptr<volatile u32>(PhysAddr((rdmsr(msr::IA32_APIC_BASE) & APIC_BASE_ADDR_MASK) + reg));
}
} // namespace

const char* apic_unavailable_reason()
{
    if (!(cpuid(1).edx & cpuid_bits::LEAF1_EDX_APIC))
        return "no local APIC (CPUID.1:EDX.APIC[9] = 0)";
    if (!(rdmsr(msr::IA32_APIC_BASE) & APIC_BASE_EN))
        return "local APIC globally disabled (IA32_APIC_BASE.EN[11] = 0)";
    return nullptr;
}

u32 apic_read(u32 reg)
{
    if (x2apic())
        return static_cast<u32>(rdmsr(X2APIC_MSR_BASE + (reg >> 4)));
    return *mmio(reg);
}

void apic_write(u32 reg, u32 value)
{
    if (x2apic())
        wrmsr(X2APIC_MSR_BASE + (reg >> 4), value);
    else
        *mmio(reg) = value;
}

bool apic_irr_has(u8 vector)
{
    return apic_read(apic_reg::IRR + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

ApicTimer::ApicTimer(u8 vector)
    : vector_(vector), saved_svr_(apic_read(apic_reg::SVR)), saved_tpr_(apic_read(apic_reg::TPR)),
      saved_lvt_(apic_read(apic_reg::LVT_TIMER))
{
    apic_write(apic_reg::SVR, saved_svr_ | apic_reg::SVR_ENABLE);
    apic_write(apic_reg::TPR, 0);
    apic_write(apic_reg::TIMER_INITIAL, 0);
    apic_write(apic_reg::TIMER_DIVIDE, apic_reg::DIVIDE_BY_1);
    apic_write(apic_reg::LVT_TIMER, apic_reg::LVT_MASKED | vector);
}

ApicTimer::~ApicTimer()
{
    apic_write(apic_reg::TIMER_INITIAL, 0);
    apic_write(apic_reg::LVT_TIMER, saved_lvt_ | apic_reg::LVT_MASKED);
    apic_write(apic_reg::TPR, saved_tpr_);
    apic_write(apic_reg::SVR, saved_svr_);
}

void ApicTimer::start(u32 count)
{
    apic_write(apic_reg::LVT_TIMER, vector_); // one-shot, unmasked
    apic_write(apic_reg::TIMER_INITIAL, count);
}

bool ApicTimer::make_pending(u32 max_polls)
{
    start(1);
    for (u32 i = 0; i < max_polls; i++) {
        if (apic_irr_has(vector_))
            return true;
        cpu_relax();
    }
    return false;
}
