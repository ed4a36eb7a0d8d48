#include "agent/sim_hints.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gantry::agent {
namespace {

constexpr int32_t kMaxExitCode = 255;

// A hint's value and the field path of the environment that set it.
struct Setting {
  std::string value;
  std::string where;
};
using Settings = std::map<std::string, Setting>;

bool IsHint(const std::string& name) {
  return name == kSimFailStart || name == kSimExitAfter || name == kSimExitCode;
}

// Later entries win, within one list and across lists (definition, then override).
void Collect(const google::protobuf::RepeatedPtrField<v1::KeyValuePair>& environment,
             const std::string& where, Settings& settings) {
  for (const v1::KeyValuePair& pair : environment) {
    if (IsHint(pair.name())) settings[pair.name()] = Setting{pair.value(), where};
  }
}

absl::Status ApplySettings(const Settings& settings, ContainerPlan& plan) {
  std::vector<std::string> problems;
  if (auto it = settings.find(kSimFailStart); it != settings.end()) {
    plan.fail_start = it->second.value;
  }
  if (auto it = settings.find(kSimExitAfter); it != settings.end()) {
    absl::Duration after;
    if (!absl::ParseDuration(it->second.value, &after) || after < absl::ZeroDuration() ||
        after == absl::InfiniteDuration()) {
      problems.push_back(absl::StrCat(it->second.where, ": ", kSimExitAfter, " \"",
                                      it->second.value,
                                      "\" is not a duration; use e.g. 500ms or 2s"));
    } else {
      plan.exit_after = after;
    }
  }
  if (auto it = settings.find(kSimExitCode); it != settings.end()) {
    int32_t code = 0;
    if (!absl::SimpleAtoi(it->second.value, &code) || code < 0 || code > kMaxExitCode) {
      problems.push_back(absl::StrCat(it->second.where, ": ", kSimExitCode, " \"", it->second.value,
                                      "\" is not an exit code; use 0 to ", kMaxExitCode));
    } else {
      plan.exit_code = code;
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

}  // namespace

absl::StatusOr<std::vector<ContainerPlan>> PlanContainers(const v1::LaunchTask& task) {
  std::vector<ContainerPlan> plans;
  std::vector<std::string> problems;
  const auto& definitions = task.task_definition().container_definitions();
  const auto& overrides = task.overrides().container_overrides();
  for (int i = 0; i < definitions.size(); ++i) {
    const v1::ContainerDefinition& definition = definitions[i];
    ContainerPlan plan;
    plan.name = definition.name();
    plan.image = definition.image();
    plan.essential = !definition.has_essential() || definition.essential();
    plan.has_health_check = definition.has_health_check();
    Settings settings;
    Collect(definition.environment(), absl::StrCat("containerDefinitions[", i, "].environment"),
            settings);
    for (int j = 0; j < overrides.size(); ++j) {
      if (overrides[j].has_name() && overrides[j].name() == definition.name()) {
        Collect(overrides[j].environment(),
                absl::StrCat("overrides.containerOverrides[", j, "].environment"), settings);
      }
    }
    if (absl::Status status = ApplySettings(settings, plan); !status.ok()) {
      problems.emplace_back(status.message());
    }
    plans.push_back(std::move(plan));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return plans;
}

}  // namespace gantry::agent
