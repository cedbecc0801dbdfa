// Between the YAML reader (loader.cc) and the compiler (compiler.cc). Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/match/diagnostic.h"
#include "daemon/match/rule_set.h"

namespace newswatch::match::internal {

struct SourceText {
  std::string path;  // as shown in diagnostics
  std::string content;
};

// Where a YAML scalar sits in its file, so that a byte offset inside the scalar's value can be
// turned into a line and column.
struct ScalarPos {
  const SourceText* file = nullptr;
  std::size_t pos = 0;  // byte offset of the scalar's first character (a quote, '|', ...)
  int line = 0;         // 0-based, as yaml-cpp marks
  int column = 0;
  std::string value;  // the decoded scalar
};

// Diagnostic at `offset` bytes into the scalar's value.
Diagnostic diagnostic_at(const ScalarPos& where, std::uint32_t offset, std::string message,
                         Diagnostic::Severity severity = Diagnostic::Severity::kError);

struct RawListEntry {
  ScalarPos pos;
};

struct RawList {
  std::string name;
  ScalarPos name_pos;
  std::vector<RawListEntry> entries;
};

struct RawRule {
  Rule rule;
  ScalarPos query_pos;
};

struct RawRuleSet {
  std::vector<std::unique_ptr<SourceText>> files;  // stable addresses: ScalarPos points here
  std::vector<RawList> lists;
  std::vector<RawRule> rules;
  std::vector<std::string> relative_paths;  // parallel to files, for the version hash
};

// Parses every file; appends diagnostics for every problem found. Fixture files are read and
// decoded here (resolved against fixture_root).
void read_rule_files(std::vector<SourceFile> files, const std::vector<std::string>& relative_paths,
                     const std::filesystem::path& fixture_root, const LoadOptions& options,
                     RawRuleSet& out, Diagnostics& diagnostics);

// Compiles what read_rule_files produced (appending diagnostics). Returns null on error.
std::shared_ptr<const CompiledRuleSet> compile_rule_set(RawRuleSet raw, const LoadOptions& options,
                                                        Diagnostics& diagnostics);

}  // namespace newswatch::match::internal
