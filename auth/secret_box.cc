#include "auth/secret_box.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace gantry::auth {
namespace {

using KeyBytes = std::array<unsigned char, SecretBox::kKeySize>;

// OpenSSL takes int lengths; secrets are tiny, so a bound far below INT_MAX costs nothing.
constexpr size_t kMaxInputSize = size_t{1} << 30;
// A key file is two short lines; reading more than this only to refuse it is pointless.
constexpr size_t kMaxKeyFileSize = 4096;
constexpr char kKeyFileComment[] =
    "# Gantry's secret-box key (AES-256-GCM): it encrypts access-key secrets in the database. "
    "Keep it private and back it up; without it those secrets cannot be read.\n";
constexpr char kKeyFileFormat[] =
    "want an optional first line starting with '#', then the key as 64 lowercase hex digits "
    "and a newline";

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

int Length(std::string_view text) { return static_cast<int>(text.size()); }

void Wipe(std::string& text) { OPENSSL_cleanse(text.data(), text.size()); }

absl::Status OpenSslFailure(const char* what) {
  // Leave no stale entries in this thread's OpenSSL error queue for unrelated code to find.
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("OpenSSL failed to ", what));
}

absl::Status FileError(const std::string& path, const char* what, int error) {
  return absl::FailedPreconditionError(absl::StrCat(path, ": ", what, ": ", strerror(error)));
}

// AES-256-GCM of `plaintext` into `out`: as many bytes of ciphertext, then the tag.
absl::Status GcmEncrypt(const KeyBytes& key, std::string_view nonce, std::string_view plaintext,
                        std::string_view associated_data, unsigned char* out) {
  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  // OpenSSL's default GCM IV length is 12 bytes, which is kNonceSize.
  const bool ok =
      context != nullptr &&
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), Bytes(nonce)) ==
          1 &&
      EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(associated_data),
                        Length(associated_data)) == 1 &&
      EVP_EncryptUpdate(context.get(), out, &length, Bytes(plaintext), Length(plaintext)) == 1 &&
      EVP_EncryptFinal_ex(context.get(), out + length, &length) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, SecretBox::kTagSize,
                          out + plaintext.size()) == 1;
  return ok ? absl::OkStatus() : OpenSslFailure("seal a secret");
}

// The inverse of GcmEncrypt; DATA_LOSS when the tag does not authenticate.
absl::Status GcmDecrypt(const KeyBytes& key, std::string_view nonce, std::string_view ciphertext,
                        std::string_view tag, std::string_view associated_data,
                        unsigned char* out) {
  std::array<unsigned char, SecretBox::kTagSize> expected_tag;
  std::copy(tag.begin(), tag.end(), expected_tag.begin());
  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  const bool ready =
      context != nullptr &&
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), Bytes(nonce)) ==
          1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(associated_data),
                        Length(associated_data)) == 1 &&
      EVP_DecryptUpdate(context.get(), out, &length, Bytes(ciphertext), Length(ciphertext)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, SecretBox::kTagSize,
                          expected_tag.data()) == 1;
  if (!ready) {
    return OpenSslFailure("open a sealed secret");
  }
  if (EVP_DecryptFinal_ex(context.get(), out + length, &length) != 1) {
    ERR_clear_error();
    return absl::DataLossError(
        "sealed secret does not open: it was sealed under another key or with other associated "
        "data, or it was altered");
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyBytes> NewKey() {
  KeyBytes key;
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return OpenSslFailure("draw random bytes for a new key");
  }
  return key;
}

// At most kMaxKeyFileSize + 1 bytes of the open file `fd`, after checking that no one but
// its owner may use it. The checks look at the descriptor that is then read, so a file
// swapped in after them is never read.
absl::StatusOr<std::string> ReadPrivateFile(int fd, const std::string& path) {
  struct stat info;
  if (fstat(fd, &info) != 0) {
    return FileError(path, "cannot stat the key file", errno);
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": the key file is not a regular file"));
  }
  // Writable by others is as bad as readable: whoever can replace the key can read
  // every secret sealed after the next restart.
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the key file is accessible by group or others (mode %04o); allow only its owner "
        "(chmod 600)",
        path, info.st_mode & 07777));
  }
  std::string text(kMaxKeyFileSize + 1, '\0');
  size_t size = 0;
  while (size < text.size()) {
    const ssize_t n = read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      Wipe(text);
      return FileError(path, "cannot read the key file", errno);
    }
    if (n == 0) {
      break;
    }
    size += static_cast<size_t>(n);
  }
  text.resize(size);
  return text;
}

