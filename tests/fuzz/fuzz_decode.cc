// Fuzz target: any bytes -> ArticleDecoder (text and HTML bodies), html_to_text and
// decode_html_entities. Checks the contracts of decoder.h / article.h / html.h on every input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/decode/article.h"
#include "daemon/decode/decoder.h"
#include "daemon/decode/html.h"
#include "daemon/text/normalize.h"
#include "daemon/text/utf8.h"

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

using newswatch::decode::Article;
using newswatch::decode::ArticleDecoder;
using newswatch::decode::BodyFormat;
using newswatch::decode::DecodeOptions;
namespace text = newswatch::text;

bool is_nfc(const std::string& s) {
  std::string normalized;
  text::to_nfc(s, normalized);
  return normalized == s;
}

void check_decode(ArticleDecoder& decoder, std::string_view message) {
  static Article article;  // reused across inputs, as on the hot path
  const auto error = decoder.decode(message, article);
  if (error) {
    FUZZ_CHECK(!error->detail.empty());
    FUZZ_CHECK(error->detail.find('\n') == std::string::npos);
    FUZZ_CHECK(to_string(error->code) != "unknown");
    return;
  }
  FUZZ_CHECK(!article.id.empty());
  FUZZ_CHECK(!article.title.empty() || !article.body.empty());
  for (const std::string* field : {&article.title, &article.body, &article.id, &article.url,
                                   &article.source, &article.lang, &article.published_at}) {
    FUZZ_CHECK(text::is_valid_utf8(*field));
  }
  FUZZ_CHECK(is_nfc(article.title));
  FUZZ_CHECK(is_nfc(article.body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ArticleDecoder text_decoder;
  static ArticleDecoder html_decoder(DecodeOptions{1u << 20, BodyFormat::kHtml});
  static ArticleDecoder small_decoder(DecodeOptions{64, BodyFormat::kText});
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  check_decode(text_decoder, message);
  check_decode(html_decoder, message);
  check_decode(small_decoder, message);

  if (text::is_valid_utf8(message)) {
    std::string out;
    const bool changed = newswatch::decode::html_to_text(message, out);
    FUZZ_CHECK(text::is_valid_utf8(out));
    FUZZ_CHECK(changed || out == message);
    const bool decoded = newswatch::decode::decode_html_entities(message, out);
    FUZZ_CHECK(text::is_valid_utf8(out));
    FUZZ_CHECK(decoded || out == message);
    FUZZ_CHECK(out.size() <=
               message.size());  // a reference never decodes to more bytes than it has
  }
  return 0;
}
