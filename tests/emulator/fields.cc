#include "tests/emulator/fields.h"

#include <cctype>
#include <utility>

namespace gdmount::emulator {
namespace {

using nlohmann::json;

// $ref chains and array-of-array nesting in the discovery document are a few
// levels deep; the bound only stops a malformed document from looping.
constexpr int kMaxSchemaHops = 16;

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         c == '-' || c == '.' || c == '$';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Follows `$ref`s and array `items` down to the schema whose properties a
// sub-selection names. Returns nullptr for a dangling reference.
const json* Resolve(const json& schemas, const json* schema) {
  for (int hop = 0; hop < kMaxSchemaHops; ++hop) {
    if (schema == nullptr || !schema->is_object()) return nullptr;
    auto ref = schema->find("$ref");
    if (ref != schema->end() && ref->is_string()) {
      auto target = schemas.find(ref->get<std::string>());
      schema = target == schemas.end() ? nullptr : &*target;
      continue;
    }
    auto type = schema->find("type");
    if (type != schema->end() && *type == "array") {
      auto items = schema->find("items");
      schema = items == schema->end() ? nullptr : &*items;
      continue;
    }
    return schema;
  }
  return nullptr;
}

}  // namespace

FieldMask::Node* FieldMask::Node::FindChild(std::string_view child_name) {
  for (Node& child : children) {
    if (child.name == child_name) return &child;
  }
  return nullptr;
}

const FieldMask::Node* FieldMask::Node::FindChild(
    std::string_view child_name) const {
  for (const Node& child : children) {
    if (child.name == child_name) return &child;
  }
  return nullptr;
}

FieldMask::Node& FieldMask::Node::Child(std::string_view child_name) {
  if (Node* existing = FindChild(child_name)) return *existing;
  children.emplace_back();
  children.back().name = std::string(child_name);
  return children.back();
}

// Recursive-descent parser over the grammar in fields.h. Pointers into the
// tree stay valid while parsing: a level only appends to its own children,
// never to an ancestor's vector.
class FieldMask::Parser {
 public:
  explicit Parser(std::string_view spec) : spec_(spec) {}

  Status Parse(Node* root) {
    SkipSpace();
    if (AtEnd()) return Error("empty field mask");
    Status status = ParseList(root, 0);
    if (!status.ok()) return status;
    SkipSpace();
    if (!AtEnd()) return Error("unexpected character");
    return Status();
  }

 private:
  Status ParseList(Node* parent, int depth) {
    while (true) {
      Status status = ParseItem(parent, depth);
      if (!status.ok()) return status;
      SkipSpace();
      if (!Consume(',')) return Status();
    }
  }

  Status ParseItem(Node* parent, int depth) {
    Node* node = parent;
    while (true) {
      SkipSpace();
      if (Consume('*')) {
        // `*` (alone or as the last path element) keeps the whole object.
        SkipSpace();
        if (Peek('/') || Peek('(')) return Error("'*' must end a path");
        node->whole = true;
        return Status();
      }
      std::string_view name = ReadName();
      if (name.empty()) return Error("expected a field name");
      if (++depth > kMaxDepth) return Error("selection nested too deeply");
      node = &node->Child(name);
      SkipSpace();
      if (!Consume('/')) break;
    }
    if (!Consume('(')) {
      node->whole = true;
      return Status();
    }
    SkipSpace();
    if (Peek(')')) return Error("empty parentheses");
    Status status = ParseList(node, depth);
    if (!status.ok()) return status;
    SkipSpace();
    if (!Consume(')')) return Error("expected ')'");
    return Status();
  }

  std::string_view ReadName() {
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(spec_[pos_])) ++pos_;
    return spec_.substr(start, pos_ - start);
  }

