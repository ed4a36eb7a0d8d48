// The AWS CLI shorthand parser and --network-configuration of gantryctl.
#include <string>
#include <utility>
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
      // The AWS CLI's lists without brackets: a member's scalar, ',' and a value that
      // is not `KEY=`.
      {"comma list", "a=x,y", R"({"a":["x","y"]})"},
      {"comma list then a member", "a=x,y,z,b=c", R"({"a":["x","y","z"],"b":"c"})"},
      {"comma list in a struct", "a={b=x,y},c=d", R"({"a":{"b":["x","y"]},"c":"d"})"},
      {"comma list blanks dropped", "a= x , y ", R"({"a":["x","y"]})"},
      {"comma list quoted elements", R"(a="x,1",'y',z)", R"({"a":["x,1","y","z"]})"},
      {"comma list after a value with equals", "a=x=y,z", R"({"a":["x=y","z"]})"},
      {"comma list of the empty value", "a=,y", R"({"a":["","y"]})"},
      {"equals inside list elements", "a=[x,y=z]", R"({"a":["x","y=z"]})"},
      {"no comma list after a struct", "a={b=c},d=e", R"({"a":{"b":"c"},"d":"e"})"},
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
      {"comma list then a struct", "a=x,{b=c}", "--flag: expected KEY=VALUE at character 5"},
      {"comma list then a list", "a=x,[y]", "--flag: expected KEY=VALUE at character 5"},
      {"comma list with an empty element", "a=x,,y", "--flag: expected KEY=VALUE at character 5"},
      {"comma list trailing comma", "a=x,y,", "--flag: expected KEY=VALUE at the end"},
      {"comma list stray close", "a=x,y}",
       "--flag: unexpected \"}\" (expected \",\") at character 6"},
      {"comma list unclosed quote", "a=x,\"y",
       "--flag: the quote opened at character 5 is not closed at the end"},
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
      {"lists without brackets",
       "awsvpcConfiguration={subnets=subnet-a,subnet-b,securityGroups=sg-x,"
       "assignPublicIp=DISABLED}",
       both},
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

v1::TaskOverride Override(const std::string& text_proto) {
  v1::TaskOverride message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &message)) << text_proto;
  return message;
}

TEST(ParseStructuredFlag, OverridesShorthand_CoercedByFieldType) {
  struct Case {
    std::string name;
    std::string text;
    std::string want;  // text format
  };
  const Case cases[] = {
      {"the example",
       "containerOverrides=[{name=app,command=[sleep,60],environment=[{name=A,value=1}],"
       "cpu=256}],cpu=512,memory=1024",
       R"(container_overrides { name: "app" command: "sleep" command: "60"
          environment { name: "A" value: "1" } cpu: 256 }
          cpu: "512" memory: "1024")"},
      {"single value for a list", "containerOverrides={name=app,command=true}",
       R"(container_overrides { name: "app" command: "true" })"},
      {"single object for a list", "containerOverrides={name=app,memoryReservation=128}",
       R"(container_overrides { name: "app" memory_reservation: 128 })"},
      {"quoted values keep separators",
       R"(containerOverrides=[{name=app,command=["sh","-c","echo a,b"]}])",
       R"(container_overrides { name: "app" command: "sh" command: "-c" command: "echo a,b" })"},
      {"nested integer and blanks", "ephemeralStorage={sizeInGiB= 30 }",
       R"(ephemeral_storage { size_in_gib: 30 })"},
      {"signs and leading zeros", "containerOverrides=[{name=a,cpu=+0128,memory=-1}]",
       R"(container_overrides { name: "a" cpu: 128 memory: -1 })"},
      {"quoted integer", R"(containerOverrides=[{name=a,cpu="128"}])",
       R"(container_overrides { name: "a" cpu: 128 })"},
      {"command as a list without brackets", "containerOverrides=[{name=app,command=sleep,60}]",
       R"(container_overrides { name: "app" command: "sleep" command: "60" })"},
      {"several containers",
       "containerOverrides=[{name=a,cpu=128},{name=b,memory=256,environment=[]}]",
       R"(container_overrides { name: "a" cpu: 128 } container_overrides { name: "b" memory: 256 })"},
      {"json still works", R"({"cpu":"512","containerOverrides":[{"name":"app","cpu":256}]})",
       R"(cpu: "512" container_overrides { name: "app" cpu: 256 })"},
      {"roles", "taskRoleArn=arn:aws:iam::1:role/r,executionRoleArn=arn:aws:iam::1:role/e",
       R"(task_role_arn: "arn:aws:iam::1:role/r" execution_role_arn: "arn:aws:iam::1:role/e")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::TaskOverride got;
    ASSERT_THAT(ParseStructuredFlag(c.text, "overrides", &got), IsOk());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got, Override(c.want)))
        << got.ShortDebugString();
  }
}

