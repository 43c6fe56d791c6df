// nvmx-vncclick: a minimal RFB (VNC) client that clicks one button of Bochs'
// header bar. Bochs' save-state button exists only in its GUI; with the rfb
// display library a pointer press inside the header bar calls
// bx_gui_c::headerbar_click(x) (gui/rfb.cc rfbMouseMove), so the kvm-in-bochs
// backend uses this tool to make a Bochs that runs headless save its state.
//
//   nvmx-vncclick [--lo-up] [--host ADDR] [--port P] [--tries N] --from-right X
//       --lo-up first sets the loopback interface up (a fresh network
//       namespace, as the runner gives Bochs, has it down). Connects to ADDR:P (default 127.0.0.1:5900; retries N times, 0.2 s
//       apart, while Bochs opens its port), does the RFB 3.3 handshake
//       (security None, shared ClientInit, reads ServerInit), then sends a
//       left-button press and release at (width - X, 4): X pixels from the
//       right edge of the framebuffer ServerInit reports. Bochs lays out
//       its right-hand buttons from the right (power 0..31, save/restore
//       32..63), so --from-right 48 hits the save button.
//       Prints the framebuffer size and the x clicked on stdout.
//
// Exit 0 when the events were sent, 1 on a network or protocol failure,
// 2 on a usage error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

namespace {

// Reads exactly n bytes; false on EOF or error.
[[nodiscard]] bool read_exact(int fd, void* buf, size_t n)
{
    auto* p = static_cast<unsigned char*>(buf);
    while (n) {
        ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

// Writes exactly n bytes; false on error.
[[nodiscard]] bool write_exact(int fd, const void* buf, size_t n)
{
    const auto* p = static_cast<const unsigned char*>(buf);
    while (n) {
        ssize_t r = ::write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

[[nodiscard]] uint16_t be16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
[[nodiscard]] uint32_t be32(const unsigned char* p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Connects to addr:port, retrying while nothing listens yet; -1 on failure.
[[nodiscard]] int connect_retry(const std::string& addr, int port, int tries)
{
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1) {
        std::cerr << "nvmx-vncclick: bad address " << addr << "\n";
        return -1;
    }
    for (int t = 0; t < tries; t++) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        ::close(fd);
        timespec ts{0, 200 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
    std::cerr << "nvmx-vncclick: cannot connect to " << addr << ":" << port << ": "
              << std::strerror(errno) << "\n";
    return -1;
}

// Sets the loopback interface up (needs CAP_NET_ADMIN in the namespace).
[[nodiscard]] bool loopback_up()
{
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return false;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    bool ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    if (ok && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        ok = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    }
    if (!ok)
        std::cerr << "nvmx-vncclick: cannot set lo up: " << std::strerror(errno) << "\n";
    ::close(s);
    return ok;
}

struct Screen {
    uint16_t width;
    uint16_t height;
};

// The RFB handshake up to and including ServerInit (RFB 6.1-6.3). Bochs
// speaks 3.3: the server picks the security type (a 32-bit word).
[[nodiscard]] std::optional<Screen> handshake(int fd)
{
    char ver[12];
    if (!read_exact(fd, ver, sizeof ver) || std::memcmp(ver, "RFB ", 4) != 0) {
        std::cerr << "nvmx-vncclick: no RFB version message\n";
        return std::nullopt;
    }
    static const char mine[] = "RFB 003.003\n";
    if (!write_exact(fd, mine, 12))
        return std::nullopt;
    unsigned char sec[4];
    if (!read_exact(fd, sec, 4))
        return std::nullopt;
    if (be32(sec) != 1) {
        std::cerr << "nvmx-vncclick: server asks for security type " << be32(sec) << ", not None\n";
        return std::nullopt;
    }
    const unsigned char shared = 1;
    if (!write_exact(fd, &shared, 1))
        return std::nullopt;
    unsigned char init[24];
    if (!read_exact(fd, init, sizeof init))
        return std::nullopt;
    uint32_t name_len = be32(init + 20);
    std::string name(name_len, '\0');
    if (name_len > 4096 || !read_exact(fd, name.data(), name_len))
        return std::nullopt;
    return Screen{be16(init), be16(init + 2)};
}

// Sends a PointerEvent (RFB 6.4.5): type 5, button mask, x, y.
[[nodiscard]] bool pointer(int fd, uint8_t mask, uint16_t x, uint16_t y)
{
    unsigned char m[6] = {5, mask, uint8_t(x >> 8), uint8_t(x), uint8_t(y >> 8), uint8_t(y)};
    return write_exact(fd, m, sizeof m);
}

int usage(const std::string& msg)
{
    std::cerr << "nvmx-vncclick: " << msg << "\n"
              << "usage: nvmx-vncclick [--lo-up] [--host ADDR] [--port P] [--tries N] --from-right X\n";
    return 2;
}

// A positive integer argument, or nullopt.
[[nodiscard]] std::optional<int> number(const char* s)
{
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (!*s || *end || v <= 0 || v > 65535)
        return std::nullopt;
    return static_cast<int>(v);
}

} // namespace

int main(int argc, char** argv)
{
    std::string host = "127.0.0.1";
    int port = 5900, tries = 50, from_right = 0;
    bool lo_up = false;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--lo-up") {
            lo_up = true;
            continue;
        }
        if (i + 1 >= argc)
            return usage("missing value after " + a);
        if (a == "--host") {
            host = argv[++i];
            continue;
        }
        auto v = number(argv[++i]);
        if (!v)
            return usage("bad number '" + std::string(argv[i]) + "' for " + a);
        if (a == "--port")
            port = *v;
        else if (a == "--tries")
            tries = *v;
        else if (a == "--from-right")
            from_right = *v;
        else
            return usage("unknown option " + a);
    }
    if (!from_right)
        return usage("--from-right is required");
    if (lo_up && !loopback_up())
        return 1;
    int fd = connect_retry(host, port, tries);
    if (fd < 0)
        return 1;
    auto screen = handshake(fd);
    if (!screen) {
        ::close(fd);
        return 1;
    }
    if (from_right >= screen->width) {
        std::cerr << "nvmx-vncclick: framebuffer is only " << screen->width << " pixels wide\n";
        ::close(fd);
        return 1;
    }
    auto x = static_cast<uint16_t>(screen->width - from_right);
    bool ok = pointer(fd, 1, x, 4) && pointer(fd, 0, x, 4);
    // Bochs queues the events for its simulation thread; give its reader
    // thread time to take them before the connection closes.
    timespec ts{0, 500 * 1000 * 1000};
    nanosleep(&ts, nullptr);
    ::close(fd);
    if (!ok) {
        std::cerr << "nvmx-vncclick: cannot send the pointer events\n";
        return 1;
    }
    std::cout << "framebuffer " << screen->width << "x" << screen->height << ", clicked x=" << x
              << " y=4\n";
    return 0;
}