  void SkipSpace() {
    while (!AtEnd() && IsSpace(spec_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= spec_.size(); }
  bool Peek(char c) const { return !AtEnd() && spec_[pos_] == c; }
  bool Consume(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }

  Status Error(const char* what) const {
    return InvalidArgumentError("Invalid fields parameter '" +
                                std::string(spec_) + "': " + what +
                                " at offset " + std::to_string(pos_));
  }

  std::string_view spec_;
  size_t pos_ = 0;
};

Result<FieldMask> FieldMask::Parse(std::string_view spec) {
  FieldMask mask;
  Status status = Parser(spec).Parse(&mask.root_);
  if (!status.ok()) return status;
  return mask;
}

FieldMask FieldMask::All() {
  FieldMask mask;
  mask.root_.whole = true;
  return mask;
}

Status FieldMask::Validate(const json& schemas,
                           const std::string& root_schema) const {
  auto root = schemas.is_object() ? schemas.find(root_schema) : schemas.end();
  if (root == schemas.end()) {
    return InternalError("no schema named " + root_schema);
  }
  return ValidateNode(schemas, *root, root_, "");
}

Status FieldMask::ValidateNode(const json& schemas, const json& schema,
                               const Node& node, const std::string& prefix) {
  if (node.children.empty()) return Status();
  const json* resolved = Resolve(schemas, &schema);
  // Free-form values (`"type": "any"`, `additionalProperties: true`) accept
  // any path below them.
  if (resolved != nullptr) {
    auto type = resolved->find("type");
    if (type != resolved->end() && *type == "any") return Status();
  }
  for (const Node& child : node.children) {
    std::string path = prefix.empty() ? child.name : prefix + "/" + child.name;
    const json* child_schema = nullptr;
    if (resolved != nullptr) {
      auto props = resolved->find("properties");
      auto extra = resolved->find("additionalProperties");
      const json* prop = nullptr;
      if (props != resolved->end() && props->is_object()) {
        auto it = props->find(child.name);
        if (it != props->end()) prop = &*it;
      }
      if (prop != nullptr) {
        child_schema = prop;
      } else if (extra != resolved->end() && extra->is_object()) {
        child_schema = &*extra;  // a map: every key is valid
      } else if (extra != resolved->end() && *extra == true) {
        continue;
      }
    }
    if (child_schema == nullptr) {
      return InvalidArgumentError("Invalid field selection " + path);
    }
    Status status = ValidateNode(schemas, *child_schema, child, path);
    if (!status.ok()) return status;
  }
  return Status();
}

json FieldMask::Apply(json full) const {
  if (!TrimNode(root_, &full)) return json::object();
  return full;
}

// Cuts *value down to what `node` selects, in place (no copy of what is
// kept); false if nothing of it survives (a scalar under a sub-selection), so
// the caller drops the key or element.
bool FieldMask::TrimNode(const Node& node, json* value) {
  if (node.whole) return true;
  if (value->is_object()) {
    for (auto it = value->begin(); it != value->end();) {
      const Node* child = node.FindChild(it.key());
      if (child && TrimNode(*child, &*it)) {
        ++it;
      } else {
        it = value->erase(it);
      }
    }
    return true;
  }
  if (value->is_array()) {
    json::array_t& elements = value->get_ref<json::array_t&>();
    size_t kept = 0;
    for (size_t i = 0; i < elements.size(); ++i) {
      if (!TrimNode(node, &elements[i])) continue;
      if (kept != i) elements[kept] = std::move(elements[i]);
      ++kept;
    }
    elements.erase(elements.begin() + kept, elements.end());
    return true;
  }
  return false;
}

bool FieldMask::Selects(std::string_view top_level_field) const {
  return root_.whole || root_.FindChild(top_level_field) != nullptr;
}

bool FieldMask::ApplyToMember(std::string_view top_level_field,
                              json* value) const {
  if (root_.whole) return true;
  const Node* child = root_.FindChild(top_level_field);
  return child != nullptr && TrimNode(*child, value);
}

bool FieldMask::Selects(std::string_view top_level_field,
                        std::string_view member) const {
  if (root_.whole) return true;
  const Node* child = root_.FindChild(top_level_field);
  return child && (child->whole || child->FindChild(member) != nullptr);
}

std::optional<FieldMask> FieldMask::Sub(std::string_view field) const {
  if (root_.whole) return All();
  const Node* child = root_.FindChild(field);
  if (!child) return std::nullopt;
  FieldMask sub;
  sub.root_ = *child;
  if (child->children.empty()) sub.root_.whole = true;
  return sub;
}

}  // namespace gdmount::emulator
