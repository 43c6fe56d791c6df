// Guest code coverage (./configure --enable-coverage): at exit, every object's
// GCC counters go to the host over COM1 as a framed text stream that
// scripts/coverage.sh turns back into .gcda files. See docs/coverage.md.
//
// Stream (every line a TAP comment, so a TAP13 stream stays valid):
//   # GCOV-BEGIN: 1                     format version
//   # GCOV-FILE: <gcda path>            compile-time absolute path
//   # GCOV: <base64, 72 chars at most>  the .gcda bytes
//   # GCOV-EOF: <bytes>                 end of one file
//   # GCOV-END: <files>                 the dump is complete
//
// This file is compiled without instrumentation and talks to the UART itself,
// so the counters it sends cannot change while they are being sent. In builds
// without NVMX_COVERAGE it is empty and exit()'s weak coverage_dump() stays.
#ifdef NVMX_COVERAGE
#include "console.hh"
#include "types.hh"
#include "x86/io.hh"

extern "C" {
#include <gcov.h>

// What libgcov's __gcov_info_to_gcda needs besides our callbacks. The merge
// hook only matters for a program that reads an old .gcda back: never here.
void __gcov_merge_add(long long*, unsigned) {}
void* mmap(void*, usize, int, int, int, long) { return reinterpret_cast<void*>(-1); }
[[noreturn]] void abort()
{
    for (;;)
        asm volatile("cli; hlt");
}

// From lib/x86/flat.lds: one pointer per instrumented object.
extern const gcov_info* const __gcov_info_start[];
extern const gcov_info* const __gcov_info_end[];
}

void coverage_dump();

namespace {
constexpr u16 COM1 = 0x3f8, LSR = 5;
constexpr u8 LSR_THRE = 1 << 5;
constexpr usize kLineBytes = 54; // 72 base64 characters per line

void uart_putc(char c)
{
    for (unsigned spins = 0; !(inb(COM1 + LSR) & LSR_THRE) && spins < 1000000; spins++)
        asm volatile("pause");
    outb(COM1, static_cast<u8>(c));
}

void uart_puts(const char* s)
{
    while (*s)
        uart_putc(*s++);
}

void uart_putu(u64 v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        uart_putc(buf[--n]);
}

// Base64 encoder, one "# GCOV: " line per kLineBytes input bytes.
class Base64Lines {
public:
    void put(u8 b)
    {
        line_[len_++] = b;
        total_++;
        if (len_ == kLineBytes)
            flush();
    }

    void flush()
    {
        if (!len_)
            return;
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        uart_puts("# GCOV: ");
        for (usize i = 0; i < len_; i += 3) {
            const usize n = len_ - i < 3 ? len_ - i : 3;
            u32 v = static_cast<u32>(line_[i]) << 16;
            if (n > 1)
                v |= static_cast<u32>(line_[i + 1]) << 8;
            if (n > 2)
                v |= line_[i + 2];
            uart_putc(kAlphabet[(v >> 18) & 63]);
            uart_putc(kAlphabet[(v >> 12) & 63]);
            uart_putc(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
            uart_putc(n > 2 ? kAlphabet[v & 63] : '=');
        }
        uart_putc('\n');
        len_ = 0;
    }

    u64 total() const { return total_; }

private:
    u8 line_[kLineBytes] = {};
    usize len_ = 0;
    u64 total_ = 0;
};

void on_filename(const char* name, void*)
{
    uart_puts("# GCOV-FILE: ");
    uart_puts(name ? name : "?");
    uart_putc('\n');
}

void on_data(const void* data, unsigned size, void* arg)
{
    auto* out = static_cast<Base64Lines*>(arg);
    const u8* p = static_cast<const u8*>(data);
    for (unsigned i = 0; i < size; i++)
        out->put(p[i]);
}

// Only value-profiling counters allocate; plain --coverage never does.
void* on_allocate(unsigned, void*) { return nullptr; }
} // namespace

void coverage_dump()
{
    // exit() runs this with interrupts off. The console (instrumented) is
    // used once, before any counter is read.
    console_end_line();
    uart_puts("# GCOV-BEGIN: 1\n");
    u64 files = 0;
    for (const gcov_info* const* p = __gcov_info_start; p < __gcov_info_end; p++) {
        Base64Lines out;
        __gcov_info_to_gcda(*p, on_filename, on_data, on_allocate, &out);
        out.flush();
        uart_puts("# GCOV-EOF: ");
        uart_putu(out.total());
        uart_putc('\n');
        files++;
    }
    uart_puts("# GCOV-END: ");
    uart_putu(files);
    uart_putc('\n');
}
#endif
