#include "tests/integration/support/kafka.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <unistd.h>

namespace newswatch::itest {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kRetryBackoff{100};
// How long a topic may stay unknown to metadata before partitions_of() gives up on it (covers
// metadata propagation right after a creation by another client).
constexpr milliseconds kUnknownTopicGrace{2000};

int remaining_ms(Clock::time_point deadline, milliseconds cap = milliseconds(1000)) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp(left, milliseconds(1), cap).count());
}

Error kafka_error(std::string what, rd_kafka_resp_err_t code, std::string_view detail = {}) {
  std::string msg = std::move(what);
  msg += ": ";
  msg += detail.empty() ? rd_kafka_err2str(code) : std::string(detail);
  msg += " (";
  msg += rd_kafka_err2name(code);
  msg += ")";
  return Error{std::move(msg), code, 0};
}

// Errors reported through error_cb that end the current operation: a rejected SASL login and
// librdkafka fatal errors. Everything else (broker down, transport) is transient and left to
// librdkafka's retries and the operation's own timeout.
class ErrorSink {
 public:
  void record(rd_kafka_t* rk, rd_kafka_resp_err_t code, const char* reason) {
    std::string detail = reason != nullptr ? reason : "";
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512] = {};
      code = rd_kafka_fatal_error(rk, buf, sizeof buf);
      detail = std::string("fatal: ") + buf;
    } else if (code != RD_KAFKA_RESP_ERR__AUTHENTICATION) {
      return;
    }
    std::lock_guard lock(mu_);
    if (!first_) first_ = kafka_error("client error", code, detail);
  }
  std::optional<Error> fatal() const {
    std::lock_guard lock(mu_);
    return first_;
  }

 private:
  mutable std::mutex mu_;
  std::optional<Error> first_;
};

void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  static_cast<ErrorSink*>(opaque)->record(rk, static_cast<rd_kafka_resp_err_t>(err), reason);
}

// The per-message opaque of a produced message: where its delivery report goes.
struct DeliverySlot {
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  int32_t partition = -1;
  int64_t offset = -1;
};

void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* /*opaque*/) {
  auto* slot = static_cast<DeliverySlot*>(m->_private);
  if (slot == nullptr) return;
  slot->done = true;
  slot->err = m->err;
  slot->partition = m->partition;
  slot->offset = m->offset;
}

struct RkDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RkPtr = std::unique_ptr<rd_kafka_t, RkDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

using Properties = std::vector<std::pair<std::string, std::string>>;

// Creates a client. `sink` must outlive it (it is the error callback's opaque).
Result<RkPtr> make_client(const ClientConfig& config, rd_kafka_type_t type,
                          const Properties& defaults, ErrorSink* sink, bool delivery_reports) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512] = {};
  Properties all = {{"bootstrap.servers", config.bootstrap},
                    {"client.id", "newswatch-itest"},
                    {"log.connection.close", "false"}};
  all.insert(all.end(), defaults.begin(), defaults.end());
  all.insert(all.end(), config.properties.begin(), config.properties.end());
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error{"librdkafka property " + k + "=" + v + ": " + errstr};
    }
  }
  rd_kafka_conf_set_opaque(conf, sink);
  rd_kafka_conf_set_error_cb(conf, on_error);
  if (delivery_reports) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (rk == nullptr) {  // conf is still ours on failure
    rd_kafka_conf_destroy(conf);
    return Error{std::string("rd_kafka_new: ") + errstr};
  }
  return RkPtr(rk);
}

// Serves queued callbacks (error_cb) of a client whose main queue is not redirected to the
// consumer queue, and returns a fatal error if one was seen.
std::optional<Error> serve(rd_kafka_t* rk, const ErrorSink& sink) {
  rd_kafka_poll(rk, 0);
  return sink.fatal();
}

struct TopicMetadata {
  std::vector<int32_t> partitions;
  bool all_have_leaders = true;
};

