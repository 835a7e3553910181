#define CAF_SUITE bootstrap

#include "caf/test/unit_test.hpp"

#include <map>
#include <sys/stat.h>

#include "actors/engine_bootstrap.hpp"
#include "core/canonical_json.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace awf;

namespace {

struct fixture : test::engine_fixture {
  std::map<std::string, std::string> vars;

  fixture() {
    stop();
    vars["CLOUD_SYNC_DB"] = db.url();
    vars["CLOUD_SYNC_DATA_DIR"] = (db.scratch_dir() / "data").string();
  }

  config::env_lookup env() const { return config::environment_of(vars); }

  std::string boot_error() {
    auto setup = actors::bootstrap_engine(env());
    return setup ? std::string{"(no error)"} : setup.error().message;
  }

  void execute(const std::string& sql) {
    auto raw = persistence::database::open({db.url()});
    CAF_REQUIRE(raw);
    CAF_REQUIRE((*raw)->execute(sql));
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(bootstrap_tests, fixture)

CAF_TEST(defaults give a working engine with a generated key) {
  auto setup = actors::bootstrap_engine(env());
  CAF_REQUIRE(setup);
  CAF_CHECK_EQUAL(setup->context->options.encode.snapshot_every, 25);
  CAF_CHECK_EQUAL(setup->context->options.encode.zstd_level, 10);
  CAF_CHECK_EQUAL(setup->context->options.max_state_bytes, 200u << 20);
  auto key_file = vars["CLOUD_SYNC_DATA_DIR"] + "/enc_keys";
  struct stat info {};
  CAF_REQUIRE_EQUAL(::stat(key_file.c_str(), &info), 0);
  CAF_CHECK_EQUAL(info.st_mode & 0777, 0600u);
  // Write with the first boot, read with a second: the key was reused.
  start(setup->context->options, setup->context->keys);
  auto save_id = new_save();
  CAF_REQUIRE(service->persist_turn(save_id, 1, {{"hp", 3}}));
  stop();
  auto again = actors::bootstrap_engine(env());
  CAF_REQUIRE(again);
  start(again->context->options, again->context->keys);
  CAF_CHECK_EQUAL(test::value_of(service->materialize(save_id, 1)).canonical,
                  R"({"hp":3})");
}

CAF_TEST(the config table overrides defaults and the environment wins) {
  CAF_REQUIRE(actors::bootstrap_engine(env())); // migrates
  execute("INSERT INTO awf_cloud_sync_config (id, snapshot_every, zstd_level) "
          "VALUES ('default', 7, 3)");
  auto setup = actors::bootstrap_engine(env());
  CAF_REQUIRE(setup);
  CAF_CHECK_EQUAL(setup->context->options.encode.snapshot_every, 7);
  CAF_CHECK_EQUAL(setup->context->options.encode.zstd_level, 3);
  vars["CLOUD_SYNC_SNAPSHOT_EVERY"] = "9";
  setup = actors::bootstrap_engine(env());
  CAF_REQUIRE(setup);
  CAF_CHECK_EQUAL(setup->context->options.encode.snapshot_every, 9);
}

CAF_TEST(bad values stop start up naming the variable) {
  vars["CLOUD_SYNC_ZSTD_LEVEL"] = "99";
  CAF_CHECK(contains(boot_error(), "CLOUD_SYNC_ZSTD_LEVEL"));
  vars.erase("CLOUD_SYNC_ZSTD_LEVEL");
  vars["CLOUD_SYNC_SQLITE_SYNC"] = "sometimes";
  CAF_CHECK(contains(boot_error(), "CLOUD_SYNC_SQLITE_SYNC"));
  vars.erase("CLOUD_SYNC_SQLITE_SYNC");
  vars["CLOUD_SYNC_ENC_KEYS"] = "k1:c2VjcmV0LWJ1dC10b28tc2hvcnQ=";
  auto message = boot_error();
  CAF_CHECK(contains(message, "CLOUD_SYNC_ENC_KEYS"));
  CAF_CHECK(!contains(message, "c2VjcmV0"));
  vars.erase("CLOUD_SYNC_ENC_KEYS");
  CAF_REQUIRE(actors::bootstrap_engine(env()));
  execute("INSERT INTO awf_cloud_sync_config (id, zstd_level) VALUES "
          "('default', 99)");
  CAF_CHECK(contains(boot_error(), "awf_cloud_sync_config.zstd_level"));
}

CAF_TEST(an unreachable database is named) {
  vars["CLOUD_SYNC_DB"] = "/nonexistent-dir/x/store.db";
  CAF_CHECK(contains(boot_error(), "CLOUD_SYNC_DB"));
}

CAF_TEST(a new data directory is owner only and an open one is warned about) {
  // The umask a service manager commonly leaves: without an explicit mode
  // the directory would come out 0755.
  auto old_umask = ::umask(022);
  auto setup = actors::bootstrap_engine(env());
  ::umask(old_umask);
  CAF_REQUIRE(setup);
  struct stat info {};
  auto dir = vars["CLOUD_SYNC_DATA_DIR"];
  CAF_REQUIRE_EQUAL(::stat(dir.c_str(), &info), 0);
  CAF_CHECK_EQUAL(info.st_mode & 0777, 0700u);
  CAF_CHECK(setup->warnings.empty());
  // An existing directory open to others keeps its mode (it may be shared)
  // but start-up says so.
  CAF_REQUIRE_EQUAL(::chmod(dir.c_str(), 0755), 0);
  auto again = actors::bootstrap_engine(env());
  CAF_REQUIRE(again);
  CAF_REQUIRE_EQUAL(again->warnings.size(), 1u);
  CAF_CHECK(contains(again->warnings.front(), "CLOUD_SYNC_DATA_DIR"));
  CAF_CHECK(contains(again->warnings.front(), "chmod 700"));
}

CAF_TEST(a setting that does nothing yet is warned about at start) {
  vars["CLOUD_SYNC_USER_QUOTA_MB"] = "1";
  auto setup = actors::bootstrap_engine(env());
  CAF_REQUIRE(setup);
  CAF_REQUIRE_EQUAL(setup->warnings.size(), 1u);
  CAF_CHECK(contains(setup->warnings.front(),
                     "CLOUD_SYNC_USER_QUOTA_MB is set but not enforced yet"));
}

CAF_TEST_FIXTURE_SCOPE_END()
