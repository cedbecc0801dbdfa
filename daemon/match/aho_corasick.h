// Multi-pattern substring search (Aho-Corasick) compiled to a dense DFA over byte classes.
// Used to find the required literals ("atoms") of regex leaves in the folded text, so that a
// regex runs only on articles that contain them.
//
// Thread-safety: immutable after construction; scan() may run concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::match {

class AhoCorasick {
 public:
  AhoCorasick() = default;
  // Empty patterns are ignored (they never report).
  explicit AhoCorasick(std::span<const std::string> patterns);

  bool empty() const noexcept { return transitions_.empty(); }
  std::size_t state_count() const noexcept { return state_count_; }
  std::size_t memory_bytes() const noexcept {
    return transitions_.size() * sizeof(std::uint32_t) + outputs_.size() * sizeof(std::uint32_t) +
           output_begin_.size() * sizeof(std::uint32_t);
  }

  // Calls on_match(pattern_index) for every pattern occurrence in `text`, in order of the
  // occurrence's end (a pattern occurring several times is reported several times).
  template <class OnMatch>
  void scan(std::string_view text, OnMatch&& on_match) const {
    if (transitions_.empty()) return;
    std::uint32_t v = 0;  // state * classes, with kOutputBit when the state has outputs
    for (const char ch : text) {
      v = transitions_[(v & ~kOutputBit) + classes_[static_cast<unsigned char>(ch)]];
      if (v & kOutputBit) {
        const std::uint32_t state = (v & ~kOutputBit) / class_count_;
        for (std::uint32_t i = output_begin_[state]; i < output_begin_[state + 1]; ++i) {
          on_match(outputs_[i]);
        }
      }
    }
  }

 private:
  static constexpr std::uint32_t kOutputBit = 0x80000000u;
  std::uint8_t classes_[256] = {};
  std::uint32_t class_count_ = 1;
  std::size_t state_count_ = 0;
  std::vector<std::uint32_t> transitions_;   // [state * class_count_ + class]
  std::vector<std::uint32_t> output_begin_;  // state -> range in outputs_
  std::vector<std::uint32_t> outputs_;
};

}  // namespace newswatch::match
