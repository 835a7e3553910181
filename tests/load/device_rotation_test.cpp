#define CAF_SUITE device_rotation

#include "tools/load/device_rotation.hpp"

#include "caf/test/unit_test.hpp"

using namespace awf::load;

CAF_TEST(without a conflict rate the devices play in order) {
  device_rotation r{3, 0.0, 7};
  for (int i = 0; i < 30; ++i) {
    auto step = r.next();
    CAF_CHECK(step.kind == step_kind::play);
    CAF_CHECK_EQUAL(step.device, static_cast<std::size_t>(i % 3));
  }
  CAF_CHECK(!r.offline());
}

CAF_TEST(a save of one device never goes offline) {
  device_rotation r{1, 1.0, 7};
  for (int i = 0; i < 10; ++i) {
    auto step = r.next();
    CAF_CHECK(step.kind == step_kind::play);
    CAF_CHECK_EQUAL(step.device, 0u);
  }
}

CAF_TEST(an offline device is skipped then comes back with a branch) {
  device_rotation r{2, 1.0, 7};
  auto first = r.next();
  CAF_REQUIRE(first.kind == step_kind::go_offline);
  CAF_CHECK_EQUAL(first.device, 0u);
  CAF_CHECK(r.offline() == std::optional<std::size_t>{0});
  int away = 0;
  auto step = r.next();
  while (step.kind == step_kind::play) {
    CAF_CHECK_EQUAL(step.device, 1u);
    ++away;
    step = r.next();
  }
  CAF_CHECK(away >= 1 && away <= device_rotation::max_turns_away);
  CAF_REQUIRE(step.kind == step_kind::come_back);
  CAF_CHECK_EQUAL(step.device, 0u);
  CAF_CHECK(step.turns >= 1 && step.turns <= device_rotation::max_branch_turns);
  CAF_CHECK(!r.offline());
  // The rotation goes on after the device that came back.
  CAF_CHECK_EQUAL(r.next().device, 1u);
}

CAF_TEST(the rate is the chance per turn and one device is away at most) {
  device_rotation r{4, 0.2, 11};
  int plays_online = 0, offline = 0, back = 0;
  for (int i = 0; i < 20000; ++i) {
    auto was_away = r.offline();
    auto step = r.next();
    if (step.kind == step_kind::go_offline) {
      CAF_CHECK(!was_away);
      ++offline;
    } else if (step.kind == step_kind::come_back) {
      CAF_CHECK(was_away && *was_away == step.device);
      ++back;
    } else if (!was_away) {
      ++plays_online;
    } else {
      CAF_CHECK_NOT_EQUAL(step.device, *was_away);
    }
  }
  CAF_CHECK(back == offline || back + 1 == offline);
  double rate = static_cast<double>(offline) / (offline + plays_online);
  CAF_CHECK(rate > 0.17 && rate < 0.23);
}

CAF_TEST(the schedule is the same for the same seed) {
  device_rotation a{3, 0.5, 42}, b{3, 0.5, 42};
  for (int i = 0; i < 100; ++i) {
    auto x = a.next();
    auto y = b.next();
    CAF_CHECK(x.kind == y.kind && x.device == y.device && x.turns == y.turns);
  }
}
