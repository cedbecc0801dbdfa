#include "daemon/match/matcher.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "daemon/match/compiled.h"
#include "daemon/text/utf8.h"

namespace newswatch::match {
namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;
constexpr std::uint32_t kSnippetContext = 120;  // bytes of context on each side of a match

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Lower-case host of a URL ("https://user@www.LesEchos.fr:443/x" -> "www.lesechos.fr").
std::string url_host(std::string_view url) {
  url = trim(url);
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  } else if (url.starts_with("//")) {
    url.remove_prefix(2);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.starts_with('[')) {
    url =
        url.substr(1, url.find(']') == std::string_view::npos ? url.size() - 1 : url.find(']') - 1);
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    url = url.substr(0, colon);
  }
  while (url.ends_with('.')) url.remove_suffix(1);
  std::string host;
  host.reserve(url.size());
  for (char c : url) host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

}  // namespace

std::string_view to_string(Field f) noexcept {
  return f == Field::kTitle ? "title" : "body";
}

Matcher::Matcher(MatchOptions options) : options_(options) {
  occs_.reserve(1024);
  touched_.reserve(256);
  candidates_.reserve(256);
}

void Matcher::begin_article(const CompiledRuleSet& rules, const decode::Article& article) {
  rules_ = &rules;
  c_ = &rules.compiled();
  article_ = &article;
  if (leaves_.size() != c_->leaves.size()) leaves_.assign(c_->leaves.size(), LeafState{});
  if (groups_.size() != c_->groups.size()) groups_.assign(c_->groups.size(), GroupState{});
  if (const std::size_t words = (rules.rules().size() + 63) / 64; candidate_bits_.size() != words) {
    candidate_bits_.assign(words, 0);
  }
  if (++epoch_ == 0) {  // wrapped: forget every stamp
    std::fill(leaves_.begin(), leaves_.end(), LeafState{});
    std::fill(groups_.begin(), groups_.end(), GroupState{});
    epoch_ = 1;
  }
  touched_.clear();
  occs_.clear();
  present_.clear();
  truncated_ = false;
  regexes_run_ = 0;
  meta_ready_ = false;
  regex_candidates_found_[0] = regex_candidates_found_[1] = false;
  folded_[0].assign(article.title);
  folded_[1].assign(article.body);
}

Matcher::LeafState& Matcher::touch(std::uint32_t leaf) {
  LeafState& st = leaves_[leaf];
  if (st.epoch != epoch_) {
    st = LeafState{epoch_, 0, 0, 0, kNone, kNone, {0, 0}};
    touched_.push_back(leaf);
  }
  return st;
}

void Matcher::add_occurrence(std::uint32_t leaf, Field field, std::uint32_t first_word,
                             std::uint32_t last_word, std::uint32_t begin, std::uint32_t end,
                             bool has_original) {
  LeafState& st = touch(leaf);
  const int f = static_cast<int>(field);
  const auto bit = static_cast<std::uint8_t>(1u << f);
  const std::uint8_t before = st.fields;
  st.fields |= bit;
  if ((before & bit) == 0) {
    // First occurrence in this field: every member that looks here makes its group present.
    for (std::uint32_t k = c_->leaf_members_begin[leaf]; k < c_->leaf_members_begin[leaf + 1];
         ++k) {
      const auto& lm = c_->leaf_members[k];
      if ((lm.fields & bit) == 0 || (lm.fields & before) != 0) continue;  // not here, or already
      GroupState& gs = groups_[lm.group];
      if (gs.epoch != epoch_) gs = GroupState{epoch_, kNone};
      present_.push_back(PresentMember{lm.member, gs.head});
      gs.head = static_cast<std::uint32_t>(present_.size() - 1);
    }
  }
  const bool positions = c_->leaves[leaf].needs_positions;
  const std::size_t cap =
      positions ? c_->max_occurrences_per_leaf : options_.max_occurrences_per_match;
  if (st.count[f] >= cap) {
    truncated_ = truncated_ || positions;
    return;
  }
  ++st.count[f];
  const auto idx = static_cast<std::uint32_t>(occs_.size());
  occs_.push_back(
      Occ{kNone, static_cast<std::uint8_t>(f), has_original, first_word, last_word, begin, end});
  if (st.head == kNone) {
    st.head = idx;
  } else {
    occs_[st.tail].next = idx;
  }
  st.tail = idx;
}

