# The duplicate-name set of the report library (lib/name_set.cc) in the host unit tests.
HOST_TEST_LIB_SRCS += lib/name_set.cc
