// The query language of RULES-SPEC §3: tokenizer, parser and abstract syntax tree.
//
// The parser is pure syntax: it does not resolve lists, compile regexes or judge whether a
// query is sensible; the compiler does (see rule_set.h). Positions are byte offsets into the
// query text so the loader can turn them into file:line:column.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::match {

// Which text fields a leaf looks at.
enum FieldMask : std::uint8_t {
  kFieldTitle = 1u << 0,
  kFieldBody = 1u << 1,
  kFieldAll = kFieldTitle | kFieldBody,
};

enum class LeafKind : std::uint8_t {
  kTerm,    // alibaba, e-commerce, c++
  kPrefix,  // europ*
  kPhrase,  // "ant group"
  kExact,   // =EU, ="Société Générale" (original view: case and accents count)
  kRegex,   // /banques? centrales?/i
};

enum class MetaKind : std::uint8_t { kLang, kSource, kSite };

struct QueryNode {
  enum class Kind : std::uint8_t { kAnd, kOr, kNot, kNear, kLeaf, kList, kMeta };
  Kind kind = Kind::kLeaf;
  std::uint32_t begin = 0;  // byte span of this node in the query text
  std::uint32_t end = 0;
  std::vector<QueryNode> children;  // kAnd/kOr: 2+; kNot: 1; kNear: 2

  // kLeaf: the literal as written, without decoration (no quotes, '=', '*' or slashes; for
  // regexes, "\/" already turned into "/").
  LeafKind leaf_kind = LeafKind::kTerm;
  std::string text;                 // kLeaf literal / kList name / kMeta value
  bool exact_phrase = false;        // kExact written with quotes
  bool case_insensitive = false;    // kRegex flag i
  std::uint8_t fields = kFieldAll;  // kLeaf/kList: set by title:/body: scopes
  bool field_scoped = false;        // a title:/body: scope was written on or above this node

  MetaKind meta = MetaKind::kLang;  // kMeta

  std::uint8_t near_distance = 0;  // kNear: n of NEAR/n
  bool near_ordered = false;       // kNear: ONEAR
};

struct QueryError {
  std::uint32_t offset = 0;  // byte offset into the query text
  std::string message;
};

struct ParsedQuery {
  std::optional<QueryNode> root;  // set when errors is empty
  std::vector<QueryError> errors;
};

// Limits that keep hostile rule files from exhausting the parser.
struct QueryLimits {
  std::size_t max_length = 16 * 1024;  // bytes of query text
  std::size_t max_depth = 64;          // nesting of parentheses / NOT
};

// Parses one query. Syntax errors stop at the first error (later ones are usually
// consequences); limit violations are reported as errors too.
ParsedQuery parse_query(std::string_view query, const QueryLimits& limits = {});

// Parses one list entry (RULES-SPEC §1): a single leaf in query syntax, where an unquoted entry
// containing spaces is a phrase (YAML already removed the quotes of "ant group"), or "@name".
// Returns a kLeaf or kList node, or errors.
ParsedQuery parse_list_entry(std::string_view entry);

// Renders a node back to query syntax (normalised spacing), for explain and diagnostics.
std::string to_query_string(const QueryNode& node);

}  // namespace newswatch::match
