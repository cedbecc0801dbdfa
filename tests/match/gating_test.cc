// Candidate gating is an optimisation only: Matcher::match evaluates just the rules whose gate
// leaves occur in the article (for an AND, the operand judged rarest), and it must fire
// exactly the rules that are true when each is evaluated on its own (Matcher::match_rule,
// which bypasses the gates). These tests build random rule sets over a small bilingual
// vocabulary — so that rules share operands, lists and regexes, and articles hit them often —
// and compare the two on random articles.
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/match/test_support.h"

namespace newswatch::match {
namespace {

using testing::article;
using testing::diagnostics_text;
using testing::load_yaml;

const std::vector<std::string> kWords = {
    "banque",  "assurance", "Europe",  "cyberattaque", "Alibaba", "AliExpress", "crédit",
    "bank",    "hack",      "données", "rançon",       "Paris",   "insurer",    "paiement",
    "Société", "Générale",  "BNP",     "fuite",        "data",    "breach"};
const std::vector<std::string> kFiller = {"le", "la",  "des", "the", "and", "of",
                                          "un", "une", "est", "a",   "in",  "sur"};
const std::vector<std::string> kStems = {"banq*", "assur*", "cyber*", "paie*", "fui*", "dat*"};
const std::vector<std::string> kPhrases = {"\"Société Générale\"", "\"data breach\"",
                                           "\"l'Europe\"", "\"banque en ligne\""};
const std::vector<std::string> kRegexes = {"/banques?/i", "/\\d+ ?millions?/",
                                           "/ali(baba|express)/i"};

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }

  std::string word() { return kWords[pick(kWords.size())]; }

  // A leaf or list: what NEAR operands and OR-groups are made of.
  std::string leaf(bool scoped = true) {
    const std::size_t kind = pick(9);
    if (kind == 5 && !scoped) return word();
    switch (kind) {
      case 0:
        return kStems[pick(kStems.size())];
      case 1:
        return kPhrases[pick(kPhrases.size())];
      case 2:
        return "=" + kWords[pick(5) + 14];  // exact: Société, Générale, BNP, fuite, data
      case 3:
        return "@l" + std::to_string(pick(4));
      case 4:
        return chance(30) ? kRegexes[pick(kRegexes.size())] : word();
      case 5:
        return (chance(50) ? "title:" : "body:") + word();
      default:
        return word();
    }
  }

  // NEAR operands are unscoped: title: vs body: operands can never be near (a load error).
  std::string operand(bool scoped = true) {
    if (!chance(25)) return leaf(scoped);
    return "(" + leaf(scoped) + " OR " + leaf(scoped) + ")";
  }

  std::string query(int depth) {
    if (depth == 0) return operand();
    switch (pick(7)) {
      case 0:
        return "(" + query(depth - 1) + " AND " + query(depth - 1) + ")";
      case 1:
        return "(" + query(depth - 1) + " OR " + query(depth - 1) + ")";
      case 2:
        return "(" + query(depth - 1) + " AND NOT " + operand() + ")";
      case 3:
        return operand(false) + (chance(30) ? " ONEAR/" : " NEAR/") + std::to_string(pick(6)) +
               " " + operand(false);
      case 4:
        return "(" + std::string(chance(50) ? "lang:fr" : "lang:en") + " AND " + query(depth - 1) +
               ")";
      case 5:
        return "(" + query(depth - 1) + " AND " + operand() + " AND " + operand() + ")";
      default:
        return operand();
    }
  }

  std::string rule_set_yaml(int rules) {
    std::string yaml = "lists:\n";
    for (int l = 0; l < 4; ++l) {
      yaml += "  l" + std::to_string(l) + ": [";
      const std::size_t n = 1 + pick(4);
      for (std::size_t k = 0; k < n; ++k) yaml += (k ? ", " : "") + quoted(leaf_for_list());
      yaml += "]\n";
    }
    yaml += "rules:\n";
    for (int r = 0; r < rules; ++r) {
      yaml += "  - id: r" + std::to_string(r) + "\n    query: " + quoted(query(1 + pick(3))) + "\n";
      if (chance(5)) yaml += "    enabled: false\n";
    }
    return yaml;
  }

  decode::Article make_article() {
    auto text = [&](std::size_t words) {
      std::string s;
      for (std::size_t k = 0; k < words; ++k) {
        if (k) s += chance(10) ? ", " : " ";
        if (chance(8)) s += "l'";
        if (chance(4)) s += std::to_string(pick(900)) + " millions ";
        s += chance(45) ? word() : kFiller[pick(kFiller.size())];
        if (chance(5)) s += " en ligne";
      }
      return s;
    };
    return article(text(2 + pick(8)), text(pick(60)), chance(60) ? "fr" : "en");
  }

