// gantryctl's account and access-key commands: flags, requests, tables and JSON. The
// calls to gantryd are covered by tests/e2e.
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::cli {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kKeyId[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

Invocation MustParse(const std::vector<std::string>& args) {
  absl::StatusOr<Invocation> inv = ParseArgs(args, "");
  EXPECT_THAT(inv, IsOk());
  return inv.ok() ? *inv : Invocation();
}

v1::AccessKey Key(const std::string& kind) {
  v1::AccessKey key;
  key.set_access_key_id(kKeyId);
  key.set_status("Active");
  key.set_create_date("2025-11-26T00:00:00Z");
  key.set_account_id("123456789012");
  key.set_kind(kind);
  return key;
}

TEST(AccountArgs, UsageErrors) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want;
  };
  const Case cases[] = {
      {"create-account without name",
       {"create-account"},
       "missing required flag --name for create-account"},
      {"create-account name without value", {"create-account", "--name"}, "--name needs a value"},
      {"create-account two names",
       {"create-account", "--name", "a", "--name", "b"},
       "--name given more than once"},
      {"create-access-key without account",
       {"create-access-key", "--kind", "agent"},
       "missing required flag --account for create-access-key"},
      {"create-access-key kind without value",
       {"create-access-key", "--account", "123456789012", "--kind"},
       "--kind needs a value"},
      {"delete-access-key without id",
       {"delete-access-key"},
       "missing required flag --access-key-id for delete-access-key"},
      {"list-accounts takes no flags",
       {"list-accounts", "--name", "x"},
       "unknown flag --name for list-accounts"},
      {"list-access-keys positional",
       {"list-access-keys", "123456789012"},
       "unexpected argument \"123456789012\" for list-access-keys"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseArgs(c.args, ""), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(AccountArgs, MissingFlagThroughRun_ExitsWithUsageBeforeAnyCall) {
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cli::Run({"create-access-key"}, "", in, out, err), kExitUsage);
  EXPECT_THAT(out.str(), IsEmpty());
  EXPECT_THAT(err.str(), HasSubstr("missing required flag --account for create-access-key"));
  EXPECT_THAT(err.str(), HasSubstr("Run 'gantryctl create-access-key --help'"));
}

TEST(AccountArgs, HelpListsEveryCommandWithAHandler) {
  std::string general = GeneralHelp();
  for (const std::string name : {"create-account", "list-accounts", "create-access-key",
                                 "list-access-keys", "delete-access-key"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(general, HasSubstr("\n  " + name + " "));
    const CommandSpec* spec = FindCommand(name);
    ASSERT_NE(spec, nullptr);
    EXPECT_THAT(CommandHelp(*spec), HasSubstr("Example:\n  gantryctl " + name));
  }
  EXPECT_THAT(CommandHelp(*FindCommand("create-access-key")),
              HasSubstr("--account ACCOUNT_ID  (required)"));
}

TEST(AccountRequests, CopyEveryFlag) {
  absl::StatusOr<v1::CreateAccountRequest> account =
      BuildCreateAccountRequest(MustParse({"create-account", "--name", "team-web"}));
  ASSERT_THAT(account, IsOk());
  EXPECT_EQ(account->name(), "team-web");

  absl::StatusOr<v1::CreateAccessKeyRequest> key = BuildCreateAccessKeyRequest(
      MustParse({"create-access-key", "--account", "123456789012", "--kind", "agent"}));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->account_id(), "123456789012");
  EXPECT_EQ(key->kind(), "agent");

  absl::StatusOr<v1::ListAccessKeysRequest> list =
      BuildListAccessKeysRequest(MustParse({"list-access-keys", "--account=123456789012"}));
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->account_id(), "123456789012");

  absl::StatusOr<v1::DeleteAccessKeyRequest> deleted =
      BuildDeleteAccessKeyRequest(MustParse({"delete-access-key", "--access-key-id", kKeyId}));
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->access_key_id(), kKeyId);

  EXPECT_THAT(BuildListAccountsRequest(MustParse({"list-accounts"})), IsOk());
}

// Absent flags stay unset so that the server's defaults apply (kind "user", every
// account).
TEST(AccountRequests, OptionalFlagsAbsent_LeaveFieldsUnset) {
  absl::StatusOr<v1::CreateAccessKeyRequest> key =
      BuildCreateAccessKeyRequest(MustParse({"create-access-key", "--account", "123456789012"}));
  ASSERT_THAT(key, IsOk());
  EXPECT_FALSE(key->has_kind());
  absl::StatusOr<v1::ListAccessKeysRequest> list =
      BuildListAccessKeysRequest(MustParse({"list-access-keys"}));
  ASSERT_THAT(list, IsOk());
  EXPECT_FALSE(list->has_account_id());
}

// Values are the server's to check: it names the field in INVALID_ARGUMENT.
TEST(AccountRequests, OddValues_PassedThroughUnchecked) {
  absl::StatusOr<v1::CreateAccessKeyRequest> key = BuildCreateAccessKeyRequest(
      MustParse({"create-access-key", "--account", "12", "--kind", "robot"}));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->account_id(), "12");
  EXPECT_EQ(key->kind(), "robot");
}

TEST(AccountTables, CreateAccount) {
  v1::CreateAccountResponse response;
  response.mutable_account()->set_id("123456789012");
  response.mutable_account()->set_name("team-web");
  EXPECT_EQ(FormatTable(response),
            "ACCOUNT ID    NAME\n"
            "123456789012  team-web\n");
}

