// Test harness for EPT cases: an L2 guest with EPT on (identity map of L1
// memory, checked EPTP), a mailbox through which L1 tells L2 which access to
// perform, and a test window of guest-physical space outside L1's RAM where
// cases map pages with the permissions under test.
#pragma once
#include "types.hh"
#include "x86/addr.hh"
#include "x86/vmx/ept.hh"
#include "x86/vmx/guest.hh"

// Guest-physical window for test mappings: above any RAM the kernels use,
// below 4 GiB so that L1's identity paging (which L2 shares) covers it.
constexpr GuestPhysAddr EPT_TEST_GPA(0xc0000000ull);

// One access L2 performs, chosen by L1 before the run.
enum class L2Op : u64 { Read = 1, Write = 2, Fetch = 4 };

struct L2Mailbox {
    L2Op op;
    u64 addr;   // linear (= guest-physical) address to access
    u64 value;  // written for Write, read back for Read
};

// L2 body: performs mailbox->op at mailbox->addr (a fetch calls the address,
// which must hold a RET), then returns.
void l2_access(u64 mailbox);

// Byte at which fetch tests place RET in their backing page.
constexpr u8 X86_RET = 0xc3;

// An L2 guest with EPT enabled. Requires VMX operation (VmxOn).
class EptGuest {
public:
    EptGuest(GuestFn fn, u64 arg, EptOptions options = {});
    // True when the guest and EPT are set up; otherwise a SKIP (missing
    // capability) or ERROR naming the reason was reported under what.
    [[nodiscard]] bool ready(const char* what);

    Guest& guest() { return guest_; }
    Ept& ept() { return ept_; }
    Eptp eptp() const { return setup_.eptp; }
    RunResult run() { return guest_.run(); }

private:
    Guest guest_;
    Ept ept_;
    EptSetup setup_;
};

// Maps the page-granular alias of backing at EPT_TEST_GPA with a leaf at
// level: the leaf covers the level-sized region holding backing (so no extra
// memory is needed for 2 MiB/1 GiB leaves) and the returned address is where
// backing appears in guest-physical (= L2 linear) space.
[[nodiscard]] GuestPhysAddr map_test_page(Ept& ept, PhysAddr backing, u64 perms, int level,
                                          EptMemType mt = EptMemType::WB);

// Name of an access for case names ("read", "write", "fetch").
const char* l2_op_name(L2Op op);

// "R", "RW", "-" ... for case names.
const char* ept_perm_name(u64 perms);

// nullptr when EPT cases can run, else why not (for TestCase::unmet_requirement).
const char* ept_unavailable_reason();
