// A longest-common-subsequence line diff. The files setup writes are small (units, daemon.json), so the
// quadratic table is cheaper than anything cleverer would be to read.
#include "setup/diff.hpp"

#include <algorithm>
#include <vector>

namespace dockgate::setup {

namespace {

struct Line {
  std::string_view text;
  bool newline;  // false only for a last line without one
  bool operator==(const Line& o) const { return text == o.text && newline == o.newline; }
};

std::vector<Line> split_lines(std::string_view s) {
  std::vector<Line> out;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    if (nl == std::string_view::npos) {
      out.push_back({s, false});
      break;
    }
    out.push_back({s.substr(0, nl), true});
    s.remove_prefix(nl + 1);
  }
  return out;
}

enum class Op { keep, remove, add };
struct Edit {
  Op op;
  size_t a, b;  // line index in before (keep, remove) and after (keep, add)
};

std::vector<Edit> edits(const std::vector<Line>& a, const std::vector<Line>& b) {
  const size_t n = a.size(), m = b.size();
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<Edit> out;
  out.reserve(n + m);
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out.push_back({Op::keep, i++, j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push_back({Op::remove, i++, j});  // removals first, as diff -u prints them
    } else {
      out.push_back({Op::add, i, j++});
    }
  }
  return out;
}

std::string range(size_t start, size_t count) {
  // diff -u numbers lines from 1; an empty range is shown at the line before it.
  std::string s = std::to_string(count == 0 ? start : start + 1);
  if (count != 1) s += "," + std::to_string(count);
  return s;
}

void print_line(std::string& out, char sign, const Line& l) {
  out += sign;
  out += l.text;
  out += '\n';
  if (!l.newline) out += "\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, const std::string& from,
                         const std::string& to) {
  if (before == after) return "";
  const auto a = split_lines(before), b = split_lines(after);
  const auto e = edits(a, b);
  constexpr size_t kContext = 3;

  std::string out = "--- " + from + "\n+++ " + to + "\n";
  size_t k = 0;
  while (k < e.size()) {
    // Find the next change, and the end of the hunk: the last change followed by fewer than 2*context
    // unchanged lines before the next one.
    while (k < e.size() && e[k].op == Op::keep) ++k;
    if (k == e.size()) break;
    size_t start = k >= kContext ? k - kContext : 0;
    size_t end = k;
    for (size_t run = 0, x = k; x < e.size(); ++x) {
      if (e[x].op == Op::keep) {
        if (++run > 2 * kContext) break;
      } else {
        run = 0;
        end = x;
      }
    }
    size_t stop = std::min(e.size(), end + 1 + kContext);
    size_t a_start = e[start].a, b_start = e[start].b, a_count = 0, b_count = 0;
    for (size_t x = start; x < stop; ++x) {
      if (e[x].op != Op::add) ++a_count;
      if (e[x].op != Op::remove) ++b_count;
    }
    out += "@@ -" + range(a_start, a_count) + " +" + range(b_start, b_count) + " @@\n";
    for (size_t x = start; x < stop; ++x) {
      switch (e[x].op) {
        case Op::keep:
          print_line(out, ' ', a[e[x].a]);
          break;
        case Op::remove:
          print_line(out, '-', a[e[x].a]);
          break;
        case Op::add:
          print_line(out, '+', b[e[x].b]);
          break;
      }
    }
    k = stop;
  }
  return out;
}

}  // namespace dockgate::setup
