// The AWS CLI shorthand parser and --network-configuration of gantryctl.
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "cli/cli.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::cli {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

google::protobuf::Value FromJson(const std::string& json) {
  google::protobuf::Value value;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &value).ok()) << json;
  return value;
}

TEST(ParseShorthand, GoodInputs_GiveTheTree) {
  struct Case {
    std::string name;
    std::string text;
    std::string want_json;
  };
  const Case cases[] = {
      {"one member", "a=b", R"({"a":"b"})"},
      {"members", "a=b,c=d", R"({"a":"b","c":"d"})"},
      {"blanks dropped", " a = b , c= d e ", R"({"a":"b","c":"d e"})"},
      {"empty value", "a=", R"({"a":""})"},
      {"equals inside value", "a=x=y", R"({"a":"x=y"})"},
      {"list", "a=[x,y,z]", R"({"a":["x","y","z"]})"},
      {"empty list", "a=[]", R"({"a":[]})"},
      {"empty struct", "a={}", R"({"a":{}})"},
      {"nested",
       "awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-x],"
       "assignPublicIp=DISABLED}",
       R"({"awsvpcConfiguration":{"assignPublicIp":"DISABLED","securityGroups":["sg-x"],)"
       R"("subnets":["subnet-a","subnet-b"]}})"},
      {"list of structs", "a=[{k=1},{k=2,v=[]}]", R"({"a":[{"k":"1"},{"k":"2","v":[]}]})"},
      {"nested lists", "a=[[x],[]]", R"({"a":[["x"],[]]})"},
      {"double quotes keep separators", R"(a="x,y}]",b=c)", R"({"a":"x,y}]","b":"c"})"},
      {"single quotes and escapes", R"(a='it\'s',b="back\\slash")",
       R"({"a":"it's","b":"back\\slash"})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<google::protobuf::Value> value = ParseShorthand(c.text, "flag");
    ASSERT_THAT(value, IsOk());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*value, FromJson(c.want_json)))
        << value->ShortDebugString();
  }
}

TEST(ParseShorthand, BadInputs_NameFlagProblemAndPosition) {
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {"empty", "", "--flag: the value is empty"},
      {"blank", "   ", "--flag: the value is empty"},
      {"no equals", "abc", "--flag: expected \"=\" after \"abc\" at the end"},
      {"no equals in struct", "a={b}", "--flag: expected \"=\" after \"b\" at character 5"},
      {"missing key", "=x", "--flag: expected KEY=VALUE at character 1"},
      {"bare list at top", "[a]", "--flag: expected KEY=VALUE at character 1"},
      {"trailing comma", "a=b,", "--flag: expected KEY=VALUE at the end"},
      {"implicit list", "a=x,y", "--flag: expected \"=\" after \"y\" at the end"},
      {"unclosed struct", "a={b=c", "--flag: missing \"}\" at the end"},
      {"unclosed list", "a=[x,y", "--flag: missing \"]\" at the end"},
      {"stray close", "a=b}", "--flag: unexpected \"}\" (expected \",\") at character 4"},
      {"wrong close", "a=[x}", "--flag: unexpected \"}\" (expected \",\" or \"]\") at character 5"},
      {"junk after struct", "a={b=c}x", "--flag: unexpected \"x\" (expected \",\") at character 8"},
      {"duplicate key", "a=1,a=2", "--flag: \"a\" is given more than once at character 5"},
      {"unclosed quote", "a=\"xy",
       "--flag: the quote opened at character 3 is not closed at the end"},
      {"junk after quote", "a=\"x\"y", "--flag: unexpected \"y\" (expected \",\") at character 6"},
      {"too deep", "a=" + std::string(40, '['), "--flag: nested more than 32 levels deep"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseShorthand(c.text, "flag"),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

v1::NetworkConfiguration Network(const std::string& text_proto) {
  v1::NetworkConfiguration message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &message));
  return message;
}

TEST(ParseNetworkConfiguration, ShorthandOrJson_GiveTheMessage) {
  struct Case {
    std::string name;
    std::string text;
    std::string want;  // text format
  };
  const std::string both = R"(awsvpc_configuration { subnets: "subnet-a" subnets: "subnet-b" )"
                           R"(security_groups: "sg-x" assign_public_ip: "DISABLED" })";
  const Case cases[] = {
      {"shorthand",
       "awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-x],"
       "assignPublicIp=DISABLED}",
       both},
      {"json",
       R"({"awsvpcConfiguration":{"subnets":["subnet-a","subnet-b"],)"
       R"("securityGroups":["sg-x"],"assignPublicIp":"DISABLED"}})",
       both},
      {"json with leading blanks", R"(  {"awsvpcConfiguration":{"subnets":["s"]}})",
       R"(awsvpc_configuration { subnets: "s" })"},
      {"single value for a list", "awsvpcConfiguration={subnets=subnet-a}",
       R"(awsvpc_configuration { subnets: "subnet-a" })"},
      {"no security groups", "awsvpcConfiguration={subnets=[a]}",
       R"(awsvpc_configuration { subnets: "a" })"},
      {"empty configuration", "awsvpcConfiguration={}", R"(awsvpc_configuration {})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<v1::NetworkConfiguration> got = ParseNetworkConfiguration(c.text);
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got, Network(c.want)))
        << got->ShortDebugString();
  }
}

TEST(ParseNetworkConfiguration, BadInputs_NameTheFlagAndField) {
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {"shorthand syntax", "awsvpcConfiguration={subnets=[a}",
       "--network-configuration: unexpected \"}\" (expected \",\" or \"]\") at character 32"},
      {"unknown member", "awsvpcConfiguration={subnet=[a]}",
       "--network-configuration: awsvpcConfiguration.subnet: unknown field"},
      {"wrong case", "AwsvpcConfiguration={subnets=[a]}",
       "--network-configuration: AwsvpcConfiguration: unknown field; did you mean "
       "\"awsvpcConfiguration\"?"},
      {"list for a scalar", "awsvpcConfiguration={assignPublicIp=[ENABLED]}",
       "--network-configuration: awsvpcConfiguration.assignPublicIp"},
      {"struct for a list element", "awsvpcConfiguration={subnets=[{id=a}]}",
       "--network-configuration: awsvpcConfiguration.subnets[0]"},
      {"json syntax", R"({"awsvpcConfiguration": )", "--network-configuration: invalid JSON"},
      {"json unknown member", R"({"awsvpc":{}})", "--network-configuration: awsvpc: unknown field"},
      {"json scalar for list", R"({"awsvpcConfiguration":{"subnets":"a"}})",
       "--network-configuration: awsvpcConfiguration.subnets"},
      {"empty", "", "--network-configuration: the value is empty"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseNetworkConfiguration(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

}  // namespace
}  // namespace gantry::cli
