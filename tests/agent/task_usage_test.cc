// agent/containerd/task_usage.h: the parsers on control-file text shaped like a real
// host's, ReadTaskCgroupUsage on fake v1 and v2 trees in a temporary directory, and once
// on this machine's /sys/fs/cgroup (root and cgroup v1 only).
#include "agent/containerd/task_usage.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent::containerd {
namespace {

namespace fs = std::filesystem;

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

// memory.stat of a v1 memory cgroup (this host's root cgroup, the counters scaled down to
// one task). The plain keys are the cgroup's own pages, the total_ ones its subtree's.
constexpr char kV1MemoryStat[] = R"(cache 10887168
rss 5185536
rss_huge 0
shmem 9084928
mapped_file 7569408
dirty 20480
writeback 0
workingset_refault_anon 0
workingset_refault_file 8902
swap 0
swapcached 0
pgpgin 399080
pgpgout 395156
pgfault 617039
pgmajfault 0
inactive_anon 0
active_anon 1531904
inactive_file 24576
active_file 1777664
unevictable 0
hierarchical_memory_limit 536870912
hierarchical_memsw_limit 9223372036854771712
total_cache 10887168
total_rss 5185536
total_rss_huge 0
total_shmem 9084928
total_mapped_file 7569408
total_dirty 20480
total_writeback 0
total_workingset_refault_anon 0
total_workingset_refault_file 8902
total_swap 0
total_swapcached 0
total_pgpgin 399080
total_pgpgout 395156
total_pgfault 617039
total_pgmajfault 0
total_inactive_anon 0
total_active_anon 1531904
total_inactive_file 1048576
total_active_file 1777664
total_unevictable 0
)";

// blkio.throttle.io_service_bytes_recursive with two devices: per device Read, Write,
// Sync, Async, Discard and Total rows, then the grand Total.
constexpr char kV1Blkio[] = R"(8:0 Read 1679360
8:0 Write 1069056
8:0 Sync 2748416
8:0 Async 0
8:0 Discard 0
8:0 Total 2748416
253:0 Read 4096
253:0 Write 8192
253:0 Sync 12288
253:0 Async 0
253:0 Discard 0
253:0 Total 12288
Total 2760704
)";
constexpr uint64_t kV1BlkioRead = 1679360 + 4096;
constexpr uint64_t kV1BlkioWrite = 1069056 + 8192;

// What this host shows where no device did I/O.
constexpr char kV1BlkioIdle[] = "Total 0\n";

constexpr char kV2CpuStat[] = R"(usage_usec 113279179
user_usec 95488415
system_usec 17790764
nr_periods 12
nr_throttled 3
throttled_usec 4521
nr_bursts 0
burst_usec 0
)";

constexpr char kV2MemoryStat[] = R"(anon 2838528
file 10887168
kernel 1228800
kernel_stack 65536
pagetables 126976
sock 0
shmem 0
file_mapped 7569408
file_dirty 20480
file_writeback 0
swapcached 0
anon_thp 0
inactive_anon 0
active_anon 2838528
inactive_file 4096000
active_file 6791168
unevictable 0
slab_reclaimable 651224
slab_unreclaimable 318944
slab 970168
pgfault 61749
pgmajfault 0
)";

constexpr char kV2IoStat[] =
    "8:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
    "253:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n";
constexpr uint64_t kV2IoRead = 1459200 + 4096;
constexpr uint64_t kV2IoWrite = 314773504 + 8192;

// ---- ParseSingleValue ----

struct SingleValueCase {
  const char* name;
  std::string text;
  absl::StatusCode want_code;
  uint64_t want_value;
  const char* want_message;
};

