#include "daemon/match/dedup.h"

#include "daemon/match/word_index.h"
#include "daemon/text/fold.h"

namespace newswatch::match {

Deduplicator::Deduplicator(std::size_t max_entries)
    : max_per_shard_(max_entries == 0 ? 0 : std::max<std::size_t>(1, max_entries / kShards)) {}

bool Deduplicator::admit(const Rule& rule, const decode::Article& article, std::int64_t now_ms) {
  if (max_per_shard_ == 0 || rule.dedup_window.count() <= 0) return true;
  std::string key = rule.id;
  key += '\n';
  key += to_string(rule.dedup_key);
  key += '\n';
  switch (rule.dedup_key) {
    case DedupKey::kArticle:
      key += article.id;
      break;
    case DedupKey::kUrl:
      key += article.url.empty() ? article.id : article.url;
      break;
    case DedupKey::kTitle:
      key += text::fold(article.title);
      break;
  }
  const std::uint64_t h = hash_word(key.data(), key.size());
  Shard& shard = shards_[h % kShards];
  const std::int64_t window_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(rule.dedup_window).count();
  std::lock_guard lock(shard.mu);
  // Forget what has expired at the front (the oldest insertions).
  while (!shard.order.empty()) {
    auto it = shard.expiry.find(shard.order.front());
    if (it != shard.expiry.end() && it->second > now_ms) break;
    if (it != shard.expiry.end()) shard.expiry.erase(it);
    shard.order.pop_front();
  }
  auto [it, inserted] = shard.expiry.try_emplace(h, now_ms + window_ms);
  if (!inserted) {
    if (it->second > now_ms) return false;  // fired for this key inside the window
    it->second = now_ms + window_ms;
    return true;
  }
  shard.order.push_back(h);
  if (shard.order.size() > max_per_shard_) {
    shard.expiry.erase(shard.order.front());
    shard.order.pop_front();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

std::size_t Deduplicator::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.expiry.size();
  }
  return n;
}

}  // namespace newswatch::match
