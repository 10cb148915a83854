// The real Drive client stack (CurlTransport + DriveClientImpl) against the
// emulator with 30% of requests failing: every call kind must come back
// with byte-exact results and without duplicates.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "drive/content_sources.h"
#include "drive/drive_client_impl.h"
#include "drive/query.h"
#include "http/curl_transport.h"
#include "tests/emulator/seed.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/string_sink.h"
#include "util/encoding.h"

namespace gdmount::drive {
namespace {

using testing::EmulatorFixture;

using testing::StringSink;

int64_t FaultsInjected(EmulatorFixture& fx) {
  int64_t n = 0;
  nlohmann::json stats = fx.Stats();
  for (const auto& kind : stats["faults_injected"].items())
    n += kind.value().get<int64_t>();
  return n;
}

std::string Md5Hex(const std::string& s) {
  return util::HexEncode(util::Md5(s));
}

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

struct ClientRig {
  explicit ClientRig(EmulatorFixture& fx, int64_t chunk = 256 * 1024,
                     int64_t multipart_threshold = 1 << 20)
      : tokens(EmulatorFixture::kToken) {
    http::CurlTransportOptions t;
    t.low_speed_time = std::chrono::seconds(5);
    transport = std::move(http::CurlTransport::Create(t).value());
    DriveClientOptions o;
    o.endpoints.api_root = fx.url();
    o.endpoints.upload_root = fx.url();
    o.retry.initial_backoff = std::chrono::milliseconds(2);
    o.retry.max_backoff = std::chrono::milliseconds(50);
    o.retry.max_attempts = 12;
    o.chunk_size = chunk;
    o.multipart_threshold = multipart_threshold;
    o.pacer.rate_per_s = 0;
    REQUIRE(ValidateOptions(o).ok());
    client = std::make_unique<DriveClientImpl>(o, transport.get(), &tokens,
                                               RealClock(), random.get());
  }
  StaticTokenSource tokens;
  std::unique_ptr<RandomSource> random = MakeSeededRandom(1);
  std::unique_ptr<http::CurlTransport> transport;
  std::unique_ptr<DriveClientImpl> client;
};

void SetFaults(EmulatorFixture& fx, const std::string& rules_json) {
  auto r = fx.Raw("POST", "/__emulator/faults",
                  R"({"faults":)" + rules_json +
                      R"(,"rate_limit":{"qps":0,"retry_after":0}})");
  REQUIRE(r.status == 200);
}

// Ground truth: the emulator's own answer for a path, fault-free.
std::string Direct(EmulatorFixture& fx, const std::string& path) {
  auto r = fx.Call("GET", path);
  REQUIRE(r.status == 200);
  return r.body;
}

TEST_CASE("Every Drive call survives 30% injected 5xx, 429 and resets",
          "[integration][drive]") {
  // Five different fault sequences (the emulator's fault RNG seed).
  uint64_t seed = GENERATE(1, 2, 3, 4, 5);
  INFO("fault seed " << seed);
  emulator::EmulatorOptions options;
  options.random_seed = seed;
  EmulatorFixture fx(options, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("listing/=250x10", &emu.store()).ok());
  });
  // A native document to export, created before faults start.
  auto doc = fx.Call(
      "POST", "/drive/v3/files",
      R"({"name":"notes","mimeType":"application/vnd.google-apps.document"})",
      {"Content-Type: application/json"});
  REQUIRE(doc.status == 200);
  std::string doc_id = doc.json()["id"];
  std::string exported_truth =
      Direct(fx, "/drive/v3/files/" + doc_id + "/export?mimeType=text/plain");

  ClientRig rig(fx);
  SetFaults(
      fx,
      R"(["503:rate=0.05","500:rate=0.05","429:rate=0.1","reset:rate=0.1"])");
  DriveClient& c = *rig.client;

  auto about = c.GetAbout();
  REQUIRE(about.ok());
  CHECK_FALSE(about->user_email.empty());

