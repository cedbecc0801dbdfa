// One pass over a YAML text's parser events before any tree is built, shared by the rule-file
// and config loaders: where each document and its first node start, and the first alias.
//
// YAML::LoadAll is not used to count documents: yaml-cpp 0.7 loops for ever on a ',' where a
// document starts (HandleNextDocument reports an empty document without consuming anything,
// again and again). scan_documents() stops after two documents and reports that case as
// stray_token().
//
// Header-only; throws what YAML::Parser throws (YAML::Exception and its subclasses).
#pragma once

#include <istream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace newswatch::yaml {

class DocumentScan final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    starts.push_back(mark);
    root_seen_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { root(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    root(mark);
    if (!alias_found) first_alias = mark;
    alias_found = true;
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    root(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    root(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    root(mark);
  }
  void OnMapEnd() override {}

  // A second document start where the first one was: the parser did not move, a stray token
  // (e.g. ',') sits where a document should start.
  bool stray_token() const { return starts.size() > 1 && starts[1].pos == starts[0].pos; }
  // Where to report a second document: its first node, else its start.
  const YAML::Mark& second_document() const { return roots.size() > 1 ? roots[1] : starts[1]; }

  bool alias_found = false;
  YAML::Mark first_alias = YAML::Mark::null_mark();
  std::vector<YAML::Mark> starts;  // one per document (at most two)
  std::vector<YAML::Mark> roots;   // the first node of each document

 private:
  void root(const YAML::Mark& mark) {
    if (!root_seen_) roots.push_back(mark);
    root_seen_ = true;
  }
  bool root_seen_ = false;
};

// Scans at most two documents of `text`.
inline DocumentScan scan_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentScan scan;
  for (int n = 0; n < 2 && parser.HandleNextDocument(scan); ++n) {
  }
  return scan;
}

// The scan above parses the whole first document, and the caller then parses it again with
// YAML::Load to build the tree: for large rule sets most of the load time. load_plain()
// builds the tree once and says when the scan can be skipped because it could only report
// nothing, which holds when all of these do:
//   - no '&' anywhere: no anchor, so no alias (an alias to an undefined anchor throws);
//   - no line starts with "---", "..." or '%': no second document, no directive;
//   - the root is a block mapping starting in column 0: whatever follows it in column 0 is
//     more of it or a syntax error, never an implicit second document (as it would be after a
//     flow collection or a scalar root), and no stray token can sit where it starts.
// Returns the tree when they hold, std::nullopt when the caller must scan (and load again).
// Throws what YAML::Load throws: the same exceptions the scan would have thrown first.
inline std::optional<YAML::Node> load_plain(const std::string& text) {
  if (text.find('&') != std::string::npos) return std::nullopt;
  for (std::size_t line = 0; line < text.size();) {
    const std::string_view rest(text.data() + line, text.size() - line);
    if (rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%')) {
      return std::nullopt;
    }
    const std::size_t nl = text.find('\n', line);
    if (nl == std::string::npos) break;
    line = nl + 1;
  }
  YAML::Node root = YAML::Load(text);
  if (!root.IsMap() || root.Style() != YAML::EmitterStyle::Block || root.Mark().column != 0) {
    return std::nullopt;
  }
  return root;
}

}  // namespace newswatch::yaml