bool Matcher::verify_seq(const Seq& seq, Field field, std::uint32_t i, std::uint32_t& end_word,
                         text::Span& span) const {
  const text::FoldedText& ft = folded_[static_cast<int>(field)];
  const std::string_view text = ft.folded();
  const auto words = ft.words();
  const std::size_t n = seq.words.size();
  if (i + n > words.size()) return false;
  auto word_text = [&](std::size_t k) {
    return text.substr(words[k].begin, words[k].end - words[k].begin);
  };
  for (std::size_t k = 1; k < n; ++k) {
    const std::string_view w = word_text(i + k);
    const std::string& want = seq.words[k];
    if (k + 1 == n && seq.last_prefix ? !w.starts_with(want) : w != want) return false;
    if (!seq.phrase) {
      const std::string_view sep =
          text.substr(words[i + k - 1].end, words[i + k].begin - words[i + k - 1].end);
      if (sep != seq.seps[k - 1]) return false;
    }
  }
  std::uint32_t begin = words[i].begin;
  std::uint32_t end = words[i + n - 1].end;
  if (!seq.leading.empty()) {
    const std::uint32_t prev = i > 0 ? words[i - 1].end : 0;
    if (!text.substr(prev, begin - prev).ends_with(seq.leading)) return false;
    begin -= static_cast<std::uint32_t>(seq.leading.size());
  }
  if (!seq.trailing.empty()) {
    const std::uint32_t next =
        i + n < words.size() ? words[i + n].begin : static_cast<std::uint32_t>(text.size());
    if (!text.substr(end, next - end).starts_with(seq.trailing)) return false;
    end += static_cast<std::uint32_t>(seq.trailing.size());
  }
  if (seq.exact) {
    const std::string_view original = ft.original();
    text::Span prev{};
    for (std::size_t k = 0; k < n; ++k) {
      const text::Span o = ft.to_original(words[i + k]);
      if (original.substr(o.begin, o.end - o.begin) != seq.exact_words[k]) return false;
      if (k == 0 && !original.substr(0, o.begin).ends_with(seq.exact_leading)) return false;
      if (k > 0 && !seq.phrase &&
          original.substr(prev.end, o.begin - prev.end) != seq.exact_seps[k - 1]) {
        return false;
      }
      if (k + 1 == n && !original.substr(o.end).starts_with(seq.exact_trailing)) return false;
      prev = o;
    }
  }
  end_word = i + static_cast<std::uint32_t>(n) - 1;
  span = text::Span{begin, end};
  return true;
}

// Words are followed by readable padding in the folded buffer (FoldedText::kReadablePadding).
static_assert(text::FoldedText::kReadablePadding >= 8);

