#include "daemon/decode/decoder.h"

#include <string>

#include <gtest/gtest.h>

#include "daemon/decode/article.h"

namespace newswatch::decode {
namespace {

// Decodes `json` and expects success.
Article ok(std::string_view json, DecodeOptions options = {}) {
  ArticleDecoder decoder(options);
  Article a;
  const auto error = decoder.decode(json, a);
  EXPECT_FALSE(error.has_value()) << "input: " << json << "\nerror: " << to_string(error->code)
                                  << ": " << error->detail;
  return a;
}

// Decodes `json` and expects the error `code`; returns the detail.
std::string fails(std::string_view json, DecodeErrorCode code, DecodeOptions options = {}) {
  ArticleDecoder decoder(options);
  Article a;
  const auto error = decoder.decode(json, a);
  if (!error) {
    ADD_FAILURE() << "input decoded, expected " << to_string(code) << ": " << json;
    return {};
  }
  EXPECT_EQ(error->code, code) << "input: " << json << "\ngot " << to_string(error->code) << ": "
                               << error->detail;
  EXPECT_FALSE(error->detail.empty());
  EXPECT_EQ(error->detail.find('\n'), std::string::npos);
  return error->detail;
}

TEST(DecodeErrorCode, StableNames) {
  EXPECT_EQ(to_string(DecodeErrorCode::kEmpty), "empty");
  EXPECT_EQ(to_string(DecodeErrorCode::kTooLarge), "too_large");
  EXPECT_EQ(to_string(DecodeErrorCode::kInvalidJson), "invalid_json");
  EXPECT_EQ(to_string(DecodeErrorCode::kNotObject), "not_object");
  EXPECT_EQ(to_string(DecodeErrorCode::kWrongType), "wrong_type");
  EXPECT_EQ(to_string(DecodeErrorCode::kNoText), "no_text");
}

TEST(Decoder, DecodesAllFields) {
  const Article a =
      ok(R"({"id":"a-1","url":"https://ex.fr/a","source":"Les Echos","lang":"fr-FR",)"
         R"("published_at":"2020-01-02T03:04:05+01:00","title":"Titre","body":"Corps du texte"})");
  EXPECT_EQ(a.id, "a-1");
  EXPECT_EQ(a.url, "https://ex.fr/a");
  EXPECT_EQ(a.source, "Les Echos");
  EXPECT_EQ(a.lang, "fr-FR");
  EXPECT_EQ(a.published_at, "2020-01-02T03:04:05+01:00");
  EXPECT_EQ(a.title, "Titre");
  EXPECT_EQ(a.body, "Corps du texte");
  EXPECT_EQ(a.changes, kArticleUnchanged);
}

TEST(Decoder, Empty) {
  fails("", DecodeErrorCode::kEmpty);
}

TEST(Decoder, TooLargeIsCheckedFirst) {
  DecodeOptions options;
  options.max_message_bytes = 20;
  const std::string exact = R"({"title":"12345678"})";  // 20 bytes
  ASSERT_EQ(exact.size(), 20u);
  EXPECT_EQ(ok(exact, options).title, "12345678");
  const std::string detail = fails(R"({"title":"123456789"})", DecodeErrorCode::kTooLarge, options);
  EXPECT_NE(detail.find("21"), std::string::npos) << detail;
  // Even garbage: size is checked before anything else.
  fails(std::string(21, '\xff'), DecodeErrorCode::kTooLarge, options);
}

TEST(Decoder, InvalidJson) {
  const char* const cases[] = {
      " ",                               // whitespace only
      "{",                               // truncated
      R"({"title":"abc")",               // truncated
      R"({"title":"abc)",                // unclosed string
      R"({"title" "abc"})",              // missing colon
      R"({"title":"a" "body":"b"})",     // missing comma
      R"({"title":"a",})",               // trailing comma
      R"({title:"a"})",                  // unquoted key
      R"({'title':'a'})",                // single quotes
      "garbage",                         //
      R"({"title":"a"} x)",              // trailing content
      R"({"title":"a"}})",               // trailing content
      R"({"title":"a"}{"title":"b"})",   // two documents
      R"({"title":"a\x"})",              // bad escape
      R"({"title":"a\u12G4"})",          // bad \u escape
      R"({"title":"a\ud800\uZZZZ"})",    // bad escape after a high surrogate
      "{\"title\":\"a\tb\"}",            // unescaped control character
      R"({"title":"a","x":[1,,2]})",     // bad unknown value
      R"({"title":"a","x":tru})",        //
      R"({"title":"a","x":nul})",        //
      R"({"title":"a","x":01})",         // leading zero
      R"({"title":"a","x":1.})",         //
      R"({"title":"a","x":-})",          //
      R"({"title":"a","x":"\q"})",       // bad escape in an unknown string
      R"({"title":"a","x":{"k\q":1}})",  // bad escape in a nested key
      R"({"title":"a","x":{"k" 1}})",    //
      R"({"title":"a","x":[1 2]})",      //
      R"({"title":"a","x":[}})",         //
      R"({"title":"a","x":+1})",         //
      R"({"title":"a","x":NaN})",        //
      R"([1,2)",                         // truncated non-object
      R"("abc" 1)",                      // scalar with trailing content
      "nulll",                           //
  };
  for (const char* json : cases) {
    SCOPED_TRACE(json);
    fails(json, DecodeErrorCode::kInvalidJson);
  }
}

TEST(Decoder, InvalidJsonDetailIsSimdjsonMessage) {
  std::string detail = fails(R"({"title":"a"}})", DecodeErrorCode::kInvalidJson);
  EXPECT_NE(detail.find("railing"), std::string::npos) << detail;  // "Unexpected trailing content"
  detail = fails(R"({"title":"a",})", DecodeErrorCode::kInvalidJson);
  EXPECT_FALSE(detail.empty());
}

TEST(Decoder, TooDeepIsInvalidJson) {
  auto nested = [](int depth) {
    std::string s = R"({"title":"t","x":)";
    for (int i = 1; i < depth; ++i) s += '[';
    for (int i = 1; i < depth; ++i) s += ']';
    return s + "}";
  };
  EXPECT_EQ(ok(nested(64)).title, "t");
  const std::string detail = fails(nested(65), DecodeErrorCode::kInvalidJson);
  EXPECT_NE(detail.find("deep"), std::string::npos) << detail;
  fails(nested(100000), DecodeErrorCode::kInvalidJson);  // no stack overflow
}

TEST(Decoder, NotObject) {
  for (const char* json : {"[]", "[1,{\"a\":[true,null]}]", "\"title\"", "42", "-1.5e3", "true",
                           "false", "null", " [ ] "}) {
    SCOPED_TRACE(json);
    fails(json, DecodeErrorCode::kNotObject);
  }
  EXPECT_NE(fails("[]", DecodeErrorCode::kNotObject).find("array"), std::string::npos);
}

TEST(Decoder, WrongType) {
  EXPECT_EQ(fails(R"({"title":42,"body":"b"})", DecodeErrorCode::kWrongType),
            "field \"title\" is a number, expected a string");
  const std::string detail = fails(R"({"body":"b","id":{"x":1}})", DecodeErrorCode::kWrongType);
  EXPECT_NE(detail.find("\"id\""), std::string::npos);
  EXPECT_NE(detail.find("object"), std::string::npos);
  for (const char* json : {R"({"title":"t","body":["b"]})", R"({"title":"t","url":true})",
                           R"({"title":"t","source":1})", R"({"title":"t","lang":false})",
                           R"({"title":"t","published_at":1600000000})"}) {
    SCOPED_TRACE(json);
    fails(json, DecodeErrorCode::kWrongType);
  }
  // Invalid JSON anywhere wins over a wrong type seen earlier.
  fails(R"({"title":42,"body":"b","x":[1,,]})", DecodeErrorCode::kInvalidJson);
  fails(R"({"title":[1,,2],"body":"b"})", DecodeErrorCode::kInvalidJson);
  // The first wrong field is reported.
  EXPECT_NE(fails(R"({"lang":1,"title":2})", DecodeErrorCode::kWrongType).find("lang"),
            std::string::npos);
}

TEST(Decoder, NoText) {
  for (const char* json :
       {"{}", R"({"title":"","body":""})", R"({"title":null,"body":null})",
        R"({"id":"x","url":"u","lang":"fr","source":"s"})", R"({"Title":"case matters"})"}) {
    SCOPED_TRACE(json);
    fails(json, DecodeErrorCode::kNoText);
  }
}

TEST(Decoder, TitleOrBodyAloneIsEnough) {
  EXPECT_EQ(ok(R"({"title":"t"})").body, "");
  EXPECT_EQ(ok(R"({"body":"b"})").title, "");
}

TEST(Decoder, Escapes) {
  const Article a = ok(
      R"({"title":"caf\u00e9 \"q\" \\ \/ \b\f\n\r\t end","body":"smile \ud83d\ude00 \u0000 \u20AC"})");
  EXPECT_EQ(a.title, "café \"q\" \\ / \b\f\n\r\t end");
  EXPECT_EQ(a.body, std::string("smile \U0001F600 \0 €", 16));
  EXPECT_EQ(a.changes & kArticleRepairedUtf8, 0u);
}

