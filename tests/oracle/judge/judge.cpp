// The sandbox's judgement as a filter, for the differential oracle (tests/oracle/oracle.go): reads records
// "ENDPOINT LENGTH\n" followed by LENGTH body bytes from standard input and answers each with one line,
// "allow" or "deny REASON", judged as for a sandboxed role whose bind_prefixes are /srv/ci.
#include "authz/bodies/judge.hpp"

#include <iostream>
#include <string>
#include <vector>

int main() {
  const std::vector<std::string> prefixes = {"/srv/ci"};
  const dockgate::authz::bodies::Context context{&prefixes};
  std::ios::sync_with_stdio(false);
  std::string endpoint;
  std::size_t length = 0;
  while (std::cin >> endpoint >> length) {
    std::cin.get();  // the newline after the length
    std::string body(length, '\0');
    std::cin.read(body.data(), static_cast<std::streamsize>(length));
    auto denial = dockgate::authz::bodies::judge_body(endpoint, body, context);
    std::string line = denial ? "deny " + *denial : "allow";
    for (char& c : line) {
      if (c == '\n') c = ' ';
    }
    std::cout << line << '\n' << std::flush;
  }
}
