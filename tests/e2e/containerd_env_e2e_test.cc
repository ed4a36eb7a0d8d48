// The harness for real containers (tests/support/containerd_env.h) checked for real: a
// private containerd that answers gRPC (Version, namespaced Images), a loopback registry
// holding the pushed busybox image (checked with skopeo and tar), and nothing left
// running afterwards. Skipped unless the machine can run containers (root, containerd,
// runc, docker-registry, umoci, skopeo, busybox-static); CI runs it.
#include <signal.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/containerd_env.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
namespace images = ::containerd::services::images::v1;
namespace version = ::containerd::services::version::v1;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kNamespace[] = "gantry-test";

std::string Describe(const CommandResult& r) {
  return absl::StrCat("exit code ", r.exit_code, "\n--- stdout ---\n", r.out, "--- stderr ---\n",
                      r.err);
}

// Runs the tool `name` (found like the harness finds its tools); a harness failure is
// a test failure and comes back as exit code -1.
CommandResult RunTool(const std::string& name, const std::vector<std::string>& args) {
  absl::StatusOr<fs::path> tool = FindExecutable(name);
  if (!tool.ok()) {
    ADD_FAILURE() << tool.status();
    return CommandResult{};
  }
  ProcessOptions options;
  options.argv = {tool->string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(options, "", absl::Seconds(120));
  if (!result.ok()) {
    ADD_FAILURE() << name << " " << absl::StrJoin(args, " ") << ": " << result.status();
    return CommandResult{};
  }
  return *std::move(result);
}

google::protobuf::Struct ParseJsonObject(const std::string& json) {
  google::protobuf::Struct object;
  auto status = google::protobuf::util::JsonStringToMessage(json, &object);
  EXPECT_TRUE(status.ok()) << "not a JSON object: " << status << "\n" << json;
  return object;
}

const google::protobuf::Value& Field(const google::protobuf::Struct& object,
                                     const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end()) {
    ADD_FAILURE() << "no \"" << key << "\" in " << object.DebugString();
    return google::protobuf::Value::default_instance();
  }
  return it->second;
}

std::vector<std::string> StringList(const google::protobuf::Struct& object,
                                    const std::string& key) {
  std::vector<std::string> values;
  for (const google::protobuf::Value& value : Field(object, key).list_value().values()) {
    values.push_back(value.string_value());
  }
  return values;
}

// `skopeo inspect` of `reference` (the manifest summary, or with --config the image
// config) as a JSON object.
google::protobuf::Struct SkopeoInspect(const std::string& reference, bool config) {
  std::vector<std::string> args = {"inspect", "--tls-verify=false"};
  if (config) {
    args.push_back("--config");
  }
  args.push_back("docker://" + reference);
  CommandResult result = RunTool("skopeo", args);
  EXPECT_EQ(result.exit_code, 0) << Describe(result);
  return ParseJsonObject(result.out);
}

// Processes whose command line mentions `text`, as "PID: cmdline" lines.
std::vector<std::string> ProcessesMentioning(const std::string& text) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) {
      continue;
    }
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (absl::StrContains(cmdline, text)) {
      found.push_back(absl::StrCat(pid, ": ", cmdline));
    }
  }
  return found;
}

// The state letter of process `pid` from /proc ('\0' when it is gone).
char ProcessState(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(") ");
  return close == std::string::npos || close + 2 >= stat.size() ? '\0' : stat[close + 2];
}

bool IsGone(pid_t pid) {
  char state = ProcessState(pid);
  return state == '\0' || state == 'Z';
}

// The live children of `pid`.
std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    int child = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &child) || IsGone(child)) {
      continue;
    }
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(") ");
    std::vector<std::string> fields;
    if (close != std::string::npos) {
      fields = absl::StrSplit(stat.substr(close + 2), ' ');
    }
    int parent = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &parent) && parent == pid) {
      children.push_back(child);
    }
  }
  return children;
}