TEST(Decoder, EscapedKeysAreUnescaped) {
  EXPECT_EQ(ok(R"({"\u0074itle":"t"})").title, "t");
}

TEST(Decoder, LoneSurrogatesBecomeReplacementCharacter) {
  Article a = ok(R"({"title":"a\ud800b","body":"\udc00 x \ud83d\u0041 \ud83d"})");
  EXPECT_EQ(a.title, "a\uFFFDb");
  EXPECT_EQ(a.body, "\uFFFD x \uFFFDA \uFFFD");
  EXPECT_NE(a.changes & kArticleRepairedUtf8, 0u);

  a = ok(R"({"title":"t","id":"x\udfffy","source":"\ud800"})");
  EXPECT_EQ(a.id, "x\uFFFDy");
  EXPECT_EQ(a.source, "\uFFFD");
  EXPECT_NE(a.changes & kArticleRepairedUtf8, 0u);

  // In unknown fields and keys they are simply accepted.
  a = ok(R"({"x\ud800":"\udc00","y":["\ud800"],"title":"t"})");
  EXPECT_EQ(a.title, "t");
  EXPECT_EQ(a.changes & kArticleRepairedUtf8, 0u);
}

TEST(Decoder, InvalidUtf8IsRepairedAndDecoded) {
  const Article a =
      ok("{\"title\":\"caf\xe9 cr\xc3\xa8me\",\"body\":\"ok \xf0\x9f\x98\",\"x\xff\":1}");
  EXPECT_EQ(a.title, "caf\uFFFD crème");
  EXPECT_EQ(a.body, "ok \uFFFD");
  EXPECT_NE(a.changes & kArticleRepairedUtf8, 0u);
  // A broken byte outside any string is still invalid JSON, and repairing the UTF-8 does not
  // hide other errors.
  fails("{\"title\":\"t\"\xff}", DecodeErrorCode::kInvalidJson);
  fails("{\"title\":\"\xff\x01\"}", DecodeErrorCode::kInvalidJson);  // unescaped control
  fails("{\"title\":\"\xff", DecodeErrorCode::kInvalidJson);         // unclosed string
  fails("[\"\xff\"]", DecodeErrorCode::kNotObject);
}

