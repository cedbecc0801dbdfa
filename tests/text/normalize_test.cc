#include "daemon/text/normalize.h"

#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <utf8proc.h>

#include "daemon/text/utf8.h"

namespace newswatch::text {
namespace {

std::string nfc(std::string_view in) {
  std::string out = "garbage that must be replaced";
  to_nfc(in, out);
  return out;
}

// Independent reference: utf8proc's own whole-string NFC.
std::string reference_nfc(std::string_view in) {
  utf8proc_uint8_t* r = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(in.data()),
                              static_cast<utf8proc_ssize_t>(in.size()), &r,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return "<error>";
  std::string s(reinterpret_cast<const char*>(r), static_cast<std::size_t>(n));
  std::free(r);
  return s;
}

std::string encode(char32_t cp) {
  std::string s;
  append_utf8(cp, s);
  return s;
}

TEST(NfcQuick, AsciiAndLatinTextPasses) {
  EXPECT_TRUE(is_nfc_quick(""));
  EXPECT_TRUE(is_nfc_quick("AliExpress arrive en France"));
  EXPECT_TRUE(is_nfc_quick("Les banques françaises s’inquiètent « vraiment » — à l’Élysée…"));
  EXPECT_TRUE(is_nfc_quick("Œuvre, Ærø, Łódź, Dubaï, maîtres, straße"));
  EXPECT_TRUE(is_nfc_quick("\xF0\x9F\x98\x80 emoji and \xE4\xB8\xAD\xE6\x96\x87"));
}

TEST(NfcQuick, PrecomposedLettersOfOtherScriptsPass) {
  // Primary composites are NFC_Quick_Check=Yes: Cyrillic, Greek, Vietnamese text must not be
  // sent through the full normalizer.
  EXPECT_TRUE(is_nfc_quick("Санкт-Петербург, Пётр, йод"));
  EXPECT_TRUE(is_nfc_quick("Αθήνα, Ελλάδα"));
  EXPECT_TRUE(is_nfc_quick("Việt Nam, Hà Nội"));
  EXPECT_TRUE(is_nfc_quick("한국어"));
}

TEST(NfcQuick, DecomposedOrSingletonInputFails) {
  EXPECT_FALSE(is_nfc_quick("e\xCC\x81"));  // e + COMBINING ACUTE
  EXPECT_FALSE(is_nfc_quick("Ame\xCC\x81lie"));
  EXPECT_FALSE(is_nfc_quick("\xE2\x84\xAB"));              // U+212B ANGSTROM SIGN (singleton)
  EXPECT_FALSE(is_nfc_quick("\xE2\x84\xA6"));              // U+2126 OHM SIGN (singleton)
  EXPECT_FALSE(is_nfc_quick("\xE1\x84\x80\xE1\x85\xA1"));  // Hangul L + V jamo
}

TEST(NfcQuick, IsConservativeForEveryBmpCodePointInContext) {
  // Whenever the quick check says yes, the full normalizer must agree that nothing changes.
  const std::string_view before[] = {"",
                                     "a",
                                     "e",
                                     "\xE1\x84\x80" /* L jamo */,
                                     "\xEA\xB0\x80" /* GA */,
                                     "\xE0\xB3\x86" /* U+0CC6 */};
  int passed = 0;
  for (char32_t cp = 1; cp < 0x10000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const std::string c = encode(cp);
    for (std::string_view b : before) {
      const std::string s = std::string(b) + c + "x";
      if (is_nfc_quick(s)) {
        ++passed;
        ASSERT_EQ(reference_nfc(s), s) << std::hex << static_cast<unsigned>(cp);
      }
    }
  }
  EXPECT_GT(passed, 300000);  // the check is useful, not just "always false"
}

TEST(ToNfc, ComposesDecomposedInput) {
  EXPECT_EQ(nfc("e\xCC\x81"), "é");
  EXPECT_EQ(nfc("Socie\xCC\x81te\xCC\x81 Ge\xCC\x81ne\xCC\x81rale"), "Société Générale");
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");                  // ANGSTROM SIGN -> Å
  EXPECT_EQ(nfc("\xE2\x84\xA6"), "\xCE\xA9");                  // OHM SIGN -> Ω
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");  // jamo -> 가
  EXPECT_EQ(nfc("plain"), "plain");
  EXPECT_EQ(nfc(""), "");
}

TEST(ToNfc, ReordersCombiningMarks) {
  // a + dot below (ccc 220) after acute (ccc 230): canonical order puts the dot first, then
  // a + dot below composes to U+1EA1 and the acute stays.
  EXPECT_EQ(nfc("a\xCC\x81\xCC\xA3"), "\xE1\xBA\xA1\xCC\x81");
  // q has no precomposed form: the mark stays.
  EXPECT_EQ(nfc("q\xCC\x81"), "q\xCC\x81");
}

TEST(ToNfc, MatchesWholeStringNormalizerOnMixedText) {
  const std::string inputs[] = {
      "Ame\xCC\x81lie habite a\xCC\x80 Paris, l’Élysée, \xE2\x84\xAB and more text",
      "\xCC\x81 leading mark then e\xCC\x81\xCC\x81 double marks",
      "x\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8 Hangul LVT",
      "Vie\xCC\xA3\xCC\x82t Nam and Vi\xE1\xBB\x87t Nam",
      "\xE2\x84\xA6\xE2\x84\xA6\xE2\x84\xA6",
      "\xCE\xB1\xCD\x85 and \xE1\xBE\xB3",
  };
  for (const auto& s : inputs) EXPECT_EQ(nfc(s), reference_nfc(s)) << s;
}

TEST(ToNfc, MatchesWholeStringNormalizerOnRandomMixtures) {
  // Segment-wise normalization must agree with normalizing the whole string.
  const std::string_view pieces[] = {"a",
                                     "e",
                                     " ",
                                     "é",
                                     "ê",
                                     "q",
                                     "\xCC\x81" /* acute */,
                                     "\xCC\xA3" /* dot below */,
                                     "\xCC\x82" /* circumflex */,
                                     "\xCD\x85" /* ypogegrammeni */,
                                     "\xCE\xB1" /* alpha */,
                                     "\xE1\x84\x80" /* L */,
                                     "\xE1\x85\xA1" /* V */,
                                     "\xE1\x86\xA8" /* T */,
                                     "\xEA\xB0\x80" /* LV */,
                                     "\xE2\x84\xAB" /* angstrom */,
                                     "\xE0\xB3\x86" /* U+0CC6 */,
                                     "\xE0\xB3\x95" /* U+0CD5 */,
                                     "\xE0\xB3\x82" /* U+0CC2 */,
                                     "\xE2\x80\x99",
                                     "\xF0\x9F\x98\x80",
                                     "\xE0\xA4\xA8" /* na */,
                                     "\xE0\xA4\xBC" /* nukta */,
                                     "\xE2\xAB\x9D" /* U+2ADD */,
                                     "\xCC\xB8" /* long solidus overlay */};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
  std::uniform_int_distribution<int> length(1, 12);
  std::string s;
  std::string out;
  for (int iter = 0; iter < 20000; ++iter) {
    s.clear();
    const int len = length(rng);
    for (int k = 0; k < len; ++k) s += pieces[pick(rng)];
    const std::string want = reference_nfc(s);
    ASSERT_EQ(nfc(s), want) << s;
    const unsigned changes = make_original_view(s, out);
    ASSERT_EQ(out, want);
    ASSERT_EQ(changes, want == s ? kUnchanged : kNormalizedNfc) << s;
    if (is_nfc_quick(s)) {
      ASSERT_EQ(want, s);
    }
  }
}

TEST(ToNfc, InputMayAliasOutput) {
  std::string s = "xe\xCC\x81y";
  to_nfc(std::string_view(s).substr(1), s);
  EXPECT_EQ(s, "éy");
}

TEST(OriginalView, CleanTextIsCopiedUnchanged) {
  std::string out = "old";
  EXPECT_EQ(make_original_view("L’Europe « unie »", out), kUnchanged);
  EXPECT_EQ(out, "L’Europe « unie »");
  EXPECT_EQ(make_original_view("", out), kUnchanged);
  EXPECT_EQ(out, "");
}

TEST(OriginalView, RepairsThenNormalizes) {
  std::string out;
  EXPECT_EQ(make_original_view("caf\xC3", out), kRepairedUtf8);
  EXPECT_EQ(out, "caf\xEF\xBF\xBD");
  EXPECT_EQ(make_original_view("Socie\xCC\x81te\xCC\x81", out), kNormalizedNfc);
  EXPECT_EQ(out, "Société");
  EXPECT_EQ(make_original_view("e\xCC\x81\xFF", out), kRepairedUtf8 | kNormalizedNfc);
  EXPECT_EQ(out, "é\xEF\xBF\xBD");
  // A stray continuation byte after a base letter is replaced, not composed.
  EXPECT_EQ(make_original_view("e\x81", out), kRepairedUtf8);
  EXPECT_EQ(out, "e\xEF\xBF\xBD");
}

TEST(OriginalView, NfcInputThatFailsTheQuickCheckIsNotReportedAsChanged) {
  // q + combining acute is already NFC but contains a combining mark.
  std::string out;
  EXPECT_EQ(make_original_view("q\xCC\x81", out), kUnchanged);
  EXPECT_EQ(out, "q\xCC\x81");
}

}  // namespace
}  // namespace newswatch::text
