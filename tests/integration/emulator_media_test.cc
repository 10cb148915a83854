// Downloads (200/206/416), exports, and the three upload types over HTTP.
#include <catch2/catch.hpp>
#include <future>
#include <random>

#include "tests/emulator/blob.h"
#include "tests/support/emulator_fixture.h"

using gdmount::testing::EmulatorFixture;
using gdmount::testing::Md5Hex;
using gdmount::testing::Q;

namespace {

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string NativeDoc(gdmount::emulator::Emulator& e, const std::string& text) {
  gdmount::emulator::FileRecord rec;
  rec.name = "Doc";
  rec.mime_type = "application/vnd.google-apps.document";
  rec.native_text = std::make_shared<const std::string>(text);
  return e.store().SeedFile(e.store().root_id(), rec);
}

}  // namespace

TEST_CASE("alt=media: full, ranged, clamped, unsatisfiable", "[integration]") {
  EmulatorFixture fx;
  std::string bytes = RandomBytes(1000, 1);
  std::string id = fx.Upload("r.bin", bytes)["id"];
  std::string path = "/drive/v3/files/" + id + "?alt=media";
  auto full = fx.Call("GET", path);
  CHECK(full.status == 200);
  CHECK(full.body == bytes);
  auto part = fx.Call("GET", path, "", {"Range: bytes=10-19"});
  CHECK(part.status == 206);
  CHECK(part.body == bytes.substr(10, 10));
  CHECK(part.header("content-range") == "bytes 10-19/1000");
  auto clamped = fx.Call("GET", path, "", {"Range: bytes=990-5000"});
  CHECK(clamped.status == 206);
  CHECK(clamped.body == bytes.substr(990));
  auto suffix = fx.Call("GET", path, "", {"Range: bytes=-5"});
  CHECK(suffix.body == bytes.substr(995));
  auto past = fx.Call("GET", path, "", {"Range: bytes=1000-"});
  CHECK(past.status == 416);
  CHECK(past.header("content-range") == "bytes */1000");
  CHECK(past.reason() == "requestedRangeNotSatisfiable");
}

TEST_CASE("alt=media of a 0-byte file: 200 empty, any range 416",
          "[integration]") {
  EmulatorFixture fx;
  std::string id = fx.Upload("empty", "")["id"];
  auto full = fx.Call("GET", "/drive/v3/files/" + id + "?alt=media");
  CHECK(full.status == 200);
  CHECK(full.body.empty());
  CHECK(full.header("content-length") == "0");
  auto ranged = fx.Call("GET", "/drive/v3/files/" + id + "?alt=media", "",
                        {"Range: bytes=0-99"});
  CHECK(ranged.status == 416);
  CHECK(ranged.header("content-range") == "bytes */0");
}

TEST_CASE("Google Docs: no alt=media, export with cap", "[integration]") {
  std::string doc, big;
  gdmount::emulator::EmulatorOptions opts;
  opts.export_limit_bytes = 1000;
  EmulatorFixture fx(opts, [&](gdmount::emulator::Emulator& e) {
    doc = NativeDoc(e, "Hello from a doc\n");
    big = NativeDoc(e, std::string(2000, 'x'));
  });
  auto media = fx.Call("GET", "/drive/v3/files/" + doc + "?alt=media");
  CHECK(media.status == 403);
  CHECK(media.reason() == "fileNotDownloadable");
  auto meta = fx.Call("GET", "/drive/v3/files/" + doc +
                                 "?fields=md5Checksum,exportLinks")
                  .json();
  CHECK_FALSE(meta.contains("md5Checksum"));
  CHECK(meta["exportLinks"].contains("application/pdf"));
  auto txt =
      fx.Call("GET", "/drive/v3/files/" + doc + "/export?mimeType=text/plain");
  CHECK(txt.status == 200);
  CHECK(txt.body == "Hello from a doc\n");
  CHECK(txt.header("content-length").empty());  // streamed, size unknown
  auto pdf1 = fx.Call(
      "GET", "/drive/v3/files/" + doc + "/export?mimeType=application/pdf");
  auto pdf2 = fx.Call(
      "GET", "/drive/v3/files/" + doc + "/export?mimeType=application/pdf");
  CHECK(pdf1.body == pdf2.body);  // deterministic
  CHECK(pdf1.body.rfind("%PDF", 0) == 0);
  auto too_big =
      fx.Call("GET", "/drive/v3/files/" + big + "/export?mimeType=text/plain");
  CHECK(too_big.status == 403);
  CHECK(too_big.reason() == "exportSizeLimitExceeded");
  auto bad_target =
      fx.Call("GET", "/drive/v3/files/" + doc + "/export?mimeType=image/gif");
  CHECK(bad_target.status == 400);
  CHECK(fx.Call("GET", "/drive/v3/files/" + doc + "/export").status ==
        400);  // mimeType required
  std::string blob = fx.Upload("plain.txt", "x")["id"];
  auto not_native =
      fx.Call("GET", "/drive/v3/files/" + blob + "/export?mimeType=text/plain");
  CHECK(not_native.status == 403);
  CHECK(not_native.reason() == "fileNotExportable");
}

