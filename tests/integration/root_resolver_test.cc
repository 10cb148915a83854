// vfs::ResolveRoot against the emulator: ids, paths, shortcuts on the way,
// twins, shared drives, and the errors a user sees for a wrong value.
#include "vfs/root_resolver.h"

#include <catch2/catch.hpp>

#include "tests/support/drive_rig.h"
#include "tests/support/emulator_fixture.h"

namespace gdmount::vfs {
namespace {

using testing::EmulatorFixture;

TEST_CASE("ResolveRoot finds folders by id, path and shortcut",
          "[integration][vfs]") {
  std::string team, results;
  EmulatorFixture fx({}, [&](emulator::Emulator& emu) {
    auto& store = emu.store();
    std::string data = store.SeedFolder(store.root_id(), "data");
    std::string pets = store.SeedFolder(data, "pets");
    store.SeedFolder(data, "twin");
    store.SeedFolder(data, "twin");
    emulator::FileRecord link;
    link.name = "pets-link";
    link.mime_type = emulator::kShortcutMime;
    link.shortcut_target_id = pets;
    link.shortcut_target_mime_type = emulator::kFolderMime;
    store.SeedFile(store.root_id(), link);
    team = store.SeedSharedDrive("Team");
    results = store.SeedFolder(team, "results");
  });
  testing::DriveRig drive(fx);
  auto* c = drive.client.get();

  auto my_drive = ResolveRoot(c, {});
  REQUIRE(my_drive.ok());
  CHECK(my_drive->id == fx.emu().store().root_id());

  auto pets = ResolveRoot(c, {"", "/data/pets"});
  REQUIRE(pets.ok());
  CHECK(pets->name == "pets");
  auto by_id = ResolveRoot(c, {"", pets->id});
  REQUIRE(by_id.ok());
  CHECK(by_id->id == pets->id);
  // No leading '/', not an id: a name at the root. Trailing '/' and '.'.
  CHECK(ResolveRoot(c, {"", "data"})->name == "data");
  CHECK(ResolveRoot(c, {"", "data/./pets/"})->id == pets->id);
  // A shortcut on the path is followed to its folder.
  CHECK(ResolveRoot(c, {"", "/pets-link"})->id == pets->id);

  auto missing = ResolveRoot(c, {"", "/data/cats"});
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message().find("no folder /data/cats") !=
        std::string::npos);
  auto twins = ResolveRoot(c, {"", "/data/twin"});
  CHECK(twins.status().code() == StatusCode::kInvalidArgument);
  CHECK(twins.status().message().find("names 2 folders") != std::string::npos);

  auto drive_root = ResolveRoot(c, {team, ""});
  REQUIRE(drive_root.ok());
  CHECK(drive_root->id == team);
  CHECK(ResolveRoot(c, {team, "/results"})->id == results);
  auto no_drive = ResolveRoot(c, {"0ANoSuchDrive", ""});
  CHECK(no_drive.status().code() == StatusCode::kNotFound);
  CHECK(no_drive.status().message().find("gdmount drives") !=
        std::string::npos);
}

}  // namespace
}  // namespace gdmount::vfs