void Matcher::scan_field(Field field) {
  const text::FoldedText& ft = folded_[static_cast<int>(field)];
  const std::string_view text = ft.folded();
  const auto words = ft.words();
  const bool has_stems = !c_->stems.empty();
  const bool has_stems3 = c_->has_stems3;
  std::uint32_t end_word = 0;
  text::Span span;
  for (std::uint32_t i = 0; i < words.size(); ++i) {
    const std::string_view w(text.data() + words[i].begin, words[i].end - words[i].begin);
    std::uint64_t first8;
    std::memcpy(&first8, w.data(), 8);  // padded: always readable
    const std::uint64_t h =
        w.size() <= 8 ? hash_short_word(first8, w.size()) : hash_word_padded(w.data(), w.size());
    for (const std::uint32_t s : c_->words.find_hashed(w, h)) {
      if (const std::uint32_t leaf = c_->seq_plain_leaf[s]; leaf != kNoLeaf) {
        add_occurrence(leaf, field, i, i, words[i].begin, words[i].end, false);
      } else if (verify_seq(c_->seqs[s], field, i, end_word, span)) {
        add_occurrence(c_->seqs[s].leaf, field, i, end_word, span.begin, span.end, false);
      }
    }
    if (!has_stems || w.size() < 3) continue;
    const bool maybe = (w.size() >= 4 && c_->stem_filter4[prefix_key4(first8)]) ||
                       (has_stems3 && c_->stem_filter3[prefix_key3(first8)]);
    if (!maybe) continue;
    for (const std::uint32_t k : c_->prefixes.find_padded(w.substr(0, 3))) {
      const Stem& st = c_->stems[k];
      if (w.size() < st.len || low_bytes(first8, st.len) != st.head) continue;
      if (st.len > 8 &&
          std::memcmp(w.data() + 8, c_->seqs[st.seq].words[0].data() + 8, st.len - 8) != 0) {
        continue;
      }
      if (st.plain) {
        add_occurrence(st.leaf, field, i, i, words[i].begin, words[i].end, false);
      } else if (verify_seq(c_->seqs[st.seq], field, i, end_word, span)) {
        add_occurrence(st.leaf, field, i, end_word, span.begin, span.end, false);
      }
    }
  }
}

// Finds which regexes may match in `field`: their required literals (atoms) are searched in
// the folded text; the regexes themselves run later, only if a candidate rule needs them.
void Matcher::find_regex_candidates(Field field) {
  const int f = static_cast<int>(field);
  if (regex_candidates_found_[f] || !c_->regexes) return;
  regex_candidates_found_[f] = true;
  const text::FoldedText& ft = folded_[f];
  if (ft.original().empty()) return;

  std::size_t atom_count = 0;
  for (const auto& ids : c_->atom_ids) atom_count += ids.size();
  atom_count += c_->empty_atoms.size();
  if (atom_epoch_.size() < atom_count + 1) atom_epoch_.resize(atom_count + 1, 0);
  if (++atom_stamp_ == 0) {  // wrapped: forget every stamp
    std::fill(atom_epoch_.begin(), atom_epoch_.end(), 0);
    atom_stamp_ = 1;
  }
  const std::uint32_t stamp = atom_stamp_;
  matched_atoms_.clear();
  c_->atoms.scan(ft.folded(), [&](std::uint32_t pattern) {
    for (const int id : c_->atom_ids[pattern]) {
      if (atom_epoch_[id] != stamp) {
        atom_epoch_[id] = stamp;
        matched_atoms_.push_back(id);
      }
    }
  });
  matched_atoms_.insert(matched_atoms_.end(), c_->empty_atoms.begin(), c_->empty_atoms.end());
  const std::vector<int>* potentials = &c_->unfiltered_regexes;
  if (!matched_atoms_.empty()) {
    potentials_.clear();
    c_->regexes->AllPotentials(matched_atoms_, &potentials_);
    potentials = &potentials_;
  }
  const auto bit = static_cast<std::uint8_t>(1u << f);
  for (const int rid : *potentials) touch(c_->regex_leaf[rid]).potential |= bit;
}

