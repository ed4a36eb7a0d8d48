// Problem collection for task-definition validation: every rule appends one line
// `path: what is wrong; what is allowed`, in document order, and the collector turns
// them into one INVALID_ARGUMENT status capped at kMaxReportedProblems lines.
// Also the small string helpers every rule file uses to build paths and quote values.
// Not thread-safe (one collector per validation call); no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gantry::taskdef::internal {

// Our Abseil's string_view is its own type, not std::string_view; the public API
// takes std::string_view and converts here.
inline absl::string_view AsAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// Lines shown in one error; the rest are summarised as "... and N more problems".
inline constexpr int kMaxReportedProblems = 20;

class Problems {
 public:
  // Appends `path: message`.
  void Add(absl::string_view path, absl::string_view message);
  // Appends lines that already start with their path (e.g. from a helper's status).
  void AddLine(absl::string_view line);
  // Appends every line of a non-OK status message; ignores OK.
  void AddStatus(const absl::Status& status);

  bool empty() const { return lines_.empty(); }
  const std::vector<std::string>& lines() const { return lines_; }

  // OK when nothing was added; otherwise INVALID_ARGUMENT with at most
  // kMaxReportedProblems lines plus a final "... and N more problems" line.
  absl::Status ToStatus() const;

 private:
  std::vector<std::string> lines_;
};

// `value` in double quotes with JSON-style escapes, cut (on a UTF-8 boundary, with
// "...") when long so a 64 KiB string does not flood the message.
std::string Quote(absl::string_view value);

// "base.member", or "member" when base is empty.
std::string Field(absl::string_view base, absl::string_view member);
// Path of a map entry, as ecsjson writes it: "base.key" when the key is an
// identifier, otherwise base["key"] (e.g. options["awslogs-group"]).
std::string Key(absl::string_view base, absl::string_view key);
// "base[index]".
std::string Item(absl::string_view base, int index);

// "a, b or c" of the quoted or plain words.
std::string JoinAlternatives(const std::vector<absl::string_view>& words, bool quoted);

// True when `text` is non-empty and only ASCII digits.
bool IsDigits(absl::string_view text);
// True when `text` is non-empty and only hex digits (either case).
bool IsHex(absl::string_view text);

}  // namespace gantry::taskdef::internal
