// common/prometheus: text exposition format 0.0.4 and the /proc process metrics reader.
#include "common/prometheus.h"

#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::prometheus {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(FormatValue, Values_PrintAsPrometheusDoes) {
  struct Case {
    const char* name;
    double value;
    const char* want;
  };
  const Case cases[] = {
      {"zero", 0, "0"},
      {"negative zero", -0.0, "0"},
      {"one", 1, "1"},
      {"negative integer", -3, "-3"},
      {"half", 0.5, "0.5"},
      {"negative fraction", -2.5, "-2.5"},
      {"tenth", 0.1, "0.1"},
      {"small", 1e-7, "1e-07"},
      {"huge", 1e300, "1e+300"},
      {"largest plain integer", 9007199254740991.0, "9007199254740991"},
      {"two to the 53", 9007199254740992.0, "9007199254740992"},
      {"two to the 60 needs 16 digits", 1152921504606846976.0, "1.152921504606847e+18"},
      {"third needs 16 digits", 1.0 / 3.0, "0.3333333333333333"},
      {"sum needs 17 digits", 0.1 + 0.2, "0.30000000000000004"},
      {"decimal", 123456.789, "123456.789"},
      {"nan", std::nan(""), "NaN"},
      {"infinity", kInf, "+Inf"},
      {"negative infinity", -kInf, "-Inf"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FormatValue(c.value), c.want);
  }
}

TEST(FormatValue, FiniteValues_ReadBackEqual) {
  const double values[] = {0.1,       0.2,         0.1 + 0.2, 1.0 / 3.0,
                           2.0 / 3.0, 1e-300,      4.9e-324,  1.7976931348623157e308,
                           1e22,      -123.456e-10};
  for (double value : values) {
    std::string text = FormatValue(value);
    SCOPED_TRACE(text);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value);
  }
}

