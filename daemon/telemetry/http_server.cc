#include "daemon/telemetry/http_server.h"

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <civetweb.h>
#include <netdb.h>
#include <netinet/in.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

namespace newswatch::telemetry {
namespace {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kTextContentType = "text/plain; charset=utf-8";
constexpr unsigned kFeatureIpv6 = 8;  // MG_FEATURES_IPV6

struct ListenAddress {
  std::string host;  // numeric: "127.0.0.1" or "::1"
  bool ipv6 = false;
  std::uint16_t port = 0;

  std::string with_port(std::uint16_t p) const {
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(p);
  }
};

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<ListenAddress> parse_listen(std::string_view listen, std::string& error) {
  const std::string quoted = "\"" + std::string(listen) + "\"";
  ListenAddress out;
  std::string_view host;
  std::string_view port;
  if (!listen.empty() && listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      error = "listen address " + quoted + " is not \"[IPV6]:PORT\"";
      return std::nullopt;
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
    out.ipv6 = true;
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) {
      error = "listen address " + quoted + " is not \"HOST:PORT\"";
      return std::nullopt;
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "listen address " + quoted + ": write IPv6 addresses in brackets, \"[::1]:9464\"";
      return std::nullopt;
    }
  }
  const auto p = parse_port(port);
  if (!p) {
    error = "listen address " + quoted + ": port must be a number from 0 to 65535";
    return std::nullopt;
  }
  out.port = *p;
  if (host.empty()) {
    error = "listen address " + quoted + ": missing host (0.0.0.0 listens on every interface)";
    return std::nullopt;
  }
  const std::string host_str(host);
  if (out.ipv6) {
    in6_addr a6{};
    if (::inet_pton(AF_INET6, host_str.c_str(), &a6) != 1) {
      error = "listen address " + quoted + ": \"" + host_str + "\" is not an IPv6 address";
      return std::nullopt;
    }
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    out.host = buf;
    return out;
  }
  in_addr a4{};
  if (::inet_pton(AF_INET, host_str.c_str(), &a4) == 1) {
    out.host = host_str;
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host_str.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    error = "listen address " + quoted + ": cannot resolve \"" + host_str +
            "\" to an IPv4 address: " + (rc != 0 ? ::gai_strerror(rc) : "no address");
    if (res != nullptr) ::freeaddrinfo(res);
    return std::nullopt;
  }
  char buf[INET_ADDRSTRLEN] = {};
  sockaddr_in sin{};
  std::memcpy(&sin, res->ai_addr, sizeof sin);
  ::inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
  ::freeaddrinfo(res);
  out.host = buf;
  return out;
}

void init_civetweb_once() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

// One line, printable: control characters become spaces.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

int send(mg_connection* conn, int status, const char* content_type, std::string_view body,
         bool head, const char* allow = nullptr) {
  const std::string length = std::to_string(body.size());
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", content_type, -1);
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  if (allow != nullptr) mg_response_header_add(conn, "Allow", allow, -1);
  mg_response_header_send(conn);
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
  return status;
}

}  // namespace

HttpServer::HttpServer(std::shared_ptr<prometheus::Registry> registry,
                       std::function<Readiness()> readiness)
    : registry_(std::move(registry)), readiness_(std::move(readiness)) {}

std::unique_ptr<HttpServer> HttpServer::start(std::string listen,
                                              std::shared_ptr<prometheus::Registry> registry,
                                              std::function<Readiness()> readiness,
                                              std::string* error) {
  std::string err;
  const auto fail = [&](std::string message) -> std::unique_ptr<HttpServer> {
    if (error != nullptr) *error = std::move(message);
    return nullptr;
  };
  if (!registry) return fail("metrics listener: no registry");
  if (!readiness) return fail("metrics listener: no readiness check");
  const auto address = parse_listen(listen, err);
  if (!address) return fail(std::move(err));
  if (address->ipv6 && mg_check_feature(kFeatureIpv6) == 0) {
    return fail("cannot listen on " + listen +
                ": this civetweb library was built without IPv6 support; use an IPv4 address");
  }
  init_civetweb_once();

  std::unique_ptr<HttpServer> server(new HttpServer(std::move(registry), std::move(readiness)));
  const std::string ports = address->with_port(address->port);
  const char* options[] = {
      "listening_ports",    ports.c_str(), "num_threads", "2", "enable_keep_alive", "no",
      "request_timeout_ms", "10000",       nullptr,
  };
  mg_callbacks callbacks{};
  callbacks.log_message = &HttpServer::log_message;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options;
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error_data{};
  error_data.code = &error_code;
  error_data.text = error_text;
  error_data.text_buffer_size = sizeof error_text;
  server->ctx_ = mg_start2(&init, &error_data);
  server->starting_ = false;
  if (server->ctx_ == nullptr) {
    std::string reason;
    {
      std::lock_guard lock(server->log_mutex_);
      reason = server->start_log_;
    }
    if (reason.empty()) reason = error_text[0] != '\0' ? error_text : "civetweb failed to start";
    return fail("cannot listen on " + listen + ": " + one_line(reason));
  }
  mg_server_port bound{};
  if (mg_get_server_ports(server->ctx_, 1, &bound) < 1 || bound.port <= 0 || bound.port > 65535) {
    return fail("cannot listen on " + listen + ": civetweb reports no bound port");
  }
  server->port_ = static_cast<std::uint16_t>(bound.port);
  server->host_ = address->host;
  server->ipv6_ = address->ipv6;
  server->address_ = address->with_port(server->port_);
  mg_set_request_handler(server->ctx_, "**", &HttpServer::handle, server.get());
  return server;
}

