// Iterative glob matcher: on mismatch, backtrack to just after the last '*'.
#include "glob.hh"

bool glob_match(const char* pattern, const char* text)
{
    const char* star = nullptr;
    const char* resume = nullptr;
    while (*text) {
        if (*pattern == '*') {
            star = pattern++;
            resume = text;
        } else if (*pattern == '?' || *pattern == *text) {
            pattern++;
            text++;
        } else if (star) {
            pattern = star + 1;
            text = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

bool glob_has_wildcard(const char* pattern)
{
    for (; *pattern; pattern++)
        if (*pattern == '*' || *pattern == '?')
            return true;
    return false;
}
