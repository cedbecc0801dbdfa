#include "daemon/match/query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace newswatch::match {
namespace {

constexpr int kMaxNearDistance = 50;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool ends_token(char c) {
  return is_space(c) || c == '(' || c == ')' || c == '"';
}
bool is_list_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

struct Token {
  enum class Kind { kEnd, kLParen, kRParen, kAnd, kOr, kNot, kNear, kField, kLeaf, kList };
  Kind kind = Kind::kEnd;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  // kLeaf
  LeafKind leaf_kind = LeafKind::kTerm;
  std::string text;  // kLeaf literal, kList name, kField name
  bool exact_phrase = false;
  bool case_insensitive = false;
  // kNear
  std::uint8_t distance = 0;
  bool ordered = false;
};

std::string_view describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd:
      return "the end of the query";
    case Token::Kind::kLParen:
      return "'('";
    case Token::Kind::kRParen:
      return "')'";
    case Token::Kind::kAnd:
      return "'AND'";
    case Token::Kind::kOr:
      return "'OR'";
    case Token::Kind::kNot:
      return "'NOT'";
    case Token::Kind::kNear:
      return t.ordered ? "'ONEAR'" : "'NEAR'";
    case Token::Kind::kField:
      return "a field";
    case Token::Kind::kLeaf:
      return "a term";
    case Token::Kind::kList:
      return "a list";
  }
  return "?";
}

// Splits a query into tokens. Stops at the first lexical error.
class Lexer {
 public:
  explicit Lexer(std::string_view q) : q_(q) {}

  // Returns false and sets error_ on a lexical error.
  bool next(Token& t) {
    while (pos_ < q_.size() && is_space(q_[pos_])) ++pos_;
    t = Token{};
    t.begin = static_cast<std::uint32_t>(pos_);
    if (pos_ >= q_.size()) {
      t.kind = Token::Kind::kEnd;
      t.end = t.begin;
      return true;
    }
    const char c = q_[pos_];
    const bool raw_value = std::exchange(raw_value_next_, false);
    if (c == '(' || c == ')') {
      t.kind = c == '(' ? Token::Kind::kLParen : Token::Kind::kRParen;
      ++pos_;
      return finish(t);
    }
    if (c == '"') return lex_phrase(t, LeafKind::kPhrase);
    if (c == '/') return lex_regex(t);
    if (c == '=') {
      ++pos_;
      if (pos_ < q_.size() && q_[pos_] == '"') {
        if (!lex_phrase(t, LeafKind::kExact)) return false;  // t.begin is at the '='
        t.exact_phrase = true;
        return true;
      }
      return lex_word(t, /*exact=*/true);
    }
    if (c == '@') return lex_list(t);
    if (raw_value) {
      // The value of lang:/source:/site: is taken as written (site:https://x/ is one value).
      while (pos_ < q_.size() && !ends_token(q_[pos_])) ++pos_;
      t.kind = Token::Kind::kLeaf;
      t.leaf_kind = LeafKind::kTerm;
      t.text = std::string(q_.substr(t.begin, pos_ - t.begin));
      return finish(t);
    }
    return lex_word(t, /*exact=*/false);
  }

  const QueryError& error() const { return error_; }

 private:
  bool fail(std::size_t at, std::string message) {
    error_.offset = static_cast<std::uint32_t>(at);
    error_.message = std::move(message);
    return false;
  }
  bool finish(Token& t) {
    t.end = static_cast<std::uint32_t>(pos_);
    return true;
  }

