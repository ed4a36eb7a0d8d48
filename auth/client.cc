#include "auth/client.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <grpcpp/support/client_interceptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "auth/credentials.h"
#include "auth/grpc_signing.h"

namespace gantry::auth {
namespace {

std::string EnvOr(const std::function<const char*(const char*)>& getenv, const char* name,
                  std::string fallback = "") {
  const char* value = getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

absl::StatusOr<Credentials> ReadProfile(const std::string& path, const std::string& profile) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Credentials> credentials = ParseCredentialsFile(text.str(), profile);
  if (!credentials.ok()) {
    return absl::NotFoundError(absl::StrCat(path, ": ", credentials.status().message()));
  }
  return credentials;
}

// Adds the signature metadata to each call before its headers go out.
class SigningInterceptor final : public grpc::experimental::Interceptor {
 public:
  SigningInterceptor(const Credentials* credentials, std::string method)
      : credentials_(credentials), method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      std::multimap<std::string, std::string>* metadata = methods->GetSendInitialMetadata();
      for (auto& [key, value] : SignGrpcCall(method_, *credentials_, absl::Now())) {
        metadata->emplace(std::move(key), std::move(value));
      }
    }
    methods->Proceed();
  }

 private:
  const Credentials* const credentials_;
  const std::string method_;
};

class SigningInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit SigningInterceptorFactory(Credentials credentials)
      : credentials_(std::move(credentials)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new SigningInterceptor(&credentials_, info->method());
  }

 private:
  // Owned by the factory, which the channel keeps for its lifetime.
  const Credentials credentials_;
};

}  // namespace

absl::StatusOr<Credentials> FindCredentials(const CredentialFlags& flags,
                                            const std::function<const char*(const char*)>& getenv) {
  const std::string profile =
      !flags.profile.empty() ? flags.profile : EnvOr(getenv, "AWS_PROFILE", "default");
  if (!flags.credentials_file.empty()) {
    return ReadProfile(flags.credentials_file, profile);
  }
  const std::string key_id = EnvOr(getenv, "AWS_ACCESS_KEY_ID");
  const std::string secret = EnvOr(getenv, "AWS_SECRET_ACCESS_KEY");
  if (!key_id.empty() && !secret.empty()) {
    return Credentials{key_id, secret};
  }
  std::string shared = EnvOr(getenv, "AWS_SHARED_CREDENTIALS_FILE");
  const bool profile_named = !flags.profile.empty() || !EnvOr(getenv, "AWS_PROFILE").empty();
  if (shared.empty() && profile_named && !EnvOr(getenv, "HOME").empty()) {
    shared = absl::StrCat(EnvOr(getenv, "HOME"), "/.aws/credentials");
  }
  if (!shared.empty()) {
    return ReadProfile(shared, profile);
  }
  absl::StatusOr<Credentials> local = ReadProfile(kLocalAdminCredentials, "default");
  if (local.ok()) {
    return local;
  }
  return absl::NotFoundError(
      absl::StrCat("no credentials: give --credentials-file, set AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE (and AWS_PROFILE); ",
                   local.status().message()));
}

std::shared_ptr<grpc::Channel> CreateSignedChannel(const std::string& endpoint,
                                                   const Credentials& credentials,
                                                   const grpc::ChannelArguments& arguments) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<SigningInterceptorFactory>(credentials));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      endpoint, grpc::InsecureChannelCredentials(), arguments, std::move(factories));
}

}  // namespace gantry::auth
