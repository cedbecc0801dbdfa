#include "tests/integration/daemon/articles.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace newswatch::itest {
namespace {

// splitmix64: small, fast and identical on every platform (unlike std:: distributions).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <std::size_t N>
  std::string_view pick(const std::array<std::string_view, N>& pool) {
    return pool[below(N)];
  }

 private:
  std::uint64_t state_;
};

// "\u00A0" (no-break space) and "\u2019" (right single quotation mark) appear as raw UTF-8.
constexpr std::array<std::string_view, 12> kFrHits = {
    "Une cyberattaque a visé une banque régionale, selon plusieurs sources internes.",
    "Le rançongiciel a paralysé les serveurs de l\u2019assureur pendant deux jours.",
    "Après le piratage, la banque a prévenu ses clients par courrier.",
    "Une fuite de données touche plusieurs assureurs mutualistes.",
    "L\u2019Union européenne prépare de nouvelles sanctions contre la Russie.",
    "Washington renforce l\u2019embargo visant l\u2019Iran depuis lundi.",
    "Le prix du gaz a encore augmenté cette semaine.",
    "Les cours du pétrole reculent après l\u2019annonce de l\u2019OPEP.",
    "Un salon de la fintech s\u2019ouvre à Dubaï\u00A0: 300 exposants sont attendus.",
    "La délégation est arrivée à Dubai mardi soir.",
    "Alibaba veut accélérer en Europe avec AliExpress et ses vendeurs français.",
    "La transition vers une énergie décarbonée avance lentement.",
};
constexpr std::array<std::string_view, 12> kFrMisses = {
    "Le banquet annuel des anciens élèves a réuni deux cents personnes.",
    "Le club écope de lourdes sanctions après les incidents du match.",
    "Les pirates des Caraïbes reviennent au cinéma cet été.",
    "La Russie a remporté le match de hockey aux tirs au but.",
    "Abu Dhabi accueille une régate internationale ce week-end.",
    "Le piratage de films reste un problème, selon les studios.",
    "Le temps sera ensoleillé sur la Bretagne ce week-end.",
    "Le conseil municipal a voté le budget à l\u2019unanimité.",
    "Les élèves passent le baccalauréat en juin\u00A0; les résultats tombent en juillet.",
    "La saison des vendanges commence en Bourgogne.",
    "« C\u2019est une très bonne nouvelle pour les maîtres d\u2019apprentissage », dit-il.",
    "Les États-Unis et le Canada discutent d\u2019un accord commercial.",
};
constexpr std::array<std::string_view, 10> kEnHits = {
    "A ransomware attack disrupted the bank's branches on Monday.",
    "Hackers behind the data breach targeted two insurers in Ohio.",
    "The cyberattack forced the bank to suspend online payments.",
    "The EU agreed new sanctions against Russia after a long meeting.",
    "The oil embargo on Iran remains in place, officials said.",
    "Oil prices rose after the announcement.",
    "A trade show opened in Dubai this week.",
    "Alibaba is expanding AliExpress across Europe, the company said.",
    "Ransomware gangs now target insurers and small banks alike.",
    "Exhibitors from Dubai\xCC\x88 and Doha arrived on Sunday.",  // NFD: i + U+0308
};
constexpr std::array<std::string_view, 10> kEnMisses = {
    "The bank holiday weekend brought heavy traffic on the motorways.",
    "Sanctions were imposed on the football club after the riot.",
    "Russia and Iran held talks on trade and transport.",
    "The river bank was flooded after three days of rain.",
    "The gas station on Main Street reopened on Friday.",
    "The weather will be sunny across the region.",
    "The city council approved the budget on Tuesday.",
    "Students sit their final exams in June.",
    "A hacker-themed escape room opened downtown.",
    "The museum's new wing is dedicated to modern art.",
};
constexpr std::array<std::string_view, 8> kFrTitles = {
    "Point sur l\u2019actualité",
    "Ce qu\u2019il faut retenir",
    "Économie\u00A0: les chiffres de la semaine",
    "Les informations du jour",
    "Revue de presse",
    "Le fait du jour",
    "À la une",
    "En bref",
};
constexpr std::array<std::string_view, 8> kEnTitles = {
    "What you need to know", "Morning briefing", "The week in review", "Top stories", "In brief",
    "Markets wrap",          "Around the world", "Today's headlines",
};
constexpr std::array<std::string_view, 6> kSources = {
    "Le Quotidien",     "La Gazette du Centre", "Daily Ledger",
    "The Morning Post", "Agence Dépêches",      "Wire Service",
};

// Replaces some non-ASCII characters by JSON \u escapes (é, è, à, ’), exercising the decoder's
// escape handling. Works on an already-escaped JSON string body.
void escape_some_non_ascii(std::string& json_body) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kEscapes = {{
      {"\xC3\xA9", "\\u00e9"},      // é
      {"\xC3\xA8", "\\u00E8"},      // è
      {"\xC3\xA0", "\\u00e0"},      // à
      {"\xE2\x80\x99", "\\u2019"},  // ’
  }};
  for (const auto& [raw, esc] : kEscapes) {
    for (std::size_t pos = json_body.find(raw); pos != std::string::npos;
         pos = json_body.find(raw, pos + esc.size())) {
      json_body.replace(pos, raw.size(), esc);
    }
  }
}

