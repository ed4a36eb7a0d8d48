// Access keys on disk, in the AWS shared-credentials file format that the aws CLI and
// the SDKs read (AWS_SHARED_CREDENTIALS_FILE):
//
//   [default]
//   aws_access_key_id = AKIA...
//   aws_secret_access_key = ...
//
// gantryd writes the admin key of a new data dir there (mode 0600), so that the aws CLI
// works against it with no set-up.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "auth/sigv4.h"

namespace gantry::auth {

// A new key: an id of "AKIA" and 16 characters [A-Z2-7], a 40-character secret, both
// from the operating system's random source.
absl::StatusOr<Credentials> NewCredentials();

// The key of `profile` in shared-credentials text. NOT_FOUND when the profile or one of
// its two keys is missing.
absl::StatusOr<Credentials> ParseCredentialsFile(std::string_view text, std::string_view profile);

// The file's text for one profile, with a comment line on top.
std::string FormatCredentialsFile(const Credentials& credentials, std::string_view profile,
                                  std::string_view comment);

// Reads the key of `profile` from `path`, or when the file does not exist creates a key
// and writes it there (mode 0600, written whole or not at all).
absl::StatusOr<Credentials> LoadOrCreateCredentialsFile(const std::string& path,
                                                        std::string_view profile,
                                                        std::string_view comment);

// Creates a key and writes it to `path` in place of what was there (mode 0600, the
// old file or the new one, never half of either).
absl::StatusOr<Credentials> ReplaceCredentialsFile(const std::string& path,
                                                   std::string_view profile,
                                                   std::string_view comment);

}  // namespace gantry::auth