  bool lex_phrase(Token& t, LeafKind kind) {
    const std::size_t open = pos_;
    ++pos_;  // opening quote
    std::string text;
    while (pos_ < q_.size() && q_[pos_] != '"') {
      if (q_[pos_] == '\\' && pos_ + 1 < q_.size() &&
          (q_[pos_ + 1] == '"' || q_[pos_ + 1] == '\\')) {
        text.push_back(q_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      text.push_back(q_[pos_++]);
    }
    if (pos_ >= q_.size()) return fail(open, "unterminated phrase: missing closing '\"'");
    ++pos_;  // closing quote
    if (pos_ < q_.size() && q_[pos_] == '*') {
      return fail(pos_,
                  "a phrase cannot end with '*'; for a prefix inside a phrase write "
                  "e.g. banque ONEAR/0 centr*");
    }
    if (pos_ < q_.size() && !ends_token(q_[pos_])) {
      return fail(pos_, "unexpected character after a closing '\"'; leave a space between terms");
    }
    if (text.find('*') != std::string::npos) {
      return fail(open,
                  "'*' is not allowed inside a phrase; for a prefix inside a phrase write "
                  "e.g. banque ONEAR/0 centr*");
    }
    bool blank = true;
    for (char ch : text) blank = blank && is_space(ch);
    if (blank) return fail(open, "empty phrase");
    t.kind = Token::Kind::kLeaf;
    t.leaf_kind = kind;
    t.text = std::move(text);
    return finish(t);
  }

  bool lex_regex(Token& t) {
    const std::size_t open = pos_;
    ++pos_;
    std::string pattern;
    bool closed = false;
    while (pos_ < q_.size()) {
      const char ch = q_[pos_];
      if (ch == '\\' && pos_ + 1 < q_.size()) {
        if (q_[pos_ + 1] == '/') {
          pattern.push_back('/');
        } else {
          pattern.push_back('\\');
          pattern.push_back(q_[pos_ + 1]);
        }
        pos_ += 2;
        continue;
      }
      if (ch == '/') {
        closed = true;
        ++pos_;
        break;
      }
      pattern.push_back(ch);
      ++pos_;
    }
    if (!closed)
      return fail(open, "unterminated regex: missing closing '/' (write \\/ for a slash inside)");
    if (pattern.empty()) return fail(open, "empty regex");
    bool icase = false;
    while (pos_ < q_.size() && !ends_token(q_[pos_])) {
      if (q_[pos_] == 'i') {
        icase = true;
        ++pos_;
        continue;
      }
      return fail(pos_, std::string("unknown regex flag '") + q_[pos_] + "' (the only flag is i)");
    }
    t.kind = Token::Kind::kLeaf;
    t.leaf_kind = LeafKind::kRegex;
    t.text = std::move(pattern);
    t.case_insensitive = icase;
    return finish(t);
  }

  bool lex_list(Token& t) {
    const std::size_t at = pos_;
    ++pos_;
    const std::size_t start = pos_;
    while (pos_ < q_.size() && is_list_name_char(q_[pos_])) ++pos_;
    if (pos_ == start) return fail(at, "'@' must be followed by a list name");
    if (pos_ < q_.size() && !ends_token(q_[pos_])) {
      return fail(pos_, "list names use letters, digits, '_', '-' and '.'");
    }
    t.kind = Token::Kind::kList;
    t.text = std::string(q_.substr(start, pos_ - start));
    return finish(t);
  }

  bool lex_word(Token& t, bool exact) {
    const std::size_t start = pos_;
    while (pos_ < q_.size() && !ends_token(q_[pos_])) ++pos_;
    std::string_view word = q_.substr(start, pos_ - start);
    const std::size_t token_begin = exact ? start - 1 : start;
    if (word.empty()) return fail(token_begin, "'=' must be followed by a term or a quoted phrase");

    if (!exact) {
      // Operators are upper-case words.
      if (word == "AND") return keyword(t, Token::Kind::kAnd);
      if (word == "OR") return keyword(t, Token::Kind::kOr);
      if (word == "NOT") return keyword(t, Token::Kind::kNot);
      const bool onear = word.starts_with("ONEAR");
      if (onear || word.starts_with("NEAR")) return lex_near(t, word, start, onear);
      // Fields: name:value with the value glued to the colon (name:"..." and name:(...) too).
      std::size_t letters = 0;
      while (letters < word.size() && std::isalpha(static_cast<unsigned char>(word[letters])))
        ++letters;
      const std::size_t after = start + letters + 1;
      if (letters > 0 && start + letters < q_.size() && q_[start + letters] == ':' &&
          after < q_.size() && !is_space(q_[after]) && q_[after] != ')') {
        pos_ = after;
        t.kind = Token::Kind::kField;
        t.text = std::string(word.substr(0, letters));
        raw_value_next_ = t.text == "lang" || t.text == "source" || t.text == "site";
        return finish(t);
      }
    }
    const std::size_t star = word.find('*');
    LeafKind kind = exact ? LeafKind::kExact : LeafKind::kTerm;
    if (star != std::string_view::npos) {
      if (star + 1 != word.size())
        return fail(start + star, "'*' is only allowed at the end of a term");
      if (exact) return fail(token_begin, "an exact term (=...) cannot be a prefix");
      kind = LeafKind::kPrefix;
      word.remove_suffix(1);
      if (word.empty()) return fail(start, "'*' alone is not a term");
    }
    t.begin = static_cast<std::uint32_t>(token_begin);
    t.kind = Token::Kind::kLeaf;
    t.leaf_kind = kind;
    t.text = std::string(word);
    return finish(t);
  }

  bool lex_near(Token& t, std::string_view word, std::size_t start, bool onear) {
    const std::string_view name = onear ? "ONEAR" : "NEAR";
    if (word.size() == name.size() || word[name.size()] != '/') {
      if (word.size() == name.size()) {
        return fail(start, std::string(name) + " needs a distance, e.g. " + std::string(name) +
                               "/5 (write it in lower case to search for the word)");
      }
      // Something like NEARBY: an ordinary term.
      t.kind = Token::Kind::kLeaf;
      t.leaf_kind = LeafKind::kTerm;
      t.text = std::string(word);
      return finish(t);
    }
    const std::string_view digits = word.substr(name.size() + 1);
    int n = -1;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
      if (ec == std::errc::result_out_of_range) {
        return fail(start, std::string(name) + " distance out of range: it must be 0 to 50");
      }
      return fail(start, std::string(name) + "/ must be followed by a number from 0 to 50");
    }
    if (n < 0 || n > kMaxNearDistance) {
      return fail(start, std::string(name) + " distance " + std::to_string(n) +
                             " out of range: it must be 0 to 50");
    }
    t.kind = Token::Kind::kNear;
    t.distance = static_cast<std::uint8_t>(n);
    t.ordered = onear;
    return finish(t);
  }

  bool keyword(Token& t, Token::Kind kind) {
    t.kind = kind;
    return finish(t);
  }

  std::string_view q_;
  std::size_t pos_ = 0;
  bool raw_value_next_ = false;
  QueryError error_;
};

class Parser {
 public:
  Parser(std::string_view q, const QueryLimits& limits) : lexer_(q), limits_(limits) {}

