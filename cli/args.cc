// Command table, argument parsing and help texts of gantryctl.
#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/internal/query.h"
#include "cli/internal/util.h"

namespace gantry::cli {
namespace {

using internal::Many;
using internal::One;
using internal::Sv;

constexpr FlagSpec kMaxResults =
    One("max-results", "N", "Largest number of results in one page (1-100)", "--max-results 10");
constexpr FlagSpec kNextToken =
    One("next-token", "TOKEN", "nextToken of the previous page, to fetch the next one",
        "--next-token eyJvZmZzZXQiOjEwfQ");

void AddClusterCommands(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"create-cluster",
       "Create a cluster (returns the existing one if the name is taken)",
       {One("cluster-name", "NAME", "Cluster name, 1-255 of [A-Za-z0-9_-] (default \"default\")",
            "--cluster-name prod"),
        Many("tags", "key=K,value=V", "Tags to attach to the cluster",
             "--tags key=team,value=core key=env,value=dev")},
       "gantryctl create-cluster --cluster-name prod --tags key=team,value=core"});
  commands->push_back({"list-clusters",
                       "List cluster ARNs",
                       {kMaxResults, kNextToken},
                       "gantryctl list-clusters --max-results 10"});
  commands->push_back(
      {"describe-clusters",
       "Describe clusters by name or ARN (default: the cluster named default)",
       {Many("clusters", "CLUSTER", "Cluster names or ARNs (up to 100)", "--clusters default prod"),
        Many("include", "FIELD",
             "Extra detail: ATTACHMENTS, CONFIGURATIONS, SETTINGS, STATISTICS, TAGS",
             "--include TAGS STATISTICS")},
       "gantryctl describe-clusters --clusters default prod --include TAGS"});
}

void AddTaskDefinitionCommands(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"register-task-definition",
       "Register a new revision of a task definition family",
       {One("cli-input-json", "JSON",
            "The request: file://PATH, - for standard input, or JSON text",
            "--cli-input-json file://examples/web-service.json", /*required=*/true)},
       "gantryctl register-task-definition --cli-input-json file://web-service.json"});
  commands->push_back(
      {"describe-task-definition",
       "Describe a task definition: FAMILY (latest ACTIVE), FAMILY:REVISION or ARN",
       {One("task-definition", "TASK_DEFINITION", "FAMILY, FAMILY:REVISION or the full ARN",
            "--task-definition web:3", /*required=*/true),
        Many("include", "TAGS", "TAGS to return the task definition's tags too", "--include TAGS")},
       "gantryctl describe-task-definition --task-definition web:3"});
  commands->push_back(
      {"list-task-definitions",
       "List task definition ARNs, sorted by family then revision",
       {One("family-prefix", "FAMILY", "Only this family", "--family-prefix web"),
        One("status", "STATUS", "ACTIVE (default), INACTIVE or DELETE_IN_PROGRESS",
            "--status INACTIVE"),
        One("sort", "ORDER", "ASC (default) or DESC", "--sort DESC"), kMaxResults, kNextToken},
       "gantryctl list-task-definitions --family-prefix web --sort DESC"});
  commands->push_back(
      {"list-task-definition-families",
       "List task definition families",
       {One("family-prefix", "PREFIX", "Only families whose name starts with PREFIX",
            "--family-prefix web"),
        One("status", "STATUS", "ACTIVE, INACTIVE or ALL (default: both)", "--status ACTIVE"),
        kMaxResults, kNextToken},
       "gantryctl list-task-definition-families --family-prefix web"});
  commands->push_back({"deregister-task-definition",
                       "Mark a task definition revision INACTIVE",
                       {One("task-definition", "FAMILY:REVISION", "FAMILY:REVISION or the full ARN",
                            "--task-definition web:3", /*required=*/true)},
                       "gantryctl deregister-task-definition --task-definition web:3"});
}

const FlagSpec* FindFlag(const CommandSpec& command, std::string_view name) {
  for (const FlagSpec& flag : command.flags) {
    if (flag.name == name) {
      return &flag;
    }
  }
  return nullptr;
}

absl::Status UsageError(const std::string& message) { return absl::InvalidArgumentError(message); }

