// --query: a JMESPath subset (names, indexes, [*] and [] projections) over a JsonNode.
//
// The parser is a Pratt parser with JMESPath's binding powers, so expressions group
// the way JMESPath groups them: `.` and `[` bind tighter than a projection, which
// applies the rest of the expression to every element, while `[]` binds looser and
// flattens the whole projection before it (`a[*].b[].c` is flat, `a[*].b[*].c` is a
// list of lists).
#include "cli/internal/query.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/internal/util.h"
#include "common/status_macros.h"

namespace gantry::cli::internal {

struct Query::Node {
  enum class Kind {
    kCurrent,  // the node being evaluated
    kField,    // `name` of the current object
    kSub,      // right evaluated on the value of left
    kIndex,    // element `index` of left (negative: from the end)
    kProject,  // right evaluated on each element of left, nulls dropped
    kFlatten,  // left with nested lists merged one level
  };
  Kind kind = Kind::kCurrent;
  std::string name;
  int64_t index = 0;
  std::unique_ptr<Node> left;
  std::unique_ptr<Node> right;
};

namespace {

using NodePtr = std::unique_ptr<Query::Node>;
using Kind = Query::Node::Kind;

// Longer expressions are refused, which also bounds the recursion of the parser and
// of evaluation.
constexpr size_t kMaxExpressionLength = 1000;

constexpr std::string_view kSupported = "use a.b, a[0], a[-1], a[*].b or a[].b";

enum class Tok { kName, kDot, kLBracket, kRBracket, kStar, kNumber, kFlatten, kEnd };

struct Token {
  Tok type = Tok::kEnd;
  std::string text;  // kName: the name; kNumber: the digits
  size_t pos = 0;    // offset in the expression
};

// Binding powers, as in JMESPath.
constexpr int kProjectionPower = 10;
int LeftPower(Tok type) {
  switch (type) {
    case Tok::kFlatten:
      return 9;
    case Tok::kDot:
      return 40;
    case Tok::kLBracket:
      return 55;
    default:
      return 0;
  }
}

NodePtr MakeNode(Kind kind, NodePtr left = nullptr, NodePtr right = nullptr) {
  auto node = std::make_unique<Query::Node>();
  node->kind = kind;
  node->left = std::move(left);
  node->right = std::move(right);
  return node;
}

NodePtr FieldNode(std::string name) {
  NodePtr node = MakeNode(Kind::kField);
  node->name = std::move(name);
  return node;
}

// `what` (plural) at offset `pos` is JMESPath this subset does not have.
absl::Status UnsupportedError(std::string_view what, size_t pos) {
  return absl::InvalidArgumentError(absl::StrCat("--query: ", Sv(what), " (at character ", pos + 1,
                                                 ") are not supported; ", Sv(kSupported)));
}

// The JMESPath feature that character `c` starts (one this subset does not have), or
// empty.
std::string_view JmespathFeature(char c) {
  switch (c) {
    case '|':
      return "pipes |";
    case '{':
      return "multi-select hashes {...}";
    case ',':
      return "multi-select lists [a, b]";
    case ':':
      return "slices [start:stop]";
    case '(':
    case ')':
    case '&':
      return "functions";
    case '`':
    case '\'':
      return "literals";
    case '@':
      return "current-node references @";
    case '=':
    case '!':
    case '<':
    case '>':
      return "comparisons";
    default:
      return "";
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Token>> Tokens() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
      if (pos_ >= text_.size()) {
        tokens.push_back({Tok::kEnd, "", pos_});
        return tokens;
      }
      GANTRY_ASSIGN_OR_RETURN(Token token, Next());
      tokens.push_back(std::move(token));
    }
  }

 private:
  absl::StatusOr<Token> Next();
  absl::StatusOr<Token> QuotedName();
  absl::Status Unsupported(std::string_view what) const { return UnsupportedError(what, pos_); }

  std::string_view text_;
  size_t pos_ = 0;
};

absl::StatusOr<Token> Lexer::Next() {
  const size_t start = pos_;
  const char c = text_[pos_];
  auto single = [&](Tok type) {
    ++pos_;
    return Token{type, std::string(1, c), start};
  };
  if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') {
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return Token{Tok::kName, std::string(text_.substr(start, pos_ - start)), start};
  }
  if (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-') {
    ++pos_;
    while (pos_ < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    return Token{Tok::kNumber, std::string(text_.substr(start, pos_ - start)), start};
  }
  switch (c) {
    case '"':
      return QuotedName();
    case '.':
      return single(Tok::kDot);
    case ']':
      return single(Tok::kRBracket);
    case '*':
      return single(Tok::kStar);
    case '[':
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == ']') {
        pos_ += 2;
        return Token{Tok::kFlatten, "[]", start};
      }
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '?') {
        return Unsupported("filter expressions [?...]");
      }
      return single(Tok::kLBracket);
    default:
      break;
  }
  std::string_view feature = JmespathFeature(c);
  if (!feature.empty()) {
    return Unsupported(feature);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--query: unexpected \"", std::string(1, c), "\" at character ", start + 1));
}

