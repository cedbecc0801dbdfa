// Fuzz target for the query language (daemon/match/query.h): any bytes -> parse_query and
// parse_list_entry. Checks the parser's contract on every input, and that rendering is stable:
// re-parsing what to_query_string() printed gives a tree that prints the same text.
//
// Input layout: the whole input is one query; it is also tried as one list entry.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/match/query.h"

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

using newswatch::match::LeafKind;
using newswatch::match::ParsedQuery;
using newswatch::match::QueryLimits;
using newswatch::match::QueryNode;

// The structural promises of query.h for one node and its subtree; returns the depth.
std::size_t check_node(const QueryNode& n, std::size_t text_size) {
  FUZZ_CHECK(n.begin <= n.end);
  FUZZ_CHECK(n.end <= text_size);
  std::size_t depth = 0;
  switch (n.kind) {
    case QueryNode::Kind::kAnd:
    case QueryNode::Kind::kOr:
      FUZZ_CHECK(n.children.size() >= 2);
      break;
    case QueryNode::Kind::kNot:
      FUZZ_CHECK(n.children.size() == 1);
      break;
    case QueryNode::Kind::kNear:
      FUZZ_CHECK(n.children.size() == 2);
      break;
    case QueryNode::Kind::kLeaf:
      FUZZ_CHECK(n.children.empty());
      FUZZ_CHECK(n.fields != 0 && (n.fields & ~newswatch::match::kFieldAll) == 0);
      if (n.leaf_kind != LeafKind::kExact) FUZZ_CHECK(!n.exact_phrase);
      if (n.leaf_kind != LeafKind::kRegex) FUZZ_CHECK(!n.case_insensitive);
      break;
    case QueryNode::Kind::kList:
      FUZZ_CHECK(n.children.empty());
      FUZZ_CHECK(!n.text.empty());
      break;
    case QueryNode::Kind::kMeta:
      FUZZ_CHECK(n.children.empty());
      break;
  }
  for (const QueryNode& c : n.children) {
    FUZZ_CHECK(c.begin >= n.begin && c.end <= n.end);  // children lie inside their parent
    depth = std::max(depth, check_node(c, text_size) + 1);
  }
  return depth;
}

void check_result(const ParsedQuery& p, std::string_view text) {
  FUZZ_CHECK(p.root.has_value() == p.errors.empty());
  for (const auto& e : p.errors) {
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.offset <= text.size());
  }
  if (p.root) check_node(*p.root, text.size());
}

// Rendering then re-parsing is a fixed point: print(parse(print(t))) == print(t). Rendering
// adds parentheses where precedence made them implicit, so the re-parse gets room for them.
void check_round_trip(const QueryNode& root, const QueryLimits& limits, bool list_entry) {
  const std::string rendered = newswatch::match::to_query_string(root);
  const QueryLimits relaxed{rendered.size() + 1, limits.max_depth * 4 + 8};
  const ParsedQuery again = list_entry ? newswatch::match::parse_list_entry(rendered)
                                       : newswatch::match::parse_query(rendered, relaxed);
  if (!again.root) {
    std::fprintf(stderr, "rendered query does not parse: [%s]: %s\n", rendered.c_str(),
                 again.errors.empty() ? "" : again.errors[0].message.c_str());
  }
  FUZZ_CHECK(again.root.has_value());
  check_node(*again.root, rendered.size());
  const std::string rendered_again = newswatch::match::to_query_string(*again.root);
  if (rendered_again != rendered) {
    std::fprintf(stderr, "rendering is not stable:\n  first:  [%s]\n  second: [%s]\n",
                 rendered.c_str(), rendered_again.c_str());
  }
  FUZZ_CHECK(rendered_again == rendered);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const QueryLimits limits;  // the defaults the loader uses
  const ParsedQuery q = newswatch::match::parse_query(text, limits);
  check_result(q, text);
  if (q.root) {
    FUZZ_CHECK(check_node(*q.root, text.size()) <= limits.max_depth * 4 + 4);
    check_round_trip(*q.root, limits, false);
  }

  // Tight limits: errors, never a crash or an unbounded recursion.
  const QueryLimits tight{64, 3};
  const ParsedQuery t = newswatch::match::parse_query(text, tight);
  check_result(t, text);
  if (text.size() > tight.max_length) FUZZ_CHECK(!t.root.has_value());

  const ParsedQuery e = newswatch::match::parse_list_entry(text);
  check_result(e, text);
  if (e.root) {
    FUZZ_CHECK(e.root->kind == QueryNode::Kind::kLeaf || e.root->kind == QueryNode::Kind::kList);
    check_round_trip(*e.root, limits, true);
  }
  return 0;
}
