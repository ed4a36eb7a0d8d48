// The ECS task metadata endpoint v4 of one host (ECS-CONTRACT.md 5.1): an HTTP server
// that answers each container with its own metadata and stats. The runtime gives every
// container a token (ECS_CONTAINER_METADATA_URI_V4 = http://169.254.170.2/v4/<token>)
// and registers it here with the container's task, its DockerId and the task's address;
// it keeps each task's document current with SetTask and drops it with RemoveTask.
//
//   GET /v4/<token>             the container (metadata.h ContainerJson)
//   GET /v4/<token>/task        the task with all its containers (TaskJson)
//   GET /v4/<token>/stats       the container's stats (StatsJson)
//   GET /v4/<token>/task/stats  the stats of all the task's containers (TaskStatsJson)
//
// A container reads only its own task: a token is answered only when the request comes
// from the token's client address. An unknown token, a request from another address, a
// task without a document and a container without stats are all 404 with an ECS-style
// JSON string body (the first two with the same message, so a neighbour learns nothing
// about other tokens); another method is 405; any other path 404. Content-Type is
// application/json; connections are kept alive when the client asks.
//
// Limits: a request whose header or body exceeds 8 KiB, a request not complete within
// 10 s and a kept-alive connection idle for 10 s are dropped without an answer; at most
// 512 connections are open at once (the next ones are closed at accept).
//
// Thread-safety: the server runs on one thread of its own. Register, SetTask and
// RemoveTask may be called from any thread; they take a mutex briefly and never block
// on the network. The StatsSource is called on the server's thread, without the lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/containerd/metadata.h"

namespace gantry::agent::containerd {

// The current stats of a task's containers by DockerId; must be quick (it runs on the
// server's thread). A container that has none is left out.
using StatsSource =
    std::function<std::map<std::string, ContainerStats>(const std::string& task_arn)>;

class MetadataServer {
 public:
  // Listens on `listen_address` (an IPv4 or IPv6 literal, e.g. "169.254.170.2" once the
  // runtime has put it on the host's lo, or "127.0.0.1") and `port` (0: any free one,
  // see port()). INVALID_ARGUMENT for an address that is not an IP literal; UNAVAILABLE
  // when it cannot be bound. `stats` may be empty: then there are never stats.
  static absl::StatusOr<std::unique_ptr<MetadataServer>> Start(const std::string& listen_address,
                                                               uint16_t port, StatsSource stats);
  // Stops accepting, closes every connection and joins the server's thread.
  ~MetadataServer();
  MetadataServer(const MetadataServer&) = delete;
  MetadataServer& operator=(const MetadataServer&) = delete;

  // The port actually bound.
  uint16_t port() const;

  // Makes `token` answer for the container `docker_id` of `task_arn`, to requests from
  // `client_ip` (the task's address, written as a dotted quad or a canonical IPv6
  // literal). Registering a token again replaces its entry.
  void Register(const std::string& token, const std::string& task_arn, const std::string& docker_id,
                const std::string& client_ip);
  // Replaces the task's document (Register may come before or after).
  void SetTask(const std::string& task_arn, TaskMetadata task);
  // Forgets the task's document and every token of the task. No-op when unknown.
  void RemoveTask(const std::string& task_arn);

 private:
  class Listener;
  class Session;
  struct TokenEntry {
    std::string task_arn;
    std::string docker_id;
    std::string client_ip;
  };
  struct Reply {
    int http_status = 200;
    std::string body;
  };
  // What one request reads, copied under the lock so that printing happens without it.
  struct Lookup {
    TokenEntry token;
    std::optional<TaskMetadata> task;
  };

  explicit MetadataServer(StatsSource stats);

  // The answer to one request (runs on the server's thread).
  Reply Answer(const std::string& method, const std::string& target,
               const std::string& peer_ip) const;
  std::optional<Lookup> Find(const std::string& token, const std::string& peer_ip) const;
  Reply AnswerStats(const Lookup& lookup, bool whole_task) const;

  const StatsSource stats_;
  mutable absl::Mutex mutex_;
  std::map<std::string, TokenEntry> tokens_ ABSL_GUARDED_BY(mutex_);   // by token
  std::map<std::string, TaskMetadata> tasks_ ABSL_GUARDED_BY(mutex_);  // by task ARN
  // Last: destroyed (stopped and joined) first, while what it calls into still exists.
  std::unique_ptr<Listener> listener_;
};

// A new token: 32 characters of [A-Za-z0-9_-] (192 bits) from std::random_device.
std::string NewMetadataToken();

}  // namespace gantry::agent::containerd
