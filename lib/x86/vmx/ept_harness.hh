// Test harness for EPT cases: an L2 guest with EPT on (identity map of L1
// memory, checked EPTP), a mailbox through which L1 tells L2 which access to
// perform, and a test window of guest-physical space outside L1's RAM where
// cases map pages with the permissions under test.
#pragma once
#include "types.hh"
#include "x86/addr.hh"
#include "x86/vmx/ept.hh"
#include "x86/vmx/ept_qual.hh"
#include "x86/vmx/guest.hh"

// Guest-physical window for test mappings: above any RAM the kernels use,
// below 4 GiB so that L1's identity paging (which L2 shares) covers it.
constexpr GuestPhysAddr EPT_TEST_GPA(0xc0000000ull);

// L2's linear alias of a guest-physical probe address: GLA = GPA + this
// (64 GiB + 5 pages: differs in bits 12 and up, same page offset; canonical
// for every GPA below 128 TiB - 64 GiB). A probe that accessed its GPA as a
// linear address could not tell a hypervisor that reports the GPA in the
// guest-linear-address field (SDM Vol. 3C 28.2.1) from a right one.
constexpr u64 EPT_LA_DELTA = 0x1000005000ull;
constexpr u64 ept_alias_la(u64 gpa) { return gpa + EPT_LA_DELTA; }
static_assert(((ept_alias_la(EPT_TEST_GPA.raw()) ^ EPT_TEST_GPA.raw()) >> 12) != 0);

// A 4 KiB mapping of the guest-physical page holding gpa at linear
// ept_alias_la(gpa) in L1's page tables (which an EptGuest's L2 shares),
// removed again by the destructor. Assumes nothing else maps that linear
// page. Check ok().
class L1Alias {
public:
    explicit L1Alias(GuestPhysAddr gpa);
    ~L1Alias();
    L1Alias(const L1Alias&) = delete;
    L1Alias& operator=(const L1Alias&) = delete;
    [[nodiscard]] bool ok() const { return ok_; }
    // The linear address of g (in the aliased page).
    u64 la(GuestPhysAddr g) const { return ept_alias_la(g.raw()); }

private:
    VirtAddr page_;
    bool ok_ = false;
};

// One access L2 performs, chosen by L1 before the run.
enum class L2Op : u64 { Read = 1, Write = 2, Fetch = 4 };

struct L2Mailbox {
    L2Op op;
    u64 addr;   // linear address to access
    u64 value;  // written for Write, read back for Read, RAX returned by Fetch
};

// L2 body: performs mailbox->op at mailbox->addr (a fetch calls the address,
// which must hold a RET; what RAX holds at the return lands in
// mailbox->value), then returns.
void l2_access(u64 mailbox);

// Byte at which fetch tests place RET in their backing page.
constexpr u8 X86_RET = 0xc3;
constexpr u8 X86_MOV_EAX_IMM32 = 0xb8;

// Writes `mov eax, value; ret` (6 bytes) at at: a fetch by l2_access then
// returns value in mailbox->value, proof that L2 executed the bytes there.
void plant_fetch_stub(u8* at, u32 value);

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

// The ept_qual.hh access kind of an L2Op (for ept_expect()).
constexpr EptAccess ept_access_of(L2Op op)
{
    return op == L2Op::Write ? EptAccess::Write : op == L2Op::Fetch ? EptAccess::Fetch : EptAccess::Read;
}

// Name of an access for case names ("read", "write", "fetch").
const char* l2_op_name(L2Op op);

// "R", "RW", "-" ... for case names.
const char* ept_perm_name(u64 perms);

// nullptr when EPT cases can run, else why not (for TestCase::unmet_requirement).
const char* ept_unavailable_reason();
// The same, also requiring EPT accessed/dirty flags (IA32_VMX_EPT_VPID_CAP[21]).
const char* ept_ad_unavailable_reason();

// Drops the guest-physical mappings cached for eptp after an EPT change
// (SDM Vol. 3C 29.4.3.1): single-context INVEPT, else all-context. False
// after reporting an ERROR under what when INVEPT failed, or a SKIP (with
// the capability named) when neither INVEPT type is supported.
[[nodiscard]] bool ept_invalidate(Eptp eptp, const char* what);

// Turns on "mode-based execute control for EPT" (secondary control bit 22)
// in the current VMCS (eg's) and sets bit 10 (execute for user-mode linear
// addresses, XU) in every EPT entry that maps L1 memory (the identity map of
// setup_ept_and_enable, all levels of each walk), then INVEPT. With MBEC a
// user-mode fetch needs XU in every entry of its walk (SDM Vol. 3C 29.3.3.2),
// so L2 code on user pages (CPL3, l2_user.hh) stays executable; supervisor
// fetches still need bit 2, which the identity map has. Entries outside L1
// memory (test windows) are left as they are. False after reporting an
// ERROR under what.
[[nodiscard]] bool ept_enable_mbec(EptGuest& eg, const char* what);

// rax value of the VMCALL with which l2_access_loop ends each step.
constexpr u64 L2_STEP = 0x4e564d5853544550ull;

// L2 body for multi-step cases: performs mailbox->op, then VMCALL with
// rax = L2_STEP; L1 updates the mailbox (and EPT), skips the VMCALL
// (Guest::skip_instruction) and resumes for the next step. Never returns.
void l2_access_loop(u64 mailbox);

// An EptGuest running l2_access_loop. step() sets the mailbox and enters L2
// (past the previous step's VMCALL); resume() re-enters after any other exit,
// so that an access that caused an EPT violation executes again.
class EptStepper {
public:
    explicit EptStepper(EptOptions options = {}) : eg_(l2_access_loop, reinterpret_cast<u64>(&box_), options) {}
    [[nodiscard]] bool ready(const char* what) { return eg_.ready(what); }
    EptGuest& eg() { return eg_; }
    Ept& ept() { return eg_.ept(); }
    Eptp eptp() const { return eg_.eptp(); }
    RunResult step(L2Op op, u64 addr, u64 value = 0);
    RunResult resume();
    // The value L2's last Read step loaded.
    u64 value() const { return box_.value; }
    // True when r is the VMCALL that ends a step.
    bool is_step(const RunResult& r) { return r.exited(ExitReason::VMCALL) && eg_.guest().regs().rax == L2_STEP; }

private:
    L2Mailbox box_{};
    EptGuest eg_;
    bool at_step_ = false;
};

// One check that L2 finished a step of l2_access_loop (VMCALL L2_STEP).
template <class... Args>
bool expect_step(EptStepper& s, const RunResult& r, Here fmt, const Args&... args)
{
    Diagnostic d{"VMCALL ending the L2 step", r.describe()};
    return report_check(s.is_step(r), &d, nullptr, fmt, args...);
}
