// Task definitions as Amazon ECS on Fargate (platform 1.4+) accepts them: parsing of
// the JSON users give `register-task-definition`, Fargate's validation rules, and
// the normalisation ECS applies before storing a revision.
//
// Fargate is the only launch type Gantry runs, so every definition is validated by
// Fargate's rules whether or not requiresCompatibilities lists FARGATE.
//
// Pure logic: no I/O, no clock, no global state; safe from any thread. Errors are
// INVALID_ARGUMENT whose message has one line per problem (capped at 20), in document
// order, each starting with the field path in ECS's JSON names, then what is wrong,
// then what is allowed, e.g.
//   containerDefinitions[1].linuxParameters.capabilities.add[0]: "SYS_ADMIN" is not
//   allowed on Fargate; only SYS_PTRACE can be added
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gantry::taskdef {

// Largest accepted task definition, measured on its JSON form.
inline constexpr int64_t kMaxTaskDefinitionBytes = 64 * 1024;
// Ephemeral storage when the definition does not ask for more.
inline constexpr int32_t kDefaultEphemeralStorageGiB = 20;

// Parses the JSON given to `register-task-definition --cli-input-json`: either the
// request object itself or the `{"taskDefinition": {...}}` wrapper that
// describe-task-definition prints (a `tags` member next to the wrapper is kept).
// Read-only members (taskDefinitionArn, revision, status, requiresAttributes,
// compatibilities, registeredAt, registeredBy, deregisteredAt, deleteRequestedAt)
// are ignored. Refuses text over kMaxTaskDefinitionBytes, malformed JSON, unknown
// members and wrongly typed values, naming the field.
absl::StatusOr<gantry::v1::RegisterTaskDefinitionRequest> ParseRegisterRequestJson(
    std::string_view json);

// Checks every Fargate rule of the contract (section 1 of ECS-CONTRACT.md), including
// the 64 KiB size limit measured on the request's JSON form. OK or INVALID_ARGUMENT
// listing every problem.
absl::Status Validate(const gantry::v1::RegisterTaskDefinitionRequest& request);

// Validates, then returns the revision body ECS would store: task cpu/memory as
// canonical integer strings, containers with cpu 0 and essential true when unset,
// port mappings with hostPort = containerPort (unless a range is used) and protocol
// "tcp", networkMode as given. Only the members shared with the request are set
// (numbers 1-17); the caller adds ARN, revision, status and timestamps. Tags are not
// part of a TaskDefinition.
absl::StatusOr<gantry::v1::TaskDefinition> Normalize(
    const gantry::v1::RegisterTaskDefinitionRequest& request);

// Launch types a normalised definition validates against: {"EC2", "FARGATE"}.
std::vector<std::string> Compatibilities(const gantry::v1::TaskDefinition& definition);

// Best-effort ECS capability attributes derived from the content (task-eni,
// logging drivers, execution-role features, health checks, firelens, efs, ...).
std::vector<gantry::v1::Attribute> RequiresAttributes(const gantry::v1::TaskDefinition& definition);

// Task size: CPU units from "256", "1024", "1 vCPU", "0.25 vcpu"; memory MiB from
// "2048", "2GB", "2 GB", "0.5 GB". INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<int32_t> ParseTaskCpu(std::string_view value, std::string_view field = "cpu");
absl::StatusOr<int32_t> ParseTaskMemory(std::string_view value, std::string_view field = "memory");

// OK when (cpu, memory) is a valid Fargate task size (contract table 1.2);
// otherwise INVALID_ARGUMENT listing the memory values allowed for that cpu.
absl::Status CheckFargateTaskSize(int32_t cpu_units, int32_t memory_mib);

// ECS's tag rules (at most 50; key 1-128 and value 0-256 allowed characters; unique
// keys; `aws:` keys reserved), for any resource's `tags` member.
absl::Status ValidateTags(const google::protobuf::RepeatedPtrField<gantry::v1::Tag>& tags);

// Family, container, volume and cluster names: 1-255 of [A-Za-z0-9_-].
bool IsValidName(std::string_view name);

}  // namespace gantry::taskdef
