// The daemon's HTTP listener: Prometheus metrics and health probes on one address.
//
//   GET /metrics  200, Content-Type "text/plain; version=0.0.4; charset=utf-8": the registry's
//                 Collect() in the text exposition format 0.0.4 (prometheus::TextSerializer).
//   GET /healthz  200 "ok\n": the process is alive and serving.
//   GET /readyz   200 "ready\n" when readiness().ready, else 503 "not ready: <reason>\n".
//   anything else 404; a method other than GET or HEAD on a known path 405. HEAD is answered
//   like GET without the body. Query strings are ignored.
//
// Binding: only the given address is bound (no wildcard fallback, no second port). `listen`
// is "HOST:PORT" or "[IPV6]:PORT"; HOST is an IPv4 literal or a name resolved once, at start,
// to its first IPv4 address ("localhost" -> 127.0.0.1); PORT is 0..65535, 0 = an ephemeral
// port (see port()). IPv6 needs a civetweb built with IPv6 support: Debian 12's libcivetweb
// 1.15 is not, so "[::1]:9464" is refused with an error saying so.
//
// Threads: civetweb's master thread plus two workers. Handlers run on the workers; a scrape
// only takes the registry's and families' locks, so it never blocks the pipeline for more
// than a counter read. readiness() runs on a worker thread too: it must be thread-safe and
// quick. Exceptions from readiness() or serialisation become 503/500, never escape.
//
// Process-wide side effect (civetweb): starting a server sets SIGPIPE to SIG_IGN.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/registry.h>

struct mg_context;
struct mg_connection;

namespace newswatch::telemetry {

struct Readiness {
  bool ready = false;
  std::string reason;  // why not ready; one line, shown in the 503 body
};

class HttpServer {
 public:
  // Starts serving. Returns null and sets *error (when error is not null) to a one-line
  // reason when `listen` is malformed or cannot be bound (e.g. "cannot listen on
  // 127.0.0.1:9464: cannot bind to 127.0.0.1:9464: 98 (Address already in use)"), or when
  // `registry` or `readiness` is empty. `registry` and `readiness` are kept until destruction.
  static std::unique_ptr<HttpServer> start(std::string listen,
                                           std::shared_ptr<prometheus::Registry> registry,
                                           std::function<Readiness()> readiness,
                                           std::string* error);

  // Stops accepting, waits for in-flight requests to finish, joins the threads. Takes
  // milliseconds (a request stuck on a slow client may hold it for up to civetweb's 2 s
  // socket quantum).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the real one when 0 was asked for).
  std::uint16_t port() const noexcept { return port_; }
  // The address as bound, "127.0.0.1:PORT" (with the real port).
  const std::string& address() const noexcept { return address_; }

 private:
  HttpServer(std::shared_ptr<prometheus::Registry> registry, std::function<Readiness()> readiness);
  static int handle(mg_connection* conn, void* self) noexcept;
  static int log_message(const mg_connection* conn, const char* message) noexcept;
  int serve(mg_connection* conn) noexcept;

  std::shared_ptr<prometheus::Registry> registry_;
  std::function<Readiness()> readiness_;
  mg_context* ctx_ = nullptr;
  std::uint16_t port_ = 0;
  std::string host_;  // numeric
  bool ipv6_ = false;
  std::string address_;
  // civetweb's first message while starting (why a bind failed); later messages are dropped
  // (the library does not log).
  std::mutex log_mutex_;
  std::string start_log_;  // guarded by log_mutex_
  std::atomic<bool> starting_{true};
};

}  // namespace newswatch::telemetry
