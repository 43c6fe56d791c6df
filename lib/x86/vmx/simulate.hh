// Simulated hypervisor bugs for test builds only (make SIMULATE_BUG=NAME):
// L1 alters what it reads back from the VMCS or memory exactly as a buggy
// hypervisor would present it, so that a test of the tests can show that
// the checks fail on such a hypervisor. A normal build defines none.
//   GLA_IS_GPA: an EPT violation's guest-linear-address field holds the
//               guest-physical address (SDM Vol. 3C 28.2.1 says: the linear
//               address the guest used).
//   PML_TWICE:  a page whose EPT D flag is set is logged again (SDM Vol. 3C
//               29.3.6: only a D flag going 0 -> 1 logs): the newest log
//               entry appears a second time.
#pragma once

namespace simulate {
#ifdef NVMX_SIMULATE_GLA_IS_GPA
constexpr bool GLA_IS_GPA = true;
#else
constexpr bool GLA_IS_GPA = false;
#endif
#ifdef NVMX_SIMULATE_PML_TWICE
constexpr bool PML_TWICE = true;
#else
constexpr bool PML_TWICE = false;
#endif
} // namespace simulate
