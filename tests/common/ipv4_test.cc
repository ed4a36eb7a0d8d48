// common/ipv4: strict parsing, formatting and CIDR range arithmetic.
#include "common/ipv4.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::ipv4 {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(ParseAddress, ValidText_ParsesToHostOrder) {
  struct Case {
    const char* text;
    uint32_t want;
  };
  const Case cases[] = {
      {"0.0.0.0", 0},
      {"255.255.255.255", 0xffffffffu},
      {"10.0.0.1", 0x0a000001u},
      {"192.168.1.254", 0xc0a801feu},
      {"100.68.0.18", 0x64440012u},
      {"1.20.200.0", 0x0114c800u},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<uint32_t> got = ParseAddress(c.text);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, c.want);
    EXPECT_EQ(FormatAddress(*got), c.text);
  }
}

TEST(ParseAddress, MalformedText_IsInvalidArgumentWithReason) {
  struct Case {
    const char* name;
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"empty", "", "part 1 (\"\") is empty"},
      {"three parts", "10.0.0", "\"10.0.0\" is not an IPv4 address: has 3 parts"},
      {"five parts", "10.0.0.0.1", "has 5 parts"},
      {"empty part", "10..0.1", "part 2 (\"\") is empty"},
      {"trailing dot", "10.0.0.", "part 4 (\"\") is empty"},
      {"leading dot", ".10.0.0", "part 1 (\"\") is empty"},
      {"above 255", "10.0.256.1", "part 3 (\"256\") is above 255"},
      {"many digits", "10.0.0.0001", "part 4 (\"0001\") has a leading zero"},
      {"long number", "10.0.0.1000", "part 4 (\"1000\") is above 255"},
      {"leading zero", "10.01.0.1", "part 2 (\"01\") has a leading zero"},
      {"plus sign", "+10.0.0.1", "part 1 (\"+10\") is not a decimal number"},
      {"minus sign", "10.-0.0.1", "part 2 (\"-0\") is not a decimal number"},
      {"space", "10.0.0.1 ", "part 4 (\"1 \") is not a decimal number"},
      {"hex", "0x0a.0.0.1", "is not a decimal number"},
      {"letters", "a.b.c.d", "part 1 (\"a\") is not a decimal number"},
      {"cidr", "10.0.0.0/8", "part 4 (\"0/8\") is not a decimal number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseAddress(c.text), StatusIs(kInvalid, c.want));
  }
}

TEST(ParseCidr, ValidText_KeepsBaseAsGiven) {
  struct Case {
    const char* text;
    uint32_t base;
    int prefix;
    const char* canonical;
    int64_t size;
  };
  const Case cases[] = {
      {"10.0.0.0/16", 0x0a000000u, 16, "10.0.0.0/16", 65536},
      {"100.68.0.18/18", 0x64440012u, 18, "100.68.0.0/18", 16384},
      {"10.0.0.17/28", 0x0a000011u, 28, "10.0.0.16/28", 16},
      {"192.168.7.200/24", 0xc0a807c8u, 24, "192.168.7.0/24", 256},
      {"0.0.0.0/0", 0, 0, "0.0.0.0/0", int64_t{1} << 32},
      {"255.255.255.255/32", 0xffffffffu, 32, "255.255.255.255/32", 1},
      {"10.1.2.3/8", 0x0a010203u, 8, "10.0.0.0/8", 16777216},
      {"172.31.255.255/1", 0xac1fffffu, 1, "128.0.0.0/1", int64_t{1} << 31},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<Cidr> got = ParseCidr(c.text);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->base, c.base);
    EXPECT_EQ(got->prefix, c.prefix);
    EXPECT_EQ(got->ToString(), c.text);
    EXPECT_EQ(got->Canonical().ToString(), c.canonical);
    EXPECT_EQ(got->Canonical().IsCanonical(), true);
    EXPECT_EQ(got->IsCanonical(), got->ToString() == c.canonical);
    EXPECT_EQ(got->Size(), c.size);
    EXPECT_EQ(got->Canonical().Canonical(), got->Canonical());
  }
}