void add_field(std::string& out, std::string_view name, std::string_view value, bool escape_more) {
  out += out.size() > 1 ? ", \"" : "\"";
  out += name;
  out += "\": \"";
  std::string body;
  append_json_escaped(body, value);
  if (escape_more) escape_some_non_ascii(body);
  out += body;
  out += '"';
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
}

std::vector<GeneratedArticle> generate_articles(std::string_view prefix, std::size_t count,
                                                std::uint64_t seed, std::size_t first_index) {
  std::vector<GeneratedArticle> out;
  out.reserve(count);
  for (std::size_t i = first_index; i < first_index + count; ++i) {
    Rng rng(seed * 1000003u + i);
    const bool fr = rng.chance(50);
    auto sentence = [&]() -> std::string_view {
      const bool hit = rng.chance(22);
      if (fr) return hit ? rng.pick(kFrHits) : rng.pick(kFrMisses);
      return hit ? rng.pick(kEnHits) : rng.pick(kEnMisses);
    };
    GeneratedArticle a;
    a.id = std::string(prefix) + "-" + std::to_string(i);
    std::string title;
    if (rng.chance(30)) {
      title = std::string(sentence());
      if (!title.empty() && title.back() == '.') title.pop_back();
    } else {
      title = std::string(fr ? rng.pick(kFrTitles) : rng.pick(kEnTitles));
    }
    std::string body;
    const std::size_t sentences = 2 + rng.below(6);
    for (std::size_t s = 0; s < sentences; ++s) {
      if (s > 0) body += rng.chance(25) ? "\n\n" : " ";
      body += sentence();
    }
    const bool escape_more = rng.chance(20);
    std::string& j = a.json;
    j = "{";
    add_field(j, "id", a.id, false);
    add_field(j, "url", "https://news.example.test/" + a.id, false);
    add_field(j, "source", rng.pick(kSources), escape_more);
    add_field(j, "lang", fr ? (rng.chance(20) ? "fr-FR" : "fr") : "en", false);
    add_field(j, "published_at", "2026-11-26T08:" + std::to_string(10 + i % 50) + ":00Z", false);
    add_field(j, "title", title, escape_more);
    add_field(j, "body", body, escape_more);
    if (rng.chance(10)) j += ", \"tags\": [\"ignored\", 1, null], \"score\": 0.5";
    j += "}";
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<SpecialMessage> undecodable_messages(std::string_view prefix,
                                                 std::size_t max_message_bytes) {
  const std::string p(prefix);
  std::vector<SpecialMessage> out;
  auto key = [&] { return p + "-special-" + std::to_string(out.size()); };
  out.push_back({key(),
                 "{\"id\": \"" + p + "-truncated\", \"title\": \"Cyberattaque contre la banque",
                 "invalid_json"});
  out.push_back({key(), "Cyberattaque contre la banque: this is not JSON", "invalid_json"});
  out.push_back({key(),
                 "[{\"id\": \"" + p + "-array\", \"title\": \"Cyberattaque contre une banque\"}]",
                 "not_object"});
  // A valid article that would fire itest-cyber-bank, but larger than the limit.
  std::string big = "{\"id\": \"" + p +
                    "-oversized\", \"lang\": \"fr\", \"title\": "
                    "\"Cyberattaque contre une banque\", \"body\": \"";
  while (big.size() < max_message_bytes + 16 * 1024) {
    big += "Une cyberattaque a visé une banque régionale, selon plusieurs sources internes. ";
  }
  big += "\"}";
  out.push_back({key(), std::move(big), "too_large"});
  out.push_back({key(), "", "empty"});
  out.push_back({key(),
                 "{\"id\": \"" + p +
                     "-wrongtype\", \"title\": 42, \"body\": \"Cyberattaque contre la banque\"}",
                 "wrong_type"});
  out.push_back(
      {key(), "{\"id\": \"" + p + "-notext\", \"title\": \"\", \"body\": \"\"}", "no_text"});
  return out;
}

GeneratedArticle invalid_utf8_article(std::string_view id) {
  GeneratedArticle a;
  a.id = std::string(id);
  a.json =
      "{\"id\": \"" + a.id +
      "\", \"lang\": \"fr\", \"title\": \"Cyberattaque \xFF contre une banque r\xC3\x28gionale\", "
      "\"body\": \"Le piratage \xED\xA0\x80 a vis\xC3\xA9 la banque. Les agences \xC3 ferment.\"}";
  return a;
}

std::string seed_article_json() {
  std::ifstream in(std::string(NEWSWATCH_SOURCE_DIR) + "/rules/fixtures/seed-article.json",
                   std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace newswatch::itest
