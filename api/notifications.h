// What the tokens of a kCommandsChannel notification ask of this gantryd replica, and
// handing them to the parts that act on them (storage.h lists the tokens).
#pragma once

#include <string>
#include <vector>

namespace gantry::api {

class KeyRingSync;
class LogRelay;
class PollHub;

struct Notifications {
  // Hosts whose polls must read: they have commands, or log requests.
  std::vector<std::string> hosts_to_wake;
  std::vector<std::string> log_requests_for;  // instance ids
  std::vector<std::string> log_answers;       // request ids
  std::vector<std::string> access_keys;       // ids of keys stored or deleted
};

// Sorts tokens by their prefix; a token without one is a host's instance id.
Notifications ParseNotifications(const std::vector<std::string>& tokens);

struct NotificationTargets {
  PollHub* hub = nullptr;
  LogRelay* logs = nullptr;
  KeyRingSync* keys = nullptr;
};

// Hands each token to its target. Log requests reach the relay before their hosts are
// woken, so the poll that reads them finds the relay counting them.
void Dispatch(const Notifications& notifications, const NotificationTargets& targets);

// After the listener (re)connected, when notifications may have been missed: the
// relay's waiting reads check again (before the hub resets, as its reset starts reads
// that must see the window), every poll reads, every key is read again.
void ResetAfterMissedNotifications(const NotificationTargets& targets);

}  // namespace gantry::api