  auto dir = c.CreateFolder("root", "work");
  REQUIRE(dir.ok());
  // Listing 250 entries in pages of 50, faults on every page.
  auto root_list = c.ListAll({ChildrenQuery("root"), 1000, "", ""});
  REQUIRE(root_list.ok());
  std::string listing_id;
  for (const auto& f : *root_list)
    if (f.name == "listing") listing_id = f.id;
  REQUIRE_FALSE(listing_id.empty());
  auto listed = c.ListAll({ChildrenQuery(listing_id), 50, "", ""});
  REQUIRE(listed.ok());
  std::set<std::string> names;
  for (const auto& f : *listed) names.insert(f.name);
  CHECK(listed->size() == 250);
  CHECK(names.size() == 250);

  // Small (multipart) and large (resumable, 12 chunks) uploads.
  const std::string small = Pattern(100 * 1024, 1);
  const std::string large = Pattern(3 * 1024 * 1024 + 12345, 2);
  FileMetadata md;
  md.name = "small.bin";
  md.parent_id = dir->id;
  auto up_small = c.Upload("", md, StringContentSource(small));
  REQUIRE(up_small.ok());
  CHECK(up_small->md5 == Md5Hex(small));
  md.name = "large.bin";
  auto up_large = c.Upload("", md, StringContentSource(large));
  REQUIRE(up_large.ok());
  CHECK(up_large->md5 == Md5Hex(large));

  // Reads: whole file and a range, byte-exact.
  StringSink whole, part;
  auto got = c.Download(up_large->id, 0, std::nullopt, whole);
  REQUIRE(got.ok());
  CHECK(Md5Hex(whole.data) == Md5Hex(large));
  REQUIRE(c.Download(up_large->id, 1000000, 777777, part).ok());
  CHECK(part.data == large.substr(1000000, 777777));
  StringSink exported;
  auto exp = c.Export(doc_id, "text/plain", exported);
  INFO(exp.status().ToString());
  REQUIRE(exp.ok());
  CHECK(exported.data == exported_truth);
  auto meta = c.GetFile(up_small->id);
  REQUIRE(meta.ok());
  CHECK(meta->size == static_cast<int64_t>(small.size()));

  // Content update (multipart and resumable), rename + move, copy.
  const std::string small2 = Pattern(50 * 1024, 3);
  FileMetadata none;
  auto upd = c.Upload(up_small->id, none, StringContentSource(small2));
  REQUIRE(upd.ok());
  CHECK(upd->md5 == Md5Hex(small2));
  const std::string large2 = Pattern(2 * 1024 * 1024 + 1, 4);
  auto upd_large = c.Upload(up_large->id, none, StringContentSource(large2));
  REQUIRE(upd_large.ok());
  CHECK(upd_large->md5 == Md5Hex(large2));
  FileMetadata rename;
  rename.name = "renamed.bin";
  auto moved = c.Update(up_small->id, rename, "root", dir->id);
  REQUIRE(moved.ok());
  CHECK(moved->name == "renamed.bin");
  REQUIRE(moved->parents.size() == 1);
  CHECK(moved->parents[0] != dir->id);
  FileMetadata copy_md;
  copy_md.name = "copy.bin";
  copy_md.parent_id = dir->id;
  auto copy = c.Copy(up_large->id, copy_md);
  REQUIRE(copy.ok());
  CHECK(copy->md5 == Md5Hex(large2));

  auto link = c.CreateShortcut(dir->id, "link", up_small->id);
  REQUIRE(link.ok());
  CHECK(link->is_shortcut());
  CHECK(link->shortcut_target_id == up_small->id);

  // Trash, untrash, delete; changes.
  auto token = c.GetStartPageToken();
  REQUIRE(token.ok());
  REQUIRE(c.Trash(copy->id).ok());
  auto back = c.Untrash(copy->id);
  REQUIRE(back.ok());
  CHECK_FALSE(back->trashed);
  REQUIRE(c.Delete(copy->id).ok());
  auto gone = c.GetFile(copy->id);
  CHECK(gone.status().code() == StatusCode::kNotFound);
  auto changes = c.ListChanges(*token, 1000);
  REQUIRE(changes.ok());
  CHECK_FALSE(changes->changes.empty());

