#include "daemon/app/run.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include <pthread.h>
#include <signal.h>

#include "daemon/app/rules_watcher.h"
#include "daemon/app/version.h"  // generated
#include "daemon/kafka/kafka.h"
#include "daemon/match/dedup.h"
#include "daemon/match/rule_set.h"
#include "daemon/match/rule_tests.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/sink/kafka_sink.h"
#include "daemon/source/kafka_source.h"
#include "daemon/telemetry/http_server.h"
#include "daemon/telemetry/kafka_stats.h"
#include "daemon/telemetry/log.h"
#include "daemon/telemetry/metrics.h"

namespace newswatch::app {
namespace {

using telemetry::Fields;
using telemetry::log_event;
namespace lvl = spdlog::level;

std::string join(const std::vector<kafka::TopicPartition>& parts) {
  std::string s;
  for (const auto& tp : parts) {
    if (!s.empty()) s += ',';
    s += kafka::to_string(tp);
  }
  return s;
}

// Logs what the Kafka clients and the pipeline report, rate-limited where it can repeat per
// message; prints delivered alerts in the embedded demo.
class DaemonEvents final : public kafka::ClientEvents, public pipeline::PipelineEvents {
 public:
  DaemonEvents(spdlog::logger& log, telemetry::Metrics& metrics, bool print_alerts)
      : log_(log),
        metrics_(metrics),
        print_alerts_(print_alerts),
        limiter_(5, std::chrono::seconds(10)) {}

  void set_pipeline(pipeline::Pipeline* p) { pipeline_.store(p); }

  // kafka::ClientEvents
  void on_log(std::string_view client, int level, std::string_view facility,
              std::string_view message) override {
    const auto l = level <= 3   ? lvl::err
                   : level == 4 ? lvl::warn
                   : level <= 6 ? lvl::info
                                : lvl::debug;
    log_limited(log_, limiter_, std::string("rdkafka:") + std::string(facility), l, "librdkafka",
                Fields()
                    .add("client", client)
                    .add("facility", facility)
                    .add("detail", telemetry::redact(message)));
  }
  void on_error(std::string_view client, rd_kafka_resp_err_t err, std::string_view reason,
                bool fatal) override {
    if (fatal) {
      log_event(log_, lvl::critical, "fatal Kafka error",
                Fields()
                    .add("client", client)
                    .add("error", rd_kafka_err2name(err))
                    .add("detail", telemetry::redact(reason)));
      if (auto* p = pipeline_.load())
        p->report_fatal(std::string(client) + ": " + std::string(reason));
      return;
    }
    log_limited(log_, limiter_, std::string("kafka-error:") + rd_kafka_err2name(err), lvl::warn,
                "Kafka error",
                Fields()
                    .add("client", client)
                    .add("error", rd_kafka_err2name(err))
                    .add("detail", telemetry::redact(reason)));
  }
  void on_statistics(std::string_view client, std::string_view json) override {
    if (client == "consumer") {
      const auto lags = telemetry::parse_consumer_lag(json);
      metrics_.set_consumer_lag(lags);
    }
  }