  ParsedQuery run() {
    ParsedQuery out;
    if (!advance()) return fail_result();
    if (tok_.kind == Token::Kind::kEnd) {
      error_ = QueryError{0, "empty query"};
      return fail_result();
    }
    QueryNode root;
    if (!parse_or(root)) return fail_result();
    if (tok_.kind != Token::Kind::kEnd) {
      if (tok_.kind == Token::Kind::kRParen) {
        error_ = QueryError{tok_.begin, "unexpected ')' without a matching '('"};
      } else {
        error_ = QueryError{tok_.begin, std::string("unexpected ") + std::string(describe(tok_))};
      }
      return fail_result();
    }
    out.root = std::move(root);
    return out;
  }

 private:
  ParsedQuery fail_result() {
    ParsedQuery out;
    out.errors.push_back(error_);
    return out;
  }
  bool fail(std::uint32_t at, std::string message) {
    error_ = QueryError{at, std::move(message)};
    return false;
  }
  bool advance() {
    if (!lexer_.next(tok_)) {
      error_ = lexer_.error();
      return false;
    }
    return true;
  }

  static bool starts_operand(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kLParen:
      case Token::Kind::kNot:
      case Token::Kind::kField:
      case Token::Kind::kLeaf:
      case Token::Kind::kList:
        return true;
      default:
        return false;
    }
  }

