#include "daemon/match/explain.h"

#include <algorithm>
#include <limits>

#include "daemon/match/compiled.h"

namespace newswatch::match {
namespace {
constexpr std::size_t kMaxHitsShown = 20;
}

class Explainer {
 public:
  Explainer(Matcher& m, const CompiledRuleSet& rules, const decode::Article& a)
      : m_(m), c_(rules.compiled()), rules_(rules), article_(a) {}

  ExplainNode node(std::uint32_t i) {
    const Node& n = c_.nodes[i];
    ExplainNode out;
    out.expr = c_.node_sources[i];
    out.value = m_.eval(i);
    switch (n.op) {
      case Node::Op::kGroup: {
        const Group& g = c_.groups[n.a];
        const bool list =
            g.end > g.begin && rules_.label(c_.members[g.begin].label).starts_with('@');
        if (!list && g.end - g.begin == 1) {
          out.kind = ExplainNode::Kind::kLeaf;
          out.hits = hits(c_.members[g.begin]);
          return out;
        }
        out.kind = ExplainNode::Kind::kList;
        std::size_t found = 0;
        for (std::uint32_t k = g.begin; k < g.end; ++k) {
          ExplainNode child = member(c_.members[k]);
          if (child.value) {
            ++found;
            out.children.push_back(std::move(child));
          }
        }
        out.note =
            std::to_string(found) + " of " + std::to_string(g.end - g.begin) + " entries found";
        return out;
      }
      case Node::Op::kMeta: {
        out.kind = ExplainNode::Kind::kMeta;
        const Meta& meta = c_.metas[n.a];
        const std::string& v = meta.kind == MetaKind::kLang     ? article_.lang
                               : meta.kind == MetaKind::kSource ? article_.source
                                                                : article_.url;
        out.note = std::string(meta.kind == MetaKind::kLang     ? "article lang"
                               : meta.kind == MetaKind::kSource ? "article source"
                                                                : "article url") +
                   ": " + (v.empty() ? "(empty)" : "\"" + v + "\"");
        return out;
      }
      case Node::Op::kNot:
        out.kind = ExplainNode::Kind::kNot;
        out.children.push_back(node(n.a));
        return out;
      case Node::Op::kAnd:
      case Node::Op::kOr:
        out.kind = n.op == Node::Op::kAnd ? ExplainNode::Kind::kAnd : ExplainNode::Kind::kOr;
        for (std::uint32_t k = n.a; k < n.b; ++k) out.children.push_back(node(c_.node_children[k]));
        return out;
      case Node::Op::kNear: {
        out.kind = ExplainNode::Kind::kNear;
        out.children.push_back(group_node(n.a));
        out.children.push_back(group_node(n.b));
        const auto gap = closest(n);
        const std::string limit = " (limit " + std::to_string(n.near_distance) + ")";
        if (!gap) {
          out.note =
              "no pair in the same field" + std::string(n.near_ordered ? " in this order" : "");
        } else {
          out.note = "closest pair: " + std::to_string(*gap) + " word" + (*gap == 1 ? "" : "s") +
                     " between" + limit;
        }
        return out;
      }
    }
    return out;
  }

 private:
  std::vector<ExplainHit> hits(const Member& mem) {
    std::vector<ExplainHit> v;
    for (const auto& o : m_.occurrences_of(mem.leaf)) {
      if ((mem.fields & (1u << static_cast<int>(o.field))) == 0) continue;
      if (v.size() >= kMaxHitsShown) break;
      const std::string& text = o.field == Field::kTitle ? article_.title : article_.body;
      v.push_back(ExplainHit{o.field, o.original,
                             text.substr(o.original.begin, o.original.end - o.original.begin)});
    }
    return v;
  }

  ExplainNode member(const Member& mem) {
    ExplainNode leaf;
    leaf.kind = ExplainNode::Kind::kLeaf;
    leaf.expr = c_.leaves[mem.leaf].display;
    leaf.value = m_.leaf_present(mem.leaf, mem.fields);
    if (leaf.value) leaf.hits = hits(mem);
    return leaf;
  }

  ExplainNode group_node(std::uint32_t g) {
    const Group& group = c_.groups[g];
    ExplainNode out;
    out.kind = ExplainNode::Kind::kList;
    std::vector<std::string> labels;
    std::size_t found = 0;
    for (std::uint32_t k = group.begin; k < group.end; ++k) {
      const std::string label(rules_.label(c_.members[k].label));
      if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
      ExplainNode child = member(c_.members[k]);
      if (child.value) {
        ++found;
        out.value = true;
        out.children.push_back(std::move(child));
      }
    }
    for (std::size_t k = 0; k < labels.size(); ++k) out.expr += (k ? " OR " : "") + labels[k];
    if (labels.size() > 1) out.expr = "(" + out.expr + ")";
    out.note =
        std::to_string(found) + " of " + std::to_string(group.end - group.begin) + " entries found";
    if (group.end - group.begin == 1 && !labels[0].starts_with('@')) {
      out.kind = ExplainNode::Kind::kLeaf;
      out.hits = out.children.empty() ? std::vector<ExplainHit>{} : out.children[0].hits;
      out.children.clear();
      out.note.clear();
    }
    return out;
  }

