// TAP13 line writer used by the kernel's reporter. Pure logic: also
// unit-tested on the host. https://testanything.org/tap-version-13-specification.html
#pragma once
#include "format.hh"

enum class TapDirective : u8 { None, Skip, Todo };

// "TAP version 13"
void tap_version(const Sink& out);

// "ok N - desc" / "not ok N - desc", then " # SKIP reason" or " # TODO reason".
// '#' and '\' in desc are escaped with '\'; newlines become blanks.
void tap_result(const Sink& out, unsigned number, bool ok, const char* desc,
                TapDirective directive = TapDirective::None, const char* reason = nullptr);

// YAML diagnostic block after a result: begin "  ---", key: value lines
// (value quoted when it holds YAML-special characters), end "  ...".
void tap_yaml_begin(const Sink& out);
void tap_yaml_field(const Sink& out, const char* key, const char* value);
void tap_yaml_end(const Sink& out);

// "1..N"
void tap_plan(const Sink& out, unsigned count);

// "# text" (newlines inside text start new comment lines).
void tap_comment(const Sink& out, const char* text);