  bool expect_operand(std::string_view after, std::uint32_t at) {
    if (starts_operand(tok_)) return true;
    return fail(tok_.kind == Token::Kind::kEnd ? at : tok_.begin,
                std::string("expected a term, phrase, list or '(' after ") + std::string(after) +
                    ", found " + std::string(describe(tok_)));
  }

  static QueryNode make_binary(QueryNode::Kind kind, QueryNode lhs, QueryNode rhs) {
    QueryNode n;
    n.kind = kind;
    n.begin = lhs.begin;
    n.end = rhs.end;
    // Flatten chains of the same associative operator.
    if (lhs.kind == kind) {
      n.children = std::move(lhs.children);
    } else {
      n.children.push_back(std::move(lhs));
    }
    if (rhs.kind == kind) {
      for (auto& c : rhs.children) n.children.push_back(std::move(c));
    } else {
      n.children.push_back(std::move(rhs));
    }
    return n;
  }

  bool parse_or(QueryNode& out) {
    if (!parse_and(out)) return false;
    while (tok_.kind == Token::Kind::kOr) {
      const std::uint32_t op_at = tok_.begin;
      if (!advance()) return false;
      if (!expect_operand("'OR'", op_at)) return false;
      QueryNode rhs;
      if (!parse_and(rhs)) return false;
      out = make_binary(QueryNode::Kind::kOr, std::move(out), std::move(rhs));
    }
    return true;
  }

  bool parse_and(QueryNode& out) {
    if (!parse_near(out)) return false;
    for (;;) {
      if (tok_.kind == Token::Kind::kAnd) {
        const std::uint32_t op_at = tok_.begin;
        if (!advance()) return false;
        if (!expect_operand("'AND'", op_at)) return false;
      } else if (!starts_operand(tok_)) {
        return true;
      }
      QueryNode rhs;
      if (!parse_near(rhs)) return false;
      out = make_binary(QueryNode::Kind::kAnd, std::move(out), std::move(rhs));
    }
  }

  bool parse_near(QueryNode& out) {
    if (!parse_unary(out)) return false;
    if (tok_.kind != Token::Kind::kNear) return true;
    const Token op = tok_;
    if (!advance()) return false;
    if (!expect_operand(op.ordered ? "'ONEAR'" : "'NEAR'", op.begin)) return false;
    QueryNode rhs;
    if (!parse_unary(rhs)) return false;
    if (tok_.kind == Token::Kind::kNear) {
      return fail(tok_.begin,
                  "NEAR/ONEAR cannot be chained (a NEAR/3 b NEAR/3 c); combine pairs with AND, "
                  "e.g. (a NEAR/3 b) AND (b NEAR/3 c)");
    }
    QueryNode n;
    n.kind = QueryNode::Kind::kNear;
    n.begin = out.begin;
    n.end = rhs.end;
    n.near_distance = op.distance;
    n.near_ordered = op.ordered;
    n.children.push_back(std::move(out));
    n.children.push_back(std::move(rhs));
    out = std::move(n);
    return true;
  }

  bool enter() {
    if (++depth_ > limits_.max_depth) {
      return fail(tok_.begin, "query nested too deeply (more than " +
                                  std::to_string(limits_.max_depth) + " levels)");
    }
    return true;
  }

  bool parse_unary(QueryNode& out) {
    if (tok_.kind != Token::Kind::kNot) return parse_primary(out);
    if (!enter()) return false;
    const std::uint32_t at = tok_.begin;
    if (!advance()) return false;
    if (!expect_operand("'NOT'", at)) return false;
    QueryNode child;
    if (!parse_unary(child)) return false;
    --depth_;
    out = QueryNode{};
    out.kind = QueryNode::Kind::kNot;
    out.begin = at;
    out.end = child.end;
    out.children.push_back(std::move(child));
    return true;
  }