  // Smallest number of words between an A and a B occurrence in one field (honouring ONEAR).
  std::optional<std::int64_t> closest(const Node& n) {
    std::optional<std::int64_t> best;
    auto occs = [&](std::uint32_t g) {
      std::vector<Matcher::LeafOccurrence> v;
      for (std::uint32_t k = c_.groups[g].begin; k < c_.groups[g].end; ++k) {
        const Member& mem = c_.members[k];
        for (const auto& o : m_.occurrences_of(mem.leaf)) {
          if ((mem.fields & (1u << static_cast<int>(o.field))) != 0 && v.size() < 2000)
            v.push_back(o);
        }
      }
      return v;
    };
    const auto a = occs(n.a);
    const auto b = occs(n.b);
    for (const auto& x : a) {
      for (const auto& y : b) {
        if (x.field != y.field) continue;
        if (n.near_ordered && !(x.first_word < y.first_word)) continue;
        std::int64_t gap = 0;
        if (x.last_word < y.first_word) {
          gap = static_cast<std::int64_t>(y.first_word) - x.last_word - 1;
        } else if (y.last_word < x.first_word) {
          gap = static_cast<std::int64_t>(x.first_word) - y.last_word - 1;
        }
        if (!best || gap < *best) best = gap;
      }
    }
    return best;
  }

  Matcher& m_;
  const CompiledRuleSet::Compiled& c_;
  const CompiledRuleSet& rules_;
  const decode::Article& article_;
};

Explanation explain(Matcher& matcher, const CompiledRuleSet& rules, std::uint32_t rule,
                    const decode::Article& article) {
  Explanation e;
  e.rule_id = rules.rules()[rule].id;
  e.fired = matcher.match_rule(rules, rule, article);
  Explainer ex(matcher, rules, article);
  e.root = ex.node(rules.compiled().programs[rule].root);
  return e;
}

namespace {

std::string quote_hit(const ExplainHit& h) {
  std::string t;
  for (char c : h.text) t += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return std::string(to_string(h.field)) + " " + std::to_string(h.span.begin) + ".." +
         std::to_string(h.span.end) + " \"" + t + "\"";
}

void render(const ExplainNode& n, const std::string& prefix, bool last, bool root,
            std::string& out) {
  std::string line = root ? "" : prefix + (last ? "└─ " : "├─ ");
  line += n.value ? "✔ " : "✘ ";
  line += n.expr;
  if (!n.hits.empty()) {
    line += "  ";
    for (std::size_t i = 0; i < n.hits.size(); ++i) line += (i ? ", " : "") + quote_hit(n.hits[i]);
  }
  if (!n.note.empty()) line += "  — " + n.note;
  out += line + "\n";
  const std::string child_prefix = root ? "" : prefix + (last ? "   " : "│  ");
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    render(n.children[i], child_prefix, i + 1 == n.children.size(), false, out);
  }
}

void leaves_of(const ExplainNode& n, bool negated, std::vector<std::string>& found,
               std::vector<std::string>& missing) {
  switch (n.kind) {
    case ExplainNode::Kind::kLeaf:
    case ExplainNode::Kind::kList: {
      std::string s = n.expr + (negated ? " (under NOT)" : "");
      if (n.value) {
        const ExplainHit* h = !n.hits.empty() ? &n.hits[0]
                              : (!n.children.empty() && !n.children[0].hits.empty())
                                  ? &n.children[0].hits[0]
                                  : nullptr;
        if (h != nullptr) s += " (\"" + h->text + "\" in " + std::string(to_string(h->field)) + ")";
        found.push_back(s);
      } else {
        missing.push_back(s);
      }
      return;
    }
    case ExplainNode::Kind::kMeta:
      (n.value ? found : missing).push_back(n.expr + " [" + n.note + "]");
      return;
    case ExplainNode::Kind::kNear:
      (n.value ? found : missing).push_back(n.expr + " [" + n.note + "]");
      return;
    default:
      for (const auto& c : n.children)
        leaves_of(c, negated || n.kind == ExplainNode::Kind::kNot, found, missing);
      return;
  }
}

}  // namespace

std::string render_explanation(const Explanation& e) {
  std::string out = "rule " + e.rule_id + (e.fired ? ": fired\n" : ": did not fire\n");
  render(e.root, "", true, true, out);
  return out;
}

std::string summarize_leaves(const Explanation& e) {
  std::vector<std::string> found;
  std::vector<std::string> missing;
  leaves_of(e.root, false, found, missing);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
  };
  std::string out = "found: " + (found.empty() ? std::string("nothing") : join(found));
  out += "; not found: " + (missing.empty() ? std::string("nothing") : join(missing));
  return out;
}

}  // namespace newswatch::match