TEST(ParseSingleValue, Table) {
  const SingleValueCase cases[] = {
      {"cpuacct.usage", "113403665976990\n", absl::StatusCode::kOk, 113403665976990, ""},
      {"zero", "0\n", absl::StatusCode::kOk, 0, ""},
      {"no newline", "4096", absl::StatusCode::kOk, 4096, ""},
      {"largest", "18446744073709551615\n", absl::StatusCode::kOk, kMaxU64, ""},
      {"empty", "", absl::StatusCode::kInvalidArgument, 0, "got \"\""},
      {"blank line", "\n", absl::StatusCode::kInvalidArgument, 0, "got \"\""},
      {"v2 memory.max", "max\n", absl::StatusCode::kInvalidArgument, 0, "got \"max\""},
      {"two numbers", "1 2\n", absl::StatusCode::kInvalidArgument, 0, "got \"1 2\""},
      {"negative", "-1\n", absl::StatusCode::kInvalidArgument, 0, "got \"-1\""},
      {"plus sign", "+5\n", absl::StatusCode::kInvalidArgument, 0, "got \"+5\""},
      {"overflow", "18446744073709551616\n", absl::StatusCode::kInvalidArgument, 0,
       "unsigned 64-bit"},
      {"binary",
       std::string("1\0"
                   "2",
                   3),
       absl::StatusCode::kInvalidArgument, 0, "\\x00"},
  };
  for (const SingleValueCase& c : cases) {
    SCOPED_TRACE(c.name);
    const absl::StatusOr<uint64_t> got = ParseSingleValue(c.text);
    EXPECT_THAT(got, StatusIs(c.want_code, c.want_message));
    if (got.ok()) {
      EXPECT_EQ(*got, c.want_value);
    }
  }
}

// ---- ParseKeyedValue ----

struct KeyedValueCase {
  const char* name;
  std::string text;
  std::string key;
  absl::StatusCode want_code;
  uint64_t want_value;
  const char* want_message;
};

TEST(ParseKeyedValue, Table) {
  const KeyedValueCase cases[] = {
      {"v1 subtree inactive file", kV1MemoryStat, "total_inactive_file", absl::StatusCode::kOk,
       1048576, ""},
      {"whole key, not a suffix of total_", kV1MemoryStat, "inactive_file", absl::StatusCode::kOk,
       24576, ""},
      {"first line", kV1MemoryStat, "cache", absl::StatusCode::kOk, 10887168, ""},
      {"last line without newline", "a 1\nb 2", "b", absl::StatusCode::kOk, 2, ""},
      {"huge value", kV1MemoryStat, "hierarchical_memsw_limit", absl::StatusCode::kOk,
       9223372036854771712u, ""},
      {"v2 cpu.stat", kV2CpuStat, "usage_usec", absl::StatusCode::kOk, 113279179, ""},
      {"v2 memory.stat", kV2MemoryStat, "inactive_file", absl::StatusCode::kOk, 4096000, ""},
      {"tabs and extra blanks", "usage_usec\t 7 \n", "usage_usec", absl::StatusCode::kOk, 7, ""},
      {"v1 key in v2 memory.stat", kV2MemoryStat, "total_inactive_file",
       absl::StatusCode::kNotFound, 0, "\"total_inactive_file\" not found"},
      {"prefix of a key", kV2CpuStat, "usage", absl::StatusCode::kNotFound, 0, "\"usage\""},
      {"empty file", "", "usage_usec", absl::StatusCode::kNotFound, 0, "\"usage_usec\""},
      {"no value", "usage_usec\n", "usage_usec", absl::StatusCode::kInvalidArgument, 0,
       "key \"usage_usec\": expected one unsigned 64-bit number, got \"usage_usec\""},
      {"two values", "usage_usec 1 2\n", "usage_usec", absl::StatusCode::kInvalidArgument, 0,
       "got \"usage_usec 1 2\""},
      {"not a number", "inactive_file lots\n", "inactive_file", absl::StatusCode::kInvalidArgument,
       0, "\"inactive_file\""},
      {"negative", "inactive_file -4096\n", "inactive_file", absl::StatusCode::kInvalidArgument, 0,
       "-4096"},
  };
  for (const KeyedValueCase& c : cases) {
    SCOPED_TRACE(c.name);
    const absl::StatusOr<uint64_t> got = ParseKeyedValue(c.text, c.key);
    EXPECT_THAT(got, StatusIs(c.want_code, c.want_message));
    if (got.ok()) {
      EXPECT_EQ(*got, c.want_value);
    }
  }
}