  bool parse_primary(QueryNode& out) {
    switch (tok_.kind) {
      case Token::Kind::kLParen: {
        if (!enter()) return false;
        const std::uint32_t open = tok_.begin;
        if (!advance()) return false;
        if (tok_.kind == Token::Kind::kRParen) return fail(open, "empty parentheses");
        if (!expect_operand("'('", open)) return false;
        if (!parse_or(out)) return false;
        if (tok_.kind != Token::Kind::kRParen) {
          return fail(open, "missing ')' to close this '('");
        }
        out.begin = open;
        out.end = tok_.end;
        --depth_;
        return advance();
      }
      case Token::Kind::kField:
        return parse_field(out);
      case Token::Kind::kLeaf: {
        out = QueryNode{};
        out.kind = QueryNode::Kind::kLeaf;
        out.begin = tok_.begin;
        out.end = tok_.end;
        out.leaf_kind = tok_.leaf_kind;
        out.text = std::move(tok_.text);
        out.exact_phrase = tok_.exact_phrase;
        out.case_insensitive = tok_.case_insensitive;
        return advance();
      }
      case Token::Kind::kList: {
        out = QueryNode{};
        out.kind = QueryNode::Kind::kList;
        out.begin = tok_.begin;
        out.end = tok_.end;
        out.text = std::move(tok_.text);
        return advance();
      }
      default:
        return fail(tok_.begin, std::string("expected a term, phrase, list or '(', found ") +
                                    std::string(describe(tok_)));
    }
  }

  bool parse_field(QueryNode& out) {
    const Token field = tok_;
    std::uint8_t mask = 0;
    std::optional<MetaKind> meta;
    if (field.text == "title") {
      mask = kFieldTitle;
    } else if (field.text == "body") {
      mask = kFieldBody;
    } else if (field.text == "lang") {
      meta = MetaKind::kLang;
    } else if (field.text == "source") {
      meta = MetaKind::kSource;
    } else if (field.text == "site") {
      meta = MetaKind::kSite;
    } else {
      return fail(field.begin, "unknown field '" + field.text +
                                   "' (fields: title, body, lang, source, site; to search for "
                                   "text containing ':' put it in quotes)");
    }
    if (!advance()) return false;
    if (meta) {
      if (tok_.kind != Token::Kind::kLeaf ||
          (tok_.leaf_kind != LeafKind::kTerm && tok_.leaf_kind != LeafKind::kPhrase)) {
        return fail(tok_.begin, field.text + ": needs a plain value, e.g. " + field.text +
                                    (field.text == "lang"   ? ":fr"
                                     : field.text == "site" ? ":lesechos.fr"
                                                            : ":\"Les Echos\""));
      }
      out = QueryNode{};
      out.kind = QueryNode::Kind::kMeta;
      out.meta = *meta;
      out.begin = field.begin;
      out.end = tok_.end;
      out.text = std::move(tok_.text);
      return advance();
    }
    if (!expect_operand("'" + field.text + ":'", field.begin)) return false;
    if (tok_.kind == Token::Kind::kNot) {
      return fail(tok_.begin, "put NOT before the field: NOT " + field.text + ":x");
    }
    if (!parse_primary(out)) return false;
    if (!apply_scope(out, mask, field)) return false;
    out.begin = field.begin;
    return true;
  }

  // Restricts every text leaf under `n` to `mask`.
  bool apply_scope(QueryNode& n, std::uint8_t mask, const Token& field) {
    switch (n.kind) {
      case QueryNode::Kind::kLeaf:
      case QueryNode::Kind::kList:
        if (n.field_scoped && n.fields != mask) {
          return fail(n.begin, "conflicting field scopes: '" + field.text +
                                   ":' contains a leaf scoped to another field");
        }
        n.fields = mask;
        n.field_scoped = true;
        return true;
      case QueryNode::Kind::kMeta:
        return fail(n.begin, "metadata filters (lang:, source:, site:) cannot be inside '" +
                                 field.text + ":'");
      default:
        n.field_scoped = true;
        for (auto& c : n.children) {
          if (!apply_scope(c, mask, field)) return false;
        }
        return true;
    }
  }

