// A whole task's resource usage, read from its cgroup parent (see task_cgroup.h), for
// per-task metrics: CPU time, memory working set and storage I/O of all the task's
// containers at once. CPU time is charged to every ancestor as it is used, so it includes
// containers that have exited, as does v2 I/O (a removed child's counts are folded into
// its parent); v1 blkio sums live descendants, so there a removed container's bytes may
// drop out. cgroup v1 (one hierarchy per controller) and v2 (the unified hierarchy,
// detected by <root>/cgroup.controllers) are both read.
//
// The parsers are pure and take a control file's text; ReadTaskCgroupUsage is the thin
// shell that finds and reads the files. Thread-safety: stateless, callable from any
// thread; ReadTaskCgroupUsage blocks on a few small reads of cgroupfs (no writes).
// Errors: absl::Status, as documented on each function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gantry::agent::containerd {

// Usage of a task's cgroup parent, summed over all its containers. CPU time and I/O bytes
// only grow; memory is the current working set.
struct CgroupUsage {
  // v1 cpuacct.usage; v2 cpu.stat usage_usec * 1000.
  uint64_t cpu_usage_ns = 0;
  // The working set as ECS reports it: v1 memory.usage_in_bytes minus memory.stat's
  // total_inactive_file, v2 memory.current minus memory.stat's inactive_file; never below 0
  // (the two files are not read atomically, so inactive may exceed usage for a moment).
  uint64_t memory_used_bytes = 0;
  // v1 blkio.throttle.io_service_bytes_recursive (else blkio.throttle.io_service_bytes)
  // "Read" rows summed over devices; v2 io.stat rbytes= summed over devices.
  uint64_t storage_read_bytes = 0;
  // Same, "Write" rows / wbytes=.
  uint64_t storage_write_bytes = 0;
};

// A control file holding one number, such as "12345\n" (cpuacct.usage, memory.current).
// INVALID_ARGUMENT when the text is not exactly one unsigned decimal number.
absl::StatusOr<uint64_t> ParseSingleValue(std::string_view text);

// The value of `key` in a file of "key value" lines (memory.stat, cpu.stat). Keys match
// whole words: "inactive_file" does not match "total_inactive_file". NOT_FOUND naming the
// key when no line has it; INVALID_ARGUMENT when its line has no single unsigned number.
absl::StatusOr<uint64_t> ParseKeyedValue(std::string_view text, std::string_view key);

// Bytes read and written.
struct IoBytes {
  uint64_t read = 0;
  uint64_t write = 0;
};

// v1 blkio.throttle.io_service_bytes[_recursive]: lines "8:0 Read 4096", "8:0 Write 0",
// "8:0 Sync ...", "8:0 Total ..." and a final "Total 123". Sums the Read and Write rows
// over devices; every other line, and any line that does not parse, is ignored.
IoBytes ParseBlkioServiceBytes(std::string_view text);

// v2 io.stat: lines "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". Sums rbytes
// and wbytes over devices; other fields and fields that do not parse are ignored.
IoBytes ParseIoStat(std::string_view text);

// Reads the usage of the task's cgroup parent below `cgroup_root`, a directory laid out
// like /sys/fs/cgroup: v1 <root>/memory/gantry/<id>, <root>/cpuacct/gantry/<id> (else
// "cpu,cpuacct", else "cpu", whichever hierarchy exists) and <root>/blkio/gantry/<id>; v2
// <root>/gantry/<id>. Blocking; reads only.
//
// Errors: INVALID_ARGUMENT when `task_id` is empty or is not a single path component;
// NOT_FOUND naming the path when the task's cpu or memory cgroup (or a file the controller
// always has) is missing, e.g. the task was never started or its cgroup was removed; other
// read errors and unparsable files are INTERNAL with the path. Missing blkio / io.stat files
// count as zero I/O, since not every host enables that controller for the task.
absl::StatusOr<CgroupUsage> ReadTaskCgroupUsage(const std::string& task_id,
                                                const std::string& cgroup_root = "/sys/fs/cgroup");

}  // namespace gantry::agent::containerd