TEST(ParseStructuredFlag, OverridesErrors_NameTheFlagAndPath) {
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {"unknown member", "containerOverride=[{name=app}]",
       "--overrides: containerOverride: unknown field"},
      {"wrong case", "ContainerOverrides=[{name=app}]",
       "--overrides: ContainerOverrides: unknown field; did you mean \"containerOverrides\"?"},
      {"unknown nested member", "containerOverrides=[{name=app,commands=[ls]}]",
       "--overrides: containerOverrides[0].commands: unknown field"},
      {"not a number", "containerOverrides=[{name=app,cpu=lots}]",
       "--overrides: containerOverrides[0].cpu: expected an integer, got string \"lots\""},
      {"fraction", "containerOverrides=[{name=app,memory=1.5}]",
       "--overrides: containerOverrides[0].memory: expected an integer, got string \"1.5\""},
      {"exponent", "containerOverrides=[{name=app,cpu=1e3}]",
       "--overrides: containerOverrides[0].cpu: expected an integer, got string \"1e3\""},
      {"hex", "containerOverrides=[{name=app,cpu=0x10}]",
       "--overrides: containerOverrides[0].cpu: expected an integer, got string \"0x10\""},
      {"quoted blank", R"(containerOverrides=[{name=app,cpu=" 12"}])",
       "--overrides: containerOverrides[0].cpu: expected an integer, got string \" 12\""},
      {"sign alone", "containerOverrides=[{name=app,cpu=-}]",
       "--overrides: containerOverrides[0].cpu: expected an integer, got string \"-\""},
      {"nested exponent", "ephemeralStorage={sizeInGiB=2e1}",
       "--overrides: ephemeralStorage.sizeInGiB: expected an integer, got string \"2e1\""},
      {"comma list for a string", "cpu=256,512", "--overrides: cpu: expected a string"},
      {"out of range", "containerOverrides=[{name=app,cpu=99999999999}]",
       "--overrides: containerOverrides[0].cpu: 99999999999 is out of range"},
      {"list for a string", "cpu=[1,2]", "--overrides: cpu: expected a string, got an array"},
      {"object for a string", "memory={a=b}", "--overrides: memory: expected a string"},
      {"string for an object", "ephemeralStorage=big",
       "--overrides: ephemeralStorage: expected an object, got string \"big\""},
      {"struct for a string list", "containerOverrides=[{name=app,command={a=b}}]",
       "--overrides: containerOverrides[0].command: expected an array, got an object"},
      {"syntax", "containerOverrides=[{name=app}", "--overrides: missing \"]\" at the end"},
      {"json syntax", R"({"cpu": )", "--overrides: invalid JSON"},
      {"json list", "[1]", "--overrides: expected a JSON object, got an array"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::TaskOverride got;
    EXPECT_THAT(ParseStructuredFlag(c.text, "overrides", &got),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(ShorthandToMessage, BoolAndRepeatedNumbers_Coerced) {
  // A message with bool, double and map fields: a container definition.
  absl::StatusOr<google::protobuf::Value> tree = ParseShorthand(
      "name=app,essential=FALSE,readonlyRootFilesystem=true,"
      "dockerLabels={a=1},ulimits=[{name=nofile,softLimit=1024,hardLimit=4096}]",
      "container");
  ASSERT_THAT(tree, IsOk());
  v1::ContainerDefinition definition;
  ASSERT_THAT(ShorthandToMessage(*tree, "container", &definition), IsOk());
  EXPECT_FALSE(definition.essential());
  EXPECT_TRUE(definition.has_essential());
  EXPECT_TRUE(definition.readonly_root_filesystem());
  EXPECT_EQ(definition.docker_labels().at("a"), "1");
  ASSERT_EQ(definition.ulimits_size(), 1);
  EXPECT_EQ(definition.ulimits(0).soft_limit(), 1024);

  absl::StatusOr<google::protobuf::Value> bad = ParseShorthand("essential=yes", "container");
  ASSERT_THAT(bad, IsOk());
  v1::ContainerDefinition refused;
  EXPECT_THAT(ShorthandToMessage(*bad, "container", &refused),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--container: essential: expected true or false, got string \"yes\""));
}

TEST(ShorthandToMessage, DoubleFields_PlainDecimalsOnly) {
  struct Case {
    std::string text;
    double want;
    std::string want_error;  // empty: accepted
  };
  const Case cases[] = {
      {"1718000000.5", 1718000000.5, ""},
      {"-2", -2, ""},
      {"+0.25", 0.25, ""},
      {".5", 0.5, ""},
      {"3.", 3, ""},
      {"1e3", 0, "--task: createdAt: expected a number, got string \"1e3\""},
      {"0x10", 0, "expected a number, got string \"0x10\""},
      {"inf", 0, "expected a number, got string \"inf\""},
      {"nan", 0, "expected a number, got string \"nan\""},
      {".", 0, "expected a number, got string \".\""},
      {"1.2.3", 0, "expected a number, got string \"1.2.3\""},
      {"\" 1\"", 0, "expected a number, got string \" 1\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<google::protobuf::Value> tree = ParseShorthand("createdAt=" + c.text, "task");
    ASSERT_THAT(tree, IsOk());
    v1::Task task;
    absl::Status status = ShorthandToMessage(*tree, "task", &task);
    if (!c.want_error.empty()) {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, c.want_error));
      continue;
    }
    ASSERT_THAT(status, IsOk());
    EXPECT_EQ(task.created_at(), c.want);
  }
}

TEST(ParseTags, ShorthandAndJson) {
  struct Case {
    std::string name;
    std::vector<std::string> values;
    std::vector<std::pair<std::string, std::string>> want;
  };
  const Case cases[] = {
      {"shorthand",
       {"key=team,value=core", "key=env,value=dev"},
       {{"team", "core"}, {"env", "dev"}}},
      {"shorthand, any case, empty value", {"Key=a,Value="}, {{"a", ""}}},
      {"quoted value keeps commas", {R"(key=a,value="x,y")"}, {{"a", "x,y"}}},
      {"single quotes", {"key='team=core',value='it\\'s'"}, {{"team=core", "it's"}}},
      {"blanks dropped", {" key = a , value = b c "}, {{"a", "b c"}}},
      {"value with equals", {"key=a,value=x=y"}, {{"a", "x=y"}}},
      {"value first", {"value=v,key=k"}, {{"k", "v"}}},
      {"json list",
       {R"([{"key":"a","value":"b"},{"key":"c","value":"d"}])"},
       {{"a", "b"}, {"c", "d"}}},
      {"json object", {R"( {"key":"a","value":"b"})"}, {{"a", "b"}}},
      {"json without value", {R"([{"key":"a"}])"}, {{"a", ""}}},
      {"empty json list", {"[]"}, {}},
      {"mixed", {"key=x,value=1", R"([{"key":"y","value":"2"}])"}, {{"x", "1"}, {"y", "2"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::vector<v1::Tag>> tags = ParseTags(c.values);
    ASSERT_THAT(tags, IsOk());
    std::vector<std::pair<std::string, std::string>> got;
    for (const v1::Tag& tag : *tags) {
      got.emplace_back(tag.key(), tag.value());
    }
    EXPECT_EQ(got, c.want);
  }
}

TEST(ParseTags, BadValues_NameTheFlag) {
  struct Case {
    std::string name;
    std::string value;
    std::string want;
  };
  const Case cases[] = {
      {"shorthand without key", "value=x", "--tags: \"value=x\" has no key"},
      {"not a tag", "team",
       "--tags: \"team\" is not a tag: expected \"=\" after \"team\" at the end; write "
       "key=KEY,value=VALUE"},
      {"unknown member", "key=a,name=b",
       "--tags: \"key=a,name=b\" is not a tag; write key=KEY,value=VALUE"},
      {"commas in an unquoted value", "key=a,value=x,y",
       "--tags: \"key=a,value=x,y\": the value must be one string; quote a value that has "
       "commas, e.g. value=\"a,b\""},
      {"struct for the key", "key={a=b}", "--tags: \"key={a=b}\": the key must be one string"},
      {"unclosed quote", R"(key=a,value="x)",
       R"(--tags: "key=a,value="x" is not a tag: the quote opened at character 13 is not closed)"},
      {"key twice in another case", "key=a,Key=b",
       "--tags: \"key=a,Key=b\" gives key more than once"},
      {"value twice", "key=a,value=b,VALUE=c", "gives value more than once"},
      {"invalid json", R"([{"key":)", "--tags: invalid JSON"},
      {"json scalar list", R"(["a"])", "--tags: [0]: expected a JSON object, got string \"a\""},
      {"json unknown member", R"([{"key":"a"},{"Key":"b"}])",
       "--tags: [1].Key: unknown field; did you mean \"key\"?"},
      {"json missing key", R"([{"value":"b"}])", "--tags: [0]: the tag has no \"key\""},
      {"json object missing key", R"({"value":"b"})", "--tags: the tag has no \"key\""},
      {"json number value", R"([{"key":"a","value":1}])",
       "--tags: [0].value: expected a string, got number 1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseTags({c.value}), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

}  // namespace
}  // namespace gantry::cli