TEST_CASE("multipart upload: LF line endings and binary media",
          "[integration]") {
  EmulatorFixture fx;
  std::string media = std::string("a\r\nb\n-x-\r\n\0z", 12);
  std::string body =
      "--x\nContent-Type: application/json\n\n{\"name\":\"lf.bin\"}\n--x\n"
      "Content-Type: application/octet-stream\n\n" +
      media + "\n--x--\n";
  auto r = fx.Call(
      "POST",
      "/upload/drive/v3/files?uploadType=multipart&fields=id,size,md5Checksum",
      body, {"Content-Type: multipart/related; boundary=\"x\""});
  REQUIRE(r.status == 200);
  CHECK(r.json()["md5Checksum"] == Md5Hex(media));
  auto back =
      fx.Call("GET", "/drive/v3/files/" + r.json()["id"].get<std::string>() +
                         "?alt=media");
  CHECK(back.body == media);
}

TEST_CASE("uploadType=media creates Untitled in root, uploadType is required",
          "[integration]") {
  EmulatorFixture fx;
  auto r = fx.Call(
      "POST",
      "/upload/drive/v3/files?uploadType=media&fields=name,mimeType,parents",
      "raw", {"Content-Type: text/csv"});
  REQUIRE(r.status == 200);
  CHECK(r.json()["name"] == "Untitled");
  CHECK(r.json()["mimeType"] == "text/csv");
  CHECK(r.json()["parents"][0] == fx.emu().store().root_id());
  CHECK(fx.Call("POST", "/upload/drive/v3/files", "raw").status == 400);
  CHECK(fx.Call("POST", "/upload/drive/v3/files?uploadType=bogus", "raw")
            .status == 400);
}