// Runs the regex of `leaf` over the original view of `field` and records its occurrences.
void Matcher::run_regex(std::uint32_t leaf, Field field) {
  const int f = static_cast<int>(field);
  const text::FoldedText& ft = folded_[f];
  const std::string_view original = ft.original();
  const RE2& re = c_->regexes->GetRE2(c_->leaves[leaf].regex);
  ++regexes_run_;
  const auto words = ft.words();
  const auto nwords = static_cast<std::uint32_t>(words.size());
  const std::size_t cap = c_->leaves[leaf].needs_positions ? c_->max_occurrences_per_leaf
                                                           : options_.max_occurrences_per_match;
  std::size_t pos = 0;
  re2::StringPiece m;
  while (pos <= original.size() && re.Match(re2::StringPiece(original.data(), original.size()), pos,
                                            original.size(), RE2::UNANCHORED, &m, 1)) {
    const auto ob = static_cast<std::uint32_t>(m.data() - original.data());
    const auto oe = static_cast<std::uint32_t>(ob + m.size());
    const std::uint32_t fb = ft.to_folded(ob);
    const std::uint32_t fe = ft.to_folded(oe);
    const std::uint32_t first = ft.word_at_or_after(fb);
    const std::uint32_t after = ft.word_at_or_after(fe);
    std::uint32_t last = (after < nwords && words[after].begin < fe) ? after : after - 1;
    if (after == 0 && !(nwords > 0 && words[0].begin < fe)) last = first;
    if (last < first || last == kNone) last = first;
    add_occurrence(leaf, field, first, last, ob, oe, true);
    if (leaves_[leaf].count[f] >= cap) break;
    pos = oe > ob ? oe : ob + text::utf8_sequence_length(static_cast<unsigned char>(original[ob]));
  }
}

bool Matcher::leaf_present(std::uint32_t leaf, std::uint8_t fields) {
  if (c_->leaves[leaf].regex >= 0) {
    // A regex runs on a field the first time it is needed there, if its atoms are present.
    LeafState& st = touch(leaf);
    for (int f = 0; f < 2; ++f) {
      const auto bit = static_cast<std::uint8_t>(1u << f);
      if ((fields & bit) == 0 || (st.evaluated & bit) != 0) continue;
      find_regex_candidates(static_cast<Field>(f));
      LeafState& now = leaves_[leaf];  // (touch() above; no reallocation since)
      now.evaluated |= bit;
      if ((now.potential & bit) != 0) run_regex(leaf, static_cast<Field>(f));
    }
  }
  const LeafState& st = leaves_[leaf];
  return st.epoch == epoch_ && (st.fields & fields) != 0;
}

bool Matcher::group_present(std::uint32_t g) {
  if (groups_[g].epoch == epoch_ && groups_[g].head != kNone) return true;
  const Group& group = c_->groups[g];
  for (std::uint32_t k = group.regex_begin; k < group.regex_end; ++k) {
    const Member& mem = c_->members[c_->group_regex_members[k]];
    if (leaf_present(mem.leaf, mem.fields)) return true;
  }
  return false;
}

// Runs every regex member of a group that has not run yet, so its present list is complete.
void Matcher::complete_group(std::uint32_t g) {
  const Group& group = c_->groups[g];
  for (std::uint32_t k = group.regex_begin; k < group.regex_end; ++k) {
    const Member& mem = c_->members[c_->group_regex_members[k]];
    leaf_present(mem.leaf, mem.fields);
  }
}

bool Matcher::eval_meta(std::uint32_t meta) {
  if (!meta_ready_) {
    std::string_view lang = trim(article_->lang);
    lang = lang.substr(0, lang.find_first_of("-_"));
    lang_primary_.clear();
    for (char ch : lang)
      lang_primary_ += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    source_folded_ = text::fold(trim(article_->source));
    host_ = url_host(article_->url);
    meta_ready_ = true;
  }
  const Meta& m = c_->metas[meta];
  switch (m.kind) {
    case MetaKind::kLang:
      return !lang_primary_.empty() && lang_primary_ == m.value;
    case MetaKind::kSource:
      return !source_folded_.empty() && source_folded_ == m.value;
    case MetaKind::kSite:
      return host_ == m.value || (host_.size() > m.value.size() && host_.ends_with(m.value) &&
                                  host_[host_.size() - m.value.size() - 1] == '.');
  }
  return false;
}

