// Request and response heads: what is accepted, what is refused and with which status, and the canonical
// form that reaches the engine.
#include "http/head.hpp"

#include <gtest/gtest.h>

namespace dockgate::http {
namespace {

int status_of(std::string_view head) {
  try {
    RequestHead r = parse_request_head(head);
    request_framing(r);
  } catch (const BadMessage& e) {
    return e.status;
  }
  return 0;
}

TEST(HeadSize, FindsTheBlankLineWithCrlfOrLf) {
  EXPECT_EQ(head_size("GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY", 1024), 27u);
  EXPECT_EQ(head_size("GET / HTTP/1.1\nHost: x\n\nBODY", 1024), 24u);
  EXPECT_EQ(head_size("GET / HTTP/1.1\r\nHost: x\r\n", 1024), std::nullopt);
}

TEST(HeadSize, RefusesAHeadLargerThanTheLimit) {
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a');
  try {
    head_size(big, 1024);
    FAIL() << "no error";
  } catch (const BadMessage& e) {
    EXPECT_EQ(e.status, 431);
  }
}

TEST(ParseRequest, ReadsMethodTargetVersionAndHeaders) {
  RequestHead r = parse_request_head(
      "POST /v1.41/containers/create?name=a HTTP/1.1\r\nHost: docker\r\n"
      "Content-Type:  application/json \r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1.41/containers/create?name=a");
  EXPECT_EQ(r.minor_version, 1);
  ASSERT_NE(r.headers.find("content-type"), nullptr);
  EXPECT_EQ(*r.headers.find("content-type"), "application/json");
  Framing f = request_framing(r);
  EXPECT_EQ(f.kind, Framing::Kind::length);
  EXPECT_EQ(f.length, 2u);
}

TEST(ParseRequest, RefusesAmbiguousOrMalformedHeads) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\rX-B: 2\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(
      status_of(
          "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
      400);
  EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(ParseRequest, AcceptsRepeatedIdenticalLengths) {
  EXPECT_EQ(status_of("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), 0);
}

TEST(Framing, ChunkedAndNone) {
  auto r = parse_request_head("POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n");
  EXPECT_EQ(request_framing(r).kind, Framing::Kind::chunked);
  auto g = parse_request_head("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(request_framing(g).kind, Framing::Kind::none);
}

TEST(Framing, ResponsesFollowRfc9112) {
  auto resp = [](std::string_view s) { return parse_response_head(s); };
  EXPECT_EQ(response_framing(resp("HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n"), "POST").kind,
            Framing::Kind::until_close);
  EXPECT_EQ(response_framing(resp("HTTP/1.1 204 No Content\r\n\r\n"), "POST").kind, Framing::Kind::none);
  EXPECT_EQ(response_framing(resp("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), "HEAD").kind,
            Framing::Kind::none);
  EXPECT_EQ(response_framing(resp("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), "GET").length, 9u);
  EXPECT_EQ(response_framing(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), "GET").kind,
            Framing::Kind::chunked);
  EXPECT_EQ(response_framing(
                resp("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n"), "POST")
                .kind,
            Framing::Kind::until_close);
}

TEST(KeepAlive, FollowsVersionAndConnectionHeader) {
  EXPECT_TRUE(keeps_alive(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_FALSE(keeps_alive(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  EXPECT_FALSE(keeps_alive(parse_request_head("GET / HTTP/1.0\r\n\r\n")));
  EXPECT_TRUE(keeps_alive(parse_request_head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")));
  EXPECT_TRUE(wants_upgrade(parse_request_head(
      "POST /exec/x/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")));
  EXPECT_FALSE(wants_upgrade(parse_request_head("POST /x HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\n\r\n")));
}

TEST(ParseRequest, ChecksEveryHeaderNameCharacter) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-A!#$%&'*+-.^_`|~z9: 1\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\n: 1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-\xc3\xa9: 1\r\n\r\n"), 400);
  constexpr char kNul[] = "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";
  EXPECT_EQ(status_of(std::string_view(kNul, sizeof kNul - 1)), 400);
}

TEST(ParseResponse, HeadersOutliveTheBufferAndMoves) {
  std::string buffer =
      "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n\r\n";
  ResponseHead r = parse_response_head(buffer);
  buffer.assign(buffer.size(), 'x');  // the engine's bytes are consumed and overwritten
  ResponseHead moved = std::move(r);
  ASSERT_EQ(moved.headers.list.size(), 2u);
  EXPECT_EQ(moved.headers.list[1].name, "Server");
  ASSERT_NE(moved.headers.find("api-version"), nullptr);
  EXPECT_EQ(*moved.headers.find("api-version"), "1.41");
  EXPECT_EQ(*moved.headers.find("SERVER"), "Docker/20.10.24+dfsg1 (linux)");
}

TEST(SetContentLength, ReplacesTheFramingWithTextTheHeadKeeps) {
  RequestHead r = parse_request_head("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  set_content_length(r, 12345678901234);
  RequestHead moved = std::move(r);
  EXPECT_EQ(serialize(moved), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 12345678901234\r\n\r\n");
  Framing f = request_framing(moved);
  EXPECT_EQ(f.kind, Framing::Kind::length);
  EXPECT_EQ(f.length, 12345678901234u);
}

TEST(Serialize, WritesOneCanonicalSpelling) {
  auto r = parse_request_head("GET /_ping HTTP/1.1\nHost:docker\nUser-Agent:   x y  \n\n");
  EXPECT_EQ(serialize(r), "GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: x y\r\n\r\n");
}

TEST(JsonError, IsAResponseDockerClientsPrint) {
  std::string r = json_error_response(502, "engine \"down\"", true);
  EXPECT_EQ(r.substr(0, 29), "HTTP/1.1 502 Bad Gateway\r\nCon");
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(r.find("{\"message\":\"engine \\\"down\\\"\"}\n"), std::string::npos);
}

}  // namespace
}  // namespace dockgate::http
