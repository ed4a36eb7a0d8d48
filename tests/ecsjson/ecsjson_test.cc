#include "ecsjson/ecsjson.h"

#include <memory>
#include <string>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::ecsjson {
namespace {

namespace pb = google::protobuf;
using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::gantry::v1::RegisterTaskDefinitionRequest;
using ::gantry::v1::TaskDefinition;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A definition touching every shape the codec handles: strings, int32 (including an
// explicit 0), bools (including an explicit false), nested messages, repeated
// scalars and messages, maps with keys that are not identifiers, and sizeInGiB.
constexpr char kFullRequest[] = R"json({
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [{
    "name": "app",
    "image": "nginx:1.25",
    "cpu": 0,
    "essential": false,
    "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
    "environment": [{"name": "MODE", "value": ""}],
    "logConfiguration": {
      "logDriver": "awslogs",
      "options": {"awslogs-group": "/ecs/web", "mode": "non-blocking"}
    },
    "dockerLabels": {"com.example.Team": "web"},
    "restartPolicy": {"enabled": true, "ignoredExitCodes": [0, 137], "restartAttemptPeriod": 60},
    "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 30}
  }],
  "ephemeralStorage": {"sizeInGiB": 21},
  "tags": [{"key": "team", "value": "web"}]
})json";

std::vector<std::string> Lines(const absl::Status& status) {
  return absl::StrSplit(std::string(status.message()), '\n');
}

TEST(EcsJsonParse, FullRequest_FillsEveryMember) {
  RegisterTaskDefinitionRequest request;
  ASSERT_THAT(ParseStrict(kFullRequest, &request), IsOk());

  EXPECT_EQ(request.family(), "web");
  EXPECT_EQ(request.cpu(), "256");
  EXPECT_THAT(request.requires_compatibilities(), ElementsAre("FARGATE"));
  ASSERT_EQ(request.container_definitions_size(), 1);
  const auto& container = request.container_definitions(0);
  EXPECT_EQ(container.image(), "nginx:1.25");
  EXPECT_TRUE(container.has_cpu());
  EXPECT_EQ(container.cpu(), 0);
  EXPECT_TRUE(container.has_essential());
  EXPECT_FALSE(container.essential());
  EXPECT_FALSE(container.has_memory());
  ASSERT_EQ(container.port_mappings_size(), 1);
  EXPECT_EQ(container.port_mappings(0).container_port(), 80);
  EXPECT_EQ(container.log_configuration().options().at("awslogs-group"), "/ecs/web");
  EXPECT_THAT(container.restart_policy().ignored_exit_codes(), ElementsAre(0, 137));
  EXPECT_EQ(request.ephemeral_storage().size_in_gib(), 21);
  EXPECT_EQ(request.tags(0).key(), "team");
}

TEST(EcsJsonParse, DeepNesting_RefusedBeforeParsing) {
  // Arrays nested 100,000 deep took protobuf's parser minutes; refused at once now.
  const std::string deep_arrays =
      absl::StrCat("{\"a\":", std::string(100000, '['), std::string(100000, ']'), "}");
  absl::StatusOr<google::protobuf::Value> parsed = ParseJson(deep_arrays);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              ::testing::StartsWith("invalid JSON: nested deeper than 32 levels"));
  // 32 levels are fine; brackets inside strings do not count.
  const std::string at_limit =
      absl::StrCat(std::string(31, '['), "{\"s\":\"[[[[\\\"[[[[\"}", std::string(31, ']'));
  EXPECT_TRUE(ParseJson(at_limit).ok()) << ParseJson(at_limit).status();
  const std::string over_limit = absl::StrCat("[", at_limit, "]");
  EXPECT_FALSE(ParseJson(over_limit).ok());
}

TEST(EcsJsonParse, MapKeys_KeptAsGiven) {
  RegisterTaskDefinitionRequest request;
  ASSERT_THAT(ParseStrict(kFullRequest, &request), IsOk());
  const auto& labels = request.container_definitions(0).docker_labels();
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels.begin()->first, "com.example.Team");
}

