// An immutable multi-map from short byte strings (folded words) to 32-bit values, tuned for
// the matcher's hot path: most looked-up words are absent, so a lookup first checks a one-byte
// tag array that stays in cache (open addressing, linear probing, load factor <= 1/2), and
// only then compares the stored 64-bit hash and bytes.
//
// Thread-safety: build with WordIndexBuilder on one thread; the resulting WordIndex is
// immutable and safe to query from any number of threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace newswatch::match {

namespace detail {
inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  h = (h ^ v) * kMul;
  return h ^ (h >> 29);
}
}  // namespace detail

// 64-bit hash of a short byte string. Words of up to 8 bytes (most words) cost one masked
// load and one multiply; `first8` is that load, so callers that already have it (the matcher
// also derives its prefix key from it) do not load twice.
inline std::uint64_t hash_short_word(std::uint64_t first8, std::size_t n) noexcept {
  const std::uint64_t mask = n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
  std::uint64_t h = ((first8 & mask) ^ (std::uint64_t{n} << 59)) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

// Hash of a byte string whose storage has at least 8 readable bytes past its end
// (text::FoldedText guarantees it for its words).
inline std::uint64_t hash_word_padded(const char* p, std::size_t n) noexcept {
  if (n <= 8) return hash_short_word(detail::load64(p), n);
  std::uint64_t h = 0x243F6A8885A308D3ull ^ (n * 0x9E3779B97F4A7C15ull);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) h = detail::mix(h, detail::load64(p + i));
  if (i < n) {
    const std::uint64_t mask = ~std::uint64_t{0} >> (8 * (8 - (n - i)));
    h = detail::mix(h, detail::load64(p + i) & mask);
  }
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

// The same hash for any string (copies what it needs when the storage may end right there).
inline std::uint64_t hash_word(const char* p, std::size_t n) noexcept {
  char buf[24] = {};
  if (n <= 16) {
    std::memcpy(buf, p, n);
    return hash_word_padded(buf, n);
  }
  // Longer: every 8-byte load but the last is within the string; pad the tail.
  const std::size_t full = n & ~std::size_t{7};
  std::memcpy(buf, p + full, n - full);
  std::uint64_t h = 0x243F6A8885A308D3ull ^ (n * 0x9E3779B97F4A7C15ull);
  for (std::size_t i = 0; i < full; i += 8) h = detail::mix(h, detail::load64(p + i));
  if (full < n) h = detail::mix(h, detail::load64(buf));
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

class WordIndex {
 public:
  WordIndex() = default;

  // Values stored under `word`, in insertion order; empty when absent.
  std::span<const std::uint32_t> find(std::string_view word) const noexcept {
    return find_hashed(word, hash_word(word.data(), word.size()));
  }
  // As find(), for a word followed by at least 8 readable bytes (see hash_word_padded).
  std::span<const std::uint32_t> find_padded(std::string_view word) const noexcept {
    return find_hashed(word, hash_word_padded(word.data(), word.size()));
  }

  std::span<const std::uint32_t> find_hashed(std::string_view word,
                                             std::uint64_t h) const noexcept {
    if (slots_.empty()) return {};
    const std::uint8_t tag = static_cast<std::uint8_t>(h >> 56) | 1u;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint8_t t = tags_[i];
      if (t == 0) return {};
      if (t != tag) continue;
      const Slot& s = slots_[i];
      if (s.hash == h && s.key_len == word.size() &&
          std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0) {
        return {postings_.data() + s.post_off, s.post_len};
      }
    }
  }

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  std::size_t memory_bytes() const noexcept {
    return tags_.size() + slots_.size() * sizeof(Slot) + keys_.size() +
           postings_.size() * sizeof(std::uint32_t);
  }

 private:
  friend class WordIndexBuilder;
  struct Slot {
    std::uint64_t hash;
    std::uint32_t key_off;
    std::uint32_t key_len;
    std::uint32_t post_off;
    std::uint32_t post_len;
  };
  std::vector<std::uint8_t> tags_;
  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<std::uint32_t> postings_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

class WordIndexBuilder {
 public:
  void add(std::string_view word, std::uint32_t value) {
    auto [it, inserted] = pending_.try_emplace(std::string(word));
    if (inserted) order_.push_back(&it->first);
    it->second.push_back(value);
  }

  WordIndex build() {
    WordIndex index;
    std::size_t capacity = 16;
    while (capacity < pending_.size() * 2) capacity *= 2;
    index.tags_.assign(capacity, 0);
    index.slots_.assign(capacity, WordIndex::Slot{});
    index.mask_ = capacity - 1;
    for (const std::string* key : order_) {
      const auto& values = pending_.at(*key);
      const std::uint64_t h = hash_word(key->data(), key->size());
      std::size_t i = h & index.mask_;
      while (index.tags_[i] != 0) i = (i + 1) & index.mask_;
      index.tags_[i] = static_cast<std::uint8_t>(h >> 56) | 1u;
      WordIndex::Slot& s = index.slots_[i];
      s.hash = h;
      s.key_off = static_cast<std::uint32_t>(index.keys_.size());
      s.key_len = static_cast<std::uint32_t>(key->size());
      s.post_off = static_cast<std::uint32_t>(index.postings_.size());
      s.post_len = static_cast<std::uint32_t>(values.size());
      index.keys_ += *key;
      index.postings_.insert(index.postings_.end(), values.begin(), values.end());
    }
    index.count_ = pending_.size();
    pending_.clear();
    order_.clear();
    return index;
  }

 private:
  std::unordered_map<std::string, std::vector<std::uint32_t>> pending_;
  std::vector<const std::string*> order_;
};

}  // namespace newswatch::match