// One metadata request for `topic`. Error on failure (including an unknown topic).
Result<TopicMetadata> fetch_topic_metadata(rd_kafka_t* rk, const std::string& topic,
                                           int timeout_ms) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rkt == nullptr) {
    return kafka_error("topic handle " + topic, rd_kafka_last_error());
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error("metadata for " + topic, err);
  Result<TopicMetadata> out = Error{"metadata response without topic " + topic};
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      out = kafka_error("topic " + topic, t.err);
      break;
    }
    TopicMetadata tm;
    for (int p = 0; p < t.partition_cnt; ++p) {
      tm.partitions.push_back(t.partitions[p].id);
      if (t.partitions[p].leader < 0 || t.partitions[p].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        tm.all_have_leaders = false;
      }
    }
    std::sort(tm.partitions.begin(), tm.partitions.end());
    if (tm.partitions.empty()) tm.all_have_leaders = false;
    out = std::move(tm);
    break;
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

// Retries metadata until `topic` shows up (with leaders for every partition if
// `want_leaders`, and exactly `want_count` partitions if >= 0) or the deadline passes.
Result<std::vector<int32_t>> await_topic(rd_kafka_t* rk, const ErrorSink& sink,
                                         const std::string& topic, Clock::time_point deadline,
                                         bool want_leaders, int want_count,
                                         milliseconds unknown_grace) {
  const auto start = Clock::now();
  Error last{"timed out waiting for metadata of " + topic};
  while (true) {
    if (auto fatal = serve(rk, sink)) return *fatal;
    auto md = fetch_topic_metadata(rk, topic, remaining_ms(deadline, milliseconds(2000)));
    if (auto fatal = serve(rk, sink)) return *fatal;
    if (md.ok()) {
      const bool count_ok =
          want_count < 0 || md->partitions.size() == static_cast<std::size_t>(want_count);
      if (count_ok && (!want_leaders || md->all_have_leaders)) return std::move(md->partitions);
      last = Error{"topic " + topic + " has " + std::to_string(md->partitions.size()) +
                   " partitions" + (md->all_have_leaders ? "" : ", not all with a leader")};
    } else {
      last = md.error();
      if (md.error().kafka_code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
          Clock::now() - start >= unknown_grace) {
        return last;
      }
    }
    if (Clock::now() + kRetryBackoff >= deadline) break;
    std::this_thread::sleep_for(kRetryBackoff);
  }
  last.message = "timed out: " + last.message;
  return last;
}

std::string trim(std::string s) {
  const auto ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read " + path.string()};
  std::ostringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}();
  std::ostringstream ss;
  ss << prefix << '-' << ::getpid() << '-' << counter.fetch_add(1) << '-' << std::hex << salt;
  return ss.str();
}

std::vector<Header> read_headers(const rd_kafka_message_t* m) {
  std::vector<Header> out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* val = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0;
       rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    Header h{name, std::nullopt};
    if (val != nullptr) h.value = std::string(static_cast<const char*>(val), size);
    out.push_back(std::move(h));
  }
  return out;
}

std::optional<std::string> bytes(const void* p, std::size_t n) {
  if (p == nullptr) return std::nullopt;
  return std::string(static_cast<const char*>(p), n);
}

}  // namespace

// ----------------------------------------------------------------------------------------------

Result<KafkaFixture> KafkaFixture::from_env() {
  const char* dir = std::getenv("NEWSWATCH_TEST_KAFKA_STATE");
  if (dir == nullptr || *dir == '\0') {
    return Error{
        "NEWSWATCH_TEST_KAFKA_STATE is not set: run integration tests through ctest "
        "(fixture 'kafka') or export it to a state dir of scripts/kafka.sh start"};
  }
  return from_state_dir(dir);
}

Result<KafkaFixture> KafkaFixture::from_state_dir(const std::string& state_dir) {
  std::error_code ec;
  auto dir = std::filesystem::absolute(state_dir, ec);
  if (ec) return Error{"bad state dir " + state_dir + ": " + ec.message()};
  auto bootstrap = read_small_file(dir / "bootstrap");
  if (!bootstrap.ok()) {
    return Error{"no Kafka fixture in " + dir.string() + " (" + bootstrap.error().message +
                 "); was kafka.start run?"};
  }
  auto sasl = read_small_file(dir / "sasl_bootstrap");
  if (!sasl.ok()) return sasl.error();
  return KafkaFixture{dir.string(), std::move(bootstrap).value(), std::move(sasl).value()};
}

std::string kafka_script() {
  return std::string(NEWSWATCH_SOURCE_DIR) + "/scripts/kafka.sh";
}
std::string prometheus_script() {
  return std::string(NEWSWATCH_SOURCE_DIR) + "/scripts/prometheus.sh";
}

