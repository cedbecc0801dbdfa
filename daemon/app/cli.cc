#include "daemon/app/cli.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "daemon/app/offline.h"
#include "daemon/app/version.h"  // generated

namespace newswatch::app {

int main(int argc, char** argv) {
  CLI::App app{
      "newswatch — streaming news monitoring: matches articles against watchlist rules and "
      "publishes alerts.\n\nRules are YAML files in a directory (see docs/rule-language.md). Try:\n"
      "  newswatch check rules/\n"
      "  newswatch test rules/\n"
      "  newswatch match --rules rules/ articles.jsonl\n"
      "  newswatch explain --rules rules/ --rule alibaba-europe-finance article.json\n\n"
      "Exit codes: 0 ok, 1 invalid rules or failed tests, 2 usage or input error.",
      "newswatch"};
  app.set_version_flag("-V,--version", std::string("newswatch ") + std::string(kVersion));
  app.require_subcommand(1);
  app.fallthrough();

  CheckOptions check;
  auto* c = app.add_subcommand("check", "Validate a rules directory: every error with path:line:column.");
  c->add_option("RULES_DIR", check.rules_dir, "Directory of *.yaml rule files")->required();
  c->add_flag("-q,--quiet", check.quiet, "Print only problems");
  c->add_flag("--warnings-as-errors", check.warnings_as_errors, "Exit 1 when there are warnings");

  TestOptions test;
  auto* t = app.add_subcommand("test", "Run every rule's tests (match / no_match articles).");
  t->add_option("RULES_DIR", test.rules_dir, "Directory of *.yaml rule files")->required();

  MatchOptions match;
  auto* m = app.add_subcommand(
      "match",
      "Match JSON Lines articles (files or stdin) and print one alert per line on stdout. A file "
      "named *.json holds one article; other files and stdin hold one article per line. Bad "
      "lines are reported on stderr with their line number and skipped; a summary follows.");
  m->add_option("-r,--rules", match.rules_dir, "Directory of *.yaml rule files")->required();
  m->add_option("INPUT", match.inputs, "Input files ('-' or none: stdin)");
  m->add_option("--max-message-bytes", match.max_message_bytes, "Largest article accepted (e.g. 1MiB)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  m->add_flag("--html", match.html, "Bodies are HTML: strip tags and decode entities before matching");
  m->add_flag("!--no-dedup", match.dedup, "Do not apply the rules' dedup windows");
  m->add_flag("-q,--quiet", match.quiet, "No summary on stderr");
  m->add_flag("--rule-counts", match.rule_counts, "Print alerts per rule on stderr at the end");

  ExplainOptions explain;
  auto* e = app.add_subcommand("explain", "Show why rules fired or not on one article.");
  e->add_option("-r,--rules", explain.rules_dir, "Directory of *.yaml rule files")->required();
  e->add_option("--rule", explain.rule_id, "Rule id (default: every rule that fired)");
  e->add_option("ARTICLE", explain.article, "JSON file with one article, or '-'")->required();
  e->add_flag("--html", explain.html, "The body is HTML");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    const int code = app.exit(err);
    return code == 0 ? 0 : 2;
  }
  if (c->parsed()) return run_check(check);
  if (t->parsed()) return run_test(test);
  if (m->parsed()) return run_match(match);
  if (e->parsed()) return run_explain(explain);
  return 2;
}

}  // namespace newswatch::app
