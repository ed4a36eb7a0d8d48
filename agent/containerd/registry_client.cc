#include "agent/containerd/registry_client.h"

#include <array>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

#include <openssl/evp.h>

namespace gantry::agent::containerd {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr size_t kMaxManifestBytes = 4 << 20;
constexpr size_t kChunkBytes = 256 << 10;
constexpr int kMaxRedirects = 5;
constexpr char kUserAgent[] = "gantry-agent";

// Debian's Abseil has its own string_view, which std::string_view does not convert to.
absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }

// Where one request goes: a registry or, after a redirect, blob storage.
struct Target {
  std::string host;
  std::string port;
  std::string path;
};

absl::StatusOr<Target> TargetOf(std::string_view host_port, std::string path) {
  std::pair<std::string, std::string> parts = absl::StrSplit(Absl(host_port), ':');
  if (parts.first.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(host_port), "\" is not a registry host"));
  }
  return Target{parts.first, parts.second.empty() ? "80" : parts.second, std::move(path)};
}

// A redirect's Location: an absolute http:// URL or a path on the same host.
absl::StatusOr<Target> FollowLocation(const Target& from, absl::string_view location) {
  if (absl::StartsWith(location, "/")) {
    return Target{from.host, from.port, std::string(location)};
  }
  if (!absl::ConsumePrefix(&location, "http://")) {
    return absl::UnimplementedError(absl::StrCat("the registry redirects to \"",
                                                 std::string(location),
                                                 "\"; only plain http:// redirects are followed"));
  }
  size_t slash = location.find('/');
  std::string path = slash == absl::string_view::npos ? "/" : std::string(location.substr(slash));
  std::string host(location.substr(0, slash));
  return TargetOf(host, std::move(path));
}

absl::Status StatusOfResponse(http::status status, const Target& target) {
  const std::string what = absl::StrCat("GET http://", target.host, ":", target.port, target.path);
  switch (status) {
    case http::status::ok:
      return absl::OkStatus();
    case http::status::not_found:
      return absl::NotFoundError(absl::StrCat(what, ": not found (404)"));
    case http::status::unauthorized:
    case http::status::forbidden:
      return absl::UnauthenticatedError(
          absl::StrCat(what, ": the registry asks for credentials (", static_cast<int>(status),
                       "); private registries are not supported yet"));
    default:
      break;
  }
  const int code = static_cast<int>(status);
  if (code >= 500) {
    return absl::UnavailableError(absl::StrCat(what, ": registry error ", code));
  }
  return absl::InternalError(absl::StrCat(what, ": unexpected HTTP status ", code));
}

// Incremental SHA-256 (OpenSSL EVP), for bodies too large to hold.
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr);
  }
  void Update(std::string_view bytes) {
    EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size());
  }
  std::string Digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_.get(), out.data(), &size);
    return absl::StrCat("sha256:", absl::BytesToHexString(absl::string_view(
                                       reinterpret_cast<const char*>(out.data()), size)));
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
};

// One GET with redirects followed. `on_headers` sees the final response's headers
// (after a 200); `on_chunk` each piece of its body.
class Download {
 public:
  Download(absl::Duration timeout, std::string accept) : timeout_(timeout), accept_(accept) {}

  absl::Status Run(Target target,
                   const std::function<absl::Status(const http::fields&)>& on_headers,
                   const std::function<absl::Status(std::string_view)>& on_chunk) {
    for (int redirects = 0;; ++redirects) {
      absl::StatusOr<std::optional<Target>> next = RunOnce(target, on_headers, on_chunk);
      if (!next.ok()) {
        return next.status();
      }
      if (!next->has_value()) {
        return absl::OkStatus();
      }
      if (redirects == kMaxRedirects) {
        return absl::InternalError(absl::StrCat("more than ", kMaxRedirects, " redirects"));
      }
      target = std::move(**next);
    }
  }