ClientConfig ClientConfig::plaintext(const KafkaFixture& fixture) {
  return ClientConfig{fixture.bootstrap, {}};
}

ClientConfig ClientConfig::sasl(const KafkaFixture& fixture, std::string_view mechanism,
                                std::string_view user, std::string_view password) {
  return ClientConfig{fixture.sasl_bootstrap,
                      {{"security.protocol", "SASL_PLAINTEXT"},
                       {"sasl.mechanisms", std::string(mechanism)},
                       {"sasl.username", std::string(user)},
                       {"sasl.password", std::string(password)}}};
}

std::string unique_topic_name(std::string_view prefix) {
  return unique_name(prefix);
}
std::string unique_group_id(std::string_view prefix) {
  return unique_name(prefix);
}

Status check_connection(const ClientConfig& config, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ErrorSink sink;
  auto rk = make_client(config, RD_KAFKA_PRODUCER, {}, &sink, false);
  if (!rk.ok()) return rk.error();
  Error last{"timed out connecting to " + config.bootstrap};
  while (Clock::now() < deadline) {
    const rd_kafka_metadata_t* md = nullptr;
    auto err =
        rd_kafka_metadata(rk->get(), 0, nullptr, &md, remaining_ms(deadline, milliseconds(500)));
    if (auto fatal = serve(rk->get(), sink)) {
      if (md != nullptr) rd_kafka_metadata_destroy(md);
      return *fatal;
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const bool has_brokers = md->broker_cnt > 0;
      rd_kafka_metadata_destroy(md);
      if (has_brokers) return {};
      last = Error{"metadata from " + config.bootstrap + " lists no broker"};
    } else {
      last = kafka_error("metadata from " + config.bootstrap, err);
    }
  }
  return last;
}

Status create_topic(const ClientConfig& config, const std::string& name, int partitions,
                    milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ErrorSink sink;
  auto client = make_client(config, RD_KAFKA_PRODUCER, {}, &sink, false);
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();

  char errstr[512] = {};
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, 1, errstr, sizeof errstr);
  if (topic == nullptr) return Error{"invalid topic " + name + ": " + errstr};
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  const int op_ms = remaining_ms(deadline, timeout);
  rd_kafka_AdminOptions_set_operation_timeout(options, op_ms, errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_request_timeout(options, op_ms, errstr, sizeof errstr);
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, &topic, 1, options, queue.get());
  rd_kafka_NewTopic_destroy(topic);  // CreateTopics copied both
  rd_kafka_AdminOptions_destroy(options);

  Status created = Error{"timed out creating topic " + name};
  while (Clock::now() < deadline) {
    rd_kafka_event_t* ev =
        rd_kafka_queue_poll(queue.get(), remaining_ms(deadline, milliseconds(100)));
    if (auto fatal = serve(rk, sink)) {
      if (ev != nullptr) rd_kafka_event_destroy(ev);
      return *fatal;
    }
    if (ev == nullptr) continue;
    if (rd_kafka_event_type(ev) != RD_KAFKA_EVENT_CREATETOPICS_RESULT) {
      rd_kafka_event_destroy(ev);
      continue;
    }
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      created = kafka_error("CreateTopics " + name, rd_kafka_event_error(ev),
                            rd_kafka_event_error_string(ev));
    } else {
      std::size_t n = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      created = Error{"CreateTopics " + name + ": no result for the topic"};
      for (std::size_t i = 0; i < n; ++i) {
        auto err = rd_kafka_topic_result_error(results[i]);
        const char* msg = rd_kafka_topic_result_error_string(results[i]);
        created = err == RD_KAFKA_RESP_ERR_NO_ERROR
                      ? Status()
                      : Status(kafka_error("CreateTopics " + name, err, msg ? msg : ""));
      }
    }
    rd_kafka_event_destroy(ev);
    break;
  }
  if (!created.ok()) return created;
  auto ready = await_topic(rk, sink, name, deadline, /*want_leaders=*/true, partitions, timeout);
  if (!ready.ok()) return ready.error();
  return {};
}

