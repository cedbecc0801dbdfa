// The metrics/health listener on an ephemeral loopback port.
#include "daemon/telemetry/http_server.h"

#include <atomic>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/telemetry/metrics.h"

#include "tests/telemetry/test_support.h"

namespace newswatch::telemetry {
namespace {

using testing::http_get;
using testing::http_request;

std::function<Readiness()> always_ready() {
  return [] { return Readiness{true, ""}; };
}

std::shared_ptr<prometheus::Registry> registry_with_counter() {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("test_requests_total")
      .Help("Test counter.")
      .Register(*registry)
      .Add({{"path", "x"}})
      .Increment(7);
  return registry;
}

std::unique_ptr<HttpServer> start_ok(std::function<Readiness()> readiness = always_ready(),
                                     std::shared_ptr<prometheus::Registry> registry = nullptr) {
  std::string error;
  auto server = HttpServer::start("127.0.0.1:0", registry ? registry : registry_with_counter(),
                                  std::move(readiness), &error);
  EXPECT_TRUE(server) << error;
  return server;
}

TEST(HttpServer, ServesMetricsInTextFormat004) {
  const auto server = start_ok();
  ASSERT_TRUE(server);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));
  const auto r = http_get(server->port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.headers.at("content-length"), std::to_string(r.body.size()));
  EXPECT_NE(r.body.find("# TYPE test_requests_total counter\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("test_requests_total{path=\"x\"} 7\n"), std::string::npos) << r.body;
  // The query string does not change the endpoint.
  EXPECT_EQ(http_get(server->port(), "/metrics?name[]=x").status, 200);
}

TEST(HttpServer, ServesTheMetricsCatalogueWithProcessMetrics) {
  Metrics m(MetricsOptions{});
  m.alerts_failed.Increment(3);
  const auto server = start_ok(always_ready(), m.registry());
  ASSERT_TRUE(server);
  const auto r = http_get(server->port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\nnewswatch_alerts_failed_total 3\n"), std::string::npos);
  EXPECT_NE(r.body.find("\nprocess_open_fds "), std::string::npos);
}

TEST(HttpServer, HealthzIsAlwaysOk) {
  const auto server = start_ok([] { return Readiness{false, "nothing yet"}; });
  ASSERT_TRUE(server);
  const auto r = http_get(server->port(), "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
}

TEST(HttpServer, ReadyzFollowsTheReadinessCheck) {
  std::atomic<bool> ready{false};
  const auto server = start_ok([&ready] {
    return ready ? Readiness{true, ""}
                 : Readiness{false, "rules not loaded\nconsumer not assigned"};
  });
  ASSERT_TRUE(server);
  auto r = http_get(server->port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: rules not loaded consumer not assigned\n");
  ready = true;
  r = http_get(server->port(), "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ready\n");
}

TEST(HttpServer, ReadinessCheckThatThrowsIsNotReady) {
  const auto server = start_ok([]() -> Readiness { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server);
  const auto r = http_get(server->port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: readiness check failed\n");
}

TEST(HttpServer, UnknownPathsAre404) {
  const auto server = start_ok();
  ASSERT_TRUE(server);
  for (const char* path :
       {"/", "/metricsx", "/metrics/", "/metrics/x", "/health", "/index.html", "/../etc/passwd"}) {
    const auto r = http_get(server->port(), path);
    EXPECT_EQ(r.status, 404) << path;
  }
}

TEST(HttpServer, MethodsOtherThanGetAndHead) {
  const auto server = start_ok();
  ASSERT_TRUE(server);
  auto r = http_request(server->port(), "POST", "/metrics");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at("allow"), "GET, HEAD");
  r = http_request(server->port(), "HEAD", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-length"), "3");
  EXPECT_EQ(r.body, "");
}

TEST(HttpServer, BindErrorOnAPortInUse) {
  const auto first = start_ok();
  ASSERT_TRUE(first);
  std::string error;
  const std::string listen = "127.0.0.1:" + std::to_string(first->port());
  const auto second = HttpServer::start(listen, registry_with_counter(), always_ready(), &error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("cannot listen on " + listen), std::string::npos) << error;
  EXPECT_NE(error.find("Address already in use"), std::string::npos) << error;
  // The first one still serves.
  EXPECT_EQ(http_get(first->port(), "/healthz").status, 200);
}

TEST(HttpServer, BindErrorOnAnAddressNotOnThisHost) {
  std::string error;
  // TEST-NET-1 (RFC 5737): never a local address.
  const auto server =
      HttpServer::start("192.0.2.1:0", registry_with_counter(), always_ready(), &error);
  EXPECT_FALSE(server);
  EXPECT_NE(error.find("Cannot assign requested address"), std::string::npos) << error;
}

TEST(HttpServer, MalformedListenAddresses) {
  for (const char* listen : {"", "9464", "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:70000",
                             "127.0.0.1:94a", "::1:9464", "[::1]9464", "[::1", "[nonsense]:1",
                             "127.0.0.1:0,0.0.0.0:80", "no-such-host.invalid:0"}) {
    std::string error;
    const auto server = HttpServer::start(listen, registry_with_counter(), always_ready(), &error);
    EXPECT_FALSE(server) << listen;
    EXPECT_FALSE(error.empty()) << listen;
  }
}

TEST(HttpServer, HostNamesResolveToIpv4) {
  std::string error;
  const auto server =
      HttpServer::start("localhost:0", registry_with_counter(), always_ready(), &error);
  ASSERT_TRUE(server) << error;
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));
  EXPECT_EQ(http_get(server->port(), "/healthz").status, 200);
}

TEST(HttpServer, Ipv6IsServedOrRefusedWithAReason) {
  std::string error;
  const auto server = HttpServer::start("[::1]:0", registry_with_counter(), always_ready(), &error);
  if (server) {
    EXPECT_NE(server->port(), 0);
    EXPECT_EQ(server->address(), "[::1]:" + std::to_string(server->port()));
  } else {
    EXPECT_NE(error.find("IPv6"), std::string::npos) << error;
  }
}

TEST(HttpServer, MissingRegistryOrReadinessIsAnError) {
  std::string error;
  EXPECT_FALSE(HttpServer::start("127.0.0.1:0", nullptr, always_ready(), &error));
  EXPECT_NE(error.find("registry"), std::string::npos);
  EXPECT_FALSE(HttpServer::start("127.0.0.1:0", registry_with_counter(), nullptr, &error));
  EXPECT_NE(error.find("readiness"), std::string::npos);
  // A null error pointer is allowed.
  EXPECT_FALSE(HttpServer::start("bad", registry_with_counter(), always_ready(), nullptr));
}

TEST(HttpServer, DestructorStopsListening) {
  auto server = start_ok();
  ASSERT_TRUE(server);
  const std::uint16_t port = server->port();
  ASSERT_EQ(http_get(port, "/healthz").status, 200);
  server.reset();
  EXPECT_EQ(http_get(port, "/healthz").status, 0);  // connection refused
}

}  // namespace
}  // namespace newswatch::telemetry
