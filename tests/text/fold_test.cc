#include "daemon/text/fold.h"

#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <utf8proc.h>

#include "daemon/text/normalize.h"
#include "daemon/text/utf8.h"

namespace newswatch::text {
namespace {

std::string hex(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

std::string utf8proc_map_string(std::string_view in, int options) {
  utf8proc_uint8_t* r = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(in.data()),
                              static_cast<utf8proc_ssize_t>(in.size()), &r,
                              static_cast<utf8proc_option_t>(options));
  if (n < 0) return "<error>";
  std::string s(reinterpret_cast<const char*>(r), static_cast<std::size_t>(n));
  std::free(r);
  return s;
}

// Reference folding, straight from the written definition (fold.h) with utf8proc's
// whole-string mapper: full case fold, then NFKD + case fold + strip marks, then the extra
// map and the removal of invisible format characters.
std::string reference_fold(std::string_view in) {
  const std::string cased = utf8proc_map_string(in, UTF8PROC_CASEFOLD);
  const std::string decomposed = utf8proc_map_string(
      cased, UTF8PROC_CASEFOLD | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK);
  std::string out;
  std::size_t i = 0;
  while (i < decomposed.size()) {
    const char32_t c = decode_valid_utf8(decomposed, i);
    switch (c) {
      case 0x0153:
        out += "oe";
        break;
      case 0x00E6:
        out += "ae";
        break;
      case 0x00F8:
        out += "o";
        break;
      case 0x0142:
        out += "l";
        break;
      case 0x0111:
        out += "d";
        break;
      case 0x00F0:
        out += "d";
        break;
      case 0x00FE:
        out += "th";
        break;
      case 0x0127:
        out += "h";
        break;
      case 0x0131:
        out += "i";
        break;
      case 0x2018:
      case 0x2019:
      case 0x02BC:
      case 0x2032:
      case 0xFF07:
        out += "'";
        break;
      case 0x2010:
      case 0x2011:
      case 0x2012:
      case 0x2013:
      case 0x2014:
      case 0x2015:
      case 0x2212:
      case 0xFE63:
      case 0xFF0D:
        out += "-";
        break;
      case 0x00AD:
      case 0x200B:
      case 0x200C:
      case 0x200D:
      case 0x2060:
      case 0xFEFF:
        break;
      default:
        append_utf8(c, out);
    }
  }
  return out;
}

// Reference tokenizer over a folded string.
std::vector<Span> reference_words(std::string_view folded) {
  std::vector<Span> words;
  std::size_t i = 0;
  bool in_word = false;
  std::uint32_t start = 0;
  while (i < folded.size()) {
    const auto at = static_cast<std::uint32_t>(i);
    const bool w = is_word_char_folded(decode_valid_utf8(folded, i));
    if (w && !in_word) start = at;
    if (!w && in_word) words.push_back({start, at});
    in_word = w;
  }
  if (in_word) words.push_back({start, static_cast<std::uint32_t>(folded.size())});
  return words;
}

std::vector<std::string> word_strings(const FoldedText& ft) {
  std::vector<std::string> out;
  for (const Span& w : ft.words()) out.emplace_back(ft.folded().substr(w.begin, w.end - w.begin));
  return out;
}

std::string_view original_of(const FoldedText& ft, Span w) {
  const Span o = ft.to_original(w);
  return ft.original().substr(o.begin, o.end - o.begin);
}

using Words = std::vector<std::string>;

TEST(Fold, AccentsAndCase) {
  EXPECT_EQ(fold("É"), "e");
  EXPECT_EQ(fold("Dubaï"), "dubai");
  EXPECT_EQ(fold("États-Unis"), "etats-unis");
  EXPECT_EQ(fold("maîtres"), "maitres");
  EXPECT_EQ(fold("Société Générale à l’Élysée"), "societe generale a l'elysee");
  EXPECT_EQ(fold("ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝ"), "aaaaaaceeeeiiiinooooouuuuy");
  EXPECT_EQ(fold("Łódź Kraków Čeština Ελλάδα Пётр"), "lodz krakow cestina ελλαδα петр");
}

TEST(Fold, SpecialLettersAndLigatures) {
  EXPECT_EQ(fold("straße"), "strasse");
  EXPECT_EQ(fold("œuvre Œuvre"), "oeuvre oeuvre");
  EXPECT_EQ(fold("æther Ærø"), "aether aero");
  EXPECT_EQ(fold("Øresund ø"), "oresund o");
  EXPECT_EQ(fold("Łukasz ł"), "lukasz l");
  EXPECT_EQ(fold("Đ đ Ð ð"), "d d d d");
  EXPECT_EQ(fold("Þór þ"), "thor th");
  EXPECT_EQ(fold("Ħ ħ ı"), "h h i");
  EXPECT_EQ(fold("\xEF\xAC\x81nance"), "finance");  // ﬁ ligature
  EXPECT_EQ(fold("\xEF\xAC\x80"), "ff");            // ﬀ
  EXPECT_EQ(fold("\xC4\xB0stanbul"), "istanbul");   // İ U+0130
  EXPECT_EQ(fold("\xE2\x84\xAA"), "k");             // KELVIN SIGN
  EXPECT_EQ(fold("\xE2\x84\xAB"), "a");             // ANGSTROM SIGN
  EXPECT_EQ(fold("ǾǢ"), "oae");                     // decompose, strip mark, then map
  EXPECT_EQ(fold("\xC5\x89"), "'n");                // ŉ -> ʼn -> 'n
}

TEST(Fold, CompatibilityForms) {
  EXPECT_EQ(fold("ＡｌｉＢａｂａ"), "alibaba");
  EXPECT_EQ(fold("２０２４"), "2024");
  EXPECT_EQ(fold("\xC2\xBD"),
            "1\xE2\x81\x84"
            "2");                                               // ½ -> 1⁄2
  EXPECT_EQ(fold("x\xC2\xB2"), "x2");                           // superscript two
  EXPECT_EQ(fold("\xE2\x84\xA1"), "tel");                       // ℡: case folded after NFKD
  EXPECT_EQ(fold("\xF0\x9D\x90\x80"), "a");                     // MATHEMATICAL BOLD CAPITAL A
  EXPECT_EQ(fold("\xE2\x91\xA0"), "1");                         // ①
  EXPECT_EQ(fold("\xC2\xA0"), " ");                             // NO-BREAK SPACE
  EXPECT_EQ(fold("\xEA\xB0\x80"), "\xE1\x84\x80\xE1\x85\xA1");  // 가 -> jamo (NFKD)
  EXPECT_EQ(fold("\xCD\x85"), "\xCE\xB9");                      // U+0345 -> ι, like ᾳ
  EXPECT_EQ(fold("\xE1\xBE\xB3"), "\xCE\xB1\xCE\xB9");          // ᾳ -> αι
}

TEST(Fold, ApostrophesAndDashes) {
  EXPECT_EQ(fold("l’Europe"), "l'europe");
  EXPECT_EQ(fold("‘a’ ʼb ′c ＇d"), "'a' 'b 'c 'd");
  EXPECT_EQ(fold("a‐b‑c‒d–e—f―g−h﹣i－j"), "a-b-c-d-e-f-g-h-i-j");
  EXPECT_EQ(fold("\xE2\x80\xB3"), "''");  // DOUBLE PRIME -> two primes -> two apostrophes
  EXPECT_EQ(fold("«»“”"), "«»“”");        // quotes other than apostrophes stay
}

TEST(Fold, InvisibleFormattingCharactersAreRemoved) {
  EXPECT_EQ(fold("ban\xC2\xADque"), "banque");
  EXPECT_EQ(fold("a\xE2\x80\x8B"
                 "b\xE2\x80\x8C"
                 "c\xE2\x80\x8D"
                 "d\xE2\x81\xA0"
                 "e\xEF\xBB\xBF"
                 "f"),
            "abcdef");
  EXPECT_EQ(fold("a\xE2\x80\x8E"
                 "b"),
            "a\xE2\x80\x8E"
            "b");  // LRM is kept (a separator)
}

TEST(Fold, MarksAreDropped) {
  EXPECT_EQ(fold("e\xCC\x81"), "e");  // NFD input still folds (marks dropped)
  EXPECT_EQ(fold("q\xCC\x83"), "q");
  EXPECT_EQ(fold("\xCC\x81"), "");
}

TEST(Fold, AsciiLowercasesAndKeepsEverythingElse) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  std::string want = all;
  for (char& c : want) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  EXPECT_EQ(fold(all), want);
  FoldedText ft;
  ft.assign(all);
  EXPECT_EQ(ft.folded(), want);
  EXPECT_EQ(word_strings(ft),
            (Words{"0123456789", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz"}));
}

TEST(Fold, FoldAppendAppends) {
  std::string out = "x:";
  fold_append("ÉTÉ", out);
  EXPECT_EQ(out, "x:ete");
}

TEST(Fold, IllFormedInputFoldsToReplacementCharacters) {
  EXPECT_EQ(fold("a\xFF"
                 "b\xF0\x9F\x98"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  FoldedText ft;
  ft.assign("A\xC3 \xED\xA0\x80Z");
  EXPECT_TRUE(is_valid_utf8(ft.folded()));
  EXPECT_EQ(ft.folded(), "a\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
  EXPECT_EQ(word_strings(ft), (Words{"a", "z"}));
}

TEST(WordChars, Predicates) {
  EXPECT_TRUE(is_word_char_folded(U'a'));
  EXPECT_TRUE(is_word_char_folded(U'7'));
  EXPECT_TRUE(is_word_char_folded(U'é'));
  EXPECT_TRUE(is_word_char_folded(0x00BD));   // ½ is No
  EXPECT_TRUE(is_word_char_folded(0x4E2D));   // 中
  EXPECT_TRUE(is_word_char_folded(0x1D400));  // 𝐀
  EXPECT_FALSE(is_word_char_folded(U'\''));
  EXPECT_FALSE(is_word_char_folded(U'-'));
  EXPECT_FALSE(is_word_char_folded(U'_'));    // Pc is not a word character
  EXPECT_FALSE(is_word_char_folded(0x0301));  // marks only count in the original view
  EXPECT_TRUE(is_word_char_original(0x0301));
  EXPECT_TRUE(is_word_char_original(U'a'));
  EXPECT_FALSE(is_word_char_original(0x2019));
  EXPECT_FALSE(is_word_char_folded(0x1F600));  // emoji
  EXPECT_FALSE(is_word_char_folded(0x110000));
  EXPECT_FALSE(is_word_char_original(0xFFFFFFFF));
}

TEST(WordChars, AgreeWithUtf8procCategoriesOnEveryCodePoint) {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    const bool letter_or_number = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                                  (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
    const bool mark = cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
    ASSERT_EQ(is_word_char_folded(cp), letter_or_number) << hex(cp);
    ASSERT_EQ(is_word_char_original(cp), letter_or_number || mark) << hex(cp);
  }
}

TEST(FoldedText, WordsOfFrenchAndEnglishText) {
  FoldedText ft;
  ft.assign("l'Europe, AliExpress!");
  EXPECT_EQ(ft.folded(), "l'europe, aliexpress!");
  EXPECT_EQ(word_strings(ft), (Words{"l", "europe", "aliexpress"}));
  EXPECT_EQ(std::vector<Span>(ft.words().begin(), ft.words().end()),
            (std::vector<Span>{{0, 1}, {2, 8}, {10, 20}}));

  ft.assign("l’Europe d’Alibaba");
  EXPECT_EQ(ft.folded(), "l'europe d'alibaba");
  EXPECT_EQ(word_strings(ft), (Words{"l", "europe", "d", "alibaba"}));

  ft.assign("Les États-Unis et Dubaï, maîtres du jeu.");
  EXPECT_EQ(word_strings(ft),
            (Words{"les", "etats", "unis", "et", "dubai", "maitres", "du", "jeu"}));

  ft.assign("ban\xC2\xADque 2024 C++ e-commerce");
  EXPECT_EQ(word_strings(ft), (Words{"banque", "2024", "c", "e", "commerce"}));

  ft.assign(
      "\xC2\xBD"
      "x \xE2\x80\x94 \xF0\x9F\x98\x80"
      "emoji\xE4\xB8\xAD\xE6\x96\x87");
  EXPECT_EQ(word_strings(ft), (Words{"1", "2x", "emoji中文"}));

  ft.assign("");
  EXPECT_TRUE(ft.folded().empty());
  EXPECT_TRUE(ft.words().empty());
  ft.assign("  ,;  ");
  EXPECT_TRUE(ft.words().empty());
}

TEST(FoldedText, WordsMapBackToTheirOriginalBytes) {
  const std::string original = "Société Générale à l’Élysée";
  FoldedText ft;
  ft.assign(original);
  EXPECT_EQ(ft.original(), original);
  EXPECT_EQ(ft.folded(), "societe generale a l'elysee");
  ASSERT_EQ(word_strings(ft), (Words{"societe", "generale", "a", "l", "elysee"}));
  const char* expected[] = {"Société", "Générale", "à", "l", "Élysée"};
  for (std::size_t k = 0; k < ft.words().size(); ++k) {
    const Span w = ft.words()[k];
    EXPECT_EQ(original_of(ft, w), expected[k]) << k;
    const Span o = ft.to_original(w);
    EXPECT_EQ(ft.to_folded(o.begin), w.begin) << k;
    EXPECT_EQ(ft.to_folded(o.end), w.end) << k;
  }
  // Exact byte positions for one of them: "Générale" (10 bytes) starts after "Société " (10
  // bytes); in the folded view "generale" starts at 8.
  EXPECT_EQ(ft.words()[1], (Span{8, 16}));
  EXPECT_EQ(ft.to_original(ft.words()[1]), (Span{10, 20}));
}

TEST(FoldedText, MultiByteAndExpandingCodePoints) {
  FoldedText ft;
  ft.assign("Straße \xEF\xAC\x81nal \xC2\xBD");  // Straße ﬁnal ½
  EXPECT_EQ(ft.folded(),
            "strasse final 1\xE2\x81\x84"
            "2");
  ASSERT_EQ(word_strings(ft), (Words{"strasse", "final", "1", "2"}));
  EXPECT_EQ(original_of(ft, ft.words()[0]), "Straße");
  EXPECT_EQ(original_of(ft, ft.words()[1]), "\xEF\xAC\x81nal");
  EXPECT_EQ(original_of(ft, ft.words()[2]), "\xC2\xBD");
  EXPECT_EQ(original_of(ft, ft.words()[3]), "\xC2\xBD");
  // The second 's' of "ss" maps to all of ß; so does the first.
  EXPECT_EQ(ft.to_original(Span{5, 6}), (Span{4, 6}));
  EXPECT_EQ(ft.to_original(Span{4, 5}), (Span{4, 6}));
  // 'i' of "fi" maps to the ligature.
  EXPECT_EQ(ft.to_original(Span{9, 10}), (Span{8, 11}));
  // to_folded inside a code point rounds up to the next one.
  EXPECT_EQ(ft.to_folded(4), 4u);
  EXPECT_EQ(ft.to_folded(5), 6u);
  EXPECT_EQ(ft.to_folded(8), 8u);
  EXPECT_EQ(ft.to_folded(9), 10u);  // inside ﬁ: 'n'
  EXPECT_EQ(ft.to_folded(11), 10u);
  EXPECT_EQ(ft.to_folded(100), ft.folded().size());
}

TEST(FoldedText, NfdInputAndRemovedCharactersMap) {
  std::string original;
  make_original_view("Socie\xCC\x81te\xCC\x81 Ge\xCC\x81ne\xCC\x81rale", original);
  FoldedText ft;
  ft.assign(original);
  ASSERT_EQ(word_strings(ft), (Words{"societe", "generale"}));
  EXPECT_EQ(original_of(ft, ft.words()[0]), "Société");

  // Not normalized: the marks fold to nothing and do not split words.
  const std::string nfd = "Socie\xCC\x81te\xCC\x81!";
  ft.assign(nfd);
  EXPECT_EQ(ft.folded(), "societe!");
  ASSERT_EQ(word_strings(ft), (Words{"societe"}));
  // The word ends with the code point that produced its last folded byte.
  EXPECT_EQ(original_of(ft, ft.words()[0]), "Socie\xCC\x81te");
  EXPECT_EQ(ft.to_folded(5), 5u);  // the first mark: where the next code point's bytes start
  EXPECT_EQ(ft.to_folded(7), 5u);  // 't'

  ft.assign("ban\xC2\xADque!");
  ASSERT_EQ(word_strings(ft), (Words{"banque"}));
  EXPECT_EQ(original_of(ft, ft.words()[0]), "ban\xC2\xADque");
  EXPECT_EQ(ft.to_original(Span{3, 3}), (Span{5, 5}));  // empty span at 'q'
  EXPECT_EQ(ft.to_original(Span{2, 4}), (Span{2, 6}));
}

TEST(FoldedText, WordAtOrAfter) {
  FoldedText ft;
  ft.assign("  alpha, beta  gamma ");
  // words: alpha [2,7) beta [9,13) gamma [15,20)
  ASSERT_EQ(ft.words().size(), 3u);
  EXPECT_EQ(ft.word_at_or_after(0), 0u);
  EXPECT_EQ(ft.word_at_or_after(2), 0u);
  EXPECT_EQ(ft.word_at_or_after(6), 0u);
  EXPECT_EQ(ft.word_at_or_after(7), 1u);
  EXPECT_EQ(ft.word_at_or_after(12), 1u);
  EXPECT_EQ(ft.word_at_or_after(13), 2u);
  EXPECT_EQ(ft.word_at_or_after(19), 2u);
  EXPECT_EQ(ft.word_at_or_after(20), 3u);
  EXPECT_EQ(ft.word_at_or_after(1000), 3u);
}

TEST(FoldedText, EmptyAndOutOfRangeSpans) {
  FoldedText ft;
  ft.assign("Été x");
  EXPECT_EQ(ft.folded(), "ete x");
  EXPECT_EQ(ft.to_original(Span{0, 0}), (Span{0, 0}));
  EXPECT_EQ(ft.to_original(Span{2, 2}), (Span{3, 3}));
  EXPECT_EQ(ft.to_original(Span{5, 5}), (Span{7, 7}));
  EXPECT_EQ(ft.to_original(Span{4, 99}), (Span{6, 7}));
  EXPECT_EQ(ft.to_original(Span{0, 5}), (Span{0, 7}));
  EXPECT_EQ(ft.to_folded(0), 0u);
  EXPECT_EQ(ft.to_folded(1), 1u);  // inside É: next code point 't'
  EXPECT_EQ(ft.to_folded(2), 1u);
  EXPECT_EQ(ft.to_folded(3), 2u);
}

TEST(FoldedText, ReusesBuffersWithoutReallocating) {
  FoldedText ft;
  std::string warm;
  for (int k = 0; k < 200; ++k) warm += "Société Générale à l’Élysée, ½ straße. ";
  ft.assign(warm);
  const char* data = ft.folded().data();
  const Span* words = ft.words().data();
  const std::string texts[] = {"Société Générale à l’Élysée, encore et encore", "",
                               warm.substr(0, 3000), "x", warm};
  for (int k = 0; k < 20; ++k) {
    for (const std::string& t : texts) {
      ft.assign(t);
      ASSERT_EQ(ft.folded().data(), data);
      ASSERT_EQ(ft.words().data(), words);
    }
  }
  ft.assign(texts[0]);
  EXPECT_EQ(ft.folded(), "societe generale a l'elysee, encore et encore");
}

TEST(FoldedText, NonAsciiAtEveryPositionAndAlignment) {
  // Exercises the 16-byte ASCII path around non-ASCII code points at every offset.
  const std::string_view inserts[] = {"É",
                                      "ß",
                                      "’",
                                      "\xC2\xAD",
                                      "\xC2\xBD",
                                      "\xF0\x9F\x98\x80",
                                      "\xF0\x9D\x90\x80",
                                      "\xE4\xB8\xAD",
                                      "e\xCC\x81",
                                      "\xE4\xB8\xAD\xE6\x96\x87",
                                      "«",
                                      "\xEF\xB7\xBA"};
  // Longer than two 64-byte blocks of the word pass, so that multi-byte code points also
  // straddle block boundaries.
  const std::string base =
      "Ab cD,eF Gh-IJ kl'mn Op 12 qR.st UV wx!yz Ab cD,eF Gh-IJ kl'mn Op 12 qR.st UV wx!yz "
      "Ab cD,eF Gh-IJ kl'mn Op 12 qR.st UV wx!yz";
  FoldedText ft;
  for (std::string_view ins : inserts) {
    for (std::size_t pos = 0; pos <= base.size(); ++pos) {
      std::string s = base;
      s.insert(pos, ins);
      ft.assign(s);
      ASSERT_EQ(ft.folded(), fold(s)) << s;
      ASSERT_EQ(ft.folded(), reference_fold(s)) << s;
      const auto want = reference_words(ft.folded());
      ASSERT_EQ(std::vector<Span>(ft.words().begin(), ft.words().end()), want) << s;
    }
  }
}

TEST(FoldedText, LongNonLatinText) {
  const std::string ru =
      "Центральный банк России в понедельник сохранил ключевую ставку, сообщает агентство. ";
  const std::string zh = "阿里巴巴集团宣布在欧洲扩展金融业务，蚂蚁集团也在其中。";
  FoldedText ft;
  std::string mixed = ru;
  mixed.append(zh).append(ru);
  for (const std::string& text : {ru, zh, mixed}) {
    for (int prefix = 0; prefix < 4; ++prefix) {
      std::string s(static_cast<std::size_t>(prefix), 'x');
      s.append(text).append(text);
      ft.assign(s);
      ASSERT_EQ(ft.folded(), reference_fold(s));
      ASSERT_EQ(std::vector<Span>(ft.words().begin(), ft.words().end()),
                reference_words(ft.folded()));
    }
  }
  ft.assign(ru);
  EXPECT_EQ(word_strings(ft), (Words{"центральныи", "банк", "россии", "в", "понедельник",
                                     "сохранил", "ключевую", "ставку", "сообщает", "агентство"}));
}

// Checks the offset-map invariants of one FoldedText.
void check_map(const FoldedText& ft) {
  const std::string_view orig = ft.original();
  const std::string_view folded = ft.folded();
  ASSERT_TRUE(is_valid_utf8(folded));
  std::uint32_t prev_end = 0;
  for (std::size_t k = 0; k < ft.words().size(); ++k) {
    const Span w = ft.words()[k];
    ASSERT_LT(w.begin, w.end);
    ASSERT_LE(w.end, folded.size());
    if (k > 0) {
      ASSERT_LT(prev_end, w.begin);  // separated by at least one non-word character
    }
    prev_end = w.end;
    ASSERT_EQ(ft.word_at_or_after(w.begin), k);
    ASSERT_EQ(ft.word_at_or_after(w.end - 1), k);
    const Span o = ft.to_original(w);
    ASSERT_LT(o.begin, o.end);
    ASSERT_LE(o.end, orig.size());
    // The original bytes of the word fold to something containing the folded word.
    const std::string refolded = fold(orig.substr(o.begin, o.end - o.begin));
    ASSERT_NE(refolded.find(folded.substr(w.begin, w.end - w.begin)), std::string::npos)
        << "word " << k << " of " << orig;
    ASSERT_LE(ft.to_folded(o.begin), w.begin);
    ASSERT_GE(ft.to_folded(o.end), w.end);
  }
}

TEST(FoldedText, EveryBmpCodePointInContext) {
  // FoldedText agrees with fold() and with the reference definition for every BMP code point,
  // between ASCII letters so that word boundaries and anchors are exercised.
  FoldedText ft;
  std::string s;
  for (char32_t cp = 0; cp < 0x10000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s = "Ab";
    append_utf8(cp, s);
    s += "Cd";
    ft.assign(s);
    ASSERT_EQ(ft.folded(), fold(s)) << hex(cp);
    ASSERT_EQ(ft.folded(), reference_fold(s)) << hex(cp);
    ASSERT_TRUE(is_valid_utf8(ft.folded())) << hex(cp);
    ASSERT_EQ(std::vector<Span>(ft.words().begin(), ft.words().end()), reference_words(ft.folded()))
        << hex(cp);
    check_map(ft);
    if (HasFatalFailure()) return;
  }
}

TEST(FoldedText, SupplementaryCodePointsAgreeWithReference) {
  FoldedText ft;
  std::string s;
  for (char32_t cp = 0x10000; cp <= 0x10FFFF; cp += (cp < 0x20000 ? 1 : 0x3F)) {
    s = "x";
    append_utf8(cp, s);
    ft.assign(s);
    ASSERT_EQ(ft.folded(), reference_fold(s)) << hex(cp);
    ASSERT_EQ(fold(s), ft.folded()) << hex(cp);
  }
}

TEST(Fold, IsIdempotent) {
  std::string s;
  for (char32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x10000 ? 1 : 0x11)) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s.clear();
    append_utf8(cp, s);
    const std::string once = fold(s);
    ASSERT_EQ(fold(once), once) << hex(cp);
  }
}

TEST(FoldedText, RandomMixturesKeepInvariants) {
  const std::string_view pieces[] = {"a",
                                     "Z",
                                     " ",
                                     ",",
                                     "'",
                                     "-",
                                     "0",
                                     "É",
                                     "é",
                                     "ß",
                                     "\xEF\xAC\x81",
                                     "\xC2\xBD",
                                     "\xC2\xAD",
                                     "\xE2\x80\x8B",
                                     "’",
                                     "—",
                                     "«",
                                     "\xCC\x81",
                                     "\xF0\x9F\x98\x80",
                                     "\xF0\x9D\x90\x80",
                                     "\xE4\xB8\xAD",
                                     "\xEA\xB0\x80",
                                     "\xEF\xB7\xBA" /* U+FDFA */,
                                     "Ｋ",
                                     "\xE2\x84\xAA",
                                     "İ",
                                     "\xFF",
                                     "\xE2\x82"};
  std::mt19937 rng(2026);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
  std::uniform_int_distribution<int> length(0, 100);  // up to several 64-byte blocks
  FoldedText ft;
  std::string s;
  for (int iter = 0; iter < 8000; ++iter) {
    s.clear();
    const int len = length(rng);
    for (int k = 0; k < len; ++k) s += pieces[pick(rng)];
    ft.assign(s);
    ASSERT_EQ(ft.folded(), fold(s)) << s;
    ASSERT_EQ(std::vector<Span>(ft.words().begin(), ft.words().end()), reference_words(ft.folded()))
        << s;
    if (is_valid_utf8(s)) {
      ASSERT_EQ(ft.folded(), reference_fold(s)) << s;
    }
    check_map(ft);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace newswatch::text