Result<std::vector<int32_t>> partitions_of(const ClientConfig& config, const std::string& topic,
                                           milliseconds timeout) {
  ErrorSink sink;
  auto rk = make_client(config, RD_KAFKA_PRODUCER, {}, &sink, false);
  if (!rk.ok()) return rk.error();
  return await_topic(rk->get(), sink, topic, Clock::now() + timeout, false, -1, kUnknownTopicGrace);
}

Result<std::vector<Delivered>> produce(const ClientConfig& config, const std::string& topic,
                                       const std::vector<OutgoingMessage>& messages,
                                       milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Declared before the client so that it outlives every delivery callback.
  std::vector<DeliverySlot> slots(messages.size());
  ErrorSink sink;
  auto client = make_client(config, RD_KAFKA_PRODUCER,
                            {{"acks", "all"},
                             {"linger.ms", "5"},
                             {"message.timeout.ms", std::to_string(timeout.count())}},
                            &sink, true);
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();

  for (std::size_t i = 0; i < messages.size(); ++i) {
    const OutgoingMessage& m = messages[i];
    rd_kafka_headers_t* hdrs = nullptr;
    if (!m.headers.empty()) {
      hdrs = rd_kafka_headers_new(m.headers.size());
      for (const Header& h : m.headers) {
        rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()),
                            h.value ? h.value->data() : nullptr,
                            h.value ? static_cast<ssize_t>(h.value->size()) : 0);
      }
    }
    rd_kafka_vu_t vus[8] = {};
    std::size_t n = 0;
    vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
    vus[n++].u.cstr = topic.c_str();
    if (m.partition) {
      vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
      vus[n++].u.i32 = *m.partition;
    }
    if (m.key) {  // RD_KAFKA_MSG_F_COPY: librdkafka copies, never writes through the pointer
      vus[n].vtype = RD_KAFKA_VTYPE_KEY;
      vus[n].u.mem.ptr = const_cast<char*>(m.key->data());
      vus[n++].u.mem.size = m.key->size();
    }
    if (m.value) {
      vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
      vus[n].u.mem.ptr = const_cast<char*>(m.value->data());
      vus[n++].u.mem.size = m.value->size();
    }
    if (hdrs != nullptr) {
      vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
      vus[n++].u.headers = hdrs;
    }
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n++].u.ptr = &slots[i];
    while (true) {
      rd_kafka_error_t* error = rd_kafka_produceva(rk, vus, n);
      if (error == nullptr) break;  // librdkafka owns hdrs now
      const auto code = rd_kafka_error_code(error);
      const std::string text = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL && Clock::now() < deadline) {
        rd_kafka_poll(rk, 50);
        continue;
      }
      if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);
      return kafka_error("produce message " + std::to_string(i) + " to " + topic, code, text);
    }
    if (auto fatal = serve(rk, sink)) return *fatal;
  }

  auto pending = [&] {
    return std::count_if(slots.begin(), slots.end(), [](const DeliverySlot& s) { return !s.done; });
  };
  while (pending() > 0) {
    if (Clock::now() >= deadline) {
      return Error{"timed out: " + std::to_string(pending()) + " of " +
                   std::to_string(slots.size()) + " messages to " + topic + " not delivered"};
    }
    rd_kafka_poll(rk, remaining_ms(deadline, milliseconds(100)));
    if (auto fatal = sink.fatal()) return *fatal;
  }
  std::vector<Delivered> out;
  out.reserve(slots.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error("delivery of message " + std::to_string(i) + " to " + topic, slots[i].err);
    }
    out.push_back(Delivered{slots[i].partition, slots[i].offset});
  }
  return out;
}

