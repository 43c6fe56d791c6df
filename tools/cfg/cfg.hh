// unittests.cfg parser: INI-like sections, one per test entry.
//
//   # comment
//   [name]            # a comment after a blank, outside quotes
//   file = name.flat
//   extra_params = -cpu max -append 'case1 case2'   (alias: qemu_params)
//   test_args = -slow_case
//   groups = vmx ept
//   timeout = 90s     (0: none)
//   smp = 2
//   memory = 256
//   accel = kvm|tcg|bochs, or a list: kvm,tcg
//   arch = x86_64
//   check = /sys/module/kvm_intel/parameters/nested=Y
//   requires = vmx
//   bochs_cpu = corei7_skylake_x
//
// Pure logic (no I/O) so that tests/host/cfg_test.cc covers it.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvmx::cfg {

inline constexpr int kDefaultTimeoutS = 90;
inline constexpr int kDefaultSmp = 1;
inline constexpr int kDefaultMemoryMiB = 256;

struct Entry {
    std::string name;
    int line = 0;                       // line of the [name] header
    std::string file;                   // kernel, relative to the cfg's directory
    std::string kernel_args;            // -append value + test_args, blank-normalised
    std::vector<std::string> qemu_args; // extra_params without -append/-smp/-m
    std::vector<std::string> groups;
    int timeout_s = kDefaultTimeoutS;
    int smp = kDefaultSmp;
    int memory_mib = kDefaultMemoryMiB;
    std::string accel;                  // "", or blank-separated kvm, tcg, bochs
    std::string arch;                   // "" = any
    std::vector<std::string> checks;    // "path=value"
    std::vector<std::string> requirements; // "vmx"
    std::string bochs_cpu;
};

struct Error {
    int line = 0;
    std::string message;
};

struct Result {
    std::vector<Entry> entries;
    std::vector<Error> errors; // sorted by line
};

Result parse(std::string_view text);

// "path:LINE: message"
std::string format_error(std::string_view path, const Error& e);

// One line per entry, fields "key=value" separated by TAB, always in this
// order: name line file args qemu groups timeout smp memory accel arch check
// requires bochs_cpu. List values are blank-separated, except qemu whose
// tokens are separated by \x1f (unit separator). Values never hold TAB,
// newline or other control characters.
std::string to_record(const Entry& e);

// Shell-like word splitting for extra_params: blanks separate words, '...'
// is literal, "..." allows \" \\ \$ \`, a backslash outside quotes escapes
// the next character. Shell operators and expansions ($ ` ; | & < >) outside
// single quotes are rejected. Returns nullopt and sets *err on error.
std::optional<std::vector<std::string>> split_words(std::string_view s, std::string* err);

// "90", "90s", "2m", "1h" -> seconds; "0" -> 0 (no timeout).
std::optional<int> parse_duration_s(std::string_view s);

// "256", "256M", "1G" (QEMU -m style, MiB by default) -> MiB (> 0).
std::optional<int> parse_memory_mib(std::string_view s);

} // namespace nvmx::cfg
