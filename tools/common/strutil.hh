// Small string helpers shared by the host tools (nvmx-cfg, nvmx-tap).
// Pure functions, unit-tested in tests/host/.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvmx {

// Strips blanks (space, tab, CR, LF) at both ends.
std::string_view trim(std::string_view s);

// Splits on runs of blanks; no empty fields.
std::vector<std::string> split_blanks(std::string_view s);

// Splits text into lines; drops a trailing '\r' from each line, and a last
// empty line after a final '\n'.
std::vector<std::string> split_lines(std::string_view text);

// Joins with sep.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Decimal non-negative integer, whole string, no sign, at most 9 digits.
std::optional<int> parse_uint(std::string_view s);

// Reads the whole file at path into *out; false when it cannot be opened.
bool read_whole_file(const std::string& path, std::string* out);

// Replaces bytes that would break a line-oriented text stream (control
// characters other than tab, and DEL) with '?'. Tabs become blanks.
std::string printable(std::string_view s);

} // namespace nvmx
