// JUnit XML for a run (run_tests.sh --junit FILE): one <testsuite> per
// unittests.cfg entry, one <testcase> per TAP result line of that entry, so
// the testcase count always equals the TAP count of `run_tests.sh -t`.
//
//   pass                      <testcase/>
//   not ok                    <failure message="...">YAML + log excerpt</failure>
//   ok # SKIP reason          <skipped message="reason"/>
//   not ok # TODO reason      <skipped message="known deviation: reason"/>
//                             (plus <property name="known-deviation" .../>)
//   ok # TODO reason          passes (an unexpected pass is counted as passed,
//                             as in the SUMMARY), property "unexpected-pass"
//   crash/timeout/error       the runner's own failing test case, with the
//                             last serial lines as the excerpt
//
// Pure logic (no I/O); tests/host/junit_test.cc covers it.
#pragma once
#include <string>
#include <string_view>

#include "tap/tapmerge.hh"

namespace nvmx::tap {

// Escapes text for XML content (attr: also for a "..." attribute value).
// Bytes that are not valid UTF-8 and control characters XML 1.0 forbids
// become '?'; in attributes, tab/newline become character references.
std::string xml_escape(std::string_view s, bool attr = false);

// One <testsuite> element for the entry (ends with a newline). tail: the
// entry's last serial lines (KernelOutput::tail), for crash excerpts.
std::string render_junit_suite(const EntryReport& r, const std::vector<std::string>& tail);

// The whole document around the concatenated suites.
std::string render_junit_document(const Totals& t, std::string_view suites);

} // namespace nvmx::tap