TEST(Decoder, TextFieldsAreNormalizedToNfc) {
  // "e" + COMBINING ACUTE ACCENT (NFD, as from a Mac feed) becomes U+00E9.
  const Article a = ok("{\"title\":\"Cafe\xcc\x81\",\"body\":\"Caf\\u0065\\u0301!\"}");
  EXPECT_EQ(a.title, "Caf\u00e9");
  EXPECT_EQ(a.body, "Caf\u00e9!");
  EXPECT_NE(a.changes & kArticleNormalizedNfc, 0u);
  EXPECT_EQ(ok(R"({"title":"Café"})").changes & kArticleNormalizedNfc, 0u);
  // Metadata is not normalized.
  EXPECT_EQ(ok("{\"title\":\"t\",\"source\":\"Cafe\xcc\x81\"}").source, "Cafe\xcc\x81");
}

TEST(Decoder, DuplicateKeysLastWins) {
  Article a = ok(R"({"title":"first","body":"b","title":"second","id":"1","id":"2"})");
  EXPECT_EQ(a.title, "second");
  EXPECT_EQ(a.id, "2");
  // A later null removes the field.
  a = ok(R"({"title":"first","body":"b","title":null})");
  EXPECT_EQ(a.title, "");
  fails(R"({"title":"first","title":null})", DecodeErrorCode::kNoText);
  // The changes of an overwritten value do not leak into the article.
  a = ok("{\"title\":\"Cafe\xcc\x81\",\"title\":\"plain\"}");
  EXPECT_EQ(a.title, "plain");
  EXPECT_EQ(a.changes & kArticleNormalizedNfc, 0u);
}

