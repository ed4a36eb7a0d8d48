// `gantryctl logs`: a container's stdout and stderr, read through gantryd from the
// agent of the task's host (GetTaskLogs), a piece at a time from the last offset; with
// --follow, then waiting for more until the task has stopped and nothing is left.
#include <string>

#include "gantry/v1/ecs.grpc.pb.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/cli.h"
#include "cli/internal/shell.h"

namespace gantry::cli {
namespace internal {

namespace {

constexpr int32_t kPieceBytes = 1024 * 1024;
constexpr int32_t kFollowWaitSeconds = 10;
constexpr absl::Duration kMinFollowRound = absl::Seconds(1);

v1::GetTaskLogsRequest BaseRequest(const Invocation& inv) {
  v1::GetTaskLogsRequest request;
  if (inv.Has("cluster")) request.set_cluster(inv.Value("cluster"));
  request.set_task(inv.Value("task"));
  if (inv.Has("container")) request.set_container(inv.Value("container"));
  request.set_max_bytes(kPieceBytes);
  return request;
}

}  // namespace

int RunLogs(const Invocation& inv, Io& io) {
  Client<v1::Ecs::Stub> client(inv);
  v1::GetTaskLogsRequest request = BaseRequest(inv);
  const bool follow = inv.Has("follow");
  v1::GetTaskLogsResponse all;  // what a structured output prints without --follow
  int64_t offset = 0;
  bool drained = false;  // everything up to now has been read
  while (true) {
    request.set_start_offset(offset);
    const bool waiting = drained && follow;
    request.set_wait_seconds(waiting ? kFollowWaitSeconds : 0);
    v1::GetTaskLogsResponse piece;
    const absl::Time asked = absl::Now();
    grpc::Status status = client.Call(&v1::Ecs::Stub::GetTaskLogs, request, &piece);
    if (!status.ok()) {
      io.err << FormatRpcError(status, inv.endpoint, client.ReachedServer());
      return kExitError;
    }
    const int64_t asked_from = offset;
    offset = piece.next_offset();
    if (follow || inv.output == OutputFormat::kTable) {
      // Streamed as it comes; with --output json, one object per piece.
      if (inv.output == OutputFormat::kTable) {
        io.out << piece.data() << std::flush;
      } else if (!piece.data().empty()) {
        if (int printed = PrintResponse(inv, piece, io); printed != kExitOk) return printed;
      }
    } else {
      all.set_task_arn(piece.task_arn());
      all.set_container_name(piece.container_name());
      all.set_last_status(piece.last_status());
      all.set_next_offset(piece.next_offset());
      *all.mutable_data() += piece.data();
    }
    if (!io.out.good()) return kExitError;
    // By offsets: the text may be shorter or longer than the bytes it came from.
    const bool short_piece = offset < asked_from || offset - asked_from < kPieceBytes;
    if (!follow) {
      if (short_piece) break;
      continue;
    }
    if (drained && piece.data().empty() && piece.last_status() == "STOPPED") {
      break;  // stopped, and its last words are out
    }
    // An agent that answers a wait at once with nothing (it does not know the task runs)
    // must not turn --follow into a busy loop.
    if (waiting && piece.data().empty() && absl::Now() - asked < kMinFollowRound) {
      absl::SleepFor(kMinFollowRound - (absl::Now() - asked));
    }
    drained = drained || short_piece;
  }
  if (!follow && inv.output != OutputFormat::kTable) {
    return PrintResponse(inv, all, io);
  }
  return kExitOk;
}

}  // namespace internal
}  // namespace gantry::cli