// ---- ParseBlkioServiceBytes and ParseIoStat ----

struct IoCase {
  const char* name;
  std::string text;
  uint64_t want_read;
  uint64_t want_write;
};

TEST(ParseBlkioServiceBytes, Table) {
  const IoCase cases[] = {
      {"two devices", kV1Blkio, kV1BlkioRead, kV1BlkioWrite},
      {"idle host", kV1BlkioIdle, 0, 0},
      {"empty", "", 0, 0},
      {"only Total and Sync rows", "8:0 Sync 100\n8:0 Total 100\nTotal 100\n", 0, 0},
      {"malformed rows ignored",
       "8:0 Read lots\n8:0 Read -5\n8:0 Read\nRead 7\n8:0 Write 10 extra\nnonsense\n"
       "8:0 Read 3\n8:0 Write 4\n",
       3, 4},
      {"sums saturate", "8:0 Read 18446744073709551615\n8:16 Read 1\n", kMaxU64, 0},
  };
  for (const IoCase& c : cases) {
    SCOPED_TRACE(c.name);
    const IoBytes got = ParseBlkioServiceBytes(c.text);
    EXPECT_EQ(got.read, c.want_read);
    EXPECT_EQ(got.write, c.want_write);
  }
}

TEST(ParseIoStat, Table) {
  const IoCase cases[] = {
      {"two devices", kV2IoStat, kV2IoRead, kV2IoWrite},
      {"no I/O yet", "", 0, 0},
      {"other fields only", "8:0 rios=1 wios=2 dbytes=3 dios=4\n", 0, 0},
      {"fields in any order", "8:0 wbytes=2 rbytes=1\n", 1, 2},
      {"malformed fields ignored", "8:0 rbytes=x wbytes=5 rbytes=\n8:16 rbytes=-1 wbytes=6\n", 0,
       11},
      {"no trailing newline", "8:0 rbytes=9 wbytes=8", 9, 8},
  };
  for (const IoCase& c : cases) {
    SCOPED_TRACE(c.name);
    const IoBytes got = ParseIoStat(c.text);
    EXPECT_EQ(got.read, c.want_read);
    EXPECT_EQ(got.write, c.want_write);
  }
}

// ---- ReadTaskCgroupUsage on fake trees ----

// A directory from mkdtemp, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string name = (fs::temp_directory_path() / "gantry-task-usage-XXXXXX").string();
    if (::mkdtemp(name.data()) != nullptr) {
      path_ = name;
    }
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code error;
      fs::remove_all(path_, error);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty when mkdtemp failed.
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Control files to lay out below the root: relative path, content.
using Files = std::vector<std::pair<std::string, std::string>>;

bool WriteTree(const fs::path& root, const Files& files) {
  for (const auto& [relative, text] : files) {
    const fs::path path = root / relative;
    std::error_code error;
    fs::create_directories(path.parent_path(), error);
    std::ofstream file(path, std::ios::binary);
    file << text;
    file.close();
    if (error || !file) {
      return false;
    }
  }
  return true;
}

// A v1 task "t1" whose cpuacct.usage sits in the hierarchy `cpuacct`, with memory
// 9 MiB used of which 1 MiB inactive file cache, and I/O on two devices.
Files V1Task(const std::string& cpuacct) {
  return {
      {"memory/gantry/t1/memory.usage_in_bytes", "9437184\n"},
      {"memory/gantry/t1/memory.stat", kV1MemoryStat},
      {cpuacct + "/gantry/t1/cpuacct.usage", "2500000000\n"},
      {"blkio/gantry/t1/blkio.throttle.io_service_bytes_recursive", kV1Blkio},
  };
}

