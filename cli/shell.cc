// Printing shared by gantryctl's shell: usage errors, errors and structured output.
#include "cli/internal/shell.h"

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/cli.h"
#include "grpcpp/support/status.h"

namespace gantry::cli::internal {

int PrintUsageError(const absl::Status& status, std::string_view command, std::ostream& err) {
  err << "gantryctl: " << status.message() << "\n";
  if (command.empty()) {
    err << "Run 'gantryctl help' for usage.\n";
  } else {
    err << "Run 'gantryctl " << command << " --help' for usage.\n";
  }
  return kExitUsage;
}

int PrintError(const absl::Status& status, std::ostream& err) {
  grpc::Status as_grpc(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
  err << FormatRpcError(as_grpc, "", /*reached_server=*/true);
  return kExitError;
}

int PrintStructured(const Invocation& inv, const google::protobuf::Message& response, Io& io) {
  absl::StatusOr<std::string> text = FormatOutput(response, inv.output, inv.query);
  if (!text.ok()) {
    return PrintError(text.status(), io.err);
  }
  io.out << *text;
  return io.out.good() ? kExitOk : kExitError;
}

}  // namespace gantry::cli::internal
