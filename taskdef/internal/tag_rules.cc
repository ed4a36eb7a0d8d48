// tags (contract 1.1): at most 50, key 1-128 and value 0-256 characters of Unicode
// letters, digits, spaces and `_ . : / = + - @`, keys unique, `aws:` keys reserved.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"

namespace gantry::taskdef::internal {
namespace {

constexpr int kMaxTags = 50;
constexpr int kMaxKeyChars = 128;
constexpr int kMaxValueChars = 256;
constexpr absl::string_view kAllowed = "letters, digits, spaces and _ . : / = + - @";

// Decodes one UTF-8 code point at text[*pos], advancing *pos; nullopt when malformed.
std::optional<uint32_t> NextCodePoint(absl::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(*pos);
  int extra = 0;
  uint32_t cp = 0;
  if (lead < 0x80) {
    cp = lead;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (*pos + extra >= text.size()) {
    return std::nullopt;
  }
  for (int i = 1; i <= extra; ++i) {
    if ((byte(*pos + i) & 0xC0) != 0x80) {
      return std::nullopt;
    }
    cp = (cp << 6) | (byte(*pos + i) & 0x3F);
  }
  *pos += extra + 1;
  return cp;
}

// ASCII is checked exactly. Outside ASCII we have no Unicode tables (no ICU), so
// every code point is taken for a letter except the C1 controls, U+0080..U+009F, and
// the general-punctuation and symbol blocks most often pasted by mistake; an
// approximation of AWS's [\p{L}\p{Z}\p{N}_.:/=+\-@].
bool IsTagCodePoint(uint32_t cp) {
  if (cp < 0x80) {
    return absl::ascii_isalnum(static_cast<unsigned char>(cp)) ||
           absl::string_view(" _.:/=+-@").find(static_cast<char>(cp)) != absl::string_view::npos;
  }
  if (cp <= 0x9F) {
    return false;
  }
  if (cp >= 0x2010 && cp <= 0x2027) {  // dashes, quotes, bullets
    return false;
  }
  return !(cp >= 0x2190 && cp <= 0x2BFF);  // arrows, math and misc symbols
}

// Number of characters when `text` is valid UTF-8 of allowed characters.
std::optional<int> CountTagChars(absl::string_view text) {
  int count = 0;
  for (size_t pos = 0; pos < text.size(); ++count) {
    std::optional<uint32_t> cp = NextCodePoint(text, &pos);
    if (!cp || !IsTagCodePoint(*cp)) {
      return std::nullopt;
    }
  }
  return count;
}

void CheckKey(const gantry::v1::Tag& tag, absl::string_view path, Problems* problems) {
  const std::string key_path = Field(path, "key");
  if (!tag.has_key() || tag.key().empty()) {
    problems->Add(key_path, "missing; use 1-128 characters");
    return;
  }
  const std::optional<int> chars = CountTagChars(tag.key());
  if (!chars) {
    problems->Add(key_path, absl::StrCat(Quote(tag.key()),
                                         " has a character that is not allowed; use ", kAllowed));
  } else if (*chars > kMaxKeyChars) {
    problems->Add(key_path, absl::StrCat(*chars, " characters is too long; use 1-128 characters"));
  }
  if (absl::StartsWithIgnoreCase(tag.key(), "aws:")) {
    problems->Add(key_path, absl::StrCat(Quote(tag.key()),
                                         " uses the reserved prefix \"aws:\"; choose a key that "
                                         "does not start with aws: in any case"));
  }
}

void CheckValue(const gantry::v1::Tag& tag, absl::string_view path, Problems* problems) {
  const std::string value_path = Field(path, "value");
  const std::optional<int> chars = CountTagChars(tag.value());
  if (!chars) {
    problems->Add(value_path, absl::StrCat(Quote(tag.value()),
                                           " has a character that is not allowed; use ", kAllowed));
  } else if (*chars > kMaxValueChars) {
    problems->Add(value_path,
                  absl::StrCat(*chars, " characters is too long; use at most 256 characters"));
  }
}

}  // namespace

void CheckTags(const gantry::v1::RegisterTaskDefinitionRequest& request, Problems* problems) {
  if (request.tags_size() > kMaxTags) {
    problems->Add(
        "tags", absl::StrCat(request.tags_size(), " tags is more than the limit; use at most 50"));
  }
  absl::flat_hash_map<std::string, int> seen;
  for (int i = 0; i < request.tags_size(); ++i) {
    const gantry::v1::Tag& tag = request.tags(i);
    const std::string path = Item("tags", i);
    CheckKey(tag, path, problems);
    CheckValue(tag, path, problems);
    if (!tag.key().empty()) {
      auto [it, inserted] = seen.try_emplace(tag.key(), i);
      if (!inserted) {
        problems->Add(Field(path, "key"),
                      absl::StrCat(Quote(tag.key()), " is already used by tags[", it->second,
                                   "]; tag keys must be unique"));
      }
    }
  }
}

}  // namespace gantry::taskdef::internal
