// `fields=` partial responses (protocol guide §2) for the emulator.
//
// A FieldMask is parsed once per request, validated against the discovery
// document's schemas for the method's response type, then applied to the
// full JSON resource just before it is written out:
//
//   auto mask = FieldMask::Parse(param);            // syntax
//   mask->Validate(schemas, "FileList");             // names -> 400
//   body = mask->Apply(full_file_list_json);         // trimming
//
// Grammar (whitespace allowed around every token):
//   list  := item (',' item)*
//   item  := path ['(' list ')']
//   path  := name ('/' name)*  ['/' '*']   |   '*'
//   name  := 1*( ALPHA / DIGIT / '_' / '-' / '.' / '$' )
// `a/b` is the same as `a(b)`; `*` selects every field of the object it
// appears in (`files(*)` == `files`). Selections merge: `files(id),files(name)`
// == `files(id,name)`, and a whole-value selection wins over a sub-selection
// (`files,files(id)` == `files`).
//
// Immutable after Parse; safe to share across threads for reading.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount::emulator {

class FieldMask {
 public:
  // Parses a `fields` parameter value. Returns InvalidArgument on a syntax
  // error (empty spec or item, unbalanced or empty parentheses, `*` anywhere
  // but at the end of a path, illegal characters, nesting deeper than
  // kMaxDepth). Callers treat an absent parameter as the method default and
  // do not call Parse for it.
  static Result<FieldMask> Parse(std::string_view spec);

  // The mask that keeps everything, as if "*".
  static FieldMask All();

  // Checks every named path against the discovery document's "schemas"
  // object, starting at schema `root_schema` (e.g. "File", "FileList",
  // "ChangeList", "About"). `$ref`s are followed, arrays descend into
  // `items`, and any key below a map-typed property (`additionalProperties`,
  // e.g. appProperties/foo) is accepted. Returns InvalidArgument
  // "Invalid field selection <path>" for the first unknown field (also for a
  // sub-selection of a scalar, e.g. id/x), Internal if `root_schema` is not
  // in `schemas`.
  Status Validate(const nlohmann::json& schemas,
                  const std::string& root_schema) const;

  // Returns `full` reduced to the selected fields. Arrays are filtered
  // element-wise with the same sub-mask; selected fields absent from `full`
  // stay absent; a sub-selected object that has none of the named fields
  // stays as `{}`. A sub-selection of a scalar (only possible for masks that
  // did not pass Validate) drops it. REQUIRES: `full` is an object. Takes
  // `full` by value and trims it in place, so a caller that is done with it
  // can move it in and nothing is copied (a 1000-file page is megabytes).
  nlohmann::json Apply(nlohmann::json full) const;

  // True if `top_level_field` appears in Apply's output when present in the
  // input (always true for a mask selecting everything at the top level).
  bool Selects(std::string_view top_level_field) const;
  // True if `member` of the object under `top_level_field` may appear in
  // Apply's output (the whole object is selected, or that member is).
  bool Selects(std::string_view top_level_field, std::string_view member) const;

  // Apply for one member of the object: trims *value, the input's member
  // `top_level_field`, as Apply would trim it, and returns false when Apply
  // would drop it (not selected, or a scalar under a sub-selection). Lets a
  // caller write an object member by member without building it.
  bool ApplyToMember(std::string_view top_level_field,
                     nlohmann::json* value) const;

  // The selection under `field` (e.g. the per-file mask of "files(id,name)"
  // for "files"), or nullopt when `field` is not selected at all.
  std::optional<FieldMask> Sub(std::string_view field) const;

  // Deepest parenthesis/path nesting Parse accepts; Drive resources nest a
  // handful of levels, this only bounds recursion on hostile input.
  static constexpr int kMaxDepth = 32;

 private:
  // One level of the selection tree. `whole` keeps the entire value (a leaf
  // or a `*`); otherwise only `children` are kept. std::vector (not map)
  // because C++17 only guarantees it for incomplete element types.
  struct Node {
    std::string name;
    bool whole = false;
    std::vector<Node> children;

    Node* FindChild(std::string_view child_name);
    const Node* FindChild(std::string_view child_name) const;
    Node& Child(std::string_view child_name);  // find or append
  };

  class Parser;

  FieldMask() = default;

  static Status ValidateNode(const nlohmann::json& schemas,
                             const nlohmann::json& schema, const Node& node,
                             const std::string& prefix);
  static bool TrimNode(const Node& node, nlohmann::json* value);

  Node root_;
};

}  // namespace gdmount::emulator
