#include "daemon/text/utf8.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace newswatch::text {
namespace {

using namespace std::string_literals;

// U+FFFD as UTF-8.
const std::string& fffd() {
  static const std::string s = "\xEF\xBF\xBD";
  return s;
}

std::string repaired(std::string_view in, std::size_t* count = nullptr) {
  std::string out;
  const std::size_t n = repair_utf8(in, out);
  if (count != nullptr) *count = n;
  return out;
}

std::string encode(char32_t cp) {
  std::string s;
  append_utf8(cp, s);
  return s;
}

// Reference validator, independent of the implementation: a sequence is well-formed when it
// splits into pieces that each re-encode, through a plain bit-mask decode, to themselves and
// are Unicode scalar values.
bool reference_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = b0 < 0x80   ? 1
                      : b0 < 0xC0 ? 0
                      : b0 < 0xE0 ? 2
                      : b0 < 0xF0 ? 3
                      : b0 < 0xF8 ? 4
                                  : 0;
    if (len == 0 || i + len > s.size()) return false;
    char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (encode(cp) != s.substr(i, len)) return false;  // overlong
    i += len;
  }
  return true;
}

TEST(Utf8Valid, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ASCII text that is longer than sixteen bytes, of course"));
  EXPECT_TRUE(is_valid_utf8("Les banques françaises s’inquiètent « vraiment » — États-Unis"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80 emoji, \xE4\xB8\xAD\xE6\x96\x87, \xD0\x96"));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF
  EXPECT_TRUE(is_valid_utf8("\xEE\x80\x80"));      // U+E000
  EXPECT_TRUE(is_valid_utf8("a\0b"s));             // NUL is a character
}

TEST(Utf8Valid, RejectsIllFormedText) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));      // surrogate U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\x80"));          // stray continuation
  EXPECT_FALSE(is_valid_utf8("caf\xC3"));       // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));  // truncated emoji
  EXPECT_FALSE(is_valid_utf8("\xC3\xA9\xC3"));
}

TEST(Utf8Valid, FindsAnErrorAtEveryPositionOfAnAsciiRun) {
  // Exercises the 8/16-byte fast path at every alignment.
  for (std::size_t len = 0; len < 70; ++len) {
    for (std::size_t pos = 0; pos <= len; ++pos) {
      std::string s(len, 'x');
      s.insert(pos, "\xC3\xA9");
      ASSERT_TRUE(is_valid_utf8(s)) << len << " " << pos;
      s.insert(pos, "\xBF");
      ASSERT_FALSE(is_valid_utf8(s)) << len << " " << pos;
    }
  }
}

TEST(Utf8Valid, AgreesWithReferenceOnAllTwoAndThreeByteStrings) {
  std::string s(2, '\0');
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      s[0] = static_cast<char>(a);
      s[1] = static_cast<char>(b);
      ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << a << " " << b;
    }
  }
  s.assign(3, '\0');
  for (unsigned a = 0x80; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      for (unsigned c = 0; c < 256; ++c) {
        s[0] = static_cast<char>(a);
        s[1] = static_cast<char>(b);
        s[2] = static_cast<char>(c);
        if (is_valid_utf8(s) != reference_valid(s)) {
          FAIL() << a << " " << b << " " << c;
        }
      }
    }
  }
}

TEST(Utf8Valid, AgreesWithReferenceOnFourByteStrings) {
  const unsigned interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
                                  0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF};
  std::string s(4, '\0');
  for (unsigned a = 0xC0; a < 256; ++a) {
    for (unsigned b : interesting) {
      for (unsigned c : interesting) {
        for (unsigned d : interesting) {
          s[0] = static_cast<char>(a);
          s[1] = static_cast<char>(b);
          s[2] = static_cast<char>(c);
          s[3] = static_cast<char>(d);
          ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << a << " " << b << " " << c << " " << d;
        }
      }
    }
  }
}

TEST(Utf8Repair, LeavesValidInputUnchanged) {
  std::size_t n = 99;
  EXPECT_EQ(repaired("", &n), "");
  EXPECT_EQ(n, 0u);
  const std::string fr = "Société Générale à l’Élysée \xF0\x9F\x98\x80";
  EXPECT_EQ(repaired(fr, &n), fr);
  EXPECT_EQ(n, 0u);
}

TEST(Utf8Repair, AppendsToExistingOutput) {
  std::string out = "prefix:";
  EXPECT_EQ(repair_utf8("a\xFF", out), 1u);
  EXPECT_EQ(out, "prefix:a" + fffd());
}

TEST(Utf8Repair, TruncatedSequenceIsOneReplacement) {
  std::size_t n = 0;
  EXPECT_EQ(repaired("\xF0\x9F\x98", &n), fffd());
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(repaired("ab\xF0\x9F\x98"
                     "cd",
                     &n),
            "ab" + fffd() + "cd");
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(repaired("caf\xC3", &n), "caf" + fffd());
  EXPECT_EQ(repaired("\xE2\x80 x", &n), fffd() + " x");
  EXPECT_EQ(n, 1u);
}

TEST(Utf8Repair, NeverValidLeadBytesAreReplacedOneByOne) {
  std::size_t n = 0;
  EXPECT_EQ(repaired("\xC0\xAF", &n), fffd() + fffd());
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(repaired("\xC1\x81", &n), fffd() + fffd());
  EXPECT_EQ(repaired("\xF5\xF6\xFF", &n), fffd() + fffd() + fffd());
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(repaired("\x80\x80", &n), fffd() + fffd());
  EXPECT_EQ(n, 2u);
}