TEST(EcsJsonParse, NullMembers_TreatedAsAbsent) {
  RegisterTaskDefinitionRequest request;
  ASSERT_THAT(ParseStrict(R"({"family": "web", "cpu": null, "containerDefinitions": null,
                              "ephemeralStorage": null, "enableFaultInjection": null,
                              "volumes": [{"name": "v", "host": null}]})",
                          &request),
              IsOk());
  EXPECT_EQ(request.family(), "web");
  EXPECT_FALSE(request.has_cpu());
  EXPECT_EQ(request.container_definitions_size(), 0);
  EXPECT_FALSE(request.has_ephemeral_storage());
  EXPECT_FALSE(request.has_enable_fault_injection());
  ASSERT_EQ(request.volumes_size(), 1);
  EXPECT_FALSE(request.volumes(0).has_host());
}

struct ProblemCase {
  const char* name;
  std::string json;
  std::string want;  // the whole message: exactly one problem line
};

// One problem per case; the whole message is compared so a wrong path, a missing
// hint or a second spurious line all fail.
TEST(EcsJsonParse, SingleProblem_ReportedWithPath) {
  const std::string long_value(200, 'x');
  const ProblemCase cases[] = {
      {"unknown top-level member", R"({"famliy": "web"})", "famliy: unknown field"},
      {"unknown member with null value is still unknown", R"({"famliy": null})",
       "famliy: unknown field"},
      {"wrong case suggests the json name", R"({"Family": "web"})",
       R"(Family: unknown field; did you mean "family"?)"},
      {"proto snake_case name is not accepted", R"({"network_mode": "awsvpc"})",
       R"(network_mode: unknown field; did you mean "networkMode"?)"},
      {"nested unknown member", R"({"containerDefinitions": [{"name": "a"}, {"imag": "x"}]})",
       "containerDefinitions[1].imag: unknown field"},
      {"sizeInGiB only under its json_name", R"({"ephemeralStorage": {"sizeInGib": 21}})",
       R"(ephemeralStorage.sizeInGib: unknown field; did you mean "sizeInGiB"?)"},
      {"unknown member that is not an identifier", R"({"my field": 1})",
       R"(["my field"]: unknown field)"},
      {"string given a number", R"({"containerDefinitions": [{"image": 5}]})",
       "containerDefinitions[0].image: expected a string, got number 5"},
      {"string given a bool", R"({"family": true})", "family: expected a string, got true"},
      {"string given an object", R"({"family": {}})", "family: expected a string, got an object"},
      {"int32 given a string", R"({"containerDefinitions": [{"cpu": "256"}]})",
       R"(containerDefinitions[0].cpu: expected an integer, got string "256")"},
      {"int32 given a fraction", R"({"containerDefinitions": [{"cpu": 1.5}]})",
       "containerDefinitions[0].cpu: expected an integer, got number 1.5"},
      {"int32 given a bool", R"({"containerDefinitions": [{"memory": false}]})",
       "containerDefinitions[0].memory: expected an integer, got false"},
      {"int32 above range", R"({"containerDefinitions": [{"cpu": 3000000000}]})",
       "containerDefinitions[0].cpu: 3000000000 is out of range; use an integer from "
       "-2147483648 to 2147483647"},
      {"int32 below range", R"({"containerDefinitions": [{"cpu": -2147483649}]})",
       "containerDefinitions[0].cpu: -2147483649 is out of range; use an integer from "
       "-2147483648 to 2147483647"},
      {"bool given the string true", R"({"containerDefinitions": [{"essential": "true"}]})",
       R"(containerDefinitions[0].essential: expected true or false, got string "true")"},
      {"bool given a number", R"({"enableFaultInjection": 1})",
       "enableFaultInjection: expected true or false, got number 1"},
      {"message given a string", R"({"ephemeralStorage": "20"})",
       R"(ephemeralStorage: expected an object, got string "20")"},
      {"message given an array", R"({"containerDefinitions": [{"linuxParameters": []}]})",
       "containerDefinitions[0].linuxParameters: expected an object, got an array"},
      {"repeated message not an array", R"({"containerDefinitions": {"name": "a"}})",
       "containerDefinitions: expected an array, got an object"},
      {"repeated string not an array", R"({"requiresCompatibilities": "FARGATE"})",
       R"(requiresCompatibilities: expected an array, got string "FARGATE")"},
      {"repeated element wrong type", R"({"requiresCompatibilities": ["FARGATE", 7]})",
       "requiresCompatibilities[1]: expected a string, got number 7"},
      {"repeated element null", R"({"requiresCompatibilities": [null]})",
       "requiresCompatibilities[0]: expected a string, got null"},
      {"repeated message element not an object", R"({"containerDefinitions": [{}, 3]})",
       "containerDefinitions[1]: expected an object, got number 3"},
      {"repeated int32 element", R"({"containerDefinitions": [{"restartPolicy":
            {"ignoredExitCodes": [1, "2"]}}]})",
       R"(containerDefinitions[0].restartPolicy.ignoredExitCodes[1]: expected an integer, got string "2")"},
      {"deep path",
       R"({"containerDefinitions": [{}, {"portMappings": [{"containerPort": "80"}]}]})",
       R"(containerDefinitions[1].portMappings[0].containerPort: expected an integer, got string "80")"},
      {"map not an object",
       R"({"containerDefinitions": [{"logConfiguration": {"options": ["a"]}}]})",
       "containerDefinitions[0].logConfiguration.options: expected an object, got an array"},
      {"map value not a string",
       R"({"containerDefinitions": [{"logConfiguration": {"options": {"mode": 5}}}]})",
       "containerDefinitions[0].logConfiguration.options.mode: expected a string, got number 5"},
      {"map value null", R"({"containerDefinitions": [{"dockerLabels": {"team": null}}]})",
       "containerDefinitions[0].dockerLabels.team: expected a string, got null"},
      {"map key that is not an identifier",
       R"({"containerDefinitions": [{"logConfiguration": {"options": {"awslogs-group": 1}}}]})",
       R"(containerDefinitions[0].logConfiguration.options["awslogs-group"]: expected a string, got number 1)"},
      {"map key with dots", R"({"containerDefinitions": [{"dockerLabels": {"com.x": true}}]})",
       R"(containerDefinitions[0].dockerLabels["com.x"]: expected a string, got true)"},
      {"quotes inside a value are escaped", R"({"containerDefinitions": [{"cpu": "a\"b"}]})",
       R"(containerDefinitions[0].cpu: expected an integer, got string "a\"b")"},
      {"long values are cut",
       absl::StrCat(R"({"containerDefinitions": [{"cpu": ")", long_value, R"("}]})"),
       absl::StrCat(R"(containerDefinitions[0].cpu: expected an integer, got string ")",
                    std::string(64, 'x'), R"(...")")},
  };
  for (const ProblemCase& c : cases) {
    SCOPED_TRACE(c.name);
    RegisterTaskDefinitionRequest request;
    absl::Status status = ParseStrict(c.json, &request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.want);
  }
}