// Polls `done` every 10 ms for up to 5 s.
template <typename Predicate>
bool Eventually(Predicate done) {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!done()) {
    if (absl::Now() >= deadline) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// A stand-in for a containerd shim: a bash whose command line reads like a shim's
// (`containerd-shim-runc-v2 ... -address SOCKET`) running `script`.
std::unique_ptr<Subprocess> StartFakeShim(const std::string& address, const std::string& script) {
  absl::StatusOr<fs::path> bash = FindExecutable("bash");
  if (!bash.ok()) {
    ADD_FAILURE() << bash.status();
    return nullptr;
  }
  ProcessOptions options;
  options.argv = {bash->string(), "-c",
                  absl::StrCat("exec -a containerd-shim-runc-v2 ", bash->string(), " -c '", script,
                               "' shim -namespace gantry-test -id fake -address ", address)};
  options.pipe_stdin = true;
  absl::StatusOr<std::unique_ptr<Subprocess>> shim = Subprocess::Start(options);
  if (!shim.ok()) {
    ADD_FAILURE() << shim.status();
    return nullptr;
  }
  return *std::move(shim);
}

// Mount points below `dir`, from /proc/self/mountinfo.
std::vector<std::string> MountsBelow(const fs::path& dir) {
  std::vector<std::string> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4 && absl::StartsWith(fields[4], dir.string() + "/")) {
      mounts.push_back(fields[4]);
    }
  }
  return mounts;
}

std::shared_ptr<grpc::Channel> ChannelTo(const ContainerdEnv& env) {
  return grpc::CreateChannel("unix://" + env.containerd_address(),
                             grpc::InsecureChannelCredentials());
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
}

// One environment for the suite: starting containerd and the registry is the slow part.
class ContainerdEnvE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::Status prerequisites = CheckContainerdPrerequisites();
    if (!prerequisites.ok()) {
      skip_reason_ = std::string(prerequisites.message());
      return;
    }
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-ctd");
    if (!dir.ok()) {
      start_error_ = dir.status().ToString();
      return;
    }
    dir_ = std::make_unique<TempDir>(*std::move(dir));
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<ContainerdEnv>> env = ContainerdEnv::Start(dir_->path());
    if (!env.ok()) {
      start_error_ = env.status().ToString();
      return;
    }
    env_ = *std::move(env);
    std::fprintf(stderr, "containerd_env: containerd %s and registry %s answered after %s\n",
                 env_->containerd_address().c_str(), env_->registry().c_str(),
                 absl::FormatDuration(absl::Now() - start).c_str());
  }

  static void TearDownTestSuite() {
    env_.reset();
    dir_.reset();
  }

  void SetUp() override {
    if (!skip_reason_.empty()) {
      GTEST_SKIP() << skip_reason_;
    }
    ASSERT_EQ(start_error_, "");
    ASSERT_NE(env_, nullptr);
  }

  static inline std::string skip_reason_;
  static inline std::string start_error_;
  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<ContainerdEnv> env_;
};