constexpr std::string_view kScriptingExamples =
    "  VPC=$(gantryctl create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)\n"
    "  gantryctl describe-subnets --query 'Subnets[*].SubnetId' --output text\n"
    "  gantryctl describe-tasks --tasks 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f "
    "--query 'tasks[0].containers[*].lastStatus'\n"
    "  gantryctl run-task --task-definition web:3 --network-configuration "
    "'awsvpcConfiguration={subnets=[subnet-a]}' --wait --query 'tasks[].taskArn' --output text\n";

constexpr CommandGroup kGroups[] = {
    {"wait", "Wait until tasks are RUNNING or STOPPED, polling DescribeTasks"},
};

// The commands of group `group` (`wait tasks-running`, ...), in table order.
std::vector<const CommandSpec*> GroupCommands(std::string_view group) {
  std::vector<const CommandSpec*> commands;
  for (const CommandSpec& command : Commands()) {
    std::string_view name = command.name;
    if (name.size() > group.size() && name.starts_with(group) && name[group.size()] == ' ') {
      commands.push_back(&command);
    }
  }
  return commands;
}

// "tasks-running or tasks-stopped".
std::string SubCommandList(std::string_view group) {
  std::vector<std::string> words;
  for (const CommandSpec* command : GroupCommands(group)) {
    words.emplace_back(command->name.substr(group.size() + 1));
  }
  std::string list;
  for (size_t i = 0; i < words.size(); ++i) {
    absl::StrAppend(&list, i == 0 ? "" : i + 1 == words.size() ? " or " : ", ", words[i]);
  }
  return list;
}

// Parser state while walking the arguments left to right.
class ArgParser {
 public:
  explicit ArgParser(const std::vector<std::string>& args) : args_(args) {}

  absl::StatusOr<Invocation> Parse(std::string_view env_endpoint);

 private:
  absl::Status ParseOne();
  absl::Status ParseFlag(std::string_view name, const std::string* inline_value);
  absl::Status ParseGlobal(std::string_view name, std::string value);
  absl::Status ParseCommandFlag(const FlagSpec& flag, const std::string* inline_value);
  absl::Status ParsePositional(const std::string& arg);
  absl::Status ParseSubCommand(const std::string& arg);
  absl::StatusOr<std::string> TakeValue(std::string_view name, const std::string* inline_value);
  absl::Status CheckRequired() const;
  absl::Status CheckOutput();

  const std::vector<std::string>& args_;
  size_t next_ = 0;
  Invocation inv_;
  const CommandSpec* command_ = nullptr;
  bool saw_help_word_ = false;  // `help` was the command word
  std::set<std::string> globals_seen_;
  bool endpoint_set_ = false;
  bool output_set_ = false;
  bool query_set_ = false;
  const CommandGroup* group_ = nullptr;  // the group word, until its sub-command comes
  const FlagSpec* open_many_ = nullptr;  // kMany flag still collecting values
};

absl::StatusOr<Invocation> ArgParser::Parse(std::string_view env_endpoint) {
  while (next_ < args_.size()) {
    absl::Status status = ParseOne();
    if (!status.ok()) {
      return status;
    }
  }
  if (!endpoint_set_) {
    inv_.endpoint =
        env_endpoint.empty() ? std::string(kDefaultEndpoint) : std::string(env_endpoint);
  }
  absl::Status status = CheckOutput();
  if (!status.ok()) {
    return status;
  }
  if (inv_.help) {
    return inv_;
  }
  if (command_ == nullptr && group_ != nullptr) {
    return UsageError(
        absl::StrCat(Sv(group_->name), " needs a sub-command: ", SubCommandList(group_->name)));
  }
  if (command_ == nullptr) {
    return UsageError("missing command");
  }
  status = CheckRequired();
  if (!status.ok()) {
    return status;
  }
  return inv_;
}

// --query prints a selection, which only JSON and text can show.
absl::Status ArgParser::CheckOutput() {
  if (!query_set_) {
    return absl::OkStatus();
  }
  if (!output_set_) {
    inv_.output = OutputFormat::kJson;
  } else if (inv_.output == OutputFormat::kTable) {
    return UsageError("--query needs --output json or text (tables show whole responses)");
  }
  return absl::OkStatus();
}