TEST(ParseCidr, MalformedText_IsInvalidArgumentWithReason) {
  struct Case {
    const char* name;
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"no prefix", "10.0.0.0", "\"10.0.0.0\" is not a CIDR block: missing \"/prefix\""},
      {"empty", "", "missing \"/prefix\""},
      {"empty prefix", "10.0.0.0/", "prefix \"\" is empty; use a number 0-32"},
      {"prefix 33", "10.0.0.0/33", "prefix \"33\" is above 32"},
      {"prefix 100", "10.0.0.0/100", "prefix \"100\" is above 32"},
      {"prefix leading zero", "10.0.0.0/016", "prefix \"016\" has a leading zero"},
      {"prefix plus", "10.0.0.0/+16", "prefix \"+16\" is not a decimal number"},
      {"prefix minus", "10.0.0.0/-1", "prefix \"-1\" is not a decimal number"},
      {"two slashes", "10.0.0.0/16/2", "prefix \"16/2\" is not a decimal number"},
      {"space", "10.0.0.0/16 ", "prefix \"16 \" is not a decimal number"},
      {"bad address", "10.0.0.256/24", "address part 4 (\"256\") is above 255"},
      {"short address", "10.0/16", "address has 2 parts"},
      {"empty address", "/16", "address part 1 (\"\") is empty"},
      {"plus address", "+10.0.0.0/16", "address part 1 (\"+10\") is not a decimal number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseCidr(c.text), StatusIs(kInvalid, c.want));
  }
}

Cidr MustParse(const char* text) {
  absl::StatusOr<Cidr> cidr = ParseCidr(text);
  EXPECT_THAT(cidr, IsOk()) << text;
  return cidr.ok() ? *cidr : Cidr{};
}

TEST(Cidr, ContainsAndOverlaps_FollowTheRanges) {
  struct Case {
    const char* name;
    const char* outer;
    const char* inner;
    bool contains;  // outer.Contains(inner)
    bool overlaps;  // symmetric
  };
  const Case cases[] = {
      {"equal", "10.0.0.0/24", "10.0.0.0/24", true, true},
      {"inside", "10.0.0.0/16", "10.0.5.0/24", true, true},
      {"inside at end", "10.0.0.0/16", "10.0.255.240/28", true, true},
      {"containing", "10.0.5.0/24", "10.0.0.0/16", false, true},
      {"adjacent below", "10.0.1.0/24", "10.0.0.0/24", false, false},
      {"adjacent above", "10.0.1.0/24", "10.0.2.0/24", false, false},
      {"disjoint", "10.0.0.0/16", "10.1.0.0/16", false, false},
      {"host bits ignored", "10.0.0.77/24", "10.0.0.200/28", true, true},
      {"top of space", "255.255.255.0/24", "255.255.255.240/28", true, true},
      {"everything", "0.0.0.0/0", "255.255.255.255/32", true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Cidr outer = MustParse(c.outer);
    Cidr inner = MustParse(c.inner);
    EXPECT_EQ(outer.Contains(inner), c.contains);
    EXPECT_EQ(outer.Overlaps(inner), c.overlaps);
    EXPECT_EQ(inner.Overlaps(outer), c.overlaps);
  }
}

TEST(Cidr, FirstLastAndMask_MatchThePrefix) {
  Cidr cidr = MustParse("10.0.0.77/24");
  EXPECT_EQ(cidr.Mask(), 0xffffff00u);
  EXPECT_EQ(FormatAddress(cidr.First()), "10.0.0.0");
  EXPECT_EQ(FormatAddress(cidr.Last()), "10.0.0.255");
  EXPECT_EQ(MustParse("0.0.0.0/0").Mask(), 0u);
  EXPECT_EQ(MustParse("1.2.3.4/32").Mask(), 0xffffffffu);
  EXPECT_EQ(FormatAddress(MustParse("1.2.3.4/32").Last()), "1.2.3.4");
}

TEST(Cidr, AddressAt_CountsFromTheCanonicalBase) {
  struct Case {
    const char* cidr;
    int64_t offset;
    const char* want;
  };
  const Case cases[] = {
      {"10.0.0.0/24", 0, "10.0.0.0"},
      {"10.0.0.0/24", 4, "10.0.0.4"},
      {"10.0.0.0/24", 255, "10.0.0.255"},
      {"10.0.0.9/28", 1, "10.0.0.1"},
      {"10.0.0.0/16", 260, "10.0.1.4"},
      {"10.0.0.0/16", 65535, "10.0.255.255"},
      {"0.0.0.0/0", 4294967295, "255.255.255.255"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cidr);
    absl::StatusOr<uint32_t> got = MustParse(c.cidr).AddressAt(c.offset);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(FormatAddress(*got), c.want);
  }
}

TEST(Cidr, AddressAtOutsideTheBlock_IsInvalidArgument) {
  Cidr cidr = MustParse("10.0.0.0/28");
  EXPECT_THAT(cidr.AddressAt(16),
              StatusIs(kInvalid, "offset 16 is outside 10.0.0.0/28; use 0 to 15"));
  EXPECT_THAT(cidr.AddressAt(-1), StatusIs(kInvalid, "offset -1 is outside"));
}

}  // namespace
}  // namespace gantry::ipv4