TEST(AccountTables, ListAccounts_AdminSaysYes) {
  v1::ListAccountsResponse response;
  v1::Account* provider = response.add_accounts();
  provider->set_id("000000000000");
  provider->set_name("provider");
  provider->set_admin(true);
  v1::Account* team = response.add_accounts();
  team->set_id("123456789012");
  team->set_name("team-web");
  EXPECT_EQ(FormatTable(response),
            "ID            NAME      ADMIN\n"
            "000000000000  provider  yes\n"
            "123456789012  team-web\n");
  EXPECT_EQ(FormatTable(v1::ListAccountsResponse()), "ID  NAME  ADMIN\n");
}

TEST(AccountTables, CreateAccessKey_ShowsTheSecretOnceWithAProfileToSave) {
  v1::CreateAccessKeyResponse response;
  *response.mutable_access_key() = Key("user");
  response.mutable_access_key()->set_secret_access_key(kSecret);
  EXPECT_EQ(FormatTable(response),
            "Access key ID      AKIAIOSFODNN7EXAMPLE\n"
            "Secret access key  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
            "Account            123456789012\n"
            "Kind               user\n"
            "Status             Active\n"
            "Created            2025-11-26T00:00:00Z\n"
            "\n"
            "The secret access key cannot be shown again; save it now, e.g. in "
            "~/.aws/credentials:\n"
            "\n"
            "[123456789012]\n"
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
}

TEST(AccountTables, CreateAccessKey_AgentKeyGetsItsOwnProfile) {
  v1::CreateAccessKeyResponse response;
  *response.mutable_access_key() = Key("agent");
  response.mutable_access_key()->set_secret_access_key(kSecret);
  std::string table = FormatTable(response);
  EXPECT_THAT(table, HasSubstr("Kind               agent\n"));
  EXPECT_THAT(table, HasSubstr("\n[123456789012-agent]\naws_access_key_id = "));
}

TEST(AccountTables, CreateAccessKey_NoLineIsWiderThan100Columns) {
  v1::CreateAccessKeyResponse response;
  *response.mutable_access_key() = Key("agent");
  response.mutable_access_key()->set_secret_access_key(kSecret);
  std::istringstream lines(FormatTable(response));
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(DisplayWidth(line), 100u) << line;
  }
}

TEST(AccountTables, ListAccessKeys_HasNoSecretColumn) {
  v1::ListAccessKeysResponse response;
  *response.add_access_key_metadata() = Key("user");
  v1::AccessKey* agent = response.add_access_key_metadata();
  *agent = Key("agent");
  agent->set_access_key_id("AKIAI44QH8DHBEXAMPLE");
  // Even a secret the server should never send stays off the screen.
  agent->set_secret_access_key(kSecret);
  std::string table = FormatTable(response);
  EXPECT_EQ(table,
            "ACCESS KEY ID         ACCOUNT       KIND   STATUS  CREATED\n"
            "AKIAIOSFODNN7EXAMPLE  123456789012  user   Active  2025-11-26T00:00:00Z\n"
            "AKIAI44QH8DHBEXAMPLE  123456789012  agent  Active  2025-11-26T00:00:00Z\n");
  EXPECT_THAT(table, Not(HasSubstr("SECRET")));
  EXPECT_THAT(table, Not(HasSubstr(kSecret)));
}

TEST(AccountTables, DeleteAccessKey_NamesKeyAndAccount) {
  v1::DeleteAccessKeyResponse response;
  *response.mutable_access_key() = Key("user");
  EXPECT_EQ(FormatTable(response),
            "Deleted access key AKIAIOSFODNN7EXAMPLE of account 123456789012\n");
  v1::DeleteAccessKeyResponse bare;
  bare.mutable_access_key()->set_access_key_id(kKeyId);
  EXPECT_EQ(FormatTable(bare), "Deleted access key AKIAIOSFODNN7EXAMPLE\n");
}

TEST(AccountJson, InTheShapesOfTheIssue) {
  v1::CreateAccountResponse account;
  account.mutable_account()->set_id("123456789012");
  account.mutable_account()->set_name("team-web");
  absl::StatusOr<std::string> account_json = FormatOutput(account, OutputFormat::kJson, "");
  ASSERT_THAT(account_json, IsOk());
  EXPECT_EQ(*account_json,
            "{\n  \"account\": {\n    \"id\": \"123456789012\",\n"
            "    \"name\": \"team-web\"\n  }\n}\n");

  v1::CreateAccessKeyResponse key;
  *key.mutable_access_key() = Key("user");
  key.mutable_access_key()->set_secret_access_key(kSecret);
  absl::StatusOr<std::string> key_json = FormatOutput(key, OutputFormat::kJson, "");
  ASSERT_THAT(key_json, IsOk());
  EXPECT_EQ(*key_json,
            "{\n  \"AccessKey\": {\n"
            "    \"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\",\n"
            "    \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",\n"
            "    \"Status\": \"Active\",\n"
            "    \"CreateDate\": \"2025-11-26T00:00:00Z\",\n"
            "    \"AccountId\": \"123456789012\",\n"
            "    \"Kind\": \"user\"\n  }\n}\n");
}

}  // namespace
}  // namespace gantry::cli
