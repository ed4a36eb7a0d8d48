// What gRPC clients of gantryd (gantryctl, gantry-agent, the bench) need to authenticate:
// finding the caller's access key as the aws CLI does, and channels that sign every call
// with it (see auth/grpc_signing.h).
#pragma once

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "auth/sigv4.h"

namespace gantry::auth {

// Where a client was told to look (flags); empty: not given.
struct CredentialFlags {
  std::string credentials_file;  // --credentials-file: a shared-credentials file
  std::string profile;           // --profile: the profile in it
};

// The file every local Gantry tool falls back to: gantryd's default data dir writes its
// admin key there.
inline constexpr char kLocalAdminCredentials[] = "./.gantry/admin-credentials";

// The key to sign with, found in this order:
//  1. --credentials-file (with --profile, else AWS_PROFILE, else "default");
//  2. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, when both are set;
//  3. AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/credentials when only a profile (--profile
//     or AWS_PROFILE) is given, with that profile;
//  4. ./.gantry/admin-credentials, profile "default".
// NOT_FOUND naming every place looked at when none has a key. `getenv` is injectable for
// tests.
absl::StatusOr<Credentials> FindCredentials(
    const CredentialFlags& flags, const std::function<const char*(const char*)>& getenv =
                                      [](const char* name) { return std::getenv(name); });

// A channel to `endpoint` whose every call carries a signature made with `credentials`.
std::shared_ptr<grpc::Channel> CreateSignedChannel(
    const std::string& endpoint, const Credentials& credentials,
    const grpc::ChannelArguments& arguments = grpc::ChannelArguments());

}  // namespace gantry::auth