Files Without(Files files, const std::string& relative) {
  std::erase_if(files, [&](const auto& file) { return file.first == relative; });
  return files;
}

Files With(Files files, const Files& more) {
  files.insert(files.end(), more.begin(), more.end());
  return files;
}

// A v2 task "t1": 16 MiB of memory of which 4096000 bytes inactive file cache.
Files V2Task() {
  return {
      {"cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n"},
      {"gantry/t1/cpu.stat", kV2CpuStat},
      {"gantry/t1/memory.current", "16777216\n"},
      {"gantry/t1/memory.stat", kV2MemoryStat},
      {"gantry/t1/io.stat", kV2IoStat},
  };
}

constexpr CgroupUsage kV1Usage = {2500000000, 9437184 - 1048576, kV1BlkioRead, kV1BlkioWrite};
constexpr CgroupUsage kV1NoIo = {2500000000, 9437184 - 1048576, 0, 0};
constexpr CgroupUsage kV2Usage = {113279179000, 16777216 - 4096000, kV2IoRead, kV2IoWrite};

struct TreeCase {
  const char* name;
  Files files;
  absl::StatusCode want_code;
  const char* want_message;  // a substring; paths are relative to the temporary root
  CgroupUsage want;
};

TEST(ReadTaskCgroupUsage, FakeTrees) {
  const std::string kBlkioRecursive = "blkio/gantry/t1/blkio.throttle.io_service_bytes_recursive";
  const TreeCase cases[] = {
      {"v1 own cpuacct hierarchy", V1Task("cpuacct"), absl::StatusCode::kOk, "", kV1Usage},
      {"v1 cpu,cpuacct co-mounted", V1Task("cpu,cpuacct"), absl::StatusCode::kOk, "", kV1Usage},
      {"v1 cpuacct co-mounted as cpu", V1Task("cpu"), absl::StatusCode::kOk, "", kV1Usage},
      {"v1 cpuacct hierarchy preferred to cpu",
       With(V1Task("cpuacct"), {{"cpu/gantry/t1/cpuacct.usage", "7\n"}}), absl::StatusCode::kOk, "",
       kV1Usage},
      {"v1 non-recursive blkio when recursive is missing",
       With(Without(V1Task("cpuacct"), kBlkioRecursive),
            {{"blkio/gantry/t1/blkio.throttle.io_service_bytes", kV1Blkio}}),
       absl::StatusCode::kOk, "", kV1Usage},
      {"v1 recursive blkio preferred",
       With(V1Task("cpuacct"),
            {{"blkio/gantry/t1/blkio.throttle.io_service_bytes", "8:0 Read 1\n"}}),
       absl::StatusCode::kOk, "", kV1Usage},
      {"v1 no blkio hierarchy: zero I/O", Without(V1Task("cpuacct"), kBlkioRecursive),
       absl::StatusCode::kOk, "", kV1NoIo},
      {"v1 no blkio cgroup of the task: zero I/O",
       With(Without(V1Task("cpuacct"), kBlkioRecursive),
            {{"blkio/gantry/other/blkio.throttle.io_service_bytes_recursive", kV1Blkio}}),
       absl::StatusCode::kOk, "", kV1NoIo},
      {"v1 inactive file above usage: 0, not a wrap-around",
       With(Without(V1Task("cpuacct"), "memory/gantry/t1/memory.usage_in_bytes"),
            {{"memory/gantry/t1/memory.usage_in_bytes", "1048575\n"}}),
       absl::StatusCode::kOk,
       "",
       {2500000000, 0, kV1BlkioRead, kV1BlkioWrite}},
      {"v1 no memory cgroup of the task",
       Without(Without(V1Task("cpuacct"), "memory/gantry/t1/memory.usage_in_bytes"),
               "memory/gantry/t1/memory.stat"),
       absl::StatusCode::kNotFound,
       "memory/gantry/t1/memory.usage_in_bytes",
       {}},
      {"v1 no cpuacct cgroup of the task",
       With(Without(V1Task("cpuacct"), "cpuacct/gantry/t1/cpuacct.usage"),
            {{"cpuacct/gantry/other/cpuacct.usage", "1\n"}}),
       absl::StatusCode::kNotFound,
       "cpuacct/gantry/t1/cpuacct.usage",
       {}},
      {"v1 no cpuacct hierarchy",
       Without(V1Task("cpuacct"), "cpuacct/gantry/t1/cpuacct.usage"),
       absl::StatusCode::kNotFound,
       "no cpuacct hierarchy",
       {}},
      {"v1 unparsable cpuacct.usage",
       With(Without(V1Task("cpuacct"), "cpuacct/gantry/t1/cpuacct.usage"),
            {{"cpuacct/gantry/t1/cpuacct.usage", "soon\n"}}),
       absl::StatusCode::kInternal,
       "cpuacct/gantry/t1/cpuacct.usage: expected one unsigned",
       {}},
      {"v1 memory.stat without total_inactive_file",
       With(Without(V1Task("cpuacct"), "memory/gantry/t1/memory.stat"),
            {{"memory/gantry/t1/memory.stat", "cache 0\ninactive_file 0\n"}}),
       absl::StatusCode::kInternal,
       "memory/gantry/t1/memory.stat: key \"total_inactive_file\"",
       {}},
      {"v2", V2Task(), absl::StatusCode::kOk, "", kV2Usage},
      {"v2 no io.stat: zero I/O",
       Without(V2Task(), "gantry/t1/io.stat"),
       absl::StatusCode::kOk,
       "",
       {113279179000, 16777216 - 4096000, 0, 0}},
      {"v2 inactive file above usage: 0, not a wrap-around",
       With(Without(V2Task(), "gantry/t1/memory.current"),
            {{"gantry/t1/memory.current", "4095999\n"}}),
       absl::StatusCode::kOk,
       "",
       {113279179000, 0, kV2IoRead, kV2IoWrite}},
      {"v2 no cgroup of the task, v1 layout beside it ignored",
       With({{"cgroup.controllers", "cpu io memory\n"}, {"gantry/other/memory.current", "1\n"}},
            V1Task("cpuacct")),
       absl::StatusCode::kNotFound,
       "gantry/t1/memory.current",
       {}},
      {"v2 cpu.stat without usage_usec",
       With(Without(V2Task(), "gantry/t1/cpu.stat"), {{"gantry/t1/cpu.stat", "nr_periods 0\n"}}),
       absl::StatusCode::kInternal,
       "gantry/t1/cpu.stat: key \"usage_usec\" not found",
       {}},
  };
  for (const TreeCase& c : cases) {
    SCOPED_TRACE(c.name);
    const TempDir root;
    ASSERT_FALSE(root.path().empty()) << "mkdtemp failed";
    ASSERT_TRUE(WriteTree(root.path(), c.files));
    const absl::StatusOr<CgroupUsage> got = ReadTaskCgroupUsage("t1", root.path().string());
    EXPECT_THAT(got, StatusIs(c.want_code, c.want_message));
    if (got.ok()) {
      EXPECT_EQ(got->cpu_usage_ns, c.want.cpu_usage_ns);
      EXPECT_EQ(got->memory_used_bytes, c.want.memory_used_bytes);
      EXPECT_EQ(got->storage_read_bytes, c.want.storage_read_bytes);
      EXPECT_EQ(got->storage_write_bytes, c.want.storage_write_bytes);
    }
  }
}

