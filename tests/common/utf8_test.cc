#include "common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace gantry {
namespace {

TEST(ToValidUtf8, KeepsUtf8ReplacesTheRest) {
  struct Case {
    std::string in;
    std::string want;
  };
  const std::string kFffd = "\xEF\xBF\xBD";
  const Case cases[] = {
      {"plain ascii\n", "plain ascii\n"},
      {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
      {"a\xFF"
       "b",
       "a" + kFffd + "b"},
      {"cut \xE2\x82", "cut " + kFffd + kFffd},             // a sequence cut at the end
      {"\xC0\xAF", kFffd + kFffd},                          // overlong '/'
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},              // a surrogate
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // past U+10FFFF
      {std::string("nul\0ok", 6), std::string("nul\0ok", 6)},
      {"", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(ToValidUtf8(c.in), c.want);
  }
}

TEST(CompleteUtf8Prefix, CutsOnlyASequenceCutShortAtTheEnd) {
  struct Case {
    std::string in;
    size_t want;
  };
  const Case cases[] = {
      {"", 0},
      {"abc", 3},
      {"caf\xC3\xA9", 5},
      {"caf\xC3", 3},
      {"\xE2\x82", 0},
      {"x\xE2\x82\xAC", 4},
      {"x\xF0\x9F\x98", 1},
      {"x\xF0\x9F\x98\x80", 5},
      {"\x80\x80\x80\x80", 4},  // not UTF-8 at all: left to ToValidUtf8
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(CompleteUtf8Prefix(c.in), c.want);
  }
}

}  // namespace
}  // namespace gantry
