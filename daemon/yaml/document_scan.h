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
#include <sstream>
#include <string>
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

}  // namespace newswatch::yaml
