#include "api/aws/ecs_json.h"

#include <memory>
#include <string>
#include <utility>

#include "gantry/v1/ecs.pb.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "common/utf8.h"
#include "ecsjson/ecsjson.h"

namespace gantry::api::aws {
namespace {

using Dispatcher = std::function<void(EcsOperations&, const Caller&, std::string_view body,
                                      std::function<void(AwsResponse)> done)>;

// JSON string escaping for error messages (ours are ASCII, but a name a caller sent
// may be anything: bytes that are not UTF-8 become U+FFFD, so the answer stays JSON).
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : ToValidUtf8(text)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// Binds one EcsOperations method: parse the body strictly into its request, call, print
// the response as ECS JSON.
template <typename Request, typename Response>
Dispatcher Bind(void (EcsOperations::*method)(const Caller&, const Request&, Done<Response>)) {
  return [method](EcsOperations& operations, const Caller& caller, std::string_view body,
                  std::function<void(AwsResponse)> done) {
    Request request;
    // The SDKs send an empty body for an operation without members.
    absl::Status parsed = body.empty() ? absl::OkStatus() : ecsjson::ParseStrict(body, &request);
    if (!parsed.ok()) {
      // ECS answers a body it cannot read with SerializationException, and a member of
      // the wrong type or name with InvalidParameterException; ecsjson reports both as
      // INVALID_ARGUMENT, malformed text starting "invalid JSON".
      const bool malformed = absl::StartsWith(parsed.message(), "invalid JSON");
      done(EcsError(400, malformed ? "SerializationException" : "InvalidParameterException",
                    std::string(parsed.message())));
      return;
    }
    (operations.*method)(caller, request, [done](absl::StatusOr<Response> result) {
      if (!result.ok()) {
        done(EcsErrorFor(result.status()));
        return;
      }
      done({200, std::string(kAmzJson11),
            ecsjson::ToJson(*result, /*pretty=*/false, ecsjson::EmptyLists::kPrint)});
    });
  };
}

const absl::flat_hash_map<std::string, Dispatcher>& Operations() {
  static const auto* const kOperations = new absl::flat_hash_map<std::string, Dispatcher>{
      {"CreateCluster", Bind(&EcsOperations::CreateCluster)},
      {"DescribeClusters", Bind(&EcsOperations::DescribeClusters)},
      {"ListClusters", Bind(&EcsOperations::ListClusters)},
      {"RegisterTaskDefinition", Bind(&EcsOperations::RegisterTaskDefinition)},
      {"DescribeTaskDefinition", Bind(&EcsOperations::DescribeTaskDefinition)},
      {"ListTaskDefinitions", Bind(&EcsOperations::ListTaskDefinitions)},
      {"ListTaskDefinitionFamilies", Bind(&EcsOperations::ListTaskDefinitionFamilies)},
      {"DeregisterTaskDefinition", Bind(&EcsOperations::DeregisterTaskDefinition)},
      {"RunTask", Bind(&EcsOperations::RunTask)},
      {"StopTask", Bind(&EcsOperations::StopTask)},
      {"DescribeTasks", Bind(&EcsOperations::DescribeTasks)},
      {"ListTasks", Bind(&EcsOperations::ListTasks)},
      {"ListContainerInstances", Bind(&EcsOperations::ListContainerInstances)},
      {"DescribeContainerInstances", Bind(&EcsOperations::DescribeContainerInstances)},
      {"UpdateContainerInstancesState", Bind(&EcsOperations::UpdateContainerInstancesState)},
  };
  return *kOperations;
}

}  // namespace

AwsResponse EcsError(int http_status, std::string_view type, std::string_view message) {
  return {
      http_status, std::string(kAmzJson11),
      absl::StrCat("{\"__type\":", JsonString(type), ",\"message\":", JsonString(message), "}")};
}

AwsResponse EcsErrorFor(const absl::Status& status) {
  const std::string message(status.message());
  if (std::optional<std::string> name = ErrorNameOf(status)) {
    return EcsError(400, *name, message);
  }
  if (absl::IsAlreadyExists(status)) {
    const std::vector<std::string> resources = ResourceIdsOf(status);
    if (!resources.empty()) {
      AwsResponse conflict = EcsError(400, "ConflictException", message);
      std::string ids;
      for (const std::string& resource : resources) {
        absl::StrAppend(&ids, ids.empty() ? "" : ",", JsonString(resource));
      }
      // {"__type":...,"message":...} gains the resources before its closing brace.
      conflict.body.insert(conflict.body.size() - 1, absl::StrCat(",\"resourceIds\":[", ids, "]"));
      return conflict;
    }
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return EcsError(400, "InvalidParameterException", message);
    case absl::StatusCode::kNotFound:
      // Our messages name the field first ("cluster: ..."), as ECS's exception names
      // the missing cluster.
      return EcsError(
          400,
          absl::StartsWith(message, "cluster:") ? "ClusterNotFoundException" : "ClientException",
          message);
    case absl::StatusCode::kResourceExhausted:
      return EcsError(400, "LimitExceededException", message);
    case absl::StatusCode::kPermissionDenied:
      return EcsError(400, "AccessDeniedException", message);
    case absl::StatusCode::kUnauthenticated:
      return EcsError(400, "UnrecognizedClientException", message);
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return EcsError(400, "ClientException", message);
    case absl::StatusCode::kUnimplemented:
      return EcsError(400, "UnsupportedFeatureException", message);
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      // 503 tells the SDKs to retry with backoff.
      return EcsError(503, "ServerException", message);
    default:
      return EcsError(500, "ServerException", message);
  }
}

void DispatchEcs(EcsOperations& operations, const Caller& caller, std::string_view target,
                 std::string_view body, std::function<void(AwsResponse)> done) {
  const std::string target_text(target);
  const std::string prefix(kEcsTargetPrefix);
  if (!absl::StartsWith(target_text, prefix)) {
    done(EcsError(400, "UnknownOperationException",
                  absl::StrCat("X-Amz-Target: \"", target_text,
                               "\" is not an ECS operation; expected ", prefix, "<Operation>")));
    return;
  }
  const std::string operation = target_text.substr(prefix.size());
  auto it = Operations().find(operation);
  if (it == Operations().end()) {
    done(EcsError(400, "UnknownOperationException",
                  absl::StrCat("Gantry does not implement the ECS operation ", operation)));
    return;
  }
  it->second(operations, caller, body, std::move(done));
}

}  // namespace gantry::api::aws
