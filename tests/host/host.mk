# check-host: every tests/host/*_test.cc in one GoogleTest binary,
# build/host/unit-tests (Debian libgtest-dev). Included by the top Makefile;
# needs tools/tools.mk (HOST_B, the $(HOST_B)/%.o rule).
#
# Other fragments add the lib/ sources their tests need, compiled for the
# host into build/host/:   HOST_TEST_LIB_SRCS += lib/format.cc
# and extra compiler flags: HOST_TEST_CXXFLAGS += -DFOO
# (both may be set in fragments included after this one).

HOST_TEST_SRCS = $(sort $(wildcard tests/host/*_test.cc))
HOST_TEST_TOOL_SRCS = tools/cfg/cfg.cc tools/tap/tapmerge.cc tools/tap/junit.cc \
	tools/common/strutil.cc
HOST_TEST_LIB_SRCS ?=
HOST_TEST_CXXFLAGS ?=
HOST_UNIT_TESTS := $(HOST_B)/unit-tests

# Prerequisites are expanded a second time, after every fragment was read, so
# that HOST_TEST_LIB_SRCS may grow in fragments included after this one.
.SECONDEXPANSION:
$(HOST_UNIT_TESTS): $$(call host_obj,$$(HOST_TEST_SRCS) $$(HOST_TEST_TOOL_SRCS) \
		$$(sort $$(HOST_TEST_LIB_SRCS)))
	$(HOST_CXX) -o $@ $^ -lgtest -lgtest_main -pthread

$(HOST_B)/tests/host/%.o: HOST_TOOLS_CXXFLAGS += $(HOST_TEST_CXXFLAGS)
$(HOST_B)/lib/%.o: HOST_TOOLS_CXXFLAGS += $(HOST_TEST_CXXFLAGS)

.PHONY: check-host
check-host: $(HOST_UNIT_TESTS)
	$(HOST_UNIT_TESTS) --gtest_brief=1
