# Host tests of the expected EPT outcome / exit qualification (lib/x86/vmx/ept_qual.cc).
HOST_TEST_LIB_SRCS += lib/x86/vmx/ept_qual.cc
