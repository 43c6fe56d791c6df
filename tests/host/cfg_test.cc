// Unit tests for the unittests.cfg parser (tools/cfg/cfg.cc).
#include <gtest/gtest.h>

#include "cfg/cfg.hh"

using namespace nvmx::cfg;

namespace {

Result ok_parse(const char* text)
{
    Result r = parse(text);
    for (auto& e : r.errors)
        ADD_FAILURE() << format_error("t.cfg", e);
    return r;
}

std::string first_error(const char* text)
{
    Result r = parse(text);
    return r.errors.empty() ? std::string("(no error)") : format_error("t.cfg", r.errors[0]);
}

} // namespace

TEST(CfgParse, MinimalEntryGetsDefaults)
{
    Result r = ok_parse("[selftest]\nfile = selftest.flat\ngroups = selftest\n");
    ASSERT_EQ(r.entries.size(), 1u);
    const Entry& e = r.entries[0];
    EXPECT_EQ(e.name, "selftest");
    EXPECT_EQ(e.line, 1);
    EXPECT_EQ(e.file, "selftest.flat");
    EXPECT_EQ(e.groups, std::vector<std::string>{"selftest"});
    EXPECT_EQ(e.timeout_s, kDefaultTimeoutS);
    EXPECT_EQ(e.smp, 1);
    EXPECT_EQ(e.memory_mib, kDefaultMemoryMiB);
    EXPECT_EQ(e.kernel_args, "");
    EXPECT_TRUE(e.qemu_args.empty());
}

TEST(CfgParse, CommentsBlankLinesAndOrder)
{
    Result r = ok_parse("# top comment\n\n[b]\n  # indented comment\nfile=b.flat\n\n[a]\nfile = a.flat\n");
    ASSERT_EQ(r.entries.size(), 2u);
    EXPECT_EQ(r.entries[0].name, "b");
    EXPECT_EQ(r.entries[1].name, "a");
    EXPECT_EQ(r.entries[1].line, 7);
}

TEST(CfgParse, AllKeys)
{
    Result r = ok_parse("[vmx_basic]\n"
                        "file = vmx.flat\n"
                        "extra_params = -cpu max,+x2apic -append 'vmx_* -vmx_slow'\n"
                        "test_args = extra\n"
                        "groups = vmx  ept nodefault\n"
                        "timeout = 2m\n"
                        "smp = 2\n"
                        "memory = 1G\n"
                        "accel = bochs\n"
                        "arch = x86_64\n"
                        "check = /sys/module/kvm_intel/parameters/nested=Y /proc/x=1\n"
                        "requires = vmx\n"
                        "bochs_cpu = tigerlake\n");
    ASSERT_EQ(r.entries.size(), 1u);
    const Entry& e = r.entries[0];
    EXPECT_EQ(e.kernel_args, "vmx_* -vmx_slow extra");
    EXPECT_EQ(e.qemu_args, (std::vector<std::string>{"-cpu", "max,+x2apic"}));
    EXPECT_EQ(e.groups, (std::vector<std::string>{"vmx", "ept", "nodefault"}));
    EXPECT_EQ(e.timeout_s, 120);
    EXPECT_EQ(e.smp, 2);
    EXPECT_EQ(e.memory_mib, 1024);
    EXPECT_EQ(e.accel, "bochs");
    EXPECT_EQ(e.arch, "x86_64");
    EXPECT_EQ(e.checks.size(), 2u);
    EXPECT_EQ(e.requirements, std::vector<std::string>{"vmx"});
    EXPECT_EQ(e.bochs_cpu, "tigerlake");
}

TEST(CfgParse, SmpAndMemoryFromExtraParams)
{
    Result r = ok_parse("[x]\nfile = x.flat\nextra_params = -smp 4 -m 512M\n");
    ASSERT_EQ(r.entries.size(), 1u);
    EXPECT_EQ(r.entries[0].smp, 4);
    EXPECT_EQ(r.entries[0].memory_mib, 512);
    EXPECT_TRUE(r.entries[0].qemu_args.empty());
}

