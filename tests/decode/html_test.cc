#include "daemon/decode/html.h"

#include <string>

#include <gtest/gtest.h>

#include "daemon/decode/html_entities.h"

namespace newswatch::decode {
namespace {

std::string text_of(std::string_view html, bool* changed = nullptr) {
  std::string out = "garbage from a previous call";
  const bool c = html_to_text(html, out);
  if (changed != nullptr) *changed = c;
  return out;
}

std::string entities(std::string_view in, bool* changed = nullptr) {
  std::string out = "garbage from a previous call";
  const bool c = decode_html_entities(in, out);
  if (changed != nullptr) *changed = c;
  return out;
}

TEST(HtmlEntities, TableHasHtml4SetPlusApos) {
  EXPECT_EQ(detail::named_entity_count(), 253u);
  EXPECT_EQ(detail::lookup_named_entity("amp"), U'&');
  EXPECT_EQ(detail::lookup_named_entity("apos"), U'\'');
  EXPECT_EQ(detail::lookup_named_entity("nbsp"), 0xA0u);
  EXPECT_EQ(detail::lookup_named_entity("yuml"), 0xFFu);
  EXPECT_EQ(detail::lookup_named_entity("Yuml"), 0x178u);
  EXPECT_EQ(detail::lookup_named_entity("thetasym"), 0x3D1u);
  EXPECT_EQ(detail::lookup_named_entity("euro"), 0x20ACu);
  EXPECT_EQ(detail::lookup_named_entity("diams"), 0x2666u);
  EXPECT_EQ(detail::lookup_named_entity("lang"), 0x2329u);  // HTML 4 value, not HTML5's
  EXPECT_EQ(detail::lookup_named_entity("AMP"), 0u);        // names are case-sensitive
  EXPECT_EQ(detail::lookup_named_entity("hellip2"), 0u);
  EXPECT_EQ(detail::lookup_named_entity(""), 0u);
}

TEST(HtmlEntities, Named) {
  bool changed = false;
  EXPECT_EQ(entities("march&eacute; &amp; caf&Eacute;", &changed), "marché & cafÉ");
  EXPECT_TRUE(changed);
  EXPECT_EQ(entities("&lt;b&gt; &quot;x&quot; l&apos;Europe"), "<b> \"x\" l'Europe");
  EXPECT_EQ(entities("a&nbsp;b"), "a\u00A0b");
  EXPECT_EQ(entities("&oelig;uvre &hellip; &euro;5 &mdash;"), "œuvre … €5 —");
}

TEST(HtmlEntities, Numeric) {
  EXPECT_EQ(entities("&#233;t&#233;"), "été");
  EXPECT_EQ(entities("&#xE9;&#Xe9;&#x1F600;"), "éé😀");
  EXPECT_EQ(entities("&#65;&#x41;&#0065;"), "AAA");
  // Windows-1252 numeric references, as HTML treats them.
  EXPECT_EQ(entities("l&#146;Europe &#150; &#128;"), "l’Europe – €");
  // Unmapped C1 code points stay as they are.
  EXPECT_EQ(entities("&#129;"), "\u0081");
}

TEST(HtmlEntities, InvalidCodePointsBecomeReplacementCharacter) {
  EXPECT_EQ(entities("&#0;"), "\uFFFD");
  EXPECT_EQ(entities("&#xD800;"), "\uFFFD");
  EXPECT_EQ(entities("&#xDFFF;"), "\uFFFD");
  EXPECT_EQ(entities("&#x110000;"), "\uFFFD");
  EXPECT_EQ(entities("&#99999999999999999999;"), "\uFFFD");
  EXPECT_EQ(entities("&#x10FFFF;"), "\U0010FFFF");
}

TEST(HtmlEntities, UnknownAndUnterminatedAreKeptAsText) {
  bool changed = true;
  EXPECT_EQ(entities("AT&T &foo; &eacute &#233 &#; &#x; &#xZZ; & &", &changed),
            "AT&T &foo; &eacute &#233 &#; &#x; &#xZZ; & &");
  EXPECT_FALSE(changed);
  EXPECT_EQ(entities("&"), "&");
  EXPECT_EQ(entities("&amp"), "&amp");
  EXPECT_EQ(entities("&#"), "&#");
  EXPECT_EQ(entities("&thetasymx;"), "&thetasymx;");
  EXPECT_EQ(entities("&amp;amp;"), "&amp;");  // decoded once, not recursively
  EXPECT_EQ(entities(""), "");
}

TEST(HtmlToText, PlainTextIsUnchanged) {
  bool changed = true;
  EXPECT_EQ(text_of("Just text, 3 < 4 and 5 > 2; x<y", &changed),
            "Just text, 3 < 4 and 5 > 2; x<y");
  EXPECT_FALSE(changed);
  EXPECT_EQ(text_of("", &changed), "");
  EXPECT_FALSE(changed);
}

TEST(HtmlToText, InlineTagsVanishBlockTagsBreakLines) {
  bool changed = false;
  EXPECT_EQ(
      text_of("<p>Ali<b>Express</b> arrive</p><p>en <a href=\"/fr\">France</a></p>", &changed),
      "AliExpress arrive\nen France\n");
  EXPECT_TRUE(changed);
  EXPECT_EQ(text_of("un<br>deux<BR/>trois<br />quatre"), "un\ndeux\ntrois\nquatre");
  EXPECT_EQ(text_of("<ul><li>a</li><li>b</li></ul>"), "a\nb\n");
  EXPECT_EQ(text_of("<table><tr><td>1</td><td>2</td></tr></table>"), "1\n2\n");
  EXPECT_EQ(text_of("<H1>Titre</H1>Texte"), "Titre\nTexte");
  EXPECT_EQ(text_of("<div><div><p>x</p></div></div>"), "x\n");
}

TEST(HtmlToText, ScriptStyleAndCommentsAreDropped) {
  EXPECT_EQ(text_of("a<script>var x = '<p>no</p>'; if (a < b) {}</script>b"), "ab");
  EXPECT_EQ(text_of("a<SCRIPT type=\"text/javascript\">x</SCRIPT >b"), "ab");
  EXPECT_EQ(text_of("a<style>p { color: red }</style>b"), "ab");
  EXPECT_EQ(text_of("a<script>x</scripts>still script</script>b"), "ab");
  EXPECT_EQ(text_of("a<!-- comment <p>x</p> -->b"), "ab");
  EXPECT_EQ(text_of("a<!---->b<!-->c"), "abc");
  EXPECT_EQ(text_of("<!DOCTYPE html><?xml version=\"1.0\"?>text"), "text");
  // Unterminated: dropped to the end, as browsers do.
  EXPECT_EQ(text_of("a<script>never closed"), "a");
  EXPECT_EQ(text_of("a<!-- never closed"), "a");
}

TEST(HtmlToText, AttributesMayContainAngleBrackets) {
  EXPECT_EQ(text_of("<img alt=\"a > b\" src='x>y'>after"), "after");
  EXPECT_EQ(text_of("<a title=don't>x</a>"), "x");  // apostrophe in an unquoted value
}

TEST(HtmlToText, CdataIsText) {
  EXPECT_EQ(text_of("<![CDATA[a <b> &amp; c]]> d"), "a <b> &amp; c d");
}

TEST(HtmlToText, EntitiesAreDecodedInText) {
  EXPECT_EQ(text_of("<p>march&eacute;&nbsp;&amp; &#x27;x&#39; AT&T</p>"),
            "marché\u00A0& 'x' AT&T\n");
}

TEST(HtmlToText, BrokenMarkupDegradesToText) {
  EXPECT_EQ(text_of("a <"), "a <");
  EXPECT_EQ(text_of("a </ b"), "a </ b");
  EXPECT_EQ(text_of("a </>b"), "a b");
  EXPECT_EQ(text_of("<3 and <<"), "<3 and <<");
  // A tag that never closes is not markup: kept as text, and so is any '<' after it (browsers
  // would drop the rest of the document, which would hide the text from the matcher).
  EXPECT_EQ(text_of("text <b unclosed"), "text <b unclosed");
  EXPECT_EQ(text_of("<p"), "<p");
  EXPECT_EQ(text_of("<i>x</i> if x<y then <img alt=\"unclosed"),
            "x if x<y then <img alt=\"unclosed");
  EXPECT_EQ(text_of("<b>a</b><i x='>'>b</i><p title=\"c <b>d</b> &amp;"),
            "ab<p title=\"c <b>d</b> &");
  EXPECT_EQ(text_of("a<!DOCTYPE"), "a<!DOCTYPE");
  EXPECT_EQ(text_of("a</b"), "a</b");
  EXPECT_EQ(text_of("é<i>à</i>ü"), "éàü");  // UTF-8 passes through
}

TEST(HtmlToText, PathologicalInputIsLinear) {
  // Each '<' would scan to the end of the input if unclosed tags were rescanned.
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "<a x='";
  std::string out;
  html_to_text(many, out);
  EXPECT_EQ(out, many);
  many.clear();
  for (int i = 0; i < 200000; ++i) many += "<!--x--><script></script>";
  html_to_text(many, out);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace newswatch::decode