TEST_CASE("resumable upload: 308 ranges, status query, resume, expiry",
          "[integration]") {
  gdmount::emulator::EmulatorOptions opts;
  opts.uploads.session_ttl_ms = 60'000;
  EmulatorFixture fx(opts);
  const int64_t q = 256 * 1024;
  std::string bytes = RandomBytes(2 * q + 100, 7);
  auto init =
      fx.Call("POST", "/upload/drive/v3/files?uploadType=resumable",
              R"({"name":"big.bin"})",
              {"Content-Type: application/json; charset=UTF-8",
               "X-Upload-Content-Length: " + std::to_string(bytes.size())});
  REQUIRE(init.status == 200);
  std::string session = init.header("location");
  REQUIRE(session.rfind(fx.url(), 0) == 0);
  std::string spath = session.substr(fx.url().size());
  std::string total = std::to_string(bytes.size());
  auto c1 = fx.Call("PUT", spath, bytes.substr(0, q),
                    {"Content-Range: bytes 0-262143/" + total});
  CHECK(c1.status == 308);
  CHECK(c1.header("range") == "bytes=0-262143");
  auto status = fx.Call("PUT", spath, "", {"Content-Range: bytes */" + total});
  CHECK(status.status == 308);
  CHECK(status.header("range") == "bytes=0-262143");
  // A gap is refused; an overlapping re-send is accepted.
  CHECK(fx.Call("PUT", spath, bytes.substr(2 * q, 100),
                {"Content-Range: bytes " + std::to_string(2 * q) + "-" +
                 std::to_string(2 * q + 99) + "/" + total})
            .status == 400);
  auto c2 = fx.Call(
      "POST", spath, bytes.substr(0, 2 * q),  // rclone sends POST
      {"Content-Range: bytes 0-" + std::to_string(2 * q - 1) + "/" + total});
  CHECK(c2.status == 308);
  CHECK(c2.header("range") == "bytes=0-" + std::to_string(2 * q - 1));
  auto last = fx.Call("PUT", spath, bytes.substr(2 * q),
                      {"Content-Range: bytes " + std::to_string(2 * q) + "-" +
                       std::to_string(bytes.size() - 1) + "/" + total});
  REQUIRE(last.status == 200);
  std::string id = last.json()["id"];
  auto meta =
      fx.Call("GET", "/drive/v3/files/" + id + "?fields=size,md5Checksum")
          .json();
  CHECK(meta["md5Checksum"] == Md5Hex(bytes));
  CHECK(fx.Call("PUT", spath, "", {"Content-Range: bytes */" + total}).status ==
        200);
  // Expiry: a new session is 404 once its TTL has passed.
  auto init2 = fx.Call("POST", "/upload/drive/v3/files?uploadType=resumable",
                       "{}", {"Content-Type: application/json"});
  std::string spath2 = init2.header("location").substr(fx.url().size());
  fx.AdvanceMs(61'000);
  CHECK(fx.Call("PUT", spath2, "abc", {"Content-Range: bytes 0-2/3"}).status ==
        404);
}

TEST_CASE("resumable: unaligned non-final chunk keeps the aligned prefix",
          "[integration]") {
  EmulatorFixture fx;
  const int64_t q = 256 * 1024;
  std::string bytes = RandomBytes(3 * q, 9);
  auto init = fx.Call("POST", "/upload/drive/v3/files?uploadType=resumable",
                      "{}", {"Content-Type: application/json"});
  std::string spath = init.header("location").substr(fx.url().size());
  std::string total = std::to_string(bytes.size());
  auto c = fx.Call(
      "PUT", spath, bytes.substr(0, q + 1000),
      {"Content-Range: bytes 0-" + std::to_string(q + 999) + "/" + total});
  CHECK(c.status == 308);
  CHECK(c.header("range") == "bytes=0-" + std::to_string(q - 1));
  auto rest = fx.Call("PUT", spath, bytes.substr(q),
                      {"Content-Range: bytes " + std::to_string(q) + "-" +
                       std::to_string(3 * q - 1) + "/" + total});
  REQUIRE(rest.status == 200);
  CHECK(fx.Call("GET", "/drive/v3/files/" +
                           rest.json()["id"].get<std::string>() + "?alt=media")
            .body == bytes);
}

TEST_CASE("resumable: empty file and rejected 0--1 range", "[integration]") {
  EmulatorFixture fx;
  auto init = fx.Call(
      "POST", "/upload/drive/v3/files?uploadType=resumable", R"({"name":"e"})",
      {"Content-Type: application/json", "X-Upload-Content-Length: 0"});
  std::string spath = init.header("location").substr(fx.url().size());
  CHECK(fx.Call("PUT", spath, "", {"Content-Range: bytes 0--1/0"}).status ==
        400);
  auto done = fx.Call("PUT", spath, "");
  REQUIRE(done.status == 200);
  auto meta =
      fx.Call("GET", "/drive/v3/files/" + done.json()["id"].get<std::string>() +
                         "?fields=size")
          .json();
  CHECK(meta["size"] == "0");
}

TEST_CASE("16 concurrent downloads of a synthetic file are byte-exact",
          "[integration]") {
  std::string id;
  auto blob = std::make_shared<gdmount::emulator::SyntheticBlob>(42, 3 << 20);
  EmulatorFixture fx({}, [&](gdmount::emulator::Emulator& e) {
    gdmount::emulator::FileRecord rec;
    rec.name = "synthetic.bin";
    rec.mime_type = "application/octet-stream";
    rec.content = blob;
    id = e.store().SeedFile(e.store().root_id(), rec);
  });
  std::string md5 =
      fx.Call("GET", "/drive/v3/files/" + id + "?fields=md5Checksum")
          .json()["md5Checksum"];
  std::vector<std::future<std::string>> dl;
  for (int i = 0; i < 16; ++i)
    dl.push_back(std::async(std::launch::async, [&] {
      return Md5Hex(
          fx.Call("GET", "/drive/v3/files/" + id + "?alt=media").body);
    }));
  for (auto& d : dl) CHECK(d.get() == md5);
  // Synthetic content is position-dependent: no 64 KiB block repeats.
  std::string a(65536, 0), b(65536, 0);
  REQUIRE(blob->ReadAt(0, a.data(), a.size()).ok());
  REQUIRE(blob->ReadAt(65536, b.data(), b.size()).ok());
  CHECK(a != b);
}