TEST(CfgParse, ErrorsNameTheLine)
{
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nbogus = 1\n"),
              "t.cfg:3: unknown key 'bogus' in [a]");
    EXPECT_EQ(first_error("file = a.flat\n[a]\nfile = a.flat\n"),
              "t.cfg:1: 'file' outside of any [section]");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\n[a]\nfile = b.flat\n"),
              "t.cfg:3: duplicate entry [a] (first defined at line 1)");
    EXPECT_EQ(first_error("\n[a]\ngroups = x\n"), "t.cfg:2: entry [a] has no 'file' key");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nfile = b.flat\n"),
              "t.cfg:3: duplicate key 'file' in [a] (first at line 2)");
    EXPECT_EQ(first_error("[a\nfile = a.flat\n"),
              "t.cfg:1: malformed section header '[a' (missing ']')");
    EXPECT_EQ(first_error("[a b]\nfile = a.flat\n"),
              "t.cfg:1: bad entry name 'a b' (use letters, digits, '_', '-', '.')");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\njust text\n"),
              "t.cfg:3: expected '[name]' or 'key = value', got 'just text'");
}

TEST(CfgParse, BadValues)
{
    EXPECT_EQ(first_error("[a]\nfile = a.flat\ntimeout = soon\n"),
              "t.cfg:3: bad timeout 'soon' (expected e.g. 90, 90s, 2m; 0: none)");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nsmp = 0\n"),
              "t.cfg:3: bad smp '0' (expected a CPU count 1..256)");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nmemory = lots\n"),
              "t.cfg:3: bad memory 'lots' (expected MiB, e.g. 256 or 1G)");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\naccel = hvf\n"),
              "t.cfg:3: bad accel 'hvf' (expected kvm, tcg or bochs, or a list like kvm,tcg)");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\naccel = kvm,hvf\n"),
              "t.cfg:3: bad accel 'hvf' (expected kvm, tcg or bochs, or a list like kvm,tcg)");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nrequires = svm\n"),
              "t.cfg:3: unknown requirement 'svm' (known: vmx)");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\ncheck = nonsense\n"),
              "t.cfg:3: bad check 'nonsense' (expected path=value)");
    EXPECT_EQ(first_error("[a]\nfile = a b\n"), "t.cfg:2: 'file' must name one kernel file, got 'a b'");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nextra_params = -append 'x\n"),
              "t.cfg:3: extra_params: unterminated single quote");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nextra_params = -smp $N\n"),
              "t.cfg:3: extra_params: shell syntax '$' is not supported (quote it)");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nextra_params = -kernel x\n"),
              "t.cfg:3: extra_params: '-kernel' is set by the runner");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nsmp = 2\nextra_params = -smp 4\n"),
              "t.cfg:4: extra_params: -smp conflicts with the 'smp' key");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nextra_params = -append\n"),
              "t.cfg:3: extra_params: '-append' needs a value");
}

TEST(CfgParse, ReportsEveryErrorOnce)
{
    Result r = parse("[a]\nbogus = 1\n[a]\nfile = x\nalso = 2\n[b]\nfile = b.flat\ntimeout = x\n");
    ASSERT_EQ(r.errors.size(), 4u);
    EXPECT_EQ(r.errors[0].line, 1); // [a] has no file
    EXPECT_EQ(r.errors[1].line, 2); // bogus
    EXPECT_EQ(r.errors[2].line, 3); // duplicate [a]; its keys are not reported
    EXPECT_EQ(r.errors[3].line, 8); // bad timeout
}

TEST(CfgParse, RecordFormat)
{
    Result r = ok_parse("[a]\nfile = a.flat\nextra_params = -cpu 'max,+x2apic' -device \"a b\"\n");
    ASSERT_EQ(r.entries.size(), 1u);
    EXPECT_EQ(to_record(r.entries[0]),
              "name=a\tline=1\tfile=a.flat\targs=\tqemu=-cpu\x1fmax,+x2apic\x1f-device\x1f"
              "a b\tgroups=\ttimeout=90\tsmp=1\tmemory=256\taccel=\tarch=\tcheck=\t"
              "requires=\tbochs_cpu=");
}

TEST(CfgParse, ControlCharactersRejected)
{
    EXPECT_EQ(first_error("[a]\nfile = a.flat\ngroups = a\x01\n"), "t.cfg:3: control character in line");
}

