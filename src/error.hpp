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

// A command-line mistake: a missing argument, a value outside an option's fixed choices, an option that
// does not apply. main() exits with status 2 for it, as for the parser's own errors, so that scripts can
// tell "called wrongly" from "failed".
class UsageError : public Error {
 public:
  using Error::Error;
};

// A command that has already said everything (a report) and only needs a non-zero exit status.
struct ExitStatus {
  int code;
};

}  // namespace dockgate