TEST(EcsJsonParse, DoubleGivenString_Refused) {
  TaskDefinition definition;
  EXPECT_THAT(ParseStrict(R"({"registeredAt": "1700000000"})", &definition),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       R"(registeredAt: expected a number, got string "1700000000")"));
}

TEST(EcsJsonParse, DoubleGivenFraction_Accepted) {
  TaskDefinition definition;
  ASSERT_THAT(ParseStrict(R"({"registeredAt": 1700000000.25, "revision": 3})", &definition),
              IsOk());
  EXPECT_EQ(definition.registered_at(), 1700000000.25);
  EXPECT_EQ(definition.revision(), 3);
}

TEST(EcsJsonParse, SeveralProblems_AllReportedOnePerLine) {
  RegisterTaskDefinitionRequest request;
  absl::Status status = ParseStrict(R"({
    "bogus": 1,
    "family": 5,
    "containerDefinitions": [{"Essential": true, "name": "app", "cpu": "256"}],
    "cpu": 256
  })",
                                    &request);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // Known members in field-number order, then unknown ones; see Reader in ecsjson.cc.
  EXPECT_THAT(
      Lines(status),
      ElementsAre("family: expected a string, got number 5",
                  R"(containerDefinitions[0].cpu: expected an integer, got string "256")",
                  R"(containerDefinitions[0].Essential: unknown field; did you mean "essential"?)",
                  "cpu: expected a string, got number 256", "bogus: unknown field"));
}

TEST(EcsJsonParse, ManyProblems_CappedAtTwentyWithCount) {
  std::string json = R"({"requiresCompatibilities": [)";
  for (int i = 0; i < 25; ++i) {
    absl::StrAppend(&json, i == 0 ? "" : ",", i);
  }
  absl::StrAppend(&json, "]}");
  RegisterTaskDefinitionRequest request;
  absl::Status status = ParseStrict(json, &request);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> lines = Lines(status);
  ASSERT_EQ(lines.size(), 21u);
  EXPECT_EQ(lines[0], "requiresCompatibilities[0]: expected a string, got number 0");
  EXPECT_EQ(lines[19], "requiresCompatibilities[19]: expected a string, got number 19");
  EXPECT_EQ(lines[20], "... and 5 more problems");
}

