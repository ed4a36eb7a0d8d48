// Helpers shared by the unit tests of the pure task helpers (api/internal/tasks.h):
// run_task_request_test.cc, task_shape_test.cc and list_tasks_request_test.cc.
#pragma once

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "api/api.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace gantry::api::internal::task_test {

inline constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
inline constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

inline constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";
inline constexpr char kTaskId[] = "0123456789abcdef0123456789abcdef";
inline constexpr char kInstanceId[] = "fedcba9876543210fedcba9876543210";
inline constexpr char kSubnetA[] = "subnet-0123456789abcdef0";
inline constexpr char kSubnetB[] = "subnet-0123456789abcdef1";
inline constexpr char kGroupA[] = "sg-0123456789abcdef0";
inline constexpr char kGroupB[] = "sg-0123456789abcdef1";

inline std::string Arn(const std::string& resource) { return kArnPrefix + resource; }

inline bool IsLowerHex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); });
}

// The smallest valid RunTask request.
inline v1::RunTaskRequest ValidRunTask() {
  v1::RunTaskRequest request;
  request.set_task_definition("web:1");
  request.mutable_network_configuration()->mutable_awsvpc_configuration()->add_subnets(kSubnetA);
  return request;
}

inline v1::AwsVpcConfiguration* Vpc(v1::RunTaskRequest& request) {
  return request.mutable_network_configuration()->mutable_awsvpc_configuration();
}

inline void AddTag(google::protobuf::RepeatedPtrField<v1::Tag>* tags, const std::string& key,
                   const std::string& value) {
  v1::Tag* tag = tags->Add();
  tag->set_key(key);
  tag->set_value(value);
}

}  // namespace gantry::api::internal::task_test
