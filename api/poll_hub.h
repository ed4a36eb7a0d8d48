// The poll hub: where agents' long-polls (PollCommands) wait for commands, with no
// thread per poll. It knows nothing of the database: each poll brings a `fetch` that
// reads the host's pending commands asynchronously (AgentOperations hands one that runs
// storage::TakeCommands on a database worker), and the hub decides when to call it.
//
// One Boost.Asio io_context, run by the hub's one thread, owns every piece of hub state;
// other threads only post to it, so there is no lock on that state. Per host (keyed by
// instance id) the hub keeps:
//   - `generation`, bumped by every Wake of the host (a command for it committed);
//   - `clean_generation`, the generation observed before the last read that found
//     nothing pending (unset: dirty, read before holding);
//   - the highest acked_sequence a read has passed to the database;
//   - at most one held poll (the waiter) with its deadline timer.
//
// A poll is held without touching the database when its host is clean at the current
// generation and it acknowledges nothing new; otherwise the hub reads, answers when the
// read returns commands or log requests (or an error, or the poll's wait is zero), and
// else records the host clean at the generation seen *before* the read started and
// holds the poll. So a Wake that arrives while a read is in flight makes the read stale
// and causes another one: no wake-up is lost. A read that says more may be pending (it
// was cut by its limit, or dropped a launch) never makes the host clean: a held poll
// reads again at once. A held poll is answered when a Wake makes a read find commands,
// or with no commands at its deadline. A newer poll of the same host answers the held
// one at once with no commands (the agent gave up on it). A host whose previous poll
// arrived more than `max_poll_gap` earlier is read even when it looked clean: it may
// have been declared lost (or changed) meanwhile. At most `max_fetches_in_flight` reads
// run at once; the rest queue in arrival order, so a Reset with 10,000 held polls does
// not flood the database queue.
//
// Heartbeats: every poll is recorded as a heartbeat of its host (reads do not write the
// host row: that would wait for placement rounds holding it). A read that fails records
// one too, unless it failed with
// NOT_FOUND or FAILED_PRECONDITION (the host is unknown, or lost, or must reconnect):
// the agent is alive, and a database hiccup must not turn into host loss.
// TakeHeartbeats hands them to whoever writes them (the host monitor).
//
// Threading: every public method may be called from any thread and never blocks, except
// Shutdown. `done` is called exactly once per Poll: on the hub's thread, or on the
// calling thread when the hub refuses the poll (UNAVAILABLE after Shutdown). `fetch` is
// called on the hub's thread and must not block; its reply may come from any thread
// (also before `fetch` returns), and a reply that arrives after Shutdown is dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gantry/v1/agent.pb.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::api {

class PollHub {
 public:
  using Response = v1::PollCommandsResponse;
  // Receives a poll's answer.
  using Reply = std::function<void(absl::StatusOr<Response>)>;
  // What one read found.
  struct Read {
    Response response;
    // The read may have left commands behind (it was cut by its limit, or dropped a
    // launch whose task had stopped): the host is not clean even when `response` has
    // no commands.
    bool more_pending = false;
  };
  using ReadReply = std::function<void(absl::StatusOr<Read>)>;
  // Starts reading the host's pending commands (acknowledging the poll's
  // acked_sequence) and hands the result to its argument exactly once.
  using Fetch = std::function<void(ReadReply)>;

  struct Options {
    // Reads running at once, at most; further reads wait for one of them to finish.
    int max_fetches_in_flight = 64;
    // A host whose previous poll arrived longer ago than this is read again even when
    // clean. Keep it below the host timeout minus the heartbeat flush interval.
    absl::Duration max_poll_gap = absl::Seconds(20);
  };

  struct PollRequest {
    std::string host_id;
    int64_t acked_sequence = 0;
    // How long to hold the poll when nothing is pending; zero answers after one read.
    absl::Duration wait = absl::ZeroDuration();
  };

  // Starts the hub's thread.
  static std::unique_ptr<PollHub> Start(Options options);
  ~PollHub();  // Shutdown()
  PollHub(const PollHub&) = delete;
  PollHub& operator=(const PollHub&) = delete;

  // Holds or answers a poll as described above. `done` gets the read's response
  // (commands, or the read's error, passed on unchanged), or an empty response with
  // the host's last known status.
  void Poll(PollRequest request, Fetch fetch, Reply done);

  // Commands committed for these hosts: their held polls read again, and any clean
  // record of them is stale. Unknown hosts are ignored.
  void Wake(const std::vector<std::string>& host_ids);

  // Notifications may have been missed (the listener reconnected): every host becomes
  // dirty and every held poll reads again.
  void Reset();

  // The hosts polled without a read of their own since the last call, each once.
  std::vector<std::string> TakeHeartbeats();

  // Answers every held poll with no commands, refuses later polls with UNAVAILABLE,
  // and joins the hub's thread. Idempotent.
  void Shutdown();

 private:
  class Core;
  explicit PollHub(std::shared_ptr<Core> core);

  // Shared with the reply closures handed to `fetch`, which hold it weakly: a reply
  // arriving after the hub is gone finds nothing to post to and is dropped.
  std::shared_ptr<Core> core_;
  std::thread thread_;
};

}  // namespace gantry::api
