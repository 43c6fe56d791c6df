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
//   PDPTE_LOAD_WRITE: a PAE PDPTE load under EPT A/D counts as a write
//               (SDM Vol. 3C 29.3.3.2: it is a read): the PDPT page's EPT
//               leaf gets D wherever the load set A.
//   INVEPT_IGNORES_BIT7: single-context INVEPT accepts EPTP bit 7 without
//               supervisor shadow stacks (27.2.1.1 / INVEPT: VMfailValid):
//               the descriptor goes out with bit 7 cleared.
// Several may be given at once (make SIMULATE_BUG="A B"): each touches
// different checks.
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
#ifdef NVMX_SIMULATE_PDPTE_LOAD_WRITE
constexpr bool PDPTE_LOAD_WRITE = true;
#else
constexpr bool PDPTE_LOAD_WRITE = false;
#endif
#ifdef NVMX_SIMULATE_INVEPT_IGNORES_BIT7
constexpr bool INVEPT_IGNORES_BIT7 = true;
#else
constexpr bool INVEPT_IGNORES_BIT7 = false;
#endif
} // namespace simulate
