// Loopback networking helpers for integration tests: free ports, a tiny HTTP server serving a
// fixed text (e.g. a Prometheus exposition for a real Prometheus to scrape) and a tiny HTTP
// GET client (e.g. for Prometheus' query API). Loopback (127.0.0.1) only, HTTP/1.0 only: test
// plumbing, not a web stack.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "tests/integration/support/result.h"

namespace newswatch::itest {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
// Another process may take it before the caller binds it: prefer letting the component bind
// port 0 itself, and retry on EADDRINUSE when that is impossible.
Result<uint16_t> free_port();

// Serves `body` for GET <path> and 404 for any other path, on 127.0.0.1:<ephemeral port>,
// from a background thread, one connection at a time (Connection: close).
// Thread-safe: set_body() and requests() may be called from any thread while it serves.
class HttpTextServer {
 public:
  static Result<std::unique_ptr<HttpTextServer>> start(
      std::string path, std::string body,
      std::string content_type = "text/plain; version=0.0.4; charset=utf-8");
  // Stops the thread and closes the socket.
  ~HttpTextServer();
  HttpTextServer(const HttpTextServer&) = delete;
  HttpTextServer& operator=(const HttpTextServer&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void set_body(std::string body);
  // Number of requests answered with the body so far.
  uint64_t requests() const { return requests_.load(); }

 private:
  HttpTextServer() = default;
  void serve();
  void answer(int fd);

  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: written by the destructor to wake the thread
  uint16_t port_ = 0;
  std::string path_;
  std::string content_type_;
  mutable std::mutex mu_;
  std::string body_;
  std::atomic<uint64_t> requests_{0};
  std::thread thread_;
};

struct HttpResponse {
  int status = 0;
  std::string headers;  // raw header block, without the status line
  std::string body;
};

// GET `url` (http://127.0.0.1:PORT/path?query; host must be a literal IPv4 address) with
// HTTP/1.0 and returns the response whatever its status. Error on a connection or protocol
// failure, or when the response does not complete within `timeout`.
Result<HttpResponse> http_get(std::string_view url,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Percent-encodes `s` for a URL query value.
std::string url_encode(std::string_view s);

}  // namespace newswatch::itest
