#include "daemon/match/literal_scanner.h"

#include <algorithm>
#include <limits>

namespace newswatch::match {
namespace {

// How common a byte is in folded French and English news text, roughly: a space most of all,
// then the most frequent letters (e s a i n t r u l o in French, e t a o i n s r h in English),
// then other letters; digits, punctuation and non-ASCII bytes least.
int commonness(unsigned char c) {
  if (c == ' ') return 12;
  switch (c) {
    case 'e':
      return 9;
    case 'a':
    case 'i':
    case 's':
    case 'n':
    case 't':
    case 'r':
      return 7;
    case 'o':
    case 'u':
    case 'l':
    case 'h':
      return 6;
    case 'd':
    case 'c':
    case 'm':
    case 'p':
      return 5;
    default:
      return (c >= 'a' && c <= 'z') ? 3 : 1;
  }
}

std::uint32_t load_window(const std::string& s, std::size_t at, std::size_t width) {
  std::uint32_t w = 0;
  for (std::size_t k = 0; k < width; ++k)
    w |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + k])) << (8 * k);
  return w;
}

// The offset of the four-byte window of `s` least likely to occur in text (the first of equals).
std::size_t rarest_window(const std::string& s) {
  std::size_t best = 0;
  int best_score = std::numeric_limits<int>::max();
  for (std::size_t at = 0; at + 4 <= s.size(); ++at) {
    int score = 0;
    for (std::size_t k = 0; k < 4; ++k) score += commonness(static_cast<unsigned char>(s[at + k]));
    if (score < best_score) {
      best_score = score;
      best = at;
    }
  }
  return best;
}

}  // namespace

LiteralScanner::LiteralScanner(std::span<const std::string> patterns) {
  std::vector<std::pair<std::uint32_t, Anchored>> four;
  std::vector<std::pair<std::uint32_t, Anchored>> three;
  for (std::uint32_t id = 0; id < patterns.size(); ++id) {
    const std::string& s = patterns[id];
    if (s.empty()) continue;
    ++pattern_count_;
    if (s.size() >= 4) {
      const std::size_t at = rarest_window(s);
      four.push_back({load_window(s, at, 4), Anchored{id, static_cast<std::uint32_t>(at), s}});
    } else if (s.size() == 3) {
      three.push_back({load_window(s, 0, 3), Anchored{id, 0, s}});
    } else {
      short_.push_back(Anchored{id, 0, s});
      short_first_[static_cast<unsigned char>(s[0])] = true;
    }
  }
  build(std::move(four), filter4_, table4_, anchored4_);
  build(std::move(three), filter3_, table3_, anchored3_);
}

void LiteralScanner::build(std::vector<std::pair<std::uint32_t, Anchored>> entries, Filter& filter,
                           Table& table, std::vector<Anchored>& out) {
  if (entries.empty()) return;
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t windows = 0;
  for (std::size_t i = 0; i < entries.size(); ++i)
    windows += i == 0 || entries[i].first != entries[i - 1].first;
  std::size_t slot_count = 8;
  while (slot_count < 2 * windows) slot_count *= 2;  // load factor <= 1/2
  table.slots.assign(slot_count, Slot{});
  table.mask = static_cast<std::uint32_t>(slot_count - 1);
  filter.assign(65536 / 64, 0);
  for (std::size_t i = 0; i < entries.size();) {
    const std::uint32_t window = entries[i].first;
    const std::uint32_t h = filter_hash(window);
    filter[h >> 6] |= std::uint64_t{1} << (h & 63);
    std::uint32_t s = slot_hash(window) & table.mask;
    while (table.slots[s].begin != table.slots[s].end) s = (s + 1) & table.mask;
    Slot& slot = table.slots[s];
    slot.window = window;
    slot.begin = static_cast<std::uint32_t>(out.size());
    for (; i < entries.size() && entries[i].first == window; ++i)
      out.push_back(std::move(entries[i].second));
    slot.end = static_cast<std::uint32_t>(out.size());
  }
}

std::size_t LiteralScanner::memory_bytes() const noexcept {
  std::size_t bytes = (filter4_.size() + filter3_.size()) * sizeof(std::uint64_t) +
                      (table4_.slots.size() + table3_.slots.size()) * sizeof(Slot) +
                      sizeof short_first_;
  for (const auto* list : {&anchored4_, &anchored3_, &short_}) {
    for (const Anchored& a : *list) bytes += sizeof(Anchored) + a.bytes.capacity();
  }
  return bytes;
}

}  // namespace newswatch::match
