// An article as the matcher sees it (RULES-SPEC §2).
//
// Ownership: an Article owns its strings. Decoders reuse one Article per thread (clear() keeps
// the capacity), so the hot path does not allocate once buffers have grown.
#pragma once

#include <string>

namespace newswatch::decode {

// Bits of Article::changes: what decoding had to repair or transform.
enum ArticleChange : unsigned {
  kArticleUnchanged = 0,
  kArticleRepairedUtf8 = 1u << 0,   // the message or a string was not valid UTF-8
  kArticleNormalizedNfc = 1u << 1,  // a text field was not in NFC
  kArticleHtmlStripped = 1u << 2,   // body_format=html removed tags or decoded entities
  kArticleIdFromUrl = 1u << 3,      // no "id": the id is the url
  kArticleIdFromHash = 1u << 4,     // no "id" nor "url": the id is a hash of title + body
};

struct Article {
  // Text fields: the original view (valid UTF-8, NFC). Missing fields are empty.
  std::string title;
  std::string body;
  // Metadata, as decoded (valid UTF-8). Missing fields are empty.
  std::string id;  // never empty after a successful decode (see ArticleChange)
  std::string url;
  std::string source;
  std::string lang;
  std::string published_at;
  unsigned changes = kArticleUnchanged;

  void clear() noexcept {
    title.clear();
    body.clear();
    id.clear();
    url.clear();
    source.clear();
    lang.clear();
    published_at.clear();
    changes = kArticleUnchanged;
  }
};

// The id given to an article that has neither "id" nor "url": "sha256:" followed by the first
// 16 hex digits of SHA-256(title + "\n" + body) over the original views. Deterministic, so a
// re-delivered article keeps its id.
std::string derived_article_id(const std::string& title, const std::string& body);

}  // namespace newswatch::decode
