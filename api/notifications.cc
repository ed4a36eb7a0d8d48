#include "api/notifications.h"

#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "api/key_ring_sync.h"
#include "api/log_relay.h"
#include "api/poll_hub.h"
#include "storage/storage.h"

namespace gantry::api {

Notifications ParseNotifications(const std::vector<std::string>& tokens) {
  Notifications parsed;
  for (const std::string& token : tokens) {
    absl::string_view rest = token;
    if (absl::ConsumePrefix(&rest, storage::kLogAnswerToken)) {
      parsed.log_answers.emplace_back(rest);
    } else if (absl::ConsumePrefix(&rest, storage::kLogRequestToken)) {
      parsed.log_requests_for.emplace_back(rest);
      parsed.hosts_to_wake.emplace_back(rest);
    } else if (absl::ConsumePrefix(&rest, storage::kAccessKeyToken)) {
      parsed.access_keys.emplace_back(rest);
    } else {
      parsed.hosts_to_wake.push_back(token);
    }
  }
  return parsed;
}

void Dispatch(const Notifications& notifications, const NotificationTargets& targets) {
  for (const std::string& request_id : notifications.log_answers) {
    targets.logs->Answered(request_id);
  }
  for (const std::string& instance_id : notifications.log_requests_for) {
    targets.logs->RequestedFor(instance_id);
  }
  if (!notifications.hosts_to_wake.empty()) {
    targets.hub->Wake(notifications.hosts_to_wake);
  }
  targets.keys->Changed(notifications.access_keys);
}

void ResetAfterMissedNotifications(const NotificationTargets& targets) {
  targets.logs->Reset();
  targets.hub->Reset();
  targets.keys->ReloadAll();
}

}  // namespace gantry::api