TEST(EcsJsonParse, Failure_LeavesMessageEmpty) {
  RegisterTaskDefinitionRequest request;
  ASSERT_FALSE(ParseStrict(R"({"family": "web", "cpu": 1})", &request).ok());
  EXPECT_FALSE(request.has_family());
}

TEST(EcsJsonParse, IgnoredTopLevelMembers_SkippedWhateverTheirType) {
  ParseOptions options;
  options.ignored_top_level_members = {"taskDefinitionArn", "revision", "family"};
  RegisterTaskDefinitionRequest request;
  ASSERT_THAT(ParseStrict(R"({"taskDefinitionArn": "arn:x", "revision": {"a": [1]},
                              "family": 5, "cpu": "256"})",
                          &request, options),
              IsOk());
  EXPECT_FALSE(request.has_family());
  EXPECT_EQ(request.cpu(), "256");
}

TEST(EcsJsonParse, IgnoredTopLevelMembers_StillCheckedWhenNested) {
  ParseOptions options;
  options.ignored_top_level_members = {"revision"};
  RegisterTaskDefinitionRequest request;
  EXPECT_THAT(ParseStrict(R"({"containerDefinitions": [{"revision": 1}]})", &request, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "containerDefinitions[0].revision: unknown field"));
}

TEST(EcsJsonParse, InvalidJson_ReportedWithWhereItStopped) {
  struct Case {
    const char* name;
    const char* json;
    const char* want;  // substring after the "invalid JSON: " prefix
  };
  const Case cases[] = {
      {"truncated", R"({"family": "web")", "^"},
      {"bad literal", R"({"essential": tru})", "tru}\n^"},
      {"trailing garbage", R"({"family": "web"} x)", "^"},
      {"missing comma", R"({"family": "web" "cpu": "256"})", "^"},
      {"empty", "", "invalid JSON: "},
      {"duplicate key", R"({"family": "a", "family": "b"})", "family"},
      {"nested duplicate key", R"({"ephemeralStorage": {"sizeInGiB": 1, "sizeInGiB": 2}})",
       "sizeInGiB"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RegisterTaskDefinitionRequest request;
    absl::Status status = ParseStrict(c.json, &request);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, c.want));
    EXPECT_TRUE(absl::StartsWith(status.message(), "invalid JSON: ")) << status.message();
  }
}

TEST(EcsJsonParse, TopLevelNotAnObject_Refused) {
  RegisterTaskDefinitionRequest request;
  EXPECT_THAT(ParseStrict("[1]", &request),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected a JSON object, got an array"));
  EXPECT_THAT(
      ParseStrict(R"("web")", &request),
      StatusIs(absl::StatusCode::kInvalidArgument, R"(expected a JSON object, got string "web")"));
}

TEST(EcsJsonFromValue, PathPrefix_PrependedToEveryPath) {
  auto value = ParseJson(R"({"containerDefinitions": [{"cpu": "1"}], "x": 1})");
  ASSERT_THAT(value, IsOk());
  RegisterTaskDefinitionRequest request;
  absl::Status status = FromValue(*value, &request, {}, "taskDefinition");
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      Lines(status),
      ElementsAre(
          R"(taskDefinition.containerDefinitions[0].cpu: expected an integer, got string "1")",
          "taskDefinition.x: unknown field"));
}

TEST(EcsJsonFromValue, PathPrefix_UsedWhenNotAnObject) {
  auto value = ParseJson("7");
  ASSERT_THAT(value, IsOk());
  RegisterTaskDefinitionRequest request;
  EXPECT_THAT(FromValue(*value, &request, {}, "taskDefinition"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "taskDefinition: expected a JSON object, got number 7"));
}

TEST(EcsJsonFromValue, WellKnownTypeTarget_Internal) {
  auto value = ParseJson(R"({"a": 1})");
  ASSERT_THAT(value, IsOk());
  pb::Struct target;
  EXPECT_THAT(FromValue(*value, &target), StatusIs(absl::StatusCode::kInternal, "well-known"));
}

