#include "daemon/match/query.h"

#include <gtest/gtest.h>

namespace newswatch::match {
namespace {

std::string parse_ok(std::string_view q) {
  ParsedQuery p = parse_query(q);
  EXPECT_TRUE(p.errors.empty()) << q << ": " << (p.errors.empty() ? "" : p.errors[0].message);
  return p.root ? to_query_string(*p.root) : "";
}

QueryError parse_error(std::string_view q) {
  ParsedQuery p = parse_query(q);
  EXPECT_FALSE(p.root.has_value()) << q;
  EXPECT_EQ(p.errors.size(), 1u) << q;
  return p.errors.empty() ? QueryError{} : p.errors[0];
}

TEST(QueryParser, PrecedenceNotNearAndOr) {
  EXPECT_EQ(parse_ok("a b OR c"), "(a AND b) OR c");
  EXPECT_EQ(parse_ok("a OR b c"), "a OR (b AND c)");
  EXPECT_EQ(parse_ok("a AND b OR c AND d"), "(a AND b) OR (c AND d)");
  EXPECT_EQ(parse_ok("NOT a b"), "NOT a AND b");
  EXPECT_EQ(parse_ok("a NEAR/3 b c"), "(a NEAR/3 b) AND c");
  EXPECT_EQ(parse_ok("a OR b NEAR/2 c"), "a OR (b NEAR/2 c)");
  EXPECT_EQ(parse_ok("(a OR b) NEAR/2 c"), "(a OR b) NEAR/2 c");
  EXPECT_EQ(parse_ok("a ONEAR/0 b"), "a ONEAR/0 b");
}

TEST(QueryParser, MetadataValuesPrintBackToTheSameValue) {
  EXPECT_EQ(parse_ok("lang:fr AND site:https://www.lemonde.fr/ AND x"),
            "lang:fr AND site:https://www.lemonde.fr/ AND x");
  EXPECT_EQ(parse_ok(R"(source:"Les Echos" x)"), R"(source:"Les Echos" AND x)");
  // Printed bare, these would read back as other terms or operators (the query fuzzer found
  // the line breaks).
  EXPECT_EQ(parse_ok("source:\"a\nb\" x"), "source:\"a\nb\" AND x");
  EXPECT_EQ(parse_ok(R"(source:"NOT" x)"), R"(source:NOT AND x)");  // a value, not an operator
  EXPECT_EQ(parse_ok(R"(source:"Le \"Monde\"" x)"), R"(source:"Le \"Monde\"" AND x)");
  EXPECT_EQ(parse_ok(R"q(source:"Ouest-France (Rennes)" x)q"),
            R"q(source:"Ouest-France (Rennes)" AND x)q");
  EXPECT_EQ(parse_ok(R"(source:"Libération" x)"), R"(source:Libération AND x)");
  EXPECT_EQ(parse_ok("lang:fr* x"), "lang:fr* AND x");  // unquoted values are taken as written
  for (const char* q :
       {"source:\"a\nb\" x", R"(source:"NOT" x)", R"(source:"Le \"Monde\"" x)",
        "lang:cyer* ONEAR/3 attaque*", R"(site:"@x" x)", R"(site:"=x" x)", R"(source:"/x" x)"}) {
    const std::string printed = parse_ok(q);
    EXPECT_EQ(parse_ok(printed), printed) << q;
  }
}

TEST(QueryParser, FlattensChains) {
  ParsedQuery p = parse_query("a AND b AND c d");
  ASSERT_TRUE(p.root);
  EXPECT_EQ(p.root->kind, QueryNode::Kind::kAnd);
  EXPECT_EQ(p.root->children.size(), 4u);
}

TEST(QueryParser, LowerCaseOperatorsAreTerms) {
  ParsedQuery p = parse_query("rock and roll");
  ASSERT_TRUE(p.root);
  ASSERT_EQ(p.root->kind, QueryNode::Kind::kAnd);
  ASSERT_EQ(p.root->children.size(), 3u);
  EXPECT_EQ(p.root->children[1].text, "and");
  EXPECT_EQ(parse_ok("not or near"), "not AND or AND near");
  EXPECT_EQ(parse_ok("NEARBY"), "NEARBY");
}

TEST(QueryParser, Leaves) {
  ParsedQuery p = parse_query(
      R"(alibaba europ* "ant group" =EU ="Société Générale" /banques? (?:centrale|populaire)\/x/i @europe c++ e-commerce l'europe)");
  ASSERT_TRUE(p.root) << p.errors[0].message;
  const auto& c = p.root->children;
  ASSERT_EQ(c.size(), 10u);
  EXPECT_EQ(c[0].leaf_kind, LeafKind::kTerm);
  EXPECT_EQ(c[1].leaf_kind, LeafKind::kPrefix);
  EXPECT_EQ(c[1].text, "europ");
  EXPECT_EQ(c[2].leaf_kind, LeafKind::kPhrase);
  EXPECT_EQ(c[2].text, "ant group");
  EXPECT_EQ(c[3].leaf_kind, LeafKind::kExact);
  EXPECT_FALSE(c[3].exact_phrase);
  EXPECT_EQ(c[4].leaf_kind, LeafKind::kExact);
  EXPECT_TRUE(c[4].exact_phrase);
  EXPECT_EQ(c[4].text, "Société Générale");
  EXPECT_EQ(c[5].leaf_kind, LeafKind::kRegex);
  EXPECT_EQ(c[5].text, "banques? (?:centrale|populaire)/x");
  EXPECT_TRUE(c[5].case_insensitive);
  EXPECT_EQ(c[6].kind, QueryNode::Kind::kList);
  EXPECT_EQ(c[6].text, "europe");
  EXPECT_EQ(c[7].text, "c++");
  EXPECT_EQ(c[8].text, "e-commerce");
  EXPECT_EQ(c[9].text, "l'europe");
}

TEST(QueryParser, PhraseEscapes) {
  ParsedQuery p = parse_query(R"("le \"grand\" soir")");
  ASSERT_TRUE(p.root);
  EXPECT_EQ(p.root->text, "le \"grand\" soir");
}

TEST(QueryParser, FieldScopes) {
  ParsedQuery p = parse_query("title:alibaba body:(a OR b) c");
  ASSERT_TRUE(p.root);
  const auto& c = p.root->children;
  EXPECT_EQ(c[0].fields, kFieldTitle);
  EXPECT_EQ(c[1].children[0].fields, kFieldBody);
  EXPECT_EQ(c[1].children[1].fields, kFieldBody);
  EXPECT_EQ(c[2].fields, kFieldAll);
  EXPECT_EQ(parse_ok("title:\"ant group\""), "title:\"ant group\"");
}

TEST(QueryParser, Metadata) {
  ParsedQuery p = parse_query(R"(lang:fr source:"Les Echos" site:lesechos.fr)");
  ASSERT_TRUE(p.root);
  const auto& c = p.root->children;
  EXPECT_EQ(c[0].kind, QueryNode::Kind::kMeta);
  EXPECT_EQ(c[0].meta, MetaKind::kLang);
  EXPECT_EQ(c[0].text, "fr");
  EXPECT_EQ(c[1].meta, MetaKind::kSource);
  EXPECT_EQ(c[1].text, "Les Echos");
  EXPECT_EQ(c[2].meta, MetaKind::kSite);
  EXPECT_EQ(c[2].text, "lesechos.fr");
}

TEST(QueryParser, NearDistance) {
  EXPECT_EQ(parse_ok("a NEAR/0 b"), "a NEAR/0 b");
  EXPECT_EQ(parse_ok("a NEAR/50 b"), "a NEAR/50 b");
  EXPECT_NE(parse_error("a NEAR/51 b").message.find("out of range"), std::string::npos);
  EXPECT_NE(parse_error("a NEAR/99999999999 b").message.find("out of range"), std::string::npos);
  EXPECT_NE(parse_error("a NEAR/x b").message.find("number"), std::string::npos);
  EXPECT_NE(parse_error("a NEAR b").message.find("distance"), std::string::npos);
  EXPECT_NE(parse_error("a ONEAR/-1 b").message.find("ONEAR"), std::string::npos);
}

TEST(QueryParser, ChainedNearIsAnError) {
  const QueryError e = parse_error("a NEAR/3 b NEAR/3 c");
  EXPECT_EQ(e.offset, 11u);
  EXPECT_NE(e.message.find("cannot be chained"), std::string::npos);
}

TEST(QueryParser, SyntaxErrorsHavePositions) {
  struct Case {
    const char* query;
    std::uint32_t offset;
    const char* contains;
  };
  const Case cases[] = {
      {"", 0, "empty query"},
      {"   ", 0, "empty query"},
      {"(a OR b", 0, "missing ')'"},
      {"a OR b)", 6, "unexpected ')'"},
      {"a AND", 2, "after 'AND'"},
      {"OR a", 0, "expected a term"},
      {"a OR OR b", 5, "after 'OR'"},
      {"\"ant group", 0, "unterminated phrase"},
      {"a /foo", 2, "unterminated regex"},
      {"/foo/x", 5, "unknown regex flag"},
      {"foo:bar", 0, "unknown field 'foo'"},
      {"eu*rope", 2, "only allowed at the end"},
      {"=", 0, "'=' must be followed"},
      {"=euro*", 0, "cannot be a prefix"},
      {"\"banque centr*\"", 0, "not allowed inside a phrase"},
      {"\"ant group\"*", 11, "cannot end with '*'"},
      {"@", 0, "list name"},
      {"a ()", 2, "empty parentheses"},
      {"title:(lang:fr)", 6, "cannot be inside"},
      {"title:(body:x)", 6, "conflicting field scopes"},
      {"lang:(fr)", 5, "plain value"},
      {"*", 0, "alone"},
  };
  for (const Case& c : cases) {
    const QueryError e = parse_error(c.query);
    EXPECT_EQ(e.offset, c.offset) << c.query << " -> " << e.message;
    EXPECT_NE(e.message.find(c.contains), std::string::npos) << c.query << " -> " << e.message;
  }
}

TEST(QueryParser, Limits) {
  QueryLimits limits;
  limits.max_length = 10;
  EXPECT_NE(parse_query("aaaaaaaaaaaaaaaa", limits).errors.at(0).message.find("too long"),
            std::string::npos);
  limits = QueryLimits{};
  limits.max_depth = 5;
  EXPECT_NE(parse_query("((((((a))))))", limits).errors.at(0).message.find("nested too deeply"),
            std::string::npos);
  EXPECT_TRUE(parse_query("((((a))))", limits).root.has_value());
  std::string deep_not;
  for (int i = 0; i < 100; ++i) deep_not += "NOT ";
  EXPECT_FALSE(parse_query(deep_not + "a").root.has_value());
  std::string deep(100000, '(');
  EXPECT_FALSE(parse_query(deep, QueryLimits{200000, 64}).root.has_value());
}

TEST(ListEntries, Forms) {
  auto entry = [](std::string_view e) {
    ParsedQuery p = parse_list_entry(e);
    EXPECT_TRUE(p.root) << e << ": " << (p.errors.empty() ? "" : p.errors[0].message);
    return p.root ? *p.root : QueryNode{};
  };
  EXPECT_EQ(entry("alibaba").leaf_kind, LeafKind::kTerm);
  EXPECT_EQ(entry("aliexpress*").leaf_kind, LeafKind::kPrefix);
  EXPECT_EQ(entry("ant group").leaf_kind, LeafKind::kPhrase);  // YAML removed the quotes
  EXPECT_EQ(entry("\"ant group\"").leaf_kind, LeafKind::kPhrase);
  EXPECT_EQ(entry("=UE").leaf_kind, LeafKind::kExact);
  const QueryNode exact = entry("=Société Générale");
  EXPECT_EQ(exact.leaf_kind, LeafKind::kExact);
  EXPECT_TRUE(exact.exact_phrase);
  EXPECT_EQ(exact.text, "Société Générale");
  EXPECT_EQ(entry("/cyber ?attaques?/i").leaf_kind, LeafKind::kRegex);
  EXPECT_EQ(entry("@other").kind, QueryNode::Kind::kList);
  EXPECT_EQ(entry("  union europeenne ").text, "union europeenne");
}

TEST(ListEntries, Errors) {
  EXPECT_FALSE(parse_list_entry("").root);
  EXPECT_NE(parse_list_entry("alibaba OR alipay").errors.at(0).message.find("single term"),
            std::string::npos);
  EXPECT_NE(parse_list_entry("title:x").errors.at(0).message.find("field"), std::string::npos);
  EXPECT_NE(parse_list_entry("banque centr*").errors.at(0).message.find("phrase"),
            std::string::npos);
  EXPECT_FALSE(parse_list_entry("(a)").root);
}

}  // namespace
}  // namespace newswatch::match
