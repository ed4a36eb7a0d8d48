// Fuzzes ecsjson::ParseStrict, which reads every ECS request body the AWS front end
// receives (AWS JSON 1.1), on the request shapes the aws CLI sends most. The first input
// byte picks the shape ('0' + index, so seeds stay readable); the rest is the body.
//
// Beyond "no crash": a body that parses must print with ToJson (compact and pretty) and
// parse back to the same message, since describe output is fed back to register; and a
// parsed task definition goes through taskdef's validation and normalisation, the next
// step of RegisterTaskDefinition.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/ecs_types.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ecsjson/ecsjson.h"
#include "fuzz/fuzz_support.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "taskdef/taskdef.h"

namespace gantry::fuzz {
namespace {

namespace pb = google::protobuf;

// Selector index for taskdef::ParseRegisterRequestJson (the --cli-input-json path, which
// also takes describe-task-definition's wrapper); lower indexes pick a Shape.
constexpr size_t kCliInputJson = 7;

// The request shape of selector `index` (below kCliInputJson).
const pb::Message& Shape(size_t index) {
  static const pb::Message* const kShapes[] = {
      &v1::RegisterTaskDefinitionRequest::default_instance(),
      &v1::RunTaskRequest::default_instance(),
      &v1::StopTaskRequest::default_instance(),
      &v1::DescribeTasksRequest::default_instance(),
      &v1::ListTasksRequest::default_instance(),
      &v1::CreateClusterRequest::default_instance(),
      &v1::UpdateContainerInstancesStateRequest::default_instance(),
  };
  static_assert(std::size(kShapes) == kCliInputJson);
  return *kShapes[index];
}

void CheckRoundTrip(const pb::Message& message, bool pretty) {
  const std::string json = ecsjson::ToJson(message, pretty);
  std::unique_ptr<pb::Message> again(message.New());
  const absl::Status status = ecsjson::ParseStrict(json, again.get());
  Require(status.ok(), "ParseStrict reads what ToJson printed", status.ToString());
  Require(pb::util::MessageDifferencer::Equals(message, *again), "ParseStrict(ToJson(m)) == m",
          json);
}

void CheckTaskDefinition(const v1::RegisterTaskDefinitionRequest& request) {
  if (!taskdef::Validate(request).ok()) {
    return;
  }
  const absl::StatusOr<v1::TaskDefinition> normalized = taskdef::Normalize(request);
  Require(normalized.ok(), "Normalize accepts what Validate accepted",
          normalized.status().ToString());
  taskdef::Compatibilities(*normalized);
  taskdef::RequiresAttributes(*normalized);
  CheckRoundTrip(*normalized, /*pretty=*/false);
}

// One input: the selector byte, then the body.
void FuzzOne(std::string_view input) {
  if (input.empty()) {
    return;
  }
  const size_t selector = static_cast<uint8_t>(input[0] - '0') % (kCliInputJson + 1);
  const std::string_view body = input.substr(1);
  if (selector == kCliInputJson) {
    const absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
        taskdef::ParseRegisterRequestJson(body);
    if (request.ok()) {
      CheckTaskDefinition(*request);
    }
    return;
  }
  std::unique_ptr<pb::Message> message(Shape(selector).New());
  if (!ecsjson::ParseStrict(body, message.get()).ok()) {
    return;
  }
  CheckRoundTrip(*message, /*pretty=*/false);
  CheckRoundTrip(*message, /*pretty=*/true);
  if (const auto* request = dynamic_cast<const v1::RegisterTaskDefinitionRequest*>(message.get())) {
    CheckTaskDefinition(*request);
  }
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gantry::fuzz::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
