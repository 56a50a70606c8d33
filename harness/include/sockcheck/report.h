// Reports of conformance runs: the console's progress lines and summary
// table, JUnit XML for CI systems, and JSON with everything the console
// shows.
//
// Theory of operation. A ScenarioRun (runner.h) holds every byte both sides
// exchanged, which for a several-MiB response repeated fifty times is more
// than a report needs to keep. make_record() therefore condenses one run
// into a RunRecord right after it finishes: the verdicts and evidence in
// full, the model's reasoning, what the server observed on each connection,
// and byte strings cut to a prefix plus their full size. Every renderer
// reads RunRecords only, so the `sockcheck run` command, the tests and the
// GoogleTest helpers render the same run the same way.
//
// The renderers are pure functions of their input (no clock, no I/O): the
// same records give the same text, which is what the tests check. Byte
// strings from the client under test are arbitrary, so each format escapes
// them for its own rules: the console and XML show non-printable bytes as
// \xHH text (XML 1.0 cannot carry most control characters even as
// references), JSON passes valid UTF-8 through and writes any other byte as
// \u00XX of that byte.
//
// One header per piece, all included here: report_records.h (RunRecord,
// make_record), report_console.h (progress lines and details),
// report_summary.h (counts and the table), report_files.h (JUnit and JSON)
// and report_escape.h (the file formats' escapers, for tests).
#pragma once

#include "sockcheck/report_console.h"
#include "sockcheck/report_escape.h"
#include "sockcheck/report_files.h"
#include "sockcheck/report_records.h"
#include "sockcheck/report_summary.h"