absl::Status ArgParser::ParseOne() {
  const std::string& arg = args_[next_++];
  if (arg == "-h" || arg == "--help") {
    inv_.help = true;
    open_many_ = nullptr;
    return absl::OkStatus();
  }
  if (absl::StartsWith(arg, "--") && arg.size() > 2) {
    open_many_ = nullptr;
    size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      return ParseFlag(std::string_view(arg).substr(2), nullptr);
    }
    std::string value = arg.substr(eq + 1);
    return ParseFlag(std::string_view(arg).substr(2, eq - 2), &value);
  }
  return ParsePositional(arg);
}

absl::Status ArgParser::ParseFlag(std::string_view name, const std::string* inline_value) {
  if (name == "endpoint" || name == "output" || name == "query" || name == "profile" ||
      name == "credentials-file") {
    absl::StatusOr<std::string> value = TakeValue(name, inline_value);
    if (!value.ok()) {
      return value.status();
    }
    return ParseGlobal(name, *std::move(value));
  }
  if (command_ == nullptr && group_ != nullptr) {
    // `wait --tasks x`: the flag may be right, the sub-command is what is missing.
    return UsageError(absl::StrCat(Sv(group_->name), " needs a sub-command before --", Sv(name),
                                   ": ", SubCommandList(group_->name)));
  }
  if (command_ == nullptr) {
    return UsageError(absl::StrCat("unknown flag --", Sv(name),
                                   saw_help_word_ ? "" : " (command flags go after the command)"));
  }
  const FlagSpec* flag = FindFlag(*command_, name);
  if (flag == nullptr) {
    return UsageError(absl::StrCat("unknown flag --", Sv(name), " for ", Sv(command_->name)));
  }
  return ParseCommandFlag(*flag, inline_value);
}

absl::Status ArgParser::ParseGlobal(std::string_view name, std::string value) {
  if (!globals_seen_.insert(std::string(name)).second) {
    return UsageError(absl::StrCat("--", Sv(name), " given more than once"));
  }
  endpoint_set_ = endpoint_set_ || name == "endpoint";
  query_set_ = query_set_ || name == "query";
  output_set_ = output_set_ || name == "output";
  if (name == "profile" || name == "credentials-file") {
    if (value.empty()) {
      return UsageError(absl::StrCat("--", Sv(name), " needs a value"));
    }
    (name == "profile" ? inv_.credential_flags.profile : inv_.credential_flags.credentials_file) =
        std::move(value);
  } else if (name == "query") {
    absl::StatusOr<internal::Query> query = internal::Query::Parse(value);
    if (!query.ok()) {
      return query.status();
    }
    inv_.query = std::move(value);
  } else if (name == "endpoint") {
    if (value.empty()) {
      return UsageError("--endpoint needs HOST:PORT");
    }
    inv_.endpoint = std::move(value);
  } else if (value == "table") {
    inv_.output = OutputFormat::kTable;
  } else if (value == "json") {
    inv_.output = OutputFormat::kJson;
  } else if (value == "text") {
    inv_.output = OutputFormat::kText;
  } else {
    return UsageError(
        absl::StrCat("--output: \"", value, "\" is not an output format; use table, json or text"));
  }
  return absl::OkStatus();
}

absl::Status ArgParser::ParseCommandFlag(const FlagSpec& flag, const std::string* inline_value) {
  std::vector<std::string>& values = inv_.flags[std::string(flag.name)];
  if (flag.arity == FlagArity::kOne && !values.empty()) {
    return UsageError(absl::StrCat("--", Sv(flag.name), " given more than once"));
  }
  if (flag.arity == FlagArity::kNone) {
    if (inline_value != nullptr) {
      return UsageError(absl::StrCat("--", Sv(flag.name), " takes no value"));
    }
    if (!values.empty()) {
      return UsageError(absl::StrCat("--", Sv(flag.name), " given more than once"));
    }
    values.push_back("true");
    return absl::OkStatus();
  }
  if (flag.arity == FlagArity::kMany) {
    // Values follow as positional arguments; at least one is checked in CheckRequired.
    open_many_ = &flag;
    if (inline_value == nullptr) {
      return absl::OkStatus();
    }
  }
  absl::StatusOr<std::string> value = TakeValue(flag.name, inline_value);
  if (!value.ok()) {
    return value.status();
  }
  values.push_back(*std::move(value));
  return absl::OkStatus();
}

