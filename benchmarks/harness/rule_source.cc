#include "benchmarks/harness/rule_source.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include <yaml-cpp/yaml.h>

namespace newswatch::bench {

std::string leaf_key(const match::QueryNode& leaf) {
  match::QueryNode copy;
  copy.kind = leaf.kind;
  copy.leaf_kind = leaf.leaf_kind;
  copy.text = leaf.text;
  copy.exact_phrase = leaf.exact_phrase;
  copy.case_insensitive = leaf.case_insensitive;
  copy.fields = match::kFieldAll;
  return match::to_query_string(copy);
}

std::vector<const match::QueryNode*> RuleSource::flatten(const std::string& list) const {
  std::vector<const match::QueryNode*> out;
  std::set<std::string> seen_leaves;
  std::set<std::string> visiting;
  std::function<void(const std::string&)> walk = [&](const std::string& name) {
    const auto it = lists.find(name);
    if (it == lists.end() || !visiting.insert(name).second) return;
    for (const auto& e : it->second) {
      if (e.kind == match::QueryNode::Kind::kList) {
        walk(e.text);
      } else if (seen_leaves.insert(leaf_key(e)).second) {
        out.push_back(&e);
      }
    }
    visiting.erase(name);
  };
  walk(list);
  return out;
}

std::optional<RuleSource> read_rule_source(const std::string& dir, std::string& error) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) {
    error = "cannot read " + dir + ": " + ec.message();
    return std::nullopt;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (!name.empty() && name.front() == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    const auto ext = it->path().extension();
    if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());

  RuleSource src;
  for (const auto& path : files) {
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(path.string());
    } catch (const YAML::Exception& e) {
      error = path.string() + ": " + e.what();
      return std::nullopt;
    }
    if (const auto lists = doc["lists"]) {
      for (const auto& kv : lists) {
        auto& entries = src.lists[kv.first.as<std::string>()];
        for (const auto& e : kv.second) {
          match::ParsedQuery p = match::parse_list_entry(e.as<std::string>());
          if (!p.root) {
            error = path.string() + ": bad list entry '" + e.as<std::string>() + "'";
            return std::nullopt;
          }
          entries.push_back(std::move(*p.root));
        }
      }
    }
    if (const auto rules = doc["rules"]) {
      for (const auto& r : rules) {
        SourceRule rule;
        rule.id = r["id"].as<std::string>();
        if (r["enabled"]) rule.enabled = r["enabled"].as<bool>();
        match::ParsedQuery p = match::parse_query(r["query"].as<std::string>());
        if (!p.root) {
          error = path.string() + ": rule " + rule.id + ": " +
                  (p.errors.empty() ? std::string("bad query") : p.errors.front().message);
          return std::nullopt;
        }
        rule.root = std::move(*p.root);
        src.rules.push_back(std::move(rule));
      }
    }
  }
  return src;
}

}  // namespace newswatch::bench