TEST_F(ContainerdEnvE2eTest, VersionService_AnswersWithVersion) {
  auto stub = version::Version::NewStub(ChannelTo(*env_));
  grpc::ClientContext context;
  SetDeadline(&context);
  version::VersionResponse response;
  grpc::Status status = stub->Version(&context, google::protobuf::Empty(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << env_->ContainerdLogTail();
  EXPECT_NE(response.version(), "");
}

TEST_F(ContainerdEnvE2eTest, ImagesService_WithNamespaceHeader_ListsNothingYet) {
  auto stub = images::Images::NewStub(ChannelTo(*env_));
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    context.AddMetadata("containerd-namespace", kNamespace);
    images::ListImagesResponse response;
    grpc::Status status = stub->List(&context, images::ListImagesRequest(), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.images_size(), 0) << response.DebugString();
  }
  // The header is what made the call work: containerd refuses a call without one.
  grpc::ClientContext context;
  SetDeadline(&context);
  images::ListImagesResponse response;
  grpc::Status status = stub->List(&context, images::ListImagesRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("namespace"));
}

TEST_F(ContainerdEnvE2eTest, PushBusyboxImage_RegistryServesManifestLayerAndConfig) {
  std::vector<std::string> cmd = {"sh", "-c", "echo hello; sleep 1000"};
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> reference = env_->PushBusyboxImage("smoke/busybox", "v1", cmd);
  ASSERT_TRUE(reference.ok()) << reference.status();
  std::fprintf(stderr, "containerd_env: built and pushed %s in %s\n", reference->c_str(),
               absl::FormatDuration(absl::Now() - start).c_str());
  EXPECT_EQ(*reference, absl::StrCat(env_->registry(), "/smoke/busybox:v1"));

  google::protobuf::Struct manifest = SkopeoInspect(*reference, /*config=*/false);
  EXPECT_THAT(Field(manifest, "Digest").string_value(), MatchesRegex("sha256:[0-9a-f]{64}"));
  EXPECT_THAT(StringList(manifest, "Layers"), ElementsAre(MatchesRegex("sha256:[0-9a-f]{64}")));
  EXPECT_THAT(StringList(manifest, "RepoTags"), ElementsAre("v1"));

  google::protobuf::Struct config = SkopeoInspect(*reference, /*config=*/true);
  const google::protobuf::Struct& runtime = Field(config, "config").struct_value();
  EXPECT_THAT(StringList(runtime, "Cmd"), ElementsAre("sh", "-c", "echo hello; sleep 1000"));
  EXPECT_THAT(StringList(runtime, "Env"), ElementsAre("PATH=/bin"));
  EXPECT_EQ(Field(config, "os").string_value(), "linux");
}

TEST_F(ContainerdEnvE2eTest, PushBusyboxImage_LayerHoldsBusyboxUsersAndTmp) {
  absl::StatusOr<std::string> reference =
      env_->PushBusyboxImage("smoke/layer", "v1", {"sleep", "1000"});
  ASSERT_TRUE(reference.ok()) << reference.status();
  fs::path out = dir_->path() / "pulled-layer";
  CommandResult copied = RunTool("skopeo", {"--insecure-policy", "copy", "--src-tls-verify=false",
                                            "docker://" + *reference, "dir:" + out.string()});
  ASSERT_EQ(copied.exit_code, 0) << Describe(copied);
  std::vector<std::string> layers = StringList(SkopeoInspect(*reference, false), "Layers");
  ASSERT_EQ(layers.size(), 1u);
  std::string blob = (out / std::string(absl::StripPrefix(layers[0], "sha256:"))).string();
  CommandResult listing = RunTool("tar", {"-tvzf", blob, "--numeric-owner"});
  ASSERT_EQ(listing.exit_code, 0) << Describe(listing);

  // "MODE UID/GID SIZE DATE TIME NAME[ -> TARGET]"; everything is owned by root.
  std::map<std::string, std::string> mode_of;
  for (absl::string_view line : absl::StrSplit(listing.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    ASSERT_GE(fields.size(), 6u) << line;
    EXPECT_EQ(fields[1], "0/0") << line;
    mode_of[fields[5]] = fields[0];
  }
  EXPECT_EQ(mode_of["tmp/"], "drwxrwxrwt");
  EXPECT_EQ(mode_of["bin/busybox"], "-rwxr-xr-x");
  for (const char* applet :
       {"sh", "sleep", "cat", "echo", "wget", "httpd", "grep", "ip", "ifconfig"}) {
    EXPECT_EQ(mode_of[absl::StrCat("bin/", applet)], "lrwxrwxrwx") << applet;
  }
  EXPECT_THAT(listing.out, HasSubstr("bin/sh -> busybox"));
  EXPECT_EQ(mode_of["etc/passwd"], "-rw-r--r--");
  EXPECT_EQ(mode_of["etc/group"], "-rw-r--r--");
}

TEST_F(ContainerdEnvE2eTest, PushBusyboxImage_SameImageAgain_ReturnsAtOnceWithSameDigest) {
  absl::StatusOr<std::string> first = env_->PushBusyboxImage("smoke/cached", "v1", {"true"});
  ASSERT_TRUE(first.ok()) << first.status();
  std::string digest = Field(SkopeoInspect(*first, false), "Digest").string_value();
  // A rebuild would get a new digest (umoci stamps the creation time into the config).
  absl::StatusOr<std::string> again = env_->PushBusyboxImage("smoke/cached", "v1", {"true"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(Field(SkopeoInspect(*again, false), "Digest").string_value(), digest);
  // Another cmd under the same tag is another image.
  absl::StatusOr<std::string> changed = env_->PushBusyboxImage("smoke/cached", "v1", {"false"});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_THAT(StringList(Field(SkopeoInspect(*changed, true), "config").struct_value(), "Cmd"),
              ElementsAre("false"));
}

TEST_F(ContainerdEnvE2eTest, PushBusyboxImage_BadNameOrTag_IsInvalidArgument) {
  struct Case {
    std::string name;
    std::string tag;
    std::string want;
  };
  const Case cases[] = {
      {"Upper/case", "v1", "name: \"Upper/case\""},
      {"a//b", "v1", "name: \"a//b\""},
      {"", "v1", "name: \"\""},
      {"ok", "-v1", "tag: \"-v1\""},
      {"ok", "a:b", "tag: \"a:b\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + ":" + c.tag);
    absl::StatusOr<std::string> reference = env_->PushBusyboxImage(c.name, c.tag, {});
    EXPECT_EQ(reference.status().code(), absl::StatusCode::kInvalidArgument) << reference.status();
    EXPECT_THAT(reference.status().message(), HasSubstr(c.want));
  }
}

TEST(ContainerdEnvLifetime, Destructor_StopsEverythingItStarted) {
  absl::Status prerequisites = CheckContainerdPrerequisites();
  if (!prerequisites.ok()) {
    GTEST_SKIP() << prerequisites.message();
  }
  absl::StatusOr<TempDir> dir = TempDir::Create("gantry-ctd");
  ASSERT_TRUE(dir.ok()) << dir.status();
  absl::StatusOr<std::unique_ptr<ContainerdEnv>> env = ContainerdEnv::Start(dir->path());
  ASSERT_TRUE(env.ok()) << env.status();
  // containerd and the registry name their config files below the directory.
  EXPECT_EQ(ProcessesMentioning(dir->path().string()).size(), 2u)
      << absl::StrJoin(ProcessesMentioning(dir->path().string()), "\n");
  std::string address = (*env)->containerd_address();
  absl::Time start = absl::Now();
  env->reset();
  std::fprintf(stderr, "containerd_env: stopped in %s\n",
               absl::FormatDuration(absl::Now() - start).c_str());
  EXPECT_THAT(ProcessesMentioning(dir->path().string()), ::testing::IsEmpty());
  EXPECT_THAT(ProcessesMentioning(address), ::testing::IsEmpty());
}

TEST(ContainerdEnvLifetime, Destructor_KillsShimsOfItsSocketAndUnmountsBelowDir) {
  absl::Status prerequisites = CheckContainerdPrerequisites();
  if (!prerequisites.ok()) {
    GTEST_SKIP() << prerequisites.message();
  }
  absl::StatusOr<TempDir> dir = TempDir::Create("gantry-ctd");
  ASSERT_TRUE(dir.ok()) << dir.status();
  absl::StatusOr<std::unique_ptr<ContainerdEnv>> env = ContainerdEnv::Start(dir->path());
  ASSERT_TRUE(env.ok()) << env.status();

  // Ours, with a "container" below it; another containerd's, which must survive.
  std::unique_ptr<Subprocess> ours =
      StartFakeShim((*env)->containerd_address(), "sleep 1000; true");
  std::unique_ptr<Subprocess> theirs = StartFakeShim("/run/elsewhere/containerd.sock", "read");
  ASSERT_NE(ours, nullptr);
  ASSERT_NE(theirs, nullptr);
  std::vector<pid_t> container;
  ASSERT_TRUE(Eventually([&] { return !(container = ChildrenOf(ours->pid())).empty(); }));
  // A rootfs left mounted by a killed shim.
  fs::path rootfs = dir->path() / "containerd" / "state" / "fake-rootfs";
  ASSERT_TRUE(fs::create_directories(rootfs));
  ASSERT_EQ(::mount("tmpfs", rootfs.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  ASSERT_THAT(MountsBelow(dir->path()), ElementsAre(rootfs.string()));

  env->reset();
  absl::StatusOr<int> exit_code = ours->Wait(absl::Seconds(5));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 128 + SIGKILL);
  EXPECT_TRUE(Eventually([&] { return std::all_of(container.begin(), container.end(), IsGone); }));
  EXPECT_EQ(theirs->Wait(absl::ZeroDuration()).status().code(), absl::StatusCode::kDeadlineExceeded)
      << "a shim of another containerd was stopped";
  EXPECT_THAT(MountsBelow(dir->path()), ::testing::IsEmpty());
}

}  // namespace
}  // namespace gantry::testing