 private:
  std::string leaf_for_list() {
    switch (pick(4)) {
      case 0:
        return kStems[pick(kStems.size())];
      case 1:
        return kPhrases[pick(kPhrases.size())];
      default:
        return word();
    }
  }

  static std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }

  std::mt19937 rng_;
};

std::set<std::uint32_t> true_alone(Matcher& m, const CompiledRuleSet& rules,
                                   const decode::Article& a) {
  std::set<std::uint32_t> fired;
  for (std::uint32_t r = 0; r < rules.rules().size(); ++r) {
    if (rules.rules()[r].enabled && m.match_rule(rules, r, a)) fired.insert(r);
  }
  return fired;
}

TEST(CandidateGates, MatchFiresExactlyTheRulesThatAreTrueAlone) {
  std::size_t fired_total = 0;
  std::size_t evaluated_total = 0;
  std::size_t enabled_total = 0;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    Generator g(seed);
    const std::string yaml = g.rule_set_yaml(150);
    LoadResult r = load_yaml(yaml);
    ASSERT_TRUE(r.rules) << diagnostics_text(r) << yaml;
    const CompiledRuleSet& rules = *r.rules;
    enabled_total += rules.enabled_rule_count() * 40;
    Matcher m;
    for (int i = 0; i < 40; ++i) {
      const decode::Article a = g.make_article();
      const std::set<std::uint32_t> expected = true_alone(m, rules, a);
      MatchOutput out;
      m.match(rules, a, out);
      ASSERT_FALSE(out.stats.matches_truncated);
      evaluated_total += out.stats.rules_evaluated;
      std::set<std::uint32_t> got;
      for (const RuleMatch& rm : out.matches) got.insert(rm.rule);
      ASSERT_EQ(got, expected) << "seed " << seed << ", article " << i << "\ntitle: " << a.title
                               << "\nbody: " << a.body;
      fired_total += got.size();
    }
  }
  // The comparison is only worth something if rules fire, and the gates only if they skip.
  EXPECT_GT(fired_total, 1000u);
  EXPECT_LT(evaluated_total, enabled_total);
}

TEST(CandidateGates, AnAndIsGatedOnItsRarestOperand) {
  // `topic` is shared by every rule and has many entries; each entity is private and short.
  std::string yaml = "lists:\n  topic: [banque, assurance, crédit, paiement, données, fuite]\n";
  yaml += "rules:\n";
  for (int i = 0; i < 50; ++i) {
    yaml += "  - {id: r" + std::to_string(i) + ", query: '@topic AND entity" + std::to_string(i) +
            "'}\n";
  }
  LoadResult r = load_yaml(yaml);
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  EXPECT_EQ(r.rules->stats().gate_leaves, 50u);  // one entity leaf per rule, no topic word
  Matcher m;
  MatchOutput out;
  m.match(*r.rules, article("La banque et l'assurance", "crédit, paiement et entity7"), out);
  EXPECT_EQ(out.stats.rules_evaluated, 1u);
  ASSERT_EQ(out.matches.size(), 1u);
  EXPECT_EQ(r.rules->rules()[out.matches[0].rule].id, "r7");
}

TEST(CandidateGates, RulesSharingAnOperandShareOneGroup) {
  std::string yaml = "lists:\n  topic: [banque, assurance]\nrules:\n";
  for (int i = 0; i < 20; ++i) {
    yaml += "  - {id: r" + std::to_string(i) + ", query: '@topic AND e" + std::to_string(i) +
            " AND title:banque'}\n";
  }
  LoadResult r = load_yaml(yaml);
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  // @topic once, title:banque once, and one group per entity.
  EXPECT_EQ(r.rules->stats().groups, 22u);
}

TEST(CandidateGates, ARegexGateSearchesAtomsInEveryArticle) {
  // Gated on a regex (nothing else to gate on): its atoms are searched eagerly.
  LoadResult eager = load_yaml("rules:\n  - {id: r, query: '/cyber ?attaques?/i OR hack'}\n");
  ASSERT_TRUE(eager.rules) << diagnostics_text(eager);
  EXPECT_TRUE(eager.rules->stats().eager_regexes);
  EXPECT_TRUE(testing::fires(eager.rules, article("", "Une cyberattaque vise la banque")));
  // An AND with a term is gated on the term: the regex runs only for candidates.
  LoadResult lazy = load_yaml("rules:\n  - {id: r, query: '/cyber ?attaques?/i AND banque'}\n");
  ASSERT_TRUE(lazy.rules) << diagnostics_text(lazy);
  EXPECT_FALSE(lazy.rules->stats().eager_regexes);
  EXPECT_TRUE(testing::fires(lazy.rules, article("", "Une cyberattaque vise la banque")));
  EXPECT_FALSE(testing::fires(lazy.rules, article("", "Une cyberattaque vise l'hôpital")));
}

}  // namespace
}  // namespace newswatch::match