  Lexer lexer_;
  const QueryLimits& limits_;
  Token tok_;
  QueryError error_;
  std::size_t depth_ = 0;
};

void render(const QueryNode& n, std::string& out, bool top);

// A lang:/source:/site: value. The lexer takes an unquoted value as written, up to a space,
// parenthesis or quote (site:https://x/ is one value), so a value is printed bare when it has
// none of those and does not start like a list, an exact term or a regex ('@', '=', '/'; an
// operator word is a plain value there); otherwise it came from a quoted phrase (which cannot
// hold '*') and is printed quoted and escaped. Found by the query fuzzer: source:"a\nb" was printed
// bare and read back as two terms.
void render_meta_value(const std::string& value, std::string& out) {
  const bool bare = !value.empty() && value.front() != '@' && value.front() != '=' &&
                    value.front() != '/' && std::none_of(value.begin(), value.end(), ends_token);
  if (bare) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void render_leaf(const QueryNode& n, std::string& out) {
  switch (n.leaf_kind) {
    case LeafKind::kTerm:
      out += n.text;
      break;
    case LeafKind::kPrefix:
      out += n.text;
      out += '*';
      break;
    case LeafKind::kPhrase:
    case LeafKind::kExact: {
      const bool quoted = n.leaf_kind == LeafKind::kPhrase || n.exact_phrase;
      if (n.leaf_kind == LeafKind::kExact) out += '=';
      if (quoted) out += '"';
      for (char c : n.text) {
        if (quoted && (c == '"' || c == '\\')) out += '\\';
        out += c;
      }
      if (quoted) out += '"';
      break;
    }
    case LeafKind::kRegex:
      out += '/';
      for (char c : n.text) {
        if (c == '/') out += '\\';
        out += c;
      }
      out += '/';
      if (n.case_insensitive) out += 'i';
      break;
  }
}

void render(const QueryNode& n, std::string& out, bool top) {
  switch (n.kind) {
    case QueryNode::Kind::kLeaf:
    case QueryNode::Kind::kList:
      if (n.fields != kFieldAll) out += n.fields == kFieldTitle ? "title:" : "body:";
      if (n.kind == QueryNode::Kind::kList) {
        out += '@';
        out += n.text;
      } else {
        render_leaf(n, out);
      }
      return;
    case QueryNode::Kind::kMeta: {
      out += n.meta == MetaKind::kLang     ? "lang:"
             : n.meta == MetaKind::kSource ? "source:"
                                           : "site:";
      render_meta_value(n.text, out);
      return;
    }
    case QueryNode::Kind::kNot:
      out += "NOT ";
      render(n.children[0], out, false);
      return;
    case QueryNode::Kind::kNear:
      if (!top) out += '(';
      render(n.children[0], out, false);
      out += n.near_ordered ? " ONEAR/" : " NEAR/";
      out += std::to_string(n.near_distance);
      out += ' ';
      render(n.children[1], out, false);
      if (!top) out += ')';
      return;
    case QueryNode::Kind::kAnd:
    case QueryNode::Kind::kOr: {
      if (!top) out += '(';
      const char* op = n.kind == QueryNode::Kind::kAnd ? " AND " : " OR ";
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += op;
        render(n.children[i], out, false);
      }
      if (!top) out += ')';
      return;
    }
  }
}

}  // namespace

ParsedQuery parse_query(std::string_view query, const QueryLimits& limits) {
  if (query.size() > limits.max_length) {
    ParsedQuery out;
    out.errors.push_back(QueryError{0, "query too long (" + std::to_string(query.size()) +
                                           " bytes; the limit is " +
                                           std::to_string(limits.max_length) + ")"});
    return out;
  }
  return Parser(query, limits).run();
}

