// Test-case tables and selection. A kernel declares a constexpr table of
// named cases and hands it, with argv, to run_test_cases(); the command line
// selects cases by name, '*'/'?' wildcards and '-name' exclusions, exactly
// like kvm-unit-tests. See docs/contract.md.
#pragma once
#include "types.hh"
#include "x86/exit.hh"

struct TestCase {
    const char* name;
    void (*body)();
    // Returns nullptr when the case can run here, else why not (SKIP reason).
    const char* (*unmet_requirement)() = nullptr;
    // An erratum id (lib/errata.cc) whose row has `hangs`: where that row
    // applies, the case is a SKIP naming it instead of running.
    const char* hangs_on = nullptr;
};

// A case body that runs CHECK on ROWS[I]: a table-driven kernel names one
// case per row (`{kRows[0].name, row_case<kRows, 0, check_row>, ...}`)
// without writing a function per row. ROWS is a namespace-scope array.
template <const auto& Rows, usize I, auto Check>
void row_case()
{
    Check(Rows[I]);
}

// Options the kernel command line may carry besides selectors.
struct RunOptions {
    bool tap = false;
    bool list = false;
    const char* backend = nullptr; // --backend=NAME, as passed by the runner
};

// Parses argv[1..], runs the selected cases (each under a recovery point, so
// an unexpected exception fails that case only) and returns the status.
[[nodiscard]] ExitStatus run_test_cases(Span<const TestCase> cases, int argc, char** argv);

// The options of the current run (valid inside a case).
const RunOptions& run_options();

// Hook run after a case that ended with an unexpected exception, to tear
// down state it left behind (e.g. leave VMX operation). May be null.
void set_case_abort_hook(void (*hook)());

// Each kernel defines this (typically: return run_test_cases(kCases, argc, argv)).
ExitStatus test_main(int argc, char** argv);
