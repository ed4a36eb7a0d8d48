#include "auth/credentials.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include <openssl/rand.h>

namespace gantry::auth {
namespace {

constexpr char kIdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr char kSecretAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// `length` characters drawn uniformly from `alphabet` (whose size divides 256).
absl::StatusOr<std::string> RandomString(std::string_view alphabet, size_t length) {
  std::vector<unsigned char> bytes(length);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return absl::InternalError("cannot draw random bytes for a new access key");
  }
  std::string out;
  out.reserve(length);
  for (unsigned char byte : bytes) {
    out.push_back(alphabet[byte % alphabet.size()]);
  }
  return out;
}

// Writes `text` to `path` whole or not at all (mode 0600). `replace`: over an existing
// file; otherwise ALREADY_EXISTS when there is one.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text, bool replace) {
  const std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", temporary, ": ", strerror(errno)));
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int saved = errno;
      close(fd);
      unlink(temporary.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", temporary, ": ", strerror(saved)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  close(fd);
  // link() fails when the file exists: a concurrent first start keeps the other's key.
  if (!synced || (replace ? rename(temporary.c_str(), path.c_str())
                          : link(temporary.c_str(), path.c_str())) != 0) {
    const int saved = errno;
    unlink(temporary.c_str());
    if (saved == EEXIST) {
      return absl::AlreadyExistsError(path);
    }
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(saved)));
  }
  unlink(temporary.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Credentials> NewCredentials() {
  absl::StatusOr<std::string> id = RandomString(kIdAlphabet, 16);
  if (!id.ok()) {
    return id.status();
  }
  absl::StatusOr<std::string> secret = RandomString(kSecretAlphabet, 40);
  if (!secret.ok()) {
    return secret.status();
  }
  return Credentials{absl::StrCat("AKIA", *id), *secret};
}

absl::StatusOr<Credentials> ParseCredentialsFile(std::string_view text, std::string_view profile) {
  Credentials credentials;
  bool in_profile = false;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    if (line.front() == '[' && line.back() == ']') {
      in_profile = absl::StripAsciiWhitespace(line.substr(1, line.size() - 2)) ==
                   absl::string_view(profile.data(), profile.size());
      continue;
    }
    if (!in_profile) {
      continue;
    }
    std::pair<absl::string_view, absl::string_view> entry =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    const absl::string_view key = absl::StripAsciiWhitespace(entry.first);
    const absl::string_view value = absl::StripAsciiWhitespace(entry.second);
    if (key == "aws_access_key_id") {
      credentials.access_key_id = std::string(value);
    }
    if (key == "aws_secret_access_key") {
      credentials.secret_access_key = std::string(value);
    }
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return absl::NotFoundError(absl::StrCat("profile [", std::string(profile),
                                            "] with aws_access_key_id and aws_secret_access_key"));
  }
  return credentials;
}

std::string FormatCredentialsFile(const Credentials& credentials, std::string_view profile,
                                  std::string_view comment) {
  return absl::StrCat("# ", std::string(comment), "\n[", std::string(profile),
                      "]\naws_access_key_id = ", credentials.access_key_id,
                      "\naws_secret_access_key = ", credentials.secret_access_key, "\n");
}

absl::StatusOr<Credentials> LoadOrCreateCredentialsFile(const std::string& path,
                                                        std::string_view profile,
                                                        std::string_view comment) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      absl::StatusOr<Credentials> read = ParseCredentialsFile(text.str(), profile);
      if (!read.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, ": ", read.status().message(), " not found"));
      }
      return read;
    }
    absl::StatusOr<Credentials> created = NewCredentials();
    if (!created.ok()) {
      return created.status();
    }
    absl::Status written = WriteFileAtomically(
        path, FormatCredentialsFile(*created, profile, comment), /*replace=*/false);
    if (written.ok()) {
      return created;
    }
    if (!absl::IsAlreadyExists(written)) {
      return written;
    }
  }
  return absl::InternalError(absl::StrCat(path, ": appeared and vanished while being read"));
}

absl::StatusOr<Credentials> ReplaceCredentialsFile(const std::string& path,
                                                   std::string_view profile,
                                                   std::string_view comment) {
  absl::StatusOr<Credentials> created = NewCredentials();
  if (!created.ok()) {
    return created.status();
  }
  absl::Status written = WriteFileAtomically(
      path, FormatCredentialsFile(*created, profile, comment), /*replace=*/true);
  if (!written.ok()) {
    return written;
  }
  return created;
}

}  // namespace gantry::auth
