#include "tests/emulator/json_text.h"

namespace gdmount::emulator {
namespace {

// Indentation per nesting level, as in dump(2).
constexpr size_t kIndent = 2;

// Printable ASCII other than '"' and '\\' is the only text nlohmann copies
// verbatim in every mode; anything else goes through nlohmann's own escaping.
bool NeedsEscaping(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') return true;
  return false;
}

}  // namespace

// As dump(2) (or dump(-1)) prints it at nesting level 0.
std::string JsonText::Dump(const nlohmann::json& value) const {
  return value.dump(pretty_ ? static_cast<int>(kIndent) : -1, ' ',
                    /*ensure_ascii=*/false,
                    nlohmann::json::error_handler_t::replace);
}

void JsonText::BeginObject() {
  BeforeElement();
  *out_ += '{';
  open_.push_back(Level{/*is_object=*/true, 0});
}

void JsonText::BeginArray() {
  BeforeElement();
  *out_ += '[';
  open_.push_back(Level{/*is_object=*/false, 0});
}

void JsonText::End() {
  Level closed = open_.back();
  open_.pop_back();
  // An empty container stays on one line: "{}" and "[]".
  if (closed.members > 0) NewLineAndIndent(open_.size());
  *out_ += closed.is_object ? '}' : ']';
}

void JsonText::Key(std::string_view key) {
  Level& level = open_.back();
  if (level.members++ > 0) *out_ += ',';
  NewLineAndIndent(open_.size());
  Escaped(key);
  *out_ += pretty_ ? ": " : ":";
}

void JsonText::String(std::string_view s) {
  BeforeElement();
  Escaped(s);
}

void JsonText::Bool(bool b) {
  BeforeElement();
  *out_ += b ? "true" : "false";
}

void JsonText::Value(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      BeginObject();
      for (auto it = value.begin(); it != value.end(); ++it) {
        Key(it.key());
        Value(it.value());
      }
      return End();
    case nlohmann::json::value_t::array:
      BeginArray();
      for (const auto& element : value) Value(element);
      return End();
    case nlohmann::json::value_t::string:
      return String(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::boolean:
      return Bool(value.get<bool>());
    default: {
      // Numbers, null: nlohmann's own formatting, re-indented to this depth
      // (its text has newlines only between members: strings escape them).
      BeforeElement();
      for (char c : Dump(value)) {
        if (c == '\n') {
          NewLineAndIndent(open_.size());
        } else {
          *out_ += c;
        }
      }
    }
  }
}

void JsonText::ObjectWith(const nlohmann::json& object, std::string_view key,
                          const std::function<void()>& write_value) {
  BeginObject();
  bool written = false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!written && key < it.key()) {
      Key(key);
      write_value();
      written = true;
    }
    Key(it.key());
    Value(it.value());
  }
  if (!written) {
    Key(key);
    write_value();
  }
  End();
}

void JsonText::BeforeElement() {
  if (open_.empty() || open_.back().is_object) return;  // after a Key
  if (open_.back().members++ > 0) *out_ += ',';
  NewLineAndIndent(open_.size());
}

void JsonText::NewLineAndIndent(size_t depth) {
  if (!pretty_) return;
  *out_ += '\n';
  out_->append(depth * kIndent, ' ');
}

void JsonText::Escaped(std::string_view s) {
  if (NeedsEscaping(s)) {
    *out_ += Dump(nlohmann::json(std::string(s)));
    return;
  }
  *out_ += '"';
  *out_ += s;
  *out_ += '"';
}

}  // namespace gdmount::emulator
