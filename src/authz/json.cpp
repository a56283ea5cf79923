// A recursive-descent JSON parser, strict in every place where a lenient one would have to guess, since a
// body it accepts is forwarded to the engine byte for byte after being judged.
#include "authz/json.hpp"

#include <array>
#include <cstdint>

#include "ascii.hpp"

namespace dockgate::authz {

constexpr int kMaxDepth = 64;  // deeper than any Docker API body; refuse rather than recurse further

// The bytes a string holds as they are: printable ASCII but the quote and the backslash. Most of a body's
// bytes are such runs, which a string is scanned over a table at a time.
constexpr std::array<bool, 256> kPlainStringByte = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

class JsonParser {
 public:
  JsonParser(std::string_view text, JsonDocument& doc) : text_(text), doc_(doc) {}

  void parse_document(Json& root) {
    if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF") fail("a byte order mark");
    space();
    value(root, 1);
    space();
    if (pos_ != text_.size()) fail("data after the JSON document");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw JsonError(what + " at byte " + std::to_string(pos_));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void space() {
    while (!at_end() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  void expect(char c) {
    if (peek() != c || at_end()) fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  void literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) fail("an invalid literal");
    pos_ += word.size();
  }

  void value(Json& out, int depth) {
    if (at_end()) fail("the document ends where a value was expected");
    switch (text_[pos_]) {
      case '{':
        object(out, depth);
        return;
      case '[':
        array(out, depth);
        return;
      case '"':
        out.kind = Json::Kind::string;
        out.text = string();
        return;
      case 't':
        literal("true");
        out.kind = Json::Kind::boolean;
        out.boolean = true;
        return;
      case 'f':
        literal("false");
        out.kind = Json::Kind::boolean;
        return;
      case 'n':
        literal("null");
        out.kind = Json::Kind::null;
        return;
      default:
        number(out);
    }
  }

  void object(Json& out, int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 64 levels");
    out.kind = Json::Kind::object;
    ++pos_;
    space();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    while (true) {
      space();
      if (peek() != '"') fail("expected a key");
      JsonMember& m = out.members.emplace_back();
      m.key = string();
      space();
      expect(':');
      space();
      value(m.value, depth + 1);
      space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void array(Json& out, int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 64 levels");
    out.kind = Json::Kind::array;
    ++pos_;
    space();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    while (true) {
      space();
      value(out.items.emplace_back(), depth + 1);
      space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return;
    }
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  void number(Json& out) {
    std::size_t start = pos_;
    auto digits = [&] {
      std::size_t from = pos_;
      while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("an invalid value");
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) fail("a number without digits after its point");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) fail("a number without digits in its exponent");
    }
    out.kind = Json::Kind::number;
    out.text = text_.substr(start, pos_ - start);
  }

  int hex4() {
    if (pos_ + 4 > text_.size()) fail("a short \\u escape");
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) fail("a malformed \\u escape");
      v = v * 16 + d;
    }
    return v;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // The length of the valid UTF-8 sequence at pos_ (a non-ASCII lead byte), or a failure: overlong forms,
  // surrogates and code points past U+10FFFF are invalid, as Go's utf8.DecodeRune says.
  std::size_t utf8_sequence() {
    auto b = [&](std::size_t i) {
      return pos_ + i < text_.size() ? static_cast<unsigned char>(text_[pos_ + i]) : 0u;
    };
    unsigned c = b(0);
    auto cont = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
      return b(i) >= lo && b(i) <= hi;
    };
    if (c >= 0xC2 && c <= 0xDF && cont(1)) return 2;
    if (c == 0xE0 && cont(1, 0xA0) && cont(2)) return 3;
    if (((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) && cont(1) && cont(2)) return 3;
    if (c == 0xED && cont(1, 0x80, 0x9F) && cont(2)) return 3;
    if (c == 0xF0 && cont(1, 0x90) && cont(2) && cont(3)) return 4;
    if (c >= 0xF1 && c <= 0xF3 && cont(1) && cont(2) && cont(3)) return 4;
    if (c == 0xF4 && cont(1, 0x80, 0x8F) && cont(2) && cont(3)) return 4;
    fail("invalid UTF-8");
  }

  // A string at pos_ (its opening quote): a view of the text when it has no escapes, else a decoded copy.
  std::string_view string() {
    ++pos_;
    std::size_t start = pos_;
    std::string* decoded = nullptr;
    while (true) {
      std::size_t run = pos_;
      while (run < text_.size() && kPlainStringByte[static_cast<unsigned char>(text_[run])]) ++run;
      if (decoded != nullptr) decoded->append(text_.substr(pos_, run - pos_));
      pos_ = run;
      if (at_end()) fail("an unterminated string");
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') break;
      if (c < 0x20) fail("a control character in a string");
      if (c >= 0x80) {
        std::size_t n = utf8_sequence();
        if (decoded != nullptr) decoded->append(text_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        if (decoded != nullptr) *decoded += static_cast<char>(c);
        ++pos_;
        continue;
      }
      if (decoded == nullptr) decoded = &doc_.decoded_.emplace_back(text_.substr(start, pos_ - start));
      ++pos_;
      char e = peek();
      ++pos_;
      switch (e) {
        case '"':
          *decoded += '"';
          break;
        case '\\':
          *decoded += '\\';
          break;
        case '/':
          *decoded += '/';
          break;
        case 'b':
          *decoded += '\b';
          break;
        case 'f':
          *decoded += '\f';
          break;
        case 'n':
          *decoded += '\n';
          break;
        case 'r':
          *decoded += '\r';
          break;
        case 't':
          *decoded += '\t';
          break;
        case 'u': {
          auto cp = static_cast<std::uint32_t>(hex4());
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("a lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") fail("a lone high surrogate");
            pos_ += 2;
            auto low = static_cast<std::uint32_t>(hex4());
            if (low < 0xDC00 || low > 0xDFFF) fail("a high surrogate without its low half");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(*decoded, cp);
          break;
        }
        default:
          --pos_;
          fail("an invalid escape");
      }
    }
    std::string_view out =
        decoded != nullptr ? std::string_view(*decoded) : text_.substr(start, pos_ - start);
    ++pos_;
    return out;
  }

  std::string_view text_;
  JsonDocument& doc_;
  std::size_t pos_ = 0;
};

JsonDocument::JsonDocument(std::string_view text) {
  JsonParser(text, *this).parse_document(root_);
}

std::string go_fold(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (std::size_t i = 0; i < key.size(); ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c == 0xC5 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBF) {
      out += 's';
      i += 1;
    } else if (c == 0xE2 && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0x84 &&
               static_cast<unsigned char>(key[i + 2]) == 0xAA) {
      out += 'k';
      i += 2;
    } else {
      out += static_cast<char>(ascii_lower(c));
    }
  }
  return out;
}

}  // namespace dockgate::authz