namespace {

// Opens and closes one TCP connection to the listener (IPv4 or IPv6, numeric host); a
// wildcard address is reached through loopback.
void poke(const std::string& host, bool ipv6, std::uint16_t port) {
  if (ipv6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host.c_str(), &a.sin6_addr) != 1) return;
    if (IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr)) a.sin6_addr = in6addr_loopback;
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    ::close(fd);
    return;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return;
  if (a.sin_addr.s_addr == htonl(INADDR_ANY)) a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  ::close(fd);
}

}  // namespace

HttpServer::~HttpServer() {
  if (ctx_ == nullptr) return;
  // civetweb's master thread notices the stop flag only when its poll() on the listening
  // socket returns, which without traffic takes up to its compile-time quantum (2 s in
  // Debian's build). While mg_stop() waits, a helper connects every 20 ms so that poll()
  // returns at once: stopping takes milliseconds instead of seconds.
  std::mutex m;
  std::condition_variable cv;
  bool stopped = false;
  std::thread waker;
  try {
    waker = std::thread([&] {
      std::unique_lock lock(m);
      while (!stopped) {
        lock.unlock();
        poke(host_, ipv6_, port_);
        lock.lock();
        cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return stopped; });
      }
    });
  } catch (...) {
    // No thread: mg_stop() still works, only slower.
  }
  mg_stop(ctx_);
  {
    std::lock_guard lock(m);
    stopped = true;
  }
  cv.notify_all();
  if (waker.joinable()) waker.join();
}

int HttpServer::log_message(const mg_connection* conn, const char* message) noexcept {
  if (conn == nullptr || message == nullptr) return 1;
  const mg_context* ctx = mg_get_context(conn);
  auto* self = ctx != nullptr ? static_cast<HttpServer*>(mg_get_user_data(ctx)) : nullptr;
  if (self == nullptr || !self->starting_) return 1;
  try {
    std::lock_guard lock(self->log_mutex_);
    if (self->start_log_.empty()) self->start_log_ = message;
  } catch (...) {
  }
  return 1;  // never let civetweb print to stderr
}

int HttpServer::handle(mg_connection* conn, void* self) noexcept {
  return static_cast<HttpServer*>(self)->serve(conn);
}

int HttpServer::serve(mg_connection* conn) noexcept {
  try {
    const mg_request_info* info = mg_get_request_info(conn);
    if (info == nullptr) return 0;
    const std::string_view method = info->request_method != nullptr ? info->request_method : "";
    const std::string_view path = info->local_uri != nullptr ? info->local_uri : "";
    const bool head = method == "HEAD";
    enum class Endpoint { kMetrics, kHealthz, kReadyz, kNone };
    Endpoint endpoint = Endpoint::kNone;
    if (path == "/metrics") endpoint = Endpoint::kMetrics;
    if (path == "/healthz") endpoint = Endpoint::kHealthz;
    if (path == "/readyz") endpoint = Endpoint::kReadyz;
    if (endpoint == Endpoint::kNone) return send(conn, 404, kTextContentType, "not found\n", head);
    if (method != "GET" && !head) {
      return send(conn, 405, kTextContentType, "method not allowed\n", false, "GET, HEAD");
    }
    switch (endpoint) {
      case Endpoint::kMetrics: {
        std::string body;
        try {
          body = prometheus::TextSerializer().Serialize(registry_->Collect());
        } catch (...) {
          return send(conn, 500, kTextContentType, "cannot collect metrics\n", head);
        }
        return send(conn, 200, kMetricsContentType, body, head);
      }
      case Endpoint::kHealthz:
        return send(conn, 200, kTextContentType, "ok\n", head);
      case Endpoint::kReadyz: {
        Readiness r;
        try {
          r = readiness_();
        } catch (...) {
          r = Readiness{false, "readiness check failed"};
        }
        if (r.ready) return send(conn, 200, kTextContentType, "ready\n", head);
        return send(conn, 503, kTextContentType, "not ready: " + one_line(r.reason) + "\n", head);
      }
      case Endpoint::kNone:
        break;
    }
    return send(conn, 404, kTextContentType, "not found\n", head);
  } catch (...) {
    return 500;  // out of memory while answering: civetweb closes the connection
  }
}

}  // namespace newswatch::telemetry