absl::Status ArgParser::ParsePositional(const std::string& arg) {
  if (open_many_ != nullptr) {
    inv_.flags[std::string(open_many_->name)].push_back(arg);
    return absl::OkStatus();
  }
  if (command_ != nullptr) {
    return UsageError(absl::StrCat("unexpected argument \"", arg, "\" for ", Sv(command_->name)));
  }
  if (group_ != nullptr) {
    return ParseSubCommand(arg);
  }
  if (arg == "help" && !saw_help_word_) {
    saw_help_word_ = true;
    inv_.help = true;
    return absl::OkStatus();
  }
  group_ = FindCommandGroup(arg);
  if (group_ != nullptr) {
    inv_.command = arg;
    return absl::OkStatus();
  }
  command_ = FindCommand(arg);
  if (command_ == nullptr) {
    return UsageError(absl::StrCat("unknown command \"", arg, "\""));
  }
  inv_.command = arg;
  return absl::OkStatus();
}

absl::Status ArgParser::ParseSubCommand(const std::string& arg) {
  std::string name = absl::StrCat(Sv(group_->name), " ", arg);
  command_ = FindCommand(name);
  if (command_ == nullptr) {
    return UsageError(absl::StrCat("unknown command \"", name, "\"; ", Sv(group_->name), " takes ",
                                   SubCommandList(group_->name)));
  }
  inv_.command = std::move(name);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ArgParser::TakeValue(std::string_view name,
                                                 const std::string* inline_value) {
  if (inline_value != nullptr) {
    return *inline_value;
  }
  // A value never starts with "--", so `--next-token --max-results 1` is a mistake.
  if (next_ >= args_.size() || absl::StartsWith(args_[next_], "--")) {
    return UsageError(absl::StrCat("--", Sv(name), " needs a value"));
  }
  return args_[next_++];
}

absl::Status ArgParser::CheckRequired() const {
  for (const FlagSpec& flag : command_->flags) {
    auto it = inv_.flags.find(flag.name);
    if (it != inv_.flags.end() && it->second.empty()) {
      return UsageError(absl::StrCat("--", Sv(flag.name), " needs at least one value"));
    }
    if (flag.required && it == inv_.flags.end()) {
      return UsageError(
          absl::StrCat("missing required flag --", Sv(flag.name), " for ", Sv(command_->name)));
    }
  }
  return absl::OkStatus();
}

std::string FlagUsage(const FlagSpec& flag) {
  std::string usage = absl::StrCat("--", Sv(flag.name));
  if (flag.arity != FlagArity::kNone) {
    absl::StrAppend(&usage, " ", Sv(flag.value_name));
  }
  if (flag.arity == FlagArity::kMany) {
    absl::StrAppend(&usage, " ...");
  }
  return flag.required ? usage : absl::StrCat("[", usage, "]");
}

}  // namespace

std::string Invocation::Value(std::string_view flag) const {
  auto it = flags.find(flag);
  if (it == flags.end() || it->second.empty()) {
    return "";
  }
  return it->second.front();
}

std::vector<std::string> Invocation::Values(std::string_view flag) const {
  auto it = flags.find(flag);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec>* const commands = [] {
    auto* all = new std::vector<CommandSpec>();
    AddClusterCommands(all);
    AddTaskDefinitionCommands(all);
    internal::AddTaskCommands(all);
    internal::AddContainerInstanceCommands(all);
    internal::AddNetworkCommands(all);
    internal::AddCapacityCommands(all);
    internal::AddAccountCommands(all);
    return all;
  }();
  return *commands;
}

const CommandSpec* FindCommand(std::string_view name) {
  const std::vector<CommandSpec>& commands = Commands();
  auto it = std::find_if(commands.begin(), commands.end(),
                         [&](const CommandSpec& c) { return c.name == name; });
  return it == commands.end() ? nullptr : &*it;
}

const CommandGroup* FindCommandGroup(std::string_view name) {
  for (const CommandGroup& group : kGroups) {
    if (group.name == name) {
      return &group;
    }
  }
  return nullptr;
}

absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& args,
                                     std::string_view env_endpoint) {
  return ArgParser(args).Parse(env_endpoint);
}

