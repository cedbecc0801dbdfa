// Character references: the HTML 4.01 named set (Latin-1, symbols and Greek, special) plus
// &apos;, decimal and hexadecimal numeric references.
#include "daemon/decode/html_entities.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "daemon/decode/html.h"
#include "daemon/text/utf8.h"

namespace newswatch::decode {
namespace detail {
namespace {

struct NamedEntity {
  std::string_view name;
  char32_t code_point;
};

// The table, grouped as in the HTML 4.01 entity sets. Sorted at compile time below.
constexpr NamedEntity kEntitiesUnsorted[] = {
    // Latin-1: U+00A0 .. U+00FF in order.
    {"nbsp", 0xA0},
    {"iexcl", 0xA1},
    {"cent", 0xA2},
    {"pound", 0xA3},
    {"curren", 0xA4},
    {"yen", 0xA5},
    {"brvbar", 0xA6},
    {"sect", 0xA7},
    {"uml", 0xA8},
    {"copy", 0xA9},
    {"ordf", 0xAA},
    {"laquo", 0xAB},
    {"not", 0xAC},
    {"shy", 0xAD},
    {"reg", 0xAE},
    {"macr", 0xAF},
    {"deg", 0xB0},
    {"plusmn", 0xB1},
    {"sup2", 0xB2},
    {"sup3", 0xB3},
    {"acute", 0xB4},
    {"micro", 0xB5},
    {"para", 0xB6},
    {"middot", 0xB7},
    {"cedil", 0xB8},
    {"sup1", 0xB9},
    {"ordm", 0xBA},
    {"raquo", 0xBB},
    {"frac14", 0xBC},
    {"frac12", 0xBD},
    {"frac34", 0xBE},
    {"iquest", 0xBF},
    {"Agrave", 0xC0},
    {"Aacute", 0xC1},
    {"Acirc", 0xC2},
    {"Atilde", 0xC3},
    {"Auml", 0xC4},
    {"Aring", 0xC5},
    {"AElig", 0xC6},
    {"Ccedil", 0xC7},
    {"Egrave", 0xC8},
    {"Eacute", 0xC9},
    {"Ecirc", 0xCA},
    {"Euml", 0xCB},
    {"Igrave", 0xCC},
    {"Iacute", 0xCD},
    {"Icirc", 0xCE},
    {"Iuml", 0xCF},
    {"ETH", 0xD0},
    {"Ntilde", 0xD1},
    {"Ograve", 0xD2},
    {"Oacute", 0xD3},
    {"Ocirc", 0xD4},
    {"Otilde", 0xD5},
    {"Ouml", 0xD6},
    {"times", 0xD7},
    {"Oslash", 0xD8},
    {"Ugrave", 0xD9},
    {"Uacute", 0xDA},
    {"Ucirc", 0xDB},
    {"Uuml", 0xDC},
    {"Yacute", 0xDD},
    {"THORN", 0xDE},
    {"szlig", 0xDF},
    {"agrave", 0xE0},
    {"aacute", 0xE1},
    {"acirc", 0xE2},
    {"atilde", 0xE3},
    {"auml", 0xE4},
    {"aring", 0xE5},
    {"aelig", 0xE6},
    {"ccedil", 0xE7},
    {"egrave", 0xE8},
    {"eacute", 0xE9},
    {"ecirc", 0xEA},
    {"euml", 0xEB},
    {"igrave", 0xEC},
    {"iacute", 0xED},
    {"icirc", 0xEE},
    {"iuml", 0xEF},
    {"eth", 0xF0},
    {"ntilde", 0xF1},
    {"ograve", 0xF2},
    {"oacute", 0xF3},
    {"ocirc", 0xF4},
    {"otilde", 0xF5},
    {"ouml", 0xF6},
    {"divide", 0xF7},
    {"oslash", 0xF8},
    {"ugrave", 0xF9},
    {"uacute", 0xFA},
    {"ucirc", 0xFB},
    {"uuml", 0xFC},
    {"yacute", 0xFD},
    {"thorn", 0xFE},
    {"yuml", 0xFF},
    // Special: markup-significant characters, Latin Extended, spacing and punctuation.
    {"quot", 0x22},
    {"amp", 0x26},
    {"lt", 0x3C},
    {"gt", 0x3E},
    {"OElig", 0x152},
    {"oelig", 0x153},
    {"Scaron", 0x160},
    {"scaron", 0x161},
    {"Yuml", 0x178},
    {"circ", 0x2C6},
    {"tilde", 0x2DC},
    {"ensp", 0x2002},
    {"emsp", 0x2003},
    {"thinsp", 0x2009},
    {"zwnj", 0x200C},
    {"zwj", 0x200D},
    {"lrm", 0x200E},
    {"rlm", 0x200F},
    {"ndash", 0x2013},
    {"mdash", 0x2014},
    {"lsquo", 0x2018},
    {"rsquo", 0x2019},
    {"sbquo", 0x201A},
    {"ldquo", 0x201C},
    {"rdquo", 0x201D},
    {"bdquo", 0x201E},
    {"dagger", 0x2020},
    {"Dagger", 0x2021},
    {"permil", 0x2030},
    {"lsaquo", 0x2039},
    {"rsaquo", 0x203A},
    {"euro", 0x20AC},
    // Symbols: Latin Extended-B, Greek, punctuation, letterlike, arrows, mathematical
    // operators, technical, geometric shapes, suits.
    {"fnof", 0x192},
    {"Alpha", 0x391},
    {"Beta", 0x392},
    {"Gamma", 0x393},
    {"Delta", 0x394},
    {"Epsilon", 0x395},
    {"Zeta", 0x396},
    {"Eta", 0x397},
    {"Theta", 0x398},
    {"Iota", 0x399},
    {"Kappa", 0x39A},
    {"Lambda", 0x39B},
    {"Mu", 0x39C},
    {"Nu", 0x39D},
    {"Xi", 0x39E},
    {"Omicron", 0x39F},
    {"Pi", 0x3A0},
    {"Rho", 0x3A1},
    {"Sigma", 0x3A3},
    {"Tau", 0x3A4},
    {"Upsilon", 0x3A5},
    {"Phi", 0x3A6},
    {"Chi", 0x3A7},
    {"Psi", 0x3A8},
    {"Omega", 0x3A9},
    {"alpha", 0x3B1},
    {"beta", 0x3B2},
    {"gamma", 0x3B3},
    {"delta", 0x3B4},
    {"epsilon", 0x3B5},
    {"zeta", 0x3B6},
    {"eta", 0x3B7},
    {"theta", 0x3B8},
    {"iota", 0x3B9},
    {"kappa", 0x3BA},
    {"lambda", 0x3BB},
    {"mu", 0x3BC},
    {"nu", 0x3BD},
    {"xi", 0x3BE},
    {"omicron", 0x3BF},
    {"pi", 0x3C0},
    {"rho", 0x3C1},
    {"sigmaf", 0x3C2},
    {"sigma", 0x3C3},
    {"tau", 0x3C4},
    {"upsilon", 0x3C5},
    {"phi", 0x3C6},
    {"chi", 0x3C7},
    {"psi", 0x3C8},
    {"omega", 0x3C9},
    {"thetasym", 0x3D1},
    {"upsih", 0x3D2},
    {"piv", 0x3D6},
    {"bull", 0x2022},
    {"hellip", 0x2026},
    {"prime", 0x2032},
    {"Prime", 0x2033},
    {"oline", 0x203E},
    {"frasl", 0x2044},
    {"weierp", 0x2118},
    {"image", 0x2111},
    {"real", 0x211C},
    {"trade", 0x2122},
    {"alefsym", 0x2135},
    {"larr", 0x2190},
    {"uarr", 0x2191},
    {"rarr", 0x2192},
    {"darr", 0x2193},
    {"harr", 0x2194},
    {"crarr", 0x21B5},
    {"lArr", 0x21D0},
    {"uArr", 0x21D1},
    {"rArr", 0x21D2},
    {"dArr", 0x21D3},
    {"hArr", 0x21D4},
    {"forall", 0x2200},
    {"part", 0x2202},
    {"exist", 0x2203},
    {"empty", 0x2205},
    {"nabla", 0x2207},
    {"isin", 0x2208},
    {"notin", 0x2209},
    {"ni", 0x220B},
    {"prod", 0x220F},
    {"sum", 0x2211},
    {"minus", 0x2212},
    {"lowast", 0x2217},
    {"radic", 0x221A},
    {"prop", 0x221D},
    {"infin", 0x221E},
    {"ang", 0x2220},
    {"and", 0x2227},
    {"or", 0x2228},
    {"cap", 0x2229},
    {"cup", 0x222A},
    {"int", 0x222B},
    {"there4", 0x2234},
    {"sim", 0x223C},
    {"cong", 0x2245},
    {"asymp", 0x2248},
    {"ne", 0x2260},
    {"equiv", 0x2261},
    {"le", 0x2264},
    {"ge", 0x2265},
    {"sub", 0x2282},
    {"sup", 0x2283},
    {"nsub", 0x2284},
    {"sube", 0x2286},
    {"supe", 0x2287},
    {"oplus", 0x2295},
    {"otimes", 0x2297},
    {"perp", 0x22A5},
    {"sdot", 0x22C5},
    {"lceil", 0x2308},
    {"rceil", 0x2309},
    {"lfloor", 0x230A},
    {"rfloor", 0x230B},
    {"lang", 0x2329},
    {"rang", 0x232A},
    {"loz", 0x25CA},
    {"spades", 0x2660},
    {"clubs", 0x2663},
    {"hearts", 0x2665},
    {"diams", 0x2666},
    // Not in HTML 4 but in XML and HTML5, and common in feeds.
    {"apos", 0x27},
};

constexpr std::size_t kEntityCount = std::size(kEntitiesUnsorted);
static_assert(kEntityCount == 253, "252 HTML 4.01 entities + apos");

constexpr std::array<NamedEntity, kEntityCount> kEntities = [] {
  std::array<NamedEntity, kEntityCount> sorted{};
  std::copy(std::begin(kEntitiesUnsorted), std::end(kEntitiesUnsorted), sorted.begin());
  std::sort(sorted.begin(), sorted.end(),
            [](const NamedEntity& a, const NamedEntity& b) { return a.name < b.name; });
  return sorted;
}();

constexpr bool names_unique() {
  for (std::size_t i = 1; i < kEntities.size(); ++i) {
    if (kEntities[i - 1].name == kEntities[i].name) return false;
  }
  return true;
}
static_assert(names_unique(), "duplicate entity name");

constexpr std::size_t kMaxNameLength = 8;  // "thetasym"

bool is_alnum(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

int hex_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  const unsigned lower = c | 0x20u;
  if (lower >= 'a' && lower <= 'f') return static_cast<int>(lower - 'a') + 10;
  return -1;
}

// HTML's treatment of numeric references in the C1 range: feeds produced from Windows-1252
// text write "&#146;" for a right single quote. 0 = no mapping (the code point stays as is).
constexpr char16_t kWindows1252C1[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

constexpr std::uint32_t kTooBig = 0x110000;

std::size_t decode_numeric(std::string_view in, std::size_t pos, std::string& out) {
  // in[pos] == '&', in[pos + 1] == '#'
  std::size_t i = pos + 2;
  const bool hex = i < in.size() && (in[i] == 'x' || in[i] == 'X');
  if (hex) ++i;
  const std::size_t digits_begin = i;
  std::uint32_t value = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    int d;
    if (hex) {
      d = hex_value(c);
    } else {
      d = (c >= '0' && c <= '9') ? c - '0' : -1;
    }
    if (d < 0) break;
    if (value < kTooBig) {
      value = value * (hex ? 16u : 10u) + static_cast<std::uint32_t>(d);
      if (value > kTooBig) value = kTooBig;  // sticky: stays invalid however many digits follow
    }
    ++i;
  }
  if (i == digits_begin || i >= in.size() || in[i] != ';') return 0;  // no digits / unterminated
  char32_t cp = value;
  if (cp == 0 || cp >= kTooBig || (cp >= 0xD800 && cp <= 0xDFFF)) {
    cp = text::kReplacementChar;
  } else if (cp >= 0x80 && cp <= 0x9F && kWindows1252C1[cp - 0x80] != 0) {
    cp = kWindows1252C1[cp - 0x80];
  }
  text::append_utf8(cp, out);
  return i + 1 - pos;
}

}  // namespace

char32_t lookup_named_entity(std::string_view name) noexcept {
  const auto* it =
      std::lower_bound(kEntities.begin(), kEntities.end(), name,
                       [](const NamedEntity& e, std::string_view n) { return e.name < n; });
  if (it == kEntities.end() || it->name != name) return 0;
  return it->code_point;
}

std::size_t named_entity_count() noexcept {
  return kEntities.size();
}

std::size_t decode_reference_at(std::string_view in, std::size_t pos, std::string& out) {
  if (pos + 2 >= in.size() || in[pos] != '&') return 0;  // shortest reference: "&lt;" / "&#1;"
  if (in[pos + 1] == '#') return decode_numeric(in, pos, out);
  std::size_t i = pos + 1;
  const std::size_t limit = std::min(in.size(), pos + 1 + kMaxNameLength);
  while (i < limit && is_alnum(static_cast<unsigned char>(in[i]))) ++i;
  if (i == pos + 1 || i >= in.size() || in[i] != ';') return 0;
  const char32_t cp = lookup_named_entity(in.substr(pos + 1, i - pos - 1));
  if (cp == 0) return 0;
  text::append_utf8(cp, out);
  return i + 1 - pos;
}

}  // namespace detail

bool decode_html_entities(std::string_view in, std::string& out) {
  out.clear();
  bool changed = false;
  std::size_t copied = 0;  // in[0, copied) has been handled
  std::size_t amp = in.find('&');
  while (amp != std::string_view::npos) {
    out.append(in.data() + copied, amp - copied);
    const std::size_t used = detail::decode_reference_at(in, amp, out);
    if (used == 0) {
      out.push_back('&');
      copied = amp + 1;
    } else {
      changed = true;
      copied = amp + used;
    }
    amp = in.find('&', copied);
  }
  out.append(in.data() + copied, in.size() - copied);
  return changed;
}

}  // namespace newswatch::decode
