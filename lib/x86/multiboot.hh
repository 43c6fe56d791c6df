// Multiboot v1 information structure (the fields this runtime reads).
#pragma once
#include "types.hh"

struct [[gnu::packed]] MultibootInfo {
    u32 flags;
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;
    u32 mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
};

struct [[gnu::packed]] MultibootMmapEntry {
    u32 size; // of the rest of the entry
    u64 addr;
    u64 len;
    u32 type; // 1 = available RAM
};

namespace mbflag {
constexpr u32 MEM = 1u << 0, CMDLINE = 1u << 2, MODS = 1u << 3, MMAP = 1u << 6;
}