  // pipeline::PipelineEvents
  void assigned(const std::vector<kafka::TopicPartition>& parts) override {
    log_event(log_, lvl::info, "partitions assigned",
              Fields().add("event", "assign").add("partitions", join(parts)));
  }
  void revoked(const std::vector<kafka::TopicPartition>& parts, std::size_t abandoned,
               bool drained) override {
    log_event(log_, drained ? lvl::info : lvl::warn, "partitions revoked",
              Fields()
                  .add("event", "revoke")
                  .add("partitions", join(parts))
                  .add("abandoned", abandoned)
                  .add("drained", drained));
  }
  void undecodable(const kafka::TopicPartition& tp, std::int64_t offset,
                   const decode::DecodeError& error, bool dead_lettered) override {
    log_limited(log_, limiter_,
                std::string("undecodable:") + std::string(decode::to_string(error.code)), lvl::warn,
                dead_lettered ? "undecodable message sent to the dead-letter topic"
                              : "undecodable message skipped",
                Fields()
                    .add("topic", tp.topic)
                    .add("partition", tp.partition)
                    .add("offset", offset)
                    .add("reason", decode::to_string(error.code))
                    .add("detail", error.detail));
  }
  void delivery_failed(std::string_view topic, rd_kafka_resp_err_t err, int attempt) override {
    log_limited(
        log_, limiter_, std::string("delivery:") + rd_kafka_err2name(err), lvl::warn,
        "delivery failed, will retry",
        Fields().add("topic", topic).add("error", rd_kafka_err2name(err)).add("attempt", attempt));
  }
  void consumer_error(std::string_view what) override {
    log_limited(log_, limiter_, "consumer", lvl::warn, "consumer error",
                Fields().add("detail", what));
  }
  void commit_failed(rd_kafka_resp_err_t err) override {
    log_event(log_, lvl::err, "offset commit failed",
              Fields().add("error", rd_kafka_err2name(err)));
  }
  void alert_delivered(std::string_view, std::string_view json) override {
    if (!print_alerts_) return;
    std::lock_guard lock(print_mu_);
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

 private:
  spdlog::logger& log_;
  telemetry::Metrics& metrics_;
  bool print_alerts_;
  telemetry::RateLimiter limiter_;
  std::mutex print_mu_;
  std::atomic<pipeline::Pipeline*> pipeline_{nullptr};
};

// Signals are handled by one thread with sigwait(): SIGINT/SIGTERM request a stop (a second
// one forces an immediate exit), SIGHUP requests a rule reload.
class SignalThread {
 public:
  SignalThread() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    sigaddset(&set_, SIGUSR1);                   // internal wake-up for shutdown of this thread
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // inherited by every thread created after
  }
  void start(std::function<void()> on_stop, std::function<void()> on_reload) {
    thread_ = std::thread([this, on_stop = std::move(on_stop), on_reload = std::move(on_reload)] {
      int stops = 0;
      for (;;) {
        int sig = 0;
        if (sigwait(&set_, &sig) != 0) continue;
        if (sig == SIGUSR1 && done_.load()) return;
        if (sig == SIGHUP) {
          on_reload();
        } else if (sig == SIGINT || sig == SIGTERM) {
          if (++stops > 1) std::_Exit(130);
          on_stop();
        }
      }
    });
  }
  ~SignalThread() {
    if (thread_.joinable()) {
      done_ = true;
      pthread_kill(thread_.native_handle(), SIGUSR1);
      thread_.join();
    }
  }

 private:
  sigset_t set_;
  std::thread thread_;
  std::atomic<bool> done_{false};
};

// Builds rule sets off the hot path and publishes them only when they load and every rule
// test passes.
class Reloader {
 public:
  Reloader(std::string dir, pipeline::RuleSetHolder& holder, telemetry::Metrics& metrics,
           spdlog::logger& log)
      : dir_(std::move(dir)), holder_(holder), metrics_(metrics), log_(log) {}

  // Loads, tests and publishes. False (old set kept) on any problem.
  bool load(std::string_view trigger) {
    const auto start = std::chrono::steady_clock::now();
    match::LoadResult r = match::load_rule_set(dir_);
    std::size_t errors = 0;
    for (const auto& d : r.diagnostics) {
      const bool is_error = d.severity == match::Diagnostic::Severity::kError;
      errors += is_error;
      log_event(log_, is_error ? lvl::err : lvl::warn, is_error ? "rule error" : "rule warning",
                Fields().add("event", "reload").add("diagnostic", d.to_string()));
    }
    if (!r.rules) {
      metrics_.reloads_failed.Increment();
      metrics_.last_reload_successful.Set(0);
      log_event(log_, lvl::err, "rule set not loaded; keeping the current one",
                Fields()
                    .add("event", "reload")
                    .add("trigger", trigger)
                    .add("dir", dir_)
                    .add("errors", errors)
                    .add("result", "failure"));
      return false;
    }
    const match::RuleTestReport tests = match::run_rule_tests(*r.rules);
    if (!tests.ok()) {
      for (const auto& f : tests.failures) {
        log_event(
            log_, lvl::err, "rule test failed",
            Fields().add("event", "reload").add("failure", match::format_failure(*r.rules, f)));
      }
      metrics_.reloads_failed.Increment();
      metrics_.last_reload_successful.Set(0);
      log_event(log_, lvl::err, "rule tests failed; keeping the current rule set",
                Fields()
                    .add("event", "reload")
                    .add("trigger", trigger)
                    .add("failures", tests.failures.size())
                    .add("result", "failure"));
      return false;
    }
    auto snapshot = std::make_shared<pipeline::RulesSnapshot>();
    snapshot->metrics = metrics_.publish_rule_set(*r.rules);
    snapshot->rules = r.rules;
    holder_.publish(snapshot);
    metrics_.reloads_ok.Increment();
    metrics_.last_reload_successful.Set(1);
    metrics_.last_reload_timestamp.Set(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    log_event(log_, lvl::info, "rule set loaded",
              Fields()
                  .add("event", "reload")
                  .add("trigger", trigger)
                  .add("version", r.rules->version())
                  .add("rules", r.rules->rules().size())
                  .add("enabled", r.rules->enabled_rule_count())
                  .add("compile_ms",
                       std::chrono::duration<double, std::milli>(r.rules->compile_time()).count())
                  .add("total_ms", ms)
                  .add("result", "success"));
    return true;
  }

 private:
  std::string dir_;
  pipeline::RuleSetHolder& holder_;
  telemetry::Metrics& metrics_;
  spdlog::logger& log_;
};

// Produces every line of a JSON Lines file into `topic` (the demo feed of the embedded mode).
bool produce_feed(const std::string& bootstrap, const std::string& topic, const std::string& path,
                  std::size_t* count, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read the demo feed " + path;
    return false;
  }
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  kafka::HandlePtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr));
  if (!rk) {
    *error = errstr;
    return false;
  }
  std::string line;
  *count = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    rd_kafka_vu_t vu[3] = {};
    vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[0].u.cstr = topic.c_str();
    vu[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[1].u.i = RD_KAFKA_MSG_F_COPY;
    vu[2].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[2].u.mem.ptr = line.data();
    vu[2].u.mem.size = line.size();
    if (rd_kafka_error_t* e = rd_kafka_produceva(rk.get(), vu, 3)) {
      *error = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      return false;
    }
    ++*count;
    rd_kafka_poll(rk.get(), 0);
  }
  if (rd_kafka_flush(rk.get(), 30'000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = "timed out producing the demo feed";
    return false;
  }
  return true;
}

}  // namespace