std::string GeneralHelp() {
  std::string help =
      "Usage: gantryctl [--endpoint HOST:PORT] [--output table|json|text] [--query EXPR] "
      "COMMAND [flags]\n"
      "\n"
      "Talks to gantryd: clusters, task definitions, tasks and container instances\n"
      "(gantry.v1.Ecs, named as in `aws ecs`), VPCs, subnets and security groups\n"
      "(gantry.v1.Network, named as in `aws ec2`), hosts (gantry.v1.AgentControl), and\n"
      "capacity, accounts and access keys (gantry.v1.Admin).\n"
      "\n"
      "Global flags (before or after the command):\n"
      "  --endpoint HOST:PORT   gantryd's gRPC address (default: $GANTRY_ENDPOINT, then " +
      std::string(kDefaultEndpoint) +
      ")\n"
      "  --output table|json|text\n"
      "                         table (default), the JSON response as the AWS CLI prints it,\n"
      "                         or text: tab-separated values, one line per list or object\n"
      "  --query EXPR           print only part of the response (JSON, or text with\n"
      "                         --output text): a.b, a[0], a[-1], a[*].b, a[].b, nested\n"
      "  --credentials-file FILE, --profile NAME\n"
      "                         the access key to sign calls with (a shared-credentials\n"
      "                         file and its profile); without them: AWS_ACCESS_KEY_ID and\n"
      "                         AWS_SECRET_ACCESS_KEY, then AWS_SHARED_CREDENTIALS_FILE and\n"
      "                         AWS_PROFILE, then ./.gantry/admin-credentials\n"
      "  -h, --help             show help\n"
      "\n"
      "Commands:\n";
  std::vector<std::vector<std::string>> rows;
  for (const CommandSpec& command : Commands()) {
    rows.push_back({std::string(command.name), std::string(command.summary)});
  }
  rows.push_back({"help [COMMAND]", "Show this help or a command's flags"});
  size_t width = 0;
  for (const auto& row : rows) {
    width = std::max(width, row[0].size());
  }
  for (const auto& row : rows) {
    absl::StrAppend(&help, "  ", row[0], std::string(width + 2 - row[0].size(), ' '), row[1], "\n");
  }
  absl::StrAppend(&help, "\nScripting examples:\n", Sv(kScriptingExamples),
                  "\nRun 'gantryctl COMMAND --help' for a command's flags and examples.\n");
  return help;
}

std::string CommandHelp(const CommandSpec& spec) {
  std::string help = absl::StrCat("Usage: gantryctl ", Sv(spec.name));
  for (const FlagSpec& flag : spec.flags) {
    absl::StrAppend(&help, " ", FlagUsage(flag));
  }
  absl::StrAppend(&help, "\n\n", Sv(spec.summary), ".\n");
  if (!spec.flags.empty()) {
    absl::StrAppend(&help, "\nFlags:\n");
  }
  for (const FlagSpec& flag : spec.flags) {
    absl::StrAppend(&help, "  --", Sv(flag.name), flag.arity == FlagArity::kNone ? "" : " ",
                    Sv(flag.value_name), flag.arity == FlagArity::kMany ? " ..." : "",
                    flag.required ? "  (required)" : "", "\n      ", Sv(flag.help),
                    "\n      Example: ", Sv(flag.example), "\n");
  }
  absl::StrAppend(
      &help, "\nExample:\n  ", Sv(spec.example), "\n",
      "\nGlobal flags: --endpoint HOST:PORT, --output table|json|text, --query EXPR\n"
      "  e.g. gantryctl describe-subnets --query 'Subnets[*].SubnetId' --output text\n");
  return help;
}

std::string GroupHelp(const CommandGroup& group) {
  std::string help = absl::StrCat("Usage: gantryctl ", Sv(group.name), " SUB-COMMAND [flags]\n\n",
                                  Sv(group.summary), ".\n\nSub-commands:\n");
  std::vector<const CommandSpec*> commands = GroupCommands(group.name);
  size_t width = 0;
  for (const CommandSpec* command : commands) {
    width = std::max(width, command->name.size() - group.name.size() - 1);
  }
  for (const CommandSpec* command : commands) {
    std::string_view word = command->name.substr(group.name.size() + 1);
    absl::StrAppend(&help, "  ", Sv(word), std::string(width + 2 - word.size(), ' '),
                    Sv(command->summary), "\n");
  }
  absl::StrAppend(&help, "\nExamples:\n");
  for (const CommandSpec* command : commands) {
    absl::StrAppend(&help, "  ", Sv(command->example), "\n");
  }
  absl::StrAppend(&help, "\nRun 'gantryctl ", Sv(group.name),
                  " SUB-COMMAND --help' for a sub-command's flags.\n");
  return help;
}

}  // namespace gantry::cli
