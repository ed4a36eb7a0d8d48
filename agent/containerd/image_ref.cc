#include "agent/containerd/image_ref.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

#include <openssl/sha.h>

namespace gantry::agent::containerd {
namespace {

constexpr char kHubRegistry[] = "registry-1.docker.io";
constexpr char kHubName[] = "docker.io";
constexpr char kOfficialPrefix[] = "library/";
constexpr char kDefaultTag[] = "latest";
constexpr char kSha256Prefix[] = "sha256:";
constexpr size_t kSha256HexLength = 64;
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

absl::Status Invalid(absl::string_view reference, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("image ", Quote(reference), ": ", what));
}

bool IsHubRegistry(absl::string_view host) {
  return host == kHubName || host == kHubRegistry || host == "index.docker.io";
}

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool IsValidTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || tag[0] == '.' || tag[0] == '-') {
    return false;
  }
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

bool IsValidDigest(absl::string_view digest) {
  if (!absl::ConsumePrefix(&digest, kSha256Prefix) || digest.size() != kSha256HexLength) {
    return false;
  }
  return std::all_of(digest.begin(), digest.end(),
                     [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); });
}

// [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool IsDomainComponent(absl::string_view component) {
  if (component.empty() || component.front() == '-' || component.back() == '-') {
    return false;
  }
  return std::all_of(component.begin(), component.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '-'; });
}

// domain-component ('.' domain-component)* [':' port]
bool IsValidRegistry(absl::string_view registry) {
  const size_t colon = registry.find(':');
  if (colon != absl::string_view::npos) {
    const absl::string_view port = registry.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
      return false;
    }
  }
  const std::vector<absl::string_view> components = absl::StrSplit(registry.substr(0, colon), '.');
  return std::all_of(components.begin(), components.end(), IsDomainComponent);
}

// [a-z0-9]+ ( ( '.' | '_' | '__' | '-'+ ) [a-z0-9]+ )*
bool IsPathComponent(absl::string_view component) {
  size_t i = 0;
  while (true) {
    const size_t run = i;
    while (i < component.size() && IsLowerAlnum(component[i])) {
      ++i;
    }
    if (i == run) {
      return false;  // empty, or a separator not followed by a letter or digit
    }
    if (i == component.size()) {
      return true;
    }
    const char separator = component[i];
    if (separator == '.') {
      ++i;
    } else if (separator == '_') {
      i += component.substr(i, 2) == "__" ? 2 : 1;
    } else if (separator == '-') {
      while (i < component.size() && component[i] == '-') {
        ++i;
      }
    } else {
      return false;
    }
  }
}

// Docker's rule: the first component names a registry only when it looks like a host,
// so "gantry/busybox" stays a Docker Hub repository.
bool LooksLikeRegistry(absl::string_view component) {
  return absl::StrContains(component, '.') || absl::StrContains(component, ':') ||
         component == "localhost";
}

absl::Status CheckRepository(absl::string_view reference, absl::string_view path) {
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    if (IsPathComponent(component)) {
      continue;
    }
    if (std::any_of(component.begin(), component.end(), absl::ascii_isupper)) {
      return Invalid(reference, absl::StrCat("repository ", Quote(path), " must be lower case"));
    }
    return Invalid(reference,
                   absl::StrCat("repository ", Quote(path),
                                " is not valid; use lower-case letters and digits separated by "
                                "'.', '_', '__' or '-', in components joined by '/'"));
  }
  return absl::OkStatus();
}

// Splits "[registry/]path" into ref's registry and repository.
absl::Status SplitName(absl::string_view reference, absl::string_view name, ImageRef& ref) {
  absl::string_view path = name;
  ref.registry = kHubRegistry;
  const size_t slash = name.find('/');
  if (slash != absl::string_view::npos && LooksLikeRegistry(name.substr(0, slash))) {
    const absl::string_view registry = name.substr(0, slash);
    if (!IsValidRegistry(registry)) {
      return Invalid(reference, absl::StrCat("registry ", Quote(registry),
                                             " is not a host name or address with an "
                                             "optional :port"));
    }
    if (!IsHubRegistry(registry)) {
      ref.registry = std::string(registry);
    }
    path = name.substr(slash + 1);
  }
  if (absl::Status status = CheckRepository(reference, path); !status.ok()) {
    return status;
  }
  const bool official = ref.registry == kHubRegistry && !absl::StrContains(path, '/');
  ref.repository = absl::StrCat(official ? kOfficialPrefix : "", path);
  return absl::OkStatus();
}

}  // namespace

std::string ImageRef::Name() const {
  const absl::string_view registry = IsHubRegistry(this->registry)
                                         ? absl::string_view(kHubName)
                                         : absl::string_view(this->registry);
  if (!digest.empty()) {
    return absl::StrCat(registry, "/", repository, "@", digest);
  }
  return absl::StrCat(registry, "/", repository, ":", tag);
}

std::string ImageRef::Reference() const { return digest.empty() ? tag : digest; }

absl::StatusOr<ImageRef> ParseImageRef(std::string_view reference_text) {
  const absl::string_view reference(reference_text.data(), reference_text.size());
  if (reference.empty()) {
    return absl::InvalidArgumentError(
        "image: the reference is empty; use e.g. \"busybox\" or \"registry.example.com/app:1.0\"");
  }
  ImageRef ref;
  absl::string_view name = reference;
  if (const size_t at = name.find('@'); at != absl::string_view::npos) {
    ref.digest = std::string(name.substr(at + 1));
    name = name.substr(0, at);
    if (!IsValidDigest(ref.digest)) {
      return Invalid(reference, absl::StrCat("digest ", Quote(ref.digest),
                                             " is not valid; use sha256: and 64 lower-case hex "
                                             "digits"));
    }
  }
  // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
  const size_t colon = name.rfind(':');
  const size_t slash = name.rfind('/');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    ref.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (!IsValidTag(ref.tag)) {
      return Invalid(reference, absl::StrCat("tag ", Quote(ref.tag),
                                             " is not valid; use 1 to 128 letters, digits, '_', "
                                             "'.' or '-', not starting with '.' or '-'"));
    }
  }
  if (name.empty()) {
    return Invalid(reference, "the repository name is empty");
  }
  if (name.size() > kMaxNameLength) {
    return Invalid(reference, absl::StrCat("the name is ", name.size(),
                                           " characters long; use at most ", kMaxNameLength));
  }
  if (absl::Status status = SplitName(reference, name, ref); !status.ok()) {
    return status;
  }
  if (ref.tag.empty() && ref.digest.empty()) {
    ref.tag = kDefaultTag;
  }
  return ref;
}

std::string Sha256Digest(std::string_view bytes) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), hash);
  return absl::StrCat(kSha256Prefix, absl::BytesToHexString(absl::string_view(
                                         reinterpret_cast<const char*>(hash), sizeof(hash))));
}

std::vector<std::string> ChainIds(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> chain;
  chain.reserve(diff_ids.size());
  for (const std::string& diff_id : diff_ids) {
    if (chain.empty()) {
      chain.push_back(diff_id);
    } else {
      chain.push_back(Sha256Digest(absl::StrCat(chain.back(), " ", diff_id)));
    }
  }
  return chain;
}

}  // namespace gantry::agent::containerd
