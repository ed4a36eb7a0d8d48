// CommandListener against a real PostgreSQL: the NOTIFY that CommitRound, StopTask and
// MarkLostHosts send reaches it, large notifications are chunked, and a broken
// connection, or one that died without a word, is reconnected with on_reset called
// again. Waits have deadlines; nothing sleeps.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/agent_fixture.h"
#include "tests/support/status_matchers.h"

#include <libpq-fe.h>

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using testing::AgentTest;
using testing::kAccount;
using ::testing::SizeIs;

constexpr absl::Duration kDeadline = absl::Seconds(20);

// What the listener's callbacks saw.
class Inbox {
 public:
  void OnHosts(const std::vector<std::string>& ids) {
    absl::MutexLock lock(&mu_);
    notifications_.push_back(ids);
    for (const std::string& id : ids) hosts_.insert(id);
  }
  void OnReset() {
    absl::MutexLock lock(&mu_);
    ++resets_;
  }

  // Whether every id in `ids` arrived before the deadline.
  bool WaitForHosts(const std::vector<std::string>& ids) {
    absl::MutexLock lock(&mu_);
    auto all_seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const std::string& id : ids) {
        if (!hosts_.contains(id)) return false;
      }
      return true;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&all_seen), kDeadline);
  }
  bool WaitForResets(int count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return resets_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kDeadline);
  }
  int resets() {
    absl::MutexLock lock(&mu_);
    return resets_;
  }
  std::vector<std::vector<std::string>> notifications() {
    absl::MutexLock lock(&mu_);
    return notifications_;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    notifications_.clear();
    hosts_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::vector<std::string>> notifications_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> hosts_ ABSL_GUARDED_BY(mu_);
  int resets_ ABSL_GUARDED_BY(mu_) = 0;
};

// A TCP proxy on loopback in front of the server's Unix socket that can forget its
// connections the way a middlebox does: Sever() closes the server side of every open
// connection and leaves the client side open and silent; the client hears nothing
// until it sends something, and then its connection is closed. Connections made after
// Sever() are forwarded normally.
class SilentProxy {
 public:
  explicit SilentProxy(std::string upstream_path) : upstream_path_(std::move(upstream_path)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::pipe2(wake_, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "proxy: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Run(); });
  }

  ~SilentProxy() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  int port() const { return port_; }

  // Returns once every connection open now has lost its server side.
  void Sever() {
    absl::MutexLock lock(&mu_);
    const int64_t want = ++sever_requested_;
    Wake();
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return severed_ >= want; };
    EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&done), kDeadline));
  }

 private:
  struct Pair {
    int client = -1;
    int server = -1;  // -1 once severed
  };

  void Wake() { (void)!::write(wake_[1], "x", 1); }

  int ConnectUpstream() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, upstream_path_.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // Copies what `from` has to `to`; false when `from` closed or either side failed.
  static bool Forward(int from, int to) {
    char buffer[65536];
    const ssize_t n = ::read(from, buffer, sizeof(buffer));
    if (n <= 0) return false;
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t m = ::write(to, buffer + sent, n - sent);
      if (m <= 0) return false;
      sent += m;
    }
    return true;
  }

  static void Close(Pair& pair) {
    if (pair.client >= 0) ::close(pair.client);
    if (pair.server >= 0) ::close(pair.server);
    pair.client = pair.server = -1;
  }

  void Run() {
    std::vector<Pair> pairs;
    while (true) {
      std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      for (const Pair& pair : pairs) {
        fds.push_back({pair.client, POLLIN, 0});
        fds.push_back({pair.server, POLLIN, 0});  // ignored while -1
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[1].revents != 0) {
        char drained[64];
        (void)!::read(wake_[0], drained, sizeof(drained));
        absl::MutexLock lock(&mu_);
        if (stop_) break;
        if (severed_ < sever_requested_) {
          for (Pair& pair : pairs) {
            if (pair.server >= 0) ::close(pair.server);
            pair.server = -1;
          }
          severed_ = sever_requested_;
        }
        continue;  // the pairs changed: poll afresh
      }
      for (size_t i = 0; i < pairs.size(); ++i) {
        Pair& pair = pairs[i];
        const short from_client = fds[2 + 2 * i].revents;
        const short from_server = fds[3 + 2 * i].revents;
        if (from_client != 0 && (pair.server < 0 || !Forward(pair.client, pair.server))) {
          Close(pair);  // a severed connection ends when its client speaks
        } else if (from_server != 0 && !Forward(pair.server, pair.client)) {
          Close(pair);
        }
      }
      std::erase_if(pairs, [](const Pair& pair) { return pair.client < 0; });
      if (fds[0].revents != 0) {
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        const int server = ConnectUpstream();
        if (server < 0) {
          ::close(client);
          continue;
        }
        pairs.push_back({client, server});
      }
    }
    for (Pair& pair : pairs) Close(pair);
  }

  const std::string upstream_path_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t sever_requested_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t severed_ ABSL_GUARDED_BY(mu_) = 0;
};

// The server's Unix socket path from a key=value conninfo with host (a directory) and
// port, as the harness hands out.
std::string UnixSocketPath(const std::string& conninfo) {
  std::string host, port = "5432";
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  for (PQconninfoOption* option = options; option != nullptr && option->keyword != nullptr;
       ++option) {
    if (option->val == nullptr) continue;
    if (std::strcmp(option->keyword, "host") == 0) host = option->val;
    if (std::strcmp(option->keyword, "port") == 0) port = option->val;
  }
  PQconninfoFree(options);
  return absl::StrCat(host, "/.s.PGSQL.", port);
}

