// Typed VMCS access on top of vmread/vmwrite: vmcs_get<F>() returns the
// field's own width; vmcs_read/vmcs_write report a failure as an ERROR result
// (the setup is broken) so that no failed access goes unnoticed.
#pragma once
#include "types.hh"
#include "x86/arch/vmcs_fields.hh"
#include "x86/vmx/insn.hh"

template <VmcsWidth W>
struct VmcsWidthType;
template <> struct VmcsWidthType<VmcsWidth::W16> { using type = u16; };
template <> struct VmcsWidthType<VmcsWidth::W32> { using type = u32; };
template <> struct VmcsWidthType<VmcsWidth::W64> { using type = u64; };
template <> struct VmcsWidthType<VmcsWidth::Natural> { using type = u64; };

// The integer type that holds field F.
template <VmcsField F>
using vmcs_t = typename VmcsWidthType<vmcs_field_width(F)>::type;

// Raw access that returns the instruction's outcome.
inline VmxResult vmcs_try_read(VmcsField f, u64* out) { return vmread(static_cast<u32>(f), out); }
inline VmxResult vmcs_try_write(VmcsField f, u64 v) { return vmwrite(static_cast<u32>(f), v); }

// Reads f from the current VMCS; on failure reports an ERROR and returns 0.
u64 vmcs_read(VmcsField f);
// Writes f; on failure reports an ERROR and returns false.
bool vmcs_write(VmcsField f, u64 value);

template <VmcsField F>
vmcs_t<F> vmcs_get() { return static_cast<vmcs_t<F>>(vmcs_read(F)); }

// Sets / clears bits of a control field (read-modify-write).
bool vmcs_set_bits(VmcsField f, u64 bits);
bool vmcs_clear_bits(VmcsField f, u64 bits);