// A JSON-style quoted name ("task-arn"); the common escapes only.
absl::StatusOr<Token> Lexer::QuotedName() {
  const size_t start = pos_++;
  std::string name;
  while (pos_ < text_.size() && text_[pos_] != '"') {
    char c = text_[pos_++];
    if (c == '\\') {
      if (pos_ >= text_.size()) {
        break;
      }
      const char escaped = text_[pos_++];
      switch (escaped) {
        case '"':
        case '\\':
        case '/':
          c = escaped;
          break;
        case 'n':
          c = '\n';
          break;
        case 't':
          c = '\t';
          break;
        default:
          return absl::InvalidArgumentError(absl::StrCat("--query: unsupported escape \"\\",
                                                         std::string(1, escaped),
                                                         "\" at character ", pos_ - 1));
      }
    }
    name.push_back(c);
  }
  if (pos_ >= text_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--query: the quote opened at character ", start + 1, " is not closed"));
  }
  ++pos_;
  return Token{Tok::kName, std::move(name), start};
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<NodePtr> ParseAll() {
    GANTRY_ASSIGN_OR_RETURN(NodePtr root, Parse(0));
    if (Peek().type != Tok::kEnd) {
      return Error(absl::StrCat("unexpected ", Describe(Peek())), Peek());
    }
    return root;
  }

 private:
  absl::StatusOr<NodePtr> Parse(int right_power);
  absl::StatusOr<NodePtr> Nud();
  absl::StatusOr<NodePtr> Led(NodePtr left);
  absl::StatusOr<NodePtr> Bracket(NodePtr left);
  absl::StatusOr<NodePtr> Projection(NodePtr left);
  absl::StatusOr<NodePtr> DotName();

  const Token& Peek() const { return tokens_[next_]; }
  const Token& Take() {
    const Token& token = tokens_[next_];
    if (token.type != Tok::kEnd) {
      ++next_;
    }
    return token;
  }
  absl::Status Expect(Tok type, std::string_view what) {
    if (Peek().type != type) {
      return Error(absl::StrCat("expected ", Sv(what), ", got ", Describe(Peek())), Peek());
    }
    Take();
    return absl::OkStatus();
  }
  static std::string Describe(const Token& token) {
    switch (token.type) {
      case Tok::kEnd:
        return "the end";
      case Tok::kName:
        return absl::StrCat("name \"", token.text, "\"");
      case Tok::kNumber:
        return absl::StrCat("number ", token.text);
      default:
        return absl::StrCat("\"", token.text, "\"");
    }
  }
  static absl::Status Unsupported(std::string_view what, const Token& at) {
    return UnsupportedError(what, at.pos);
  }
  absl::Status Error(std::string_view what, const Token& at) const {
    std::string where = at.type == Tok::kEnd ? "" : absl::StrCat(" at character ", at.pos + 1);
    return absl::InvalidArgumentError(absl::StrCat("--query: ", Sv(what), where));
  }

  std::vector<Token> tokens_;
  size_t next_ = 0;
};

absl::StatusOr<NodePtr> Parser::Parse(int right_power) {
  GANTRY_ASSIGN_OR_RETURN(NodePtr left, Nud());
  while (LeftPower(Peek().type) > right_power) {
    GANTRY_ASSIGN_OR_RETURN(left, Led(std::move(left)));
  }
  return left;
}

absl::StatusOr<NodePtr> Parser::Nud() {
  const Token& token = Take();
  switch (token.type) {
    case Tok::kName:
      return FieldNode(token.text);
    case Tok::kLBracket:
      return Bracket(MakeNode(Kind::kCurrent));
    case Tok::kFlatten:
      return Projection(MakeNode(Kind::kFlatten, MakeNode(Kind::kCurrent)));
    case Tok::kStar:
      return Unsupported("object wildcards *", token);
    default:
      return Error(absl::StrCat("expected a name or \"[\", got ", Describe(token)), token);
  }
}

absl::StatusOr<NodePtr> Parser::Led(NodePtr left) {
  const Token& token = Take();
  switch (token.type) {
    case Tok::kDot: {
      GANTRY_ASSIGN_OR_RETURN(NodePtr field, DotName());
      return MakeNode(Kind::kSub, std::move(left), std::move(field));
    }
    case Tok::kLBracket:
      return Bracket(std::move(left));
    default:  // Tok::kFlatten: LeftPower() lets nothing else through
      return Projection(MakeNode(Kind::kFlatten, std::move(left)));
  }
}

absl::StatusOr<NodePtr> Parser::DotName() {
  const Token& token = Take();
  if (token.type == Tok::kName) {
    return FieldNode(token.text);
  }
  if (token.type == Tok::kStar) {
    return Unsupported("object wildcards .*", token);
  }
  if (token.type == Tok::kLBracket || token.type == Tok::kFlatten) {
    return Unsupported("multi-select lists .[a, b]", token);
  }
  return Error(absl::StrCat("expected a name after \".\", got ", Describe(token)), token);
}