// Shapes our ECS protos do not use (enums, 64-bit and unsigned integers, float,
// oneof, bytes), built at run time so the codec's handling of them is tested too.
constexpr char kProbeProto[] = R"pb(
  name: "gantry_test_probe.proto"
  package: "gantry.test"
  syntax: "proto3"
  enum_type {
    name: "Color"
    value { name: "COLOR_UNSPECIFIED" number: 0 }
    value { name: "COLOR_RED" number: 1 }
  }
  message_type {
    name: "Probe"
    field {
      name: "color"
      number: 1
      label: LABEL_OPTIONAL
      type: TYPE_ENUM
      type_name: ".gantry.test.Color"
    }
    field { name: "big_count" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 }
    field { name: "small_count" number: 3 label: LABEL_OPTIONAL type: TYPE_UINT32 }
    field { name: "ratio" number: 4 label: LABEL_OPTIONAL type: TYPE_FLOAT }
    field { name: "first" number: 5 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0 }
    field { name: "second" number: 6 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0 }
    field { name: "blob" number: 7 label: LABEL_OPTIONAL type: TYPE_BYTES }
    field {
      name: "colors"
      number: 8
      label: LABEL_REPEATED
      type: TYPE_ENUM
      type_name: ".gantry.test.Color"
    }
    oneof_decl { name: "choice" }
  }
)pb";

class EcsJsonProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    pb::FileDescriptorProto file;
    ASSERT_TRUE(pb::TextFormat::ParseFromString(kProbeProto, &file));
    ASSERT_NE(pool_.BuildFile(file), nullptr);
    prototype_ = factory_.GetPrototype(pool_.FindMessageTypeByName("gantry.test.Probe"));
    ASSERT_NE(prototype_, nullptr);
  }

  std::unique_ptr<pb::Message> NewProbe() const {
    return std::unique_ptr<pb::Message>(prototype_->New());
  }

  pb::DescriptorPool pool_;
  pb::DynamicMessageFactory factory_{&pool_};
  const pb::Message* prototype_ = nullptr;
};

TEST_F(EcsJsonProbe, ValidValues_Stored) {
  auto probe = NewProbe();
  ASSERT_THAT(ParseStrict(R"({"color": "COLOR_RED", "bigCount": 9007199254740991,
                              "smallCount": 4294967295, "ratio": 0.5, "first": "a",
                              "colors": ["COLOR_RED", "COLOR_UNSPECIFIED"]})",
                          probe.get()),
              IsOk());
  const pb::Descriptor* d = probe->GetDescriptor();
  const pb::Reflection* r = probe->GetReflection();
  EXPECT_EQ(r->GetEnumValue(*probe, d->FindFieldByName("color")), 1);
  EXPECT_EQ(r->GetInt64(*probe, d->FindFieldByName("big_count")), 9007199254740991);
  EXPECT_EQ(r->GetUInt32(*probe, d->FindFieldByName("small_count")), 4294967295u);
  EXPECT_EQ(r->GetFloat(*probe, d->FindFieldByName("ratio")), 0.5f);
  EXPECT_EQ(r->FieldSize(*probe, d->FindFieldByName("colors")), 2);
}

TEST_F(EcsJsonProbe, BadValues_Refused) {
  const ProblemCase cases[] = {
      {"enum unknown name", R"({"color": "COLOR_BLUE"})",
       R"(color: expected one of "COLOR_UNSPECIFIED", "COLOR_RED", got string "COLOR_BLUE")"},
      {"enum by number", R"({"color": 1})",
       R"(color: expected one of "COLOR_UNSPECIFIED", "COLOR_RED", got number 1)"},
      {"repeated enum element", R"({"colors": ["COLOR_RED", "red"]})",
       R"(colors[1]: expected one of "COLOR_UNSPECIFIED", "COLOR_RED", got string "red")"},
      {"int64 beyond exact doubles", R"({"bigCount": 9007199254740993})",
       "bigCount: 9007199254740992 is out of range; use an integer from -9007199254740991 to "
       "9007199254740991"},
      {"uint32 negative", R"({"smallCount": -1})",
       "smallCount: -1 is out of range; use an integer from 0 to 4294967295"},
      {"float out of range", R"({"ratio": 1e39})",
       "ratio: 1e+39 is out of range; use a number from -3.4028234663852886e+38 to "
       "3.4028234663852886e+38"},
      {"float given a string", R"({"ratio": "0.5"})",
       R"(ratio: expected a number, got string "0.5")"},
      {"two members of one oneof", R"({"first": "a", "second": "b"})",
       R"(second: cannot be given together with "first"; give only one)"},
  };
  for (const ProblemCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto probe = NewProbe();
    absl::Status status = ParseStrict(c.json, probe.get());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.want);
  }
}