// The text of the key file at `path`, or nullopt when there is no such file.
absl::StatusOr<std::optional<std::string>> ReadKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    return FileError(path, "cannot open the key file", errno);
  }
  absl::StatusOr<std::string> text = ReadPrivateFile(fd, path);
  close(fd);
  if (!text.ok()) {
    return text.status();
  }
  return std::optional<std::string>(std::move(*text));
}

int HexValue(char digit) { return digit <= '9' ? digit - '0' : digit - 'a' + 10; }

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The key in a key file's text (see LoadOrCreateKeyFile). The final newline may be
// missing, as in a file written by `printf %s`.
absl::StatusOr<KeyBytes> ParseKeyFile(std::string_view text, const std::string& path) {
  if (!text.empty() && text.front() == '#') {
    const size_t end = text.find('\n');
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  if (text.size() != 2 * SecretBox::kKeySize ||
      !std::all_of(text.begin(), text.end(), IsLowerHex)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": malformed key file; ", kKeyFileFormat));
  }
  KeyBytes key;
  for (size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<unsigned char>(HexValue(text[2 * i]) << 4 | HexValue(text[2 * i + 1]));
  }
  return key;
}

std::string FormatKeyFile(const KeyBytes& key) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string text = kKeyFileComment;
  for (const unsigned char byte : key) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  text.push_back('\n');
  return text;
}

absl::Status WriteAndSync(int fd, const std::string& text, const std::string& path) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return FileError(path, "cannot write the new key file", errno);
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    return FileError(path, "cannot sync the new key file", errno);
  }
  return absl::OkStatus();
}

// Makes the new directory entry durable: a key lost in a crash after secrets were
// sealed with it would lose those secrets.
absl::Status SyncDirectory(const std::string& path) {
  // Built whole rather than assigned "." afterwards: g++ 12 at -O2 warns wrongly
  // (-Wrestrict) about that assignment.
  const std::string parent = std::filesystem::path(path).parent_path().string();
  const std::string directory = parent.empty() ? std::string(".") : parent;
  const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return FileError(path, "cannot open the key file's directory", errno);
  }
  const bool synced = fsync(fd) == 0;
  const int error = errno;
  close(fd);
  if (!synced) {
    return FileError(path, "cannot sync the key file's directory", error);
  }
  return absl::OkStatus();
}

// Creates `path` holding `text`, mode 0600, whole or not at all: the text goes to a
// temporary file beside it (mkstemp creates it 0600), which is then link()ed into place.
// link() fails when `path` exists, so of concurrent creators exactly one wins and the
// others read the winner's key (ALREADY_EXISTS); rename() would let a loser replace a
// key the winner may already have sealed with.
absl::Status WriteNewKeyFile(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp.XXXXXX";
  const int fd = mkstemp(temporary.data());
  if (fd < 0) {
    return FileError(path, "cannot create a temporary file beside the key file", errno);
  }
  absl::Status written = WriteAndSync(fd, text, path);
  close(fd);
  if (written.ok() && link(temporary.c_str(), path.c_str()) != 0) {
    written = errno == EEXIST ? absl::AlreadyExistsError(path)
                              : FileError(path, "cannot create the key file", errno);
  }
  unlink(temporary.c_str());
  if (!written.ok()) {
    return written;
  }
  return SyncDirectory(path);
}

}  // namespace

absl::StatusOr<SecretBox> SecretBox::FromKey(std::string key_bytes) {
  const size_t size = key_bytes.size();
  KeyBytes key{};
  if (size == kKeySize) {
    std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
  }
  Wipe(key_bytes);
  if (size != kKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key: ", size, " bytes; AES-256 takes a key of exactly ", kKeySize));
  }
  return SecretBox(key);
}

