#include "daemon/match/dedup.h"

#include <limits>
#include <string>

#include "daemon/match/word_index.h"
#include "daemon/text/fold.h"

namespace newswatch::match {

Deduplicator::Deduplicator(std::size_t max_entries)
    : max_per_shard_(max_entries == 0 ? 0 : std::max<std::size_t>(1, max_entries / kShards)) {}

std::int64_t Deduplicator::window_ms(const Rule& rule) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(rule.dedup_window).count();
}

std::optional<std::uint64_t> Deduplicator::key_of(const Rule& rule,
                                                  const decode::Article& article) const {
  if (max_per_shard_ == 0 || rule.dedup_window.count() <= 0) return std::nullopt;
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
  return hash_word(key.data(), key.size());
}

Deduplicator::Entry* Deduplicator::find_or_insert(Shard& shard, std::uint64_t h,
                                                  std::int64_t now_ms, std::int64_t window_ms,
                                                  std::uint64_t ticket) {
  // Forget what has expired at the front (the oldest insertions).
  while (!shard.order.empty()) {
    auto it = shard.entries.find(shard.order.front());
    if (it != shard.entries.end() && it->second.expiry > now_ms) break;
    if (it != shard.entries.end()) shard.entries.erase(it);
    shard.order.pop_front();
  }
  auto [it, inserted] = shard.entries.try_emplace(h, Entry{now_ms + window_ms, ticket});
  if (!inserted) {
    if (it->second.expiry > now_ms) return &it->second;  // fired for this key inside the window
    it->second = Entry{now_ms + window_ms, ticket};
    return nullptr;
  }
  shard.order.push_back(h);
  if (shard.order.size() > max_per_shard_) {
    shard.entries.erase(shard.order.front());
    shard.order.pop_front();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  return nullptr;
}

bool Deduplicator::admit(const Rule& rule, const decode::Article& article, std::int64_t now_ms) {
  const std::optional<std::uint64_t> h = key_of(rule, article);
  if (!h) return true;
  Shard& shard = shards_[*h % kShards];
  std::lock_guard lock(shard.mu);
  return find_or_insert(shard, *h, now_ms, window_ms(rule), 0) == nullptr;
}

void Deduplicator::settle(std::uint64_t key, std::uint64_t ticket, bool delivered) {
  if (ticket == 0) return;
  Shard& shard = shards_[key % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end() || it->second.ticket != ticket) return;
  it->second.ticket = 0;
  // Given up: expire the key now (it stays in `order`, which forgets it in turn).
  if (!delivered) it->second.expiry = std::numeric_limits<std::int64_t>::min();
}

std::size_t Deduplicator::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace newswatch::match
