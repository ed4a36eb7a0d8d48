// Tests for auth/secret_box.h. The known-answer vectors are test cases 13, 14 and 16 of
// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)" (the AES-256 cases with a
// 96-bit IV, also used by NIST's GCM validation).
#include "auth/secret_box.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace gantry::auth {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::gantry::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;
constexpr absl::StatusCode kFailedPrecondition = absl::StatusCode::kFailedPrecondition;

std::string Unhex(std::string_view hex) {
  return absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
}

SecretBox MakeBox(char fill) {
  absl::StatusOr<SecretBox> box = SecretBox::FromKey(std::string(SecretBox::kKeySize, fill));
  EXPECT_THAT(box, IsOk());
  return *std::move(box);
}

std::string Seal(const SecretBox& box, std::string_view plaintext, std::string_view ad) {
  absl::StatusOr<std::string> sealed = box.Seal(plaintext, ad);
  EXPECT_THAT(sealed, IsOk());
  return sealed.ok() ? *sealed : std::string();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0);
  return info.st_mode & 07777;
}

std::string AllByteValues() {
  std::string all;
  for (int byte = 0; byte < 256; ++byte) {
    all.push_back(static_cast<char>(byte));
  }
  return all;
}

TempDir MakeTempDir() {
  absl::StatusOr<TempDir> dir = TempDir::Create("secret-box-test");
  EXPECT_THAT(dir, IsOk());
  return *std::move(dir);
}

// ---- Known answers --------------------------------------------------------------

struct KnownAnswer {
  const char* name;
  const char* key;
  const char* nonce;
  const char* plaintext;
  const char* associated_data;
  const char* ciphertext;
  const char* tag;
};

constexpr KnownAnswer kKnownAnswers[] = {
    {"case13_empty", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case14_one_block", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case16_with_associated_data",
     "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(SecretBox, KnownAnswers_SealAndOpenAsPublished) {
  for (const KnownAnswer& c : kKnownAnswers) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SecretBox> box = SecretBox::FromKey(Unhex(c.key));
    ASSERT_THAT(box, IsOk());
    const std::string want =
        absl::StrCat("\x01", Unhex(c.nonce), Unhex(c.ciphertext), Unhex(c.tag));

    absl::StatusOr<std::string> sealed =
        box->SealWithNonceForTest(Unhex(c.nonce), Unhex(c.plaintext), Unhex(c.associated_data));
    ASSERT_THAT(sealed, IsOk());
    EXPECT_EQ(absl::BytesToHexString(*sealed), absl::BytesToHexString(want));

    absl::StatusOr<std::string> opened = box->Open(want, Unhex(c.associated_data));
    ASSERT_THAT(opened, IsOk());
    EXPECT_EQ(*opened, Unhex(c.plaintext));
  }
}

// ---- Sealing and opening ----------------------------------------------------------

