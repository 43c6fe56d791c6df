# Host tests of the guest-page-walk model (lib/x86/vmx/ept_guest_walk.cc).
HOST_TEST_LIB_SRCS += lib/x86/vmx/ept_guest_walk.cc lib/x86/vmx/ept_qual.cc