absl::StatusOr<SecretBox> SecretBox::LoadOrCreateKeyFile(const std::string& path) {
  // A second round reads the key of a process that created the file between this one's
  // read and its link().
  for (int attempt = 0; attempt < 2; ++attempt) {
    GANTRY_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadKeyFile(path));
    if (text.has_value()) {
      absl::StatusOr<KeyBytes> key = ParseKeyFile(*text, path);
      Wipe(*text);
      if (!key.ok()) {
        return key.status();
      }
      return SecretBox(*key);
    }
    GANTRY_ASSIGN_OR_RETURN(KeyBytes key, NewKey());
    std::string new_text = FormatKeyFile(key);
    absl::Status written = WriteNewKeyFile(path, new_text);
    Wipe(new_text);
    if (written.ok()) {
      return SecretBox(key);
    }
    if (!absl::IsAlreadyExists(written)) {
      return written;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat(path, ": the key file appeared and vanished while being read"));
}

SecretBox::~SecretBox() { OPENSSL_cleanse(key_.data(), key_.size()); }

absl::StatusOr<std::string> SecretBox::Seal(std::string_view plaintext,
                                            std::string_view associated_data) const {
  std::string nonce(kNonceSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), Length(nonce)) != 1) {
    return OpenSslFailure("draw a random nonce");
  }
  return SealWithNonce(nonce, plaintext, associated_data);
}

absl::StatusOr<std::string> SecretBox::SealWithNonceForTest(
    std::string_view nonce, std::string_view plaintext, std::string_view associated_data) const {
  if (nonce.size() != kNonceSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("nonce: ", nonce.size(), " bytes; AES-GCM here takes exactly ", kNonceSize));
  }
  return SealWithNonce(nonce, plaintext, associated_data);
}

absl::StatusOr<std::string> SecretBox::SealWithNonce(std::string_view nonce,
                                                     std::string_view plaintext,
                                                     std::string_view associated_data) const {
  if (plaintext.size() > kMaxInputSize || associated_data.size() > kMaxInputSize) {
    return absl::InvalidArgumentError(
        "secret box: the plaintext and the associated data may be at most 1 GiB each");
  }
  std::string sealed(kOverhead + plaintext.size(), '\0');
  sealed[0] = static_cast<char>(kVersion);
  std::copy(nonce.begin(), nonce.end(), sealed.begin() + 1);
  auto* out = reinterpret_cast<unsigned char*>(sealed.data()) + 1 + kNonceSize;
  GANTRY_RETURN_IF_ERROR(GcmEncrypt(key_, nonce, plaintext, associated_data, out));
  return sealed;
}

absl::StatusOr<std::string> SecretBox::Open(std::string_view sealed,
                                            std::string_view associated_data) const {
  if (sealed.size() < kOverhead) {
    return absl::DataLossError(absl::StrCat("sealed secret: ", sealed.size(),
                                            " bytes is too short; a sealed value has at least ",
                                            kOverhead));
  }
  const auto version = static_cast<unsigned char>(sealed[0]);
  if (version != kVersion) {
    return absl::DataLossError(absl::StrCat("sealed secret: unknown format version ", version,
                                            "; this build knows version ", kVersion));
  }
  if (sealed.size() > kMaxInputSize + kOverhead || associated_data.size() > kMaxInputSize) {
    return absl::DataLossError("sealed secret or associated data: longer than Seal accepts");
  }
  const std::string_view nonce = sealed.substr(1, kNonceSize);
  const std::string_view ciphertext = sealed.substr(1 + kNonceSize, sealed.size() - kOverhead);
  const std::string_view tag = sealed.substr(sealed.size() - kTagSize);
  std::string plaintext(ciphertext.size(), '\0');
  absl::Status opened = GcmDecrypt(key_, nonce, ciphertext, tag, associated_data,
                                   reinterpret_cast<unsigned char*>(plaintext.data()));
  if (!opened.ok()) {
    // What was decrypted is unauthenticated; do not leave it in freed memory either.
    Wipe(plaintext);
    return opened;
  }
  return plaintext;
}

}  // namespace gantry::auth
