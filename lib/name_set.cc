// NameSet: duplicate detection for reported check names.
#include "name_set.hh"

u64 name_hash(const char* name)
{
    u64 h = 0xcbf29ce484222325ull;
    for (const char* p = name; *p; ++p) {
        h ^= static_cast<u8>(*p);
        h *= 0x100000001b3ull;
    }
    return h ? h : 1;
}

NameSet::Insert NameSet::insert(const char* name)
{
    u64 h = name_hash(name);
    for (usize i = h & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        if (slots_[i] == h)
            return Insert::Duplicate;
        if (slots_[i] == 0) {
            if (count_ >= CAPACITY)
                return Insert::Full;
            slots_[i] = h;
            count_++;
            return Insert::New;
        }
    }
}

void NameSet::clear()
{
    for (u64& s : slots_)
        s = 0;
    count_ = 0;
}
