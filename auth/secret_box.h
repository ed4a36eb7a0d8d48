// SecretBox: authenticated encryption of small secrets kept at rest, such as the secrets
// of access keys (SigV4 verification needs the plaintext secret, so the database cannot
// hold a hash of it). AES-256-GCM under one 32-byte key that gantryd keeps in a file of
// its own, apart from the database, so a copy of the database alone reveals no secret.
//
// Sealed format, version 1 (all bytes, no text encoding):
//
//   0x01 | nonce (12 random bytes) | ciphertext (as long as the plaintext) | tag (16 bytes)
//
// The associated data (for access keys: the key id) is authenticated but not stored:
// opening with other associated data fails, so a sealed secret copied into another row
// does not open there. A fresh random nonce per seal is safe for up to 2^32 seals under
// one key (NIST SP 800-38D), far more than Gantry will ever make.
//
// Thread-safety: a SecretBox is immutable; Seal and Open may run concurrently from any
// thread. Errors: INVALID_ARGUMENT for a key of the wrong size, FAILED_PRECONDITION for an
// unusable key file (the message names the file), DATA_LOSS when a sealed value does not
// open, INTERNAL when OpenSSL or the random source fails. No message ever contains a key,
// a plaintext or a sealed value.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gantry::auth {

class SecretBox {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  static constexpr unsigned char kVersion = 0x01;
  // Version byte, nonce and tag: what sealing adds to the plaintext.
  static constexpr size_t kOverhead = 1 + kNonceSize + kTagSize;

  // A box with this raw key. INVALID_ARGUMENT unless it is exactly kKeySize bytes.
  // `key_bytes` is wiped before returning.
  static absl::StatusOr<SecretBox> FromKey(std::string key_bytes);

  // The key in the file at `path`: an optional first line starting with '#', then the key
  // as 64 lowercase hex digits and a newline. When the file does not exist, creates it
  // with a new random key, mode 0600, appearing whole or not at all (fsynced, and its
  // directory too: losing the key would lose every secret sealed with it). Of several
  // processes creating it at once exactly one wins; the others use the winner's key.
  // FAILED_PRECONDITION naming `path` when the file is not a regular file, is accessible
  // by group or others, is malformed, or cannot be read or written.
  static absl::StatusOr<SecretBox> LoadOrCreateKeyFile(const std::string& path);

  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;
  SecretBox(SecretBox&&) = default;
  SecretBox& operator=(SecretBox&&) = default;
  ~SecretBox();  // wipes the key

  // `plaintext` sealed under a fresh random nonce, in the format above.
  // INVALID_ARGUMENT when an input exceeds 1 GiB; INTERNAL when OpenSSL fails.
  absl::StatusOr<std::string> Seal(std::string_view plaintext,
                                   std::string_view associated_data) const;

  // The plaintext of a Seal result made with this key and the same associated data.
  // DATA_LOSS when `sealed` is too short or longer than Seal makes, has an unknown
  // version, or does not authenticate (another key, other associated data, or altered
  // bytes).
  absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view associated_data) const;

  // Seal with a caller-chosen nonce (kNonceSize bytes), for known-answer tests only:
  // sealing twice with one nonce under one key breaks GCM's confidentiality and integrity.
  absl::StatusOr<std::string> SealWithNonceForTest(std::string_view nonce,
                                                   std::string_view plaintext,
                                                   std::string_view associated_data) const;

 private:
  using Key = std::array<unsigned char, kKeySize>;
  explicit SecretBox(const Key& key) : key_(key) {}

  absl::StatusOr<std::string> SealWithNonce(std::string_view nonce, std::string_view plaintext,
                                            std::string_view associated_data) const;

  Key key_;
};

}  // namespace gantry::auth
