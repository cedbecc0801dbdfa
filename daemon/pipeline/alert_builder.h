// Turns a rule match into the alert record of RULES-SPEC §5 (JSON), the one place that knows
// both the matcher's result types and the alert encoder.
//
// Thread-safety: an AlertBuilder holds scratch buffers: one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/alert/alert.h"
#include "daemon/decode/article.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"

namespace newswatch::pipeline {

// An alert repeats the article's title; a title longer than this is cut (at a code point
// boundary, with "…") so that one hostile article cannot make an alert larger than the broker
// accepts.
inline constexpr std::size_t kMaxAlertTitleBytes = 2048;

class AlertBuilder {
 public:
  // Appends the JSON of the alert for `m` (one of out.matches) to `json`, without a newline.
  // `article` must be the article `out` was computed from.
  void encode(const match::CompiledRuleSet& rules, const match::MatchOutput& out,
              const match::RuleMatch& m, const decode::Article& article,
              std::int64_t detected_at_unix_millis, const std::optional<alert::KafkaOrigin>& input,
              std::string& json);

 private:
  std::vector<alert::MatchRecord> records_;
  decode::Article shortened_;  // a copy with a capped title, for the rare huge title
};

}  // namespace newswatch::pipeline
