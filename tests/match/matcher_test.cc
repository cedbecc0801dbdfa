// Query semantics on French and English text (RULES-SPEC §2–§4).
#include "daemon/match/matcher.h"

#include <gtest/gtest.h>

#include "daemon/match/compiled.h"

#include "tests/match/test_support.h"

namespace newswatch::match {
namespace {

using testing::article;
using testing::fires;
using testing::matched_texts;
using testing::rule;

TEST(Terms, CaseAccentsAndElisions) {
  EXPECT_TRUE(fires("alibaba", "ALIBABA rachète"));
  EXPECT_TRUE(fires("alibaba", "", "la stratégie d’Alibaba en Europe"));
  EXPECT_TRUE(fires("europe", "", "réussiront-ils à pénétrer dans Troie (ici l'Europe, ndlr)"));
  EXPECT_TRUE(fires("etats-unis", "Les États-Unis et l'Europe"));
  EXPECT_TRUE(fires("états-unis", "LES ETATS-UNIS"));
  EXPECT_TRUE(fires("dubai", "Rendez-vous à Dubaï"));
  EXPECT_TRUE(fires("societe", "Société Générale"));
  EXPECT_TRUE(fires("strasse", "Straße 5"));
  EXPECT_FALSE(fires("strasse", "Hauptstraße 5"));  // inside a word
  EXPECT_TRUE(fires("oeuvre", "Une Œuvre"));
  EXPECT_TRUE(fires("alibaba", "ＡＬＩＢＡＢＡ"));  // full-width forms
  EXPECT_TRUE(fires("europe", "", "l\u2019Europe"));
  EXPECT_TRUE(fires("societe", "Socie\u0301te\u0301"));  // NFD input
}

TEST(Terms, WordBoundaries) {
  EXPECT_FALSE(fires("tres", "les maîtres du monde"));
  EXPECT_TRUE(fires("tres", "très bien"));
  EXPECT_FALSE(fires("aliexpress", "la plate-forme AliExpresss"));
  EXPECT_TRUE(fires("aliexpress*", "la plate-forme AliExpresss"));
  EXPECT_FALSE(fires("amazon", "la forêt d'Amazonie"));
  EXPECT_TRUE(fires("amazon", "la stratégie d'Amazon."));
  EXPECT_FALSE(fires("alibaba", "alibabas"));
  EXPECT_FALSE(fires("banque", "interbanque"));
  EXPECT_TRUE(fires("banque", "banque-assurance"));
  EXPECT_TRUE(fires("k", "Vitamine K"));
  EXPECT_FALSE(fires("k", "Kelvin"));
}

TEST(Terms, InternalPunctuation) {
  EXPECT_TRUE(fires("e-commerce", "Le E-Commerce explose"));
  EXPECT_TRUE(fires("e-commerce", "Le e\u2011commerce explose"));  // non-breaking hyphen
  EXPECT_FALSE(fires("e-commerce", "Le e commerce explose"));
  EXPECT_FALSE(fires("e-commerce", "Le e--commerce explose"));
  EXPECT_TRUE(fires("c++", "Développeur C++ senior"));
  EXPECT_TRUE(fires("c++", "C++, Rust"));
  EXPECT_FALSE(fires("c++", "Le langage C+ n'existe pas"));
  EXPECT_TRUE(fires("l'europe", "Pour l’Europe"));
  EXPECT_FALSE(fires("l'europe", "Pour l Europe"));
  EXPECT_TRUE(fires("at&t", "AT&T buys"));
}

TEST(Terms, LowerCaseOperatorsAreSearchedAsWords) {
  EXPECT_TRUE(fires("rock and roll", "rock and roll"));
  EXPECT_TRUE(fires("rock and roll", "roll and rock"));  // three terms, any order
  EXPECT_FALSE(fires("rock and roll", "rock roll"));
}

TEST(Prefixes, Basics) {
  EXPECT_TRUE(fires("europ*", "européen"));
  EXPECT_TRUE(fires("europ*", "EUROPE"));
  EXPECT_TRUE(fires("europ*", "europ"));
  EXPECT_FALSE(fires("europ*", "neuropathie"));
  EXPECT_TRUE(fires("assur*", "l'Assurance"));
  EXPECT_TRUE(fires("ete*", "Été 2024"));
  EXPECT_TRUE(fires("e-comm*", "E-commerçants"));
  EXPECT_FALSE(fires("e-comm*", "e commerçants"));
}

TEST(Phrases, SeparatorsAndOrder) {
  EXPECT_TRUE(fires("\"ant group\"", "Ant Group"));
  EXPECT_TRUE(fires("\"ant group\"", "Ant-Group"));
  EXPECT_TRUE(fires("\"ant group\"", "ant,  group"));
  EXPECT_TRUE(fires("\"ant group\"", "", "ant\n\ngroup"));
  EXPECT_FALSE(fires("\"ant group\"", "group ant"));
  EXPECT_FALSE(fires("\"ant group\"", "ant big group"));
  EXPECT_FALSE(fires("\"ant group\"", "ants group"));
  EXPECT_TRUE(fires("\"union europeenne\"", "l'Union européenne"));
  EXPECT_TRUE(fires("\"l'europe\"", "l europe"));  // phrase words: l, europe
}

TEST(Phrases, NeverSpanTitleAndBody) {
  EXPECT_FALSE(fires("\"ant group\"", "Rachat de Ant", "Group annonce"));
  EXPECT_TRUE(fires("ant group", "Rachat de Ant", "Group annonce"));  // two terms
}

TEST(Exact, CaseAndAccentsCount) {
  EXPECT_TRUE(fires("=EU", "L'EU et la Chine"));
  EXPECT_FALSE(fires("=EU", "Il a eu de la chance"));
  EXPECT_TRUE(fires("eu", "Il a eu de la chance"));
  EXPECT_FALSE(fires("=UE", "Ue"));
  EXPECT_TRUE(fires("=UE", "Selon l'UE"));
  EXPECT_TRUE(fires("=\"Société Générale\"", "La Société Générale"));
  EXPECT_TRUE(fires("=\"Société Générale\"", "La Société  Générale"));
  EXPECT_FALSE(fires("=\"Société Générale\"", "La Societe Generale"));
  EXPECT_FALSE(fires("=\"Société Générale\"", "LA SOCIÉTÉ GÉNÉRALE"));
  EXPECT_TRUE(fires("=Société", "Socie\u0301te\u0301"));  // NFD input is normalised first
  EXPECT_TRUE(fires("=C++", "en C++"));
  EXPECT_FALSE(fires("=C++", "en c++"));
}

TEST(Regex, OnOriginalView) {
  EXPECT_TRUE(fires("/banques? (?:centrale|populaire)s?/i", "La Banque Centrale européenne"));
  EXPECT_FALSE(fires("/banques? (?:centrale|populaire)s?/", "La Banque Centrale européenne"));
  EXPECT_TRUE(fires("/banques? (?:centrale|populaire)s?/", "la banque centrale"));
  EXPECT_TRUE(fires("/CVE-\\d{4}-\\d+/", "", "faille CVE-2024-3094 dans xz"));
  EXPECT_FALSE(fires("/CVE-\\d{4}-\\d+/", "", "faille CVE-20-3 dans xz"));
  EXPECT_TRUE(fires("/société/i", "SOCIÉTÉ"));
  EXPECT_TRUE(fires("/a\\/b/", "x a/b y"));
}

TEST(Regex, PrefilterOnlyRunsRegexesWhoseLiteralsArePresent) {
  auto rules = rule("/cyberattaques? contre/i OR /rançongiciels?/i");
  ASSERT_TRUE(rules);
  Matcher m;
  MatchOutput out;
  m.match(*rules, article("Météo", "Il fera beau demain."), out);
  EXPECT_EQ(out.stats.regexes_run, 0u);
  m.match(*rules, article("Alerte", "Une cyberattaque contre une banque"), out);
  EXPECT_EQ(out.matches.size(), 1u);
  EXPECT_GE(out.stats.regexes_run, 1u);
}

TEST(Regex, RunsOnlyWhenACandidateRuleNeedsIt) {
  // The regex's atom ("euro") is everywhere in French news; the rule needs "rançon" first.
  auto rules = rule("rançon AND /\\d+ ?(?:millions? d')?euros?/i");
  ASSERT_TRUE(rules);
  Matcher m;
  MatchOutput out;
  m.match(*rules, article("Budget", "Le budget atteint 300 millions d'euros."), out);
  EXPECT_TRUE(out.matches.empty());
  EXPECT_EQ(out.stats.regexes_run, 0u);  // no rançon: the regex never ran
  m.match(*rules, article("Rançon", "Une rançon de 300 millions d'euros."), out);
  ASSERT_EQ(out.matches.size(), 1u);
  EXPECT_GE(out.stats.regexes_run, 1u);
}

TEST(Regex, ARegexAloneMakesItsRuleACandidate) {
  // No literal leaf at all: the rule can only be found through the regex's atoms.
  auto rules = rule("/CVE-\\d{4}-\\d+/ OR zzzunusedzzz");
  EXPECT_TRUE(fires(rules, article("", "faille CVE-2024-3094")));
  EXPECT_FALSE(fires(rules, article("", "aucune faille")));
}

TEST(Regex, RegexInsideAListAndUnderNear) {
  auto rules =
      rule("@amounts NEAR/3 rançon", "  amounts: ['/\\d+ ?(?:€|euros?)/i', gros montant]\n");
  EXPECT_TRUE(fires(rules, article("", "une rançon de 5000 euros")));
  EXPECT_TRUE(fires(rules, article("", "rançon: un gros montant")));
  EXPECT_FALSE(fires(rules, article("", "5000 euros a b c d e rançon")));
}

TEST(Regex, UnfilteredRegexStillRunsAndMatches) {
  auto rules = rule("/\\d{5}/ AND paris");
  EXPECT_TRUE(fires(rules, article("Paris 75001", "")));
  EXPECT_FALSE(fires(rules, article("Paris 7500", "")));
}

TEST(Lists, AListHitInOneFieldDoesNotCountForAnotherScope) {
  auto rules = rule("title:@l AND body:@l", "  l: [alpha, beta]\n");
  EXPECT_TRUE(fires(rules, article("alpha", "beta")));
  EXPECT_FALSE(fires(rules, article("alpha beta", "gamma")));
  EXPECT_FALSE(fires(rules, article("gamma", "alpha beta")));
}

TEST(Lists, NestedListsAndAllLeafKinds) {
  const std::string lists =
      "  brands: [alibaba, aliexpress*, \"ant group\", '/tao ?bao/i', =Tmall]\n"
      "  group: ['@brands', alipay]\n";
  auto rules = rule("@group", lists);
  EXPECT_TRUE(fires(rules, article("Alipay", "")));
  EXPECT_TRUE(fires(rules, article("Taobao", "")));
  EXPECT_TRUE(fires(rules, article("ant-group", "")));
  EXPECT_TRUE(fires(rules, article("AliExpress", "")));
  EXPECT_TRUE(fires(rules, article("Tmall", "")));
  EXPECT_FALSE(fires(rules, article("TMALL", "")));
  EXPECT_FALSE(fires(rules, article("Amazon", "")));
}

TEST(Fields, TitleAndBodyScopes) {
  EXPECT_TRUE(fires("title:alibaba", "Alibaba", ""));
  EXPECT_FALSE(fires("title:alibaba", "x", "Alibaba"));
  EXPECT_TRUE(fires("body:alibaba", "x", "Alibaba"));
  EXPECT_FALSE(fires("body:alibaba", "Alibaba", "x"));
  EXPECT_TRUE(fires("title:(alibaba OR alipay) AND body:europe", "Alipay", "Europe"));
  EXPECT_FALSE(fires("title:(alibaba OR alipay) AND body:europe", "Europe", "Alipay"));
  auto rules = rule("title:@l", "  l: [a1, b2]\n");
  EXPECT_TRUE(fires(rules, article("b2", "")));
  EXPECT_FALSE(fires(rules, article("", "b2")));
}

TEST(Metadata, LangSourceSite) {
  auto lang = rule("banque AND lang:fr");
  EXPECT_TRUE(fires(lang, article("banque", "", "fr")));
  EXPECT_TRUE(fires(lang, article("banque", "", "fr-FR")));
  EXPECT_TRUE(fires(lang, article("banque", "", "FR_ca")));
  EXPECT_FALSE(fires(lang, article("banque", "", "en")));
  EXPECT_FALSE(fires(lang, article("banque", "", "")));
  EXPECT_FALSE(fires(lang, article("banque", "", "fra")));

  auto source = rule("banque AND source:\"Les Échos\"");
  EXPECT_TRUE(fires(source, article("banque", "", "", "les echos")));
  EXPECT_TRUE(fires(source, article("banque", "", "", " LES ÉCHOS ")));
  EXPECT_FALSE(fires(source, article("banque", "", "", "Les Échos Week-end")));

  auto site = rule("banque AND site:lesechos.fr");
  EXPECT_TRUE(fires(site, article("banque", "", "", "", "https://www.lesechos.fr/finance/x")));
  EXPECT_TRUE(fires(site, article("banque", "", "", "", "http://LESECHOS.FR")));
  EXPECT_TRUE(fires(site, article("banque", "", "", "", "https://user@lesechos.fr:443/a?b#c")));
  EXPECT_FALSE(fires(site, article("banque", "", "", "", "https://notlesechos.fr/")));
  EXPECT_FALSE(fires(site, article("banque", "", "", "", "https://lesechos.fr.evil.com/")));
  EXPECT_FALSE(fires(site, article("banque", "", "", "", "")));
}

TEST(Metadata, MetadataOnlyRulesAreEvaluatedWithoutAnyLeaf) {
  auto rules = rule("lang:fr");
  EXPECT_TRUE(fires(rules, article("rien", "", "fr")));
  EXPECT_FALSE(fires(rules, article("rien", "", "en")));
  auto negated = rule("lang:fr AND NOT sport");
  EXPECT_TRUE(fires(negated, article("politique", "", "fr")));
  EXPECT_FALSE(fires(negated, article("sport", "", "fr")));
}

TEST(Boolean, AndOrNotAdjacency) {
  EXPECT_TRUE(fires("alibaba europe", "Alibaba en Europe"));
  EXPECT_FALSE(fires("alibaba europe", "Alibaba en Asie"));
  EXPECT_TRUE(fires("alibaba OR amazon", "Amazon"));
  EXPECT_TRUE(fires("alibaba AND NOT amazon", "Alibaba"));
  EXPECT_FALSE(fires("alibaba AND NOT amazon", "Alibaba et Amazon"));
  EXPECT_TRUE(fires("a b OR c", "c"));
  EXPECT_FALSE(fires("a b OR c", "a"));
  EXPECT_TRUE(fires("a (b OR c)", "a c"));
  EXPECT_TRUE(fires("NOT amazon alibaba", "alibaba"));
  EXPECT_TRUE(fires("alibaba AND (europe OR NOT amazon)", "alibaba"));
}

TEST(Near, DistanceEdges) {
  const std::string text = "banque a b c cyberattaque";  // 3 words between
  EXPECT_TRUE(fires("banque NEAR/3 cyberattaque", text));
  EXPECT_FALSE(fires("banque NEAR/2 cyberattaque", text));
  EXPECT_TRUE(fires("cyberattaque NEAR/3 banque", text));  // unordered
  EXPECT_TRUE(fires("banque NEAR/0 cyberattaque", "banque cyberattaque"));
  EXPECT_TRUE(fires("banque NEAR/0 cyberattaque", "cyberattaque, banque"));
  EXPECT_FALSE(fires("banque NEAR/0 cyberattaque", "banque x cyberattaque"));
  // Punctuation is not a word.
  EXPECT_TRUE(fires("banque NEAR/0 cyberattaque", "banque — « cyberattaque »"));
}

TEST(Near, OrderedNear) {
  EXPECT_TRUE(fires("banque ONEAR/1 attaque", "banque x attaque"));
  EXPECT_FALSE(fires("banque ONEAR/1 attaque", "attaque x banque"));
  EXPECT_TRUE(fires("banque ONEAR/1 attaque", "attaque x banque y attaque"));
}

TEST(Near, OverlappingOccurrencesCountAsZero) {
  EXPECT_TRUE(fires("\"banque centrale\" NEAR/0 centrale", "la banque centrale"));
  EXPECT_TRUE(fires("europ* NEAR/0 europe", "europe"));
  EXPECT_FALSE(fires("europ* ONEAR/5 europe", "europe"));  // same start: not before
}

TEST(Near, PhrasesMeasureFromTheirEnds) {
  // "banque centrale" ends at word 1; "attaque" is word 4: two words between.
  EXPECT_TRUE(fires("\"banque centrale\" NEAR/2 attaque", "banque centrale x y attaque"));
  EXPECT_FALSE(fires("\"banque centrale\" NEAR/1 attaque", "banque centrale x y attaque"));
  EXPECT_TRUE(fires("attaque NEAR/2 \"banque centrale\"", "attaque x y banque centrale"));
}

TEST(Near, SameFieldOnly) {
  EXPECT_FALSE(fires("banque NEAR/50 attaque", "banque", "attaque"));
  EXPECT_TRUE(fires("banque NEAR/50 attaque", "banque attaque", "x"));
  EXPECT_FALSE(fires("title:banque NEAR/5 attaque", "x", "banque attaque"));
}

TEST(Near, ListsAndOrGroups) {
  auto rules = rule("@banks NEAR/3 (cyberattaque* OR piratage OR \"fuite de donnees\")",
                    "  banks: [banque*, \"credit agricole\", bnp]\n");
  EXPECT_TRUE(fires(rules, article("", "Le Crédit Agricole victime d'un piratage massif")));
  EXPECT_TRUE(fires(rules, article("", "Fuite de données chez BNP")));
  EXPECT_FALSE(fires(
      rules, article("", "BNP publie ses résultats. Plus loin, un tout autre sujet: piratage")));
}

TEST(Near, RegexOperandsUseWordPositions) {
  EXPECT_TRUE(fires("/CVE-\\d+-\\d+/ NEAR/2 exploit*", "", "CVE-2024-3094 activement exploitée"));
  EXPECT_FALSE(fires("/CVE-\\d+-\\d+/ NEAR/2 exploit*", "", "CVE-2024-3094 a b c exploitée"));
}

TEST(Near, RepeatedWordIsLinearAndStillCorrect) {
  std::string body;
  for (int i = 0; i < 100000; ++i) body += "banque ";
  body += "attaque";
  auto rules = rule("banque NEAR/0 attaque");
  Matcher m;
  MatchOutput out;
  m.match(*rules, article("", body), out);
  // The cap on kept occurrences (10,000 per leaf) keeps memory bounded; it is reported.
  EXPECT_TRUE(out.stats.occurrences_truncated);
  EXPECT_FALSE(
      fires("banque NEAR/0 attaque", "", std::string(50, 'x') + " " + body.substr(0, 700)));
}

TEST(Matches, OffsetsPointAtOriginalBytes) {
  auto rules = rule("alibaba AND europ* AND \"ant group\"");
  const auto a = article("Le rachat d’Alibaba", "Élysée: l’Europe et « Ant-Group ».");
  const auto texts = matched_texts(rules, a);
  EXPECT_EQ(texts, (std::vector<std::string>{"title:Alibaba", "body:Europe", "body:Ant-Group"}));
}

TEST(Matches, ExactAndRegexOffsets) {
  auto rules = rule("=EU OR /cyber\\w+/i");
  const auto a = article("", "Les États de l'EU face aux Cyberattaques");
  const auto texts = matched_texts(rules, a);
  EXPECT_EQ(texts, (std::vector<std::string>{"body:EU", "body:Cyberattaques"}));
}

TEST(Matches, OnlyPositiveLeavesThatMadeTheQueryTrue) {
  auto rules = rule("alibaba AND (europe OR asie) AND NOT amazon");
  const auto texts = matched_texts(rules, article("Alibaba", "en Europe"));
  EXPECT_EQ(texts, (std::vector<std::string>{"title:Alibaba", "body:Europe"}));
}

TEST(Matches, LabelsAreTheLeavesAsWritten) {
  auto rules = rule("@brands AND europ*", "  brands: [alibaba, aliexpress*]\n");
  Matcher m;
  MatchOutput out;
  const auto a = article("AliExpress", "en Europe");
  m.match(*rules, a, out);
  ASSERT_EQ(out.matches.size(), 1u);
  ASSERT_EQ(out.occurrences.size(), 2u);
  EXPECT_EQ(rules->label(out.occurrences[0].label), "@brands");
  EXPECT_EQ(rules->label(out.occurrences[1].label), "europ*");
}

TEST(Matches, SnippetWindowsAroundFirstBodyMatch) {
  auto rules = rule("cyberattaque");
  std::string body(500, 'x');
  body += " cyberattaque ";
  body += std::string(500, 'y');
  Matcher m;
  MatchOutput out;
  const auto a = article("titre", body);
  m.match(*rules, a, out);
  ASSERT_EQ(out.matches.size(), 1u);
  const RuleMatch& rm = out.matches[0];
  EXPECT_EQ(rm.snippet_field, Field::kBody);
  EXPECT_LT(rm.snippet.begin, 501u);
  EXPECT_GT(rm.snippet.end, 513u);
  EXPECT_LE(rm.snippet.end - rm.snippet.begin, 300u);
}

TEST(Matcher, DisabledRulesDoNotFireButCanBeTested) {
  LoadResult r = testing::load_yaml("rules:\n  - {id: off, query: alibaba, enabled: false}\n");
  ASSERT_TRUE(r.rules);
  EXPECT_FALSE(fires(r.rules, article("Alibaba", "")));
  Matcher m;
  EXPECT_TRUE(m.match_rule(*r.rules, 0, article("Alibaba", "")));
}

TEST(Matcher, OnlyCandidateRulesAreEvaluated) {
  std::string yaml = "rules:\n";
  for (int i = 0; i < 500; ++i) {
    yaml += "  - {id: r" + std::to_string(i) + ", query: 'word" + std::to_string(i) + " AND other" +
            std::to_string(i) + "'}\n";
  }
  LoadResult r = testing::load_yaml(yaml);
  ASSERT_TRUE(r.rules) << testing::diagnostics_text(r);
  Matcher m;
  MatchOutput out;
  m.match(*r.rules, article("word7 other7", "word12 and something"), out);
  EXPECT_EQ(out.stats.rules_evaluated, 2u);
  ASSERT_EQ(out.matches.size(), 1u);
  EXPECT_EQ(r.rules->rules()[out.matches[0].rule].id, "r7");
}

TEST(Matcher, MaxMatchesPerArticle) {
  std::string yaml = "rules:\n";
  for (int i = 0; i < 20; ++i) yaml += "  - {id: r" + std::to_string(i) + ", query: banque}\n";
  LoadResult r = testing::load_yaml(yaml);
  ASSERT_TRUE(r.rules);
  MatchOptions o;
  o.max_matches = 5;
  Matcher m(o);
  MatchOutput out;
  m.match(*r.rules, article("banque", ""), out);
  EXPECT_EQ(out.matches.size(), 5u);
  EXPECT_TRUE(out.stats.matches_truncated);
}

TEST(Matcher, ReusedAcrossArticlesAndRuleSets) {
  auto a = rule("alibaba");
  auto b = rule("amazon OR alibaba");
  Matcher m;
  MatchOutput out;
  m.match(*a, article("Alibaba", ""), out);
  EXPECT_EQ(out.matches.size(), 1u);
  m.match(*a, article("rien", ""), out);
  EXPECT_EQ(out.matches.size(), 0u);  // no stale state from the previous article
  m.match(*b, article("Amazon", ""), out);
  EXPECT_EQ(out.matches.size(), 1u);
  m.match(*a, article("Amazon", ""), out);
  EXPECT_EQ(out.matches.size(), 0u);
}

TEST(Matcher, EmptyAndHugeFields) {
  auto rules = rule("alibaba");
  EXPECT_FALSE(fires(rules, article("", "")));
  std::string body(10 << 20, 'a');
  body += " alibaba";
  EXPECT_TRUE(fires(rules, article("", body)));
}

TEST(Matcher, InvalidUtf8IsRepairedAndStillMatched) {
  EXPECT_TRUE(fires("alibaba", "\xff\xfe Alibaba \xc3"));
}

}  // namespace
}  // namespace newswatch::match