 private:
  // The redirect target, or nullopt when the body was delivered.
  absl::StatusOr<std::optional<Target>> RunOnce(
      const Target& target, const std::function<absl::Status(const http::fields&)>& on_headers,
      const std::function<absl::Status(std::string_view)>& on_chunk) {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    beast::error_code error;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(target.host, target.port, error);
    if (error) {
      return Unavailable(target, "resolve", error);
    }
    stream.expires_after(ToChrono());
    stream.connect(endpoints, error);
    if (error) {
      return Unavailable(target, "connect", error);
    }
    http::request<http::empty_body> request(http::verb::get, target.path, 11);
    request.set(http::field::host, absl::StrCat(target.host, ":", target.port));
    request.set(http::field::user_agent, kUserAgent);
    if (!accept_.empty()) {
      request.set(http::field::accept, accept_);
    }
    http::write(stream, request, error);
    if (error) {
      return Unavailable(target, "send", error);
    }
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::read_header(stream, buffer, parser, error);
    if (error) {
      return Unavailable(target, "read", error);
    }
    const http::status status = parser.get().result();
    if (http::to_status_class(status) == http::status_class::redirection) {
      GANTRY_ASSIGN_OR_RETURN(
          Target next, FollowLocation(target, std::string(parser.get()[http::field::location])));
      return std::optional<Target>(std::move(next));
    }
    GANTRY_RETURN_IF_ERROR(StatusOfResponse(status, target));
    GANTRY_RETURN_IF_ERROR(on_headers(parser.get().base()));
    std::string chunk(kChunkBytes, '\0');
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      stream.expires_after(ToChrono());
      http::read(stream, buffer, parser, error);
      if (error == http::error::need_buffer) {
        error = {};
      }
      if (error) {
        return Unavailable(target, "read", error);
      }
      const size_t got = chunk.size() - parser.get().body().size;
      GANTRY_RETURN_IF_ERROR(on_chunk(std::string_view(chunk.data(), got)));
    }
    return std::optional<Target>();
  }

  std::chrono::nanoseconds ToChrono() const { return absl::ToChronoNanoseconds(timeout_); }

  static absl::Status Unavailable(const Target& target, std::string_view step,
                                  const beast::error_code& error) {
    return absl::UnavailableError(absl::StrCat("registry ", target.host, ":", target.port, ": ",
                                               std::string(step), ": ", error.message()));
  }

  const absl::Duration timeout_;
  const std::string accept_;
};

}  // namespace

RegistryClient::RegistryClient(std::set<std::string> insecure_registries, absl::Duration timeout)
    : insecure_registries_(std::move(insecure_registries)), timeout_(timeout) {}

absl::Status RegistryClient::CheckServed(const ImageRef& image) const {
  if (insecure_registries_.contains(image.registry)) {
    return absl::OkStatus();
  }
  return absl::UnimplementedError(absl::StrCat(
      "registry ", image.registry,
      " is not an insecure registry of this agent (--insecure-registry); pulls over HTTPS "
      "are not supported yet"));
}

absl::StatusOr<Manifest> RegistryClient::GetManifest(const ImageRef& image,
                                                     std::string_view reference) const {
  GANTRY_RETURN_IF_ERROR(CheckServed(image));
  GANTRY_ASSIGN_OR_RETURN(
      Target target, TargetOf(image.registry, absl::StrCat("/v2/", image.repository, "/manifests/",
                                                           std::string(reference))));
  Manifest manifest;
  Download download(
      timeout_,
      absl::StrJoin({kOciIndexType, kOciManifestType, kDockerListType, kDockerManifestType}, ", "));
  GANTRY_RETURN_IF_ERROR(download.Run(
      std::move(target),
      [&](const http::fields& headers) {
        manifest.media_type = std::string(headers[http::field::content_type]);
        return absl::OkStatus();
      },
      [&](std::string_view chunk) {
        if (manifest.body.size() + chunk.size() > kMaxManifestBytes) {
          return absl::InternalError(
              absl::StrCat("manifest of ", image.Name(), " is over ", kMaxManifestBytes, " bytes"));
        }
        manifest.body.append(chunk);
        return absl::OkStatus();
      }));
  manifest.digest = Sha256Digest(manifest.body);
  if (absl::StartsWith(Absl(reference), "sha256:") && manifest.digest != reference) {
    return absl::InternalError(absl::StrCat("manifest ", std::string(reference), " of ",
                                            image.Name(), " hashes to ", manifest.digest));
  }
  return manifest;
}

absl::Status RegistryClient::GetBlob(
    const ImageRef& image, std::string_view digest,
    const std::function<absl::Status(std::string_view chunk)>& sink) const {
  GANTRY_RETURN_IF_ERROR(CheckServed(image));
  GANTRY_ASSIGN_OR_RETURN(Target target,
                          TargetOf(image.registry, absl::StrCat("/v2/", image.repository, "/blobs/",
                                                                std::string(digest))));
  Sha256 hash;
  Download download(timeout_, "");
  GANTRY_RETURN_IF_ERROR(download.Run(
      std::move(target), [](const http::fields&) { return absl::OkStatus(); },
      [&](std::string_view chunk) {
        hash.Update(chunk);
        return sink(chunk);
      }));
  if (std::string got = hash.Digest(); got != digest) {
    return absl::InternalError(
        absl::StrCat("blob ", std::string(digest), " of ", image.Name(), " hashes to ", got));
  }
  return absl::OkStatus();
}

}  // namespace gantry::agent::containerd
