#include "daemon/app/cli.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "daemon/app/offline.h"
#include "daemon/app/run.h"
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
  auto* c =
      app.add_subcommand("check", "Validate a rules directory: every error with path:line:column.");
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
  m->add_option("--max-message-bytes", match.max_message_bytes,
                "Largest article accepted (e.g. 1MiB)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  m->add_flag("--html", match.html,
              "Bodies are HTML: strip tags and decode entities before matching");
  m->add_flag("!--no-dedup", match.dedup, "Do not apply the rules' dedup windows");
  m->add_flag("-q,--quiet", match.quiet, "No summary on stderr");
  m->add_flag("--rule-counts", match.rule_counts, "Print alerts per rule on stderr at the end");

  ExplainOptions explain;
  auto* e = app.add_subcommand("explain", "Show why rules fired or not on one article.");
  e->add_option("-r,--rules", explain.rules_dir, "Directory of *.yaml rule files")->required();
  e->add_option("--rule", explain.rule_id, "Rule id (default: every rule that fired)");
  e->add_option("ARTICLE", explain.article, "JSON file with one article, or '-'")->required();
  e->add_flag("--html", explain.html, "The body is HTML");

  RunOptions run;
  auto* r = app.add_subcommand(
      "run",
      "Run the daemon: consume articles from Kafka, match them, publish alerts. Configuration "
      "comes from --config FILE (see docs/configuration.md); the flags below override it. With "
      "kafka.brokers 'embedded' an in-process broker is started (demo mode).\n"
      "Signals: SIGTERM/SIGINT stop gracefully (twice: immediately); SIGHUP reloads the rules.");
  std::string config_file;
  r->add_option("-c,--config", config_file, "YAML configuration file");
  r->add_flag("--check", run.check,
              "Validate the configuration and the rules (with their tests), print the effective "
              "configuration, exit");
  std::string brokers, group, alert_topic, dlq_topic, rules_dir, metrics_listen, log_level,
      log_format;
  std::vector<std::string> input_topics;
  std::int64_t workers = 0;
  r->add_option("--brokers", brokers, "Kafka bootstrap servers (host:port,...) or 'embedded'");
  r->add_option("--group", group, "Consumer group id");
  r->add_option("--input-topic", input_topics,
                "Input topic (repeatable; replaces the configured list)");
  r->add_option("--alert-topic", alert_topic, "Topic alerts are published to");
  r->add_option("--dlq-topic", dlq_topic, "Dead-letter topic for undecodable messages");
  r->add_option("--rules", rules_dir, "Rules directory");
  r->add_option("--workers", workers, "Worker threads");
  r->add_option("--metrics-listen", metrics_listen,
                "host:port for /metrics, /healthz, /readyz ('' disables)");
  r->add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  r->add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  r->add_option("--demo-feed", run.demo_feed,
                "Embedded mode: produce this JSON Lines file into the input topic first");
  r->add_flag("--exit-when-idle", run.exit_when_idle,
              "Exit once every consumed message is handled and delivered");
  bool print = false;
  bool no_print = false;
  r->add_flag("--print-alerts", print,
              "Print delivered alerts on stdout (default with the embedded broker)");
  r->add_flag("--no-print-alerts", no_print, "Do not print delivered alerts");

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
  if (r->parsed()) {
    if (!config_file.empty()) run.config_file = config_file;
    auto& ov = run.overrides;
    if (r->count("--brokers")) ov.brokers = brokers;
    if (r->count("--group")) ov.group_id = group;
    if (!input_topics.empty()) ov.input_topics = input_topics;
    if (r->count("--alert-topic")) ov.alert_topic = alert_topic;
    if (r->count("--dlq-topic")) ov.dlq_topic = dlq_topic;
    if (r->count("--rules")) ov.rules_dir = rules_dir;
    if (r->count("--workers")) ov.workers = workers;
    if (r->count("--metrics-listen")) ov.metrics_listen = metrics_listen;
    if (r->count("--log-level")) ov.log_level = log_level;
    if (r->count("--log-format")) run.log_format = log_format;
    if (print) run.print_alerts = true;
    if (no_print) run.print_alerts = false;
    return run_daemon(run);
  }
  return 2;
}

}  // namespace newswatch::app
