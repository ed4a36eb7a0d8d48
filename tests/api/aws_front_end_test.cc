// The AWS front end without a database: SigV4 checks come before routing, errors take
// ECS's and EC2's shapes, and the HTTP server refuses oversized bodies and drops clients
// that stall.
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/aws/ecs_json.h"
#include "api/aws/front_end.h"
#include "api/aws/http_server.h"
#include "auth/sigv4.h"
#include "common/status_details.h"
#include "ecsjson/ecsjson.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::api::aws {
namespace {

using ::testing::HasSubstr;

const auth::Credentials kKey = {"AKIAGANTRYTEST000001", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXM0"};
const absl::Time kNow = absl::FromUnixSeconds(1780000000);

const KeyRing& Keys() {
  static const KeyRing* const kKeys = [] {
    auto* keys = new KeyRing();
    keys->Put(
        {kKey.secret_access_key, Caller{"000000000000", Caller::Role::kUser, kKey.access_key_id}});
    return keys;
  }();
  return *kKeys;
}

auth::HttpRequest EcsRequest(const std::string& operation, const std::string& body = "{}") {
  auth::HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers = {{"Host", "127.0.0.1:4566"},
                     {"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", std::string(kEcsTargetPrefix) + operation}};
  request.body = body;
  return request;
}

// Runs the front end on `request` (answered inline: no operation here reaches the
// database) and returns the answer.
AwsResponse Handle(auth::HttpRequest request) {
  // Unknown operations and refused requests never touch the operations object.
  static EcsOperations* const kEcs = new EcsOperations(Config{}, nullptr, nullptr);
  static NetworkOperations* const kNetwork = new NetworkOperations(Config{}, nullptr);
  HttpHandler handler = MakeFrontEnd(kEcs, kNetwork, "us-east-1", &Keys(), [] { return kNow; });
  std::optional<AwsResponse> answer;
  handler(std::move(request), [&](AwsResponse response) { answer = std::move(response); });
  EXPECT_TRUE(answer.has_value());
  return answer.value_or(AwsResponse{});
}

TEST(AwsFrontEnd, SignedUnknownOperation_PassesAuthAndNamesTheOperation) {
  auth::HttpRequest request = EcsRequest("ListServices");
  auth::Sign(request, kKey, "us-east-1", "ecs", kNow);
  AwsResponse answer = Handle(request);
  EXPECT_EQ(answer.http_status, 400);
  EXPECT_EQ(answer.content_type, "application/x-amz-json-1.1");
  EXPECT_THAT(answer.body, HasSubstr("\"__type\":\"UnknownOperationException\""));
  EXPECT_THAT(answer.body, HasSubstr("ListServices"));
}

TEST(AwsFrontEnd, OperationNameNotUtf8_AnswerStaysValidUtf8) {
  auth::HttpRequest request = EcsRequest("Bogus\xc3(\xff");
  auth::Sign(request, kKey, "us-east-1", "ecs", kNow);
  AwsResponse answer = Handle(request);
  EXPECT_EQ(answer.http_status, 400);
  EXPECT_THAT(answer.body, HasSubstr("Bogus\xEF\xBF\xBD(\xEF\xBF\xBD"));
  EXPECT_TRUE(ecsjson::ParseJson(answer.body).ok()) << answer.body;
}

TEST(AwsFrontEnd, TargetNotSigned_Refused) {
  auth::HttpRequest request = EcsRequest("ListServices");
  request.headers.pop_back();  // X-Amz-Target
  auth::Sign(request, kKey, "us-east-1", "ecs", kNow);
  // Added after signing: the signature still verifies, but does not name the operation.
  request.headers.emplace_back("X-Amz-Target", std::string(kEcsTargetPrefix) + "StopTask");
  AwsResponse answer = Handle(request);
  EXPECT_EQ(answer.http_status, 400);
  EXPECT_THAT(answer.body, HasSubstr("\"__type\":\"IncompleteSignatureException\""));
  EXPECT_THAT(answer.body, HasSubstr("x-amz-target"));
}

// A request spoiled so that authentication fails, and the ECS error it gets.
struct AuthCase {
  std::string name;
  std::function<void(auth::HttpRequest&)> spoil;
  std::string type;
};

// Failures that show in the head alone, whatever the body.
std::vector<AuthCase> HeadAuthFailures() {
  return {
      {"unsigned", [](auth::HttpRequest&) {}, "MissingAuthenticationTokenException"},
      {"unknown key",
       [](auth::HttpRequest& r) {
         auth::Sign(r, {"AKIAUNKNOWN000000000", kKey.secret_access_key}, "us-east-1", "ecs", kNow);
       },
       "UnrecognizedClientException"},
      {"signed an hour ago",
       [](auth::HttpRequest& r) { auth::Sign(r, kKey, "us-east-1", "ecs", kNow - absl::Hours(1)); },
       "InvalidSignatureException"},
      {"another region",
       [](auth::HttpRequest& r) { auth::Sign(r, kKey, "eu-west-1", "ecs", kNow); },
       "InvalidSignatureException"},
      {"another service",
       [](auth::HttpRequest& r) { auth::Sign(r, kKey, "us-east-1", "ec2", kNow); },
       "InvalidSignatureException"},
      {"garbage header",
       [](auth::HttpRequest& r) { r.headers.emplace_back("Authorization", "Bearer abc"); },
       "IncompleteSignatureException"},
  };
}

TEST(AwsFrontEnd, AuthFailures_EcsErrorNames) {
  using Case = AuthCase;
  std::vector<Case> cases = HeadAuthFailures();
  cases.push_back(
      {"wrong secret",
       [](auth::HttpRequest& r) {
         auth::Sign(r, {kKey.access_key_id, "not-the-secret"}, "us-east-1", "ecs", kNow);
       },
       "InvalidSignatureException"});
  cases.push_back({"body changed after signing",
                   [](auth::HttpRequest& r) {
                     auth::Sign(r, kKey, "us-east-1", "ecs", kNow);
                     r.body = "{\"cluster\":\"other\"}";
                   },
                   "InvalidSignatureException"});
  for (const Case& c : cases) {
    auth::HttpRequest request = EcsRequest("ListClusters");
    c.spoil(request);
    AwsResponse answer = Handle(request);
    EXPECT_EQ(answer.http_status, 400) << c.name;
    EXPECT_THAT(answer.body, HasSubstr(absl::StrCat("\"__type\":\"", c.type, "\""))) << c.name;
    EXPECT_THAT(answer.body, ::testing::Not(HasSubstr(kKey.secret_access_key))) << c.name;
  }
}

// What the server asks before it reads a body: the request without its body.
std::optional<AwsResponse> CheckHead(auth::HttpRequest request) {
  request.body.clear();
  return MakeHeadCheck("us-east-1", &Keys(), [] { return kNow; })(request);
}

TEST(AwsFrontEnd, HeadCheck_RefusesWhatNeedsNoBodyAsTheHandlerDoes) {
  using Case = AuthCase;
  std::vector<Case> cases = HeadAuthFailures();
  cases.push_back({"no operation",
                   [](auth::HttpRequest& r) {
                     r.headers.pop_back();
                     auth::Sign(r, kKey, "us-east-1", "ecs", kNow);
                   },
                   "UnknownOperationException"});
  for (const Case& c : cases) {
    auth::HttpRequest request = EcsRequest("ListClusters");
    c.spoil(request);
    const std::optional<AwsResponse> early = CheckHead(request);
    ASSERT_TRUE(early.has_value()) << c.name;
    EXPECT_THAT(early->body, HasSubstr(absl::StrCat("\"__type\":\"", c.type, "\""))) << c.name;
    EXPECT_EQ(early->body, Handle(request).body) << c.name << ": the handler answers the same";
  }
  // A signature by a known key, in the window: the body is worth reading, even one the
  // signature turns out not to cover (only the whole request can tell).
  auth::HttpRequest signed_request = EcsRequest("ListClusters");
  auth::Sign(signed_request, kKey, "us-east-1", "ecs", kNow);
  EXPECT_FALSE(CheckHead(signed_request).has_value());
  signed_request.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 twice");
  EXPECT_TRUE(CheckHead(signed_request).has_value()) << "two Authorization headers";
}

auth::HttpRequest Ec2Request(const std::string& form) {
  auth::HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers = {{"Host", "127.0.0.1:4566"},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = form;
  return request;
}

// A DryRun reaches the action's handler, which answers it without the operation.
TEST(AwsFrontEnd, QueryProtocol_SignedForEc2_Dispatched) {
  auth::HttpRequest request =
      Ec2Request("Action=DescribeAvailabilityZones&Version=2016-11-15&DryRun=true");
  auth::Sign(request, kKey, "us-east-1", "ec2", kNow);
  AwsResponse answer = Handle(request);
  EXPECT_EQ(answer.http_status, 412);
  EXPECT_THAT(answer.content_type, HasSubstr("xml"));
  EXPECT_THAT(answer.body, HasSubstr("<Code>DryRunOperation</Code>"));
}

TEST(AwsFrontEnd, QueryProtocol_AuthFailures_Ec2Codes) {
  struct Case {
    std::string name;
    std::function<void(auth::HttpRequest&)> spoil;
    int http;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"unsigned", [](auth::HttpRequest&) {}, 403, "MissingAuthenticationToken"},
      {"signed for ecs",
       [](auth::HttpRequest& r) { auth::Sign(r, kKey, "us-east-1", "ecs", kNow); }, 403,
       "SignatureDoesNotMatch"},
      {"wrong secret",
       [](auth::HttpRequest& r) {
         auth::Sign(r, {kKey.access_key_id, "nope"}, "us-east-1", "ec2", kNow);
       },
       403, "SignatureDoesNotMatch"},
      {"unknown key",
       [](auth::HttpRequest& r) {
         auth::Sign(r, {"AKIAUNKNOWN000000000", "x"}, "us-east-1", "ec2", kNow);
       },
       401, "AuthFailure"},
      {"an hour old",
       [](auth::HttpRequest& r) { auth::Sign(r, kKey, "us-east-1", "ec2", kNow - absl::Hours(1)); },
       400, "RequestExpired"},
  };
  for (const Case& c : cases) {
    auth::HttpRequest request = Ec2Request("Action=DescribeVpcs&Version=2016-11-15");
    c.spoil(request);
    AwsResponse answer = Handle(request);
    EXPECT_EQ(answer.http_status, c.http) << c.name;
    EXPECT_THAT(answer.body, HasSubstr(absl::StrCat("<Code>", c.code, "</Code>"))) << c.name;
  }
}

TEST(AwsFrontEnd, NoTarget_UnknownOperation) {
  auth::HttpRequest request = EcsRequest("ListClusters");
  request.headers.pop_back();
  AwsResponse answer = Handle(request);
  EXPECT_THAT(answer.body, HasSubstr("UnknownOperationException"));
  EXPECT_THAT(answer.body, HasSubstr("X-Amz-Target"));
}

TEST(EcsErrorFor, StatusCodesToEcsExceptions) {
  struct Case {
    absl::Status status;
    int http;
    std::string type;
  };
  const std::vector<Case> cases = {
      {absl::InvalidArgumentError("count: 11 is above 10"), 400, "InvalidParameterException"},
      {absl::NotFoundError("cluster: cluster \"x\" does not exist"), 400,
       "ClusterNotFoundException"},
      {absl::NotFoundError("taskDefinition: web:9 does not exist"), 400, "ClientException"},
      {absl::FailedPreconditionError("taskDefinition: web:1 is INACTIVE"), 400, "ClientException"},
      {absl::ResourceExhaustedError("family: too many revisions"), 400, "LimitExceededException"},
      {absl::UnavailableError("database down"), 503, "ServerException"},
      {absl::InternalError("boom"), 500, "ServerException"},
  };
  for (const Case& c : cases) {
    AwsResponse answer = EcsErrorFor(c.status);
    EXPECT_EQ(answer.http_status, c.http) << c.status;
    EXPECT_EQ(answer.body,
              absl::StrCat("{\"__type\":\"", c.type, "\",\"message\":\"",
                           absl::StrReplaceAll(c.status.message(), {{"\"", "\\\""}}), "\"}"))
        << c.status;
  }
}

TEST(EcsErrorFor, DetailsOfTheStatus_NameTheExceptionAndTheResources) {
  AwsResponse conflict = EcsErrorFor(WithResourceIds(absl::AlreadyExistsError("clientToken: used"),
                                                     {"arn:aws:ecs:r:1:task/default/a", "b"}));
  EXPECT_EQ(conflict.http_status, 400);
  EXPECT_EQ(conflict.body,
            "{\"__type\":\"ConflictException\",\"message\":\"clientToken: used\","
            "\"resourceIds\":[\"arn:aws:ecs:r:1:task/default/a\",\"b\"]}");
  EXPECT_TRUE(ecsjson::ParseJson(conflict.body).ok());
  // Without resources, ALREADY_EXISTS stays a ClientException.
  EXPECT_THAT(EcsErrorFor(absl::AlreadyExistsError("x")).body,
              HasSubstr("\"__type\":\"ClientException\""));
  AwsResponse named = EcsErrorFor(WithErrorName(
      absl::InvalidArgumentError("platformVersion: \"9\""), "PlatformUnknownException"));
  EXPECT_EQ(named.http_status, 400);
  EXPECT_THAT(named.body, HasSubstr("\"__type\":\"PlatformUnknownException\""));
}

// A raw HTTP exchange with the server: sends `request`, returns all it answers until it
// closes the connection (or 5 s pass).
std::string Exchange(const std::string& address, const std::string& request) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  const size_t colon = address.rfind(':');
  socket.connect({asio::ip::make_address(address.substr(0, colon)),
                  static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))});
  asio::write(socket, asio::buffer(request));
  std::string answer;
  char buffer[4096];
  boost::system::error_code error;
  timeval timeout{5, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  while (true) {
    size_t n = socket.read_some(asio::buffer(buffer), error);
    if (error) {
      break;
    }
    answer.append(buffer, n);
  }
  return answer;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.max_body_bytes = 1024;
    options.read_timeout = absl::Milliseconds(300);
    options.max_connections = 3;
    auto server = HttpServer::Start(
        "127.0.0.1:0", options,
        {.handler =
             [this](auth::HttpRequest request, std::function<void(AwsResponse)> respond) {
               handled_.fetch_add(1);
               respond({200, "text/plain",
                        absl::StrCat(request.method, " ", request.path, "?", request.query, " ",
                                     request.body.size())});
             },
         .check_head = [](const auth::HttpRequest& head) -> std::optional<AwsResponse> {
           for (const auto& [name, value] : head.headers) {
             if (name == "X-Deny") {
               return AwsResponse{403, "text/plain", "denied before the body"};
             }
           }
           return std::nullopt;
         },
         .refuse = RefuseRequest});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::atomic<int> handled_ = 0;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersAndClosesWhenAsked) {
  std::string answer = Exchange(server_->address(),
                                "POST /x?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                                "Connection: close\r\n\r\nabc");
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr("x-amzn-RequestId: "));
  EXPECT_THAT(answer, HasSubstr("POST /x?a=1 3"));
}