TEST(ReadTaskCgroupUsage, TaskIdNotOnePathComponent_ReturnsInvalidArgument) {
  const TempDir root;
  ASSERT_FALSE(root.path().empty()) << "mkdtemp failed";
  // "../t1" would otherwise read memory/t1, which exists here.
  ASSERT_TRUE(
      WriteTree(root.path(), With(V1Task("cpuacct"), {
                                                         {"memory/t1/memory.usage_in_bytes", "1\n"},
                                                         {"memory/t1/memory.stat", kV1MemoryStat},
                                                         {"cpuacct/t1/cpuacct.usage", "1\n"},
                                                     })));
  const std::vector<std::string> ids = {
      "", ".", "..", "../t1", "t1/", "a/b", std::string("t1\0x", 4)};
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    EXPECT_THAT(ReadTaskCgroupUsage(id, root.path().string()),
                StatusIs(absl::StatusCode::kInvalidArgument, "must be one path component"));
  }
  EXPECT_THAT(ReadTaskCgroupUsage("t1", root.path().string()), IsOk());
}

// ---- ReadTaskCgroupUsage on this machine ----

// Cgroup directories made by the test, removed (rmdir) newest first at scope exit.
class MadeCgroups {
 public:
  MadeCgroups() = default;
  MadeCgroups(const MadeCgroups&) = delete;
  MadeCgroups& operator=(const MadeCgroups&) = delete;
  ~MadeCgroups() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
      // A "gantry" directory the agent started using meanwhile is busy and stays.
      std::error_code error;
      fs::remove(*it, error);
    }
  }

  // Makes `path` if it does not exist; false on failure.
  bool MakeIfMissing(const fs::path& path) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      return true;
    }
    if (!fs::create_directory(path, error)) {
      return false;
    }
    made_.push_back(path);
    return true;
  }

 private:
  std::vector<fs::path> made_;
};

