// Splits a kernel command line into argv. Pure logic: also unit-tested on the host.
#pragma once
#include "types.hh"

// Splits buf in place on blanks (space, tab, newline); single or double quotes
// group blanks into one argument and are removed. Stores at most max_args
// pointers into argv followed by a nullptr (argv must hold max_args + 1).
// Returns the number of arguments, or -1 when there were more than max_args
// or a quote was left open.
[[nodiscard]] int split_cmdline(char* buf, char** argv, int max_args);
