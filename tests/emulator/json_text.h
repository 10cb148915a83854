// JsonText: writes JSON text byte-identical to what
//   nlohmann::json::dump(2 (or -1 when not pretty), ' ',
//                        /*ensure_ascii=*/false,
//                        nlohmann::json::error_handler_t::replace)
// prints for the same value (the emulator's response format, indented
// unless the request says prettyPrint=false), without
// building the value as an nlohmann tree first. files.list streams its pages
// through it: for a 1000-file page, building, trimming, serializing and
// freeing trees took ~90% of the request.
//
// Calls mirror the value: BeginObject(), Key("a"), String("x"), ..., End().
// Object keys must come in nlohmann's order (std::map: byte-wise ascending);
// the writer does not sort them. Not thread-safe: one writer per response.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace gdmount::emulator {

class JsonText {
 public:
  // Appends to *out, which must outlive the writer. `pretty`: indented as
  // dump(2) prints, else compact as dump(-1).
  explicit JsonText(std::string* out, bool pretty = true)
      : out_(out), pretty_(pretty) {}

  void BeginObject();
  void BeginArray();
  void End();  // closes the innermost open object or array
  // The next member's key. REQUIRES: inside an object.
  void Key(std::string_view key);
  void String(std::string_view s);
  void Bool(bool b);
  // Any value, nested objects and arrays included.
  void Value(const nlohmann::json& value);
  // `object`'s members plus one more, `key`, whose value `write_value`
  // writes, in its place in key order (so a large member can be streamed
  // instead of being built into the tree). REQUIRES: `object` is an object
  // without `key`.
  void ObjectWith(const nlohmann::json& object, std::string_view key,
                  const std::function<void()>& write_value);

 private:
  struct Level {
    bool is_object = false;
    size_t members = 0;
  };

  // Before an array element: the separator and indentation nlohmann puts.
  void BeforeElement();
  void NewLineAndIndent(size_t depth);
  void Escaped(std::string_view s);

  // nlohmann's text of a scalar value in this writer's mode.
  std::string Dump(const nlohmann::json& value) const;

  std::string* out_;
  bool pretty_;
  std::vector<Level> open_;
};

}  // namespace gdmount::emulator
