// nvmx-cfg: reads a unittests.cfg and prints one normalised record per entry
// (see cfg.hh, to_record) for run_tests.sh.
//
//   nvmx-cfg FILE          records on stdout; errors "FILE:LINE: msg" on stderr
//   nvmx-cfg --names FILE  entry names only, one per line
//
// Exit: 0 ok, 1 the file has errors, 2 usage error or unreadable file.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "cfg/cfg.hh"

int main(int argc, char** argv)
{
    bool names_only = false;
    std::string path;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--names")
            names_only = true;
        else if (a == "-h" || a == "--help") {
            std::cout << "usage: nvmx-cfg [--names] FILE\n";
            return 0;
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << "nvmx-cfg: unknown option '" << a << "'\n";
            return 2;
        } else if (path.empty())
            path = a;
        else {
            std::cerr << "nvmx-cfg: more than one file given\n";
            return 2;
        }
    }
    if (path.empty()) {
        std::cerr << "usage: nvmx-cfg [--names] FILE\n";
        return 2;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << path << ": cannot read the test list\n";
        return 2;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    auto result = nvmx::cfg::parse(buf.str());
    for (auto& e : result.errors)
        std::cerr << nvmx::cfg::format_error(path, e) << '\n';
    if (!result.errors.empty())
        return 1;
    for (auto& e : result.entries)
        std::cout << (names_only ? e.name : nvmx::cfg::to_record(e)) << '\n';
    return 0;
}