int run_daemon(const RunOptions& o) {
  // ---- configuration -------------------------------------------------------------------
  std::optional<std::filesystem::path> file;
  if (o.config_file) file = *o.config_file;
  config::LoadResult loaded = config::load_config(file, o.overrides, config::process_environment());
  if (!loaded.ok()) {
    std::fputs(loaded.error_report().c_str(), stderr);
    std::fprintf(stderr, "newswatch run: the configuration is not valid (%zu problem%s)\n",
                 loaded.errors.size(), loaded.errors.size() == 1 ? "" : "s");
    return 2;
  }
  config::Config cfg = *loaded.config;
  if (o.log_format)
    cfg.log.format = *o.log_format == "json" ? config::LogFormat::kJson : config::LogFormat::kText;

  if (o.check) {
    std::fputs(config::render_config(cfg, config::RenderFormat::kYaml).c_str(), stdout);
    match::LoadResult r = match::load_rule_set(cfg.rules.dir);
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    if (!r.rules) {
      std::fprintf(stderr, "newswatch run --check: rules in %s do not load\n",
                   cfg.rules.dir.c_str());
      return 1;
    }
    const match::RuleTestReport tests = match::run_rule_tests(*r.rules);
    for (const auto& f : tests.failures)
      std::fprintf(stderr, "FAIL %s\n", match::format_failure(*r.rules, f).c_str());
    if (!tests.ok()) return 1;
    std::fprintf(stderr,
                 "newswatch run --check: configuration ok; %zu rules, all %zu rule tests pass\n",
                 r.rules->rules().size(), tests.articles);
    return 0;
  }

  SignalThread signals;  // before any other thread exists, so they all inherit the mask
  auto log = telemetry::make_logger(cfg.log.format, cfg.log.level);
  log_event(*log, lvl::info, "newswatch starting",
            Fields()
                .add("event", "start")
                .add("version", kVersion)
                .add("revision", kGitRevision)
                .add("brokers", cfg.kafka.brokers)
                .add("group", cfg.kafka.group_id)
                .add("rules", cfg.rules.dir)
                .add("workers", cfg.pipeline.workers));
  log_event(*log, lvl::debug, "effective configuration",
            Fields().add("config", config::render_config(cfg, config::RenderFormat::kKeyValue)));

  // ---- telemetry and rules -------------------------------------------------------------
  telemetry::MetricsOptions mo;
  mo.input_topics = cfg.kafka.input_topics;
  mo.per_rule_series = cfg.metrics.per_rule_series;
  mo.max_rule_series = cfg.metrics.max_rule_series;
  mo.version = std::string(kVersion);
  mo.revision = std::string(kGitRevision);
  telemetry::Metrics metrics(mo);
  pipeline::RuleSetHolder holder;
  Reloader reloader(cfg.rules.dir, holder, metrics, *log);
  if (!reloader.load("startup")) {
    log_event(*log, lvl::critical, "cannot start without a valid rule set",
              Fields().add("event", "exit"));
    return 1;
  }

  // ---- Kafka ---------------------------------------------------------------------------
  const bool embedded = cfg.kafka.embedded();
  const bool print_alerts = o.print_alerts.value_or(embedded);
  DaemonEvents events(*log, metrics, print_alerts);
  std::unique_ptr<kafka::EmbeddedCluster> cluster;
  std::string brokers = cfg.kafka.brokers;
  kafka::Properties consumer_props(cfg.kafka.consumer.begin(), cfg.kafka.consumer.end());
  kafka::Properties producer_props(cfg.kafka.producer.begin(), cfg.kafka.producer.end());
  std::string error;
  if (embedded) {
    cluster = kafka::EmbeddedCluster::start(1, &error);
    if (!cluster) {
      log_event(*log, lvl::critical, "cannot start the embedded broker",
                Fields().add("error", error));
      return 1;
    }
    brokers = cluster->bootstrap_servers();
    bool ok = true;
    for (const auto& t : cfg.kafka.input_topics) ok = ok && cluster->create_topic(t, 3, &error);
    for (const auto* t : {&cfg.kafka.alert_topic, &cfg.kafka.shadow_topic, &cfg.kafka.dlq_topic}) {
      if (!t->empty()) ok = ok && cluster->create_topic(*t, 1, &error);
    }
    if (!ok) {
      log_event(*log, lvl::critical, "cannot create topics on the embedded broker",
                Fields().add("error", error));
      return 1;
    }
    // The mock cluster answers long-poll fetches only after fetch.wait.max.ms.
    consumer_props.try_emplace("fetch.wait.max.ms", "50");
    consumer_props.try_emplace("session.timeout.ms", "6000");
    log_event(*log, lvl::info,
              "embedded broker started (librdkafka mock cluster; for demos and tests only)",
              Fields().add("event", "embedded").add("bootstrap", brokers));
    if (!o.demo_feed.empty()) {
      std::size_t n = 0;
      if (!produce_feed(brokers, cfg.kafka.input_topics.front(), o.demo_feed, &n, &error)) {
        log_event(*log, lvl::critical, "cannot produce the demo feed",
                  Fields().add("error", error));
        return 1;
      }
      log_event(*log, lvl::info, "demo feed produced",
                Fields()
                    .add("event", "demo-feed")
                    .add("file", o.demo_feed)
                    .add("messages", n)
                    .add("topic", cfg.kafka.input_topics.front()));
    }
  } else if (!o.demo_feed.empty()) {
    log_event(*log, lvl::err, "--demo-feed needs kafka.brokers: embedded",
              Fields().add("event", "exit"));
    return 2;
  }

  match::Deduplicator dedup(cfg.dedup.max_entries);
  pipeline::PipelineOptions po;
  po.alert_topic = cfg.kafka.alert_topic;
  po.shadow_topic = cfg.kafka.shadow_topic;
  po.dlq_topic = cfg.kafka.dlq_topic;
  po.workers = cfg.pipeline.workers;
  po.queue_capacity = cfg.pipeline.queue_capacity;
  po.max_alerts_per_article = cfg.pipeline.max_alerts_per_article;
  po.decode.max_message_bytes = cfg.input.max_message_bytes;
  po.decode.body_format = cfg.input.body_format == config::BodyFormat::kHtml
                              ? decode::BodyFormat::kHtml
                              : decode::BodyFormat::kText;
  po.revoke_timeout =
      std::min<std::chrono::milliseconds>(cfg.pipeline.shutdown_timeout, std::chrono::seconds(10));
  pipeline::Pipeline pipe(po, holder, dedup, metrics, events);
  events.set_pipeline(&pipe);

  sink::SinkOptions so{brokers, producer_props, cfg.input.max_message_bytes};
  auto sink = sink::KafkaSink::create(so, &events, &pipe, &error);
  if (!sink) {
    log_event(*log, lvl::critical, "cannot create the Kafka producer",
              Fields().add("error", telemetry::redact(error)));
    return 2;
  }
  source::SourceOptions src{brokers, cfg.kafka.group_id, cfg.kafka.input_topics, consumer_props,
                            5000};
  auto source = source::KafkaSource::create(src, &events, &pipe, &error);
  if (!source) {
    log_event(*log, lvl::critical, "cannot create the Kafka consumer",
              Fields().add("error", telemetry::redact(error)));
    return 2;
  }
  pipe.attach(source.get(), sink.get());

  // ---- health and metrics --------------------------------------------------------------
  std::unique_ptr<telemetry::HttpServer> http;
  if (!cfg.metrics.listen.empty()) {
    http = telemetry::HttpServer::start(
        cfg.metrics.listen, metrics.registry(),
        [&]() -> telemetry::Readiness {
          if (!holder.current()) return {false, "no rule set loaded"};
          if (!pipe.assigned()) return {false, "consumer has no partition assigned yet"};
          if (!pipe.producer_healthy()) return {false, "alert deliveries are failing"};
          return {true, ""};
        },
        &error);
    // (the same checks drive the newswatch_ready gauge below)
    if (!http) {
      log_event(*log, lvl::critical, "cannot serve metrics",
                Fields().add("listen", cfg.metrics.listen).add("error", error));
      return 2;
    }
    log_event(*log, lvl::info, "serving /metrics, /healthz and /readyz",
              Fields().add("event", "listen").add("address", http->address()));
  }

  // ---- run ------------------------------------------------------------------------------
  std::atomic<bool> stop{false};
  std::mutex reload_mu;
  std::condition_variable reload_cv;
  bool reload_requested = false;
  std::string reload_trigger;
  bool reload_thread_done = false;
  std::uint64_t dedup_evictions_seen = 0;  // housekeeping thread only
  auto readiness = [&]() -> telemetry::Readiness {
    if (!holder.current()) return {false, "no rule set loaded"};
    if (!pipe.assigned()) return {false, "consumer has no partition assigned yet"};
    if (!pipe.producer_healthy()) return {false, "alert deliveries are failing"};
    return {true, ""};
  };
  // Housekeeping thread: rule reloads on request, and the readiness gauge once a second.
  std::thread reload_thread([&] {
    std::unique_lock lock(reload_mu);
    for (;;) {
      reload_cv.wait_for(lock, std::chrono::seconds(1),
                         [&] { return reload_requested || reload_thread_done; });
      if (reload_thread_done) return;
      metrics.ready.Set(readiness().ready ? 1 : 0);
      metrics.dedup_entries.Set(static_cast<double>(dedup.size()));
      const std::uint64_t evicted = dedup.evictions();
      metrics.dedup_evictions.Increment(static_cast<double>(evicted - dedup_evictions_seen));
      dedup_evictions_seen = evicted;
      if (!reload_requested) continue;
      reload_requested = false;
      const std::string trigger = reload_trigger;
      lock.unlock();
      reloader.load(trigger);
      lock.lock();
    }
  });
  auto request_reload = [&](std::string trigger) {
    std::lock_guard lock(reload_mu);
    reload_requested = true;
    reload_trigger = std::move(trigger);
    reload_cv.notify_one();
  };
  signals.start([&] { stop = true; }, [&] { request_reload("SIGHUP"); });

  std::unique_ptr<RulesWatcher> watcher;
  if (cfg.rules.watch) {
    watcher = RulesWatcher::start(
        cfg.rules.dir, cfg.rules.reload_debounce, [&] { request_reload("file change"); }, &error);
    if (!watcher) {
      log_event(*log, lvl::warn, "not watching the rules directory; reload with SIGHUP",
                Fields().add("dir", cfg.rules.dir).add("error", error));
    } else {
      log_event(
          *log, lvl::info, "watching the rules directory",
          Fields()
              .add("event", "watch")
              .add("dir", cfg.rules.dir)
              .add("debounce_ms", static_cast<std::int64_t>(cfg.rules.reload_debounce.count())));
    }
  }

  pipe.start();
  const auto reason = pipe.run_consumer(stop, o.exit_when_idle);
  const char* why = reason == pipeline::Pipeline::StopReason::kIdle    ? "idle"
                    : reason == pipeline::Pipeline::StopReason::kFatal ? "fatal error"
                                                                       : "signal";
  log_event(
      *log, lvl::info, "stopping",
      Fields()
          .add("event", "shutdown")
          .add("reason", why)
          .add("consumed", pipe.messages_consumed())
          .add("timeout_ms", static_cast<std::int64_t>(cfg.pipeline.shutdown_timeout.count())));
  watcher.reset();
  const bool clean = pipe.shutdown(cfg.pipeline.shutdown_timeout);
  {
    std::lock_guard lock(reload_mu);
    reload_thread_done = true;
    reload_cv.notify_one();
  }
  reload_thread.join();
  http.reset();
  log_event(*log, clean ? lvl::info : lvl::warn, "stopped",
            Fields()
                .add("event", "exit")
                .add("clean", clean)
                .add("reason", why)
                .add("fatal", pipe.fatal_reason()));
  return reason == pipeline::Pipeline::StopReason::kFatal ? 1 : 0;
}

}  // namespace newswatch::app
