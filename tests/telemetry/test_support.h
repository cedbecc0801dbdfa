// Helpers shared by the telemetry tests and the exposition program: a minimal blocking HTTP
// client for loopback, the text exposition of a registry, and rule sets from inline YAML.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "daemon/match/rule_set.h"

namespace newswatch::telemetry::testing {

inline std::string exposition(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

struct HttpResponse {
  int status = 0;  // 0: no response (connection failed or malformed answer)
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

// Sends one HTTP/1.1 request to 127.0.0.1:port with "Connection: close" and reads the
// answer to EOF. Socket timeouts (5 s) bound a broken server; they are not synchronisation.
inline HttpResponse http_request(std::uint16_t port, const std::string& method,
                                 const std::string& target) {
  HttpResponse r;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return r;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return r;
  }
  const std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return r;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return r;
  r.status = std::stoi(raw.substr(9, 3));
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);  // status line
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    r.headers[name] = line.substr(v);
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

inline HttpResponse http_get(std::uint16_t port, const std::string& target) {
  return http_request(port, "GET", target);
}

// A rule set from inline YAML; null when it does not load.
inline std::shared_ptr<const match::CompiledRuleSet> load_rules(const std::string& yaml) {
  std::vector<match::SourceFile> files{{"rules.yaml", yaml}};
  return match::load_rule_set_from_sources(files, std::filesystem::temp_directory_path()).rules;
}

// `n` enabled rules r0..r(n-1) with severities cycling info..critical, rule 1 in shadow mode,
// plus one disabled rule "off".
inline std::string rules_yaml(int n) {
  static const char* kSeverities[] = {"info", "low", "medium", "high", "critical"};
  std::string yaml = "rules:\n";
  for (int i = 0; i < n; ++i) {
    yaml += "  - id: r" + std::to_string(i) + "\n    severity: " + kSeverities[i % 5] +
            "\n    query: word" + std::to_string(i) + "\n";
    if (i == 1) yaml += "    mode: shadow\n";
  }
  yaml += "  - id: off\n    enabled: false\n    query: nothing\n";
  return yaml;
}

}  // namespace newswatch::telemetry::testing