TEST(Decoder, NullFieldsAreMissing) {
  const Article a = ok(
      R"({"title":"t","body":null,"id":null,"url":null,"source":null,"lang":null,"published_at":null})");
  EXPECT_EQ(a.body, "");
  EXPECT_EQ(a.url, "");
  EXPECT_EQ(a.source, "");
  EXPECT_EQ(a.lang, "");
  EXPECT_EQ(a.published_at, "");
  EXPECT_NE(a.changes & kArticleIdFromHash, 0u);
}

TEST(Decoder, IdFallbacks) {
  Article a = ok(R"({"id":"x","url":"u","title":"t"})");
  EXPECT_EQ(a.id, "x");
  EXPECT_EQ(a.changes & (kArticleIdFromUrl | kArticleIdFromHash), 0u);

  a = ok(R"({"url":"https://ex.fr/a","title":"t"})");
  EXPECT_EQ(a.id, "https://ex.fr/a");
  EXPECT_EQ(a.changes, unsigned{kArticleIdFromUrl});

  a = ok(R"({"id":"","url":"https://ex.fr/a","title":"t"})");  // empty id counts as missing
  EXPECT_EQ(a.id, "https://ex.fr/a");

  a = ok(R"({"title":"Title","body":"Body"})");
  // sha256("Title\nBody") = b93e9074bf0f60db...
  EXPECT_EQ(a.id, "sha256:b93e9074bf0f60db");
  EXPECT_EQ(a.changes, unsigned{kArticleIdFromHash});
  EXPECT_EQ(derived_article_id("Title", "Body"), "sha256:b93e9074bf0f60db");
  EXPECT_EQ(derived_article_id("", ""), "sha256:01ba4719c80b6fe9");  // sha256("\n")
}

TEST(Decoder, HashIdUsesTheOriginalView) {
  // The same text, escaped or not, NFD or NFC, yields the same id.
  EXPECT_EQ(ok("{\"title\":\"Caf\\u00e9\"}").id, ok("{\"title\":\"Cafe\xcc\x81\"}").id);
}

TEST(Decoder, UnknownFieldsAreIgnored) {
  const Article a =
      ok(R"({"section":"eco","tags":["a",{"b":[1,-2.5e-3,true,false,null,"\u00e9"]}],"n":0,)"
         R"("title":"t","deep":{"a":{"b":{"c":[[[]]]}}},"e":{},"f":[]})");
  EXPECT_EQ(a.title, "t");
}

TEST(Decoder, WhitespaceAroundTokens) {
  EXPECT_EQ(ok(" \r\n\t{ \"title\" : \"t\" , \"x\" : [ 1 , 2 ] , \"n\" : null } \n").title, "t");
}

TEST(Decoder, LeadingByteOrderMarkIsIgnored) {
  EXPECT_EQ(ok("\xEF\xBB\xBF{\"title\":\"t\"}").title, "t");
  EXPECT_EQ(ok("\xEF\xBB\xBF{\"title\":\"t\"}").changes, unsigned{kArticleIdFromHash});
  fails("\xEF\xBB\xBF", DecodeErrorCode::kInvalidJson);  // a BOM alone is no JSON
  fails("{\"title\":\"t\"}\xEF\xBB\xBF", DecodeErrorCode::kInvalidJson);
}

TEST(Decoder, HtmlBody) {
  DecodeOptions html;
  html.body_format = BodyFormat::kHtml;
  Article a = ok(R"({"title":"a &amp; <b>","body":"<p>march&eacute; <b>fin</b></p>"})", html);
  EXPECT_EQ(a.body, "marché fin\n");
  EXPECT_EQ(a.title, "a &amp; <b>");  // only the body is HTML
  EXPECT_NE(a.changes & kArticleHtmlStripped, 0u);

  a = ok(R"({"title":"t","body":"plain text"})", html);
  EXPECT_EQ(a.body, "plain text");
  EXPECT_EQ(a.changes & kArticleHtmlStripped, 0u);

  a = ok(R"({"title":"t","body":"<p>march&eacute;</p>"})");  // text format: left alone
  EXPECT_EQ(a.body, "<p>march&eacute;</p>");
  EXPECT_EQ(a.changes & kArticleHtmlStripped, 0u);

  // A body that is only markup has no text.
  fails(R"({"body":"<script>x</script>"})", DecodeErrorCode::kNoText, html);
}

TEST(Decoder, ReuseAcrossMessagesDoesNotLeakState) {
  ArticleDecoder decoder;
  Article a;
  ASSERT_FALSE(decoder.decode("{\"title\":\"caf\xe9\",\"id\":\"1\",\"lang\":\"fr\"}", a));
  EXPECT_NE(a.changes & kArticleRepairedUtf8, 0u);
  ASSERT_FALSE(decoder.decode(R"({"body":"second"})", a));
  EXPECT_EQ(a.title, "");
  EXPECT_EQ(a.lang, "");
  EXPECT_EQ(a.body, "second");
  EXPECT_EQ(a.changes, unsigned{kArticleIdFromHash});
  ASSERT_TRUE(decoder.decode("[", a));
  ASSERT_TRUE(decoder.decode(R"({"title":1})", a));
  ASSERT_FALSE(decoder.decode(R"({"title":"third","id":"3"})", a));
  EXPECT_EQ(a.title, "third");
  EXPECT_EQ(a.changes, kArticleUnchanged);
  // Larger, then smaller messages reuse the buffers.
  const std::string big = R"({"title":")" + std::string(100000, 'x') + R"("})";
  ASSERT_FALSE(decoder.decode(big, a));
  EXPECT_EQ(a.title.size(), 100000u);
  ASSERT_FALSE(decoder.decode(R"({"title":"small"})", a));
  EXPECT_EQ(a.title, "small");
}

TEST(Decoder, MovedDecoderWorks) {
  ArticleDecoder a;
  ArticleDecoder b(std::move(a));
  Article out;
  EXPECT_FALSE(b.decode(R"({"title":"t"})", out));
  ArticleDecoder c;
  c = std::move(b);
  EXPECT_FALSE(c.decode(R"({"title":"t"})", out));
  EXPECT_EQ(out.title, "t");
}

TEST(Decoder, InputNeedNotBePaddedNorOutliveTheCall) {
  ArticleDecoder decoder;
  Article a;
  {
    std::string json = R"({"title":"temporary"})";
    ASSERT_FALSE(decoder.decode(std::string_view(json).substr(0, json.size()), a));
    json.assign(json.size(), '#');
  }
  EXPECT_EQ(a.title, "temporary");
  // A prefix of a longer buffer: bytes after the view are not part of the message.
  const std::string longer = R"({"title":"x"}garbage)";
  ASSERT_FALSE(decoder.decode(std::string_view(longer).substr(0, 13), a));
  EXPECT_EQ(a.title, "x");
}

}  // namespace
}  // namespace newswatch::decode
