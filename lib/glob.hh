// Shell-style wildcard matching ('*' any run, '?' one character), as used to
// select test cases by name. Pure logic: also unit-tested on the host.
#pragma once

// True when text matches pattern entirely.
bool glob_match(const char* pattern, const char* text);

// True when pattern contains a wildcard character.
bool glob_has_wildcard(const char* pattern);