TEST(SecretBox, RoundTrip_ReturnsThePlaintext) {
  const SecretBox box = MakeBox('k');
  const struct {
    const char* name;
    std::string plaintext;
    std::string associated_data;
  } cases[] = {
      {"secret", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AKIAIOSFODNN7EXAMPLE"},
      {"empty plaintext", "", "AKIAIOSFODNN7EXAMPLE"},
      {"empty associated data", "secret", ""},
      {"all byte values", AllByteValues(), std::string("\0\xff", 2)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string sealed = Seal(box, c.plaintext, c.associated_data);
    EXPECT_EQ(sealed.size(), c.plaintext.size() + SecretBox::kOverhead);
    EXPECT_EQ(sealed[0], '\x01');
    EXPECT_THAT(box.Open(sealed, c.associated_data), IsOk());
    EXPECT_EQ(box.Open(sealed, c.associated_data).value_or("<error>"), c.plaintext);
  }
}

TEST(SecretBox, SealTwice_UsesAFreshNonceEachTime) {
  const SecretBox box = MakeBox('k');
  const std::string first = Seal(box, "secret", "AKIA1");
  const std::string second = Seal(box, "secret", "AKIA1");
  EXPECT_NE(first.substr(1, SecretBox::kNonceSize), second.substr(1, SecretBox::kNonceSize));
  EXPECT_NE(first, second);
}

TEST(SecretBox, AnyByteAltered_IsDataLoss) {
  const SecretBox box = MakeBox('k');
  const std::string sealed = Seal(box, "secret", "AKIA1");
  for (size_t i = 0; i < sealed.size(); ++i) {
    SCOPED_TRACE(i);
    std::string altered = sealed;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_THAT(box.Open(altered, "AKIA1"), StatusIs(kDataLoss, "sealed secret"));
  }
}

TEST(SecretBox, Truncated_IsDataLoss) {
  const SecretBox box = MakeBox('k');
  const std::string sealed = Seal(box, "secret", "AKIA1");
  for (size_t size = 0; size < sealed.size(); ++size) {
    SCOPED_TRACE(size);
    EXPECT_THAT(box.Open(sealed.substr(0, size), "AKIA1"), StatusIs(kDataLoss, "sealed secret"));
  }
  EXPECT_THAT(box.Open("", "AKIA1"), StatusIs(kDataLoss, "too short"));
}

TEST(SecretBox, UnknownVersion_IsDataLoss) {
  const SecretBox box = MakeBox('k');
  std::string sealed = Seal(box, "secret", "AKIA1");
  sealed[0] = '\x02';
  EXPECT_THAT(box.Open(sealed, "AKIA1"), StatusIs(kDataLoss, "unknown format version 2"));
}

TEST(SecretBox, OtherAssociatedData_IsDataLossAndNamesNoSecret) {
  const SecretBox box = MakeBox('k');
  const std::string sealed = Seal(box, "the-plaintext-secret", "AKIA1");
  absl::StatusOr<std::string> opened = box.Open(sealed, "AKIA2");
  EXPECT_THAT(opened, StatusIs(kDataLoss, "does not open"));
  EXPECT_THAT(std::string(opened.status().message()), Not(HasSubstr("the-plaintext-secret")));
}

TEST(SecretBox, OtherKey_IsDataLoss) {
  const std::string sealed = Seal(MakeBox('k'), "secret", "AKIA1");
  EXPECT_THAT(MakeBox('j').Open(sealed, "AKIA1"), StatusIs(kDataLoss, "does not open"));
}

TEST(SecretBox, CopiedBox_OpensWhatTheOriginalSealed) {
  const SecretBox original = MakeBox('k');
  const SecretBox copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.Open(Seal(original, "secret", "AKIA1"), "AKIA1").value_or("<error>"), "secret");
}

TEST(SecretBox, FromKey_WrongSize_IsInvalidArgument) {
  for (size_t size : {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
    SCOPED_TRACE(size);
    EXPECT_THAT(SecretBox::FromKey(std::string(size, 'k')),
                StatusIs(absl::StatusCode::kInvalidArgument, "exactly 32"));
  }
}

TEST(SecretBox, SealWithNonceForTest_WrongNonceSize_IsInvalidArgument) {
  EXPECT_THAT(MakeBox('k').SealWithNonceForTest("short", "secret", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "nonce"));
}

// ---- Key files --------------------------------------------------------------------

TEST(SecretBoxKeyFile, Missing_IsCreatedPrivateAndReadBackTheSame) {
  TempDir dir = MakeTempDir();
  const std::filesystem::path path = dir.path() / "secret.key";

  absl::StatusOr<SecretBox> created = SecretBox::LoadOrCreateKeyFile(path.string());
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_THAT(ReadFile(path), MatchesRegex("#[^\n]*\n[0-9a-f]{64}\n"));

  absl::StatusOr<SecretBox> loaded = SecretBox::LoadOrCreateKeyFile(path.string());
  ASSERT_THAT(loaded, IsOk());
  const std::string sealed = Seal(*created, "secret", "AKIA1");
  EXPECT_EQ(loaded->Open(sealed, "AKIA1").value_or("<error>"), "secret");
  // No temporary file is left beside the key.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(SecretBoxKeyFile, TwoNewFiles_HaveDifferentKeys) {
  TempDir dir = MakeTempDir();
  absl::StatusOr<SecretBox> first = SecretBox::LoadOrCreateKeyFile((dir.path() / "a").string());
  absl::StatusOr<SecretBox> second = SecretBox::LoadOrCreateKeyFile((dir.path() / "b").string());
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(second->Open(Seal(*first, "secret", ""), ""), StatusIs(kDataLoss, "does not open"));
}

TEST(SecretBoxKeyFile, HandWritten_HoldsThatKey) {
  TempDir dir = MakeTempDir();
  const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const SecretBox reference = *SecretBox::FromKey(Unhex(hex));
  const struct {
    const char* name;
    std::string text;
  } cases[] = {
      {"comment", "# my key\n" + hex + "\n"},
      {"no comment", hex + "\n"},
      {"no final newline", hex},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::filesystem::path path = dir.path() / "key";
    std::filesystem::remove(path);
    WriteFile(path, c.text, 0600);
    absl::StatusOr<SecretBox> box = SecretBox::LoadOrCreateKeyFile(path.string());
    ASSERT_THAT(box, IsOk());
    EXPECT_EQ(box->Open(Seal(reference, "secret", "AKIA1"), "AKIA1").value_or("<error>"), "secret");
  }
}

TEST(SecretBoxKeyFile, AccessibleByOthers_IsRefused) {
  TempDir dir = MakeTempDir();
  const std::filesystem::path path = dir.path() / "secret.key";
  ASSERT_THAT(SecretBox::LoadOrCreateKeyFile(path.string()), IsOk());
  for (mode_t mode : {0640, 0604, 0620, 0602, 0644, 0610}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    EXPECT_THAT(SecretBox::LoadOrCreateKeyFile(path.string()),
                StatusIs(kFailedPrecondition, absl::StrCat(path.string(), ": ")));
    EXPECT_THAT(SecretBox::LoadOrCreateKeyFile(path.string()),
                StatusIs(kFailedPrecondition, "accessible by group or others"));
  }
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_THAT(SecretBox::LoadOrCreateKeyFile(path.string()), IsOk());
}

TEST(SecretBoxKeyFile, Malformed_IsRefusedWithoutTheKey) {
  TempDir dir = MakeTempDir();
  const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const struct {
    const char* name;
    std::string text;
  } cases[] = {
      {"empty", ""},
      {"comment only", "# a key\n"},
      {"63 digits", hex.substr(1) + "\n"},
      {"65 digits", hex + "0\n"},
      {"uppercase", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n"},
      {"not hex", hex.substr(2) + "zz\n"},
      {"trailing space", hex + " \n"},
      {"second line", hex + "\n" + hex + "\n"},
      {"two comments", "# one\n# two\n" + hex + "\n"},
      {"raw bytes", Unhex(hex)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::filesystem::path path = dir.path() / "key";
    std::filesystem::remove(path);
    WriteFile(path, c.text, 0600);
    absl::StatusOr<SecretBox> box = SecretBox::LoadOrCreateKeyFile(path.string());
    EXPECT_THAT(box, StatusIs(kFailedPrecondition, path.string() + ": malformed key file"));
    EXPECT_THAT(std::string(box.status().message()), Not(HasSubstr("0a0b0c")));
  }
}

TEST(SecretBoxKeyFile, Directory_IsRefused) {
  TempDir dir = MakeTempDir();
  const std::filesystem::path path = dir.path() / "key";
  std::filesystem::create_directory(path);
  ASSERT_EQ(chmod(path.c_str(), 0700), 0);
  EXPECT_THAT(SecretBox::LoadOrCreateKeyFile(path.string()),
              StatusIs(kFailedPrecondition, "not a regular file"));
}

TEST(SecretBoxKeyFile, MissingDirectory_IsFailedPrecondition) {
  TempDir dir = MakeTempDir();
  const std::filesystem::path path = dir.path() / "absent" / "secret.key";
  EXPECT_THAT(SecretBox::LoadOrCreateKeyFile(path.string()),
              StatusIs(kFailedPrecondition, path.string()));
}

TEST(SecretBoxKeyFile, ConcurrentCreators_AllGetTheOneKey) {
  constexpr int kCreators = 8;
  TempDir dir = MakeTempDir();
  const std::string path = (dir.path() / "secret.key").string();
  std::vector<absl::StatusOr<SecretBox>> boxes(kCreators, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreators; ++i) {
    threads.emplace_back([&boxes, &path, i] { boxes[i] = SecretBox::LoadOrCreateKeyFile(path); });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  const absl::StatusOr<SecretBox> from_file = SecretBox::LoadOrCreateKeyFile(path);
  ASSERT_THAT(from_file, IsOk());
  for (int i = 0; i < kCreators; ++i) {
    SCOPED_TRACE(i);
    ASSERT_THAT(boxes[i], IsOk());
    EXPECT_EQ(from_file->Open(Seal(*boxes[i], "secret", ""), "").value_or("<error>"), "secret");
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

}  // namespace
}  // namespace gantry::auth
