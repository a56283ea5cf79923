// Unified diffs of text files, as `diff -u` and git print them, for `setup --dry-run`: a person reviews
// exactly what would change before anything does.
#pragma once

#include <string>
#include <string_view>

namespace dockgate::setup {

// The hunks (3 lines of context) turning `before` into `after`, under "--- from" and "+++ to" headers;
// "" when the two are equal. A last line without a newline is marked "\ No newline at end of file".
std::string unified_diff(std::string_view before, std::string_view after, const std::string& from,
                         const std::string& to);

}  // namespace dockgate::setup