bool Matcher::eval(std::uint32_t i) {
  const Node& n = c_->nodes[i];
  switch (n.op) {
    case Node::Op::kGroup:
      if (groups_[n.a].epoch == epoch_ && groups_[n.a].head != kNone) return true;
      return n.has_regex && group_present(n.a);  // only regex members can still make it true
    case Node::Op::kMeta:
      return eval_meta(n.a);
    case Node::Op::kNot:
      return !eval(n.a);
    case Node::Op::kAnd:
      for (std::uint32_t k = n.a; k < n.b; ++k) {
        if (!eval(c_->node_children[k])) return false;
      }
      return true;
    case Node::Op::kOr:
      for (std::uint32_t k = n.a; k < n.b; ++k) {
        if (eval(c_->node_children[k])) return true;
      }
      return false;
    case Node::Op::kNear:
      return eval_near(i, false);
  }
  return false;
}

// NEAR/n: in one field, an occurrence of A and one of B with at most n words strictly between
// them (overlap counts as 0); ONEAR also needs A to start before B. Linear after sorting:
// occurrences are swept by first word, remembering for each side the furthest last word seen
// so far; the closest earlier partner of an occurrence is the one ending furthest.
bool Matcher::eval_near(std::uint32_t i, bool collect) {
  const Node& n = c_->nodes[i];
  // Both operands must occur somewhere first (this also runs their regexes, once).
  if (!group_present(n.a) || !group_present(n.b)) return false;
  complete_group(n.a);
  complete_group(n.b);
  bool found = false;
  for (int f = 0; f < 2; ++f) {
    const auto bit = static_cast<std::uint8_t>(1u << f);
    near_items_.clear();
    bool sides[2] = {false, false};
    for (int side = 0; side < 2; ++side) {
      const std::uint32_t g = side == 0 ? n.a : n.b;
      for (std::uint32_t p = groups_[g].head; p != kNone; p = present_[p].next) {
        const Member& mem = c_->members[present_[p].member];
        if ((mem.fields & bit) == 0) continue;
        for (std::uint32_t o = leaves_[mem.leaf].head; o != kNone; o = occs_[o].next) {
          if (occs_[o].field != f) continue;
          near_items_.push_back(
              NearItem{occs_[o].first_word, occs_[o].last_word, o, side == 1, mem.label});
          sides[side] = true;
        }
      }
    }
    if (!sides[0] || !sides[1]) continue;
    // By first word; on a tie, B before A, so that ONEAR never pairs a B with an A that
    // starts at the same word.
    std::sort(near_items_.begin(), near_items_.end(), [](const NearItem& x, const NearItem& y) {
      if (x.first_word != y.first_word) return x.first_word < y.first_word;
      return x.side_b > y.side_b;
    });
    std::int64_t max_end[2] = {-1, -1};
    std::uint32_t best[2] = {0, 0};
    for (std::uint32_t k = 0; k < near_items_.size(); ++k) {
      const NearItem& x = near_items_[k];
      const int side = x.side_b ? 1 : 0;
      const int other = 1 - side;
      const bool may_pair = !n.near_ordered || x.side_b;
      if (may_pair && max_end[other] >= 0) {
        const std::int64_t gap = static_cast<std::int64_t>(x.first_word) > max_end[other]
                                     ? static_cast<std::int64_t>(x.first_word) - max_end[other] - 1
                                     : 0;
        if (gap <= n.near_distance) {
          if (!collect) return true;
          found = true;
          const NearItem& partner = near_items_[best[other]];
          witnesses_.push_back(Witness{x.occ, x.label});
          witnesses_.push_back(Witness{partner.occ, partner.label});
        }
      }
      if (static_cast<std::int64_t>(x.last_word) > max_end[side]) {
        max_end[side] = x.last_word;
        best[side] = k;
      }
    }
  }
  return found;
}

void Matcher::push_witness(std::uint32_t occ, std::uint32_t label) {
  witnesses_.push_back(Witness{occ, label});
}

void Matcher::collect_group(std::uint32_t group) {
  if (groups_[group].epoch != epoch_) return;
  for (std::uint32_t p = groups_[group].head; p != kNone; p = present_[p].next) {
    const Member& mem = c_->members[present_[p].member];
    for (std::uint32_t o = leaves_[mem.leaf].head; o != kNone; o = occs_[o].next) {
      if ((mem.fields & (1u << occs_[o].field)) != 0) push_witness(o, mem.label);
    }
  }
}