// After "[": an index and "]", or "*]".
absl::StatusOr<NodePtr> Parser::Bracket(NodePtr left) {
  const Token& token = Take();
  if (token.type == Tok::kNumber) {
    int64_t index = 0;
    if (!absl::SimpleAtoi(token.text, &index)) {
      return Error(absl::StrCat("\"", token.text, "\" is not an index"), token);
    }
    GANTRY_RETURN_IF_ERROR(Expect(Tok::kRBracket, "\"]\""));
    NodePtr node = MakeNode(Kind::kIndex, std::move(left));
    node->index = index;
    return node;
  }
  if (token.type == Tok::kStar) {
    GANTRY_RETURN_IF_ERROR(Expect(Tok::kRBracket, "\"]\""));
    return Projection(std::move(left));
  }
  return Error(absl::StrCat("expected an index or \"*\" after \"[\", got ", Describe(token)),
               token);
}

// The right-hand side of a projection: what applies to each element.
absl::StatusOr<NodePtr> Parser::Projection(NodePtr left) {
  NodePtr right;
  const Tok next = Peek().type;
  if (LeftPower(next) < kProjectionPower) {
    right = MakeNode(Kind::kCurrent);
  } else if (next == Tok::kLBracket) {
    GANTRY_ASSIGN_OR_RETURN(right, Parse(kProjectionPower));
  } else {  // Tok::kDot
    Take();
    GANTRY_ASSIGN_OR_RETURN(right, DotName());
    while (LeftPower(Peek().type) > kProjectionPower) {
      GANTRY_ASSIGN_OR_RETURN(right, Led(std::move(right)));
    }
  }
  return MakeNode(Kind::kProject, std::move(left), std::move(right));
}

JsonNode Null() { return JsonNode{}; }

JsonNode EvaluateNode(const Query::Node& node, const JsonNode& current) {
  switch (node.kind) {
    case Kind::kCurrent:
      return current;
    case Kind::kField:
      if (current.kind == JsonNode::Kind::kObject) {
        for (const auto& [name, value] : current.members) {
          if (name == node.name) {
            return value;
          }
        }
      }
      return Null();
    case Kind::kSub: {
      JsonNode left = EvaluateNode(*node.left, current);
      return left.kind == JsonNode::Kind::kNull ? Null() : EvaluateNode(*node.right, left);
    }
    case Kind::kIndex: {
      JsonNode left = EvaluateNode(*node.left, current);
      if (left.kind != JsonNode::Kind::kArray) {
        return Null();
      }
      const int64_t size = static_cast<int64_t>(left.elements.size());
      const int64_t index = node.index < 0 ? size + node.index : node.index;
      return index >= 0 && index < size ? std::move(left.elements[index]) : Null();
    }
    case Kind::kProject: {
      JsonNode left = EvaluateNode(*node.left, current);
      if (left.kind != JsonNode::Kind::kArray) {
        return Null();
      }
      JsonNode out;
      out.kind = JsonNode::Kind::kArray;
      for (const JsonNode& element : left.elements) {
        JsonNode value = EvaluateNode(*node.right, element);
        if (value.kind != JsonNode::Kind::kNull) {
          out.elements.push_back(std::move(value));
        }
      }
      return out;
    }
    case Kind::kFlatten: {
      JsonNode left = EvaluateNode(*node.left, current);
      if (left.kind != JsonNode::Kind::kArray) {
        return Null();
      }
      JsonNode out;
      out.kind = JsonNode::Kind::kArray;
      for (JsonNode& element : left.elements) {
        if (element.kind == JsonNode::Kind::kArray) {
          for (JsonNode& inner : element.elements) {
            out.elements.push_back(std::move(inner));
          }
        } else {
          out.elements.push_back(std::move(element));
        }
      }
      return out;
    }
  }
  return Null();
}

}  // namespace

Query::Query(std::unique_ptr<Node> root) : root_(std::move(root)) {}
Query::Query(Query&& other) noexcept = default;
Query& Query::operator=(Query&& other) noexcept = default;
Query::~Query() = default;

absl::StatusOr<Query> Query::Parse(std::string_view expression) {
  if (absl::StripAsciiWhitespace(Sv(expression)).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--query: the expression is empty; ", Sv(kSupported)));
  }
  if (expression.size() > kMaxExpressionLength) {
    return absl::InvalidArgumentError(absl::StrCat("--query: the expression is longer than ",
                                                   kMaxExpressionLength, " characters"));
  }
  GANTRY_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lexer(expression).Tokens());
  GANTRY_ASSIGN_OR_RETURN(NodePtr root, Parser(std::move(tokens)).ParseAll());
  return Query(std::move(root));
}

JsonNode Query::Evaluate(const JsonNode& root) const { return EvaluateNode(*root_, root); }

}  // namespace gantry::cli::internal