TEST(EscapeLabelValue, SpecialCharacters_AreEscaped) {
  struct Case {
    const char* name;
    std::string value;
    std::string want;
  };
  const Case cases[] = {
      {"plain", "us-east-1a", "us-east-1a"},      {"empty", "", ""},
      {"backslash", R"(C:\dir)", R"(C:\\dir)"},   {"quote", R"(say "hi")", R"(say \"hi\")"},
      {"newline", "two\nlines", R"(two\nlines)"}, {"all three", "\\\"\n", R"(\\\"\n)"},
      {"tab and utf-8 kept", "a\tb é", "a\tb é"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(EscapeLabelValue(c.value), c.want);
  }
}

TEST(Exposition, FamiliesAndSamples_MatchTextFormat) {
  Exposition exposition;
  exposition.Family("gantry_tasks_launched_total", Type::kCounter,
                    "Tasks launched, by \"cluster\".\nSee C:\\docs.");
  exposition.Sample({{"cluster", "default"}, {"result", "ok"}}, 42);
  exposition.Sample({{"cluster", "a\"b\\c\nd"}, {"result", "failed"}}, 0.5);
  exposition.Family("gantry:queue_depth", Type::kGauge, "Depth of the launch queue.");
  exposition.Sample({}, 7);
  exposition.Sample({{"le", "+Inf"}}, std::nan(""));

  EXPECT_EQ(exposition.Take(),
            "# HELP gantry_tasks_launched_total Tasks launched, by \"cluster\".\\nSee C:\\\\docs.\n"
            "# TYPE gantry_tasks_launched_total counter\n"
            "gantry_tasks_launched_total{cluster=\"default\",result=\"ok\"} 42\n"
            "gantry_tasks_launched_total{cluster=\"a\\\"b\\\\c\\nd\",result=\"failed\"} 0.5\n"
            "# HELP gantry:queue_depth Depth of the launch queue.\n"
            "# TYPE gantry:queue_depth gauge\n"
            "gantry:queue_depth 7\n"
            "gantry:queue_depth{le=\"+Inf\"} NaN\n");
  EXPECT_THAT(exposition.problems(), IsEmpty());
}

TEST(Exposition, BadNamesAndRepeats_AreProblemsAndLeftOut) {
  Exposition exposition;
  exposition.Sample({}, 1);  // before any family
  exposition.Family("ok_total", Type::kCounter, "Fine.");
  exposition.Sample({{"zone", "a"}}, 1);
  exposition.Sample({{"bad-label", "x"}}, 2);
  exposition.Sample({{"__name__", "ok"}, {"0zone", "x"}}, 3);
  exposition.Sample({{"zone", "a"}, {"zone", "b"}}, 4);
  exposition.Family("1bad", Type::kGauge, "Starts with a digit.");
  exposition.Sample({}, 5);
  exposition.Family("", Type::kGauge, "Empty.");
  exposition.Sample({}, 6);
  exposition.Family("has space", Type::kGauge, "Space.");
  exposition.Sample({}, 7);
  exposition.Family("ok_total", Type::kCounter, "Again.");
  exposition.Sample({{"zone", "b"}}, 8);
  exposition.Family("next", Type::kGauge, "After the repeat.");
  exposition.Sample({}, 9);

  EXPECT_EQ(exposition.Take(),
            "# HELP ok_total Fine.\n"
            "# TYPE ok_total counter\n"
            "ok_total{zone=\"a\"} 1\n"
            "# HELP next After the repeat.\n"
            "# TYPE next gauge\n"
            "next 9\n");
  EXPECT_THAT(
      exposition.problems(),
      ElementsAre(HasSubstr("sample before any family"),
                  HasSubstr("family \"ok_total\": sample left out: label name \"bad-label\" is "
                            "not valid"),
                  HasSubstr("label name \"0zone\" is not valid"),
                  HasSubstr("label name \"zone\" is given twice"),
                  HasSubstr("family \"1bad\": not a valid metric name"),
                  HasSubstr("family \"\": not a valid metric name"),
                  HasSubstr("family \"has space\": not a valid metric name"),
                  HasSubstr("family \"ok_total\": repeats an earlier family")));
}

TEST(Exposition, Take_EmptiesTextAndAllowsNamesAgain) {
  Exposition exposition;
  exposition.Family("up", Type::kGauge, "Up.");
  exposition.Sample({}, 1);
  ASSERT_EQ(exposition.Take(), "# HELP up Up.\n# TYPE up gauge\nup 1\n");
  EXPECT_EQ(exposition.Take(), "");

  // A sample right after Take() has no family, even though one was open before.
  exposition.Sample({}, 2);
  exposition.Family("up", Type::kGauge, "Up.");
  exposition.Sample({}, 3);
  EXPECT_EQ(exposition.Take(), "# HELP up Up.\n# TYPE up gauge\nup 3\n");
  EXPECT_THAT(exposition.problems(), ElementsAre(HasSubstr("sample before any family")));
}

TEST(AppendProcessMetrics, Stats_WriteStandardFamilies) {
  ProcessStats stats;
  stats.cpu_seconds = 3.8;
  stats.start_time_seconds = 1700000987.65;
  stats.virtual_memory_bytes = 123456789;
  stats.resident_memory_bytes = 8388608;
  stats.open_fds = 12;
  stats.max_fds = kInf;
  stats.threads = 7;
  Exposition exposition;
  AppendProcessMetrics(stats, exposition);

  EXPECT_EQ(exposition.Take(),
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
            "# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total 3.8\n"
            "# HELP process_start_time_seconds Start time of the process since unix epoch in "
            "seconds.\n"
            "# TYPE process_start_time_seconds gauge\n"
            "process_start_time_seconds 1700000987.65\n"
            "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
            "# TYPE process_virtual_memory_bytes gauge\n"
            "process_virtual_memory_bytes 123456789\n"
            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
            "# TYPE process_resident_memory_bytes gauge\n"
            "process_resident_memory_bytes 8388608\n"
            "# HELP process_open_fds Number of open file descriptors.\n"
            "# TYPE process_open_fds gauge\n"
            "process_open_fds 12\n"
            "# HELP process_max_fds Maximum number of open file descriptors.\n"
            "# TYPE process_max_fds gauge\n"
            "process_max_fds +Inf\n"
            "# HELP process_threads Number of OS threads in the process.\n"
            "# TYPE process_threads gauge\n"
            "process_threads 7\n");
  EXPECT_THAT(exposition.problems(), IsEmpty());
}

// Fields 1 to 52 as Linux 5.x writes them; the command name holds spaces and both parentheses.
constexpr char kStatLine[] =
    "12345 (my (weird) proc) S 1 12345 12345 0 -1 4194560 1500 0 0 0 250 130 0 0 20 0 7 0 98765 "
    "123456789 2048 18446744073709551615 94000000000000 94000000100000 140720000000000 0 0 0 0 "
    "4096 16386 0 0 0 17 1 0 0 0 0 0 94000000200000 94000000300000 94000000400000 "
    "140720000001000 140720000001100 140720000001100 140720000002000 0\n";

TEST(ParseProcStat, WeirdCommandName_ParsesFieldsAfterLastParen) {
  ProcessStats stats;
  stats.open_fds = 9;  // not in the stat line, so left alone
  ASSERT_THAT(ParseProcStat(kStatLine, 100, 4096, 1700000000, stats), IsOk());
  EXPECT_DOUBLE_EQ(stats.cpu_seconds, 3.8);
  EXPECT_DOUBLE_EQ(stats.start_time_seconds, 1700000987.65);
  EXPECT_DOUBLE_EQ(stats.virtual_memory_bytes, 123456789);
  EXPECT_DOUBLE_EQ(stats.resident_memory_bytes, 2048.0 * 4096);
  EXPECT_DOUBLE_EQ(stats.threads, 7);
  EXPECT_DOUBLE_EQ(stats.open_fds, 9);
}

TEST(ParseProcStat, MalformedInput_IsInvalidArgument) {
  struct Case {
    const char* name;
    std::string line;
    long clock_ticks;
    long page_size;
    const char* want;
  };
  const Case cases[] = {
      {"truncated after vsize",
       "12345 (my (weird) proc) S 1 12345 12345 0 -1 4194560 1500 0 0 0 250 130 0 0 20 0 7 0 "
       "98765 123456789",
       100, 4096, "has 21 fields after the command name; want at least 22"},
      {"empty", "", 100, 4096, "no ')' closing the command name"},
      {"no parentheses", "12345 proc S 1", 100, 4096, "no ')' closing the command name"},
      {"comm swallowed by a later paren",
       "1 (a) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 100 10 (x)", 100, 4096, "has 0 fields"},
      {"utime not a number", "1 (a) S 1 1 1 0 -1 0 0 0 0 0 x1 1 0 0 20 0 1 0 5 100 10", 100, 4096,
       "field 14 (utime) \"x1\" is not a number"},
      {"negative starttime", "1 (a) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 -5 100 10", 100, 4096,
       "field 22 (starttime) \"-5\" is not a number"},
      {"zero clock ticks", kStatLine, 0, 4096, "clock ticks (0) and page size (4096)"},
      {"negative page size", kStatLine, 100, -1, "clock ticks (100) and page size (-1)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ProcessStats stats;
    stats.threads = 3;
    EXPECT_THAT(ParseProcStat(c.line, c.clock_ticks, c.page_size, 0, stats),
                StatusIs(kInvalid, c.want));
    EXPECT_EQ(stats.threads, 3) << "stats must be unchanged on error";
  }
}

TEST(ParseBootTime, ProcStatText_FindsBtime) {
  struct Case {
    const char* name;
    std::string text;
    absl::StatusCode want_code;
    double want;
    const char* want_message;
  };
  const Case cases[] = {
      {"real-looking",
       "cpu  10 0 20 300 0 0 0 0 0 0\ncpu0 10 0 20 300 0 0 0 0 0 0\nintr 100 1 2\n"
       "ctxt 5000\nbtime 1700000000\nprocesses 42\n",
       absl::StatusCode::kOk, 1700000000, ""},
      {"last line without newline", "ctxt 1\nbtime 12", absl::StatusCode::kOk, 12, ""},
      {"missing", "cpu  1 2 3\nctxt 5\n", kInvalid, 0, "no \"btime\" line"},
      {"empty", "", kInvalid, 0, "no \"btime\" line"},
      {"not a number", "btime soon\n", kInvalid, 0, "btime \"soon\" is not a number"},
      {"prefix of another word is not btime", "btimex 5\n", kInvalid, 0, "no \"btime\" line"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<double> got = ParseBootTime(c.text);
    if (c.want_code == absl::StatusCode::kOk) {
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(*got, c.want);
    } else {
      EXPECT_THAT(got, StatusIs(c.want_code, c.want_message));
    }
  }
}

TEST(ParseMaxOpenFiles, LimitsText_ReadsSoftLimit) {
  const std::string header =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max processes             63408                63408                processes \n";
  const std::string tail =
      "Max locked memory         8388608              8388608              bytes     \n";
  struct Case {
    const char* name;
    std::string text;
    absl::StatusCode want_code;
    double want;
    const char* want_message;
  };
  const Case cases[] = {
      {"number",
       header + "Max open files            1024                 524288               files     \n" +
           tail,
       absl::StatusCode::kOk, 1024, ""},
      {"unlimited",
       header + "Max open files            unlimited            unlimited            files     \n",
       absl::StatusCode::kOk, kInf, ""},
      {"missing row", header + tail, kInvalid, 0, "no \"Max open files\" row"},
      {"row without limits", "Max open files\n", kInvalid, 0, "row has no soft limit"},
      {"not a number", "Max open files  lots  1  files\n", kInvalid, 0,
       "soft limit \"lots\" is not a number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<double> got = ParseMaxOpenFiles(c.text);
    if (c.want_code == absl::StatusCode::kOk) {
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(*got, c.want);
    } else {
      EXPECT_THAT(got, StatusIs(c.want_code, c.want_message));
    }
  }
}

TEST(ReadProcessStats, Self_GivesPlausibleValues) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_GE(stats->cpu_seconds, 0);
  EXPECT_GT(stats->resident_memory_bytes, 0);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(stats->max_fds, stats->open_fds);
  EXPECT_GE(stats->threads, 1);
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  // btime is whole seconds, so the start time may read up to a second late.
  EXPECT_LE(stats->start_time_seconds, now + 1);
  EXPECT_GT(stats->start_time_seconds, now - 24 * 60 * 60);
}

TEST(ReadProcessStats, MissingDir_IsNotFoundNamingTheFile) {
  EXPECT_THAT(ReadProcessStats("/nonexistent-gantry-proc/self"),
              StatusIs(absl::StatusCode::kNotFound, "/nonexistent-gantry-proc/self/stat"));
}

// A fake procfs tree in a temporary directory: <root>/stat and <root>/42/{stat,limits,fd/}.
class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "prometheus_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::filesystem::create_directories(root_ / "42" / "fd");
    Write(root_ / "stat", "cpu  1 2 3\nbtime 1700000000\n");
    Write(root_ / "42" / "stat", kStatLine);
    Write(root_ / "42" / "fd" / "0", "");
    Write(root_ / "42" / "fd" / "1", "");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  std::filesystem::path root_;
};

TEST_F(FakeProc, CompleteTree_ReadsEveryFile) {
  Write(root_ / "42" / "limits", "Max open files            4096                 4096     files\n");
  absl::StatusOr<ProcessStats> stats = ReadProcessStats((root_ / "42").string());
  ASSERT_THAT(stats, IsOk());
  const double clock_ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page_size = static_cast<double>(::sysconf(_SC_PAGESIZE));
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 380 / clock_ticks);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1700000000 + 98765 / clock_ticks);
  EXPECT_DOUBLE_EQ(stats->virtual_memory_bytes, 123456789);
  EXPECT_DOUBLE_EQ(stats->resident_memory_bytes, 2048 * page_size);
  EXPECT_DOUBLE_EQ(stats->open_fds, 2);
  EXPECT_DOUBLE_EQ(stats->max_fds, 4096);
  EXPECT_DOUBLE_EQ(stats->threads, 7);
}

