#include "taskdef/internal/problems.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace gantry::taskdef::internal {
namespace {

// Longest quoted value kept whole, in bytes.
constexpr size_t kMaxQuotedBytes = 80;

// Largest prefix of `value` no longer than `limit` bytes that does not end inside a
// UTF-8 sequence.
absl::string_view CutUtf8(absl::string_view value, size_t limit) {
  if (value.size() <= limit) {
    return value;
  }
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) {
    --end;
  }
  return value.substr(0, end);
}

void AppendEscaped(absl::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append(absl::StrFormat("\\u%04x", static_cast<unsigned char>(c)));
        } else {
          out->push_back(c);
        }
    }
  }
}

}  // namespace

void Problems::Add(absl::string_view path, absl::string_view message) {
  lines_.push_back(absl::StrCat(path, ": ", message));
}

void Problems::AddLine(absl::string_view line) { lines_.emplace_back(line); }

void Problems::AddStatus(const absl::Status& status) {
  if (status.ok()) {
    return;
  }
  for (absl::string_view line : absl::StrSplit(status.message(), '\n', absl::SkipEmpty())) {
    AddLine(line);
  }
}

absl::Status Problems::ToStatus() const {
  if (lines_.empty()) {
    return absl::OkStatus();
  }
  const int total = static_cast<int>(lines_.size());
  if (total <= kMaxReportedProblems) {
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }
  std::vector<absl::string_view> shown(lines_.begin(), lines_.begin() + kMaxReportedProblems);
  const int rest = total - kMaxReportedProblems;
  return absl::InvalidArgumentError(absl::StrCat(absl::StrJoin(shown, "\n"), "\n... and ", rest,
                                                 rest == 1 ? " more problem" : " more problems"));
}

std::string Quote(absl::string_view value) {
  std::string out = "\"";
  const absl::string_view kept = CutUtf8(value, kMaxQuotedBytes);
  AppendEscaped(kept, &out);
  if (kept.size() < value.size()) {
    out.append("...");
  }
  out.push_back('"');
  return out;
}

std::string Field(absl::string_view base, absl::string_view member) {
  if (base.empty()) {
    return std::string(member);
  }
  return absl::StrCat(base, ".", member);
}

std::string Key(absl::string_view base, absl::string_view key) {
  bool identifier = !key.empty() && !absl::ascii_isdigit(static_cast<unsigned char>(key[0]));
  for (char c : key) {
    identifier = identifier && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_');
  }
  if (!identifier) {
    return absl::StrCat(base, "[", Quote(key), "]");
  }
  return Field(base, key);
}

std::string Item(absl::string_view base, int index) { return absl::StrCat(base, "[", index, "]"); }

std::string JoinAlternatives(const std::vector<absl::string_view>& words, bool quoted) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out.append(i + 1 == words.size() ? " or " : ", ");
    }
    out.append(quoted ? Quote(words[i]) : std::string(words[i]));
  }
  return out;
}

bool IsDigits(absl::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

bool IsHex(absl::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) {
      return false;
    }
  }
  return true;
}

}  // namespace gantry::taskdef::internal
