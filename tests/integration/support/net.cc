#include "tests/integration/support/net.h"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace newswatch::itest {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Error sys_error(const std::string& what, int err) {
  return Error{what + ": " + std::strerror(err), RD_KAFKA_RESP_ERR_NO_ERROR, err};
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// sockaddr_in is layout-compatible with the sockaddr the socket API takes.
sockaddr* as_sockaddr(sockaddr_in* a) {
  return reinterpret_cast<sockaddr*>(a);
}

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

Result<uint16_t> free_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return sys_error("socket", errno);
  sockaddr_in a = loopback(0);
  if (::bind(fd.get(), as_sockaddr(&a), sizeof a) != 0) return sys_error("bind", errno);
  socklen_t len = sizeof a;
  if (::getsockname(fd.get(), as_sockaddr(&a), &len) != 0) return sys_error("getsockname", errno);
  return ntohs(a.sin_port);
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<HttpTextServer>> HttpTextServer::start(std::string path, std::string body,
                                                              std::string content_type) {
  std::unique_ptr<HttpTextServer> s(new HttpTextServer());
  s->path_ = std::move(path);
  s->body_ = std::move(body);
  s->content_type_ = std::move(content_type);
  Fd lfd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (lfd.get() < 0) return sys_error("socket", errno);
  sockaddr_in a = loopback(0);
  if (::bind(lfd.get(), as_sockaddr(&a), sizeof a) != 0) return sys_error("bind", errno);
  if (::listen(lfd.get(), 16) != 0) return sys_error("listen", errno);
  socklen_t len = sizeof a;
  if (::getsockname(lfd.get(), as_sockaddr(&a), &len) != 0) return sys_error("getsockname", errno);
  Fd efd(::eventfd(0, EFD_CLOEXEC));
  if (efd.get() < 0) return sys_error("eventfd", errno);
  s->port_ = ntohs(a.sin_port);
  s->listen_fd_ = lfd.release();
  s->stop_fd_ = efd.release();
  s->thread_ = std::thread([p = s.get()] { p->serve(); });
  return s;
}

HttpTextServer::~HttpTextServer() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void HttpTextServer::set_body(std::string body) {
  std::lock_guard lock(mu_);
  body_ = std::move(body);
}

void HttpTextServer::serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    answer(fd);
    ::close(fd);
  }
}

void HttpTextServer::answer(int fd) {
  // Read the request head (bounded in size and time; a silent client cannot block us long).
  const auto deadline = Clock::now() + milliseconds(2000);
  std::string req;
  char buf[2048];
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) return;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    req.append(buf, static_cast<std::size_t>(n));
  }
  // "GET /path?query HTTP/1.1"
  std::string_view line(req);
  line = line.substr(0, line.find("\r\n"));
  std::string_view target;
  if (line.substr(0, 4) == "GET ") {
    target = line.substr(4);
    target = target.substr(0, target.find(' '));
    target = target.substr(0, target.find('?'));
  }
  std::string status = "200 OK";
  std::string body;
  if (target == path_) {
    std::lock_guard lock(mu_);
    body = body_;
  } else {
    status = "404 Not Found";
    body = "not found\n";
  }
  std::string resp = "HTTP/1.1 " + status + "\r\nContent-Type: " + content_type_ +
                     "\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n" + body;
  if (send_all(fd, resp) && target == path_) requests_.fetch_add(1);
  ::shutdown(fd, SHUT_WR);
}

// ---------------------------------------------------------------------------------------------

Result<HttpResponse> http_get(std::string_view url, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return Error{"http_get: not an http URL"};
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const auto colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return Error{"http_get: URL without port"};
  std::string host(hostport.substr(0, colon));
  int port = 0;
  for (char c : hostport.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return Error{"http_get: bad port in URL"};
    port = port * 10 + (c - '0');
  }
  sockaddr_in a = loopback(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    return Error{"http_get: host must be an IPv4 literal: " + host};
  }

  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return sys_error("socket", errno);
  if (::connect(fd.get(), as_sockaddr(&a), sizeof a) != 0) {
    return sys_error("connect " + std::string(hostport), errno);
  }
  const std::string req = "GET " + target + " HTTP/1.0\r\nHost: " + std::string(hostport) +
                          "\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  if (!send_all(fd.get(), req)) return sys_error("send", errno);

  std::string resp;
  char buf[8192];
  while (true) {
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, ms_left(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Error{"http_get " + std::string(url) + ": timed out"};
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("recv", errno);
    if (n == 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
  }
  const auto head_end = resp.find("\r\n\r\n");
  const auto line_end = resp.find("\r\n");
  if (head_end == std::string::npos || resp.compare(0, 5, "HTTP/") != 0) {
    return Error{"http_get " + std::string(url) + ": malformed response"};
  }
  HttpResponse out;
  const auto sp = resp.find(' ');
  if (sp == std::string::npos || sp + 4 > resp.size()) return Error{"http_get: bad status line"};
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (resp[i] < '0' || resp[i] > '9') return Error{"http_get: bad status line"};
    out.status = out.status * 10 + (resp[i] - '0');
  }
  out.headers = resp.substr(line_end + 2, head_end - line_end - 2);
  out.body = resp.substr(head_end + 4);
  return out;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace newswatch::itest