TEST_F(EcsJsonProbe, BytesField_Internal) {
  auto probe = NewProbe();
  EXPECT_THAT(ParseStrict(R"({"blob": "AAAA"})", probe.get()),
              StatusIs(absl::StatusCode::kInternal, "blob: bytes fields are not supported"));
}

TEST(EcsJsonPrint, ExplicitZeroAndFalse_PrintedUnsetLeftOut) {
  RegisterTaskDefinitionRequest request;
  auto* container = request.add_container_definitions();
  container->set_cpu(0);
  container->set_essential(false);
  container->set_image("");
  EXPECT_EQ(ToJson(request),
            R"({"containerDefinitions":[{"image":"","cpu":0,"essential":false}]})");
}

TEST(EcsJsonPrint, Int32AndDouble_PrintedAsNumbers) {
  TaskDefinition definition;
  definition.set_revision(7);
  definition.set_registered_at(1700000000.5);
  definition.mutable_ephemeral_storage()->set_size_in_gib(21);
  EXPECT_EQ(ToJson(definition),
            R"({"ephemeralStorage":{"sizeInGiB":21},"revision":7,"registeredAt":1700000000.5})");
}

TEST(EcsJsonPrint, Empty_PrintsEmptyObject) {
  EXPECT_EQ(ToJson(RegisterTaskDefinitionRequest()), "{}");
}

TEST(EcsJsonPrint, Pretty_IndentsByTwoSpaces) {
  RegisterTaskDefinitionRequest request;
  request.set_family("a b");
  request.add_requires_compatibilities("FARGATE");
  request.mutable_ephemeral_storage()->set_size_in_gib(21);
  EXPECT_EQ(ToJson(request, /*pretty=*/true),
            "{\n"
            "  \"family\": \"a b\",\n"
            "  \"requiresCompatibilities\": [\n"
            "    \"FARGATE\"\n"
            "  ],\n"
            "  \"ephemeralStorage\": {\n"
            "    \"sizeInGiB\": 21\n"
            "  }\n"
            "}\n");
}

TEST(EcsJsonRoundTrip, ToJsonThenParseStrict_GivesEqualMessage) {
  RegisterTaskDefinitionRequest original;
  ASSERT_THAT(ParseStrict(kFullRequest, &original), IsOk());
  // Strings with characters JSON must escape, to prove printing and parsing agree.
  original.mutable_container_definitions(0)->add_command("echo \"hi\"\n\\ done");
  for (bool pretty : {false, true}) {
    SCOPED_TRACE(pretty ? "pretty" : "compact");
    RegisterTaskDefinitionRequest reparsed;
    std::string json = ToJson(original, pretty);
    ASSERT_THAT(ParseStrict(json, &reparsed), IsOk()) << json;
    EXPECT_TRUE(pb::util::MessageDifferencer::Equals(original, reparsed)) << json;
  }
}

TEST(EcsJsonRoundTrip, TaskDefinition_GivesEqualMessage) {
  TaskDefinition original;
  original.set_family("web");
  original.set_revision(0);
  original.set_registered_at(1700000000.123);
  original.set_enable_fault_injection(false);
  original.mutable_ephemeral_storage()->set_size_in_gib(200);
  original.add_container_definitions()->mutable_docker_labels()->insert({"com.x.y", ""});
  TaskDefinition reparsed;
  ASSERT_THAT(ParseStrict(ToJson(original), &reparsed), IsOk());
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(original, reparsed));
  EXPECT_TRUE(reparsed.has_revision());
  EXPECT_TRUE(reparsed.has_enable_fault_injection());
}

TEST(EcsJsonRoundTrip, SizeInGiB_UsesJsonName) {
  RegisterTaskDefinitionRequest request;
  request.mutable_ephemeral_storage()->set_size_in_gib(30);
  const std::string json = ToJson(request);
  EXPECT_THAT(json, HasSubstr(R"("sizeInGiB":30)"));
  RegisterTaskDefinitionRequest reparsed;
  ASSERT_THAT(ParseStrict(json, &reparsed), IsOk());
  EXPECT_EQ(reparsed.ephemeral_storage().size_in_gib(), 30);
}

}  // namespace
}  // namespace gantry::ecsjson
