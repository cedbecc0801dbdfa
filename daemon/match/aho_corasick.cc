#include "daemon/match/aho_corasick.h"

#include <deque>
#include <map>

namespace newswatch::match {

AhoCorasick::AhoCorasick(std::span<const std::string> patterns) {
  bool any = false;
  for (const auto& p : patterns) any = any || !p.empty();
  if (!any) return;

  // Byte classes: every byte that occurs in a pattern gets its own class; all others share 0.
  class_count_ = 1;
  for (const auto& p : patterns) {
    for (const char ch : p) {
      auto& c = classes_[static_cast<unsigned char>(ch)];
      if (c == 0) c = static_cast<std::uint8_t>(class_count_++);
    }
  }

  // Trie.
  struct Node {
    std::map<std::uint8_t, std::uint32_t> next;
    std::uint32_t fail = 0;
    std::vector<std::uint32_t> out;
  };
  std::vector<Node> trie(1);
  for (std::uint32_t id = 0; id < patterns.size(); ++id) {
    const auto& p = patterns[id];
    if (p.empty()) continue;
    std::uint32_t s = 0;
    for (const char ch : p) {
      const std::uint8_t c = classes_[static_cast<unsigned char>(ch)];
      auto it = trie[s].next.find(c);
      if (it == trie[s].next.end()) {
        trie[s].next.emplace(c, static_cast<std::uint32_t>(trie.size()));
        s = static_cast<std::uint32_t>(trie.size());
        trie.emplace_back();
      } else {
        s = it->second;
      }
    }
    trie[s].out.push_back(id);
  }
  state_count_ = trie.size();

  // Breadth-first: failure links, inherited outputs and the dense transition table.
  transitions_.assign(trie.size() * class_count_, 0);
  std::deque<std::uint32_t> queue;
  for (std::uint32_t c = 0; c < class_count_; ++c) {
    auto it = trie[0].next.find(static_cast<std::uint8_t>(c));
    const std::uint32_t to = it == trie[0].next.end() ? 0 : it->second;
    transitions_[c] = to;
    if (to != 0) queue.push_back(to);
  }
  std::vector<std::uint32_t> order;
  while (!queue.empty()) {
    const std::uint32_t s = queue.front();
    queue.pop_front();
    order.push_back(s);
    const Node& fail = trie[trie[s].fail];
    trie[s].out.insert(trie[s].out.end(), fail.out.begin(), fail.out.end());
    for (std::uint32_t c = 0; c < class_count_; ++c) {
      auto it = trie[s].next.find(static_cast<std::uint8_t>(c));
      const std::uint32_t via_fail = transitions_[trie[s].fail * class_count_ + c];
      if (it == trie[s].next.end()) {
        transitions_[s * class_count_ + c] = via_fail;
      } else {
        trie[it->second].fail = via_fail;
        transitions_[s * class_count_ + c] = it->second;
        queue.push_back(it->second);
      }
    }
  }

  output_begin_.assign(trie.size() + 1, 0);
  for (std::uint32_t s = 0; s < trie.size(); ++s) {
    output_begin_[s] = static_cast<std::uint32_t>(outputs_.size());
    outputs_.insert(outputs_.end(), trie[s].out.begin(), trie[s].out.end());
  }
  output_begin_[trie.size()] = static_cast<std::uint32_t>(outputs_.size());

  // Encode targets as premultiplied offsets with the output flag.
  for (auto& t : transitions_) {
    const bool has_output = output_begin_[t] != output_begin_[t + 1];
    t = t * class_count_ | (has_output ? kOutputBit : 0u);
  }
}

}  // namespace newswatch::match