void Matcher::collect(std::uint32_t i) {
  const Node& n = c_->nodes[i];
  switch (n.op) {
    case Node::Op::kGroup:
      collect_group(n.a);
      return;
    case Node::Op::kAnd:
      for (std::uint32_t k = n.a; k < n.b; ++k) collect(c_->node_children[k]);
      return;
    case Node::Op::kOr:
      for (std::uint32_t k = n.a; k < n.b; ++k) {
        if (eval(c_->node_children[k])) collect(c_->node_children[k]);
      }
      return;
    case Node::Op::kNear:
      eval_near(i, true);
      return;
    case Node::Op::kNot:
    case Node::Op::kMeta:
      return;
  }
}

text::Span Matcher::original_span(const Occ& o) const {
  if (o.has_original) return text::Span{o.begin, o.end};
  return folded_[o.field].to_original(text::Span{o.begin, o.end});
}

void Matcher::emit(std::uint32_t rule, MatchOutput& out) {
  witnesses_.clear();
  collect(c_->programs[rule].root);
  RuleMatch rm;
  rm.rule = rule;
  rm.occurrences_begin = static_cast<std::uint32_t>(out.occurrences.size());
  const std::size_t first = out.occurrences.size();
  for (const Witness& w : witnesses_) {
    const Occ& o = occs_[w.occ];
    out.occurrences.push_back(Occurrence{static_cast<Field>(o.field), original_span(o), w.label});
  }
  auto begin = out.occurrences.begin() + static_cast<std::ptrdiff_t>(first);
  std::sort(begin, out.occurrences.end(), [](const Occurrence& a, const Occurrence& b) {
    if (a.field != b.field) return a.field < b.field;
    if (a.span.begin != b.span.begin) return a.span.begin < b.span.begin;
    if (a.span.end != b.span.end) return a.span.end < b.span.end;
    return a.label < b.label;
  });
  out.occurrences.erase(std::unique(begin, out.occurrences.end(),
                                    [](const Occurrence& a, const Occurrence& b) {
                                      return a.field == b.field && a.span == b.span &&
                                             a.label == b.label;
                                    }),
                        out.occurrences.end());
  if (out.occurrences.size() - first > options_.max_occurrences_per_match) {
    out.occurrences.resize(first + options_.max_occurrences_per_match);
  }
  rm.occurrences_end = static_cast<std::uint32_t>(out.occurrences.size());

  // Snippet: around the first match in the body, else in the title, else the body's start.
  const Occurrence* anchor = nullptr;
  for (std::size_t k = first; k < out.occurrences.size(); ++k) {
    if (anchor == nullptr ||
        (anchor->field == Field::kTitle && out.occurrences[k].field == Field::kBody)) {
      anchor = &out.occurrences[k];
    }
  }
  if (anchor != nullptr) {
    const auto size =
        static_cast<std::uint32_t>(folded_[static_cast<int>(anchor->field)].original().size());
    rm.snippet_field = anchor->field;
    rm.snippet.begin =
        anchor->span.begin > kSnippetContext ? anchor->span.begin - kSnippetContext : 0;
    rm.snippet.end = std::min(size, anchor->span.end + kSnippetContext);
  } else {
    const bool body = !article_->body.empty();
    rm.snippet_field = body ? Field::kBody : Field::kTitle;
    rm.snippet.begin = 0;
    rm.snippet.end = std::min<std::uint32_t>(
        static_cast<std::uint32_t>((body ? article_->body : article_->title).size()),
        2 * kSnippetContext);
  }
  out.matches.push_back(rm);
}

