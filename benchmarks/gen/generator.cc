#include "benchmarks/gen/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "benchmarks/gen/vocabulary.h"

namespace newswatch::bench {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t x = a ^ (b * 0xD6E8FEB86659FD93ull);
  return splitmix64(x);
}

// YAML single-quoted scalar.
std::string yq(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string regex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$/").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A list entry as a query leaf: a list entry with spaces and no quotes is a phrase in a list,
// but two terms in a query; quote it.
std::string as_query_leaf(std::string_view entry) {
  if (entry.find(' ') != std::string_view::npos && entry.front() != '"' && entry.front() != '=' &&
      entry.front() != '/') {
    return "\"" + std::string(entry) + "\"";
  }
  return std::string(entry);
}

// Synthetic base name from syllables, capitalised ("Valcorex").
std::string synthetic_base(std::uint64_t k) {
  std::uint64_t x = k * 0x2545F4914F6CDD1Dull + 0x1234567;
  const auto syl = name_syllables();
  const std::uint64_t n = 2 + splitmix64(x) % 2;
  std::string base;
  for (std::uint64_t i = 0; i < n; ++i) base += syl[splitmix64(x) % syl.size()];
  base[0] = static_cast<char>(base[0] - 'a' + 'A');
  return base;
}

// Regexes a monitoring team writes for patterns rather than words (RE2 syntax, as leaves).
constexpr std::string_view kPatternRegexes[] = {
    R"(/\d+(?:[.,]\d+)? ?(?:millions?|milliards?) d['’]euros/i)",
    R"(/[$€£] ?\d+(?:\.\d+)? ?(?:million|billion)/i)",
    R"(/(?:hausse|baisse|chute|progression) de \d+(?:,\d+)? ?%/i)",
    R"(/CVE-\d{4}-\d{4,7}/i)",
    R"(/(?:loi|décret|ordonnance) n[°o] ?\d{2,4}-\d+/i)",
    R"(/ISIN:? ?FR\d{10}/)",
    R"(/cyber[- ]?(?:attaque|attack)s?/i)",
    R"(/t[ée]l[ée]travail/i)",
    R"(/e-?commerce/i)",
    R"(/covid-?19/i)",
    R"(/gilets? jaunes?/i)",
    R"(/vaccins? (?:contre|anti)[- ]?covid/i)",
    R"(/(?:crypto-?monnaie|bitcoin)s?/i)",
    R"(/plans? de relance/i)",
    R"(/(?:ré)?ouverture des (?:écoles|commerces|frontières)/i)",
    R"(/\d{1,3}(?:[\x{00A0}\x{202F} ]\d{3})* (?:emplois|postes|salariés)/i)",
};

enum class Template {
  kEntityTopic,
  kEntityNearTopic,
  kTitleEntity,
  kKeywordGeo,
  kKeywordNot,
  kPhraseOr,
  kOnear,
  kLang,
  kExact,
  kRegex,
  kSite,
  kKeywordNear,
};

struct Weighted {
  Template t;
  double w;
};

constexpr Weighted kMixedWeights[] = {
    {Template::kEntityTopic, 22}, {Template::kEntityNearTopic, 10},
    {Template::kTitleEntity, 8},  {Template::kKeywordGeo, 12},
    {Template::kKeywordNot, 8},   {Template::kPhraseOr, 9},
    {Template::kOnear, 4},        {Template::kLang, 5},
    {Template::kExact, 6},        {Template::kRegex, 10},
    {Template::kSite, 2},         {Template::kKeywordNear, 4},
};
constexpr Weighted kNearWeights[] = {
    {Template::kEntityNearTopic, 40}, {Template::kKeywordNear, 20}, {Template::kOnear, 10},
    {Template::kEntityTopic, 10},     {Template::kKeywordGeo, 10},  {Template::kRegex, 10},
};
constexpr Weighted kRegexWeights[] = {
    {Template::kRegex, 50},           {Template::kEntityTopic, 15}, {Template::kKeywordGeo, 15},
    {Template::kEntityNearTopic, 10}, {Template::kPhraseOr, 10},
};
constexpr Weighted kLiteralWeights[] = {
    {Template::kEntityTopic, 30}, {Template::kTitleEntity, 10}, {Template::kKeywordGeo, 20},
    {Template::kKeywordNot, 10},  {Template::kPhraseOr, 15},    {Template::kLang, 5},
    {Template::kExact, 10},
};

std::string_view template_name(Template t) {
  switch (t) {
    case Template::kEntityTopic:
      return "entity-topic";
    case Template::kEntityNearTopic:
      return "entity-near";
    case Template::kTitleEntity:
      return "title-entity";
    case Template::kKeywordGeo:
      return "keyword-geo";
    case Template::kKeywordNot:
      return "keyword-not";
    case Template::kPhraseOr:
      return "phrase-or";
    case Template::kOnear:
      return "onear";
    case Template::kLang:
      return "lang";
    case Template::kExact:
      return "exact";
    case Template::kRegex:
      return "regex";
    case Template::kSite:
      return "site";
    case Template::kKeywordNear:
      return "keyword-near";
  }
  return "rule";
}

class RuleSetGenerator {
 public:
  explicit RuleSetGenerator(const RuleSetSpec& spec) : spec_(spec), rng_(spec.seed) {}

  std::vector<GeneratedFile> run() {
    std::vector<GeneratedFile> files;
    files.push_back(shared_lists());
    const std::size_t per_file = std::max<std::size_t>(1, spec_.rules_per_file);
    const std::size_t nfiles = (spec_.rules + per_file - 1) / per_file;
    std::vector<GeneratedFile> watchlists;
    for (std::size_t f = 0; f < nfiles; ++f) {
      const std::size_t first = f * per_file;
      const std::size_t last = std::min(spec_.rules, first + per_file);
      watchlists.push_back(watchlist_file(f, nfiles, first, last));
    }
    files.push_back(entity_lists());
    for (auto& w : watchlists) files.push_back(std::move(w));
    return files;
  }

 private:
  std::span<const Weighted> weights() const {
    switch (spec_.profile) {
      case RuleProfile::kNearHeavy:
        return kNearWeights;
      case RuleProfile::kRegexHeavy:
        return kRegexWeights;
      case RuleProfile::kLiteral:
        return kLiteralWeights;
      case RuleProfile::kMixed:
        break;
    }
    return kMixedWeights;
  }

  Template pick_template() {
    double total = 0;
    for (const auto& w : weights()) total += w.w;
    double x = rng_.uniform() * total;
    for (const auto& w : weights()) {
      if (x < w.w) return w.t;
      x -= w.w;
    }
    return weights().back().t;
  }

  GeneratedFile shared_lists() {
    std::string y =
        "# Generated by nw_gen: shared topic and geography lists (French and English).\n"
        "lists:\n";
    for (const Topic& t : topics()) {
      y += "  t_" + std::string(t.name) + ":\n";
      for (auto e : t.entries) y += "    - " + yq(e) + "\n";
    }
    for (const Topic& g : geographies()) {
      y += "  g_" + std::string(g.name) + ":\n";
      for (auto e : g.entries) y += "    - " + yq(e) + "\n";
    }
    y += "  t_business: ['@t_finance', '@t_mergers', '@t_crisis']\n";
    y += "  t_society: ['@t_labour', '@t_health', '@t_education', '@t_justice']\n";
    y += "  g_europe_all: ['@g_france', '@g_europe', '@g_overseas']\n";
    return {"lists/topics.yaml", y};
  }

  // Reference to an entity list, defining it on first use.
  std::string entity_ref() {
    const double x = rng_.uniform();
    std::string name;
    std::vector<std::string> entries;
    if (x < 0.35) {
      const std::uint64_t j = rng_.zipf(real_entities().size());
      name = "e_real_" + std::to_string(j);
      if (!entities_.count(name)) {
        for (auto a : real_entities()[j].aliases) entries.emplace_back(a);
      }
    } else if (x < 0.80) {
      const std::uint64_t pool = std::max<std::uint64_t>(50, spec_.rules / 2);
      const std::uint64_t k = rng_.below(pool);
      name = "e_co_" + std::to_string(k);
      if (!entities_.count(name)) {
        Rng r(mix(spec_.seed, k + 1));
        const std::string full = synthetic_company(k);
        const std::string base = full.substr(0, full.find(' '));
        entries.push_back(lower_ascii(base));
        entries.push_back("\"" + full + "\"");
        if (r.chance(0.25)) entries.push_back(lower_ascii(base) + "*");
        if (r.chance(0.2)) entries.push_back("=" + base);
        // Brands and executives, as watchlists on a company list them.
        const std::uint64_t products = r.below(4);
        for (std::uint64_t p = 0; p < products; ++p) {
          entries.push_back(lower_ascii(synthetic_base(1'000'000 + k * 8 + p)));
        }
        const std::uint64_t people = r.below(3);
        for (std::uint64_t p = 0; p < people; ++p) {
          entries.push_back(
              "\"" + synthetic_person(r.below(first_names().size() * last_names().size())) + "\"");
        }
      }
    } else {
      const std::uint64_t k = rng_.below(first_names().size() * last_names().size());
      name = "e_person_" + std::to_string(k);
      if (!entities_.count(name)) {
        const std::string full = synthetic_person(k);
        entries.push_back("\"" + full + "\"");
        Rng r(mix(spec_.seed, k + 7));
        if (r.chance(0.3)) entries.push_back("=" + full.substr(full.rfind(' ') + 1));
      }
    }
    if (!entities_.count(name)) {
      std::string display = surface_form(entries.front());
      if (name.starts_with("e_co_")) display = surface_form(entries[1]);
      if (!display.empty() && display[0] >= 'a' && display[0] <= 'z')
        display[0] = static_cast<char>(display[0] - 'a' + 'A');
      entity_display_.emplace(name, display);
      entities_.emplace(name, std::move(entries));
    }
    last_entity_ = name;
    return "@" + name;
  }

  std::string topic_ref() {
    const double x = rng_.uniform();
    if (x < 0.08) return "@t_business";
    if (x < 0.12) return "@t_society";
    const auto& t = topics()[rng_.zipf(topics().size())];
    last_topic_ = &t;
    return "@t_" + std::string(t.name);
  }

  std::string geo_ref() {
    if (rng_.chance(0.1)) return "@g_europe_all";
    return "@g_" + std::string(geographies()[rng_.zipf(geographies().size())].name);
  }

  const Topic& some_topic() { return topics()[rng_.below(topics().size())]; }

  // A private keyword list of 3-12 entries from one or two topics. Each rule may define
  // several (suffix a, b, ...).
  std::string keyword_list(const std::string& rule_id, std::string& yaml,
                           const Topic* only = nullptr, char suffix = 'a') {
    const std::string name = "kw_" + rule_id.substr(0, rule_id.find('-')) + suffix;
    std::set<std::string_view> chosen;
    const Topic& a = only != nullptr ? *only : some_topic();
    const Topic& b = only == nullptr && rng_.chance(0.4) ? some_topic() : a;
    const std::size_t n = 3 + rng_.below(10);
    for (std::size_t i = 0; i < n * 2 && chosen.size() < n; ++i) {
      const Topic& t = (i % 2 == 0) ? a : b;
      chosen.insert(t.entries[rng_.below(t.entries.size())]);
    }
    yaml += "  " + name + ":\n";
    for (auto e : chosen) yaml += "    - " + yq(e) + "\n";
    return "@" + name;
  }

  // Two keyword lists on different topics (e.g. cyber vocabulary and finance vocabulary).
  std::pair<std::string, std::string> two_keyword_lists(const std::string& rule_id,
                                                        std::string& yaml) {
    const Topic& a = some_topic();
    const Topic* b = &some_topic();
    while (b == &a) b = &some_topic();
    return {keyword_list(rule_id, yaml, &a, 'a'), keyword_list(rule_id, yaml, b, 'b')};
  }

  std::string topic_leaf(const Topic& t) {
    return as_query_leaf(t.entries[rng_.below(t.entries.size())]);
  }

  std::string regex_leaf() {
    const double x = rng_.uniform();
    if (x < 0.55 || last_entity_.empty()) {
      return std::string(kPatternRegexes[rng_.below(std::size(kPatternRegexes))]);
    }
    // An entity-specific pattern: a company with its legal form, a person with a title.
    std::string display = entity_display_.at(last_entity_);
    if (last_entity_.starts_with("e_person_")) {
      const std::string last = display.substr(display.rfind(' ') + 1);
      return "/(?:M\\.|Mme|Monsieur|Madame|Mr\\.?|Mrs\\.?) " + regex_escape(last) + "/";
    }
    const std::string base = display.substr(0, display.find(' '));
    return "/" + regex_escape(base) + " (?:SA|SE|Groupe|Group|Holding|Inc\\.?)/";
  }

  std::string make_query(Template t, const std::string& id, std::string& private_yaml) {
    switch (t) {
      case Template::kEntityTopic:
        return entity_ref() + " AND " + topic_ref();
      case Template::kEntityNearTopic: {
        const int n = std::array{3, 5, 8, 10, 12, 15, 20, 25}[rng_.below(8)];
        std::string q = entity_ref() + " NEAR/" + std::to_string(n) + " " + topic_ref();
        if (rng_.chance(0.3)) q = "(" + q + ") AND " + geo_ref();
        return q;
      }
      case Template::kTitleEntity: {
        const std::string e = entity_ref();
        return "title:" + e + " OR (" + e + " AND " + topic_ref() + ")";
      }
      case Template::kKeywordGeo: {
        const auto [a, b] = two_keyword_lists(id, private_yaml);
        return a + " AND " + b + " AND " + geo_ref();
      }
      case Template::kKeywordNot: {
        const Topic& t2 = some_topic();
        const auto [a, b] = two_keyword_lists(id, private_yaml);
        return a + " AND " + b + " NOT (" + topic_leaf(t2) + " OR " + topic_leaf(t2) + ")";
      }
      case Template::kPhraseOr: {
        const Topic& t1 = some_topic();
        std::string q =
            "(" + topic_leaf(t1) + " OR " + topic_leaf(t1) + " OR " + topic_leaf(t1) + ")";
        const Topic* t2 = &some_topic();
        while (t2 == &t1) t2 = &some_topic();
        return q + " AND " + keyword_list(id, private_yaml, t2) + " AND " + geo_ref();
      }
      case Template::kOnear: {
        const Topic& t1 = some_topic();
        const int n = static_cast<int>(rng_.below(4));
        std::string q = "(" + topic_leaf(t1) + " OR " + topic_leaf(t1) + ") ONEAR/" +
                        std::to_string(n) + " (" + topic_leaf(t1) + " OR " +
                        topic_leaf(some_topic()) + ")";
        if (rng_.chance(0.5)) q = "(" + q + ") AND " + geo_ref();
        return q;
      }
      case Template::kLang:
        return std::string(rng_.chance(0.85) ? "lang:fr" : "lang:en") + " AND " + entity_ref() +
               " AND " + topic_ref();
      case Template::kExact: {
        const std::string acr(acronyms()[rng_.below(acronyms().size())]);
        return "(" + acr + " OR " + entity_ref() + ") AND " + topic_ref();
      }
      case Template::kRegex: {
        const double x = rng_.uniform();
        if (x < 0.4) {
          const std::string e = entity_ref();
          return e + " AND " + regex_leaf();
        }
        if (x < 0.8) return regex_leaf() + " AND " + topic_ref();
        return keyword_list(id, private_yaml) + " NEAR/10 " + regex_leaf();
      }
      case Template::kSite: {
        constexpr std::string_view kSites[] = {"orange.fr", "wikinews.org", "lemonde.fr",
                                               "reuters.com"};
        return "site:" + std::string(kSites[rng_.below(4)]) + " AND " + entity_ref();
      }
      case Template::kKeywordNear: {
        const int n = std::array{2, 5, 10, 15}[rng_.below(4)];
        return keyword_list(id, private_yaml) + " NEAR/" + std::to_string(n) + " " + topic_ref();
      }
    }
    return "alibaba";
  }

  GeneratedFile watchlist_file(std::size_t f, std::size_t nfiles, std::size_t first,
                               std::size_t last) {
    static constexpr std::string_view kSeverities[] = {"info",   "low",  "medium",
                                                       "medium", "high", "critical"};
    std::string lists;
    std::string rules;
    for (std::size_t i = first; i < last; ++i) {
      last_entity_.clear();
      last_topic_ = nullptr;
      const Template t = pick_template();
      char idbuf[32];
      std::snprintf(idbuf, sizeof idbuf, "r%05zu", i);
      const std::string id = std::string(idbuf) + "-" + std::string(template_name(t));
      const std::string query = make_query(t, id, lists);
      rules += "  - id: " + id + "\n";
      rules += "    name: " +
               yq("Watch " + std::to_string(i) + " (" + std::string(template_name(t)) + ")") + "\n";
      rules +=
          "    severity: " + std::string(kSeverities[rng_.below(std::size(kSeverities))]) + "\n";
      rules += "    tags: [bench, " + std::string(template_name(t)) + "]\n";
      rules += "    query: " + yq(query) + "\n";
    }
    char path[64];
    std::snprintf(path, sizeof path, "watchlists/wl-%03zu.yaml", f);
    std::string y = "# Generated by nw_gen: watchlist file " + std::to_string(f + 1) + " of " +
                    std::to_string(nfiles) + ".\n";
    if (!lists.empty()) y += "lists:\n" + lists;
    y += "rules:\n" + rules;
    return {path, y};
  }

  GeneratedFile entity_lists() {
    std::string y = "# Generated by nw_gen: entity lists used by the watchlists.\nlists:\n";
    for (const auto& [name, entries] : entities_) {
      y += "  " + name + ":\n";
      for (const auto& e : entries) y += "    - " + yq(e) + "\n";
    }
    return {"lists/entities.yaml", y};
  }

  const RuleSetSpec& spec_;
  Rng rng_;
  std::map<std::string, std::vector<std::string>> entities_;
  std::map<std::string, std::string> entity_display_;  // as an article writes the name
  std::string last_entity_;
  const Topic* last_topic_ = nullptr;
};

// ---- articles -----------------------------------------------------------------------------

void json_escape_append(std::string_view s, std::string& out) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

class ArticleGenerator {
 public:
  explicit ArticleGenerator(const ArticleSpec& spec) : spec_(spec), rng_(spec.seed) {}

  std::string article(std::size_t index) {
    const bool fr = rng_.chance(spec_.french);
    std::string title = sentence(fr, 6 + rng_.below(9), false);
    // Body length: log-normal around the median (sigma 0.6), at least one sentence.
    const double z = normal();
    const auto target =
        static_cast<std::size_t>(static_cast<double>(spec_.median_body_bytes) * std::exp(0.6 * z));
    std::string body;
    while (body.size() < target || body.empty()) {
      const std::size_t sentences = 2 + rng_.below(5);
      if (!body.empty()) body += "\n\n";
      for (std::size_t s = 0; s < sentences; ++s) {
        if (s) body += ' ';
        body += sentence(fr, 8 + rng_.below(21), true);
      }
    }
    std::string out = "{\"id\":";
    char id[32];
    std::snprintf(id, sizeof id, "gen-%07zu", index);
    json_escape_append(id, out);
    out += ",\"url\":";
    json_escape_append(
        std::string(fr ? "https://actu.orange.fr/gen/" : "https://en.wikinews.org/wiki/gen-") + id,
        out);
    out += ",\"source\":";
    json_escape_append(fr ? rng_.pick(french_sources()) : rng_.pick(english_sources()), out);
    out += ",\"lang\":";
    json_escape_append(fr ? "fr" : "en", out);
    char date[40];
    std::snprintf(date, sizeof date, "2020-%02d-%02dT%02d:%02d:00+01:00",
                  static_cast<int>(1 + index / 2800 % 12), static_cast<int>(1 + index / 100 % 28),
                  static_cast<int>(index / 4 % 24), static_cast<int>(index % 60));
    out += ",\"published_at\":";
    json_escape_append(date, out);
    out += ",\"title\":";
    json_escape_append(title, out);
    out += ",\"body\":";
    json_escape_append(body, out);
    out += ",\"section\":\"bench\",\"author\":\"nw_gen\",\"licence\":\"generated\"}";
    return out;
  }

 private:
  double normal() {  // Box-Muller; our own so the bytes do not depend on the library
    const double u1 = std::max(rng_.uniform(), 1e-12);
    const double u2 = rng_.uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  std::string vocabulary_word(bool fr) {
    const double x = rng_.uniform();
    if (x < 0.45) {
      const Topic& t = topics()[rng_.zipf(topics().size())];
      return surface_form(t.entries[rng_.below(t.entries.size())],
                          rng_.pick(std::span<const std::string_view>(kSuffixes)));
    }
    if (x < 0.65) {
      const Topic& g = geographies()[rng_.zipf(geographies().size())];
      std::string s = surface_form(g.entries[rng_.below(g.entries.size())], "s");
      if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
      return s;
    }
    if (x < 0.78) {
      const auto& e = real_entities()[rng_.zipf(real_entities().size())];
      return surface_form(e.aliases[rng_.below(e.aliases.size())], "s");
    }
    if (x < 0.90) {
      const std::string full = synthetic_company(rng_.below(spec_.entity_pool));
      return rng_.chance(0.5) ? full : full.substr(0, full.find(' '));
    }
    if (x < 0.96) return synthetic_person(rng_.below(first_names().size() * last_names().size()));
    (void)fr;
    return surface_form(rng_.pick(acronyms()));
  }

  std::string number() {
    const double x = rng_.uniform();
    if (x < 0.3) return std::to_string(2 + rng_.below(30));
    if (x < 0.5) return std::to_string(1990 + rng_.below(32));
    if (x < 0.7) return std::to_string(1 + rng_.below(99)) + "," + std::to_string(rng_.below(10));
    if (x < 0.85)
      return std::to_string(1 + rng_.below(999)) + "\u00a0" + std::to_string(100 + rng_.below(900));
    return std::to_string(10 + rng_.below(990));
  }

  std::string amount(bool fr) {
    if (fr) {
      const char* unit = rng_.chance(0.6) ? " millions d" : " milliards d";
      return number() + unit + (rng_.chance(0.6) ? "\u2019" : "'") + "euros";
    }
    return "$" + std::to_string(1 + rng_.below(900)) + (rng_.chance(0.5) ? " million" : " billion");
  }

  std::string sentence(bool fr, std::size_t words, bool period) {
    const auto filler = fr ? french_filler() : english_filler();
    std::string s;
    for (std::size_t i = 0; i < words; ++i) {
      std::string w;
      const double x = rng_.uniform();
      // Rates calibrated so that the 1,000-rule mixed set fires about as often per article
      // on generated articles as on the real FR/EN corpus (~2 alerts per article).
      if (x < kVocabularyRate) {
        w = vocabulary_word(fr);
      } else if (x < kVocabularyRate + 0.015) {
        w = number();
      } else if (x < kVocabularyRate + 0.019) {
        w = amount(fr);
      } else {
        w = std::string(filler[rng_.zipf(filler.size())]);
      }
      if (fr && rng_.chance(0.5)) {  // typographic apostrophes, as French sites write them
        for (std::size_t p = w.find('\''); p != std::string::npos; p = w.find('\'', p + 3))
          w.replace(p, 1, "\u2019");
      }
      if (i == 0 && !w.empty() && w[0] >= 'a' && w[0] <= 'z')
        w[0] = static_cast<char>(w[0] - 'a' + 'A');
      if (i) {
        const double p = rng_.uniform();
        s += p < 0.06 ? ", " : " ";
      }
      if (fr && rng_.chance(0.01)) {
        s += "\u00ab\u00a0" + w + "\u00a0\u00bb";
      } else {
        s += w;
      }
    }
    if (period) {
      const double p = rng_.uniform();
      s += p < 0.9 ? "." : (p < 0.95 ? (fr ? "\u00a0?" : "?") : (fr ? "\u00a0!" : "!"));
    }
    return s;
  }

  static constexpr std::string_view kSuffixes[] = {"", "", "s", "e", "es", "ent"};
  static constexpr double kVocabularyRate = 0.012;
  const ArticleSpec& spec_;
  Rng rng_;
};

}  // namespace

Rng::Rng(std::uint64_t seed) noexcept {
  std::uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

std::uint64_t Rng::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t n) noexcept {
  // Rejection of the top partial range, then modulo: unbiased and library-independent.
  const std::uint64_t threshold = (0 - n) % n;
  while (true) {
    const std::uint64_t x = next();
    if (x >= threshold) return x % n;
  }
}

double Rng::uniform() noexcept {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t Rng::zipf(std::uint64_t n) noexcept {
  // Inverse of the continuous approximation of a Zipf(1) CDF: index = n^u - 1.
  const double v = std::pow(static_cast<double>(n) + 1.0, uniform()) - 1.0;
  const auto k = static_cast<std::uint64_t>(v);
  return k < n ? k : n - 1;
}

bool parse_profile(std::string_view name, RuleProfile& out) {
  if (name == "mixed")
    out = RuleProfile::kMixed;
  else if (name == "near")
    out = RuleProfile::kNearHeavy;
  else if (name == "regex")
    out = RuleProfile::kRegexHeavy;
  else if (name == "literal")
    out = RuleProfile::kLiteral;
  else
    return false;
  return true;
}

std::vector<GeneratedFile> generate_rule_set(const RuleSetSpec& spec) {
  return RuleSetGenerator(spec).run();
}

std::vector<std::string> generate_articles(const ArticleSpec& spec) {
  ArticleGenerator g(spec);
  std::vector<std::string> out;
  out.reserve(spec.count);
  for (std::size_t i = 0; i < spec.count; ++i) out.push_back(g.article(i));
  return out;
}

std::string synthetic_company(std::uint64_t k) {
  const auto suffixes = company_suffixes();
  return synthetic_base(k) + " " + std::string(suffixes[mix(k, 99) % suffixes.size()]);
}

std::string synthetic_person(std::uint64_t k) {
  const auto first = first_names();
  const auto last = last_names();
  return std::string(first[k % first.size()]) + " " +
         std::string(last[(k / first.size()) % last.size()]);
}

}  // namespace newswatch::bench
