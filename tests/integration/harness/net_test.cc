// free_port / HttpTextServer / http_get of newswatch_itest.
#include "tests/integration/support/net.h"

#include <string>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace newswatch::itest {
namespace {

TEST(NetTest, FreePortCanBeBound) {
  auto port = free_port();
  ASSERT_TRUE(port.ok()) << port.error();
  EXPECT_GT(port.value(), 0);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port.value());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::close(fd);
}

TEST(NetTest, ServesTheBodyOnItsPathOnly) {
  auto server = HttpTextServer::start("/metrics", "a_total 1\n");
  ASSERT_TRUE(server.ok()) << server.error();
  const std::string base = "http://" + (*server)->address();

  auto r = http_get(base + "/metrics");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a_total 1\n");
  EXPECT_NE(r->headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_EQ((*server)->requests(), 1u);

  (*server)->set_body("a_total 2\n");
  r = http_get(base + "/metrics?x=1");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->body, "a_total 2\n");

  r = http_get(base + "/other");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ((*server)->requests(), 2u);
}

TEST(NetTest, GetFromAClosedPortIsAnError) {
  uint16_t port = 0;
  {
    auto server = HttpTextServer::start("/", "x");
    ASSERT_TRUE(server.ok()) << server.error();
    port = (*server)->port();
  }  // stopped and closed
  auto r = http_get("http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(http_get("ftp://127.0.0.1:1/").ok());
  EXPECT_FALSE(http_get("http://localhost:1/").ok());
}

TEST(NetTest, UrlEncode) {
  EXPECT_EQ(url_encode("a_b-c.d~"), "a_b-c.d~");
  EXPECT_EQ(url_encode("x{run=\"a b\"}"), "x%7Brun%3D%22a%20b%22%7D");
}

}  // namespace
}  // namespace newswatch::itest