  // The emulator really did fail requests, and nothing was duplicated.
  CHECK(FaultsInjected(fx) > 10);
  SetFaults(fx, "[]");
  auto in_dir =
      fx.Call("GET", "/drive/v3/files?q=" + std::string("'") + dir->id +
                         "'%20in%20parents&fields=files(name)&pageSize=1000");
  INFO(in_dir.body);
  REQUIRE(in_dir.status == 200);
  std::multiset<std::string> dir_names;
  nlohmann::json in_dir_json = in_dir.json();
  for (const auto& f : in_dir_json["files"])
    dir_names.insert(f["name"].get<std::string>());
  CHECK(dir_names == std::multiset<std::string>{"large.bin", "link"});
  auto roots = fx.Call(
      "GET",
      "/drive/v3/"
      "files?q='root'%20in%20parents%20and%20name%3D'work'&fields=files(id)");
  CHECK(roots.json()["files"].size() == 1);
  INFO("client stats: retries " << rig.client->stats().retries);
  CHECK(rig.client->stats().retries > 10);
}

TEST_CASE("A 64 MiB resumable upload survives resets mid-chunk",
          "[integration][drive]") {
  EmulatorFixture fx;
  ClientRig rig(fx, 8 << 20, 5 << 20);
  const std::string data = Pattern(64 << 20, 9);
  // Every upload chunk has a 30% chance of a reset (mid-body when the
  // emulator has started answering) or a 503.
  SetFaults(
      fx,
      R"(["reset:rate=0.2:method=upload.chunk","503:rate=0.1:method=upload.chunk"])");
  FileMetadata md;
  md.name = "big.bin";
  std::vector<int64_t> offsets;
  auto f = rig.client->Upload(
      "", md, StringContentSource(data),
      [&](const UploadProgress& p) { offsets.push_back(p.confirmed); });
  REQUIRE(f.ok());
  CHECK(f->md5 == Md5Hex(data));
  CHECK(f->size == static_cast<int64_t>(data.size()));
  INFO(fx.Stats().dump());
  CHECK(FaultsInjected(fx) > 0);
  // Progress only moved forward by whole chunks and ended at the size.
  REQUIRE_FALSE(offsets.empty());
  CHECK(offsets.back() == static_cast<int64_t>(data.size()));
  for (int64_t o : offsets)
    CHECK((o == static_cast<int64_t>(data.size()) || o % (256 * 1024) == 0));
  // Exactly one file named big.bin.
  SetFaults(fx, "[]");
  auto list = fx.Call(
      "GET", "/drive/v3/files?q=name%3D'big.bin'&fields=files(id,md5Checksum)");
  REQUIRE(list.json()["files"].size() == 1);
  CHECK(list.json()["files"][0]["md5Checksum"] == Md5Hex(data));
}

TEST_CASE("An expired upload session is restarted from scratch",
          "[integration][drive]") {
  emulator::EmulatorOptions opts;
  opts.uploads.session_ttl_ms = 60000;
  EmulatorFixture fx(opts);
  ClientRig rig(fx, 256 * 1024, 0);
  const std::string data = Pattern(1 << 20, 5);
  FileMetadata md;
  md.name = "ttl.bin";
  auto session =
      rig.client->StartResumable("", md, static_cast<int64_t>(data.size()));
  REQUIRE(session.ok());
  fx.AdvanceMs(120000);  // the session is gone now
  DriveClient& client = *rig.client;
  auto resumed = client.ResumeUpload(*session, StringContentSource(data));
  REQUIRE_FALSE(resumed.ok());
  CHECK(resumed.status().code() == StatusCode::kNotFound);
  // Upload() starts a new session when one dies under it.
  auto f = client.Upload("", md, StringContentSource(data));
  REQUIRE(f.ok());
  CHECK(f->md5 == Md5Hex(data));
}

TEST_CASE("Connections are reused: no handshake per request",
          "[integration][http]") {
  EmulatorFixture fx;
  ClientRig rig(fx);
  int64_t before = fx.Stats()["connections"].get<int64_t>();
  for (int i = 0; i < 50; ++i) REQUIRE(rig.client->GetFile("root").ok());
  CHECK(rig.transport->stats().requests == 50);
  CHECK(rig.transport->stats().new_connections == 1);
  // Server side: the client's one connection plus this stats request's.
  CHECK(fx.Stats()["connections"].get<int64_t>() - before <= 2);
}

}  // namespace
}  // namespace gdmount::drive
