#include "daemon/pipeline/alert_builder.h"

#include "daemon/text/utf8.h"

namespace newswatch::pipeline {

void AlertBuilder::encode(const match::CompiledRuleSet& rules, const match::MatchOutput& out,
                          const match::RuleMatch& m, const decode::Article& article,
                          std::int64_t detected_at_unix_millis,
                          const std::optional<alert::KafkaOrigin>& input, std::string& json) {
  const match::Rule& rule = rules.rules()[m.rule];
  records_.clear();
  for (std::uint32_t i = m.occurrences_begin; i < m.occurrences_end; ++i) {
    const match::Occurrence& o = out.occurrences[i];
    records_.push_back(alert::MatchRecord{match::to_string(o.field), o.span.begin, o.span.end,
                                          rules.label(o.label)});
  }
  alert::AlertRecord record;
  record.rule_id = rule.id;
  record.rule_name = rule.name;
  record.severity = match::to_string(rule.severity);
  record.tags = rule.tags;
  record.mode = match::to_string(rule.mode);
  record.ruleset_version = rules.version();
  record.article = &article;
  if (article.title.size() > kMaxAlertTitleBytes) {
    shortened_ = article;
    shortened_.title.resize(text::utf8_floor(article.title, kMaxAlertTitleBytes));
    shortened_.title += "…";
    record.article = &shortened_;
  }
  record.matches = records_;
  record.snippet_field = match::to_string(m.snippet_field);
  record.snippet_begin = m.snippet.begin;
  record.snippet_end = m.snippet.end;
  record.detected_at_unix_millis = detected_at_unix_millis;
  record.input = input;
  alert::encode_alert(record, json);
}

}  // namespace newswatch::pipeline
