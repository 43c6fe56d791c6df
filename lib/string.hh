// C string and memory helpers of the freestanding runtime (the compiler may
// also emit calls to memcpy/memset/memmove/memcmp).
#pragma once
#include "types.hh"

extern "C" {
void* memset(void* dst, int c, usize n);
void* memcpy(void* dst, const void* src, usize n);
void* memmove(void* dst, const void* src, usize n);
int memcmp(const void* a, const void* b, usize n);
usize strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, usize n);
}

// True when s begins with prefix.
inline bool starts_with(const char* s, const char* prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

// True when s ends with suffix.
inline bool ends_with(const char* s, const char* suffix)
{
    usize ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}