ParsedQuery parse_list_entry(std::string_view entry) {
  ParsedQuery out;
  std::size_t b = 0;
  std::size_t e = entry.size();
  while (b < e && is_space(entry[b])) ++b;
  while (e > b && is_space(entry[e - 1])) --e;
  const std::string_view s = entry.substr(b, e - b);
  auto error = [&](std::string message) {
    out.errors.push_back(QueryError{static_cast<std::uint32_t>(b), std::move(message)});
    return out;
  };
  if (s.empty()) return error("empty list entry");

  const bool has_space = s.find_first_of(" \t\n\r") != std::string_view::npos;
  const bool quoted = s.front() == '"' || (s.size() > 1 && s[0] == '=' && s[1] == '"');
  if (has_space && !quoted && s.front() != '/') {
    // An unquoted entry with spaces is a phrase (YAML removed the quotes), or an exact phrase.
    const bool exact = s.front() == '=';
    const std::string_view words = exact ? s.substr(1) : s;
    for (std::string_view op : {"AND", "OR", "NOT", "NEAR/", "ONEAR/"}) {
      for (std::size_t at = words.find(op); at != std::string_view::npos;
           at = words.find(op, at + 1)) {
        const bool starts = at == 0 || is_space(words[at - 1]);
        const std::size_t after = at + op.size();
        const bool ends = op.back() == '/' || after == words.size() || is_space(words[after]);
        if (starts && ends) {
          return error("a list entry is a single term, phrase, prefix, exact term or regex; '" +
                       std::string(op.back() == '/' ? op.substr(0, op.size() - 1) : op) +
                       "' here would be searched as a word: split it into separate entries");
        }
      }
    }
    if (words.find('*') != std::string_view::npos) {
      return error(
          "'*' is not allowed inside a phrase; for a prefix inside a phrase use a query "
          "with ONEAR/0");
    }
    QueryNode n;
    n.kind = QueryNode::Kind::kLeaf;
    n.leaf_kind = exact ? LeafKind::kExact : LeafKind::kPhrase;
    n.exact_phrase = exact;
    n.text = std::string(words);
    n.begin = static_cast<std::uint32_t>(b);
    n.end = static_cast<std::uint32_t>(e);
    out.root = std::move(n);
    return out;
  }

  // Otherwise the entry is exactly one token of query syntax.
  Lexer lexer(s);
  Token t;
  if (!lexer.next(t)) {
    QueryError err = lexer.error();
    err.offset += static_cast<std::uint32_t>(b);
    out.errors.push_back(std::move(err));
    return out;
  }
  if (t.kind != Token::Kind::kLeaf && t.kind != Token::Kind::kList) {
    if (t.kind == Token::Kind::kField) {
      return error("a list entry cannot use a field (" + t.text +
                   ":); scope the list in the query instead, e.g. title:@list");
    }
    return error("a list entry must be a term, phrase, prefix, exact term, regex or @list, not " +
                 std::string(describe(t)));
  }
  Token rest;
  if (!lexer.next(rest) || rest.kind != Token::Kind::kEnd) {
    return error("a list entry is a single leaf; put each term in its own entry");
  }
  QueryNode n;
  n.kind = t.kind == Token::Kind::kList ? QueryNode::Kind::kList : QueryNode::Kind::kLeaf;
  n.leaf_kind = t.leaf_kind;
  n.text = std::move(t.text);
  n.exact_phrase = t.exact_phrase;
  n.case_insensitive = t.case_insensitive;
  n.begin = static_cast<std::uint32_t>(b);
  n.end = static_cast<std::uint32_t>(e);
  out.root = std::move(n);
  return out;
}

std::string to_query_string(const QueryNode& node) {
  std::string out;
  render(node, out, true);
  return out;
}

}  // namespace newswatch::match
