#include "agent/containerd/image_ref.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent::containerd {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kDigest = "sha256:" + kHex;

struct GoodCase {
  std::string name;
  std::string reference;
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
  std::string want_name;
  std::string want_reference;
};

TEST(ParseImageRef, ValidReferences_ParseAndNormalise) {
  const std::vector<GoodCase> cases = {
      {"hub official image", "busybox", "registry-1.docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "latest"},
      {"hub with library and tag", "library/busybox:1.36", "registry-1.docker.io",
       "library/busybox", "1.36", "", "docker.io/library/busybox:1.36", "1.36"},
      {"hub user repository", "gantry/busybox", "registry-1.docker.io", "gantry/busybox", "latest",
       "", "docker.io/gantry/busybox:latest", "latest"},
      {"docker.io spelled out", "docker.io/busybox:1", "registry-1.docker.io", "library/busybox",
       "1", "", "docker.io/library/busybox:1", "1"},
      {"index.docker.io", "index.docker.io/library/nginx:1.25-alpine", "registry-1.docker.io",
       "library/nginx", "1.25-alpine", "", "docker.io/library/nginx:1.25-alpine", "1.25-alpine"},
      {"ip and port", "127.0.0.1:5000/gantry/busybox:v1", "127.0.0.1:5000", "gantry/busybox", "v1",
       "", "127.0.0.1:5000/gantry/busybox:v1", "v1"},
      {"localhost", "localhost/x", "localhost", "x", "latest", "", "localhost/x:latest", "latest"},
      {"localhost with port", "localhost:5000/x:Tag_1.a-b", "localhost:5000", "x", "Tag_1.a-b", "",
       "localhost:5000/x:Tag_1.a-b", "Tag_1.a-b"},
      {"separators", "registry.example.com/a.b/c__d/e---f/g_h", "registry.example.com",
       "a.b/c__d/e---f/g_h", "latest", "", "registry.example.com/a.b/c__d/e---f/g_h:latest",
       "latest"},
      {"digest only", "ghcr.io/a/b@" + kDigest, "ghcr.io", "a/b", "", kDigest,
       "ghcr.io/a/b@" + kDigest, kDigest},
      {"tag and digest", "a/b:tag@" + kDigest, "registry-1.docker.io", "a/b", "tag", kDigest,
       "docker.io/a/b@" + kDigest, kDigest},
      {"no registry port confusion", "localhost:5000", "registry-1.docker.io", "library/localhost",
       "5000", "", "docker.io/library/localhost:5000", "5000"},
  };
  for (const GoodCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ImageRef> ref = ParseImageRef(c.reference);
    ASSERT_THAT(ref, IsOk());
    EXPECT_EQ(ref->registry, c.registry);
    EXPECT_EQ(ref->repository, c.repository);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest, c.digest);
    EXPECT_EQ(ref->Name(), c.want_name);
    EXPECT_EQ(ref->Reference(), c.want_reference);
  }
}

struct BadCase {
  std::string name;
  std::string reference;
  std::string message;
};

TEST(ParseImageRef, InvalidReferences_ReturnInvalidArgumentNamingTheProblem) {
  const std::vector<BadCase> cases = {
      {"empty", "", "the reference is empty"},
      {"upper-case repository", "UPPER/x", "repository \"UPPER/x\" must be lower case"},
      {"upper-case component", "ghcr.io/a/B", "repository \"a/B\" must be lower case"},
      {"empty tag", "x:", "tag \"\" is not valid"},
      {"tag with space", "x:bad tag", "tag \"bad tag\" is not valid"},
      {"tag starting with dot", "x:.v1", "tag \".v1\" is not valid"},
      {"tag too long", "x:" + std::string(129, 'a'), "is not valid; use 1 to 128"},
      {"short digest", "x@sha256:short", "digest \"sha256:short\" is not valid"},
      {"upper-case digest", "x@sha256:" + std::string(64, 'A'), "digest"},
      {"other algorithm", "x@sha512:" + kHex, "digest"},
      {"empty digest", "x@", "digest \"\" is not valid"},
      {"no name", ":tag", "the repository name is empty"},
      {"no name before digest", "@" + kDigest, "the repository name is empty"},
      {"empty component", "a//b", "repository \"a//b\" is not valid"},
      {"trailing slash", "ghcr.io/", "repository \"\" is not valid"},
      {"leading separator", "-a", "repository \"-a\" is not valid"},
      {"trailing separator", "a-", "repository \"a-\" is not valid"},
      {"triple underscore", "a___b", "repository \"a___b\" is not valid"},
      {"port not a number", "host:port/x", "registry \"host:port\" is not a host name"},
      {"bad host", "-bad.example.com/x", "registry \"-bad.example.com\""},
      {"name too long", std::string(256, 'a'), "256 characters long; use at most 255"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseImageRef(c.reference),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(Sha256Digest, KnownVectors_Match) {
  EXPECT_EQ(Sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ChainIds, Stacks_FollowTheOciChainIdRule) {
  EXPECT_THAT(ChainIds({}), IsEmpty());
  EXPECT_THAT(ChainIds({"sha256:a"}), ElementsAre("sha256:a"));
  const std::string second = Sha256Digest("sha256:a sha256:b");
  EXPECT_THAT(ChainIds({"sha256:a", "sha256:b"}), ElementsAre("sha256:a", second));
  EXPECT_THAT(ChainIds({"sha256:a", "sha256:b", "sha256:c"}),
              ElementsAre("sha256:a", second, Sha256Digest(second + " sha256:c")));
}

}  // namespace
}  // namespace gantry::agent::containerd