TEST(ReadTaskCgroupUsage, RealV1Hierarchy_FreshTaskCgroup_Reads) {
  const fs::path root = "/sys/fs/cgroup";
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to make cgroups";
  }
  std::error_code error;
  if (fs::exists(root / "cgroup.controllers", error) ||
      !fs::exists(root / "memory" / "memory.usage_in_bytes", error)) {
    GTEST_SKIP() << "not a cgroup v1 host";
  }
  // The hierarchy ReadTaskCgroupUsage reads cpuacct.usage from.
  fs::path cpuacct;
  for (const char* name : {"cpuacct", "cpu,cpuacct", "cpu"}) {
    if (fs::exists(root / name, error)) {
      cpuacct = root / name;
      break;
    }
  }
  if (cpuacct.empty() || !fs::exists(cpuacct / "cpuacct.usage", error)) {
    GTEST_SKIP() << "no v1 cpuacct hierarchy";
  }

  std::random_device random;
  const std::string id = absl::StrCat("task-usage-test-", absl::Hex(random(), absl::kZeroPad8),
                                      absl::Hex(random(), absl::kZeroPad8));
  EXPECT_THAT(ReadTaskCgroupUsage(id), StatusIs(absl::StatusCode::kNotFound, id));

  std::vector<fs::path> hierarchies = {root / "memory", cpuacct};
  if (fs::exists(root / "blkio" / "blkio.throttle.io_service_bytes", error)) {
    hierarchies.push_back(root / "blkio");
  }
  MadeCgroups made;
  for (const fs::path& hierarchy : hierarchies) {
    ASSERT_TRUE(made.MakeIfMissing(hierarchy / "gantry")) << hierarchy;
    ASSERT_TRUE(made.MakeIfMissing(hierarchy / "gantry" / id)) << hierarchy;
  }

  const absl::StatusOr<CgroupUsage> got = ReadTaskCgroupUsage(id);
  ASSERT_THAT(got, IsOk());
  // No process ever ran in these cgroups.
  EXPECT_EQ(got->cpu_usage_ns, 0u);
  EXPECT_LT(got->memory_used_bytes, uint64_t{1} << 20);
  EXPECT_EQ(got->storage_read_bytes, 0u);
  EXPECT_EQ(got->storage_write_bytes, 0u);
}

}  // namespace
}  // namespace gantry::agent::containerd