TEST(CfgWords, ShellLikeSplitting)
{
    std::string err;
    auto w = split_words(R"(a 'b c' "d \"e\" \$f" g\ h '' -x)", &err);
    ASSERT_TRUE(w) << err;
    EXPECT_EQ(*w, (std::vector<std::string>{"a", "b c", "d \"e\" $f", "g h", "", "-x"}));
    EXPECT_FALSE(split_words("a \"b", &err));
    EXPECT_EQ(err, "unterminated double quote");
    EXPECT_FALSE(split_words("a | b", &err));
    EXPECT_FALSE(split_words("\"$x\"", &err));
    EXPECT_TRUE(split_words("'$x; | &'", &err));
    EXPECT_FALSE(split_words("a\\", &err));
}

TEST(CfgValues, DurationAndMemory)
{
    EXPECT_EQ(parse_duration_s("90"), 90);
    EXPECT_EQ(parse_duration_s("90s"), 90);
    EXPECT_EQ(parse_duration_s("3m"), 180);
    EXPECT_EQ(parse_duration_s("1h"), 3600);
    EXPECT_EQ(parse_duration_s("0"), 0); // no timeout, as TIMEOUT=0
    EXPECT_EQ(parse_duration_s("0s"), 0);
    EXPECT_FALSE(parse_duration_s("s"));
    EXPECT_FALSE(parse_duration_s("-1"));
    EXPECT_FALSE(parse_duration_s("1.5"));
    EXPECT_EQ(parse_memory_mib("256"), 256);
    EXPECT_EQ(parse_memory_mib("64m"), 64);
    EXPECT_EQ(parse_memory_mib("2G"), 2048);
    EXPECT_FALSE(parse_memory_mib("0"));
    EXPECT_FALSE(parse_memory_mib("1T"));
    EXPECT_FALSE(parse_memory_mib(""));
}

// README's example: comments after values, as in kvm-unit-tests.
TEST(CfgParse, CommentsAfterValues)
{
    Result r = ok_parse("[ept_access]   # entry name\n"
                        "file = ept_access.flat   # kernel\n"
                        "test_args = access_4k -access_1g\t# selectors\n"
                        "extra_params = -device 'a #b' # the quoted '#' stays\n"
                        "check = /p=a#b\n");
    ASSERT_EQ(r.entries.size(), 1u);
    const Entry& e = r.entries[0];
    EXPECT_EQ(e.name, "ept_access");
    EXPECT_EQ(e.file, "ept_access.flat");
    EXPECT_EQ(e.kernel_args, "access_4k -access_1g");
    EXPECT_EQ(e.qemu_args, (std::vector<std::string>{"-device", "a #b"}));
    EXPECT_EQ(e.checks, std::vector<std::string>{"/p=a#b"}) << "'#' inside a word is no comment";
}

// kvm-unit-tests' current name for extra_params.
TEST(CfgParse, QemuParamsIsExtraParams)
{
    Result r = ok_parse("[a]\nfile = a.flat\nqemu_params = -cpu max -append 'x y'\n");
    ASSERT_EQ(r.entries.size(), 1u);
    EXPECT_EQ(r.entries[0].kernel_args, "x y");
    EXPECT_EQ(r.entries[0].qemu_args, (std::vector<std::string>{"-cpu", "max"}));
    EXPECT_EQ(first_error("[a]\nfile = a.flat\nextra_params = -cpu max\nqemu_params = -m 64\n"),
              "t.cfg:4: 'qemu_params' and 'extra_params' are the same key (line 3)");
}

TEST(CfgParse, AccelList)
{
    Result r = ok_parse("[a]\nfile = a.flat\naccel = kvm,tcg\n[b]\nfile = b.flat\naccel = tcg\n");
    ASSERT_EQ(r.entries.size(), 2u);
    EXPECT_EQ(r.entries[0].accel, "kvm tcg");
    EXPECT_EQ(r.entries[1].accel, "tcg");
    EXPECT_EQ(first_error("[a]\nfile = a.flat\naccel = ,\n"),
              "t.cfg:3: empty 'accel' (expected kvm, tcg, bochs or a list like kvm,tcg)");
}

TEST(CfgParse, TimeoutZeroIsNone)
{
    Result r = ok_parse("[a]\nfile = a.flat\ntimeout = 0\n");
    ASSERT_EQ(r.entries.size(), 1u);
    EXPECT_EQ(r.entries[0].timeout_s, 0);
}
