// internal::WithKeepalives: keepalive settings added to both connection string forms,
// the operator's own settings kept, anything libpq cannot read left alone.
#include "storage/internal/conninfo.h"

#include <string>

#include "gtest/gtest.h"

namespace gantry::storage::internal {
namespace {

constexpr char kAllAsKeys[] =
    " keepalives=1 keepalives_idle=10 keepalives_interval=5 keepalives_count=3"
    " tcp_user_timeout=30000";
constexpr char kAllAsQuery[] =
    "keepalives=1&keepalives_idle=10&keepalives_interval=5&keepalives_count=3"
    "&tcp_user_timeout=30000";

TEST(WithKeepalives, Cases_AddOnlyWhatIsMissing) {
  struct Case {
    const char* name;
    std::string conninfo;
    std::string want;
  };
  const Case cases[] = {
      {"key=value", "host=/tmp port=5432 dbname=x",
       std::string("host=/tmp port=5432 dbname=x") + kAllAsKeys},
      {"key=value with quoted values", "host=db password='a b\\'c' dbname=x",
       std::string("host=db password='a b\\'c' dbname=x") + kAllAsKeys},
      {"key=value keeps the operator's settings", "host=db keepalives_idle=60 tcp_user_timeout=0",
       "host=db keepalives_idle=60 tcp_user_timeout=0 keepalives=1 keepalives_interval=5 "
       "keepalives_count=3"},
      {"key=value with keepalives off keeps them off", "host=db keepalives=0",
       "host=db keepalives=0 keepalives_idle=10 keepalives_interval=5 keepalives_count=3 "
       "tcp_user_timeout=30000"},
      {"empty", "", std::string(kAllAsKeys).substr(1)},
      {"URI without a query", "postgresql://u@db:5432/x",
       std::string("postgresql://u@db:5432/x?") + kAllAsQuery},
      {"short URI scheme", "postgres://db/x", std::string("postgres://db/x?") + kAllAsQuery},
      {"URI with a query", "postgresql://db/x?sslmode=require&keepalives_count=9",
       "postgresql://db/x?sslmode=require&keepalives_count=9&keepalives=1&keepalives_idle=10&"
       "keepalives_interval=5&tcp_user_timeout=30000"},
      {"everything set already",
       "host=db keepalives=1 keepalives_idle=1 keepalives_interval=1 keepalives_count=1 "
       "tcp_user_timeout=1",
       "host=db keepalives=1 keepalives_idle=1 keepalives_interval=1 keepalives_count=1 "
       "tcp_user_timeout=1"},
      {"unparsable is left alone", "host='unterminated", "host='unterminated"},
      {"unknown keyword is left alone", "host=db frobnicate=1", "host=db frobnicate=1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(WithKeepalives(c.conninfo), c.want);
  }
}

}  // namespace
}  // namespace gantry::storage::internal