Result<std::vector<ConsumedMessage>> consume_all(const ClientConfig& config,
                                                 const std::string& topic,
                                                 const ConsumeOptions& options) {
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  const std::string group =
      options.group_id.empty() ? unique_group_id("newswatch-itest") : options.group_id;
  ErrorSink sink;
  auto client = make_client(config, RD_KAFKA_CONSUMER,
                            {{"group.id", group},
                             {"enable.auto.commit", "false"},
                             {"enable.auto.offset.store", "false"},
                             {"auto.offset.reset", "earliest"},
                             {"enable.partition.eof", options.stop_at_end ? "true" : "false"},
                             {"allow.auto.create.topics", "false"},
                             {"isolation.level", options.isolation_level}},
                            &sink, false);
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();

  auto partitions =
      await_topic(rk, sink, topic, deadline, /*want_leaders=*/false, -1, kUnknownTopicGrace);
  if (!partitions.ok()) return partitions.error();

  rd_kafka_poll_set_consumer(rk);  // error_cb is now served by rd_kafka_consumer_poll
  PartitionListPtr assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions->size())));
  for (int32_t p : *partitions) {
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (auto err = rd_kafka_assign(rk, assignment.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error("assign " + topic, err);
  }

  std::vector<ConsumedMessage> out;
  std::map<int32_t, int64_t> next_offset;
  std::set<int32_t> at_end;  // partitions that reported EOF (only with stop_at_end)
  auto last_progress = start;
  Result<std::vector<ConsumedMessage>> result = Error{};
  bool failed = false;
  while (true) {
    if (options.max_messages && out.size() >= *options.max_messages) break;
    if (options.stop_at_end && at_end.size() == partitions->size()) break;
    const auto now = Clock::now();
    if (now >= deadline || now - last_progress >= options.idle_timeout) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (auto fatal = sink.fatal()) {
      if (m != nullptr) rd_kafka_message_destroy(m);
      result = *fatal;
      failed = true;
      break;
    }
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = kafka_error("consume " + topic, m->err, rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      failed = true;
      break;
    }
    ConsumedMessage c;
    c.topic = rd_kafka_topic_name(m->rkt);
    c.partition = m->partition;
    c.offset = m->offset;
    c.key = bytes(m->key, m->key_len);
    c.value = bytes(m->payload, m->len);
    c.headers = read_headers(m);
    c.timestamp_ms = rd_kafka_message_timestamp(m, &c.timestamp_type);
    next_offset[m->partition] = m->offset + 1;
    out.push_back(std::move(c));
    rd_kafka_message_destroy(m);
    last_progress = Clock::now();
  }

  if (!failed && options.commit && !next_offset.empty()) {
    PartitionListPtr offsets(
        rd_kafka_topic_partition_list_new(static_cast<int>(next_offset.size())));
    for (const auto& [p, o] : next_offset) {
      rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), p)->offset = o;
    }
    auto err = rd_kafka_commit(rk, offsets.get(), /*async=*/0);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < offsets->cnt; ++i) {
      err = offsets->elems[i].err;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = kafka_error("commit offsets of group " + group, err);
      failed = true;
    }
  }
  rd_kafka_consumer_close(rk);
  if (failed) return result;
  return out;
}

Result<std::map<int32_t, int64_t>> committed_offsets(const ClientConfig& config,
                                                     const std::string& group,
                                                     const std::string& topic,
                                                     milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ErrorSink sink;
  auto client = make_client(config, RD_KAFKA_CONSUMER,
                            {{"group.id", group}, {"enable.auto.commit", "false"}}, &sink, false);
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();
  auto partitions = await_topic(rk, sink, topic, deadline, false, -1, kUnknownTopicGrace);
  if (!partitions.ok()) return partitions.error();
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions->size())));
  for (int32_t p : *partitions) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  auto err = rd_kafka_committed(rk, list.get(), remaining_ms(deadline, timeout));
  if (auto fatal = serve(rk, sink)) return *fatal;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error("committed offsets of group " + group, err);
  }
  std::map<int32_t, int64_t> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error("committed offset of " + topic + "/" + std::to_string(e.partition), e.err);
    }
    out[e.partition] = e.offset;
  }
  rd_kafka_consumer_close(rk);
  return out;
}

Result<std::map<int32_t, int64_t>> end_offsets(const ClientConfig& config, const std::string& topic,
                                               milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ErrorSink sink;
  auto client = make_client(config, RD_KAFKA_PRODUCER, {}, &sink, false);
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();
  auto partitions = await_topic(rk, sink, topic, deadline, false, -1, kUnknownTopicGrace);
  if (!partitions.ok()) return partitions.error();
  std::map<int32_t, int64_t> out;
  for (int32_t p : *partitions) {
    int64_t low = -1;
    int64_t high = -1;
    auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high,
                                                remaining_ms(deadline, timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error("watermarks of " + topic + "/" + std::to_string(p), err);
    }
    out[p] = high;
  }
  return out;
}

}  // namespace newswatch::itest
