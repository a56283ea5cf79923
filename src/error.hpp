// The one error type that reaches a person: its message names the thing (flag, file, field, address) and
// what to do about it. main() prints it as a single line and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace dockgate {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A command that has already said everything (a report) and only needs a non-zero exit status.
struct ExitStatus {
  int code;
};

}  // namespace dockgate
