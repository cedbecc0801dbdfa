// Multi-pattern substring search for the regex prefilter: finds which of a set of literals
// (the folded "atoms" RE2 requires of each regex) occur in a folded text.
//
// Each pattern of four bytes or more is represented by one four-byte window of it, its
// "anchor", chosen to be rare in news text (no space if it can, uncommon letters rather than
// common ones): " de relance" is anchored on "lanc", not on " de ". The scan reads the four
// bytes at every position and tests a 64 Kib filter with one bit per hashed anchor; only where
// the bit is set does it look the window up and compare the patterns anchored on it. Unlike an
// Aho-Corasick automaton, whose state at each byte depends on the previous byte's, positions
// are independent, so the CPU works on several at once, and the filter stays in L1. Patterns of
// three bytes have a filter of their own; patterns of one or two bytes (rare: RE2's atoms have
// at least three, folding can shorten them) are checked at each position by their first byte.
//
// Thread-safety: immutable after construction; scan() may run concurrently.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::match {

class LiteralScanner {
 public:
  LiteralScanner() = default;
  // Empty patterns are ignored (they never report).
  explicit LiteralScanner(std::span<const std::string> patterns);

  bool empty() const noexcept { return pattern_count_ == 0; }
  std::size_t memory_bytes() const noexcept;

  // Calls on_match(pattern_index) once for every occurrence of a pattern in `text`
  // (overlapping and nested occurrences included), in no particular order.
  template <class OnMatch>
  void scan(std::string_view text, OnMatch&& on_match) const {
    if (pattern_count_ == 0) return;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    if (!short_.empty()) scan_short(p, n, on_match);
    if (!anchored4_.empty() && n >= 4) {
      const std::uint64_t* filter = filter4_.data();
      std::size_t i = 0;
      // Four positions per step from one 8-byte load, one branch for the four.
      for (; i + 8 <= n; i += 4) {
        std::uint64_t bytes;
        std::memcpy(&bytes, p + i, 8);
        const auto w0 = static_cast<std::uint32_t>(bytes);
        const auto w1 = static_cast<std::uint32_t>(bytes >> 8);
        const auto w2 = static_cast<std::uint32_t>(bytes >> 16);
        const auto w3 = static_cast<std::uint32_t>(bytes >> 24);
        const std::uint64_t any =
            bit(filter, w0) | bit(filter, w1) | bit(filter, w2) | bit(filter, w3);
        if (any == 0) [[likely]]
          continue;
        if (bit(filter, w0)) verify(table4_, anchored4_, p, n, i, w0, on_match);
        if (bit(filter, w1)) verify(table4_, anchored4_, p, n, i + 1, w1, on_match);
        if (bit(filter, w2)) verify(table4_, anchored4_, p, n, i + 2, w2, on_match);
        if (bit(filter, w3)) verify(table4_, anchored4_, p, n, i + 3, w3, on_match);
      }
      for (; i + 4 <= n; ++i) {
        std::uint32_t window;
        std::memcpy(&window, p + i, 4);
        if (bit(filter, window)) verify(table4_, anchored4_, p, n, i, window, on_match);
      }
    }
    if (!anchored3_.empty() && n >= 3) {
      for (std::size_t i = 0; i + 3 <= n; ++i) {
        const std::uint32_t window = static_cast<std::uint32_t>(p[i]) |
                                     static_cast<std::uint32_t>(p[i + 1]) << 8 |
                                     static_cast<std::uint32_t>(p[i + 2]) << 16;
        if (bit(filter3_.data(), window)) verify(table3_, anchored3_, p, n, i, window, on_match);
      }
    }
  }

 private:
  struct Anchored {
    std::uint32_t id;      // pattern index
    std::uint32_t offset;  // of the anchor window in the pattern
    std::string bytes;
  };
  struct Slot {  // the patterns anchored on one window: Anchored[begin, end)
    std::uint32_t window = 0;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;  // == begin: empty slot
  };
  // Open addressing from an anchor window to its patterns.
  struct Table {
    std::vector<Slot> slots;
    std::uint32_t mask = 0;
  };
  using Filter = std::vector<std::uint64_t>;  // 65,536 bits, by filter_hash(window)

  static std::uint32_t filter_hash(std::uint32_t window) noexcept {
    return (window * 0x9E3779B1u) >> 16;
  }
  static std::uint32_t slot_hash(std::uint32_t window) noexcept {
    return (window * 0x85EBCA6Bu) >> 8;
  }
  // The filter bit of `window` (0 or 1).
  static std::uint64_t bit(const std::uint64_t* filter, std::uint32_t window) noexcept {
    const std::uint32_t h = filter_hash(window);
    return filter[h >> 6] >> (h & 63) & 1u;
  }
  static void build(std::vector<std::pair<std::uint32_t, Anchored>> entries, Filter& filter,
                    Table& table, std::vector<Anchored>& out);

  template <class OnMatch>
  static void verify(const Table& table, const std::vector<Anchored>& anchored,
                     const unsigned char* p, std::size_t n, std::size_t at, std::uint32_t window,
                     OnMatch& on_match) {
    for (std::uint32_t s = slot_hash(window) & table.mask;; s = (s + 1) & table.mask) {
      const Slot& slot = table.slots[s];
      if (slot.begin == slot.end) return;  // a filter false positive
      if (slot.window != window) continue;
      for (std::uint32_t k = slot.begin; k < slot.end; ++k) {
        const Anchored& a = anchored[k];
        if (a.offset > at || a.bytes.size() > n - (at - a.offset)) continue;
        if (std::memcmp(p + at - a.offset, a.bytes.data(), a.bytes.size()) == 0) on_match(a.id);
      }
      return;
    }
  }

  template <class OnMatch>
  void scan_short(const unsigned char* p, std::size_t n, OnMatch& on_match) const {
    for (std::size_t i = 0; i < n; ++i) {
      if (!short_first_[p[i]]) continue;
      for (const Anchored& a : short_) {
        if (a.bytes.size() <= n - i && std::memcmp(p + i, a.bytes.data(), a.bytes.size()) == 0)
          on_match(a.id);
      }
    }
  }

  std::size_t pattern_count_ = 0;
  Filter filter4_;
  Table table4_;
  std::vector<Anchored> anchored4_;  // four bytes or more, grouped by anchor
  Filter filter3_;
  Table table3_;
  std::vector<Anchored> anchored3_;  // three bytes
  std::vector<Anchored> short_;      // one or two bytes
  bool short_first_[256] = {};
};

}  // namespace newswatch::match
