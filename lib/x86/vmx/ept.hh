// EPT tables for an L2 guest: typed map/unmap at 4 KiB/2 MiB/1 GiB, get/set
// the entry at a level, splitting large leaves, an identity map of L1 memory,
// and the checked steps that turn EPT on in a VMCS.
#pragma once
#include "types.hh"
#include "x86/addr.hh"
#include "x86/pt_walk.hh"
#include "x86/vmx/ept_entry.hh"
#include "x86/vmx/insn.hh"

class Ept {
public:
    // Allocates an empty root table; check ok().
    Ept();
    // Frees every table page (not the pages the leaves point at).
    ~Ept();
    Ept(const Ept&) = delete;
    Ept& operator=(const Ept&) = delete;

    [[nodiscard]] bool ok() const { return root_.raw() != 0; }
    PhysAddr root() const { return root_; }

    // Maps gpa -> pa with a leaf at level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB),
    // creating tables as needed. Fails if a larger leaf covers gpa.
    [[nodiscard]] WalkStatus map(GuestPhysAddr gpa, PhysAddr pa, u64 perms, int level = 1,
                                 EptMemType mt = EptMemType::WB);
    // Clears the leaf mapping gpa (any level); false if nothing mapped it.
    [[nodiscard]] bool unmap(GuestPhysAddr gpa);
    // The entry at level for gpa, or nullptr when the walk does not reach it.
    EptEntry* entry(GuestPhysAddr gpa, int level);
    // The leaf that maps gpa and its level, or nullptr.
    EptEntry* leaf(GuestPhysAddr gpa, int* level);
    // Replaces the large leaf at level covering gpa by a table of level-1
    // leaves with the same permissions and memory type.
    [[nodiscard]] bool split(GuestPhysAddr gpa, int level);
    // Identity-maps [0, size) with perms using the largest pages the CPU has
    // (1 GiB, 2 MiB, else 4 KiB). size must be a multiple of 2 MiB.
    [[nodiscard]] bool identity_map(u64 size, u64 perms);

private:
    PhysAddr root_;
};

// What setup_ept_and_enable did.
struct [[nodiscard]] EptSetup {
    enum class Status : u8 { Ok, Unsupported, Error } status;
    const char* reason; // why not, for Unsupported (SKIP) and Error
    Eptp eptp;
    bool ok() const { return status == Status::Ok; }
};

// For the current VMCS: checks the CPU allows 'enable EPT', identity-maps L1
// memory (all RAM the allocator manages, rounded up to 2 MiB) in ept with RWX,
// builds and checks the EPTP with setup_eptp(), and only then writes
// EPT_POINTER and sets 'activate secondary controls' + 'enable EPT'.
EptSetup setup_ept_and_enable(Ept& ept, EptOptions options = {});

// Reports an EptSetup that is not Ok as SKIP (Unsupported) or ERROR; true if Ok.
bool check_ept_setup(const EptSetup& s, const char* what);

// L1 memory the identity map must cover (bytes, 2 MiB multiple).
u64 ept_identity_size();

// INVEPT of a type, checked against the capability bits: returns
// supported=false (and does not execute) when the CPU does not offer it.
struct InveptCall {
    bool supported;
    VmxResult result;
};
InveptCall invept_checked(InveptType type, Eptp eptp);