class CommandListenerTest : public AgentTest {
 protected:
  std::unique_ptr<CommandListener> Listen() { return Listen(conninfo_); }
  std::unique_ptr<CommandListener> Listen(const std::string& conninfo) {
    auto listener = CommandListener::Start(
        conninfo, [this](const std::vector<std::string>& ids) { inbox_.OnHosts(ids); },
        [this] { inbox_.OnReset(); });
    EXPECT_THAT(listener, IsOk());
    return listener.ok() ? *std::move(listener) : nullptr;
  }

  Inbox inbox_;
};

TEST_F(CommandListenerTest, CommitRoundAndStopTask_NotifyTheirHosts) {
  std::unique_ptr<CommandListener> listener = Listen();
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(inbox_.WaitForResets(1));
  HostRow a = Host();
  HostRow b = Host();
  std::string on_a = Place(a, 2)[0];
  Place(b, 1);
  EXPECT_TRUE(inbox_.WaitForHosts({a.instance_id, b.instance_id}));

  inbox_.Clear();
  TakeAndAck(a);
  ASSERT_THAT(StopTask(*connection_, kAccount, "default", on_a, "UserInitiated", "done"), IsOk());
  EXPECT_TRUE(inbox_.WaitForHosts({a.instance_id}));
  for (const std::vector<std::string>& ids : inbox_.notifications()) {
    EXPECT_THAT(ids, ::testing::ElementsAre(a.instance_id));
  }
  listener->Stop();
  listener->Stop();  // idempotent
  EXPECT_EQ(inbox_.resets(), 1);
}

TEST_F(CommandListenerTest, ManyHostsInOneRound_ChunkedNotifications) {
  std::unique_ptr<CommandListener> listener = Listen();
  ASSERT_NE(listener, nullptr);
  Round round{.region = "us-east-1"};
  std::vector<std::string> instance_ids;
  for (int i = 0; i < 250; ++i) {
    HostRow host = Host("az-a", 1024, 2);
    instance_ids.push_back(host.instance_id);
    round.new_tasks.push_back(Task());
    round.placements.push_back({round.new_tasks.back().task_id, host.host_id, subnet_, "az-a"});
  }
  auto result = CommitRound(*connection_, round);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->displaced_task_ids, ::testing::IsEmpty());
  EXPECT_TRUE(inbox_.WaitForHosts(instance_ids));
  std::vector<std::vector<std::string>> notifications = inbox_.notifications();
  EXPECT_THAT(notifications, SizeIs(2));
  for (const std::vector<std::string>& ids : notifications) EXPECT_LE(ids.size(), 200u);
}

TEST_F(CommandListenerTest, ConnectionKilled_ReconnectsAndResetsAgain) {
  std::unique_ptr<CommandListener> listener = Listen();
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(inbox_.WaitForResets(1));
  pqxx::connection admin(conninfo_);
  pqxx::nontransaction tx(admin);
  pqxx::result killed = tx.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND (query LIKE 'LISTEN%' OR query = 'SELECT 1') "
      "AND pid <> pg_backend_pid()");
  ASSERT_THAT(killed, SizeIs(1));
  ASSERT_TRUE(inbox_.WaitForResets(2));
  HostRow host = Host();
  Place(host, 1);
  EXPECT_TRUE(inbox_.WaitForHosts({host.instance_id}));
}

TEST_F(CommandListenerTest, MarkLostHosts_NotifiesTheLostHosts) {
  HostRow with_tasks = Host();
  HostRow empty = Host();
  HostRow fresh = Host();
  Place(with_tasks, 1);
  std::unique_ptr<CommandListener> listener = Listen();
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(inbox_.WaitForResets(1));
  Exec(
      absl::StrCat("UPDATE hosts SET last_seen_at = now() - interval '1 minute' WHERE host_id IN (",
                   with_tasks.host_id, ", ", empty.host_id, ")"));
  auto lost = MarkLostHosts(*connection_, absl::Seconds(30), 10);
  ASSERT_THAT(lost, IsOk());
  ASSERT_THAT(*lost, SizeIs(2));
  EXPECT_TRUE(inbox_.WaitForHosts({with_tasks.instance_id, empty.instance_id}));
  for (const std::vector<std::string>& ids : inbox_.notifications()) {
    EXPECT_THAT(ids, ::testing::UnorderedElementsAre(with_tasks.instance_id, empty.instance_id));
  }
}

// A connection that died without a word (a middlebox forgot it): the listener's probe
// finds out and it reconnects, and notifications flow again.
TEST_F(CommandListenerTest, SilentlyDeadConnection_ProbedAndReconnected) {
  SilentProxy proxy(UnixSocketPath(conninfo_));
  ASSERT_GT(proxy.port(), 0);
  std::unique_ptr<CommandListener> listener =
      Listen(absl::StrCat(conninfo_, " host=127.0.0.1 port=", proxy.port()));
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(inbox_.WaitForResets(1));
  proxy.Sever();
  EXPECT_TRUE(inbox_.WaitForResets(2)) << "the dead connection went unnoticed";
  HostRow host = Host();
  Place(host, 1);
  EXPECT_TRUE(inbox_.WaitForHosts({host.instance_id}));
}

TEST(CommandListenerStart, Unreachable_IsUnavailable) {
  EXPECT_THAT(CommandListener::Start(
                  "host=127.0.0.1 port=1 dbname=none connect_timeout=2",
                  [](const std::vector<std::string>&) {}, [] {}),
              StatusIs(absl::StatusCode::kUnavailable, "cannot connect"));
}

}  // namespace
}  // namespace gantry::storage