TEST_F(HttpServerTest, BodyOverTheLimit_413) {
  std::string answer = Exchange(server_->address(),
                                absl::StrCat("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ", 5000,
                                             "\r\n\r\n", std::string(5000, 'x')));
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 413"));
  EXPECT_THAT(answer, HasSubstr("RequestEntityTooLargeException"));
}

TEST_F(HttpServerTest, StalledClient_DroppedAfterTheReadTimeout) {
  const auto started = std::chrono::steady_clock::now();
  // Headers promise a body that never comes.
  std::string answer =
      Exchange(server_->address(), "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab");
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(answer, "");
  EXPECT_LT(waited, std::chrono::seconds(4));  // closed by the server, not our 5 s timeout
}

TEST_F(HttpServerTest, HeadRefused_AnsweredWithoutReadingTheBody) {
  // The body promised is never sent: the answer cannot have waited for it.
  std::string answer =
      Exchange(server_->address(),
               "POST / HTTP/1.1\r\nHost: h\r\nX-Deny: 1\r\nContent-Length: 1000\r\n\r\n");
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 403"));
  EXPECT_THAT(answer, HasSubstr("denied before the body"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, RefusedWhileTheBodyArrives_TheAnswerStillReachesTheClient) {
  // A body the server did not read: its answer still reaches the client. (The server
  // drains such a body before it closes; this exchange does not show a reset without it,
  // as the whole request fits in loopback's buffers.)
  const std::string body(200 * 1024, 'x');
  for (const char* extra : {"", "X-Deny: 1\r\n"}) {
    std::string answer = Exchange(server_->address(),
                                  absl::StrCat("POST / HTTP/1.1\r\nHost: h\r\n", extra,
                                               "Content-Length: ", body.size(), "\r\n\r\n", body));
    // Its length is over the limit: refused before the head check runs.
    EXPECT_THAT(answer, HasSubstr("HTTP/1.1 413")) << extra;
    EXPECT_THAT(answer, HasSubstr("RequestEntityTooLargeException")) << extra;
  }
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, HeaderOverTheLimit_431InTheServiceShape) {
  std::string answer = Exchange(
      server_->address(),
      absl::StrCat("GET / HTTP/1.1\r\nHost: h\r\nX-Big: ", std::string(20000, 'a'), "\r\n\r\n"));
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 431"));
  EXPECT_THAT(answer, HasSubstr("\"__type\":\"SerializationException\""));
  EXPECT_THAT(answer, HasSubstr("larger than 16384 bytes"));
}

TEST_F(HttpServerTest, MalformedHttp_400InTheServiceShape) {
  for (const std::string& request : {
           std::string(
               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
           std::string("POST / HTTP/1.1\r\nHost h\r\n\r\n"),
       }) {
    std::string answer = Exchange(server_->address(), request);
    EXPECT_THAT(answer, HasSubstr("HTTP/1.1 400")) << request;
    EXPECT_THAT(answer, HasSubstr("malformed HTTP request")) << request;
  }
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, ExpectContinue_AnsweredBeforeTheBody) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  const std::string address = server_->address();
  const size_t colon = address.rfind(':');
  socket.connect({asio::ip::make_address(address.substr(0, colon)),
                  static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))});
  asio::write(socket,
              asio::buffer(std::string("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                                       "Content-Length: 3\r\nConnection: close\r\n\r\n")));
  // A client that waits for the interim answer before it sends the body.
  asio::streambuf interim;
  asio::read_until(socket, interim, "\r\n\r\n");
  const std::string head(asio::buffers_begin(interim.data()), asio::buffers_end(interim.data()));
  EXPECT_THAT(head, HasSubstr("HTTP/1.1 100 Continue"));
  asio::write(socket, asio::buffer(std::string("abc")));
  boost::system::error_code error;
  asio::read(socket, interim, error);  // to the end of the stream
  const std::string all(asio::buffers_begin(interim.data()), asio::buffers_end(interim.data()));
  EXPECT_THAT(all, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(all, HasSubstr("POST /? 3"));
}

TEST_F(HttpServerTest, AtMostMaxConnections_OthersWaitForOneToClose) {
  namespace asio = boost::asio;
  asio::io_context io;
  const std::string address = server_->address();
  const size_t colon = address.rfind(':');
  const asio::ip::tcp::endpoint endpoint(
      asio::ip::make_address(address.substr(0, colon)),
      static_cast<unsigned short>(std::stoi(address.substr(colon + 1))));
  // Three idle connections fill the server (max_connections 3); each is dropped after
  // the 300 ms read timeout.
  std::vector<asio::ip::tcp::socket> idle;
  for (int i = 0; i < 3; ++i) {
    idle.emplace_back(io).connect(endpoint);
  }
  absl::SleepFor(absl::Milliseconds(50));  // accepted by now
  const auto started = std::chrono::steady_clock::now();
  std::string answer =
      Exchange(address, "GET /fourth HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_THAT(answer, HasSubstr("GET /fourth"));
  // Served only once an idle one had been dropped, not beside them.
  EXPECT_GE(waited, std::chrono::milliseconds(150));
}

TEST(HttpServer, BadAddress_InvalidArgument) {
  auto server = HttpServer::Start("nonsense", {}, {.handler = nullptr, .refuse = RefuseRequest});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("--aws-listen"));
}

}  // namespace
}  // namespace gantry::api::aws