void Matcher::match(const CompiledRuleSet& rules, const decode::Article& article,
                    MatchOutput& out) {
  out.clear();
  begin_article(rules, article);
  scan_field(Field::kTitle);
  scan_field(Field::kBody);
  // Rules that could fire on a regex alone become candidates through their regexes' atoms;
  // every other regex waits until a candidate rule's evaluation reaches it.
  if (c_->eager_regexes) {
    find_regex_candidates(Field::kTitle);
    find_regex_candidates(Field::kBody);
  }

  // Candidates: the rules gated by a leaf that occurs, and those always evaluated; taken in
  // rule order (the order of the output) from a bitmap, with no sort.
  std::uint64_t* const bits = candidate_bits_.data();
  std::size_t lo = candidate_bits_.size();  // words [lo, hi) may be non-zero
  std::size_t hi = 0;
  auto add_candidate = [&](std::uint32_t r) {
    const std::size_t w = r >> 6;
    bits[w] |= std::uint64_t{1} << (r & 63);
    lo = std::min(lo, w);
    hi = std::max(hi, w + 1);
  };
  for (const std::uint32_t leaf : touched_) {
    for (std::uint32_t k = c_->leaf_rules_begin[leaf]; k < c_->leaf_rules_begin[leaf + 1]; ++k)
      add_candidate(c_->leaf_rules[k]);
  }
  for (const std::uint32_t r : c_->always_rules) add_candidate(r);
  // Read the bitmap into a list first, so that each rule's nodes can be prefetched a few
  // rules ahead: with thousands of rules, evaluation waits mostly on those cache misses.
  candidates_.clear();
  for (std::size_t w = lo; w < hi; ++w) {
    std::uint64_t word = bits[w];
    bits[w] = 0;
    while (word != 0) {
      candidates_.push_back(
          static_cast<std::uint32_t>(w * 64 + static_cast<unsigned>(__builtin_ctzll(word))));
      word &= word - 1;
    }
  }
  constexpr std::size_t kPrefetchAhead = 4;
  const std::size_t n = candidates_.size();
  for (std::size_t k = 0; k < std::min(n, kPrefetchAhead); ++k)
    __builtin_prefetch(&c_->nodes[c_->programs[candidates_[k]].root]);
  for (std::size_t k = 0; k < n; ++k) {
    if (k + kPrefetchAhead < n) {
      __builtin_prefetch(&c_->nodes[c_->programs[candidates_[k + kPrefetchAhead]].root]);
    }
    const std::uint32_t r = candidates_[k];
    ++out.stats.rules_evaluated;
    if (!eval(c_->programs[r].root)) continue;
    if (out.matches.size() >= options_.max_matches) {
      out.stats.matches_truncated = true;
      break;
    }
    emit(r, out);
  }
  out.stats.words =
      static_cast<std::uint32_t>(folded_[0].words().size() + folded_[1].words().size());
  out.stats.leaves_hit = static_cast<std::uint32_t>(std::count_if(
      touched_.begin(), touched_.end(), [&](std::uint32_t l) { return leaves_[l].fields != 0; }));
  out.stats.regexes_run = regexes_run_;
  out.stats.occurrences_truncated = truncated_;
}

bool Matcher::match_rule(const CompiledRuleSet& rules, std::uint32_t rule,
                         const decode::Article& article, MatchOutput* out) {
  begin_article(rules, article);
  scan_field(Field::kTitle);
  scan_field(Field::kBody);
  const bool result = eval(c_->programs[rule].root);
  if (result && out != nullptr) emit(rule, *out);
  return result;
}

std::vector<Matcher::LeafOccurrence> Matcher::occurrences_of(std::uint32_t leaf) const {
  std::vector<LeafOccurrence> v;
  if (leaf >= leaves_.size() || leaves_[leaf].epoch != epoch_) return v;
  for (std::uint32_t o = leaves_[leaf].head; o != kNone; o = occs_[o].next) {
    const Occ& occ = occs_[o];
    v.push_back(LeafOccurrence{static_cast<Field>(occ.field), occ.first_word, occ.last_word,
                               original_span(occ)});
  }
  return v;
}

}  // namespace newswatch::match