TEST(Utf8Repair, SurrogatesAndOutOfRangeFollowMaximalSubparts) {
  std::size_t n = 0;
  // ED may only be followed by 80..9F: ED is its own maximal subpart, then A0 and 80 are
  // stray continuation bytes.
  EXPECT_EQ(repaired("\xED\xA0\x80", &n), fffd() + fffd() + fffd());
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(repaired("\xF4\x90\x80\x80", &n), fffd() + fffd() + fffd() + fffd());
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(repaired("\xE0\x80\xAF", &n), fffd() + fffd() + fffd());
  EXPECT_EQ(repaired("\xF0\x80\x80\x80", &n), fffd() + fffd() + fffd() + fffd());
}

TEST(Utf8Repair, UnicodeStandardExample) {
  // The example of Unicode 15 §3.9 "U+FFFD Substitution of Maximal Subparts".
  std::size_t n = 0;
  EXPECT_EQ(repaired("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", &n),
            "a" + fffd() + fffd() + fffd() + "b" + fffd() + "c" + fffd() + fffd() + "d");
  EXPECT_EQ(n, 6u);
}

TEST(Utf8Repair, OutputIsAlwaysValid) {
  std::vector<std::string> inputs = {
      "\xC3",          "\xC3\xC3\xA9",
      "\xE2\x82",      "\xE2\x82\xAC\xE2",
      "a\xF0\x90\x80", "\xF8\x88\x80\x80\x80",
      "\xFE\xFF",      std::string(40, 'a') + "\x9F" + std::string(40, 'b')};
  for (const auto& s : inputs) {
    const std::string r = repaired(s);
    EXPECT_TRUE(is_valid_utf8(r)) << s;
    EXPECT_FALSE(is_valid_utf8(s)) << s;
  }
}

TEST(Utf8Encode, BoundariesEncodeToExpectedBytes) {
  EXPECT_EQ(encode(0x00), "\0"s);
  EXPECT_EQ(encode(0x7F), "\x7F");
  EXPECT_EQ(encode(0x80), "\xC2\x80");
  EXPECT_EQ(encode(0xE9), "é");
  EXPECT_EQ(encode(0x7FF), "\xDF\xBF");
  EXPECT_EQ(encode(0x800), "\xE0\xA0\x80");
  EXPECT_EQ(encode(0x2019), "’");
  EXPECT_EQ(encode(0xFFFD), fffd());
  EXPECT_EQ(encode(0xFFFF), "\xEF\xBF\xBF");
  EXPECT_EQ(encode(0x10000), "\xF0\x90\x80\x80");
  EXPECT_EQ(encode(0x1F600), "\xF0\x9F\x98\x80");
  EXPECT_EQ(encode(0x10FFFF), "\xF4\x8F\xBF\xBF");
}

TEST(Utf8Encode, EveryScalarValueRoundTrips) {
  std::string s;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s.clear();
    append_utf8(cp, s);
    ASSERT_EQ(s.size(), utf8_sequence_length(static_cast<unsigned char>(s[0])));
    ASSERT_TRUE(is_valid_utf8(s)) << std::hex << static_cast<std::uint32_t>(cp);
    std::size_t i = 0;
    ASSERT_EQ(decode_valid_utf8(s, i), cp);
    ASSERT_EQ(i, s.size());
    i = 0;
    char32_t got = 0;
    ASSERT_TRUE(decode_utf8(s, i, got));
    ASSERT_EQ(got, cp);
    ASSERT_EQ(i, s.size());
  }
}

TEST(Utf8Decode, IllFormedInputAdvancesByMaximalSubpart) {
  char32_t cp = 0;
  std::size_t i = 0;
  const std::string s =
      "\xF0\x9F\x98"
      "a\xED\xA0\x80";
  EXPECT_FALSE(decode_utf8(s, i, cp));
  EXPECT_EQ(cp, kReplacementChar);
  EXPECT_EQ(i, 3u);
  EXPECT_TRUE(decode_utf8(s, i, cp));
  EXPECT_EQ(cp, U'a');
  EXPECT_FALSE(decode_utf8(s, i, cp));
  EXPECT_EQ(i, 5u);
  EXPECT_FALSE(decode_utf8(s, i, cp));
  EXPECT_EQ(i, 6u);
  EXPECT_FALSE(decode_utf8(s, i, cp));
  EXPECT_EQ(i, 7u);
}

TEST(Utf8Floor, NeverSplitsASequence) {
  const std::string s = "a\xC3\xA9\xE2\x80\x99\xF0\x9F\x98\x80z";  // a é ’ 😀 z
  const std::size_t expected[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};
  for (std::size_t n = 0; n < std::size(expected); ++n) {
    EXPECT_EQ(utf8_floor(s, n), expected[n]) << n;
  }
  EXPECT_EQ(utf8_floor(s, 100), s.size());
  EXPECT_EQ(utf8_floor("", 0), 0u);
  EXPECT_EQ(utf8_floor("", 5), 0u);
}

TEST(Utf8Floor, StrayContinuationBytesAreTheirOwnUnits) {
  EXPECT_EQ(utf8_floor("ab\x80\x80", 3), 3u);
  EXPECT_EQ(utf8_floor("\x80\x80\x80\x80\x80", 4), 4u);
  // A lead byte whose sequence is cut short does not own the bytes after its maximal subpart.
  EXPECT_EQ(utf8_floor("\xE2\x80"
                       "a",
                       1),
            0u);
  EXPECT_EQ(utf8_floor("\xC3\x80\x80", 2), 2u);
}

}  // namespace
}  // namespace newswatch::text