TEST_F(FakeProc, MissingLimits_IsNotFoundNamingTheFile) {
  EXPECT_THAT(ReadProcessStats((root_ / "42").string()),
              StatusIs(absl::StatusCode::kNotFound, (root_ / "42" / "limits").string()));
}

TEST_F(FakeProc, MalformedFiles_NameTheFile) {
  Write(root_ / "42" / "limits", "Max open files            4096                 4096     files\n");
  Write(root_ / "stat", "cpu  1 2 3\n");
  EXPECT_THAT(ReadProcessStats((root_ / "42").string()),
              StatusIs(kInvalid, (root_ / "stat").string() + ": no \"btime\" line"));

  Write(root_ / "stat", "btime 1700000000\n");
  Write(root_ / "42" / "stat", "42 (short) S 1 2 3\n");
  EXPECT_THAT(ReadProcessStats((root_ / "42").string()),
              StatusIs(kInvalid, (root_ / "42" / "stat").string() + ": has 4 fields"));

  Write(root_ / "42" / "stat", kStatLine);
  Write(root_ / "42" / "limits", "Max processes 10 10 processes\n");
  EXPECT_THAT(ReadProcessStats((root_ / "42").string()),
              StatusIs(kInvalid, (root_ / "42" / "limits").string() + ": no \"Max open files\""));
}

}  // namespace
}  // namespace gantry::prometheus
