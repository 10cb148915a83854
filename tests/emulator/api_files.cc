// files.* handlers (metadata, media download, export).
#include <sstream>

#include "tests/emulator/blob.h"
#include "tests/emulator/emulator.h"
#include "tests/emulator/json_text.h"
#include "tests/emulator/range.h"
#include "tests/emulator/render.h"

namespace gdmount::emulator {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) {
    size_t b = part.find_first_not_of(' '), e = part.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

void Emulator::FilesList(Call& call) {
  ListRequest lr;
  int64_t page_size = 100;
  if (!IntParam(call, "pageSize", 100, 1, 1000, &page_size)) return;
  lr.page_size = static_cast<int>(page_size);
  lr.page_token = StrParam(call, "pageToken");
  lr.scope = call.scope;
  lr.short_pages = options_.short_pages;
  std::string corpora = StrParam(call, "corpora");
  if (corpora.empty()) corpora = StrParam(call, "corpus");
  if (!corpora.empty()) lr.corpora = corpora;
  lr.drive_id = StrParam(call, "driveId");
  if (lr.drive_id.empty()) lr.drive_id = StrParam(call, "teamDriveId");
  if (!StrParam(call, "spaces").empty()) lr.spaces = StrParam(call, "spaces");
  if (const std::string* q = call.req.Param("q"); q && !q->empty()) {
    auto parsed = Query::Parse(*q);
    if (!parsed.ok())
      return SendError(
          call, BadRequest("Invalid Value", "invalid", "q", "parameter"));
    lr.q = std::move(parsed.value());
  }
  for (const auto& key : SplitCommas(StrParam(call, "orderBy"))) {
    OrderKey k;
    size_t sp = key.find(' ');
    k.key = key.substr(0, sp);
    if (sp != std::string::npos) {
      std::string dir = key.substr(sp + 1);
      if (dir != "desc" && dir != "asc")
        return SendError(call, InvalidParameter("orderBy", "Invalid Value"));
      k.desc = dir == "desc";
    }
    lr.order.push_back(k);
  }
  if (lr.q && lr.q->UsesFullText() && !lr.order.empty())
    return SendError(
        call,
        BadRequest("Sorting is not supported for queries with fullText terms. "
                   "Results are always in descending relevance order.",
                   "badRequest", "orderBy", "parameter"));
  auto page = store_->List(lr);
  if (!page.ok()) return SendError(call, page.error());
  SendFileList(call, page.value());
}

// The files are written straight to text (WriteFile): as nlohmann trees, a
// 1000-file page cost ~100 ms to build, trim, print and free. The envelope
// (kind, incompleteSearch, nextPageToken) still goes through the mask as a
// tree, and so does everything when a body fault must edit the tree.
void Emulator::SendFileList(Call& call, const ListPage& page) {
  nlohmann::json envelope = {{"kind", "drive#fileList"},
                             {"incompleteSearch", page.incomplete_search}};
  if (!page.next_page_token.empty())
    envelope["nextPageToken"] = page.next_page_token;
  // Without `fields`, each file carries only the default fields; nullopt:
  // the mask leaves `files` out.
  std::optional<FieldMask> per_file = ItemMask(call, {"files"});
  if (call.body_fault) {
    nlohmann::json files = nlohmann::json::array();
    if (per_file)
      for (const auto& f : page.files) files.push_back(FileJson(f, &*per_file));
    envelope["files"] = std::move(files);
    return SendJson(call, 200, std::move(envelope), "FileList");
  }
  if (call.has_fields) {
    std::optional<FieldMask> mask = ParseFields(call, "FileList");
    if (!mask) return;  // error already sent
    envelope = mask->Apply(std::move(envelope));
  }
  std::string text;
  JsonText out(&text, call.pretty);
  if (per_file) {
    RenderContext ctx = FileRenderContext();
    out.ObjectWith(envelope, "files", [&] {
      out.BeginArray();
      for (const auto& f : page.files) WriteFile(f, ctx, *per_file, &out);
      out.End();
    });
  } else {
    out.Value(envelope);
  }
  text += '\n';
  SendJsonText(call, 200, std::move(text));
}

void Emulator::FilesGet(Call& call) {
  auto f = store_->Get(call.path_id, call.scope);
  if (!f.ok()) return SendError(call, f.error());
  if (call.method == "files.get.media") return FilesGetMedia(call, f.value());
  SendFile(call, f.value());
}

void Emulator::FilesGetMedia(Call& call, const FileRecord& f) {
  if (!f.content) {
    return SendError(
        call, ApiError{403, "fileNotDownloadable",
                       "Only files with binary content can be downloaded. Use "
                       "Export with Docs Editors files.",
                       "global", "alt", "parameter"});
  }
  int64_t total = f.content->size();
  RangeRequest r = ResolveRange(call.req.Header("range"), total);
  if (r.kind == RangeKind::kUnsatisfiable) {
    ApiError e{416,
               "requestedRangeNotSatisfiable",
               "Request range not satisfiable",
               "global",
               "range",
               "header"};
    SendError(call, e);
    call.res.SetHeader("Content-Range", UnsatisfiedContentRangeHeader(total));
    return;
  }
  call.res.blob = f.content;
  call.res.is_media = true;
  call.res.SetHeader("Content-Type", f.mime_type);
  if (r.kind == RangeKind::kSatisfiable) {
    call.res.status = 206;
    call.res.blob_offset = r.range.first;
    call.res.blob_length = r.range.last - r.range.first + 1;
    call.res.SetHeader("Content-Range", ContentRangeHeader(r.range, total));
  } else {
    call.res.status = 200;
    call.res.blob_offset = 0;
    call.res.blob_length = total;
  }
}

void Emulator::FilesExport(Call& call) {
  auto f = store_->Get(call.path_id, call.scope);
  if (!f.ok()) return SendError(call, f.error());
  std::string target = StrParam(call, "mimeType");
  if (!f->is_native())
    return SendError(call,
                     Forbidden("fileNotExportable",
                               "Export only supports Docs Editors files."));
  auto formats = ExportFormats().find(f->mime_type);
  if (formats == ExportFormats().end())
    return SendError(call, Forbidden("fileNotExportable",
                                     "This file type cannot be exported."));
  if (std::find(formats->second.begin(), formats->second.end(), target) ==
      formats->second.end())
    return SendError(call,
                     BadRequest("The requested conversion is not supported.",
                                "badRequest", "convertTo", "parameter"));
  std::string bytes = RenderExport(f.value(), target);
  if (static_cast<int64_t>(bytes.size()) > options_.export_limit_bytes)
    return SendError(call, Forbidden("exportSizeLimitExceeded",
                                     "This file is too large to be exported."));
  // Exports stream with no Content-Length and ignore Range (guide 4.3).
  call.res.status = 200;
  call.res.chunked = true;
  call.res.is_media = true;
  call.res.SetHeader("Content-Type", target);
  call.res.body = std::move(bytes);
}

void Emulator::FilesCreate(Call& call) {
  nlohmann::json md;
  if (!ReadJsonBody(call, &md)) return;
  auto f = store_->Create(md, std::nullopt, call.scope);
  if (!f.ok()) return SendError(call, f.error());
  SendFile(call, f.value());
}

void Emulator::FilesUpdate(Call& call) {
  nlohmann::json md;
  if (!ReadJsonBody(call, &md)) return;
  auto f = store_->Update(
      call.path_id, md, SplitCommas(StrParam(call, "addParents")),
      SplitCommas(StrParam(call, "removeParents")), std::nullopt, call.scope);
  if (!f.ok()) return SendError(call, f.error());
  SendFile(call, f.value());
}

void Emulator::FilesDelete(Call& call) {
  auto r = store_->Delete(call.path_id, call.scope);
  if (!r.ok()) return SendError(call, r.error());
  call.res.status = 204;
}

void Emulator::FilesCopy(Call& call) {
  nlohmann::json md;
  if (!ReadJsonBody(call, &md)) return;
  auto f = store_->Copy(call.path_id, md, call.scope);
  if (!f.ok()) return SendError(call, f.error());
  SendFile(call, f.value());
}

void Emulator::FilesEmptyTrash(Call& call) {
  auto r = store_->EmptyTrash(StrParam(call, "driveId"), call.scope);
  if (!r.ok()) return SendError(call, r.error());
  call.res.status = 204;
}

void Emulator::FilesGenerateIds(Call& call) {
  int64_t count = 10;
  if (!IntParam(call, "count", 10, 1, 1000, &count)) return;
  std::string space = StrParam(call, "space");
  if (space.empty()) space = "drive";
  std::string type = StrParam(call, "type");
  if (type.empty()) type = "files";
  if (space != "drive" && space != "appDataFolder")
    return SendError(call, InvalidParameter("space", "Invalid Value"));
  if (type != "files" && type != "shortcuts")
    return SendError(call, InvalidParameter("type", "Invalid Value"));
  SendJson(call, 200,
           {{"kind", "drive#generatedIds"},
            {"space", space},
            {"ids", store_->GenerateIds(static_cast<int>(count))}},
           "GeneratedIds");
}

}  // namespace gdmount::emulator
